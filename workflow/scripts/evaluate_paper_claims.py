"""Rule evaluate_paper_claims: do the paper's findings hold? Each claim of the paper with its
scope, this run's value, test, p, verdict and n (a parquet table and a CSV beside it)."""

import logging

import pandas as pd
from hfreuse.io import write_csv, write_parquet
from hfreuse.rq3.claims import claims as evaluate

log = logging.getLogger(__name__)


def _read(path):
    return None if path is None else pd.read_parquet(path)


def main(
    claims,
    claims_csv,
    alpha,
    strong_rho,
    totals_correlation=None,
    model_trends=None,
    declining_rising=None,
    card_share_trend=None,
    taxonomy_counts=None,
):
    table = evaluate(
        _read(totals_correlation),
        _read(model_trends),
        _read(declining_rising),
        _read(card_share_trend),
        _read(taxonomy_counts),
        alpha,
        strong_rho,
    )
    for row in table.itertuples():
        log.info("%s %s (p = %.2g): %s", row.claim_id, row.verdict, row.p_value, row.computed_value)
    write_parquet(table, claims)
    write_csv(table, claims_csv)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
