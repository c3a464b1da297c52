"""The fault matrix (issues 11, 20): every fault x every crawler it applies to, through the proxy.

Seven crawlers run unchanged against :class:`fault_proxy.FaultProxy` in front of the real-data
stubs (``hub_stub``, ``forum_stub``): the Hub listing (``crawl_models``), the Hub READMEs
(``crawl_cards``), the forum listing (``crawl_listing``), the forum topics (``crawl_topics``),
the forum's feed walk (``crawl_topics`` with ``plan="feed"`` against a forum with dense post
ids), the first-commit histories (``crawl_first_commits``, shard 1 of :data:`HISTORY_SHARDS`) and
the card history (``crawl_card_history``, a sample of :data:`CARD_SAMPLE`). Each cell runs one
crawl in a thread with a wall-clock limit (a crawl still running then is stopped: it may loop on
its own), a fresh client with short backoffs and timeouts (the client's own parameters) and
fake credentials, and is judged:

* ``HANG``: the crawl did not end within :data:`WALL_SECONDS`;
* ``CLEAR ERROR``: it raised one of our errors (``FetchError`` / ``InputError``) naming the URL
  (or a file that lists the URLs that failed, e.g. a quarantine file), leaving no temporary file
  behind;
* ``IDENTICAL``: it ended and its raw snapshot and parsed tables (``hfreuse.hub.parse``,
  ``hfreuse.forum.parse``) equal those of a clean crawl through the same proxy;
* ``SILENT``: it ended with data that differ from the clean crawl (what differs is named);
* ``UNCLEAR ERROR`` (another exception, or no URL in the message), ``LEAK`` (a credential header
  reached the other host of a redirect), ``HALF-WRITTEN`` (temporary files left), ``NOT
  INJECTED`` (the fault never fired: the cell would test nothing).

The feed column compares the tables and the topics stored (a topic the feed did not deliver
completely is fetched per topic by design: another record, the same rows); the history columns
compare commit dates as the instants they name (an offset or a space is no difference).

Only ``IDENTICAL`` and ``CLEAR ERROR`` are acceptable (:data:`GOOD`). ``bench/fault_matrix.py``
prints the whole matrix; ``tests/test_fault_matrix.py`` runs it cell by cell.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import crawl_support
from fault_proxy import (
    Answer,
    Fault,
    FaultProxy,
    Hang,
    Redirect,
    Refuse,
    Reset,
    Rule,
    Stale,
    Status,
    Transform,
    Trickle,
    Truncate,
)
from forum_stub import DiscourseSite, StubServer
from hfreuse.clients import FetchError, HttpClient
from hfreuse.errors import InputError
from hfreuse.forum import raw as forum_raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.parse import parse_forum
from hfreuse.forum.topics import crawl_topics
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.card_history import card_history_table, crawl_card_history, iter_card_history
from hfreuse.hub.cards import crawl_cards
from hfreuse.hub.first_commits import crawl_first_commits, iter_histories
from hfreuse.hub.listing import crawl_models
from hfreuse.hub.parse import card_lengths, first_commits, merge_parts, parse_pages
from hfreuse.io import read_json
from hub_stub import README_RE, StubHub, assign_cards, make_histories, readme_headers, real_models
from pytest_httpserver import HTTPServer

EXPAND = [f for f in crawl_support.EXPAND if f != "cardData"]  # the listing without card data
PAGE = 20  # small: a page that keeps timing out is asked for once at the minimum size (10)
HUB_MODELS = 450  # 23 list pages: 22 full, then 10 models and no next link
MAX_CARDS = 30
FORUM_TOPICS = 70  # listing pages of 30, 30, 10, then the empty page
TIMEOUT = 1.0  # the client's total deadline per request
WALL_SECONDS = 30.0  # a cell still running after this is a HANG (the slowest ends in ~8 s)
HISTORY_WALL_SECONDS = 15.0  # the same for the history columns (a clean crawl takes < 1 s)
HISTORY_SHARDS = 2  # the first-commit column crawls shard 1 of 2 (about 20 floored models)
CARD_SAMPLE = 12  # the card-history column samples 12 models with a README
#: commits asked a page by the history columns: what the stub Hub serves (its commits_limit),
#: so a full page without a next link is confirmed from the first history of the crawl on
HISTORY_PAGE = 50
KEY = "fault-matrix-pseudonym-key-0123456789abcdef"
HUB_CREDENTIALS = {"Authorization": "Bearer hf_faultmatrix_not_a_real_token"}
FORUM_CREDENTIALS = {"Api-Key": "faultmatrix-not-a-real-key", "Api-Username": "faultmatrix"}
SECRET = {"authorization", "api-key", "api-username"}

IDENTICAL, CLEAR, SILENT, HANG = "IDENTICAL", "CLEAR ERROR", "SILENT", "HANG"
GOOD = frozenset({IDENTICAL, CLEAR})


def models_table(hub_dir, markers=(), history=()):
    """models.parquet as the workflow builds it: parse_hub_pages (one shard), then
    parse_hub_models (README lengths, true dates)."""
    firsts = first_commits(iter_histories(list(history)))
    return merge_parts([parse_pages(hub_dir, 0, 1)], card_lengths(list(markers)), firsts)


def make_client(credentials: dict[str, str]) -> HttpClient:
    """A fresh client with fast backoff and a short deadline (its own knobs, not a mock)."""
    return HttpClient(
        60_000.0,
        headers=credentials,
        timeout=TIMEOUT,
        max_retries=3,
        backoff_base=0.01,
        backoff_max=0.05,
        max_wait=0.05,
    )


def small_site(n_topics: int = FORUM_TOPICS, post_ids: str = "sparse") -> DiscourseSite:
    """The stub forum cut to its ``n_topics`` first listed topics (pinned one included), each
    category's ``topic_count`` its true number of topics (as a real forum's); ``post_ids``
    ``dense`` for the feed column (post ids following the posts, as a real forum's)."""
    site = DiscourseSite(post_ids=post_ids)
    keep = {e["id"] for e in site.ordered()[:n_topics]}
    for tid in list(site.entries):
        if tid not in keep:
            del site.entries[tid]
            site.topics.pop(tid, None)
            site.fixed_view.pop(tid, None)
    per_cat = Counter(e["category_id"] for e in site.entries.values())
    for cat in site.categories["category_list"]["categories"]:
        cat["topic_count"] = per_cat[cat["id"]]
    return site


# --- the crawlers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Crawler:
    """One crawler of the matrix: where it writes, which request a fault hits by default, how
    it runs, and what of its output is compared with the clean crawl."""

    name: str
    site: str  # "hub" or "forum": the proxy it talks to
    target: tuple[str, int]  # regex on the request target, nth matching request
    credentials: dict[str, str]


HUB_LISTING = Crawler("hub listing", "hub", (r"^/api/models\?", 3), HUB_CREDENTIALS)
HUB_CARDS = Crawler("hub READMEs", "hub", (r"/README\.md$", 5), HUB_CREDENTIALS)
FORUM_LISTING = Crawler("forum listing", "forum", (r"^/latest\.json\?", 2), FORUM_CREDENTIALS)
FORUM_TOPICS_CRAWLER = Crawler("forum topics", "forum", (r"^/t/\d+\.json$", 5), FORUM_CREDENTIALS)
FORUM_FEED = Crawler("forum feed", "feed", (r"^/posts\.json\?before=", 2), FORUM_CREDENTIALS)
HUB_HISTORY = Crawler("hub histories", "hub", (r"/commits/", 5), HUB_CREDENTIALS)
CARD_HISTORY = Crawler("card history", "hub", (r"/commits/", 3), HUB_CREDENTIALS)
CRAWLERS = (
    HUB_LISTING,
    HUB_CARDS,
    FORUM_LISTING,
    FORUM_TOPICS_CRAWLER,
    FORUM_FEED,
    HUB_HISTORY,
    CARD_HISTORY,
)
ALL = tuple(c.name for c in CRAWLERS)
BY_NAME = {c.name: c for c in CRAWLERS}


def _hub_dir(cell: Path) -> Path:
    return cell / "snap" / "hub"


def _marker(cell: Path) -> Path:
    return _hub_dir(cell) / "cards" / "shard-1-of-1.json"


def _forum_dir(cell: Path) -> Path:
    return cell / "snap" / "forum"


def _history_marker(cell: Path) -> Path:
    return _hub_dir(cell) / "history" / f"shard-1-of-{HISTORY_SHARDS}.json"


def _card_history_manifest(cell: Path) -> Path:
    return _hub_dir(cell) / "card_history" / "manifest.json"


def _table_rows(tables) -> list[list[dict[str, Any]]]:
    return [t.to_pylist() for t in tables]


def hub_listing_output(cell: Path) -> dict[str, Any]:
    hub_dir = _hub_dir(cell)
    manifest = read_json(hub_dir / "manifest.json")
    keys = ("pages", "models", "stopped", "duplicates_skipped", "page_size_reduced")
    return {
        "page files": {p.name: p.read_bytes() for p in hub_raw.list_pages(hub_dir)},
        "models table": models_table(hub_dir, []).to_pylist(),
        "manifest counts": {k: manifest[k] for k in keys},
    }


def hub_cards_output(cell: Path) -> dict[str, Any]:
    hub_dir, marker = _hub_dir(cell), _marker(cell)
    doc = read_json(marker)
    keys = ("cards", "fetched", "not_found", "card_statuses")
    return {
        "README records": list(hub_raw.iter_cards(hub_raw.shard_dir(marker))),
        "models table": models_table(hub_dir, [marker]).to_pylist(),
        "marker counts": {k: doc[k] for k in keys},
    }


def forum_listing_output(cell: Path) -> dict[str, Any]:
    forum_dir = _forum_dir(cell)
    listing = read_json(forum_raw.listing_path(forum_dir))
    keys = ("pages", "catchup_pages", "reached_end", "topics_listed", "topics_selected")
    return {
        "listing pages": [read_json(p) for p in forum_raw.list_pages(forum_dir)],
        "catch-up pages": [read_json(p) for p in forum_raw.list_pages(forum_dir, "catchup")],
        "categories": read_json(forum_raw.categories_path(forum_dir)),
        "listing counts": {k: listing[k] for k in keys},
        "selected topics": listing["topic_ids"],
        "tables": _table_rows(parse_forum(forum_dir)),
    }


def forum_topics_output(cell: Path) -> dict[str, Any]:
    forum_dir = _forum_dir(cell)
    records = {}
    for path in sorted((forum_dir / "topics").rglob("*.json.gz")):
        rec = forum_raw.read_record(path)
        rec.pop("fetched_at", None)
        records[path.name] = rec
    manifest = read_json(forum_raw.manifest_path(forum_dir))
    keys = ("topics", "post_batches_fetched", "posts_not_served", "listing")
    return {
        "topic records": records,
        "manifest counts": {k: manifest[k] for k in keys},
        "tables": _table_rows(parse_forum(forum_dir)),
    }


def forum_feed_output(cell: Path) -> dict[str, Any]:
    """The feed column is judged on its tables and the topics stored: a topic the feed did not
    deliver completely is fetched per topic by design (another record, the same rows)."""
    forum_dir = _forum_dir(cell)
    stored = sorted(p.name for p in (forum_dir / "topics").rglob("*.json.gz"))
    return {"stored topics": stored, "tables": _table_rows(parse_forum(forum_dir))}


def _utc(date: Any) -> Any:
    """A commit date as the instant it names (UTC, ISO 8601): an equivalent form (an offset, a
    space) of the same instant is no difference."""
    if not isinstance(date, str):
        return date
    try:
        when = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return date
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat()


def _record(rec: dict[str, Any]) -> dict[str, Any]:
    rec = {k: v for k, v in rec.items() if k != "fetched_at"}
    if isinstance(rec.get("commits"), list):
        rec["commits"] = [
            {**c, "date": _utc(c.get("date"))} if isinstance(c, dict) else c for c in rec["commits"]
        ]
    return rec


def hub_history_output(cell: Path) -> dict[str, Any]:
    hub_dir, marker = _hub_dir(cell), _history_marker(cell)
    doc = read_json(marker)
    return {
        "history records": [_record(r) for r in iter_histories([marker])],
        "models table": models_table(hub_dir, [], [marker]).to_pylist(),
        "marker counts": {k: doc.get(k) for k in ("models", "statuses")},
    }


def card_history_output(cell: Path) -> dict[str, Any]:
    manifest = _card_history_manifest(cell)
    recs = [_record(r) for r in iter_card_history(manifest)]
    table = card_history_table(iter(recs), {r["model_id"]: True for r in recs})
    doc = read_json(manifest)
    return {
        "card-history records": recs,
        "card_history table": table.to_json(orient="records", date_format="iso"),
        "manifest counts": {k: doc.get(k) for k in ("sample", "statuses")},
    }


OUTPUTS: dict[str, Callable[[Path], dict[str, Any]]] = {
    HUB_LISTING.name: hub_listing_output,
    HUB_CARDS.name: hub_cards_output,
    FORUM_LISTING.name: forum_listing_output,
    FORUM_TOPICS_CRAWLER.name: forum_topics_output,
    FORUM_FEED.name: forum_feed_output,
    HUB_HISTORY.name: hub_history_output,
    CARD_HISTORY.name: card_history_output,
}


def difference(clean: dict[str, Any], got: dict[str, Any]) -> str | None:
    """What differs between two outputs (the parts named), or None."""
    parts = []
    for key in clean:
        if clean[key] != got.get(key):
            a, b = clean[key], got.get(key)
            if isinstance(a, dict | list) and isinstance(b, dict | list) and len(a) != len(b):
                parts.append(f"{key} ({len(b)} vs {len(a)} in the clean crawl)")
            elif isinstance(a, dict) and isinstance(b, dict):
                keys = [k for k in a if a.get(k) != b.get(k)]
                parts.append(f"{key} ({', '.join(map(str, keys[:3]))})")
            else:
                parts.append(key)
    return "; ".join(parts) or None


# --- the faults -------------------------------------------------------------------------------

CAPTIVE_PORTAL = (
    b"<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
    b"<body><form action='/login'>Accept the terms to continue</form></body></html>"
)
CLOUDFLARE_403 = b"<html><head><title>Attention Required! | Cloudflare</title></head></html>"


def _json_body(fn: Callable[[Any], Any]) -> Callable[[Answer, Rule], Answer]:
    def change(answer: Answer, rule: Rule) -> Answer:
        body = json.dumps(fn(json.loads(answer.body))).encode()
        return Answer(answer.status, answer.headers, body)

    return change


def _empty_forum_page(doc: dict[str, Any]) -> dict[str, Any]:
    doc["topic_list"]["topics"] = []
    doc["topic_list"].pop("more_topics_url", None)
    return doc


def _empty_batch(doc: dict[str, Any]) -> dict[str, Any]:
    doc["post_stream"]["posts"] = []
    return doc


def _empty_page(crawler: str) -> Fault:
    if crawler == HUB_LISTING.name:  # no models, the headers (the next link) kept
        return Transform("empty page", lambda a, r: Answer(a.status, a.headers, b"[]"))
    return Transform("empty page", _json_body(_empty_forum_page))


def _altered_body(answer: Answer, rule: Rule) -> Answer:
    body = answer.body[:-1] + (b"?" if answer.body[-1:] != b"?" else b"!")
    return Answer(answer.status, answer.headers, body)


def _cycle(answer: Answer, rule: Rule) -> Answer:
    """Page n's next link replaced by page 1's: it leads back to page 2."""
    return answer.with_header("Link", rule.answers[0].header("Link"))


@dataclass(frozen=True)
class Case:
    """A fault row of the matrix: the fault (made per crawler), how many answers it replaces
    (None: every matching request from the nth on), the crawlers it applies to, the crawlers
    that must recover from it (IDENTICAL: a retry gets the real answer) and, per crawler,
    another target than the crawler's default."""

    name: str
    make: Callable[[str], Fault]
    count: int | None
    crawlers: tuple[str, ...] = ALL
    recovers: tuple[str, ...] = ()
    target: dict[str, tuple[str, int]] = field(default_factory=dict)


def _same(fault: Callable[[], Fault]) -> Callable[[str], Fault]:
    return lambda crawler: fault()


def _pair(name: str, fault: Callable[[], Fault], n: int, crawlers=ALL, recovers=ALL, **kw):
    """The transient (``n`` answers) and the persistent row of a fault."""
    make = _same(fault)
    return (
        Case(f"{name} ({n})", make, n, crawlers, recovers, **kw),
        Case(f"{name}, persistent", make, None, crawlers, (), **kw),
    )


def _status(status: int, body: bytes, **headers: str) -> Callable[[], Fault]:
    return lambda: Status(status, body, {k.replace("_", "-"): v for k, v in headers.items()})


def _transform(name: str, fn: Callable[[Answer, Rule], Answer]) -> Callable[[], Fault]:
    return lambda: Transform(name, fn)


LISTINGS = (HUB_LISTING.name, FORUM_LISTING.name)
CARDS = (HUB_CARDS.name,)
TOPICS = (FORUM_TOPICS_CRAWLER.name,)
POST_BATCH = {FORUM_TOPICS_CRAWLER.name: (r"^/t/\d+/posts\.json\?", 1)}
NO_LINK = _transform("no Link", lambda a, r: a.with_header("Link", None))
COMMIT = _transform("commit", lambda a, r: a.with_header("X-Repo-Commit", "f" * 40))
PORTAL = _status(200, CAPTIVE_PORTAL, Content_Type="text/html; charset=utf-8")
CF_403 = _status(403, CLOUDFLARE_403, Content_Type="text/html; charset=UTF-8")

HISTORIES = (HUB_HISTORY.name, CARD_HISTORY.name)
FEED = (FORUM_FEED.name,)
PAGE_2 = r"/commits/[^?]*\?(.*&)?p=1(&|$)"  # page 2 of a history
ON_PAGE_2 = {c: (PAGE_2, 1) for c in HISTORIES}
ALL_COMMITS = {c: (r"/commits/", 1) for c in HISTORIES}
README_PROBE = {CARD_HISTORY.name: (r"/README\.md$", 3)}
P_RE = re.compile(r"([?&]p=)(\d+)")


def _link_back(steps: int) -> Callable[[Answer, Rule], Answer]:
    """A commits page's next link (to page n + 1) pointing ``steps`` pages back from it: 1 to
    the page itself, 2 to the page before (a cycle)."""

    def change(answer: Answer, rule: Rule) -> Answer:
        link = answer.header("Link") or ""
        m = P_RE.search(link)
        if not m:
            return answer
        page = max(int(m.group(2)) - steps, 0)
        link = link[: m.start()] + f"{m.group(1)}{page}" + link[m.end() :]
        return answer.with_header("Link", link).with_header("X-Total-Count", None)

    return change


def _once(change: Callable[[Answer, Rule], Answer]) -> Callable[[Answer, Rule], Answer]:
    """``change`` applied to the first answer it changes only (a one-off on a page with a
    next link, whichever request that is)."""
    done: list[bool] = []

    def once(answer: Answer, rule: Rule) -> Answer:
        if done:
            return answer
        out = change(answer, rule)
        if out != answer:
            done.append(True)
        return out

    return once


def _drop_link(answer: Answer, rule: Rule) -> Answer:
    """A full commits page without its next link (and no X-Total-Count to tell)."""
    if answer.header("Link") is None:
        return answer
    return answer.with_header("Link", None).with_header("X-Total-Count", None)


def _empty_last(answer: Answer, rule: Rule) -> Answer:
    """The last page (no next link) of a history of several pages served empty, no count."""
    if answer.header("Link") is not None or not P_RE.search(rule.target):
        return answer
    return Answer(answer.status, answer.headers, b"[]").with_header("X-Total-Count", None)


def _oldest_first(doc: Any) -> Any:
    return doc[::-1] if isinstance(doc, list) else doc


def _oldest_date(fn: Callable[[str], str]) -> Callable[[Answer, Rule], Answer]:
    """The oldest commit (last item of the last page) dated ``fn(its date)``."""

    def change(doc: Any) -> Any:
        if isinstance(doc, list) and doc and isinstance(doc[-1], dict):
            doc[-1]["date"] = fn(doc[-1]["date"])
        return doc

    body = _json_body(change)
    return lambda a, r: a if a.status != 200 or a.header("Link") else body(a, r)


def _as_offset(date: str) -> str:
    """The same instant written with a +02:00 offset."""
    when = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
    return when.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat(timespec="seconds")


def _with_space(date: str) -> str:
    """The same instant (UTC) with a space separator and no zone."""
    when = dt.datetime.fromisoformat(date.replace("Z", "+00:00")).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _readme_today(answer: Answer, rule: Rule) -> Answer:
    """A README probe at a commit where the README did not exist answered 200 with a README
    (as if today's README were served at every commit)."""
    m = README_RE.match(rule.target.split("?")[0])
    if answer.status != 404 or not m:
        return answer
    body = b"---\nlicense: mit\n---\n# today's README\n"
    headers = readme_headers(body, m.group("model"), m.group("rev"))
    return Answer(200, [*headers.items(), ("Content-Type", "text/plain")], body)


def _empty_feed_page(doc: dict[str, Any]) -> dict[str, Any]:
    doc["latest_posts"] = []
    return doc


NOT_FOUND_HTML = _status(404, b"<html><body>Not Found</body></html>", Content_Type="text/html")
REPO_NOT_FOUND = _status(
    404,
    b'{"error":"Repository not found"}',
    Content_Type="application/json",
    X_Error_Code="RepoNotFound",
)
ENTRY_NOT_FOUND = _status(404, b"Entry not found", X_Error_Code="EntryNotFound")


def _history_case(name: str, fault: Callable[[], Fault], count: int | None, **kw) -> Case:
    kw.setdefault("target", ALL_COMMITS)
    return Case(name, _same(fault), count, kw.pop("crawlers", HISTORIES), **kw)


HISTORY_CASES: tuple[Case, ...] = (
    _history_case("commits Link to the page itself", _transform("self", _link_back(1)), None),
    _history_case("commits Link back to an earlier page", _transform("back", _link_back(2)), None),
    Case(
        "commits Link repeats a page once",
        lambda c: Transform("repeat", _once(_link_back(1))),
        None,
        HISTORIES,
        target=ALL_COMMITS,
    ),
    Case(
        "commits full page without Link (1)",
        lambda c: Transform("no Link", _once(_drop_link)),
        None,
        HISTORIES,
        target=ALL_COMMITS,
    ),
    _history_case(
        "commits full page without Link, persistent", _transform("no Link", _drop_link), None
    ),
    _history_case("commits empty last page", _transform("empty last", _empty_last), None),
    _history_case("commits oldest-first", _transform("reversed", _json_body(_oldest_first)), None),
    _history_case(
        "oldest commit dated 1970-01-01",
        _transform("1970", _oldest_date(lambda d: "1970-01-01T00:00:00.000Z")),
        None,
    ),
    _history_case(
        "oldest commit dated 2099-01-01",
        _transform("2099", _oldest_date(lambda d: "2099-01-01T00:00:00.000Z")),
        None,
    ),
    _history_case(
        "oldest date with an offset (+02:00)",
        _transform("offset", _oldest_date(_as_offset)),
        None,
        recovers=HISTORIES,
    ),
    _history_case(
        "oldest date with a space",
        _transform("space", _oldest_date(_with_space)),
        None,
        recovers=HISTORIES,
    ),
    _history_case(
        "404 HTML on page 2 (1)", NOT_FOUND_HTML, 1, recovers=HISTORIES, target=ON_PAGE_2
    ),
    _history_case(
        "404 RepoNotFound on page 2 (1)", REPO_NOT_FOUND, 1, recovers=HISTORIES, target=ON_PAGE_2
    ),
    Case(
        "404 on a listed README (1)",
        _same(ENTRY_NOT_FOUND),
        1,
        (HUB_CARDS.name, CARD_HISTORY.name),
        (HUB_CARDS.name, CARD_HISTORY.name),
        README_PROBE,
    ),
    Case(
        "403 bare on README probes, persistent",
        _same(CF_403),
        None,
        (CARD_HISTORY.name,),
        target=README_PROBE,
    ),
    Case(
        "README probe 200 where none existed (1)",
        _same(_transform("today's README", _readme_today)),
        1,
        (CARD_HISTORY.name,),
        (CARD_HISTORY.name,),
        target={CARD_HISTORY.name: (r"/README\.md$", 1)},
    ),
    *_pair(
        "empty feed page",
        _transform("empty feed page", _json_body(_empty_feed_page)),
        1,
        FEED,
        FEED,
    ),
)

#: not a row: every README probe at a commit without a README answered 200 with a README that
#: names that commit and hashes to its ETag, a consistent lie no probe sequence can contradict
#: (tests/test_fault_matrix.py judges it SILENT, a known limit)
CONSISTENT_PROBE_LIE = Case(
    "README probes 200 where none existed, persistent",
    _same(_transform("today's README", _readme_today)),
    None,
    (CARD_HISTORY.name,),
    target={CARD_HISTORY.name: (r"/README\.md$", 1)},
)

CASES: tuple[Case, ...] = (
    Case(
        "429 storm (5) with Retry-After",
        _same(_status(429, b"slow down", Retry_After="7")),
        5,
        ALL,
        ALL,
    ),
    Case(
        "429 storm (5) without Retry-After", _same(_status(429, b"Too Many Requests")), 5, ALL, ALL
    ),
    Case("429 persistent", _same(_status(429, b"slow down", Retry_After="7")), None),
    *_pair("500", _status(500, b"Internal Server Error"), 2),
    *_pair("502", _status(502, b"<html><h1>502 Bad Gateway</h1></html>"), 2),
    *_pair("503", _status(503, b"Service Unavailable"), 2),
    *_pair("connection reset mid-body", Reset, 1),
    *_pair("hang, no bytes", Hang, 1),
    *_pair("trickle 1 byte/s", Trickle, 1),
    *_pair("truncated body, matching Content-Length", Truncate, 1, recovers=CARDS),
    Case("redirect, same host", _same(lambda: Redirect(cross=False)), None, ALL, ALL),
    Case("redirect, another host", _same(lambda: Redirect(cross=True)), None, ALL, ALL),
    *_pair("HTML 200 captive portal", PORTAL, 1, recovers=CARDS),
    Case("empty listing page mid-listing (1)", _empty_page, 1, LISTINGS, LISTINGS),
    Case("empty listing page mid-listing, persistent", _empty_page, None, LISTINGS),
    *_pair("Hub full page without Link", NO_LINK, 1, (HUB_LISTING.name,)),
    Case(
        "Hub cursor cycle (page 3 -> page 2)",
        _same(_transform("cycle", _cycle)),
        1,
        (HUB_LISTING.name,),
    ),
    *_pair("stale (repeated) listing page", Stale, 1, LISTINGS + FEED, (FORUM_LISTING.name,)),
    Case("401 (token revoked)", _same(_status(401, b'{"error":"Invalid credentials"}')), None),
    *_pair("403 bare (Cloudflare)", CF_403, 2, recovers=CARDS + TOPICS),
    *_pair(
        "empty post batch",
        _transform("empty batch", _json_body(_empty_batch)),
        1,
        TOPICS,
        target=POST_BATCH,
    ),
    *_pair("README body not its ETag", _transform("ETag mismatch", _altered_body), 1, CARDS),
    *_pair("README X-Repo-Commit mismatch", COMMIT, 1, CARDS),
    Case("connection refused for 0.3 s", _same(lambda: Refuse(0.3)), 1, ALL, ALL),
    Case("connection refused (proxy closed)", _same(Refuse), 1),
    *HISTORY_CASES,
)
BY_CASE = {c.name: c for c in CASES}


def cells() -> list[tuple[str, str]]:
    """Every (fault, crawler) pair that applies, in matrix order."""
    return [(case.name, crawler) for case in CASES for crawler in case.crawlers]


# --- running ----------------------------------------------------------------------------------


def names_the_url(message: str) -> bool:
    """Whether an error message names the URL that failed: in itself, or through a file it
    names that lists the URLs (e.g. a quarantine file of the items that failed)."""
    if re.search(r"https?://", message):
        return True
    for name in re.findall(r"(/[^\s,;:()']+)", message):
        path = Path(name.rstrip("."))
        if path.is_file() and re.search(r"https?://", path.read_text(errors="replace")):
            return True
    return False


@dataclass
class Outcome:
    verdict: str
    detail: str
    seconds: float
    requests: int  # requests the proxy saw
    other_host: int  # of which on the other host (after a redirect there)
    injected: int  # answers the fault replaced

    @property
    def good(self) -> bool:
        return self.verdict in GOOD


class Abandoned(BaseException):
    """Raised in a cell's crawl thread still running after its wall-clock limit."""


def abandon(thread: threading.Thread) -> None:
    """Stop ``thread`` at its next Python instruction (a crawl in an endless loop of requests
    would go on asking the proxy during the next cells)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident or 0), ctypes.py_object(Abandoned)
    )


def wall_seconds(crawler: str) -> float:
    return HISTORY_WALL_SECONDS if crawler in HISTORIES else WALL_SECONDS


class Matrix:
    """The stubs on real HTTP servers, a fault proxy in front of each, the clean crawls."""

    def __init__(self, workdir: Path | None = None) -> None:
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fault-matrix-")
            workdir = Path(self._tmp.name)
        self.workdir = Path(workdir)
        self._servers = []
        self.hub_server = self._server()
        models = real_models()[:HUB_MODELS]
        histories = make_histories(models, only_floored=False)  # the card history samples any
        self.hub = StubHub(models=models, cards=assign_cards(models), histories=histories)
        for k, (model, commits) in enumerate(sorted(histories.items())):
            self.hub.readme_from[model] = (k * 7) % len(commits)  # READMEs added along the way
        self.hub.install(self.hub_server)
        self.forum_server = self._server()
        self.forum = StubServer(self.forum_server, small_site())
        self.feed_server = self._server()
        self.feed = StubServer(self.feed_server, small_site(post_ids="dense"))
        self.proxies = {
            "hub": FaultProxy(self.hub.base_url),
            "forum": FaultProxy(self.forum.url),
            "feed": FaultProxy(self.feed.url),
        }
        self.templates: dict[str, Path] = {}
        self.clean: dict[str, dict[str, Any]] = {}
        self._n = 0
        for crawler in CRAWLERS:
            cell = self.workdir / "clean" / crawler.name.replace(" ", "-")
            self._prepare(crawler, cell)
            self._run(crawler, cell, make_client(crawler.credentials))
            self._finish(crawler, cell)
            self.clean[crawler.name] = OUTPUTS[crawler.name](cell)
            if crawler is HUB_LISTING:
                self.templates["hub"] = cell
        # the forum topics and the feed walk start from a listing crawled clean
        for site in ("forum", "feed"):
            listing = self.workdir / "clean" / f"{site}-listing-only"
            forum_raw.write_key(_forum_dir(listing), KEY)
            crawl_listing(_forum_dir(listing), self.proxies[site].base, client=make_client({}))
            self.templates[site] = listing

    def _server(self) -> HTTPServer:
        server = HTTPServer(host="127.0.0.1")
        server.start()
        self._servers.append(server)
        return server

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        for server in self._servers:
            server.clear()
            if server.is_running():
                server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    # --- one crawl ---

    def _prepare(self, crawler: Crawler, cell: Path) -> None:
        if crawler.site == "hub" and crawler is not HUB_LISTING:
            shutil.copytree(_hub_dir(self.templates["hub"]), _hub_dir(cell))
            for folder in ("cards", "history", "card_history"):
                shutil.rmtree(_hub_dir(cell) / folder, ignore_errors=True)
        elif crawler is FORUM_TOPICS_CRAWLER and "forum" in self.templates:
            shutil.copytree(_forum_dir(self.templates["forum"]), _forum_dir(cell))
        elif crawler is FORUM_FEED and "feed" in self.templates:
            shutil.copytree(_forum_dir(self.templates["feed"]), _forum_dir(cell))
        elif crawler.site in ("forum", "feed"):
            forum_raw.write_key(_forum_dir(cell), KEY)

    def _run(self, crawler: Crawler, cell: Path, client: HttpClient) -> Any:
        base = self.proxies[crawler.site].base
        if crawler is HUB_LISTING:
            return crawl_models(_hub_dir(cell), base, EXPAND, PAGE, client=client)
        if crawler is HUB_CARDS:
            return crawl_cards(_hub_dir(cell), _marker(cell), 0, 1, base, MAX_CARDS, client=client)
        if crawler is HUB_HISTORY:
            marker = _history_marker(cell)
            return crawl_first_commits(
                _hub_dir(cell), marker, 0, HISTORY_SHARDS, base, client=client,
                page_size=HISTORY_PAGE,
            )  # fmt: skip
        if crawler is CARD_HISTORY:
            manifest = _card_history_manifest(cell)
            return crawl_card_history(_hub_dir(cell), manifest, base, CARD_SAMPLE, 7,
                                      client=client, page_size=HISTORY_PAGE)  # fmt: skip
        if crawler is FORUM_LISTING:
            return crawl_listing(_forum_dir(cell), base, client=client)
        if not forum_raw.listing_path(_forum_dir(cell)).exists():  # the clean run: list first
            crawl_listing(_forum_dir(cell), base, client=client)
        plan = "feed" if crawler is FORUM_FEED else "topics"
        return crawl_topics(_forum_dir(cell), client=client, plan=plan)

    def _finish(self, crawler: Crawler, cell: Path) -> None:
        """What follows the crawl, clean: the topics of a forum listing."""
        if crawler is FORUM_LISTING:
            crawl_topics(_forum_dir(cell), client=make_client(FORUM_CREDENTIALS))

    def run_cell(self, case: Case | str, crawler_name: str) -> Outcome:
        """Run one crawl with one fault through the proxy and judge it."""
        case = BY_CASE[case] if isinstance(case, str) else case
        crawler = BY_NAME[crawler_name]
        proxy = self.proxies[crawler.site]
        proxy.reset()
        self._n += 1
        cell = self.workdir / f"cell-{self._n:03d}"
        self._prepare(crawler, cell)
        pattern, nth = case.target.get(crawler.name, crawler.target)
        rule = proxy.add(Rule(pattern, case.make(crawler.name), nth=nth, count=case.count))
        client = make_client(crawler.credentials)
        box: dict[str, Any] = {}

        def go() -> None:
            try:
                box["result"] = self._run(crawler, cell, client)
            except BaseException as exc:  # judged below
                box["error"] = exc

        start = time.monotonic()
        thread = threading.Thread(target=go, daemon=True, name=f"{case.name} x {crawler.name}")
        thread.start()
        thread.join(wall_seconds(crawler.name))
        seconds = time.monotonic() - start
        hung = thread.is_alive()
        if hung:  # stop it (a crawl looping on its own makes no hang the proxy could release)
            abandon(thread)
        proxy.release()
        if hung:
            thread.join(WALL_SECONDS)
        seen = proxy.seen()
        other = [s for s in seen if s.listener == "other"]
        leaks = sorted({k for s in other for k in s.headers if k.lower() in SECRET})
        proxy.reset()
        try:
            verdict, detail = self._judge(crawler, cell, rule, box, hung, leaks)
            return Outcome(verdict, detail, seconds, len(seen), len(other), rule.applied)
        finally:
            shutil.rmtree(cell, ignore_errors=True)

    def _judge(self, crawler, cell, rule, box, hung, leaks) -> tuple[str, str]:
        if hung:
            return HANG, f"still running after {wall_seconds(crawler.name):g}s"
        if not rule.applied:
            return "NOT INJECTED", f"no request matched {rule.pattern} (nth {rule.nth})"
        if leaks:
            return "LEAK", f"{', '.join(leaks)} sent to the other host"
        temps = sorted(p.name for p in cell.rglob("*.tmp*"))
        if temps:
            return "HALF-WRITTEN", f"temporary files left: {', '.join(temps[:3])}"
        error = box.get("error")
        if error is not None:
            first = (str(error).splitlines() or [""])[0]
            if isinstance(error, FetchError | InputError) and names_the_url(first):
                return CLEAR, first
            return "UNCLEAR ERROR", f"{type(error).__name__}: {first}"
        try:
            self._finish(crawler, cell)
            output = OUTPUTS[crawler.name](cell)
        except Exception as exc:  # the crawl said it was complete
            return SILENT, f"ended, then its output failed: {type(exc).__name__}: {exc}"
        diff = difference(self.clean[crawler.name], output)
        if diff:
            return SILENT, f"ended without error, differs: {diff}"
        return IDENTICAL, ""

    def short(self, text: str, width: int = 110) -> str:
        """``text`` without the proxies' base URLs, long queries cut (``GET /api/models?so…``)."""
        for proxy in self.proxies.values():
            text = text.replace(proxy.base, "").replace(proxy.other_base, "<other host>")
        text = re.sub(r"(\?[^\s:]{12})[^\s:]+", "\\1…", text)
        text = re.sub(r"/\S+/resolve/\S+/README\.md", "/…/README.md", text)  # a model's README
        text = re.sub(r"\b([0-9a-f]{7})[0-9a-f]{33}\b", "\\1…", text)  # commit and blob ids
        return text if len(text) <= width else text[: width - 1] + "…"
