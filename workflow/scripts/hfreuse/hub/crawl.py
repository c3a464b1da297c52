"""Live crawl of a Hub-compatible endpoint into the raw snapshot format of :mod:`hfreuse.hub.raw`.

Two resumable crawls:

* :func:`crawl_models` pages ``<endpoint>/api/models`` itself (sorted by creation date, a stable
  key, with the ``expand[]`` fields) and follows the ``Link: <...>; rel="next"`` cursor. Each page
  is stored atomically, *then* ``state.json`` (next URL, counts, request statistics) is replaced
  atomically, so a crawl killed at any instant resumes at the first page it had not recorded: a
  page fetched again on resume is simply rewritten. ``manifest.json`` is written last and is the
  only file a workflow should declare.

  The listing ends only when the server's two end signals agree: a page with fewer models than
  asked (or none) *and* no next link. A page that contradicts itself (no models but a next link;
  a full page without one) is fetched again with the client's retries, then the crawl stops with a
  FetchError naming the URL: a listing cut there could not be known complete. A next link to a
  page already stored in this crawl (a cursor that cycles: page 3 -> page 2 -> page 3) stops the
  crawl before the page is stored. The cursors visited are the ``url`` of the stored pages, which
  a resumed run reads back with the state, so the check holds across runs.
* :func:`crawl_cards` fetches ``README.md`` of the models whose file list has one, for one static
  shard (stable hash of the model id). Each verified record is appended to the shard's journal
  (fsync'd), then goes to part files of a few hundred records; the models already in part files
  or in the journal are skipped on resume, so a kill loses at most the README in flight, and the
  parts come out as those of a crawl never killed. The shard marker is written last.

Both crawls journal every request before it is sent (:class:`hfreuse.crawlstate.Journal`), so
their counts after a kill equal the requests the server answered, plus at most the one in flight.
A stored page or part found damaged (or missing) on resume is moved aside (``*.corrupt``) and
fetched again into place.

  A README answered 200 is stored only if it is the file asked for: an HTML page (``text/html``,
  or a body opening with ``<!DOCTYPE html`` / ``<html``: a captive portal or an error page) is
  not; when the Hub sends the file's git blob id as ``ETag`` (40 hex digits; 64 for the sha256 of
  an LFS file) the body must hash to it (a body cut short is caught even with a matching
  ``Content-Length``), and ``X-Repo-Commit`` must be the commit asked for (when a commit id was
  asked for, not ``main``). Such an answer is fetched again with the client's retries.

  A README that still fails after the retries (such an answer, a final 5xx, a bare 403 that
  persists, the total deadline, a reset) is quarantined (:mod:`hfreuse.quarantine`): recorded in
  the shard's ``quarantine.json`` with the reason, not stored, and retried first by the next run;
  the shard fails at its end when more than ``crawl.max_failed_share`` of its READMEs are
  quarantined.

  Statuses. Recorded at once without text (final): 404 (no README), 410, 451, a 403 that carries
  the Hub's own ``X-Error-Code`` (gated, disabled repository), and, for an anonymous crawl only,
  a 401 with ``X-Error-Code`` ``GatedRepo`` / ``RepoNotFound`` (a repository gone private or
  deleted since the listing). A bare 403 is the Hub's front (Cloudflare) refusing for now: it is
  retried with backoff like a 5xx and quarantined if it persists after the retries. Any other
  401 means the token (or anonymous access) was refused: it would refuse every model, so the crawl
  stops at once with a clear error, keeping the READMEs already fetched (a rerun resumes); a 401
  on a listing page stops the listing the same way.

Network access goes through :class:`hfreuse.clients.HttpClient` (pacing, 429/``RateLimit``
handling, retries). ``HF_TOKEN`` is read from the environment only and sent as a bearer token;
manifests record whether a token was used, never the token.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from ..clients import (
    CreationEstimate,
    FetchError,
    HttpClient,
    Progress,
    Stats,
    hub_token,
    library_versions,
)
from ..crawlstate import (
    Journal,
    ShardsProgress,
    load_state,
    move_aside,
    remove_stale_temps,
    utc_now,
)
from ..errors import InputError
from ..io import atomic_write_json, atomic_write_json_gz, atomic_write_jsonl_gz, read_json
from ..quarantine import (
    CrawlStopped,
    Quarantine,
    check_max_failed_share,
    quarantinable,
    quarantine_path,
)
from ..shards import check_shard, stable_shard
from . import raw as hub_raw

log = logging.getLogger(__name__)

LIST_PATH = "/api/models"
SORT_KEY = "createdAt"  # immutable, so the cursor neither skips nor repeats models
SORT_DIRECTION = 1  # oldest first: new models only ever append to the end of the listing
EXPAND_PARAM = "expand"  # repeated plain "expand", as huggingface_hub sends it (list_models)
PART_SIZE = 250  # README records per part file
# README answers recorded rather than fatal (text null): a missing file, and the rare repository
# that is gated, disabled or blocked; one odd model must not stop a crawl of millions.
CARD_STATUSES = (200, 401, 403, 404, 410, 451)
FINAL_CARD_STATUSES = (404, 410, 451)  # recorded as answered (see the module docstring)
ANONYMOUS_401_CODES = ("GatedRepo", "RepoNotFound")
_HEX = re.compile(r"^[0-9a-f]+$")
STATE_VERSION = 1
JOURNAL = "journal.jsonl"  # request counts since the last state save (crawlstate.Journal)


def list_query(expand: Sequence[str], page_size: int) -> list[tuple[str, str]]:
    """Query parameters of the first listing page (later pages follow the server's cursor)."""
    query = [
        ("sort", SORT_KEY),
        ("direction", str(SORT_DIRECTION)),
        ("limit", str(int(page_size))),
    ]
    return query + [(EXPAND_PARAM, str(field)) for field in expand]


def first_page_url(endpoint: str, expand: Sequence[str], page_size: int) -> str:
    return f"{endpoint.rstrip('/')}{LIST_PATH}?{urlencode(list_query(expand, page_size))}"


MIN_PAGE_SIZE = 10


def with_page_size(url: str, size: int) -> str:
    """``url`` with its ``limit`` set to ``size``."""
    parts = urlsplit(url)
    query = [(k, str(size) if k == "limit" else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def smaller_page_url(url: str, min_size: int = MIN_PAGE_SIZE) -> str | None:
    """``url`` with its ``limit`` halved, or None when it is already at ``min_size``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    limits = [int(v) for k, v in query if k == "limit" and v.isdigit()]
    if not limits or limits[0] <= min_size:
        return None
    return with_page_size(url, max(min_size, limits[0] // 2))


def _segment(segment: str) -> str:
    """One percent-encoded path segment; the dot segments ``.`` and ``..`` encoded too."""
    if segment in (".", ".."):
        return segment.replace(".", "%2E")
    return quote(segment, safe="")


def card_url(endpoint: str, model_id: str, revision: str) -> str:
    """``<endpoint>/<model_id>/resolve/<revision>/README.md``, each path segment of the model id
    percent-encoded (a ``.`` or ``..`` segment as ``%2E`` / ``%2E%2E``, so that no client or
    server resolves it into another path)."""
    path = "/".join(_segment(s) for s in model_id.split("/"))
    return f"{endpoint.rstrip('/')}/{path}/resolve/{_segment(revision)}/README.md"


def auth_headers() -> dict[str, str]:
    """``Authorization: Bearer $HF_TOKEN`` when the environment has a token, else nothing."""
    token = hub_token()
    return {"Authorization": f"Bearer {token}"} if token else {}


@dataclass(frozen=True)
class Pace:
    """How a crawl sends its requests: at most ``per_minute`` a minute, ``timeout`` seconds each,
    a failed one retried up to ``max_retries`` times."""

    per_minute: float
    timeout: float = 60.0
    max_retries: int = 6


LISTING_PACE = Pace(90.0)  # the listing crawl's default
CARD_PACE = Pace(550.0)  # the card crawl's default (README resolves are cheap)


def make_client(pace: Pace, accept: str | None = None) -> HttpClient:
    """A client for the Hub paced by ``pace``, authenticated when ``HF_TOKEN`` is set."""
    headers = auth_headers()
    if accept:
        headers["Accept"] = accept
    return HttpClient(
        pace.per_minute, headers=headers, timeout=pace.timeout, max_retries=pace.max_retries
    )


def _token_used(client: HttpClient) -> bool:
    return "Authorization" in client.session.headers


def _per_minute(client: HttpClient) -> float:
    return round(60.0 / client.interval, 3)


#: Query keys of listing states written before a rename (old name -> current name).
RENAMED_QUERY_KEYS = {"max_models": "oldest_models"}


def _load_state(path: Path, query: Mapping[str, Any]) -> dict[str, Any] | None:
    """The progress of a crawl in progress, or None; refuses progress made with another query.

    A listing state written before ``hub.max_models`` became ``hub.oldest_models`` resumes
    (the setting meant the same): its query key and ``stopped`` value are read under the new name.
    """
    state = load_state(path, STATE_VERSION, "query", query, renamed=RENAMED_QUERY_KEYS)
    if state is not None and state.get("stopped") in RENAMED_QUERY_KEYS:
        state["stopped"] = RENAMED_QUERY_KEYS[state["stopped"]]
    return state


def _page_items(resp: Any, url: str) -> list[dict[str, Any]]:
    """The model objects of a listing page; anything else is a FetchError naming the URL."""
    try:
        items = resp.json()
    except ValueError as exc:
        raise FetchError(
            f"GET {url}: expected a JSON list of models, got {len(resp.content)} bytes that do "
            f"not parse as JSON ({exc})"
        ) from exc
    if not isinstance(items, list):
        raise FetchError(f"GET {url}: expected a JSON list of models, got {type(items).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise FetchError(f"GET {url}: item {i} is not a model object with a string 'id'")
    return items


def _read_page(path: Path) -> dict[str, Any]:
    """A stored listing page; a missing or damaged one raises InputError."""
    if not path.exists():
        raise InputError(f"{path}: missing")
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list) or "url" not in doc:
        raise InputError(f"{path}: expected a stored page with 'url', 'next' and 'items'")
    return doc


def _drop_pages_after(hub_dir: Path, last: int) -> None:
    """Remove pages a killed run stored after its last recorded state (refetched anyway)."""
    for page in hub_raw.list_pages(hub_dir):
        number = int(hub_raw.PAGE_RE.match(page.name).group(1))
        if number > last:
            log.info("%s: stored after the last recorded state; it will be fetched again", page)
            page.unlink()


def cursor_key(url: str) -> str:
    """``url`` without its ``limit``: the same cursor asked for in a smaller page is the same page."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "limit"]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def _check_listing_settings(page_size: int, oldest_models: int | None) -> None:
    if page_size < 1:
        raise InputError(f"hub.page_size: expected a positive number of models, got {page_size}")
    if oldest_models is not None and oldest_models < 1:
        raise InputError(
            f"hub.oldest_models: expected a positive number or null, got {oldest_models}"
        )


def _listing_query(
    endpoint: str, expand: Sequence[str], page_size: int, oldest_models: int | None
) -> dict[str, Any]:
    """The settings a listing crawl is bound to (stored in its state, checked on resume)."""
    return {
        "endpoint": endpoint.rstrip("/"),
        "path": LIST_PATH,
        "sort": SORT_KEY,
        "direction": SORT_DIRECTION,
        "page_size": int(page_size),
        "expand": list(expand),
        "oldest_models": oldest_models,
    }


def _open_listing_state(
    hub_dir: Path, state_path: Path, query: Mapping[str, Any], first_url: str
) -> dict[str, Any]:
    """The state of the listing crawl in progress, or a new one starting at ``first_url``."""
    state = _load_state(state_path, query)
    if state is None:
        state = {
            "version": STATE_VERSION,
            "query": query,
            "next": first_url,
            "done": False,
            "stopped": None,
            "pages": 0,
            "models": 0,
            "duplicates": 0,
            "runs": 0,
            "stats": Stats().as_dict(),
            "started_at": utc_now(),
            "finished_at": None,
        }
        log.info("new listing crawl of %s into %s", state["next"], hub_dir)
    else:
        log.info(
            "resuming the listing crawl in %s: %d pages, %d models stored; next %s",
            hub_dir,
            state["pages"],
            state["models"],
            state["next"] or "(none: complete)",
        )
    return state


def _next_page_url(resp: Any, url: str) -> str | None:
    """The absolute URL of the ``Link: rel="next"`` page, or None on the last page."""
    next_url = resp.links.get("next", {}).get("url")
    next_url = urljoin(url, next_url) if next_url else None
    if next_url == url:
        raise FetchError(f"GET {url}: the Link header's next page is this same page")
    return next_url


def asked_limit(url: str) -> int | None:
    """The ``limit`` a listing URL asks for, or None."""
    limits = [v for k, v in parse_qsl(urlsplit(url).query) if k == "limit" and v.isdigit()]
    return int(limits[0]) if limits else None


def _end_signal_problem(items: list[dict[str, Any]], next_url: str | None, url: str) -> str | None:
    """What is inconsistent about a page's end signals (models vs next link), or None."""
    if not items and next_url:
        return f"no models but a next link ({next_url}); expected models or no next link"
    limit = asked_limit(url)
    if next_url is None and limit is not None and len(items) >= limit:
        return (
            f"a full page of {len(items)} models without a next link; "
            "the listing cannot be known complete"
        )
    return None


class _ListingRun:
    """One run of the listing crawl: pages fetched in turn, each stored, then the state saved."""

    def __init__(
        self,
        hub_dir: Path,
        state_path: Path,
        state: dict[str, Any],
        client: HttpClient,
        oldest_models: int | None,
        journal: Journal,
    ) -> None:
        self.hub_dir, self.state_path, self.state = hub_dir, state_path, state
        self.client, self.oldest_models = client, oldest_models
        self.journal = journal  # request counts (earlier runs' plus this run's)
        self.seen: set[str] = set()  # ids of the models stored
        self.visited: set[str] = set()  # cursor_key of every stored page
        self.progress: Progress | None = None

    def save(self) -> None:
        """Save the state with the request counts so far, then empty the journal."""
        self.state["stats"] = self.journal.total()
        atomic_write_json(self.state_path, self.state)
        self.journal.reset()

    def load_pages(self, first_url: str) -> None:
        """Read the pages stored by earlier runs (their model ids and cursors); a page that is
        missing or damaged is moved aside and fetched again from the cursor of the page before,
        and must link to the page after it as before (:meth:`_restore_page`)."""
        state, prev = self.state, None
        for number in range(1, int(state["pages"]) + 1):
            path = hub_raw.page_path(self.hub_dir, number)
            try:
                doc = _read_page(path)
            except InputError as exc:
                if path.exists():
                    move_aside(path, exc)
                doc = self._restore_page(number, first_url if prev is None else prev["next"])
            self.seen.update(item["id"] for item in doc["items"])
            self.visited.add(cursor_key(doc["url"]))
            prev = doc
        if len(self.seen) != int(state["models"]):
            raise InputError(
                f"{self.state_path}: records {state['models']} models but its pages hold "
                f"{len(self.seen)}"
            )

    def _restore_page(self, number: int, url: str | None) -> dict[str, Any]:
        """Fetch stored page ``number`` again (at ``url``) and store it as it was."""
        path, state = hub_raw.page_path(self.hub_dir, number), self.state
        if url is None:
            raise InputError(f"{path}: missing, and the page before it has no next link")
        log.info("%s: missing or damaged; fetching it again from %s", path, url)
        items, next_url = self._fetch_page(url)
        new, _ = self._new_models(items)
        if number == int(state["pages"]) and state["stopped"] == "oldest_models":
            new = new[: int(self.oldest_models or 0) - len(self.seen)]
        if number < int(state["pages"]):
            after = hub_raw.page_path(self.hub_dir, number + 1)
            try:
                expected: str | None = _read_page(after)["url"]
            except InputError:
                expected = next_url  # damaged too: restored next, from this page's link
        elif not state["done"] or state["stopped"] == "end":
            expected = state["next"]
        else:
            expected = next_url
        if (next_url and cursor_key(next_url)) != (expected and cursor_key(expected)):
            raise InputError(
                f"{path}: fetched again from {url}, the page now links to {next_url} instead of "
                f"{expected}: the listing changed since the page was stored, so it cannot be "
                "restored; crawl into a new snapshot id"
            )
        atomic_write_json_gz(path, {"url": url, "next": next_url, "items": new})
        return read_json(path)

    def _fetch_page(self, url: str) -> tuple[list[dict[str, Any]], str | None]:
        """The models and the next link of the page at ``url``, its end signals consistent."""
        page: dict[str, Any] = {}

        def check(resp: Any) -> str | None:
            if int(resp.status_code) == 401:
                raise token_refused(resp, url, _token_used(self.client), "pages")
            page["items"] = _page_items(resp, url)
            page["next"] = _next_page_url(resp, url)
            return _end_signal_problem(page["items"], page["next"], url)

        self.client.get_checked(url, check, ok_statuses=(200, 401))
        return page["items"], page["next"]

    def run(self) -> None:
        try:
            while not self.state["done"]:
                self.step()
        except BaseException:
            self.save()  # keep this run's request counts; pages and next URL are as last recorded
            raise
        self.save()

    def step(self) -> None:
        """Fetch, store and record the next page (or ask for a smaller one after timeouts)."""
        state = self.state
        url = state["next"]
        try:
            items, next_url = self._fetch_page(url)
        except FetchError as exc:
            smaller = smaller_page_url(url)
            if not exc.transient or smaller is None:
                raise
            self._ask_smaller_page(exc, smaller)
            return
        if next_url and cursor_key(next_url) in self.visited | {cursor_key(url)}:
            self.client.stats.errors += 1
            raise FetchError(
                f"GET {url}: the next link goes back to a page already stored in this crawl "
                f"({next_url}); the cursor cycles, so the listing cannot be completed"
            )
        new, dups = self._new_models(items)
        stopped = None
        if self.oldest_models is not None and state["models"] + len(new) >= self.oldest_models:
            new = new[: self.oldest_models - state["models"]]
            stopped = "oldest_models"
        elif not next_url:
            stopped = "end"
        self._record_page(url, next_url, new, dups, stopped)

    def _ask_smaller_page(self, exc: FetchError, smaller: str) -> None:
        # a deep page of a heavy query keeps timing out: ask for fewer models from the
        # same cursor (the following pages keep the smaller size)
        log.warning("%s; asking for a smaller page: %s", exc, smaller)
        self.state["next"] = smaller
        self.state["page_size_reduced"] = int(self.state.get("page_size_reduced", 0)) + 1
        self.save()

    def _new_models(self, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """The page's models not stored yet (nor earlier on the page), and how many repeat."""
        new, repeated, page_ids = [], [], set()
        for item in items:
            if item["id"] in self.seen or item["id"] in page_ids:
                repeated.append(item["id"])
            else:
                page_ids.add(item["id"])
                new.append(item)
        dups = len(repeated)
        if dups:
            log.warning(
                "page %d: skipped %d models already stored (e.g. %s)",
                self.state["pages"] + 1,
                dups,
                ", ".join(repeated[:3]),
            )
        return new, dups

    def _record_page(
        self,
        url: str,
        next_url: str | None,
        new: list[dict[str, Any]],
        dups: int,
        stopped: str | None,
    ) -> None:
        """Store the page atomically, then the state that counts it."""
        state = self.state
        number = state["pages"] + 1
        page = {"url": url, "next": next_url, "items": new}
        atomic_write_json_gz(hub_raw.page_path(self.hub_dir, number), page)
        self.seen.update(item["id"] for item in new)
        self.visited.add(cursor_key(url))
        state.update(
            pages=number,
            models=int(state["models"]) + len(new),
            duplicates=int(state["duplicates"]) + dups,
            next=None if stopped else next_url,
            done=stopped is not None,
            stopped=stopped,
        )
        if stopped:
            state["finished_at"] = utc_now()
        self.save()
        if self.progress is not None:
            created = [item.get("createdAt") for item in new]
            self.progress.update(len(new), force=stopped is not None, created=created)


def _manifest(
    hub_dir: Path,
    snapshot: str | None,
    fields: Mapping[str, Any],
    state: Mapping[str, Any],
    client: HttpClient,
    pace_key: str,
) -> dict[str, Any]:
    """A crawl's manifest: the snapshot (default: the name of ``hub_dir``'s parent) and source,
    the crawl's own ``fields``, then request statistics, runs, the pace (under ``pace_key``),
    whether a token was sent, start and end times and library versions."""
    return {
        "snapshot": snapshot or hub_dir.parent.name,
        "source": "live",
        **fields,
        "stats": state["stats"],
        "runs": state["runs"],
        pace_key: _per_minute(client),
        "token_used": _token_used(client),
        "crawl_started_at": state["started_at"],
        "crawl_finished_at": state["finished_at"],
        "library_versions": library_versions(),
    }


def _listing_manifest(
    hub_dir: Path,
    snapshot: str | None,
    endpoint: str,
    expand: Sequence[str],
    page_size: int,
    oldest_models: int | None,
    state: Mapping[str, Any],
    client: HttpClient,
) -> dict[str, Any]:
    fields = {
        "endpoint": endpoint.rstrip("/"),
        "query": {
            "path": LIST_PATH,
            "sort": SORT_KEY,
            "direction": SORT_DIRECTION,
            "limit": int(page_size),
            "expand": list(expand),
        },
        "first_url": first_page_url(endpoint, expand, page_size),
        "expand": list(expand),
        "page_size": int(page_size),
        "oldest_models": oldest_models,
        "stopped": state["stopped"],
        "page_size_reduced": int(state.get("page_size_reduced", 0)),
        "pages": state["pages"],
        "models": state["models"],
        "duplicates_skipped": state["duplicates"],
    }
    return _manifest(hub_dir, snapshot, fields, state, client, "requests_per_minute")


def crawl_models(
    hub_dir: str | Path,
    endpoint: str,
    expand: Sequence[str],
    page_size: int,
    oldest_models: int | None = None,
    *,
    pace: Pace = LISTING_PACE,
    client: HttpClient | None = None,
    snapshot: str | None = None,
    progress_every: float = 10.0,
) -> dict[str, Any]:
    """Crawl the model listing into ``hub_dir`` (resuming a crawl in progress); returns the manifest.

    ``oldest_models`` stops after the N oldest models: a prefix of the listing sorted by
    ``createdAt``, not a sample (the manifest then says ``stopped: oldest_models``).

    ``client`` defaults to a client paced by ``pace`` (token from ``HF_TOKEN``);
    pass a fresh one to tune retries. ``snapshot`` defaults to the name of ``hub_dir``'s parent
    (``resources/raw/<snapshot>/hub``).
    """
    hub_dir = Path(hub_dir)
    _check_listing_settings(page_size, oldest_models)
    state_path = hub_dir / "state.json"
    query = _listing_query(endpoint, expand, page_size, oldest_models)
    state = _open_listing_state(
        hub_dir, state_path, query, first_page_url(endpoint, expand, page_size)
    )
    journal = Journal(hub_dir / JOURNAL)
    state["stats"] = journal.resumed_stats(state["stats"])
    for folder in (hub_dir, hub_dir / "pages"):
        remove_stale_temps(folder)
    _drop_pages_after(hub_dir, int(state["pages"]))
    client = client or make_client(pace)
    state["runs"] = int(state["runs"]) + 1
    with journal.recording(client, state["stats"]):
        run = _ListingRun(hub_dir, state_path, state, client, oldest_models, journal)
        try:
            run.load_pages(first_page_url(endpoint, expand, page_size))
        except BaseException:
            run.save()  # keep the counts of the pages fetched again
            raise
        if state.get("next") and int(state.get("page_size_reduced", 0)):
            # a page size reduced by timeouts in an earlier run: try the configured size again
            state["next"] = with_page_size(state["next"], int(page_size))
        run.progress = Progress(
            "hub models",
            total=oldest_models,
            every=progress_every,
            initial=int(state["models"]),
            # without a cap, the total is estimated from the createdAt of the last models listed
            timeline=None if oldest_models is not None else CreationEstimate(),
        )
        run.run()
    manifest = _listing_manifest(
        hub_dir, snapshot, endpoint, expand, page_size, oldest_models, state, client
    )
    atomic_write_json(hub_dir / "manifest.json", manifest)
    stats = state["stats"]
    log.info(
        "listing complete (%s): %d models in %d pages, %d requests (%d retries, %d rate limited) "
        "over %d run(s)",
        state["stopped"],
        state["models"],
        state["pages"],
        stats["requests"],
        stats["retries"],
        stats["rate_limited"],
        state["runs"],
    )
    return manifest


def readme_revisions(hub_dir: str | Path) -> dict[str, str]:
    """``model_id -> revision`` (the listed ``sha``, else ``main``) of models that list README.md."""
    revisions: dict[str, str] = {}
    for item in hub_raw.iter_models(hub_dir):
        if hub_raw.has_readme(item):
            revisions[item["id"]] = item.get("sha") or "main"
    return revisions


def shard_models(revisions: Mapping[str, str], k: int, n: int, max_cards: int | None) -> list[str]:
    """The README models of shard ``k`` of ``n``: the selected sample, then the shard's
    stable-hash slice."""
    selected = hub_raw.select_card_models(list(revisions), max_cards)
    return sorted(m for m in selected if stable_shard(m, n) == k)


def _decode_text(resp: Any, url: str) -> str:
    try:
        return resp.content.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("GET %s: README is not valid UTF-8; undecodable bytes replaced", url)
        return resp.content.decode("utf-8", errors="replace")


def _check_card_settings(hub_dir: Path, shard: int, n_shards: int, max_cards: int | None) -> None:
    check_shard("card", shard, n_shards)
    if not (hub_dir / "manifest.json").exists():
        raise InputError(f"{hub_dir / 'manifest.json'}: missing; the listing crawl is not complete")
    if max_cards is not None and max_cards < 0:
        raise InputError(f"hub.max_cards: expected a number >= 0 or null, got {max_cards}")


class _CardParts:
    """The README records of a shard, written as numbered part files of ``part_size`` records.

    Every verified record is journaled (durably) before it is buffered; a full buffer is
    written as the next part, then the state (request counts), then the journal is emptied. On
    resume the journaled records not in a part are buffered again, not fetched again, so the
    parts come out as those of a crawl never interrupted. A part that is damaged (or missing
    between others) is moved aside and its models, those between its neighbours, are fetched
    again into the same part number.
    """

    def __init__(
        self,
        folder: Path,
        state_path: Path,
        state: dict[str, Any],
        mine: list[str],
        part_size: int,
        journal: Journal,
    ) -> None:
        self.folder, self.state_path, self.state = folder, state_path, state
        self.part_size, self.journal = part_size, journal
        self.done: dict[str, int] = {}  # model_id -> status of the records in parts
        self.first: dict[int, str] = {}  # part number -> its first model id
        numbers = []
        for part in hub_raw.list_parts(folder):
            number = int(hub_raw.PART_RE.match(part.name).group(1))
            try:
                records = hub_raw.read_part(part)
            except InputError as exc:
                move_aside(part, exc)
                continue
            numbers.append(number)
            if records:
                self.first[number] = records[0]["model_id"]
            self.done.update((rec["model_id"], int(rec["status"])) for rec in records)
        top = max(numbers, default=0)
        self.holes = sorted(set(range(1, top + 1)) - set(numbers))
        self._bound: tuple[int, str] = (0, "")
        self.next_new = top + 1
        self.buffer: list[dict[str, Any]] = [
            rec for rec in journal.records if rec["model_id"] not in self.done
        ]
        stray = sorted(({rec["model_id"] for rec in self.buffer} | set(self.done)) - set(mine))
        if stray:
            raise InputError(
                f"{folder}: holds READMEs of models outside this shard's "
                f"selection (e.g. {stray[0]}); the snapshot was crawled with other settings"
            )

    def _hole_bound(self) -> str:
        """The first model id of the parts after the first hole (its models sort before)."""
        if self._bound[0] != self.holes[0]:
            after = [m for n, m in self.first.items() if n > self.holes[0]]
            self._bound = (self.holes[0], min(after) if after else "\U0010ffff")
        return self._bound[1]

    @property
    def target(self) -> int:
        """The number of the part the buffer goes to: the first hole, else a new part."""
        return self.holes[0] if self.holes else self.next_new

    def add(self, rec: dict[str, Any]) -> None:
        """A verified record: journaled, buffered, and a full buffer written as a part."""
        while self.holes and rec["model_id"] > self._hole_bound():
            # the hole holds the models before the part after it: this one goes further on
            if self.buffer:
                self.flush()
            else:
                self.holes.pop(0)  # none of its models is left to fetch
        self.journal.record(rec)
        self.buffer.append(rec)
        if len(self.buffer) >= self.part_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records as a part, then save the state."""
        if self.buffer:
            number = self.target
            atomic_write_jsonl_gz(hub_raw.part_path(self.folder, number), self.buffer)
            self.first[number] = self.buffer[0]["model_id"]
            self.done.update((rec["model_id"], rec["status"]) for rec in self.buffer)
            self.buffer.clear()
            if self.holes and number == self.holes[0]:
                self.holes.pop(0)
            else:
                self.next_new += 1
        self.save()

    def save(self) -> None:
        """Save the state with the request counts so far; empty the journal unless it holds
        records not yet in a part."""
        self.state["done"] = len(self.done)  # read by the other shards' overall progress
        self.state["stats"] = self.journal.total()
        atomic_write_json(self.state_path, self.state)
        if not self.buffer:
            self.journal.reset()


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of a file's bytes (what the Hub sends as ``ETag`` for a non-LFS file)."""
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


def _etag(value: str | None) -> str | None:
    """An ``ETag`` header's value without ``W/`` and quotes, lower case; None when absent."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"').lower()


def readme_problem(resp: Any, revision: str) -> str | None:
    """Why a 200 answer is not the README.md asked for at ``revision``, or None."""
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    head = resp.content[:64].lstrip().lower()
    if ctype == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        return f"HTTP 200 but an HTML page ({ctype or 'no Content-Type'}), not README.md"
    etag = _etag(resp.headers.get("ETag"))
    if etag and _HEX.match(etag) and len(etag) in (40, 64):
        digest = git_blob_sha1(resp.content) if len(etag) == 40 else None
        digest = digest or hashlib.sha256(resp.content).hexdigest()
        if digest != etag:
            return (
                f"the body ({len(resp.content)} bytes) does not hash to its ETag {etag} "
                f"(got {digest}): cut short or altered"
            )
    commit = resp.headers.get("X-Repo-Commit")
    if commit and _HEX.match(revision) and len(revision) == 40 and commit.lower() != revision:
        return f"X-Repo-Commit {commit} is not the commit asked for ({revision})"
    return None


def token_refused(resp: Any, url: str, token_used: bool, kept: str) -> CrawlStopped:
    """The error of a 401 that refuses the token (or anonymous access): it would refuse every
    request, so the crawl stops at once (``kept``: what was fetched so far, e.g. "READMEs")."""
    code = resp.headers.get("X-Error-Code")
    refused = (
        "the token was refused; check HF_TOKEN"
        if token_used
        else "anonymous access was refused; set HF_TOKEN"
    )
    return CrawlStopped(
        f"GET {url}: HTTP 401 Unauthorized ({code or 'no X-Error-Code'}): {refused}. "
        f"The {kept} fetched so far are kept; rerun to resume",
        status=401,
    )


def _card_answer_problem(resp: Any, url: str, revision: str, token_used: bool) -> str | None:
    """None when the card answer can be recorded; a problem to retry; a 401 raises."""
    status = int(resp.status_code)
    code = resp.headers.get("X-Error-Code")
    if status == 401 and (token_used or code not in ANONYMOUS_401_CODES):
        raise token_refused(resp, url, token_used, "READMEs")
    if status == 403 and not code:
        return "HTTP 403 without the Hub's X-Error-Code (its front refusing for now)"
    if status == 200:
        return readme_problem(resp, revision)
    return None


def _fetch_card(client: HttpClient, endpoint: str, model_id: str, revision: str) -> dict[str, Any]:
    """The README record of one model: its verified text on HTTP 200, else the status alone."""
    url = card_url(endpoint, model_id, revision)
    token_used = _token_used(client)
    resp = client.get_checked(
        url,
        lambda r: _card_answer_problem(r, url, revision, token_used),
        ok_statuses=CARD_STATUSES,
    )
    status = int(resp.status_code)
    text = _decode_text(resp, url) if status == 200 else None
    if status not in (200, 404):
        log.warning("GET %s: HTTP %d; recorded without text", url, status)
    return {"model_id": model_id, "revision": revision, "status": status, "text": text}


def _card_marker(
    hub_dir: Path,
    folder: Path,
    snapshot: str | None,
    query: Mapping[str, Any],
    revisions: Mapping[str, str],
    mine: list[str],
    statuses: Counter,
    quarantined: list[str],
    state: Mapping[str, Any],
    client: HttpClient,
) -> dict[str, Any]:
    fields = {
        "shard": query["shard"],
        "shards": query["shards"],
        "endpoint": query["endpoint"],
        "max_cards": query["max_cards"],
        "models_with_readme": len(revisions),
        "cards": len(mine),
        "fetched": statuses.get("200", 0),
        "not_found": statuses.get("404", 0),
        "card_statuses": dict(sorted(statuses.items())),
        "parts": len(hub_raw.list_parts(folder)),
        "quarantined": quarantined,
    }
    return _manifest(hub_dir, snapshot, fields, state, client, "resolves_per_minute")


def _open_card_state(state_path: Path, query: Mapping[str, Any]) -> dict[str, Any]:
    """The state of the shard's crawl in progress, or a fresh one."""
    return _load_state(state_path, query) or {
        "version": STATE_VERSION,
        "query": query,
        "runs": 0,
        "stats": Stats().as_dict(),
        "started_at": utc_now(),
        "finished_at": None,
    }


def _open_quarantine(folder: Path, mine: list[str], kept: Collection[str]) -> Quarantine:
    """The shard's quarantine, without the READMEs stored or journaled since (a run killed
    before it saved the quarantine) and those no longer selected."""
    quarantine = Quarantine(quarantine_path(folder))
    wanted = set(mine)
    if quarantine.discard([m for m in quarantine.ids() if m in kept or m not in wanted]):
        quarantine.save()
    return quarantine


def _fetch_cards(
    parts: _CardParts,
    client: HttpClient,
    endpoint: str,
    todo: Mapping[str, str],
    progress: Progress,
    quarantine: Quarantine,
    overall: ShardsProgress | None = None,
) -> None:
    """Fetch the READMEs of ``todo`` (model id -> revision) into ``parts``; a README that still
    fails after the retries goes to ``quarantine`` and the crawl goes on (one that is fetched,
    and journaled, leaves it). Whatever happens, what was fetched (journaled) and this run's
    counts are kept."""
    try:
        for model_id, revision in todo.items():
            try:
                rec = _fetch_card(client, endpoint, model_id, revision)
            except FetchError as exc:
                if not quarantinable(exc):
                    raise
                quarantine.add(model_id, card_url(endpoint, model_id, revision), exc)
            else:
                parts.add(rec)
                quarantine.succeeded()
                if quarantine.discard([model_id]):
                    quarantine.save()
            progress.update()
            if overall is not None:
                overall.tick(len(parts.done) + len(parts.buffer))
    except BaseException:
        parts.save()  # this run's counts; the records fetched stay in the journal
        raise
    if not parts.state["finished_at"]:
        parts.state["finished_at"] = utc_now()
    parts.flush()
    if overall is not None:
        overall.tick(len(parts.done), force=True)


def crawl_cards(
    hub_dir: str | Path,
    marker: str | Path,
    shard: int,
    n_shards: int,
    endpoint: str,
    max_cards: int | None = None,
    *,
    pace: Pace = CARD_PACE,
    client: HttpClient | None = None,
    part_size: int = PART_SIZE,
    snapshot: str | None = None,
    progress_every: float = 10.0,
    max_failed_share: float = 0.0,
) -> dict[str, Any]:
    """Fetch the README texts of card shard ``shard`` (0-based) of ``n_shards``; returns the
    shard marker.

    Needs the complete listing (``manifest.json``) in ``hub_dir``. Resumes from the part files in
    the folder beside ``marker``; writes ``marker`` last. A README that still fails after the
    retries is quarantined (``quarantine.json`` beside the parts; :mod:`hfreuse.quarantine`)
    and retried first by the next run; when more than ``max_failed_share`` of the shard's
    READMEs are quarantined at the end, the shard fails (everything else stored) without a
    marker, else the marker lists them.
    """
    hub_dir, marker_path = Path(hub_dir), Path(marker)
    _check_card_settings(hub_dir, shard, n_shards, max_cards)
    max_failed_share = check_max_failed_share(max_failed_share)
    name = f"{shard + 1} of {n_shards}"
    revisions = readme_revisions(hub_dir)
    mine = shard_models(revisions, shard, n_shards, max_cards)
    shard_path = hub_raw.shard_dir(marker_path)
    state_path = shard_path / "state.json"
    query = {
        "endpoint": endpoint.rstrip("/"),
        "shard": shard,
        "shards": n_shards,
        "max_cards": max_cards,
    }
    state = _open_card_state(state_path, query)
    journal = Journal(shard_path / JOURNAL)
    state["stats"] = journal.resumed_stats(state["stats"])
    remove_stale_temps(shard_path)
    remove_stale_temps(marker_path.parent, marker_path.name)
    parts = _CardParts(shard_path, state_path, state, mine, part_size, journal)
    kept = set(parts.done) | {rec["model_id"] for rec in parts.buffer}
    quarantine = _open_quarantine(shard_path, mine, kept)
    # the READMEs quarantined by an earlier run first, then the rest in shard order
    todo = [m for m in quarantine.ids() if m not in kept]
    todo += [m for m in mine if m not in kept and m not in quarantine]
    log.info(
        "card shard %s: %d of %d models with README selected, %d already stored, %d to fetch "
        "(%d quarantined by an earlier run, retried first)",
        name,
        len(mine),
        len(revisions),
        len(kept),
        len(todo),
        len(quarantine),
    )
    client = client or make_client(pace, accept="text/plain, */*")
    state["runs"] = int(state["runs"]) + 1
    progress = Progress(
        f"card shard {name}", total=len(mine), every=progress_every, initial=len(kept)
    )
    overall = None
    if n_shards > 1:  # one line over all shards, from their state files
        overall = ShardsProgress(
            f"card shards (all {n_shards})",
            lambda: sorted(shard_path.parent.glob("*/state.json")),
            state_path,
            len(hub_raw.select_card_models(list(revisions), max_cards)),
            len(kept),
            every=progress_every,
        )
    with journal.recording(client, state["stats"]):
        _fetch_cards(
            parts,
            client,
            endpoint,
            {m: revisions[m] for m in todo},
            progress,
            quarantine,
            overall,
        )
    done = parts.done
    missing = [m for m in mine if m not in done and m not in quarantine]
    if missing:  # cannot happen unless the part files changed under the crawl
        raise InputError(f"{shard_path}: {len(missing)} READMEs missing after the crawl")
    quarantine.check_share(len(mine), max_failed_share, f"card shard {name}: READMEs")
    statuses = Counter(str(done[m]) for m in mine if m in done)
    doc = _card_marker(
        hub_dir,
        shard_path,
        snapshot,
        query,
        revisions,
        mine,
        statuses,
        sorted(quarantine.ids()),
        state,
        client,
    )
    atomic_write_json(marker_path, doc)
    log.info(
        "card shard %s complete: %d READMEs (%s), %d requests over %d run(s)",
        name,
        len(mine),
        ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
        state["stats"]["requests"],
        state["runs"],
    )
    return doc
