"""Rule compute_card_share_trend: has the share of models with card data grown?"""

import pandas as pd
from hfreuse.io import write_parquet
from hfreuse.rq3.stats import card_share_trend


def main(
    card_share,
    trend,
    split_month,
    exclude_partial_months,
    exclude_floor_month,
    alpha,
    min_models_per_month,
):
    out = card_share_trend(
        pd.read_parquet(card_share),
        split_month,
        exclude_partial_months,
        exclude_floor_month,
        alpha,
        min_models_per_month,
    )
    write_parquet(out, trend)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
