"""Rule plot_posts_per_topic: distribution of posts per topic (share without reply)."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.forum.charts import build_posts_per_topic


def main(distribution, html, svg, png, spec, width, height, synthetic):
    chart = build_posts_per_topic(
        pd.read_parquet(distribution), width=width, height=height, synthetic=synthetic
    )
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
