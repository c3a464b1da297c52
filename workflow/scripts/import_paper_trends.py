"""Rule import_paper_trends: the replication package's monthly matrices -> the trend tables."""

from hfreuse.io import write_parquet
from hfreuse.rq3.paper import read_card_share, read_forum_mentions, read_hub_model_types


def main(forum_csv, hub_csv, card_csv, mentions, model_types, card_share):
    write_parquet(read_forum_mentions(forum_csv), mentions, sort_by=["model_type", "month"])
    write_parquet(read_hub_model_types(hub_csv), model_types, sort_by=["model_type", "month"])
    write_parquet(read_card_share(card_csv), card_share, sort_by=["month"])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
