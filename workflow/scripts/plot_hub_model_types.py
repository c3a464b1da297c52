"""Rule plot_hub_model_types: models created per month for the top model types."""

import pandas as pd
from hfreuse.charts import save_chart
from hfreuse.hub.charts import build_hub_model_types


def main(monthly, html, svg, png, spec, top_n, width, height, synthetic):
    chart = build_hub_model_types(
        pd.read_parquet(monthly), top_n=top_n, width=width, height=height, synthetic=synthetic
    )
    save_chart(chart, html, svg, png, spec)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
