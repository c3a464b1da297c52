"""Rule count_card_share: results/hub/models.parquet -> results/trends table."""

import pandas as pd
from hfreuse.hub.trends import (
    MODEL_COLUMNS,
    CreationWindow,
    card_share_monthly,
    dated,
    with_api_series,
)
from hfreuse.io import write_parquet


def main(models, monthly, created_at, floored_models, start_month, end_month):
    columns = MODEL_COLUMNS if created_at == "true" else MODEL_COLUMNS[:3] + MODEL_COLUMNS[4:]
    df = pd.read_parquet(models, columns=columns)
    window = CreationWindow(floored_models, start_month, end_month)
    table = card_share_monthly(dated(df, created_at), window)
    api = card_share_monthly(dated(df, "api"), window)  # the createdAt series, for the figures
    write_parquet(with_api_series(table, api, ["month"], ["models", "share"]), monthly)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
