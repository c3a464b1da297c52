"""Seeded generator of a SYNTHETIC raw forum snapshot, in exactly the live crawl's raw format.

Shaped like the HuggingFace forum (discuss.huggingface.co), made up: categories like the real
ones (Beginners, Transformers, Models, Datasets, Intermediate, Spaces, ...) that open at their
real time, topics from 2020-07 growing over the years, many topics without a reply and some with
more than 20 posts (so the posts beyond the first chunk come as ``posts.json`` batches, as in a
crawl), pinned "About the category" topics and announcements, accepted answers written by staff,
by the asker and by other users, and post texts that mention model names in Zipf-like
proportions whose popularity moves over time (the Hub demo's model types and dates, with aliases
such as "GPT-2", "XLM-R", "wav2vec 2.0"), plus common words that are also model names ("clip",
"whisper", "opt", "led", "git", "sam", "align") used as plain words, and code blocks.
Usernames are ``demo_user_0042`` / ``demo_staff_03``; the manifest says ``synthetic: true``.

With ``hostile_names`` (config ``demo.hostile_names``, a security check) some categories are
served under names, and every fifth question under a title, that would run as script in a
careless HTML page or as a formula in a spreadsheet (:data:`HOSTILE_CATEGORIES`,
:data:`HOSTILE_TITLES`); the draws, and so everything else, stay the same.

:func:`generate_forum_snapshot` streams topics to disk as it makes them (memory grows only with
a small summary per topic), so it scales to today's forum size. Same seed, same bytes.

The generator is in parts: the calendar, categories and topic plan
(:mod:`hfreuse.forum.demo_plan`), the words (:mod:`hfreuse.forum.demo_text`), the topics
(:mod:`hfreuse.forum.demo_topics`); this module writes the snapshot.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import shutil
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import atomic_write_json
from . import raw as raw
from .demo_plan import (
    CATEGORIES,
    END,
    HOSTILE_CATEGORIES,
    HOSTILE_TITLES,
    iso,
    plan_topics,
    solve_mu,
)
from .demo_topics import TopicMaker, Users
from .site import BASIC_INFO, site_path

__all__ = ["CATEGORIES", "HOSTILE_CATEGORIES", "HOSTILE_TITLES", "generate_forum_snapshot"]

log = logging.getLogger(__name__)

DEMO_BASE_URL = "https://forum.demo.invalid"
DEMO_FORUM_TITLE = "hfreuse demo forum (SYNTHETIC)"
PAGE_SIZE = 30


def _prepare_dir(forum_dir: Path, n_topics: int, mean_posts_per_topic: float) -> None:
    """Check the settings; empty the demo's own snapshot (never a crawled one) and mark it."""
    if n_topics < len(CATEGORIES) + 10:
        raise InputError(
            f"demo.forum_topics: expected at least {len(CATEGORIES) + 10}, got {n_topics}"
        )
    if not 1.7 <= mean_posts_per_topic <= 50:
        raise InputError(f"mean_posts_per_topic: expected 1.7 to 50, got {mean_posts_per_topic}")
    marker = forum_dir / ".synthetic"
    if (forum_dir / "topics").exists() and not marker.exists():
        raise InputError(
            f"{forum_dir}: holds a crawled forum snapshot; the demo generator writes only into "
            "its own snapshots (use another snapshot id)"
        )
    for sub in ("topics", "latest"):
        shutil.rmtree(forum_dir / sub, ignore_errors=True)
    forum_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("synthetic demo snapshot written by hfreuse.forum.demo\n")


