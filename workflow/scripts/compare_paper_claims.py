"""Rule compare_paper_claims: the paper's three RQ3 claims, each with its scope, test, p-value
and verdict on this run's numbers."""

import logging

import pandas as pd
from hfreuse.io import write_csv
from hfreuse.rq3.paper import reproduction

log = logging.getLogger(__name__)


def main(correlation, trends, declining, card_trend, reproduction_csv, alpha, strong_rho):
    table = reproduction(
        pd.read_parquet(correlation),
        pd.read_parquet(trends),
        pd.read_parquet(declining),
        pd.read_parquet(card_trend),
        alpha,
        strong_rho,
    )
    for row in table.itertuples():
        log.info("%s (p = %.2g): %s -- %s", row.verdict, row.p_value, row.claim, row.computed_value)
    write_csv(table, reproduction_csv)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
