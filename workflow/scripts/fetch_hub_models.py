"""Crawl the Hub's model listing (`/api/models`, sorted by creation date) into the raw snapshot.

Resumable: the stored pages and `state.json` beside the manifest are not declared outputs, so a
killed crawl continues where it stopped; `manifest.json` is written last and marks completion.
`HF_TOKEN` (optional) comes from the environment only.
"""

from pathlib import Path

from hfreuse.crawl.pacing import Pace
from hfreuse.errors import InputError
from hfreuse.hub.listing import crawl_models


def main(
    manifest,
    endpoint,
    expand,
    page_size,
    oldest_models,
    requests_per_minute,
    timeout,
    max_retries,
):
    manifest = Path(manifest)
    if manifest.name != "manifest.json":
        raise InputError(f"{manifest}: the listing manifest must be named manifest.json")
    crawl_models(
        manifest.parent,
        endpoint=endpoint,
        expand=list(expand),
        page_size=int(page_size),
        oldest_models=None if oldest_models is None else int(oldest_models),
        pace=Pace(float(requests_per_minute), float(timeout), int(max_retries)),
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
