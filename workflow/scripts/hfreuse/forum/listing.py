"""The listing phase of the live crawl of any Discourse forum (raw format: :mod:`hfreuse.forum.raw`).

:func:`crawl_listing` stores ``/categories.json`` and pages ``/latest.json?page=N`` from 0 up to
the first empty page (topics ordered by last activity, pinned ones first), then reads the first
pages again ("catch-up") until it reaches topics last bumped before the listing began: a topic
bumped while the listing ran moves to page 0, behind the crawler, and would otherwise be missed.
Topics are selected by creation date (``start``/``end``) and, with ``max_topics``, the listing
stops once that many are selected. Each page is stored atomically, then the progress file;
``listing.json`` is written last. An empty page ends the listing only when no
``more_topics_url`` (on it or the page before) says otherwise, and a page listing the same topics
as the page before is a stale copy: both are asked again, then fail naming the URL (in the
catch-up pass as in the main one). A complete listing far below the categories' ``topic_count``
is logged as a warning; it is an error when the listing ended at an empty page right after a page
that announced more. The categories ``/latest`` hides (muted by default) are listed through their
own listings, with the same checks.

The phase journals every request before it is sent (:mod:`hfreuse.forum.crawl_common`), so its
counts after a kill equal the requests the forum answered, plus at most the one in flight. A
stored listing page found damaged (or missing) rewinds the listing to it; a damaged categories
file is moved aside (``*.corrupt``) and fetched again. The topics themselves are the next phase
(:mod:`hfreuse.forum.topics`).

So a complete crawl costs: listing pages (with the empty page and the catch-up pages) + one
request per topic + one per further batch of posts, plus ``/categories.json``.
Network access goes only through :class:`hfreuse.clients.HttpClient`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..clients import FetchError, HttpClient
from ..crawl.progress import Progress
from ..crawl.state import move_aside, remove_stale_temps, utc_now
from ..errors import InputError
from ..io import atomic_write_json, read_json
from . import raw as raw
from . import site
from .crawl_common import (
    STATE_VERSION,
    PhaseState,
    check_answer,
    json_body,
    load_phase_state,
    make_client,
    new_phase_state,
    open_journal,
)

log = logging.getLogger(__name__)

STALL_PAGES = 3  # non-empty pages in a row with no new topic: the server ignores ?page=
PAGE_RETRIES = 2  # more tries of a listing page that is empty too early or a stale copy
LISTING_SHORTFALL = 0.9  # warn below this share of the categories' topic counts


class _Selection:
    """Topics of the listing, in listing order, filtered by creation date, up to ``limit``."""

    def __init__(self, start: str | None, end: str | None, limit: int | None) -> None:
        self.start, self.end, self.limit = start, end, limit
        self.listed: set[int] = set()
        self.category: dict[int, Any] = {}  # each listed topic's category (as last listed)
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
            self.category[tid] = entry.get("category_id")
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


def _check_listing_settings(start: str | None, end: str | None, max_topics: int | None) -> None:
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


def _open_listing_state(state_path: Path, settings: Mapping[str, Any]) -> dict[str, Any]:
    state = load_phase_state(state_path, settings)
    if state is None:
        return new_phase_state(
            settings, pages_done=0, pages_finished=False, catchup_done=0, catchup_finished=False
        )
    log.info(
        "resuming the listing: %d pages and %d catch-up pages stored",
        state["pages_done"],
        state["catchup_done"],
    )
    return state


def _store_categories(forum_dir: Path, base: str, phase: PhaseState) -> None:
    """``/categories.json``, once per snapshot (again if the stored copy is damaged)."""
    cat_path = raw.categories_path(forum_dir)
    if cat_path.exists():
        try:
            raw.check_categories(read_json(cat_path), str(cat_path))
        except InputError as exc:
            move_aside(cat_path, exc)
    if not cat_path.exists():
        url = f"{base}/categories.json"
        doc = phase.client.get_json(url, params={"include_subcategories": "true"})
        check_answer(raw.check_categories, doc, url)
        raw.write_json_gz(cat_path, doc)
        phase.save()


def _reread_pages(sel: _Selection, forum_dir: Path, phase: PhaseState, kind: str = "page") -> None:
    """Add the listing pages (or ``"catchup"`` pages) that earlier runs stored. At a page that
    is missing or damaged the listing is rewound (:func:`_rewind`): it resumes there."""
    state = phase.state
    count_key = "pages_done" if kind == "page" else "catchup_done"
    for number in range(int(state[count_key])):
        path = raw.page_path(forum_dir, number, kind)
        try:
            if not path.exists():
                raise InputError(f"{path}: missing")
            entries = raw.page_topics(read_json(path), str(path))
        except InputError as exc:
            _rewind(forum_dir, phase, kind, number, exc)
            return
        sel.add(entries, str(path))


def _rewind(forum_dir: Path, phase: PhaseState, kind: str, number: int, why: Exception) -> None:
    """Resume the listing at page ``number`` of ``kind``: the page is moved aside (when it
    exists) and the pages after it are deleted, as are the catch-up pages when a listing page
    is rewound (all are fetched again; a page cannot be fetched again alone, since topics move
    between pages as they are bumped)."""
    path = raw.page_path(forum_dir, number, kind)
    if path.exists():
        move_aside(path, why)
    else:
        log.warning("%s; the listing resumes at this page", why)
    state = phase.state
    later = [p for p in raw.list_pages(forum_dir, kind) if _page_number(p) > number]
    if kind == "page":
        later += raw.list_pages(forum_dir, "catchup")
        state.update(pages_done=number, pages_finished=False)
        state.update(catchup_done=0, catchup_finished=False)
    else:
        state.update(catchup_done=number, catchup_finished=False)
    for page in later:
        page.unlink()
    phase.save()


def _page_number(path: Path) -> int:
    return int(raw.PAGE_RE.match(path.name).group(2))


def _fetch_latest(
    client: HttpClient, base: str, number: int, fresh: bool = False, path: str = "/latest.json"
) -> tuple[Any, list[Any], str]:
    """Page ``number`` of ``/latest.json`` (or of the topic list at ``path``, e.g. a category's
    ``/c/{slug}/{id}.json``): the document, its topic entries and its URL.

    ``fresh`` asks caches on the way not to serve a stored copy (``Cache-Control: no-cache``)."""
    url = f"{base}{path}"
    where = f"{url}?page={number}"
    if not fresh:
        doc = client.get_json(url, params={"page": number})
    else:
        resp = client.get(url, params={"page": number}, headers={"Cache-Control": "no-cache"})
        doc = json_body(resp, where)
    return doc, check_answer(raw.page_topics, doc, where), where


def _more_url(doc: Any) -> str | None:
    """The page's ``topic_list.more_topics_url``: the server says another page follows."""
    topic_list = doc.get("topic_list") if isinstance(doc, dict) else None
    more = topic_list.get("more_topics_url") if isinstance(topic_list, dict) else None
    return more or None


