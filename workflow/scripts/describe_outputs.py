"""Rule describe_outputs: every output of the run -> its rows, columns, bytes and sha256.

The report's run manifest presents this table (results/report/outputs.parquet); the report
computes nothing itself.
"""

from hfreuse.io import write_parquet
from hfreuse.report.manifest import output_facts


def main(outputs, facts):
    write_parquet(output_facts(outputs), facts, sort_by=["file"])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
