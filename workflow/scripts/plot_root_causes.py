"""Rule plot_root_causes: root-cause sunburst and root-cause groups per challenge category."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.coding.charts import root_causes_by_challenge, root_causes_sunburst


def main(
    root_cause_counts,
    sunburst_html,
    sunburst_svg,
    sunburst_png,
    sunburst_spec,
    bar_html,
    bar_svg,
    bar_png,
    bar_spec,
    size,
    width,
    source_note,
    synthetic,
):
    counts = pd.read_parquet(root_cause_counts)
    sunburst = root_causes_sunburst(counts, size=size, synthetic=synthetic, source_note=source_note)
    save_chart(sunburst, sunburst_html, sunburst_svg, sunburst_png, sunburst_spec)
    bars = root_causes_by_challenge(
        counts, width=width, synthetic=synthetic, source_note=source_note
    )
    save_chart(bars, bar_html, bar_svg, bar_png, bar_spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
