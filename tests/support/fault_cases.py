"""The fault matrix (issue 11): every fault x every crawler it applies to, through the fault proxy.

Four crawlers run unchanged against :class:`fault_proxy.FaultProxy` in front of the real-data
stubs (``hub_stub``, ``forum_stub``): the Hub listing (``crawl_models``), the Hub READMEs
(``crawl_cards``), the forum listing (``crawl_listing``) and the forum topics (``crawl_topics``).
Each cell runs one crawl in a thread with a wall-clock limit, a fresh client with short
backoffs and timeouts (the client's own parameters) and fake credentials, and is judged:

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

Only ``IDENTICAL`` and ``CLEAR ERROR`` are acceptable (:data:`GOOD`). ``bench/fault_matrix.py``
prints the whole matrix; ``tests/test_fault_matrix.py`` runs it cell by cell.
"""

from __future__ import annotations

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
from hfreuse.hub.cards import crawl_cards
from hfreuse.hub.first_commits import iter_histories
from hfreuse.hub.listing import crawl_models
from hfreuse.hub.parse import card_lengths, first_commits, merge_parts, parse_pages
from hfreuse.io import read_json
from hub_stub import StubHub, assign_cards, real_models
from pytest_httpserver import HTTPServer

EXPAND = [f for f in crawl_support.EXPAND if f != "cardData"]  # the listing without card data
PAGE = 20  # small: a page that keeps timing out is asked for once at the minimum size (10)
HUB_MODELS = 450  # 23 list pages: 22 full, then 10 models and no next link
MAX_CARDS = 30
FORUM_TOPICS = 70  # listing pages of 30, 30, 10, then the empty page
TIMEOUT = 1.0  # the client's total deadline per request
WALL_SECONDS = 30.0  # a cell still running after this is a HANG (the slowest ends in ~8 s)
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


def small_site(n_topics: int = FORUM_TOPICS) -> DiscourseSite:
    """The stub forum cut to its ``n_topics`` first listed topics (pinned one included), each
    category's ``topic_count`` its true number of topics (as a real forum's)."""
    site = DiscourseSite()
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
CRAWLERS = (HUB_LISTING, HUB_CARDS, FORUM_LISTING, FORUM_TOPICS_CRAWLER)
ALL = tuple(c.name for c in CRAWLERS)
BY_NAME = {c.name: c for c in CRAWLERS}


def _hub_dir(cell: Path) -> Path:
    return cell / "snap" / "hub"


def _marker(cell: Path) -> Path:
    return _hub_dir(cell) / "cards" / "shard-1-of-1.json"


def _forum_dir(cell: Path) -> Path:
    return cell / "snap" / "forum"


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


OUTPUTS: dict[str, Callable[[Path], dict[str, Any]]] = {
    HUB_LISTING.name: hub_listing_output,
    HUB_CARDS.name: hub_cards_output,
    FORUM_LISTING.name: forum_listing_output,
    FORUM_TOPICS_CRAWLER.name: forum_topics_output,
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
    *_pair("stale (repeated) listing page", Stale, 1, LISTINGS, (FORUM_LISTING.name,)),
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
        self.hub = StubHub(models=models, cards=assign_cards(models)).install(self.hub_server)
        self.forum_server = self._server()
        self.forum = StubServer(self.forum_server, small_site())
        self.proxies = {"hub": FaultProxy(self.hub.base_url), "forum": FaultProxy(self.forum.url)}
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
        # the forum topics start from a listing crawled clean
        listing = self.workdir / "clean" / "forum-listing-only"
        self._prepare(FORUM_LISTING, listing)
        self._run(FORUM_LISTING, listing, make_client(FORUM_CREDENTIALS))
        self.templates["forum"] = listing

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
        if crawler is HUB_CARDS:
            shutil.copytree(_hub_dir(self.templates["hub"]), _hub_dir(cell))
            shutil.rmtree(_hub_dir(cell) / "cards", ignore_errors=True)
        elif crawler is FORUM_TOPICS_CRAWLER and "forum" in self.templates:
            shutil.copytree(_forum_dir(self.templates["forum"]), _forum_dir(cell))
        elif crawler.site == "forum":
            forum_raw.write_key(_forum_dir(cell), KEY)

    def _run(self, crawler: Crawler, cell: Path, client: HttpClient) -> Any:
        base = self.proxies[crawler.site].base
        if crawler is HUB_LISTING:
            return crawl_models(_hub_dir(cell), base, EXPAND, PAGE, client=client)
        if crawler is HUB_CARDS:
            return crawl_cards(_hub_dir(cell), _marker(cell), 0, 1, base, MAX_CARDS, client=client)
        if crawler is FORUM_LISTING:
            return crawl_listing(_forum_dir(cell), base, client=client)
        if not forum_raw.listing_path(_forum_dir(cell)).exists():  # the clean run: list first
            crawl_listing(_forum_dir(cell), base, client=client)
        return crawl_topics(_forum_dir(cell), client=client)

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
        thread.join(WALL_SECONDS)
        seconds = time.monotonic() - start
        hung = thread.is_alive()
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
            return HANG, f"still running after {WALL_SECONDS:g}s"
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
