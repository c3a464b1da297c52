"""Rule plot_topics_per_category: cumulative topics per forum category over time."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.forum.charts import build_topics_per_category


def main(monthly, html, svg, png, spec, top_n, width, height, synthetic):
    chart = build_topics_per_category(
        pd.read_parquet(monthly), top_n=top_n, width=width, height=height, synthetic=synthetic
    )
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
