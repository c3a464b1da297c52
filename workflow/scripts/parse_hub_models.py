"""Rule parse_hub_models: merge the parsed page shards, add README lengths and the true
creation dates of floored models (first commits) -> models.parquet; the READMEs the crawl
quarantined -> quarantine.parquet."""

import pyarrow.parquet as pq
from hfreuse.hub.first_commits import iter_histories
from hfreuse.hub.parse import card_lengths, card_quarantine, first_commits, merge_parts
from hfreuse.io import write_table


def main(manifest, card_manifests, parts, models, quarantine, history_manifests=()):
    lengths = card_lengths(list(card_manifests))
    firsts = first_commits(iter_histories(list(history_manifests)))
    write_table(merge_parts([pq.read_table(p) for p in parts], lengths, firsts), models)
    write_table(card_quarantine(list(card_manifests)), quarantine)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
