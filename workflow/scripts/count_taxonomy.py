"""Rule count_taxonomy: codebook + codes (+ published counts) -> taxonomy and root-cause counts."""

import pandas as pd
from hfreuse.coding.taxonomy import root_cause_counts as count_root_causes
from hfreuse.coding.taxonomy import taxonomy_counts as count_categories
from hfreuse.io import write_parquet


def main(codebook, codes, root_causes, taxonomy_counts, root_cause_counts, published_counts=None):
    published = pd.read_parquet(published_counts) if published_counts else None
    table = count_categories(pd.read_parquet(codebook), pd.read_parquet(codes), published)
    write_parquet(table, taxonomy_counts)
    write_parquet(count_root_causes(pd.read_parquet(root_causes)), root_cause_counts)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
