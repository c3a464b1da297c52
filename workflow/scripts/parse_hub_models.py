"""Rule parse_hub_models: merge the parsed page shards, add README lengths -> models.parquet."""

import pyarrow.parquet as pq
from hfreuse.hub.parse import card_lengths, merge_parts
from hfreuse.io import write_table


def main(manifest, card_manifests, parts, models):
    lengths = card_lengths(list(card_manifests))
    write_table(merge_parts([pq.read_table(p) for p in parts], lengths), models)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
