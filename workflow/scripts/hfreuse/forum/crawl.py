"""Live crawl of any Discourse forum into the raw format of :mod:`hfreuse.forum.raw`.

Two resumable phases, one rule each:

* :func:`crawl_listing` stores ``/categories.json`` and pages ``/latest.json?page=N`` from 0 up
  to the first empty page (topics ordered by last activity, pinned ones first), then reads the
  first pages again ("catch-up") until it reaches topics last bumped before the listing began:
  a topic bumped while the listing ran moves to page 0, behind the crawler, and would otherwise
  be missed. Topics are selected by creation date (``start``/``end``) and, with ``max_topics``,
  the listing stops once that many are selected. Each page is stored atomically, then the
  progress file; ``listing.json`` is written last.
* :func:`crawl_topics` stores, for every selected topic, ``/t/{id}.json`` plus the posts beyond
  its first chunk through ``/t/{id}/posts.json?post_ids[]=...`` in batches of
  :data:`~hfreuse.forum.raw.POSTS_BATCH`, as one record written atomically once complete. A
  topic already stored (a resumed crawl) is not fetched again unless the listing shows it
  changed. With a previous snapshot, a topic stored there is reused (hard link) when its listing
  entry is unchanged (no bump, no new post, same category, title, pin and close state) and its
  last activity was more than ``recheck_days`` before it was fetched; otherwise it is fetched
  again (accepted answers and edits do not bump a topic, so recently active topics are
  re-checked). ``manifest.json`` is written last.

So a complete crawl costs: listing pages (with the empty page and the catch-up pages) + one
request per topic + one per further batch of posts, plus ``/categories.json``.
Network access goes only through :class:`hfreuse.clients.HttpClient`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..clients import (
    FetchError,
    HttpClient,
    Progress,
    Stats,
    discourse_auth_headers,
    library_versions,
)
from ..crawlstate import load_state, utc_now
from ..errors import InputError
from ..io import atomic_write_json, read_json
from . import raw as raw

log = logging.getLogger(__name__)

STATE_VERSION = 1
STALL_PAGES = 3  # non-empty pages in a row with no new topic: the server ignores ?page=
STATE_EVERY_SECONDS = 5.0


def make_client(
    requests_per_minute: float, timeout: float = 60.0, max_retries: int = 6
) -> HttpClient:
    """A paced client for a Discourse forum, with ``Api-Key``/``Api-Username`` when set."""
    return HttpClient(
        requests_per_minute,
        headers=discourse_auth_headers(),
        timeout=timeout,
        max_retries=max_retries,
    )


def _check(fn, doc: Any, url: str) -> Any:
    try:
        return fn(doc, f"GET {url}")
    except InputError as exc:
        raise FetchError(str(exc)) from exc


def _load_state(path: Path, settings: Mapping[str, Any]) -> dict[str, Any] | None:
    """The progress of a phase in progress, or None; refuses progress made with other settings."""
    return load_state(path, STATE_VERSION, "settings", settings)


def _total(
    state: Mapping[str, Any], client: HttpClient, stats0: Mapping[str, Any]
) -> dict[str, Any]:
    """Requests of this phase: earlier runs' (from the state) plus this run's since ``stats0``."""
    now = client.stats.as_dict()
    total = Stats()
    total.add(state.get("stats") or {})
    total.add(
        {
            **{k: now[k] - stats0[k] for k in ("requests", "retries", "errors", "rate_limited")},
            "waited_seconds": now["waited_seconds"] - stats0["waited_seconds"],
            "statuses": {
                k: v - stats0["statuses"].get(k, 0)
                for k, v in now["statuses"].items()
                if v - stats0["statuses"].get(k, 0)
            },
        }
    )
    return total.as_dict()


class _Selection:
    """Topics of the listing, in listing order, filtered by creation date, up to ``limit``."""

    def __init__(self, start: str | None, end: str | None, limit: int | None) -> None:
        self.start, self.end, self.limit = start, end, limit
        self.listed: set[int] = set()
        self.selected: list[int] = []
        self._chosen: set[int] = set()

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.selected) >= self.limit

    def add(self, entries: list[dict[str, Any]], where: str) -> int:
        """Add a page's entries; returns how many topics it listed for the first time."""
        new = 0
        for entry in entries:
            tid = entry["id"]
            if tid not in self.listed:
                self.listed.add(tid)
                new += 1
            if self.full or tid in self._chosen:
                continue
            created = raw.parse_time(entry["created_at"], f"{where}, topic {tid}")
            if raw.in_window(created, self.start, self.end):
                self._chosen.add(tid)
                self.selected.append(tid)
        return new


