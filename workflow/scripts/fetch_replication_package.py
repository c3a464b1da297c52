"""Rule fetch_replication_package (source paper, when paper.replication_dir is absent): download
the public GitHub archive of the replication package and keep its data files in the snapshot."""

import logging
from pathlib import Path

from hfreuse.clients import HttpClient
from hfreuse.coding.paper import extract_package

log = logging.getLogger(__name__)


def main(manifest, files, url, members, requests_per_minute=30.0):
    client = HttpClient(requests_per_minute, timeout=120.0, max_retries=4)
    data = client.get_bytes(url)
    log.info("downloaded %d bytes from %s", len(data), url)
    written = extract_package(
        data, Path(manifest).parent, members, manifest, url=url, stats=client.stats.as_dict()
    )
    missing = sorted(set(map(str, files)) - set(map(str, written)))
    if missing:
        raise RuntimeError(f"declared outputs not written: {missing}")


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
