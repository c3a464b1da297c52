"""Rule count_card_share: results/hub/models.parquet -> results/trends table."""

import pandas as pd
from hfreuse.hub.trends import MODEL_COLUMNS, CreationWindow, card_share_monthly, dated
from hfreuse.io import write_parquet


def main(models, monthly, created_at, floored_models, start_month, end_month):
    columns = MODEL_COLUMNS if created_at == "true" else MODEL_COLUMNS[:3] + MODEL_COLUMNS[4:]
    df = dated(pd.read_parquet(models, columns=columns), created_at)
    write_parquet(
        card_share_monthly(df, CreationWindow(floored_models, start_month, end_month)), monthly
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