def _page_problem(doc: Any, entries: list[Any], prev_doc: Any, number: int) -> str | None:
    """Why page ``number`` cannot be taken as served, or None.

    An empty page ends the listing only when the server agrees (no ``more_topics_url`` on it
    nor on the page before); a page listing exactly the topics of the page before is a stale
    copy (a cache serving the same page twice)."""
    prev_entries = raw.page_topics(prev_doc, "") if prev_doc is not None else []
    if not entries:
        if _more_url(doc):
            return f"an empty page that announces more topics ({_more_url(doc)})"
        if _more_url(prev_doc):
            return (
                f"an empty page although page {number - 1} announced more topics "
                f"({_more_url(prev_doc)})"
            )
        return None
    if prev_entries and [e["id"] for e in entries] == [e["id"] for e in prev_entries]:
        return f"the same topics as page {number - 1} (a stale copy served twice)"
    return None


def _previous_page(forum_dir: Path, number: int, prev_doc: Any, kind: str = "page") -> Any:
    if prev_doc is not None or number == 0:
        return prev_doc
    path = raw.page_path(forum_dir, number - 1, kind)
    return read_json(path) if path.exists() else None


def _checked_page(
    client: HttpClient, base: str, number: int, prev_doc: Any, path: str = "/latest.json"
) -> tuple[Any, list[Any], str]:
    """Page ``number``, asked again up to :data:`PAGE_RETRIES` times while it is an empty page
    the server does not agree ends the listing, or a copy of the page before; then a FetchError
    naming the URL. An empty page after a full page whose ``more_topics_url`` led nowhere (a
    listing of exactly a multiple of the page size) is told apart by the page after it."""
    doc, entries, where = _fetch_latest(client, base, number, path=path)
    problem = _page_problem(doc, entries, prev_doc, number)
    tries = 1
    while problem and tries <= PAGE_RETRIES:
        log.warning("GET %s: %s; asking again", where, problem)
        doc, entries, where = _fetch_latest(client, base, number, fresh=True, path=path)
        problem = _page_problem(doc, entries, prev_doc, number)
        tries += 1
    if problem and not entries and not _more_url(doc):
        # the page before was full and announced more: the listing may end right here
        after, after_entries, after_where = _fetch_latest(
            client, base, number + 1, fresh=True, path=path
        )
        if not after_entries and not _more_url(after):
            log.info("GET %s: empty as well; the listing ends at page %d", after_where, number)
            return doc, entries, where
        problem += f", and page {number + 1} lists {len(after_entries)} topics"
    if problem:
        raise FetchError(
            f"GET {where}: {problem}, after {tries} tries; the listing stops here rather than "
            "lose topics (rerun the crawl to resume at this page)"
        )
    return doc, entries, where


