"""Rule plot_beginners_vs_intermediate: cumulative topics of the compared categories."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.forum.charts import build_beginners_vs_intermediate


def main(monthly, html, svg, png, spec, categories, width, height, synthetic):
    chart = build_beginners_vs_intermediate(
        pd.read_parquet(monthly),
        categories=list(categories),
        width=width,
        height=height,
        synthetic=synthetic,
    )
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
