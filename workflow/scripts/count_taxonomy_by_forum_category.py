"""Rule count_taxonomy_by_forum_category: code categories per forum category."""

import pandas as pd
from hfreuse.coding.taxonomy import taxonomy_by_forum_category
from hfreuse.io import write_parquet


def main(codes, by_forum):
    write_parquet(taxonomy_by_forum_category(pd.read_parquet(codes)), by_forum)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
