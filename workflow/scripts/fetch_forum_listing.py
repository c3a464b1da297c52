"""Rule fetch_forum_listing: categories and the topic listing of a Discourse forum.

Resumable: stored pages and `.listing-state.json` are not declared outputs, so a killed listing
continues where it stopped; `listing.json` is written last. `DISCOURSE_API_KEY` and
`DISCOURSE_API_USERNAME` (optional) come from the environment only.
"""

from pathlib import Path

from hfreuse.forum.listing import crawl_listing


def main(listing, base_url, start, end, max_topics, requests_per_minute, timeout, max_retries):
    crawl_listing(
        Path(listing).parent,
        base_url,
        start=start,
        end=end,
        max_topics=None if max_topics is None else int(max_topics),
        requests_per_minute=float(requests_per_minute),
        timeout=float(timeout),
        max_retries=int(max_retries),
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
