"""Rule summarize_study: the numbers and sentences of the report's summary, from the run's tables.

Each table is known to the summary by its table id: its path under ``results/`` without the
suffix (``results/hub/models.parquet`` -> ``hub/models``).
"""

import logging
from pathlib import PurePosixPath

from hfreuse.io import write_parquet
from hfreuse.report.study_summary import summarize_study

log = logging.getLogger(__name__)


def table_id(path: str, results: str = "results") -> str:
    """``results/hub/models.parquet`` -> ``hub/models``."""
    return str(PurePosixPath(path).relative_to(results).with_suffix(""))


def main(tables, summary, alpha, top_n, rank_by="hub"):
    by_id = {table_id(str(p)): str(p) for p in tables}
    table = summarize_study(by_id, alpha=alpha, top_n=top_n, rank_by=rank_by)
    sections = list(dict.fromkeys(table["section"]))
    log.info("%d rows in %d sections: %s", len(table), len(sections), ", ".join(sections))
    write_parquet(table, summary)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
