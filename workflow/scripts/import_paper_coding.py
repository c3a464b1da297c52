"""Rule import_paper_coding (source paper): the replication package's codebooks, Overview
counts, coded topics and root causes -> the coding tables."""

import logging

from hfreuse.coding.paper import (
    load_mappings,
    read_all_codes,
    read_overview,
    read_package_codebook,
    read_root_causes,
)
from hfreuse.io import write_parquet

log = logging.getLogger(__name__)


def main(
    challenges_csv,
    benefits_csv,
    overview_xlsx,
    all_codes_csv,
    root_causes_csv,
    mappings,
    codebook,
    codes,
    root_causes,
    published_counts,
):
    maps = load_mappings(mappings)
    book = read_package_codebook(challenges_csv, benefits_csv, maps)
    counts = read_overview(overview_xlsx, book, maps)
    coded = read_all_codes(all_codes_csv, maps)
    causes = read_root_causes(root_causes_csv, book, maps)
    log.info(
        "codebook: %d entries; Overview: %s; codes: %d rows on %d topics; root causes: %d",
        len(book),
        counts.groupby("kind")["count"].sum().to_dict(),
        len(coded),
        coded["topic_id"].nunique(),
        len(causes),
    )
    write_parquet(book, codebook, sort_by=["kind", "category_order", "subcategory_order"])
    write_parquet(counts, published_counts)
    write_parquet(coded, codes, sort_by=["topic_id", "row"])
    write_parquet(causes, root_causes)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
