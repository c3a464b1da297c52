"""Rule compare_paper_claims: the paper's three RQ3 claims, each with its scope, test, p-value
and verdict on this run's numbers: the RQ3 rows of the claims table (rule
evaluate_paper_claims), in the columns of reproduction.csv."""

import pandas as pd
from hfreuse.io import write_csv
from hfreuse.rq3.claims import reproduction_rows


def main(claims, reproduction_csv):
    write_csv(reproduction_rows(pd.read_parquet(claims)), reproduction_csv)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
