"""Rule import_coding: the coders' filled sheets + codebook -> codebook, codes, root causes.

Every problem of every sheet is reported at once; nothing is written when there is any.
"""

import logging

import pandas as pd
from hfreuse.coding.codebook import read_codebook_csv
from hfreuse.coding.guidance import check_import_inputs
from hfreuse.coding.sheet_import import import_sheets
from hfreuse.io import write_parquet

log = logging.getLogger(__name__)


def main(sample, filled, codebook_csv, codebook, codes, root_causes, coders, blank=()):
    book = read_codebook_csv(check_import_inputs(filled, codebook_csv, blank))
    drawn = pd.read_parquet(sample)
    coded, causes = import_sheets(dict(zip(coders, filled, strict=True)), drawn, book)
    log.info(
        "imported %d codes of %d coders on %d topics (%d root causes)",
        len(coded),
        coded["coder"].nunique(),
        coded["topic_id"].nunique(),
        len(causes),
    )
    write_parquet(book, codebook, sort_by=["kind", "category_order", "subcategory_order"])
    write_parquet(coded, codes, sort_by=["coder", "topic_id", "row"])
    write_parquet(causes, root_causes, sort_by=["coder", "topic_id", "root_cause_group"])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
