"""Rule compute_model_trends: per-model trends of forum mentions and Hub uploads."""

import pandas as pd
from hfreuse.io import write_parquet
from hfreuse.rq3 import stats as ts


def main(
    forum,
    hub,
    trends,
    declining,
    exclude_partial_months,
    exclude_floor_month,
    min_model_total,
    alpha,
):
    f, h = pd.read_parquet(forum), pd.read_parquet(hub)
    months = ts.shared_months(f, h, exclude_partial_months, exclude_floor_month)
    tot = ts.model_totals(f, h, months)
    out = ts.model_trends(ts.monthly_series(f, h, months, tot, min_model_total), alpha)
    write_parquet(out, trends, sort_by=["source", "model_type"])
    write_parquet(ts.declining_rising(out), declining)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
