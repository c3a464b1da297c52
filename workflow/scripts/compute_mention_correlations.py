"""Rule compute_mention_correlations: forum mentions vs Hub uploads (totals and monthly)."""

import logging

import pandas as pd
from hfreuse.io import write_parquet
from hfreuse.rq3 import stats as ts

log = logging.getLogger(__name__)


def main(
    forum,
    hub,
    totals,
    correlation,
    monthly,
    exclude_partial_months,
    exclude_floor_month,
    min_topics,
    min_models,
    major_models,
    min_model_total,
    alpha,
):
    f, h = pd.read_parquet(forum), pd.read_parquet(hub)
    months = ts.shared_months(f, h, exclude_partial_months, exclude_floor_month)
    log.info("%d shared months: %s..%s", len(months), months[:1], months[-1:])
    tot = ts.model_totals(f, h, months, min_topics, min_models)
    write_parquet(tot, totals, sort_by=["model_type"])
    write_parquet(ts.totals_correlation(tot, months, major_models), correlation)
    write_parquet(
        ts.monthly_correlations(ts.monthly_series(f, h, months, tot, min_model_total), alpha),
        monthly,
        sort_by=["model_type"],
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
