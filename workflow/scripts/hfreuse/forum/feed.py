"""The feed plan of the forum topic crawl: every post through Discourse's global post feed.

``GET /posts.json?before=ID`` serves the visible posts among the :data:`~raw.FEED_WINDOW` post
ids at or below ID, newest first; an id window with no visible post (private messages, deleted
posts) comes back empty and the walk goes on. Walking the feed from the newest post down costs
about (newest id - lowest id needed) / 50 requests whatever the number of topics; the per-topic
plan costs one request per topic plus one per further batch of 20 posts. After the listing,
:func:`choose_plan` asks for the newest feed page (``/posts.json``), estimates both and, with
``plan: auto``, takes the cheaper (both estimates are logged).

:func:`walk_feed` stores every feed page as served (``feed/page-NNNNNN.json.gz``) and saves its
progress in the topic phase's state after each page, so a killed walk resumes at the next page
(the stored pages are read again to rebuild what they delivered). A topic is stored from the
feed (a record with ``"source": "feed"``, see :mod:`hfreuse.forum.raw`) once the feed has
delivered as many posts as its listing's ``posts_count``, its first post among them, and the
accepted-answer flags agree with the listing's ``has_accepted_answer``. The walk stops at the
bottom of the feed (ID <= 0), when every wanted topic is stored or has shown its first post (no
post of it lies below), or, in an incremental crawl, below the previous snapshot's newest post
once the posts are older than its crawl minus ``recheck_days``. The topics it did not deliver
completely (``posts_count`` disagrees: hidden or moved posts, posts after the listing) are left
to the per-topic path; in an incremental crawl the posts the walk did not reach come from the
previous snapshot's record of the topic first.

A feed page still failing after the client's retries stops the crawl with an error naming its URL
(as a listing page does); the rerun resumes at that page. The posts of the wanted topics are held
in memory from a topic's newest post down to its first (most topics live a few days, so the walk
holds few at a time), and a resumed walk reads its stored pages again to rebuild them.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..clients import FetchError, HttpClient
from ..crawl.progress import Progress
from ..crawl.state import move_aside, utc_now
from ..errors import InputError
from ..io import parse_time, read_json
from . import raw as raw

log = logging.getLogger(__name__)

PLANS = ("auto", "topics", "feed")
CHUNK = 20  # posts of a /t/{id}.json answer (Discourse's chunk size)


def check_plan(plan: str) -> str:
    if plan not in PLANS:
        raise InputError(f"forum.plan: expected one of {', '.join(PLANS)}, got {plan!r}")
    return plan


def topics_plan_cost(entries: list[Mapping[str, Any]]) -> int:
    """Requests of the per-topic plan: one per topic, one per further batch of posts."""
    total = 0
    for entry in entries:
        posts = int(entry.get("posts_count") or 1)
        total += 1 + math.ceil(max(posts - CHUNK, 0) / raw.POSTS_BATCH)
    return total


def feed_plan_cost(first_before: int, floor: int) -> int:
    """Requests of the feed walk from ``first_before`` down to post id ``floor``."""
    return math.ceil(max(first_before - floor, 0) / raw.FEED_WINDOW)


def fetch_feed_page(client: HttpClient, base: str, before: int | None) -> tuple[Any, list[Any]]:
    """One feed page, checked: a page ``before`` ID must hold only posts of its id window (a
    server ignoring ``before`` would serve the newest page again)."""
    url = f"{base}/posts.json"
    where = url if before is None else f"{url}?before={before}"
    doc = client.get_json(url, params=None if before is None else {"before": before})
    try:
        posts = raw.check_feed_page(doc, f"GET {where}")
    except InputError as exc:
        raise FetchError(str(exc)) from exc
    if before is not None:
        outside = [p["id"] for p in posts if not before - raw.FEED_WINDOW < p["id"] <= before]
        if outside:
            raise FetchError(
                f"GET {where}: expected posts with ids {before - raw.FEED_WINDOW + 1} to "
                f"{before}, got ids {', '.join(map(str, outside[:10]))} (the server ignores "
                "'before'?)"
            )
    return doc, posts


def _floor_estimate(
    first_before: int, entries: list[Mapping[str, Any]], all_posts: int, floor: int
) -> int:
    """The lowest post id the walk is expected to need: ``floor`` (0 for the whole forum, the
    previous snapshot's newest post for an incremental crawl), raised when only a part of the
    listed topics is wanted in proportion of their posts (post ids follow the posts)."""
    wanted_posts = sum(int(e.get("posts_count") or 1) for e in entries)
    if floor == 0 and all_posts > wanted_posts:
        return int(first_before * (1 - wanted_posts / all_posts))
    return floor


def choose_plan(
    forum_dir: Path,
    base: str,
    client: HttpClient,
    state: dict[str, Any],
    save: Callable[[], None],
    plan: str,
    wanted: list[Mapping[str, Any]],
    all_posts: int,
    floor: int,
) -> str:
    """``"topics"`` or ``"feed"``: the plan asked for, or with ``auto`` the cheaper one by the
    estimates (logged), decided once per snapshot (kept in ``state["plan"]``)."""
    if state.get("plan") in ("topics", "feed"):
        if plan not in ("auto", state["plan"]):
            log.warning(
                "forum.plan %s: this snapshot's crawl chose the %s plan when it started and "
                "keeps it (a raw snapshot is immutable; use a new snapshot id to change it)",
                plan,
                state["plan"],
            )
        return state["plan"]
    if plan == "topics" or not wanted:
        state["plan"] = "topics"
        return "topics"
    posts = _newest_feed_page(forum_dir, base, client, state, save)
    if posts is None:
        return "topics"
    newest = max(p["id"] for p in posts)
    first_before = min(p["id"] for p in posts) - 1
    low = _floor_estimate(first_before, wanted, all_posts, floor)
    costs = {"topics": topics_plan_cost(wanted), "feed": feed_plan_cost(first_before, low)}
    chosen = plan if plan != "auto" else min(("feed", "topics"), key=lambda k: costs[k])
    _log_plan(costs, len(wanted), first_before, low, plan, chosen)
    state.update(
        plan=chosen,
        estimates=costs,
        feed={
            "newest": newest,
            "first_before": first_before,
            "floor": floor,
            "pages_done": 0,
            "finished": False,
        },
    )
    save()
    return chosen


def _newest_feed_page(
    forum_dir: Path,
    base: str,
    client: HttpClient,
    state: dict[str, Any],
    save: Callable[[], None],
) -> list[dict[str, Any]] | None:
    """The posts of the newest feed page (``/posts.json``, stored), or None when the forum
    serves no feed (403/404/410) or no recent post: then the per-topic plan, saved."""
    try:
        doc, posts = fetch_feed_page(client, base, None)
    except FetchError as exc:
        if exc.status not in raw.UNAVAILABLE_STATUSES:
            raise
        log.warning("GET %s/posts.json: %s; no post feed: the per-topic plan", base, exc)
        state["plan"] = "topics"
        save()
        return None
    raw.write_json_gz(raw.feed_page_path(forum_dir, 0), doc)
    if not posts:
        log.warning("GET %s/posts.json: no recent post visible; the per-topic plan", base)
        state["plan"] = "topics"
        save()
        return None
    return posts


def _log_plan(
    costs: Mapping[str, int], topics: int, first_before: int, low: int, plan: str, chosen: str
) -> None:
    log.info(
        "forum plan: per topic about %d requests (%d topics), feed about %d requests (post ids "
        "%d down to %d, %d a page); %s: the %s plan",
        costs["topics"],
        topics,
        costs["feed"],
        first_before,
        low,
        raw.FEED_WINDOW,
        "asked" if plan != "auto" else "cheaper",
        chosen,
    )


class _Buffers:
    """Posts the feed delivered for the wanted topics not stored yet, by topic and post id."""

    def __init__(self, wanted: Mapping[int, Mapping[str, Any]]) -> None:
        self.wanted = wanted
        self.stored: set[int] = set()
        self.posts: dict[int, dict[int, dict[str, Any]]] = {}
        self.first_seen: set[int] = set()

    def add(self, posts: list[dict[str, Any]]) -> set[int]:
        touched = set()
        for post in posts:
            tid = post["topic_id"]
            if tid not in self.wanted or tid in self.stored:
                continue
            self.posts.setdefault(tid, {}).setdefault(post["id"], post)
            if post["post_number"] == 1:
                self.first_seen.add(tid)
            touched.add(tid)
        return touched

    def open_topics(self) -> list[int]:
        return [t for t in self.wanted if t not in self.stored and t not in self.first_seen]


def complete(entry: Mapping[str, Any], posts: Mapping[int, Mapping[str, Any]]) -> bool:
    """Whether ``posts`` are a topic's every post: its ``posts_count``, post 1 among them, and
    an accepted answer flagged exactly when the listing says the topic has one."""
    if len(posts) != int(entry.get("posts_count") or 0):
        return False
    if not any(p.get("post_number") == 1 for p in posts.values()):
        return False
    flagged = any(p.get("accepted_answer") is True for p in posts.values())
    return flagged == bool(entry.get("has_accepted_answer"))


def feed_record(tid: int, entry: Mapping[str, Any], posts: Mapping[int, Any]) -> dict[str, Any]:
    """The topic record of a topic the feed delivered completely (see :mod:`raw`)."""
    ordered = sorted(posts.values(), key=lambda p: (p["post_number"], p["id"]))
    return {
        "version": raw.RECORD_VERSION,
        "topic_id": tid,
        "status": 200,
        "source": "feed",
        "fetched_at": utc_now(),
        "listed": dict(entry),
        "topic": {
            "id": tid,
            "post_stream": {"posts": ordered, "stream": [p["id"] for p in ordered]},
        },
        "post_batches": [],
    }


def _before(feed: Mapping[str, Any], number: int) -> int:
    return int(feed["first_before"]) - raw.FEED_WINDOW * (number - 1)


def _newest_created(posts: list[dict[str, Any]], where: str) -> dt.datetime | None:
    times = [parse_time(p.get("created_at"), where) for p in posts]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def stored_feed_posts(
    forum_dir: Path, base: str, client: HttpClient, feed: Mapping[str, Any], number: int
) -> list[dict[str, Any]]:
    """The posts of the walk's stored page ``number``; a page missing (deleted) or damaged
    (truncated, altered: moved aside, :func:`hfreuse.crawl.state.move_aside`) is fetched again
    into place from the same URL, so a rerun of the topic crawl recovers it."""
    path = raw.feed_page_path(forum_dir, number)
    if path.exists():
        try:
            return raw.check_feed_page(raw.read_feed_page(path), str(path))
        except InputError as exc:
            move_aside(path, exc)
    else:
        log.warning("%s: missing; it is fetched again", path)
    doc, posts = fetch_feed_page(client, base, None if number == 0 else _before(feed, number))
    raw.write_json_gz(path, doc)
    return posts


def restore_feed_pages(
    forum_dir: Path, base: str, client: HttpClient, feed: Mapping[str, Any]
) -> None:
    """Check every page of a finished walk (a rerun: the pages are the snapshot's raw evidence);
    a missing or damaged one is fetched again (:func:`stored_feed_posts`)."""
    for number in range(int(feed["pages_done"]) + 1):
        stored_feed_posts(forum_dir, base, client, feed, number)


def walk_feed(
    forum_dir: Path,
    base: str,
    client: HttpClient,
    state: dict[str, Any],
    save: Callable[[], None],
    wanted: Mapping[int, Mapping[str, Any]],
    recheck_before: dt.datetime | None = None,
    previous: Path | None = None,
) -> set[int]:
    """Walk the feed (resuming at the page after the last stored), storing every wanted topic it
    delivers completely; returns the wanted topics this run stored from the feed (``wanted``
    leaves out those stored by earlier runs: they are kept).
    ``recheck_before``: with a previous snapshot (``state["feed"]["floor"]`` its newest post),
    the walk goes below the floor until the posts are older than this."""
    feed = state["feed"]
    buffers = _Buffers(wanted)
    for number in range(int(feed["pages_done"]) + 1):
        posts = stored_feed_posts(forum_dir, base, client, feed, number)
        _store_complete(forum_dir, buffers, buffers.add(posts))
    progress = Progress("feed pages", total=feed_plan_cost(feed["first_before"], feed["floor"]))
    progress.set_done(int(feed["pages_done"]))
    while not feed["finished"]:
        number = int(feed["pages_done"]) + 1
        before = _before(feed, number)
        if before <= 0 or not buffers.open_topics():
            feed["finished"] = True
            save()
            break
        doc, posts = fetch_feed_page(client, base, before)
        raw.write_json_gz(raw.feed_page_path(forum_dir, number), doc)
        _store_complete(forum_dir, buffers, buffers.add(posts))
        feed["pages_done"] = number
        if before - raw.FEED_WINDOW < int(feed["floor"] or 0) and previous is not None:
            newest = _newest_created(posts, f"GET {base}/posts.json?before={before}")
            if recheck_before is None or (newest is not None and newest < recheck_before):
                feed["finished"] = True
        save()
        progress.update()
    progress.update(0, force=True)
    if previous is not None:
        _complete_from_previous(forum_dir, previous, buffers)
    left = [t for t in wanted if t not in buffers.stored]
    log.info(
        "feed walk done: %d pages; %d topics stored from the feed, %d left to the per-topic "
        "path (the feed did not deliver them completely)",
        int(feed["pages_done"]) + 1,
        len(buffers.stored),
        len(left),
    )
    return buffers.stored


def _store_complete(forum_dir: Path, buffers: _Buffers, touched: set[int]) -> None:
    for tid in touched:
        posts = buffers.posts.get(tid) or {}
        entry = buffers.wanted[tid]
        if complete(entry, posts):
            raw.write_json_gz(raw.topic_path(forum_dir, tid), feed_record(tid, entry, posts))
            buffers.stored.add(tid)
            buffers.posts.pop(tid, None)


def _complete_from_previous(forum_dir: Path, previous: Path, buffers: _Buffers) -> None:
    """Topics the walk did not complete, completed with the previous snapshot's posts of them
    (those below the walk); topics still incomplete are left to the per-topic path."""
    for tid in list(buffers.wanted):
        if tid in buffers.stored:
            continue
        ppath = raw.topic_path(previous, tid)
        if not ppath.exists():
            continue
        rec = raw.read_record(ppath)
        if rec["status"] != 200:
            continue
        posts = dict(buffers.posts.get(tid) or {})
        for post in raw.record_posts(rec):
            posts.setdefault(post["id"], post)
        if complete(buffers.wanted[tid], posts):
            buffers.posts[tid] = posts
            _store_complete(forum_dir, buffers, {tid})


def previous_newest(previous: Path | None) -> tuple[int, dt.datetime | None]:
    """The previous snapshot's newest post id (0 when unknown) and its crawl's start."""
    if previous is None:
        return 0, None
    manifest = read_json(raw.manifest_path(previous))
    newest = manifest.get("newest_post_id") if isinstance(manifest, dict) else None
    when = parse_time(manifest.get("started_at"), str(raw.manifest_path(previous)))
    return (int(newest) if isinstance(newest, int) else 0), when
