"""Rule count_model_mentions: gather the mention shards -> topic mentions and the monthly table."""

import pandas as pd
import pyarrow.parquet as pq
from hfreuse.io import write_parquet
from hfreuse.rq3.mentions import mentions_monthly, month_of


def main(shards, topics, models, topic_mentions, monthly, start_month, end_month):
    mentions = pd.concat([pd.read_parquet(path) for path in sorted(shards)], ignore_index=True)
    t = pd.read_parquet(topics, columns=["topic_id", "created_at"])
    names = pq.read_table(models, columns=["model_type"]).to_pandas()["model_type"].dropna()
    write_parquet(
        mentions_monthly(mentions, t, names.astype(str).unique(), start_month, end_month),
        monthly,
        sort_by=["model_type", "month"],
    )
    month = pd.Series(month_of(t["created_at"]).to_numpy(), index=t["topic_id"])
    mentions["month"] = mentions["topic_id"].map(month).astype("string")
    write_parquet(mentions, topic_mentions, sort_by=["topic_id", "model_type"])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
