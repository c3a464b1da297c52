"""Rule plot_<figure>: one figure of the registry (workflow/figures.yaml) -> HTML, SVG, PNG, spec.

The rule passes the figure's tables (named by builder argument), its builder and its settings.
"""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.figures import draw


def main(html, svg, png, spec, builder, args, **tables):
    chart = draw(builder, {arg: pd.read_parquet(path) for arg, path in tables.items()}, args)
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
