"""Fetch the README.md texts of one static card shard of the crawled Hub listing.

Resumable: the part files in the folder beside the shard marker (`cards/shard-<scatter item>/`)
are not declared outputs, so a killed shard skips the models it already stored; the marker
`cards/shard-<scatter item>.json` is written last.
`HF_TOKEN` (optional) comes from the environment only.
"""

from pathlib import Path

from hfreuse.crawl.pacing import Pace
from hfreuse.hub.cards import crawl_cards


def main(
    models,
    shard_manifest,
    shard,
    n_shards,
    endpoint,
    max_cards,
    resolves_per_minute,
    timeout,
    max_retries,
    max_failed_share=0.0,
    previous_snapshot=None,
):
    crawl_cards(
        Path(models).parent,
        shard_manifest,
        shard,
        n_shards,
        endpoint=endpoint,
        max_cards=None if max_cards is None else int(max_cards),
        pace=Pace(float(resolves_per_minute), float(timeout), int(max_retries)),
        max_failed_share=max_failed_share,
        previous_snapshot=previous_snapshot,
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
