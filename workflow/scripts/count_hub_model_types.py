"""Rule count_hub_model_types: results/hub/models.parquet -> results/trends table."""

import pandas as pd
from hfreuse.hub.trends import (
    CreationWindow,
    dated,
    model_columns,
    model_types_monthly,
    with_api_series,
)
from hfreuse.io import write_parquet


def main(models, monthly, created_at, floored_models, start_month, end_month):
    df = pd.read_parquet(models, columns=model_columns(created_at))
    window = CreationWindow(floored_models, start_month, end_month)
    table = model_types_monthly(dated(df, created_at), window)
    api = model_types_monthly(dated(df, "api"), window)  # the createdAt series, for the figures
    write_parquet(with_api_series(table, api, ["model_type", "month"], ["models"]), monthly)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
