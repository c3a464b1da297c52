"""The topic phase of the live forum crawl (raw format: :mod:`hfreuse.forum.raw`).

:func:`crawl_topics` stores, for every topic the listing selected (:mod:`hfreuse.forum.listing`),
``/t/{id}.json`` plus the posts beyond its first chunk through
``/t/{id}/posts.json?post_ids[]=...`` in batches of :data:`~hfreuse.forum.raw.POSTS_BATCH`, as
one record written atomically once complete (a batch answered with no post is asked again), or
walks the global post feed instead (:mod:`hfreuse.forum.feed`, the ``plan``). A topic answered
404/410, or 403 with Discourse's own JSON ``errors``, is recorded as unavailable; a bare 403 (its
front, e.g. Cloudflare) is asked again. A topic that still fails after the retries (a final 5xx, a
bare 403, the deadline, a reset, JSON cut short or not a topic, a post batch that stays empty) is
not stored but quarantined (``quarantine.json``, :mod:`hfreuse.crawl.quarantine`) and fetched first by
the next run; the phase fails at its end when more than ``crawl.max_failed_share`` of the selected
topics are quarantined, else the manifest lists them (``quarantined``). A topic already stored (a
resumed crawl) is not fetched again unless the listing shows it changed. With a previous
snapshot, a topic stored there is reused (hard link) when its listing entry is unchanged (no
bump, no new post, same category, title, pin and close state) and its last activity was more
than ``recheck_days`` before it was fetched; otherwise it is fetched again (accepted answers and
edits do not bump a topic, so recently active topics are re-checked). ``manifest.json`` is
written last.

The phase journals every request before it is sent (:mod:`hfreuse.forum.crawl_common`), so its
counts after a kill equal the requests the forum answered, plus at most the one in flight. A
damaged topic record is moved aside (``*.corrupt``) and fetched again.
Network access goes only through :class:`hfreuse.clients.HttpClient`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..clients import FetchError, HttpClient
from ..crawl.journal import Journal
from ..crawl.progress import Progress
from ..crawl.quarantine import Quarantine, check_max_failed_share, quarantine_path
from ..crawl.state import move_aside, remove_stale_temps, utc_now
from ..crawl.stats import Stats
from ..errors import InputError
from ..io import atomic_write_json, read_json
from . import raw as raw
from .crawl_common import (
    STATE_VERSION,
    PhaseState,
    check_answer,
    fetch_each,
    json_body,
    load_phase_state,
    make_client,
    new_phase_state,
    provenance,
)
from .feed import check_plan, choose_plan, previous_newest, restore_feed_pages, walk_feed

log = logging.getLogger(__name__)


def _reusable(rec: dict[str, Any], entry: dict[str, Any], recheck_days: float, where: str) -> bool:
    """Whether a topic stored by an earlier snapshot can stand for the current one."""
    if rec.get("status") != 200 or not isinstance(rec.get("listed"), dict):
        return False
    if raw.signature(rec["listed"]) != raw.signature(entry):
        return False
    fetched = raw.parse_time(rec.get("fetched_at"), where)
    if fetched is None:
        return False
    age = fetched - raw.last_activity(rec["listed"], where)
    return age > dt.timedelta(days=recheck_days)


def _fetch_posts_batch(
    client: HttpClient, purl: str, chunk: list[int]
) -> tuple[Any, list[dict[str, Any]]]:
    """One ``/t/{id}/posts.json`` batch; an answer with no post at all is asked for once more."""
    params = [("post_ids[]", pid) for pid in chunk]
    doc = client.get_json(purl, params=params)
    posts = check_answer(raw.check_posts_batch, doc, purl)
    if not posts:
        log.warning("GET %s: no posts served for post ids %s; asking again", purl, chunk)
        doc = client.get_json(purl, params=params)
        posts = check_answer(raw.check_posts_batch, doc, purl)
    return doc, posts


def _topic_answer_problem(resp: Any) -> str | None:
    """Why a topic's answer is not final: a 403 that is not Discourse's own refusal (a JSON body
    with ``errors``, e.g. a topic made private) is the site's front (Cloudflare) refusing for now;
    it is asked again with the client's backoff, then fails naming the URL."""
    if resp.status_code != 403:
        return None
    try:
        doc = resp.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list):
        return None
    return "HTTP 403 without Discourse's JSON 'errors' (the site's front refusing for now)"


