"""True creation dates: the oldest commit of every model whose ``createdAt`` is the Hub's floor.

The Hub reports ``createdAt`` 2022-03-02T23:29:04Z for every model created before that date; the
true date is the date of the repository's first commit. :func:`crawl_first_commits` fetches, for
one static shard of the floored models (stable hash of the model id), the commit history
``GET <endpoint>/api/models/{id}/commits/{revision}`` at the listed revision with
``huggingface_hub.HfApi.list_repo_commits`` (which follows the ``Link: <...>; rel="next"`` pages),
every request sent by the project's paced client (:class:`hfreuse.clients.HubBridge`). Each page
asks for ``limit`` commits (:data:`COMMITS_PAGE`, the largest page the Hub serves): a history of
up to that many commits costs one request, a longer one ``ceil(commits / limit)``.

Every page is verified before its history is stored: a JSON list of commits with an ``id`` and a
parseable ``date``; no empty page with a next link (a page may hold fewer commits than asked: the
Hub caps the page size); and, when the Hub sends ``X-Total-Count``, the commits received must add
up to it. An answer that fails is fetched again with the client's retries, then the crawl stops
with a FetchError naming the URL.

Layout (beside the README shards, same conventions)::

    history/shard-1-of-4.json                    completion marker (written last)
    history/shard-1-of-4/part-000001.jsonl.gz    one record per model (see below)
    history/shard-1-of-4/state.json              request counts of a shard in progress

A record is ``{"model_id", "revision", "status", "error_code", "commits", "total", "pages"}``:
``status`` 200 with ``commits`` (``[{"id", "date"}]``, newest first as served), or the final
status of a repository gone (404 ``RepoNotFound``, 410, anonymously 401 ``RepoNotFound``), a
revision gone (404 ``RevisionNotFound``: the history was rewritten), a gated or disabled
repository (403 with the Hub's ``X-Error-Code``), 451; ``status`` 0 when huggingface_hub refuses
the model id itself. A bare 403 is retried and recorded only if it persists. Any other 401 (the
token refused) stops the crawl at once, keeping what was fetched (a rerun resumes).

A shard killed at any point resumes from its part files: models already stored are not asked
again (a model's history is fetched in one go, so at most the model in flight is fetched twice).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..clients import FetchError, HttpClient, HubBridge, hub_http_error, hub_id_refused
from ..crawl.pacing import Pace, token_used
from ..crawl.runner import ShardRun, check_stored, require_listing, start_shard
from ..crawl.stats import Stats
from ..io import atomic_write_json, atomic_write_jsonl_gz, parse_time
from ..shards import check_shard, stable_shard
from . import raw as hub_raw
from .answers import ANONYMOUS_401_CODES
from .parse import FLOOR

log = logging.getLogger(__name__)

COMMITS_PAGE = 1000  # commits asked for a page (the Hub serves up to 1000)
HISTORY_PACE = Pace(450.0)  # the API bucket (about 500 requests / 5 minutes anonymous ... per IP)
HISTORY_PART_SIZE = 200
FINAL_STATUSES = (401, 403, 404, 410, 451)  # recorded as the model's answer (see the docstring)


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


def _commit_problem(items: Any) -> str | None:
    if not isinstance(items, list):
        return f"expected a JSON list of commits, got {type(items).__name__}"
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return f"commit {i} is not an object with a string 'id'"
        try:
            datetime.fromisoformat(str(item.get("date")).replace("Z", "+00:00"))
        except ValueError:
            return f"commit {i} ({item['id']}) has no parseable 'date' ({item.get('date')!r})"
    return None


class HistoryPages:
    """The pages of one model's history as they are accepted (the bridge's ``check``): a JSON
    list of commits with ids and dates, no empty page with a next link, the commits adding up to
    ``X-Total-Count``; a 401 refusing the token stops the crawl."""

    def __init__(self, token_used: bool) -> None:
        self.token_used = token_used
        self.reset()

    def reset(self) -> None:
        self.pages, self.received, self.total = 0, 0, None

    def check(self, resp: Any) -> str | None:
        status, url = int(resp.status_code), resp.url
        code = resp.headers.get("X-Error-Code")
        if status == 401 and (self.token_used or code not in ANONYMOUS_401_CODES):
            refused = "the token was refused" if self.token_used else "anonymous access refused"
            raise FetchError(
                f"GET {url}: HTTP 401 Unauthorized ({code or 'no X-Error-Code'}): {refused}; "
                "set or check HF_TOKEN (or `hf auth login`). Histories fetched so far are kept"
            )
        if status == 403 and not code:
            return "HTTP 403 without the Hub's X-Error-Code (its front refusing for now)"
        if status != 200:
            return None
        try:
            items = resp.json()
        except ValueError as exc:
            return f"{len(resp.content)} bytes that do not parse as JSON ({exc})"
        problem = _commit_problem(items)
        if problem:
            return problem
        next_url = resp.links.get("next", {}).get("url")
        if next_url and not items:
            return f"no commits but a next link ({next_url})"
        total = resp.headers.get("X-Total-Count")
        if total is not None and total.isdigit():
            if self.total is not None and int(total) != self.total:
                return f"X-Total-Count {total} differs from the first page's {self.total}"
            self.total = int(total)
        self.pages += 1
        self.received += len(items)
        return None


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
    if hist.total is not None and hist.total != len(commits):
        url = bridge.last.url if bridge.last is not None else model_id
        raise FetchError(
            f"GET {url}: the history of {model_id} has {len(commits)} commits over "
            f"{hist.pages} pages but X-Total-Count says {hist.total}; listing not complete"
        )
    rec["status"] = 200
    rec["commits"] = [
        {"id": c.commit_id, "date": c.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
        for c in commits
    ]
    return rec | {"total": hist.total, "pages": hist.pages}


def iter_histories(markers: list[str | Path]) -> Iterator[dict[str, Any]]:
    """The history records of the given shards (their markers)."""
    for marker in markers:
        yield from hub_raw.iter_cards(hub_raw.shard_dir(marker))


def history_bridge(
    client: HttpClient, endpoint: str, page_size: int = COMMITS_PAGE
) -> tuple[HubBridge, HistoryPages]:
    """The bridge that runs ``HfApi.list_repo_commits`` through ``client``: commit requests only,
    ``page_size`` commits a page, every page verified (:class:`HistoryPages`), a bare 403 that
    persists handed to the library as the model's answer."""
    hist = HistoryPages(token_used(client))
    bridge = HubBridge(
        client,
        endpoint,
        check=hist.check,
        rewrite=lambda url: with_limit(url, int(page_size)),
        allow=commits_request,
        record_after_retries=(403,),
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
) -> dict[str, Any]:
    """Fetch the commit histories of the floored models of shard ``shard`` (0-based) of
    ``n_shards``; returns the shard marker (written last, beside the part folder)."""
    hub_dir, marker_path = Path(hub_dir), Path(marker)
    check_shard("history", shard, n_shards)
    require_listing(hub_dir)
    folder = hub_raw.shard_dir(marker_path)
    query = {"endpoint": endpoint.rstrip("/"), "shard": shard, "shards": n_shards,
             "page_size": int(page_size)}  # fmt: skip
    run = start_shard(f"history shard {shard + 1} of {n_shards}", folder, query, client, pace)
    revisions = floored_revisions(hub_dir)
    mine = shard_floored(revisions, shard, n_shards)
    parts = RecordParts(folder, run.state, run.client, part_size)
    check_stored(folder, parts.done, mine, "histories")
    todo = [m for m in mine if m not in parts.done]
    log.info("%s: %d of %d floored models, %d already stored, %d to fetch",
             run.label, len(mine), len(revisions), len(parts.done), len(todo))  # fmt: skip
    progress = run.progress(len(mine), len(parts.done), progress_every)
    bridge, hist = history_bridge(run.client, endpoint, page_size)
    with bridge as api:
        run.loop(todo, lambda m: parts.add(_fetch_history(bridge, api, hist, m, revisions[m])),
                 progress, keep=parts.flush)  # fmt: skip
    run.mark_finished()
    parts.flush()
    return _finish(run, parts, hub_dir, marker_path, snapshot, query, len(revisions), mine)


def _finish(
    run: ShardRun,
    parts: RecordParts,
    hub_dir: Path,
    marker_path: Path,
    snapshot: str | None,
    query: dict[str, Any],
    floored: int,
    mine: list[str],
) -> dict[str, Any]:
    """Write the shard's marker (last); returns it."""
    statuses = Counter(str(parts.done[m]) for m in mine)
    fields = {
        "shard": query["shard"],
        "shards": query["shards"],
        "endpoint": query["endpoint"],
        "page_size": query["page_size"],
        "floored_models": floored,
        "models": len(mine),
        "history_statuses": dict(sorted(statuses.items())),
        "parts": len(hub_raw.list_parts(run.folder)),
    }
    doc = run.finish(marker_path, hub_dir, snapshot, fields, "requests_per_minute")
    log.info(
        "%s complete: %d models (%s), %d requests over %d run(s)",
        run.label, len(mine), ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
        run.state["stats"]["requests"], run.state["runs"],
    )  # fmt: skip
    return doc
