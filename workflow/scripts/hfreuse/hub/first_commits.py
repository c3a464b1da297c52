"""True creation dates: the oldest commit of every model whose ``createdAt`` is the Hub's floor.

The Hub reports ``createdAt`` 2022-03-02T23:29:04Z for every model created before that date; the
true date is the date of the repository's first commit. :func:`crawl_first_commits` fetches, for
one static shard of the floored models (stable hash of the model id), the commit history
``GET <endpoint>/api/models/{id}/commits/{revision}`` at the listed revision with
``huggingface_hub.HfApi.list_repo_commits`` (which follows the ``Link: <...>; rel="next"`` pages),
every request sent by the project's paced client (:class:`hfreuse.clients.HubBridge`). Each page
asks for ``limit`` commits (:data:`COMMITS_PAGE`, the largest page the Hub serves): a history of
up to that many commits costs one request, a longer one ``ceil(commits / limit)``.

Every page is verified before its history is stored (:class:`HistoryPages`): a JSON list of
commits with an ``id`` and an ISO 8601 ``date`` (``Z``, an offset, a space; the stored dates
are UTC, ``...T..:..:..mmmZ``), newest first within and across pages; no next link to a page of
the same history already served (a cycle); no empty page but a first one the server counts as
empty (``X-Total-Count: 0``); the commits adding up to ``X-Total-Count`` when the Hub sends it;
a last page (no next link) that is full, with no ``X-Total-Count`` to vouch for the count,
confirmed by one more request for the page after it (the next link's form, ``p`` one more): an
empty list there confirms the end (a history of exactly 50, 100, ... commits), commits there
mean the page lost its next link (the history cut short: a bad answer, fetched again). "Full"
is measured by the page size the server really serves, learned from the pages that carry a
next link (their length: the Hub caps the page size, e.g. 50 commits when asked 1000) and kept
for the whole crawl, else by the size asked (``page_size``: set it to what the server serves,
or a dropped next link goes unseen until some history of the crawl had a second page); the
oldest commit between :data:`HUB_FIRST_DAY` and the end of the listing. A 404 (or 401, 410) after an
earlier page of the same history was served, and a bare 403, are retried before they are
believed (a 404 that persists is the model's answer, a 403 is quarantined), as is a 404
without the Hub's ``X-Error-Code`` (an HTML page, not the API). An answer that fails is fetched again with the client's retries; a history that still
fails is quarantined (:mod:`hfreuse.crawl.quarantine`: ``quarantine.json`` beside the parts,
retried first by the next run); the shard fails at its end, without a marker, when more than
``crawl.max_failed_share`` of its models are quarantined.

Layout (beside the README shards, same conventions)::

    history/shard-1-of-4.json                    completion marker (written last)
    history/shard-1-of-4/part-000001.jsonl.gz    one record per model (see below)
    history/shard-1-of-4/state.json              request counts of a shard in progress
    history/shard-1-of-4/journal.jsonl           requests and records since the last part
    history/shard-1-of-4/quarantine.json         histories that still failed after retries

A record is ``{"model_id", "revision", "status", "error_code", "commits", "total", "pages"}``:
``status`` 200 with ``commits`` (``[{"id", "date"}]``, newest first as served), or the final
status of a repository gone (404 ``RepoNotFound``, 410, anonymously 401 ``RepoNotFound``), a
revision gone (404 ``RevisionNotFound``: the history was rewritten), a gated or disabled
repository (403 with the Hub's ``X-Error-Code``), 451; ``status`` 0 when huggingface_hub refuses
the model id itself. Any other 401 (the token refused) stops the crawl at once, keeping what was
fetched (a rerun resumes).

Every request is journaled before it is sent and every record once verified, as the README crawl
does (:class:`hfreuse.crawl.journal.Journal`, :class:`hfreuse.crawl.parts.JournaledParts`): a
shard killed at any point resumes with counts equal to the requests the server answered plus at
most the one in flight, and fetches again at most the model in flight. A part found damaged or
missing is moved aside and fetched again; the parse (:func:`iter_histories`) checks the parts
against the shard marker and names ``--forcerun fetch_hub_history`` when they disagree.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ..clients import FetchError, HttpClient, HubBridge, hub_http_error, hub_id_refused
from ..crawl.pacing import Pace, token_used
from ..crawl.parts import finish_shard, quarantined_step, resume_shard
from ..crawl.quarantine import (
    CrawlStopped,
    check_max_failed_share,
)
from ..crawl.runner import require_listing, start_shard
from ..crawl.state import damaged
from ..crawl.stats import Stats
from ..errors import InputError
from ..io import (
    atomic_write_json,
    atomic_write_jsonl_gz,
    parse_time,
    read_json,
    utc_millis,
)
from ..shards import check_shard, stable_shard
from . import raw as hub_raw
from .answers import ANONYMOUS_401_CODES
from .parse import FLOOR
from .previous import history_reusable, origin_fields, taken_over, with_previous

log = logging.getLogger(__name__)

COMMITS_PAGE = 1000  # commits asked for a page (the Hub serves up to 1000)
HISTORY_PACE = Pace(450.0)  # the API bucket (about 500 requests / 5 minutes anonymous ... per IP)
HISTORY_PART_SIZE = 200
FINAL_STATUSES = (401, 403, 404, 410, 451)  # recorded as the model's answer (see the docstring)
CONFIRM_STATUSES = (200, *FINAL_STATUSES)  # a page confirming an end: any other is retried
#: no commit of the Hub can be older than this (Hugging Face, the company, began in 2016; the
#: model Hub later): an oldest commit before it is a bad answer
HUB_FIRST_DAY = datetime(2016, 1, 1, tzinfo=UTC)
RULE = "fetch_hub_history"  # the rule that fetches the histories (named by recovery advice)


class RecordParts:
    """Records of a resumable crawl (one per model), written as numbered part files of
    ``part_size``: each flush writes the buffered records as the next part (atomically), then the
    state with the request counts of earlier runs plus this one's. A kill loses at most the
    records buffered since the last part; they are fetched again."""

    def __init__(
        self, folder: Path, state: dict[str, Any], client: HttpClient, part_size: int
    ) -> None:
        self.folder, self.state, self.client, self.part_size = folder, state, client, part_size
        self.done = {r["model_id"]: int(r["status"]) for r in hub_raw.iter_cards(folder)}
        parts = hub_raw.list_parts(folder)
        self.next_part = 1 + max(
            (int(hub_raw.PART_RE.match(p.name).group(1)) for p in parts), default=0
        )
        self.base = Stats.from_dict(state["stats"])  # earlier runs' requests
        self.buffer: list[dict[str, Any]] = []

    def add(self, rec: dict[str, Any]) -> None:
        self.buffer.append(rec)
        if len(self.buffer) >= self.part_size:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            atomic_write_jsonl_gz(hub_raw.part_path(self.folder, self.next_part), self.buffer)
            self.done.update((rec["model_id"], int(rec["status"])) for rec in self.buffer)
            self.buffer.clear()
            self.next_part += 1
        self.state["stats"] = self.base.combined(self.client.stats).as_dict()
        atomic_write_json(self.folder / "state.json", self.state)


def floored_revisions(hub_dir: str | Path) -> dict[str, str]:
    """``model_id -> revision`` (the listed ``sha``, else ``main``) of every listed model whose
    ``createdAt`` is at or before the floor."""
    out: dict[str, str] = {}
    for item in hub_raw.iter_models(hub_dir):
        model_id = item.get("id")
        created = parse_time(item.get("createdAt"), f"{hub_dir}: {model_id} createdAt")
        if isinstance(model_id, str) and created is not None and created <= FLOOR:
            out[model_id] = item.get("sha") or "main"
    return out


def shard_floored(revisions: Mapping[str, str], k: int, n: int) -> list[str]:
    """The floored models of history shard ``k`` of ``n`` (stable hash of the id), sorted."""
    return sorted(m for m in revisions if stable_shard(m, n) == k)


def commits_request(url: str) -> bool:
    """Whether ``url`` asks for a commit history (the only requests the history crawls send)."""
    return "/commits/" in urlsplit(url).path


def with_limit(url: str, limit: int) -> str:
    """``url`` asking for ``limit`` commits a page, unless it names a limit already (a next link
    keeps the server's own)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if "/commits/" not in parts.path or any(k == "limit" for k, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, ("limit", str(limit))])))


def asked_limit(url: str) -> int | None:
    """The ``limit`` (commits a page) ``url`` asks for, if it names one."""
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key == "limit" and value.isdigit():
            return int(value)
    return None


def page_after(url: str) -> str:
    """The page after commits page ``url``, in the form of the Hub's own next links: the same
    query with ``p`` (0-based page, absent on the first) one more."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    page = next((int(v) for k, v in query if k == "p" and v.isdigit()), 0)
    query = [(k, v) for k, v in query if k != "p"] + [("p", str(page + 1))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def listing_time(hub_dir: str | Path) -> datetime | None:
    """When the listing ended (its manifest's ``crawl_finished_at``): no history served for it
    can start later."""
    doc = read_json(Path(hub_dir) / "manifest.json")
    value = doc.get("crawl_finished_at") if isinstance(doc, dict) else None
    return parse_time(value, f"{Path(hub_dir) / 'manifest.json'}: crawl_finished_at")


def _commit_dates(
    items: Any, newer: datetime | None, url: str
) -> tuple[str | None, list[datetime]]:
    """The problem of a page of commits (None when it is a JSON list of commits with ids and
    ISO 8601 dates, newest first after ``newer``, the oldest of the page before), and its dates."""
    if not isinstance(items, list):
        return f"expected a JSON list of commits, got {type(items).__name__}", []
    dates: list[datetime] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return f"commit {i} is not an object with a string 'id'", []
        try:
            when = parse_time(item.get("date"), f"GET {url}: commit {i} ({item['id']}) date")
        except InputError:
            when = None
        if when is None:
            return f"commit {i} ({item['id']}) has no ISO 8601 'date' ({item.get('date')!r})", []
        if newer is not None and when > newer:
            return (
                f"commit {i} ({item['id']}) is dated {utc_millis(when)}, after the commit before "
                f"it ({utc_millis(newer)}): the history is not newest first", []
            )  # fmt: skip
        dates.append(when)
        newer = when
    return None, dates


class HistoryPages:
    """The pages of one model's history as they are accepted (the bridge's ``check``): a JSON
    list of commits with ids and ISO 8601 dates, newest first within and across pages; a next
    link never to a page of this history already served (a cycle); no empty page but a first
    one the server counts as empty; the commits adding up to ``X-Total-Count``; a full last page
    without ``X-Total-Count`` confirmed by an empty page after it (:meth:`confirm_end`, sent with
    :attr:`fetch`; full: as long as the pages with a next link, :attr:`served_size`, learned over
    the crawl, else as asked); the oldest commit between
    :data:`HUB_FIRST_DAY` and the listing (``listed_at``). A 404 after a page of the same history
    was served, or a bare 403, is retried before it is believed; a 401 refusing the token stops
    the crawl. :attr:`commits` are the accepted commits (dates in the stored form)."""

    def __init__(
        self, token_used: bool, page_size: int = COMMITS_PAGE, listed_at: datetime | None = None
    ) -> None:
        self.token_used, self.page_size, self.listed_at = token_used, int(page_size), listed_at
        #: sends the request that confirms the end of a history (set by :func:`history_bridge`)
        self.fetch: Callable[[str], Any] | None = None
        #: the page size the server serves (the length of a page with a next link), kept over
        #: the models of the crawl; None until a page with a next link was served
        self.served_size: int | None = None
        self.confirms = 0  # confirming requests sent
        self.reset()

    def reset(self) -> None:
        self.pages, self.received, self.total = 0, 0, None
        self.commits: list[dict[str, str]] = []
        self.served: set[str] = set()
        self.oldest: datetime | None = None

    def _status_problem(self, status: int, url: str, code: str | None) -> str | None:
        if status == 401 and (self.token_used or code not in ANONYMOUS_401_CODES):
            refused = "the token was refused" if self.token_used else "anonymous access refused"
            raise CrawlStopped(
                f"GET {url}: HTTP 401 Unauthorized ({code or 'no X-Error-Code'}): {refused}; "
                "set or check HF_TOKEN (or `hf auth login`). Histories fetched so far are kept"
            )
        if status == 403 and not code:
            return "HTTP 403 without the Hub's X-Error-Code (its front refusing for now)"
        if status in (401, 404, 410) and self.pages:
            return (
                f"HTTP {status} {code or ''} on page {self.pages + 1}, after {self.pages} "
                "page(s) of the same history were served"
            )
        if status == 404 and not code:
            return "HTTP 404 without the Hub's X-Error-Code (not the API's answer for a repository)"
        return None

    def check(self, resp: Any) -> str | None:
        status, url = int(resp.status_code), resp.url
        problem = self._status_problem(status, url, resp.headers.get("X-Error-Code"))
        if problem or status != 200:
            return problem
        try:
            items = resp.json()
        except ValueError as exc:
            return f"{len(resp.content)} bytes that do not parse as JSON ({exc})"
        problem, dates = _commit_dates(items, self.oldest, url)
        next_url = resp.links.get("next", {}).get("url")
        header = resp.headers.get("X-Total-Count")
        total = int(header) if header is not None and header.isdigit() else None
        problem = problem or self._page_problem(url, len(items), next_url, total)
        if problem is None and next_url is None and dates:
            problem = self._oldest_problem(dates[-1])
        if problem is None and next_url is None and total is None and self.total is None:
            problem = self.confirm_end(resp, len(items))
        if problem:
            return problem
        if next_url and items:
            self.served_size = len(items)
        self.served.add(url)
        self.pages += 1
        self.received += len(items)
        self.total = total if total is not None else self.total
        self.oldest = dates[-1] if dates else self.oldest
        self.commits += [
            {"id": c["id"], "date": utc_millis(d)} for c, d in zip(items, dates, strict=True)
        ]
        return None

    def _page_problem(
        self, url: str, count: int, next_url: str | None, total: int | None
    ) -> str | None:
        if next_url and with_limit(next_url, self.page_size) in self.served | {url}:
            return f"the next link {next_url} points to a page of this history already served"
        if total is not None and self.total is not None and total != self.total:
            return f"X-Total-Count {total} differs from the first page's {self.total}"
        if count == 0 and next_url:
            return f"no commits but a next link ({next_url})"
        if count == 0 and (self.pages or total != 0):
            return (
                f"an empty page after {self.received} commits: the history is cut short"
                if self.pages
                else "no commits (a repository has at least its initial commit)"
            )
        if next_url:
            return None
        known = total if total is not None else self.total
        if known is not None and self.received + count != known:
            return (
                f"{self.received + count} commits over {self.pages + 1} pages but "
                f"X-Total-Count says {known}: the history is cut short"
            )
        return None

    def confirm_end(self, resp: Any, count: int) -> str | None:
        """The problem of a last page of ``count`` commits without X-Total-Count: None when it
        is shorter than the server's pages or the page after it is empty (one request)."""
        url = resp.history[0].url if resp.history else resp.url  # as asked, not as redirected
        full = self.served_size or asked_limit(url) or self.page_size
        if count < full:
            return None
        what = f"a full page ({count} commits) without a next link and no X-Total-Count"
        if self.fetch is None:
            return f"{what}: the end of the history cannot be confirmed"
        after = page_after(url)
        self.confirms += 1
        answer = self.fetch(after)
        if int(answer.status_code) != 200:
            return f"{what}, and the page after it ({after}) answered HTTP {answer.status_code}"
        try:
            items = answer.json()
        except ValueError:
            items = None
        if items == []:
            return None
        if not isinstance(items, list):
            return f"{what}, and the page after it ({after}) is not a JSON list of commits"
        return f"{what}, but the page after it ({after}) holds {len(items)}: it lost its next link"

    def _oldest_problem(self, oldest: datetime) -> str | None:
        latest = self.listed_at or datetime.now(UTC)
        if HUB_FIRST_DAY <= oldest <= latest:
            return None
        bound = (
            f"before the Hub's first day ({utc_millis(HUB_FIRST_DAY)})"
            if oldest < HUB_FIRST_DAY
            else f"after the listing ({utc_millis(latest)})"
        )
        return f"the oldest commit is dated {utc_millis(oldest)}, {bound}"

    def library_body(self, resp: Any) -> bytes:
        """The body handed to huggingface_hub: an accepted page with its dates in the one form
        the library parses (it refuses offsets and a space); any other answer as served."""
        if int(resp.status_code) != 200:
            return resp.content
        items = resp.json()
        for item in items:
            when = parse_time(item["date"], f"GET {resp.url}: commit date")
            item["date"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            # fields the library reads and the crawl does not store: never a KeyError there
            authors = item.get("authors") if isinstance(item.get("authors"), list) else []
            item["authors"] = [a for a in authors if isinstance(a, dict) and "user" in a]
            item.setdefault("title", "")
            item.setdefault("message", "")
            item.pop("formatted", None)
        return json.dumps(items).encode("utf-8")


def _fetch_history(
    bridge: HubBridge, api: Any, hist: HistoryPages, model_id: str, revision: str
) -> dict[str, Any]:
    """The history record of one model (see the module docstring)."""
    hist.reset()
    rec: dict[str, Any] = {"model_id": model_id, "revision": revision, "error_code": None}
    try:
        commits = api.list_repo_commits(model_id, revision=revision)
    except Exception as exc:  # the library's typed errors carry the answer
        answer = hub_http_error(exc)
        if answer is not None and answer[0] in FINAL_STATUSES:
            rec |= {"status": answer[0], "error_code": answer[1]}
            log.info("%s: HTTP %d %s; recorded", model_id, answer[0], answer[1] or "")
            return rec | {"commits": None, "total": None, "pages": hist.pages}
        if hub_id_refused(exc):
            log.warning("%s: huggingface_hub refuses the model id (%s); recorded", model_id, exc)
            return rec | {"status": 0, "error_code": "InvalidRepoId", "commits": None,
                          "total": None, "pages": 0}  # fmt: skip
        raise
    if [c.commit_id for c in commits] != [c["id"] for c in hist.commits]:
        url = bridge.last.url if bridge.last is not None else model_id
        raise FetchError(f"GET {url}: the commits of {model_id} differ from the pages accepted")
    rec["status"] = 200
    rec["commits"] = list(hist.commits)
    return rec | {"total": hist.total, "pages": hist.pages}


def iter_histories(markers: list[str | Path]) -> Iterator[dict[str, Any]]:
    """The history records of the given shards (their markers), each shard checked against its
    marker (models and part files); a damaged or missing part is an error naming the file and
    the rule that fetches it again."""
    for marker in markers:
        folder = hub_raw.shard_dir(marker)
        doc = read_json(marker)
        expected = int(doc["models"]) - len(doc.get("quarantined") or [])
        parts, records = hub_raw.list_parts(folder), []
        for part in parts:
            try:
                records += hub_raw.read_part(part)
            except InputError as exc:
                raise damaged(part, exc, RULE) from exc
        listed_parts = doc.get("parts", len(parts))  # a demo marker does not list its parts
        if len(records) != expected or len(parts) != int(listed_parts):
            raise InputError(
                f"{folder}: holds {len(records)} histories in {len(parts)} part files, but its "
                f"marker {marker} lists {expected} in {listed_parts}: a part file is missing or "
                f"was replaced. Recover it by rerunning its crawl: `snakemake --forcerun {RULE}` "
                "with the same configuration (it fetches the missing histories again)"
            )
        yield from records


def history_bridge(
    client: HttpClient,
    endpoint: str,
    page_size: int = COMMITS_PAGE,
    listed_at: datetime | None = None,
) -> tuple[HubBridge, HistoryPages]:
    """The bridge that runs ``HfApi.list_repo_commits`` through ``client``: commit requests only,
    ``page_size`` commits a page, every page verified (:class:`HistoryPages`; ``listed_at``: the
    listing's time, else now), the library handed dates it can parse. A bare 403 that persists
    is a FetchError (quarantined by the crawl), not the model's answer; a 404 retried by the
    check is believed once it persists."""
    hist = HistoryPages(token_used(client), page_size, listed_at)
    hist.fetch = lambda url: client.get(url, ok_statuses=CONFIRM_STATUSES)
    bridge = HubBridge(
        client,
        endpoint,
        check=hist.check,
        rewrite=lambda url: with_limit(url, int(page_size)),
        allow=commits_request,
        body=hist.library_body,
        record_after_retries=(404,),  # a 404 retried (see HistoryPages), then believed
    )
    return bridge, hist


def crawl_first_commits(
    hub_dir: str | Path,
    marker: str | Path,
    shard: int,
    n_shards: int,
    endpoint: str,
    *,
    pace: Pace = HISTORY_PACE,
    client: HttpClient | None = None,
    page_size: int = COMMITS_PAGE,
    part_size: int = HISTORY_PART_SIZE,
    snapshot: str | None = None,
    progress_every: float = 10.0,
    max_failed_share: float = 0.0,
    previous_snapshot: str | None = None,
) -> dict[str, Any]:
    """Fetch the commit histories of the floored models of shard ``shard`` (0-based) of
    ``n_shards``; returns the shard marker (written last, beside the part folder). A history that
    still fails after the retries is quarantined; when more than ``max_failed_share`` of the
    shard's models are quarantined at the end, the shard fails without a marker. With
    ``previous_snapshot`` the histories that dated a model there are taken over (copied,
    :mod:`hfreuse.hub.previous`) and the marker says how many."""
    hub_dir, marker_path = Path(hub_dir), Path(marker)
    check_shard("history", shard, n_shards)
    max_failed_share = check_max_failed_share(max_failed_share)
    require_listing(hub_dir)
    folder = hub_raw.shard_dir(marker_path)
    query = with_previous({"endpoint": endpoint.rstrip("/"), "shard": shard, "shards": n_shards,
                           "page_size": int(page_size)}, previous_snapshot)  # fmt: skip
    run = start_shard(f"history shard {shard + 1} of {n_shards}", folder, query, client, pace)
    revisions = floored_revisions(hub_dir)
    mine = shard_floored(revisions, shard, n_shards)
    parts, quarantine, todo = resume_shard(run, mine, part_size, "histories", marker_path)
    log.info("%s: %d of %d floored models, %d already stored, %d to fetch (%d quarantined by an "
             "earlier run, retried first)", run.label, len(mine), len(revisions), len(parts.kept),
             len(todo), len(quarantine))  # fmt: skip
    reused = taken_over(hub_dir, previous_snapshot, "history", shard, n_shards,
                        {m: revisions[m] for m in mine}, history_reusable)  # fmt: skip
    progress = run.progress(len(mine), len(parts.kept), progress_every)
    bridge, hist = history_bridge(run.client, endpoint, page_size, listing_time(hub_dir))

    def url_of(model_id: str) -> str:
        return with_limit(f"{query['endpoint']}/api/models/{model_id}/commits/"
                          f"{quote(revisions[model_id], safe='')}", int(page_size))  # fmt: skip

    step = quarantined_step(  # a history taken over, else fetched
        lambda m: reused.get(m) or _fetch_history(bridge, api, hist, m, revisions[m]),
        url_of, parts, quarantine)  # fmt: skip

    with parts.journal.recording(run.client, run.state["stats"]), bridge as api:
        run.loop(todo, step, progress, keep=parts.save)
        run.mark_finished()
        parts.flush()
    fields = _marker_fields(query, len(revisions), len(mine),
                            origin_fields(previous_snapshot, reused))  # fmt: skip
    return finish_shard(
        run, parts, quarantine, marker_path, hub_dir, snapshot, what="histories", fields=fields,
        pace_key="requests_per_minute", max_failed_share=max_failed_share, list_quarantine=False,
    )  # fmt: skip


def _marker_fields(
    query: Mapping[str, Any], floored: int, models: int, origin: Mapping[str, Any]
) -> Callable[[Mapping[str, int]], dict[str, Any]]:
    """The history shard's own marker fields, of its stored statuses (``floored``: the floored
    models of the listing; ``models``: the shard's)."""

    def fields(statuses: Mapping[str, int]) -> dict[str, Any]:
        return {
            **{k: query[k] for k in ("shard", "shards", "endpoint", "page_size")},
            "floored_models": floored,
            "models": models,
            "history_statuses": dict(sorted(statuses.items())),
            **origin,
        }

    return fields
