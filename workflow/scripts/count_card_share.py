"""Rule count_card_share: results/hub/models.parquet -> results/trends table."""

import pandas as pd
from hfreuse.hub.trends import CreationWindow, card_share_monthly
from hfreuse.io import write_parquet


def main(models, monthly, floored_models, start_month, end_month):
    df = pd.read_parquet(
        models, columns=["model_type", "created_at", "created_at_floored", "has_card_data"]
    )
    write_parquet(
        card_share_monthly(df, CreationWindow(floored_models, start_month, end_month)), monthly
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
