"""Rule sample_topics_for_coding: forum topics -> coding sample and one coding sheet per coder."""

import logging

import pandas as pd
from hfreuse.coding.sample import draw_sample
from hfreuse.coding.sheets import build_sheet, write_sheet_csv, write_sheet_xlsx
from hfreuse.io import write_parquet

log = logging.getLogger(__name__)


def main(
    topics,
    posts,
    sample,
    design,
    csv,
    xlsx,
    seed,
    sample_size,
    confidence,
    margin,
    proportion,
    stratify_by_category,
    exclude_pinned,
    coders,
    overlap,
    excerpt_chars,
    url_template,
):
    topics_df = pd.read_parquet(topics)
    posts_df = pd.read_parquet(posts, columns=["post_id", "topic_id", "post_number", "text"])
    drawn, plan = draw_sample(
        topics_df,
        posts_df,
        seed=seed,
        sample_size=sample_size,
        confidence=confidence,
        margin=margin,
        proportion=proportion,
        stratify_by_category=stratify_by_category,
        exclude_pinned=exclude_pinned,
        coders=list(coders),
        overlap=overlap,
        excerpt_chars=excerpt_chars,
        url_template=url_template,
    )
    log.info(
        "sample: %d of %d topics (%s), %d double-coded",
        plan.sample_size,
        plan.population,
        plan.method,
        plan.double_coded,
    )
    for coder, csv_path, xlsx_path in zip(coders, csv, xlsx, strict=True):
        sheet = build_sheet(drawn, coder)
        write_sheet_csv(sheet, csv_path)
        write_sheet_xlsx(sheet, coder, xlsx_path)
        log.info("sheet of %s: %d topics", coder, len(sheet))
    write_parquet(plan.as_frame(), design)
    write_parquet(drawn, sample, sort_by=["topic_id"])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
