"""Rule plot_taxonomy: the sunburst and the sorted bar chart of challenges or benefits."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.coding.charts import taxonomy_bars, taxonomy_sunburst

KINDS = {"challenges": "challenge", "benefits": "benefit"}


def main(
    taxonomy_counts,
    sunburst_html,
    sunburst_svg,
    sunburst_png,
    sunburst_spec,
    bar_html,
    bar_svg,
    bar_png,
    bar_spec,
    taxonomy,
    size,
    width,
    source_note,
    synthetic,
):
    counts = pd.read_parquet(taxonomy_counts)
    kind = KINDS[taxonomy]
    sunburst = taxonomy_sunburst(
        counts, kind, size=size, synthetic=synthetic, source_note=source_note
    )
    save_chart(sunburst, sunburst_html, sunburst_svg, sunburst_png, sunburst_spec)
    bars = taxonomy_bars(counts, kind, width=width, synthetic=synthetic, source_note=source_note)
    save_chart(bars, bar_html, bar_svg, bar_png, bar_spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