def fetch_topic(
    client: HttpClient, base: str, topic_id: int
) -> tuple[int, Any, list[Any], int, list[int]]:
    """``(status, topic, post_batches, posts_missing, unserved)`` of one topic, fully fetched;
    ``unserved`` are the post ids of batches answered with no post at all, twice."""
    url = f"{base}/t/{topic_id}.json"
    resp = client.get_checked(
        url, _topic_answer_problem, ok_statuses=(200, *raw.UNAVAILABLE_STATUSES)
    )
    if resp.status_code != 200:
        log.warning("GET %s: HTTP %d; recorded as unavailable", url, resp.status_code)
        return resp.status_code, None, [], 0, []
    topic = json_body(resp, url)
    check_answer(raw.check_topic_view, topic, url)
    wanted = raw.missing_post_ids(topic)
    post_batches = []
    got: set[int] = set()
    unserved: list[int] = []
    purl = f"{base}/t/{topic_id}/posts.json"
    for chunk in raw.batches(wanted):
        doc, posts = _fetch_posts_batch(client, purl, chunk)
        if not posts:
            unserved.extend(chunk)
            continue
        got.update(p["id"] for p in posts)
        post_batches.append(doc)
    missing = len(set(wanted) - got - set(unserved))
    if missing:
        log.warning("topic %d: %d posts of its stream were not served", topic_id, missing)
    return 200, topic, post_batches, missing, unserved


def _check_previous(forum_dir: Path, previous_dir: str | Path | None) -> Path | None:
    """The previous snapshot to reuse topics from: complete, and not this one."""
    prev = Path(previous_dir) if previous_dir is not None else None
    if prev is not None and not raw.manifest_path(prev).exists():
        raise InputError(
            f"{raw.manifest_path(prev)}: forum.previous_snapshot must be a complete snapshot "
            "(its manifest is missing)"
        )
    if prev is not None and prev.resolve() == forum_dir.resolve():
        raise InputError(f"forum.previous_snapshot: {prev} is this snapshot itself")
    return prev


