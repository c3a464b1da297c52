"""Rule measure_agreement: Cohen's kappa, Krippendorff's alpha and % agreement on the
double-coded topics."""

import logging

import pandas as pd
from hfreuse.coding.agreement import agreement_table
from hfreuse.io import write_parquet

log = logging.getLogger(__name__)


def main(codes, sample, agreement):
    table = agreement_table(pd.read_parquet(codes), pd.read_parquet(sample))
    for r in table.itertuples(index=False):
        log.info(
            "%s %s %s %s: %.3f on %d units", r.kind, r.level, r.measure, r.pair, r.value, r.units
        )
    write_parquet(table, agreement, sort_by=["kind", "level", "measure", "pair"])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
