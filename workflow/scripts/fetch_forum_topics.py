"""Rule fetch_forum_topics: every listed topic with all its posts (`/t/{id}.json` + batches).

`plan` (forum.plan): per topic, through the global post feed, or the cheaper (auto).
Resumable: topics already stored are not fetched again; `manifest.json` is written last. With
`forum.previous_snapshot`, unchanged topics of that snapshot are reused instead of fetched.
"""

from pathlib import Path

from hfreuse.forum.topics import crawl_topics


def main(
    listing,
    manifest,
    previous_snapshot,
    recheck_days,
    requests_per_minute,
    timeout,
    max_retries,
    max_failed_share=0.0,
    plan="topics",
):
    forum_dir = Path(manifest).parent
    previous = None
    if previous_snapshot:
        previous = forum_dir.parent.parent / str(previous_snapshot) / "forum"
    crawl_topics(
        forum_dir,
        previous_dir=previous,
        recheck_days=float(recheck_days),
        requests_per_minute=float(requests_per_minute),
        timeout=float(timeout),
        max_retries=int(max_retries),
        max_failed_share=max_failed_share,
        plan=str(plan),
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