def _kept_record(path: Path, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The record this crawl already stored for a topic, if its listing entry is unchanged."""
    if not path.exists():
        return None
    try:
        rec = raw.read_record(path)
    except InputError as exc:
        move_aside(path, exc)
        return None
    if raw.signature(rec.get("listed") or {}) == raw.signature(entry):
        return rec
    return None


def _reuse_previous(
    prev: Path | None, tid: int, entry: dict[str, Any], recheck_days: float, path: Path
) -> bool:
    """Link the previous snapshot's record of a topic into this one when it can stand for it."""
    if prev is None:
        return False
    ppath = raw.topic_path(prev, tid)
    if ppath.exists() and _reusable(raw.read_record(ppath), entry, recheck_days, str(ppath)):
        raw.link_or_copy(ppath, path)
        return True
    return False


class _TopicTally:
    """What the topic phase did: topics fetched, kept, reused, unavailable; post batches."""

    def __init__(self) -> None:
        self.counts = {"fetched": 0, "kept": 0, "reused": 0, "unavailable": 0}
        self.posts = {"batches": 0, "missing": 0}
        self.newest = 0  # the newest post id fetched (the next snapshot's feed floor)
        self.plan: dict[str, Any] = {"plan": "topics"}

    def fetched(self, status: int, batches: int, missing: int) -> None:
        self.counts["fetched"] += 1
        self.counts["unavailable"] += status != 200
        self.posts["batches"] += batches
        self.posts["missing"] += missing


def _feed_plan(
    forum_dir: Path,
    base: str,
    phase: PhaseState,
    plan: str,
    entries: dict[int, dict[str, Any]],
    to_fetch: list[int],
    tally: _TopicTally,
    prev: Path | None,
    recheck_days: float,
) -> list[int]:
    """Choose the plan (:func:`hfreuse.forum.feed.choose_plan`) for the topics to fetch; with
    the feed plan, walk the feed and return the topics it did not store (fetched per topic)."""
    state = phase.state
    floor, prev_started = previous_newest(prev)
    wanted = [entries[t] for t in to_fetch]
    all_posts = sum(int(e.get("posts_count") or 1) for e in entries.values())
    chosen = choose_plan(
        forum_dir, base, phase.client, state, phase.save, plan, wanted, all_posts, floor
    )
    tally.plan = {"plan": chosen, "estimates": state.get("estimates")}
    tally.newest = max(floor, int((state.get("feed") or {}).get("newest") or 0))
    if chosen != "feed":
        return to_fetch
    feed = state["feed"]
    tally.plan["feed_pages"] = int(feed["pages_done"]) + 1
    if feed["finished"]:  # a rerun: the topics the walk stored are kept, the rest go per topic
        restore_feed_pages(forum_dir, base, phase.client, feed)
        return to_fetch
    recheck_before = None
    if prev_started is not None:
        recheck_before = prev_started - dt.timedelta(days=recheck_days)
    wanted_by_id = {t: entries[t] for t in to_fetch}
    stored = walk_feed(
        forum_dir, base, phase.client, state, phase.save, wanted_by_id, recheck_before, prev
    )
    tally.counts["fetched"] += len(stored)
    tally.plan.update(feed_pages=int(feed["pages_done"]) + 1, topics_from_feed=len(stored))
    return [t for t in to_fetch if t not in stored]


def _fetch_record(
    client: HttpClient, base: str, tid: int, entry: dict[str, Any], path: Path
) -> tuple[int, int, int, int]:
    """Fetch a topic and store its record; ``(status, post batches, posts not served, newest
    post id)``.

    A topic with a post batch served empty, twice, is not stored: a FetchError names the batch
    URL and the post ids (the topic is quarantined and fetched again by the next run)."""
    status, topic, post_batches, missing, unserved = fetch_topic(client, base, tid)
    if unserved:
        raise FetchError(
            f"GET {base}/t/{tid}/posts.json: post batches answered with no post, twice: "
            f"post ids {', '.join(map(str, unserved))}",
            status=200,
            tries=2,
        )
    record = {
        "version": raw.RECORD_VERSION,
        "topic_id": tid,
        "status": status,
        "fetched_at": utc_now(),
        "listed": entry,
        "topic": topic,
        "post_batches": post_batches,
    }
    raw.write_json_gz(path, record)
    newest = max((p["id"] for p in raw.record_posts(record)), default=0) if status == 200 else 0
    return status, len(post_batches), missing, newest


def _failed_url(exc: FetchError, base: str, tid: int) -> str:
    """The URL a topic's fetch failed at (named by the error), else the topic's URL."""
    head = str(exc).split(" ", 2)
    if len(head) > 1 and head[0] == "GET" and head[1].startswith(base):
        return head[1].rstrip(":").split("?")[0]
    return f"{base}/t/{tid}.json"


def _open_quarantine(
    forum_dir: Path, ids: list[int], prev: Path | None
) -> tuple[Quarantine, list[int]]:
    """The topic phase's quarantine (without topics no longer selected) and the order to visit
    the topics in: those quarantined by an earlier run (or by the previous snapshot) first."""
    quarantine = Quarantine(quarantine_path(forum_dir))
    selected = set(ids)
    if quarantine.discard([t for t in quarantine.ids() if int(t) not in selected]):
        quarantine.save()
    first = [int(t) for t in quarantine.ids()]
    if prev is not None:
        prev_manifest = read_json(raw.manifest_path(prev))
        first += [int(t) for t in prev_manifest.get("quarantined") or [] if int(t) in selected]
    first = list(dict.fromkeys(first))
    chosen = set(first)
    return quarantine, first + [t for t in ids if t not in chosen]


def _topics_manifest(
    forum_dir: Path,
    snapshot: str | None,
    listing: Mapping[str, Any],
    settings: Mapping[str, Any],
    state: Mapping[str, Any],
    tally: _TopicTally,
    quarantine: Quarantine,
    requests: Stats,
    topic_requests: dict[str, Any],
    client: HttpClient,
) -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "source": "live",
        "synthetic": False,
        "snapshot": snapshot or forum_dir.parent.name,
        "base_url": listing["base_url"],
        "settings": {**listing["settings"], **settings},
        "listing_started_at": listing["started_at"],
        "started_at": state["started_at"],
        "finished_at": utc_now(),
        "listing": {
            k: listing[k]
            for k in ("pages", "catchup_pages", "reached_end", "topics_listed", "topics_selected")
        },
        "topics": tally.counts,
        "post_batches_fetched": tally.posts["batches"],
        "posts_not_served": tally.posts["missing"],
        "quarantined": sorted(int(t) for t in quarantine.ids()),
        "plan": tally.plan,
        "newest_post_id": tally.newest,
        "requests": requests.as_dict(),
        "listing_requests": listing.get("requests") or {},
        "topic_requests": topic_requests,
        **provenance(client),
    }


