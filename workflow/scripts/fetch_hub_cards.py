"""Fetch the README.md texts of one static card shard of the crawled Hub listing.

Resumable: the part files under `cards/shard-K-of-N/` are not declared outputs, so a killed shard
skips the models it already stored; the shard marker `cards/shard-K-of-N.json` is written last.
`HF_TOKEN` (optional) comes from the environment only.
"""

from pathlib import Path

from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.crawl import crawl_cards


def main(
    models,
    shard_manifest,
    shard,
    endpoint,
    max_cards,
    resolves_per_minute,
    timeout,
    max_retries,
):
    hub_dir = Path(models).parent
    expected = hub_raw.shard_marker(hub_dir, shard)
    if Path(shard_manifest) != expected:
        raise InputError(f"{shard_manifest}: expected the shard marker at {expected}")
    crawl_cards(
        hub_dir,
        shard,
        endpoint=endpoint,
        max_cards=None if max_cards is None else int(max_cards),
        resolves_per_minute=float(resolves_per_minute),
        timeout=float(timeout),
        max_retries=int(max_retries),
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
