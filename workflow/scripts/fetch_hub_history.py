"""Fetch the commit histories of the floored models of one static history shard of the crawled
Hub listing (their first commit is their true creation date).

Resumable: the part files in the folder beside the shard marker (`history/shard-<scatter item>/`)
are not declared outputs, so a killed shard skips the models it already stored; the marker
`history/shard-<scatter item>.json` is written last. Histories that still fail after retries are
quarantined (crawl.max_failed_share). The token (optional) is `HF_TOKEN` or the
one stored by `hf auth login` (huggingface_hub.get_token()).
"""

from pathlib import Path

from hfreuse.crawl.pacing import Pace
from hfreuse.hub.first_commits import crawl_first_commits


def main(
    models,
    shard_manifest,
    shard,
    n_shards,
    endpoint,
    requests_per_minute,
    timeout,
    max_retries,
    max_failed_share=0.0,
    previous_snapshot=None,
):
    crawl_first_commits(
        Path(models).parent,
        shard_manifest,
        shard,
        n_shards,
        endpoint=endpoint,
        pace=Pace(float(requests_per_minute), float(timeout), int(max_retries)),
        max_failed_share=max_failed_share,
        previous_snapshot=previous_snapshot,
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