def _listing_estimate(forum_dir: Path) -> int | None:
    """The topics a listing should hold, estimated for its progress line: the topic counts of
    the categories of ``/categories.json`` not muted (none: None)."""
    path = raw.categories_path(forum_dir)
    cats = raw.check_categories(read_json(path), str(path))
    count = sum(int(c.get("topic_count") or 0) for c in cats if c.get("notification_level") != 0)
    return count or None


def _crawl_pages(forum_dir: Path, base: str, phase: PhaseState, sel: _Selection) -> None:
    """Page ``/latest.json`` from the first page not stored up to the empty page (or enough
    topics); a server that ignores ``?page=`` is caught after :data:`STALL_PAGES` pages."""
    state = phase.state
    expected = _listing_estimate(forum_dir)
    progress = Progress("listing topics", total=expected, initial=len(sel.listed), estimated=True)
    stalled = 0
    prev_doc = None
    while not state["pages_finished"] and not sel.full:
        number = state["pages_done"]
        prev_doc = _previous_page(forum_dir, number, prev_doc)
        doc, entries, where = _checked_page(phase.client, base, number, prev_doc)
        raw.write_json_gz(raw.page_path(forum_dir, number), doc)
        state["pages_done"] = number + 1
        if not entries:
            state["pages_finished"] = True
        new = sel.add(entries, where)
        stalled = stalled + 1 if entries and not new else 0
        phase.save()
        # the total: the categories' topic counts, else the highest topic id listed
        progress.set_done(len(sel.listed), estimate=expected or max(sel.listed, default=None))
        prev_doc = doc
        if stalled >= STALL_PAGES:
            raise FetchError(
                f"GET {where}: {STALL_PAGES} pages in a row list no new topic; "
                "expected /latest.json to page with ?page=N"
            )