def _listing_order(summaries: list[tuple[str, bool, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Listing entries as ``/latest.json`` orders them: globally pinned first, then by last
    activity (newest first)."""
    pinned_entries = [s[2] for s in summaries if s[1] and s[2]["pinned_globally"]]
    rest = [s for s in summaries if not (s[1] and s[2]["pinned_globally"])]
    rest.sort(key=lambda s: (s[0], s[2]["id"]), reverse=True)
    return pinned_entries + [s[2] for s in rest]


def _write_listing_pages(forum_dir: Path, ordered: list[dict[str, Any]], users: Users) -> int:
    """The listing as the crawl stores it: 30 topics a page, up to the empty page; then the
    catch-up read of page 0 (all bumped before the crawl). Returns the number of pages."""
    users_by_id: dict[int, str] = {}
    for e in ordered:
        for poster in e["posters"]:
            uid = poster["user_id"]
            if uid not in users_by_id:
                users_by_id[uid] = users.staff[uid - 10] if uid < 1000 else users.names[uid - 1000]
    pages = [ordered[i : i + PAGE_SIZE] for i in range(0, len(ordered), PAGE_SIZE)] + [[]]
    for number, chunk in enumerate(pages):
        uids = sorted({p["user_id"] for e in chunk for p in e["posters"]})
        doc = {
            "users": [
                {"id": u, "username": users_by_id[u], "name": "", "avatar_template": ""}
                for u in uids
            ],
            "primary_groups": [],
            "topic_list": {
                "can_create_topic": False,
                "per_page": PAGE_SIZE,
                "topics": chunk,
                **(
                    {"more_topics_url": f"/latest?no_definitions=true&page={number + 1}"}
                    if len(chunk) == PAGE_SIZE
                    else {}
                ),
            },
        }
        raw.write_json_gz(raw.page_path(forum_dir, number), doc, atomic=False, level=1)
        if number == 0:
            raw.write_json_gz(raw.page_path(forum_dir, 0, "catchup"), doc, atomic=False, level=1)
    return len(pages)


def _categories_doc(
    entries: list[dict[str, Any]], names: dict[int, str] | None = None
) -> dict[str, Any]:
    """``/categories.json`` with every category's topic and post counts (``names``: names
    served instead of the usual ones, by category id)."""
    names = names or {}
    categories = {
        "category_list": {
            "can_create_category": False,
            "can_create_topic": False,
            "categories": [
                {
                    "id": c[0],
                    "name": names.get(c[0], c[1]),
                    "slug": c[2],
                    "color": f"{(c[0] * 2654435761) % 0xFFFFFF:06X}",
                    "text_color": "FFFFFF",
                    "topic_count": 0,
                    "post_count": 0,
                    "description": f"Synthetic demo category {names.get(c[0], c[1])}.",
                    "read_restricted": False,
                    "parent_category_id": None,
                    "subcategory_ids": [],
                }
                for c in sorted(CATEGORIES, key=lambda c: c[0])
            ],
        }
    }
    per_cat: dict[int, list[int]] = {}
    for e in entries:
        counts = per_cat.setdefault(e["category_id"], [0, 0])
        counts[0] += 1
        counts[1] += e["posts_count"]
    for c in categories["category_list"]["categories"]:
        c["topic_count"], c["post_count"] = per_cat.get(c["id"], [0, 0])
    return categories


def _request_counts(n_pages: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The requests a crawl of this forum would make: categories, listing pages, the catch-up
    page, one per topic and one per further batch of posts."""
    return {
        "requests": 1
        + n_pages
        + 1
        + len(entries)
        + sum(
            max(0, math.ceil((e["posts_count"] - raw.POSTS_BATCH) / raw.POSTS_BATCH))
            for e in entries
        ),
        "retries": 0,
        "errors": 0,
        "rate_limited": 0,
        "waited_seconds": 0.0,
        "statuses": {},
    }


def _site_doc() -> dict[str, Any]:
    """The demo forum's ``/site/basic-info.json`` record (:mod:`hfreuse.forum.site`)."""
    info = {"title": DEMO_FORUM_TITLE, "description": "Synthetic forum generated by hfreuse"}
    return {"url": DEMO_BASE_URL + BASIC_INFO, "status": 200, "basic_info": info}


def _write_listing_and_manifest(
    forum_dir: Path,
    crawl: str,
    n_pages: int,
    topic_ids: list[int],
    requests: dict[str, Any],
    n_posts_total: int,
    generator: dict[str, Any],
    snapshot: str | None,
) -> dict[str, Any]:
    """``listing.json`` and then ``manifest.json``, as the crawl's phases write them."""
    settings = {"base_url": DEMO_BASE_URL, "start": None, "end": None, "max_topics": None}
    listing = {
        "version": 1,
        "base_url": DEMO_BASE_URL,
        "settings": settings,
        "started_at": crawl,
        "finished_at": crawl,
        "pages": n_pages,
        "catchup_pages": 1,
        "reached_end": True,
        "topics_listed": len(topic_ids),
        "topics_selected": len(topic_ids),
        "topic_ids": sorted(topic_ids),
        "requests": requests,
        "synthetic": True,
    }
    atomic_write_json(raw.listing_path(forum_dir), listing)
    manifest = {
        "version": 1,
        "source": "demo",
        "synthetic": True,
        "note": "SYNTHETIC demo forum generated by hfreuse.forum.demo: not real forum data",
        "generator": generator,
        "snapshot": snapshot or forum_dir.parent.name,
        "base_url": DEMO_BASE_URL,
        "settings": {**settings, "previous_snapshot": None, "recheck_days": None},
        "listing_started_at": crawl,
        "started_at": crawl,
        "finished_at": crawl,
        "listing": {
            "pages": n_pages,
            "catchup_pages": 1,
            "reached_end": True,
            "topics_listed": len(topic_ids),
            "topics_selected": len(topic_ids),
        },
        "topics": {"fetched": len(topic_ids), "kept": 0, "reused": 0, "unavailable": 0},
        "posts": n_posts_total,
        "post_batches_fetched": requests["requests"] - 2 - n_pages - len(topic_ids),
        "posts_not_served": 0,
        "requests": requests,
    }
    atomic_write_json(raw.manifest_path(forum_dir), manifest)
    return manifest


def _write_topics(
    forum_dir: Path, maker: TopicMaker, plan: list[tuple[Any, str, Any]], crawl: str
) -> list[tuple[str, bool, dict[str, Any]]]:
    """Make and store the topics of the plan; returns ``(bumped_at, pinned, listing entry)`` of
    each (topics are streamed to disk; only this small summary of each stays in memory)."""
    summaries: list[tuple[str, bool, dict[str, Any]]] = []
    for created, kind, extra in plan:
        record = maker.make(created, kind, extra, crawl)
        entry = record["listed"]
        raw.write_json_gz(raw.topic_path(forum_dir, entry["id"]), record, atomic=False, level=1)
        summaries.append((entry["bumped_at"], entry["pinned"], entry))
    return summaries


def generate_forum_snapshot(
    forum_dir: str | Path,
    seed: int,
    n_topics: int,
    *,
    mean_posts_per_topic: float = 3.2,
    snapshot: str | None = None,
    hostile_names: bool = False,
) -> dict[str, Any]:
    """Write a synthetic raw forum snapshot of ``n_topics`` topics to ``forum_dir``.

    ``mean_posts_per_topic`` sets the average topic length (the HF forum of the study had about
    3.1; 4.0 gives 600,000 posts for 150,000 topics). Returns the manifest.
    """
    forum_dir = Path(forum_dir)
    _prepare_dir(forum_dir, n_topics, mean_posts_per_topic)
    rng = random.Random(seed)
    mu = solve_mu(mean_posts_per_topic)
    users = Users(rng, max(50, int(n_topics * 0.8)))
    crawl = iso(END)
    maker = TopicMaker(rng, users, mu, n_topics, hostile_names)
    summaries = _write_topics(forum_dir, maker, plan_topics(rng, n_topics), crawl)
    topic_ids = [e["id"] for _, _, e in summaries]
    n_posts_total = sum(e["posts_count"] for _, _, e in summaries)
    n_pages = _write_listing_pages(forum_dir, _listing_order(summaries), users)
    entries = [e for _, _, e in summaries]
    names = HOSTILE_CATEGORIES if hostile_names else None
    raw.write_json_gz(raw.categories_path(forum_dir), _categories_doc(entries, names), atomic=False)
    raw.write_json_gz(site_path(forum_dir), _site_doc(), atomic=False)
    key = hashlib.sha256(f"hfreuse-demo-forum-{seed}".encode()).hexdigest()
    raw.write_key(forum_dir, key)
    generator: dict[str, Any] = {
        "seed": seed,
        "n_topics": n_topics,
        "mean_posts_per_topic": mean_posts_per_topic,
    }
    if hostile_names:
        generator["hostile_names"] = True
    manifest = _write_listing_and_manifest(
        forum_dir,
        crawl,
        n_pages,
        topic_ids,
        _request_counts(n_pages, entries),
        n_posts_total,
        generator,
        snapshot,
    )
    log.info(
        "wrote a synthetic forum of %d topics and %d posts to %s",
        len(topic_ids),
        n_posts_total,
        forum_dir,
    )
    return manifest
