"""Rule plot_<figure>: one figure of the registry (workflow/figures.yaml) -> HTML, SVG, PNG, spec
(and PDF and caption in the paper style).

The rule passes the figure's tables (named by builder argument), its builder, its settings, the
figure style and the optional tables this run does not have (the builder gets None for them).
"""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.figures import draw


def main(
    html, svg, png, spec, builder, args, style="report", pdf=None, caption=None, absent=(), **tables
):
    frames = {arg: pd.read_parquet(path) for arg, path in tables.items()}
    chart = draw(builder, frames | dict.fromkeys(absent), args)
    save_chart(chart, html, svg, png, spec, pdf=pdf, caption=caption, style=style)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
