"""Rule compute_date_sensitivity: the RQ3 statistics on createdAt vs first-commit dates."""

import pandas as pd
from hfreuse.hub.trends import MODEL_COLUMNS, CreationWindow
from hfreuse.io import write_parquet
from hfreuse.rq3.sensitivity import StatsSettings, date_sensitivity


def main(models, forum, sensitivity, floored_models, start_month, end_month, stats):
    df = pd.read_parquet(models, columns=[*MODEL_COLUMNS, "created_at_source"])
    settings = StatsSettings(
        **{k: stats[k] for k in StatsSettings.__dataclass_fields__ if k in stats}
    )
    table = date_sensitivity(
        df,
        pd.read_parquet(forum),
        CreationWindow(floored_models, start_month, end_month),
        settings,
    )
    write_parquet(table, sensitivity)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