def crawl_listing(
    forum_dir: str | Path,
    base_url: str,
    *,
    start: str | None = None,
    end: str | None = None,
    max_topics: int | None = None,
    requests_per_minute: float = 60.0,
    timeout: float = 60.0,
    max_retries: int = 6,
    client: HttpClient | None = None,
) -> dict[str, Any]:
    """Crawl categories and the topic listing into ``forum_dir``; returns ``listing.json``."""
    forum_dir = Path(forum_dir)
    base = base_url.rstrip("/")
    for name, value in (("start", start), ("end", end)):
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError as exc:
                raise InputError(
                    f"forum.{name}: expected a date YYYY-MM-DD, got {value!r}"
                ) from exc
    if max_topics is not None and max_topics < 1:
        raise InputError(f"forum.max_topics: expected a positive number or null, got {max_topics}")
    settings = {"base_url": base, "start": start, "end": end, "max_topics": max_topics}
    state_path = forum_dir / ".listing-state.json"
    state = _load_state(state_path, settings)
    if state is None:
        state = {
            "version": STATE_VERSION,
            "settings": settings,
            "started_at": utc_now(),
            "pages_done": 0,
            "pages_finished": False,
            "catchup_done": 0,
            "catchup_finished": False,
            "stats": {},
        }
    else:
        log.info(
            "resuming the listing: %d pages and %d catch-up pages stored",
            state["pages_done"],
            state["catchup_done"],
        )
    client = client or make_client(requests_per_minute, timeout, max_retries)
    stats0 = client.stats.as_dict()
    raw.load_or_create_key(forum_dir)

    def save() -> None:
        snap = dict(state)
        snap["stats"] = _total(state, client, stats0)
        atomic_write_json(state_path, snap)

    cat_path = raw.categories_path(forum_dir)
    if not cat_path.exists():
        url = f"{base}/categories.json"
        doc = client.get_json(url, params={"include_subcategories": "true"})
        _check(raw.check_categories, doc, url)
        raw.write_json_gz(cat_path, doc)
        save()

    sel = _Selection(start, end, max_topics)
    for number in range(state["pages_done"]):
        path = raw.page_path(forum_dir, number)
        if not path.exists():
            raise InputError(
                f"{state_path}: records {state['pages_done']} pages but {path} is missing"
            )
        sel.add(raw.page_topics(read_json(path), str(path)), str(path))
    progress = Progress("listing pages")
    stalled = 0
    while not state["pages_finished"] and not sel.full:
        number = state["pages_done"]
        url = f"{base}/latest.json"
        doc = client.get_json(url, params={"page": number})
        entries = _check(raw.page_topics, doc, f"{url}?page={number}")
        raw.write_json_gz(raw.page_path(forum_dir, number), doc)
        state["pages_done"] = number + 1
        if not entries:
            state["pages_finished"] = True
        new = sel.add(entries, f"{url}?page={number}")
        stalled = stalled + 1 if entries and not new else 0
        save()
        progress.update()
        if stalled >= STALL_PAGES:
            raise FetchError(
                f"GET {url}?page={number}: {STALL_PAGES} pages in a row list no new topic; "
                "expected /latest.json to page with ?page=N"
            )

    started = raw.parse_time(state["started_at"], str(state_path))
    for number in range(state["catchup_done"]):
        path = raw.page_path(forum_dir, number, "catchup")
        if not path.exists():
            raise InputError(f"{state_path}: records a catch-up page {path} that is missing")
        sel.add(raw.page_topics(read_json(path), str(path)), str(path))
    while state["pages_finished"] and not state["catchup_finished"] and not sel.full:
        number = state["catchup_done"]
        url = f"{base}/latest.json"
        doc = client.get_json(url, params={"page": number})
        entries = _check(raw.page_topics, doc, f"{url}?page={number}")
        raw.write_json_gz(raw.page_path(forum_dir, number, "catchup"), doc)
        state["catchup_done"] = number + 1
        sel.add(entries, f"{url}?page={number} (catch-up)")
        bumped = [
            raw.last_activity(e, f"{url}?page={number}")
            for e in entries
            if not (e.get("pinned") or e.get("pinned_globally"))
        ]
        if not entries or (bumped and min(bumped) < started):
            state["catchup_finished"] = True
        save()

    listing = {
        "version": STATE_VERSION,
        "base_url": base,
        "settings": settings,
        "started_at": state["started_at"],
        "finished_at": utc_now(),
        "pages": state["pages_done"],
        "catchup_pages": state["catchup_done"],
        "reached_end": bool(state["pages_finished"]),
        "topics_listed": len(sel.listed),
        "topics_selected": len(sel.selected),
        "topic_ids": sorted(sel.selected),
        "requests": _total(state, client, stats0),
    }
    atomic_write_json(raw.listing_path(forum_dir), listing)
    log.info(
        "listing done: %d pages (+%d catch-up), %d topics listed, %d selected",
        listing["pages"],
        listing["catchup_pages"],
        listing["topics_listed"],
        listing["topics_selected"],
    )
    return listing


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


