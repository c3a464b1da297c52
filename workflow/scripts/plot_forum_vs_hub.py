"""Rule plot_forum_vs_hub: total forum mentions vs Hub uploads per model type (log-log)."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.rq3.charts import build_forum_vs_hub


def main(totals, correlation, html, svg, png, spec, top_n, width, height, synthetic):
    chart = build_forum_vs_hub(
        pd.read_parquet(totals),
        pd.read_parquet(correlation),
        top_n=top_n,
        width=width,
        height=height,
        synthetic=synthetic,
    )
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
