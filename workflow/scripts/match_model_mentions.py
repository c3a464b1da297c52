"""Rule match_model_mentions: one shard of forum topics -> (topic_id, model_type) mentions
(names and aliases of the Hub's model types, and addresses of the Hub's models)."""

import pandas as pd
import pyarrow.parquet as pq
from hfreuse.io import write_parquet
from hfreuse.rq3.mentions import (
    MentionMatcher,
    load_aliases,
    names_by_frequency,
    topic_mentions,
)
from hfreuse.shards import stable_shard


def main(
    topics,
    posts,
    models,
    aliases,
    mentions,
    shard,
    n_shards,
    ambiguous,
    context_after,
    context_before,
):
    k, n = shard, n_shards
    table = load_aliases(aliases)
    hub = pq.read_table(models, columns=["model_id", "model_type"]).to_pandas()
    typed = hub.dropna(subset=["model_type"])
    matcher = MentionMatcher(
        names_by_frequency(hub["model_type"]),
        dict(zip(table["alias"], table["model_type"], strict=True)),
        ambiguous,
        context_after,
        context_before,
        hub_models=dict(zip(typed["model_id"], typed["model_type"], strict=True)),
    )
    t = pd.read_parquet(topics, columns=["topic_id", "title"])
    t = t[[stable_shard(i, n) == k for i in t["topic_id"]]]
    p = pd.read_parquet(
        posts,
        columns=["topic_id", "post_number", "text"],
        filters=[("topic_id", "in", t["topic_id"].tolist())] if n > 1 else None,
    )
    out = topic_mentions(t, p, matcher)
    write_parquet(out, mentions, sort_by=["topic_id", "model_type"])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