def crawl_topics(
    forum_dir: str | Path,
    *,
    previous_dir: str | Path | None = None,
    recheck_days: float = 30.0,
    requests_per_minute: float = 60.0,
    timeout: float = 60.0,
    max_retries: int = 6,
    client: HttpClient | None = None,
    snapshot: str | None = None,
    max_failed_share: float = 0.0,
    plan: str = "topics",
) -> dict[str, Any]:
    """Fetch every selected topic with all its posts into ``forum_dir``; returns the manifest.

    ``plan``: ``topics`` fetches each topic (``/t/{id}.json`` and post batches), ``feed`` walks
    the global post feed (:mod:`hfreuse.forum.feed`; the topics it does not deliver completely
    go the per-topic way), ``auto`` takes the cheaper by the estimates made after one feed page.

    A topic whose fetch (the topic or one of its post batches) still fails after the retries is
    quarantined (``quarantine.json``; :mod:`hfreuse.crawl.quarantine`), not stored, and fetched first
    by the next run; when more than ``max_failed_share`` of the selected topics are quarantined
    at the end, the phase fails without a manifest, else the manifest lists them.

    Every request is journaled (``.topics-journal.jsonl``) between the saves of the phase's
    progress, so the manifest counts every request of every run, killed ones included."""
    forum_dir = Path(forum_dir)
    max_failed_share = check_max_failed_share(max_failed_share)
    check_plan(plan)
    client = client or make_client(requests_per_minute, timeout, max_retries)
    journal = Journal(forum_dir / ".topics-journal.jsonl")
    with journal.recording(client, None):
        return _crawl_topics(
            forum_dir,
            previous_dir,
            recheck_days,
            client,
            journal,
            snapshot,
            max_failed_share,
            plan,
        )


def _crawl_topics(
    forum_dir: Path,
    previous_dir: str | Path | None,
    recheck_days: float,
    client: HttpClient,
    journal: Journal,
    snapshot: str | None,
    max_failed_share: float,
    plan: str = "topics",
) -> dict[str, Any]:
    listing = raw.read_listing(forum_dir)
    base = listing["base_url"]
    prev = _check_previous(forum_dir, previous_dir)
    settings = {
        "previous_snapshot": None if prev is None else prev.parent.name,
        "recheck_days": recheck_days,
    }
    phase = _open_topics_phase(forum_dir, settings, client, journal)
    entries = raw.listed_entries(forum_dir)
    ids = [int(t) for t in listing["topic_ids"]]
    tally = _TopicTally()
    quarantine, order = _open_quarantine(forum_dir, ids, prev)
    progress = Progress("topics", total=len(ids))
    to_fetch = _sort_out(forum_dir, order, entries, quarantine, prev, recheck_days, tally, progress)
    to_fetch = _feed_plan(
        forum_dir, base, phase, plan, entries, to_fetch, tally, prev, recheck_days
    )
    _fetch_topics(forum_dir, base, phase, entries, to_fetch, quarantine, tally, progress)
    progress.update(0, force=True)
    topic_requests = phase.requests()
    phase.save()
    quarantine.check_share(len(ids), max_failed_share, "forum topic crawl: topics")
    requests = Stats()
    requests.add(listing.get("requests") or {})
    requests.add(topic_requests)
    manifest = _topics_manifest(
        forum_dir,
        snapshot,
        listing,
        settings,
        phase.state,
        tally,
        quarantine,
        requests,
        topic_requests,
        client,
    )
    atomic_write_json(raw.manifest_path(forum_dir), manifest)
    _log_done(tally, settings, requests)
    return manifest