def _hidden_categories(cats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The categories ``/latest`` leaves out: muted by default (``notification_level`` 0) or
    under a muted parent."""
    by_id = {c["id"]: c for c in cats}

    def muted(cat: dict[str, Any], depth: int = 0) -> bool:
        if cat.get("notification_level") == 0:
            return True
        parent = by_id.get(cat.get("parent_category_id"))
        return parent is not None and depth < 10 and muted(parent, depth + 1)

    return [c for c in cats if muted(c)]


def _category_counts(
    forum_dir: Path, sel: _Selection, with_hidden: bool = False
) -> tuple[int, int, int]:
    """``(listed, expected, categories)``: topics listed in the categories of
    ``/categories.json`` the listing covers, their ``topic_count`` sum, how many categories.

    Muted categories (``notification_level`` 0, and their subcategories) are left out of
    ``/latest``, and topics of categories not in ``/categories.json`` (hidden from it) are not
    compared. Each category's ``topic_count`` is its own topics (a parent's does not include its
    subcategories'); the counts include unlisted topics."""
    path = raw.categories_path(forum_dir)
    cats = raw.check_categories(read_json(path), str(path))
    hidden = set() if with_hidden else {c["id"] for c in _hidden_categories(cats)}
    covered = {c["id"] for c in cats if c["id"] not in hidden}
    expected = sum(int(c.get("topic_count") or 0) for c in cats if c["id"] in covered)
    listed = sum(1 for tid in sel.listed if sel.category.get(tid) in covered)
    return listed, expected, len(covered)


def _check_against_categories(forum_dir: Path, sel: _Selection) -> None:
    """Warn when the listing holds far fewer topics than the categories count (see
    :func:`_category_counts`; the counts include unlisted topics, so a shortfall is a warning,
    not an error, unless the end itself is in doubt: :func:`_check_announced_end`)."""
    listed, expected, covered = _category_counts(forum_dir, sel, with_hidden=True)
    if expected and listed < LISTING_SHORTFALL * expected:
        log.warning(
            "the listing holds %d topics of the %d that /categories.json counts in the %d "
            "categories it covers (%.0f%%, below %.0f%%): topics may be missing from the "
            "listing (the counts also include unlisted topics)",
            listed,
            expected,
            covered,
            100.0 * listed / expected,
            100.0 * LISTING_SHORTFALL,
        )


def _check_announced_end(forum_dir: Path, base: str, phase: PhaseState, sel: _Selection) -> None:
    """An empty last page right after a page that announced more topics (``more_topics_url``;
    accepted by :func:`_checked_page` because the page after it is empty too) ends the listing
    only if the categories' counts agree. Otherwise the server may be serving empty pages from
    there on: the empty page is dropped (a rerun asks for it again) and the listing fails naming
    its URL."""
    state = phase.state
    last = int(state["pages_done"]) - 1
    if not state["pages_finished"] or last < 1:
        return
    before = read_json(raw.page_path(forum_dir, last - 1))
    listed, expected, _ = _category_counts(forum_dir, sel)
    if not _more_url(before) or not expected or listed >= LISTING_SHORTFALL * expected:
        return
    raw.page_path(forum_dir, last).unlink()
    state.update(pages_done=last, pages_finished=False)
    phase.save()
    raise FetchError(
        f"GET {base}/latest.json?page={last}: empty (and the page after it), although page "
        f"{last - 1} announced more topics ({_more_url(before)}) and the listing holds "
        f"{listed} of the {expected} topics /categories.json counts; the listing stops here "
        "rather than lose topics (rerun the crawl to ask for this page again)"
    )


def _crawl_catchup(
    forum_dir: Path, base: str, phase: PhaseState, sel: _Selection, started: dt.datetime
) -> None:
    """Read the first pages again until a page reaches topics bumped before the listing began,
    with the checks of the main pass (an empty page the server does not agree ends the
    listing, or a stale copy of the page before, is asked again, then stops the listing)."""
    state = phase.state
    prev_doc = None
    while state["pages_finished"] and not state["catchup_finished"] and not sel.full:
        number = state["catchup_done"]
        prev_doc = _previous_page(forum_dir, number, prev_doc, "catchup")
        doc, entries, where = _checked_page(phase.client, base, number, prev_doc)
        prev_doc = doc
        raw.write_json_gz(raw.page_path(forum_dir, number, "catchup"), doc)
        state["catchup_done"] = number + 1
        sel.add(entries, f"{where} (catch-up)")
        bumped = [
            raw.last_activity(e, where)
            for e in entries
            if not (e.get("pinned") or e.get("pinned_globally"))
        ]
        if not entries or (bumped and min(bumped) < started):
            state["catchup_finished"] = True
        phase.save()


def _list_topics(forum_dir: Path, base: str, phase: PhaseState, sel: _Selection) -> _Selection:
    """The categories, the listing pages and the catch-up pages, resumed where they stopped."""
    state = phase.state
    raw.load_or_create_key(forum_dir)
    _store_categories(forum_dir, base, phase)
    if site.store_site(forum_dir, base, phase.client):
        phase.save()
    _reread_pages(sel, forum_dir, phase)
    _crawl_pages(forum_dir, base, phase, sel)
    _check_announced_end(forum_dir, base, phase, sel)
    started = raw.parse_time(state["started_at"], str(phase.path))
    _reread_pages(sel, forum_dir, phase, "catchup")
    _crawl_catchup(forum_dir, base, phase, sel, started)
    if state["pages_finished"] and state["catchup_finished"]:
        _crawl_hidden_categories(forum_dir, base, phase, sel)
    if state["pages_finished"]:
        _check_against_categories(forum_dir, sel)
    return sel


def _crawl_hidden_categories(
    forum_dir: Path, base: str, phase: PhaseState, sel: _Selection
) -> None:
    """The topics of the categories ``/latest`` hides (:func:`_hidden_categories`), through each
    category's own listing ``/c/{slug}/{id}.json?page=N`` up to its empty page, with the checks
    of the main pass, then its first pages again (catch-up) until they reach topics bumped
    before that category's listing began. Stored as ``latest/category-{id}-NNNNNN.json.gz``
    (catch-up: ``category-{id}-catchup-NNNNNN``); the progress is kept per category."""
    path = raw.categories_path(forum_dir)
    hidden = _hidden_categories(raw.check_categories(read_json(path), str(path)))
    state = phase.state
    done = state.setdefault("hidden", {})
    for cat in hidden:
        if sel.full:
            return
        cid = cat["id"]
        prog = done.setdefault(str(cid), {"pages": 0, "catchup": 0, "started_at": utc_now()})
        for kind in ("category", "category-catchup"):
            count = "pages" if kind == "category" else "catchup"
            for number in range(int(prog[count])):
                page = raw.category_page_path(forum_dir, cid, number, kind)
                sel.add(raw.page_topics(raw.read_page(page), str(page)), str(page))
        slug = cat.get("slug") or str(cid)
        listing = f"/c/{slug}/{cid}.json"
        started = raw.parse_time(prog["started_at"], str(phase.path))
        for kind, count in (("category", "pages"), ("category-catchup", "catchup")):
            finished = f"{count}_finished"
            prev_doc = None
            while not prog.get(finished) and not sel.full:
                number = int(prog[count])
                if prev_doc is None and number > 0:
                    prev_doc = read_json(raw.category_page_path(forum_dir, cid, number - 1, kind))
                doc, entries, where = _checked_page(phase.client, base, number, prev_doc, listing)
                raw.write_json_gz(raw.category_page_path(forum_dir, cid, number, kind), doc)
                prog[count] = number + 1
                sel.add(entries, where)
                bumped = [
                    raw.last_activity(e, where)
                    for e in entries
                    if not (e.get("pinned") or e.get("pinned_globally"))
                ]
                if not entries or (kind != "category" and bumped and min(bumped) < started):
                    prog[finished] = True
                phase.save()
                prev_doc = doc
        log.info("hidden category %s (%d): %d pages", cat.get("name"), cid, prog["pages"])


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
    _check_listing_settings(start, end, max_topics)
    settings = {"base_url": base, "start": start, "end": end, "max_topics": max_topics}
    state_path = forum_dir / ".listing-state.json"
    state = _open_listing_state(state_path, settings)
    journal = open_journal(forum_dir, "listing", state)
    for folder in (forum_dir, forum_dir / "latest"):
        remove_stale_temps(folder)
    client = client or make_client(requests_per_minute, timeout, max_retries)
    with journal.recording(client, state["stats"]):
        phase = PhaseState(state_path, state, client, journal)
        sel = _list_topics(forum_dir, base, phase, _Selection(start, end, max_topics))
        requests = phase.requests()

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
        "requests": requests,
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