def fetch_topic(client: HttpClient, base: str, topic_id: int) -> tuple[int, Any, list[Any], int]:
    """``(status, topic, post_batches, posts_missing)`` of one topic, fully fetched."""
    url = f"{base}/t/{topic_id}.json"
    resp = client.get(url, ok_statuses=(200, *raw.UNAVAILABLE_STATUSES))
    if resp.status_code != 200:
        log.warning("GET %s: HTTP %d; recorded as unavailable", url, resp.status_code)
        return resp.status_code, None, [], 0
    try:
        topic = resp.json()
    except ValueError as exc:
        raise FetchError(
            f"GET {url}: expected a complete JSON body, got {len(resp.content)} bytes that do "
            f"not parse ({exc})"
        ) from exc
    _check(raw.check_topic_view, topic, url)
    wanted = raw.missing_post_ids(topic)
    post_batches = []
    got: set[int] = set()
    for chunk in raw.batches(wanted):
        purl = f"{base}/t/{topic_id}/posts.json"
        doc = client.get_json(purl, params=[("post_ids[]", pid) for pid in chunk])
        got.update(p["id"] for p in _check(raw.check_posts_batch, doc, purl))
        post_batches.append(doc)
    missing = len(set(wanted) - got)
    if missing:
        log.warning("topic %d: %d posts of its stream were not served", topic_id, missing)
    return 200, topic, post_batches, missing


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
) -> dict[str, Any]:
    """Fetch every selected topic with all its posts into ``forum_dir``; returns the manifest."""
    forum_dir = Path(forum_dir)
    listing = raw.read_listing(forum_dir)
    base = listing["base_url"]
    prev = Path(previous_dir) if previous_dir is not None else None
    if prev is not None and not raw.manifest_path(prev).exists():
        raise InputError(
            f"{raw.manifest_path(prev)}: forum.previous_snapshot must be a complete snapshot "
            "(its manifest is missing)"
        )
    if prev is not None and prev.resolve() == forum_dir.resolve():
        raise InputError(f"forum.previous_snapshot: {prev} is this snapshot itself")
    settings = {
        "previous_snapshot": None if prev is None else prev.parent.name,
        "recheck_days": recheck_days,
    }
    state_path = forum_dir / ".topics-state.json"
    state = _load_state(state_path, settings) or {
        "version": STATE_VERSION,
        "settings": settings,
        "started_at": utc_now(),
        "stats": {},
    }
    client = client or make_client(requests_per_minute, timeout, max_retries)
    stats0 = client.stats.as_dict()
    entries = raw.listed_entries(forum_dir)
    ids = [int(t) for t in listing["topic_ids"]]
    counts = {"fetched": 0, "kept": 0, "reused": 0, "unavailable": 0}
    posts = {"batches": 0, "missing": 0}
    progress = Progress("topics", total=len(ids))
    last_save = time.monotonic()
    for tid in ids:
        entry = entries.get(tid)
        if entry is None:
            raise InputError(f"{raw.listing_path(forum_dir)}: topic {tid} is in no stored page")
        path = raw.topic_path(forum_dir, tid)
        if path.exists():
            try:
                rec = raw.read_record(path)
            except InputError as exc:
                log.warning("%s; fetching it again", exc)
            else:
                if raw.signature(rec.get("listed") or {}) == raw.signature(entry):
                    counts["kept"] += 1
                    counts["unavailable"] += rec["status"] != 200
                    progress.update()
                    continue
        if prev is not None:
            ppath = raw.topic_path(prev, tid)
            if ppath.exists() and _reusable(
                raw.read_record(ppath), entry, recheck_days, str(ppath)
            ):
                raw.link_or_copy(ppath, path)
                counts["reused"] += 1
                progress.update()
                continue
        status, topic, post_batches, missing = fetch_topic(client, base, tid)
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
        counts["fetched"] += 1
        counts["unavailable"] += status != 200
        posts["batches"] += len(post_batches)
        posts["missing"] += missing
        progress.update()
        if time.monotonic() - last_save >= STATE_EVERY_SECONDS:
            atomic_write_json(state_path, {**state, "stats": _total(state, client, stats0)})
            last_save = time.monotonic()
    progress.update(0, force=True)
    topic_requests = _total(state, client, stats0)
    atomic_write_json(state_path, {**state, "stats": topic_requests})
    requests = Stats()
    requests.add(listing.get("requests") or {})
    requests.add(topic_requests)
    manifest = {
        "version": STATE_VERSION,
        "source": "live",
        "synthetic": False,
        "snapshot": snapshot or forum_dir.parent.name,
        "base_url": base,
        "settings": {**listing["settings"], **settings},
        "listing_started_at": listing["started_at"],
        "started_at": state["started_at"],
        "finished_at": utc_now(),
        "listing": {
            k: listing[k]
            for k in ("pages", "catchup_pages", "reached_end", "topics_listed", "topics_selected")
        },
        "topics": counts,
        "post_batches_fetched": posts["batches"],
        "posts_not_served": posts["missing"],
        "requests": requests.as_dict(),
        "listing_requests": listing.get("requests") or {},
        "topic_requests": topic_requests,
        "authenticated": "Api-Key" in client.session.headers,
        "library_versions": library_versions(),
    }
    atomic_write_json(raw.manifest_path(forum_dir), manifest)
    log.info(
        "topics done: %d fetched, %d kept from this crawl, %d reused from %s, %d unavailable; "
        "%d requests in all",
        counts["fetched"],
        counts["kept"],
        counts["reused"],
        settings["previous_snapshot"],
        counts["unavailable"],
        requests.requests,
    )
    return manifest
