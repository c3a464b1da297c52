"""Rule summarize_study: the numbers and sentences of the report's summary, from the run's tables.

Each table is known to the summary by its name in workflow/products.yaml (``table_names``:
path -> name, from the rule); the summary's rows keep the path as their source.
"""

import logging

from hfreuse.io import write_parquet
from hfreuse.report.study_summary import summarize_study

log = logging.getLogger(__name__)


def main(
    tables,
    summary,
    alpha,
    top_n,
    rank_by="hub",
    provides=(),
    table_names=None,
    synthetic=False,
):
    names = dict(table_names or {})
    by_name = {names[str(p)]: str(p) for p in tables if str(p) in names}
    table = summarize_study(
        by_name,
        alpha=alpha,
        top_n=top_n,
        rank_by=rank_by,
        provides=list(provides),
        synthetic=synthetic,
    )
    sections = list(dict.fromkeys(table["section"]))
    log.info("%d rows in %d sections: %s", len(table), len(sections), ", ".join(sections))
    write_parquet(table, summary)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
