"""Rule plot_card_share: share of models created per month that have card data."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.hub.charts import build_card_share


def main(monthly, html, svg, png, spec, width, height, synthetic):
    chart = build_card_share(
        pd.read_parquet(monthly), width=width, height=height, synthetic=synthetic
    )
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