def _open_topics_phase(
    forum_dir: Path, settings: Mapping[str, Any], client: HttpClient, journal: Journal
) -> PhaseState:
    """The phase's progress (resumed, or new), its counts rebased on the journal's, with the
    temporary files a killed run left behind removed."""
    state_path = forum_dir / ".topics-state.json"
    state = load_phase_state(state_path, settings) or new_phase_state(settings)
    state["stats"] = journal.resumed_stats(state.get("stats"))
    journal.rebase(state["stats"])
    remove_stale_temps(forum_dir)
    remove_stale_temps(raw.feed_page_path(forum_dir, 0).parent)  # the feed walk's pages
    for bucket in sorted((forum_dir / "topics").glob("[0-9]*")):
        remove_stale_temps(bucket)
    return PhaseState(state_path, state, client, journal)


def _sort_out(
    forum_dir: Path,
    order: list[int],
    entries: Mapping[int, dict[str, Any]],
    quarantine: Quarantine,
    prev: Path | None,
    recheck_days: float,
    tally: _TopicTally,
    progress: Progress,
) -> list[int]:
    """The topics to fetch, in ``order``: those neither kept (stored by this crawl, unchanged)
    nor reused from the previous snapshot."""
    to_fetch: list[int] = []
    for tid in order:
        entry = entries.get(tid)
        if entry is None:
            raise InputError(f"{raw.listing_path(forum_dir)}: topic {tid} is in no stored page")
        path = raw.topic_path(forum_dir, tid)
        kept = _kept_record(path, entry)
        if kept is not None:
            if quarantine.discard([str(tid)]):  # stored by a run killed before it saved this
                quarantine.save()
            tally.counts["kept"] += 1
            tally.counts["unavailable"] += kept["status"] != 200
            progress.update()
        elif _reuse_previous(prev, tid, entry, recheck_days, path):
            tally.counts["reused"] += 1
            progress.update()
        else:
            to_fetch.append(tid)
    return to_fetch


def _fetch_topics(
    forum_dir: Path,
    base: str,
    phase: PhaseState,
    entries: Mapping[int, dict[str, Any]],
    to_fetch: list[int],
    quarantine: Quarantine,
    tally: _TopicTally,
    progress: Progress,
) -> None:
    """Fetch and store each topic of ``to_fetch`` (:func:`~.crawl_common.fetch_each`: one still
    failing after the retries is quarantined; the progress is saved as it goes)."""

    def fetch(tid: int) -> None:
        path = raw.topic_path(forum_dir, tid)
        status, n_batches, missing, newest = _fetch_record(
            phase.client, base, tid, entries[tid], path
        )
        tally.fetched(status, n_batches, missing)
        tally.newest = max(tally.newest, newest)

    fetch_each(
        to_fetch,
        fetch,
        lambda tid, exc: _failed_url(exc, base, tid),
        quarantine,
        phase,
        progress,
    )


def _log_done(tally: _TopicTally, settings: Mapping[str, Any], requests: Stats) -> None:
    log.info(
        "topics done: %d fetched, %d kept from this crawl, %d reused from %s, %d unavailable; "
        "%d requests in all",
        tally.counts["fetched"],
        tally.counts["kept"],
        tally.counts["reused"],
        settings["previous_snapshot"],
        tally.counts["unavailable"],
        requests.requests,
    )
