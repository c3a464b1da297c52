"""Live crawl of a Hub-compatible endpoint's model listing into the raw snapshot format of
:mod:`hfreuse.hub.raw` (the README shards: :mod:`hfreuse.hub.cards`).

:func:`crawl_models` pages ``<endpoint>/api/models`` itself (sorted by creation date, a stable
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

Every request is journaled before it is sent (:class:`hfreuse.crawl.journal.Journal`), so the
counts after a kill equal the requests the server answered, plus at most the one in flight. A
stored page found damaged (or missing) on resume is moved aside (``*.corrupt``) and fetched again
into place. A 401 on a listing page (the token, or anonymous access, refused) stops the listing
at once with a clear error, keeping the pages already fetched (a rerun resumes).

Network access goes through :class:`hfreuse.clients.HttpClient` (pacing, 429/``RateLimit``
handling, retries). The Hub token is sent as a bearer token (:mod:`hfreuse.crawl.pacing`);
manifests record whether a token was used, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ..clients import FetchError, HttpClient
from ..crawl.journal import Journal
from ..crawl.manifest import crawl_manifest
from ..crawl.pacing import Pace, hub_client, token_used
from ..crawl.progress import CreationEstimate, Progress
from ..crawl.runner import STATE_VERSION
from ..crawl.state import load_state, move_aside, remove_stale_temps, utc_now
from ..crawl.stats import Stats
from ..errors import InputError
from ..io import atomic_write_json, atomic_write_json_gz, read_json
from . import raw as hub_raw
from .answers import token_refused

log = logging.getLogger(__name__)

LIST_PATH = "/api/models"
SORT_KEY = "createdAt"  # immutable, so the cursor neither skips nor repeats models
SORT_DIRECTION = 1  # oldest first: new models only ever append to the end of the listing
EXPAND_PARAM = "expand"  # repeated plain "expand", as huggingface_hub sends it (list_models)
JOURNAL = "journal.jsonl"  # request counts since the last state save (crawl.journal.Journal)
LISTING_PACE = Pace(90.0)  # the listing crawl's default


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


def page_items(resp: Any, url: str) -> list[dict[str, Any]]:
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


def next_page_url(resp: Any, url: str) -> str | None:
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

    def resume(self, first_url: str, page_size: int, progress_every: float) -> None:
        """Read back the pages stored by earlier runs (:meth:`load_pages`; the counts of pages
        fetched again are kept whatever happens), go back to the configured page size, and
        start the progress line."""
        state = self.state
        try:
            self.load_pages(first_url)
        except BaseException:
            self.save()  # keep the counts of the pages fetched again
            raise
        if state.get("next") and int(state.get("page_size_reduced", 0)):
            # a page size reduced by timeouts in an earlier run: try the configured size again
            state["next"] = with_page_size(state["next"], page_size)
        self.progress = Progress(
            "hub models",
            total=self.oldest_models,
            every=progress_every,
            initial=int(state["models"]),
            # without a cap, the total is estimated from the createdAt of the last models listed
            timeline=None if self.oldest_models is not None else CreationEstimate(),
        )

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
                raise token_refused(resp, url, token_used(self.client), "pages")
            page["items"] = page_items(resp, url)
            page["next"] = next_page_url(resp, url)
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
    return crawl_manifest(hub_dir, snapshot, fields, state, client, "requests_per_minute")


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
    client = client or hub_client(pace)
    state["runs"] = int(state["runs"]) + 1
    with journal.recording(client, state["stats"]):
        run = _ListingRun(hub_dir, state_path, state, client, oldest_models, journal)
        run.resume(first_page_url(endpoint, expand, page_size), int(page_size), progress_every)
        run.run()
    manifest = _listing_manifest(
        hub_dir, snapshot, endpoint, expand, page_size, oldest_models, state, client
    )
    atomic_write_json(hub_dir / "manifest.json", manifest)
    _log_complete(state)
    return manifest


def _log_complete(state: Mapping[str, Any]) -> None:
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
