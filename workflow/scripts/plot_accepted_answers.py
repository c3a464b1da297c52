"""Rule plot_accepted_answers: accepted answers by staff, by the asker and by other users."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.forum.charts import build_accepted_answers


def main(table, html, svg, png, spec, width, height, synthetic):
    chart = build_accepted_answers(
        pd.read_parquet(table), width=width, height=height, synthetic=synthetic
    )
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
