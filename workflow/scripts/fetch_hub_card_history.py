"""Fetch the card history of a seeded sample of the crawled models with a README: the commit
where README.md first appeared and the README then (resumable, journaled; the manifest written
last). A model that still fails after the retries is quarantined (`card_history/quarantine.json`,
retried first by the next run); the job fails at its end when the quarantined share of the
sample is above crawl.max_failed_share."""

from pathlib import Path

from hfreuse.crawl.pacing import Pace
from hfreuse.hub.card_history import crawl_card_history


def main(
    models,
    manifest,
    endpoint,
    sample,
    requests_per_minute,
    timeout,
    max_retries,
    max_failed_share=0.0,
    previous_snapshot=None,
):
    crawl_card_history(
        Path(models).parent,
        manifest,
        endpoint,
        sample["size"],
        int(sample["seed"]),
        confidence=sample["confidence"],
        margin=sample["margin"],
        proportion=sample["proportion"],
        pace=Pace(float(requests_per_minute), float(timeout), int(max_retries)),
        max_failed_share=max_failed_share,
        previous_snapshot=previous_snapshot,
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
