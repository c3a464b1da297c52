"""Rule summarize_study: the numbers and sentences of the report's summary, from the run's tables."""

import logging

from hfreuse.io import write_parquet
from hfreuse.report.halves import with_other_half
from hfreuse.report.study_summary import summarize_study

log = logging.getLogger(__name__)


def main(tables, summary, alpha, top_n, provides=()):
    table = summarize_study(list(tables), alpha=alpha, top_n=top_n)
    table = with_other_half(table, provides)
    sections = list(dict.fromkeys(table["section"]))
    log.info("%d rows in %d sections: %s", len(table), len(sections), ", ".join(sections))
    write_parquet(table, summary)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
