"""Rule parse_card_history: the card-history records of the sample -> card_history.parquet (the
records read are checked against the crawl manifest's counts first)."""

import pandas as pd
from hfreuse.hub.card_history import card_history_table, read_card_history
from hfreuse.io import write_parquet


def main(manifest, models, card_history):
    today = pd.read_parquet(models, columns=["model_id", "has_card_data"])
    lookup = dict(zip(today["model_id"], today["has_card_data"].astype(bool), strict=True))
    write_parquet(card_history_table(read_card_history(manifest), lookup), card_history)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
