"""A stub HuggingFace Hub on pytest-httpserver that replays real recorded responses.

The model objects are ~3.5 k real ``/api/models/{id}`` responses (July 2024) from
``../shared/data/hub/stalnaker-2024/model_data/*.zip``; ``/api/models`` serves them like the Hub
does: sorted by ``createdAt`` (ties by ``_id``), only ``_id``, ``id`` and the requested
``expand[]`` fields, ``limit`` items a page, an opaque keyset ``cursor`` and a
``Link: <...>; rel="next"`` header on every full page (as many models as asked): the listing ends
with a page of fewer models (or none) and no next link. README texts are real model cards
from ``../shared/data/hub/hn5318-cards``: a model that lists README.md gets one of them (its own
when the card set has it) while texts last, the other models 404, as does a wrong revision.

Faults are injected per page or per model (served once each, in order) or permanently from a
page on. Nothing here is our crawler's code: the tests drive the real crawler against it.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from testenv import shared_path
from werkzeug import Request, Response

README_RE = re.compile(r"^/(?P<model>.+)/resolve/(?P<rev>[^/]+)/README\.md$")
COMMITS_RE = re.compile(r"^/api/models/(?P<model>.+)/commits/(?P<rev>[^/]+)$")
FLOOR_ISO = "2022-03-02T23:29:04.000Z"
RATELIMIT_POLICY = '"fixed window";"api";q=100000;w=300'


@functools.lru_cache(maxsize=1)
def real_models() -> tuple[dict[str, Any], ...]:
    """Every real model object of the recorded responses, sorted like the Hub's createdAt sort."""
    models: dict[str, dict[str, Any]] = {}
    folder = shared_path("hub", "stalnaker-2024", "model_data")
    for zpath in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(zpath) as zf:
            for name in sorted(zf.namelist()):
                if name.endswith(".json"):
                    obj = json.loads(zf.read(name))
                    models[obj["id"]] = obj
    return tuple(sorted(models.values(), key=lambda m: (m["createdAt"], m["_id"])))


@functools.lru_cache(maxsize=1)
def real_card_texts() -> dict[str, str]:
    """Real model-card texts by model id, in the file's order."""
    path = shared_path("hub", "hn5318-cards", "Dataset", "Sample_modelcard", "samples_data.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {doc[k]["modelId"]: doc[k]["modelcard_text"] for k in sorted(doc, key=int)}


@functools.lru_cache(maxsize=1)
def real_model_lists() -> tuple[list[dict[str, Any]], ...]:
    """The 10 real ``/api/models`` list pages (default fields, 1000 models each)."""
    folder = shared_path("hub", "stalnaker-2024", "model_lists")
    return tuple(
        json.loads((folder / f"models_page{i}_07-11-2024.json").read_text(encoding="utf-8"))
        for i in range(1, 11)
    )


def has_readme(model: dict[str, Any]) -> bool:
    return any(s.get("rfilename") == "README.md" for s in model.get("siblings") or [])


def assign_cards(models: tuple[dict[str, Any], ...]) -> dict[str, str]:
    """README text per model id: own card if recorded, else the next unused real card."""
    own = real_card_texts()
    readme_ids = sorted(m["id"] for m in models if has_readme(m))
    pool = [own[mid] for mid in own if mid not in set(readme_ids)]
    cards: dict[str, str] = {}
    for mid in readme_ids:
        if mid in own:
            cards[mid] = own[mid]
        elif pool:
            cards[mid] = pool.pop(0)
    return cards


def _key(model: dict[str, Any]) -> tuple[str, str]:
    return (model["createdAt"], model["_id"])


def encode_cursor(model: dict[str, Any]) -> str:
    raw = json.dumps({"$gt": {"createdAt": model["createdAt"], "_id": model["_id"]}})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    gt = json.loads(raw)["$gt"]
    return (gt["createdAt"], gt["_id"])


@dataclass
class Hit:
    """One request the stub answered."""

    kind: str  # "list" or "card"
    key: Any  # page number or model id
    status: int
    url: str
    authorization: str | None


@dataclass
class StubHub:
    """The stub's behaviour and its request log; :meth:`install` wires it into an HTTPServer."""

    models: tuple[dict[str, Any], ...]
    max_limit: int = 1000
    overlap: int = 0  # each page repeats this many models of the previous one (a shifting cursor)
    cards: dict[str, str] = field(default_factory=dict)
    faults: dict[tuple[str, Any], list[tuple[int, dict[str, str], bytes]]] = field(
        default_factory=dict
    )
    broken_from_page: int | None = None  # every list page from this one on fails (503)
    heavy_from_page: int | None = None  # from this page on, a limit above heavy_limit times out
    heavy_limit: int = 50
    hits: list[Hit] = field(default_factory=list)
    wrong_revisions: list[str] = field(default_factory=list)
    link_back: dict[int, int] = field(default_factory=dict)  # page N's next link: page M's URL
    page_urls: dict[int, str] = field(default_factory=dict)  # the URL each page was asked at
    # commit histories (model id -> commits newest first), served at most commits_limit a page
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    commits_limit: int = 50
    gone: set[str] = field(default_factory=set)  # repositories deleted since the listing
    total_count: bool = True  # send X-Total-Count on commit pages
    short_by: dict[str, int] = field(default_factory=dict)  # history served without its oldest k
    # README.md at the commits of a history: there from this index on (oldest first), with
    # readme_then[model] as its text until the newest commit (which has the current card)
    readme_from: dict[str, int] = field(default_factory=dict)
    readme_then: dict[str, str] = field(default_factory=dict)
    # every request of a kind ("card", "commits") answered with this (status, headers, body)
    always: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    # the next link of commit page (model, page): the page numbers (None: no link) it points to,
    # one taken each time the page is served (then the true link)
    commit_links: dict[tuple[str, int], list[int | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pages: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._sha = {m["id"]: m.get("sha") for m in self.models}

    def install(self, httpserver: Any) -> StubHub:
        httpserver.expect_request("/api/models").respond_with_handler(self.list_page)
        httpserver.expect_request(COMMITS_RE).respond_with_handler(self.commits)
        httpserver.expect_request(README_RE).respond_with_handler(self.readme)
        self.base_url = httpserver.url_for("").rstrip("/")
        return self

    # --- faults -------------------------------------------------------------------------------

    def fail_once(
        self, kind: str, key: Any, status: int, headers: dict[str, str] | None = None, body=b""
    ) -> None:
        """Answer the next request for page ``key`` (or model ``key``) with this response."""
        self.faults.setdefault((kind, key), []).append((status, headers or {}, body))

    def _fault(self, kind: str, key: Any) -> Response | None:
        queue = self.faults.get((kind, key))
        if queue:
            status, headers, body = queue.pop(0)
            return Response(body, status=status, headers=headers)
        if kind in self.always:
            status, headers, body = self.always[kind]
            return Response(body, status=status, headers=headers)
        return None

    def _log(self, kind: str, key: Any, request: Request, resp: Response) -> Response:
        with self._lock:
            self.hits.append(
                Hit(kind, key, resp.status_code, request.url, request.headers.get("Authorization"))
            )
        return resp

    def count(self, kind: str, status: int | None = None) -> int:
        return sum(
            1 for h in self.hits if h.kind == kind and (status is None or h.status == status)
        )

    # --- handlers -----------------------------------------------------------------------------

    def list_page(self, request: Request) -> Response:
        args = request.args
        if args.get("sort") != "createdAt" or args.get("direction") != "1":
            return self._log("list", None, request, Response("bad sort", status=400))
        limit = min(int(args.get("limit", "1000")), self.max_limit)
        expand = args.getlist("expand[]") or args.getlist("expand")
        keys = [_key(m) for m in self.models]
        start = 0
        if "cursor" in args:
            start = max(0, bisect.bisect_right(keys, decode_cursor(args["cursor"])) - self.overlap)
        with self._lock:  # page number: position of the cursor in the chain, retries included
            page_no = self._pages.setdefault(args.get("cursor", ""), len(self._pages) + 1)
            self.page_urls.setdefault(page_no, request.url)
        fault = self._fault("list", page_no)
        if fault is None and self.broken_from_page and page_no >= self.broken_from_page:
            fault = Response("Service Unavailable", status=503)
        if (
            fault is None
            and self.heavy_from_page
            and page_no >= self.heavy_from_page
            and limit > self.heavy_limit
        ):
            fault = Response("Gateway Time-out", status=504)
        if fault is not None:
            return self._log("list", page_no, request, fault)
        chunk = self.models[start : start + limit]
        items = [
            {"_id": m["_id"], "id": m["id"], **{f: m[f] for f in expand if f in m}} for m in chunk
        ]
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "RateLimit": '"api";r=99999;t=300',
            "RateLimit-Policy": RATELIMIT_POLICY,
        }
        if page_no in self.link_back:
            headers["Link"] = f'<{self.page_urls[self.link_back[page_no]]}>; rel="next"'
        elif len(chunk) == limit:
            query = [(k, v) for k, v in args.items(multi=True) if k != "cursor"]
            query.append(("cursor", encode_cursor(chunk[-1])))
            headers["Link"] = f'<{self.base_url}/api/models?{urlencode(query)}>; rel="next"'
        resp = Response(json.dumps(items), status=200, headers=headers)
        return self._log("list", page_no, request, resp)

    def readme(self, request: Request) -> Response:
        m = README_RE.match(request.path)
        model_id, rev = m.group("model"), m.group("rev")
        fault = self._fault("card", model_id)
        if fault is not None:
            return self._log("card", model_id, request, fault)
        at = self._history_index(model_id, rev)
        if at is not None:
            resp = self._readme_at(model_id, rev, at)
        elif model_id not in self._sha or rev != (self._sha[model_id] or "main"):
            self.wrong_revisions.append(model_id)
            resp = Response("Revision Not Found", status=404)
        elif model_id in self.cards:
            body = self.cards[model_id].encode("utf-8")
            resp = Response(body, status=200, headers=readme_headers(body, model_id, rev))
        else:
            resp = Response(
                "Entry not found", status=404, headers={"X-Error-Code": "EntryNotFound"}
            )
        return self._log("card", model_id, request, resp)

    def commits(self, request: Request) -> Response:
        """``/api/models/{id}/commits/{revision}``: the history newest first, ``limit`` commits
        a page (at most ``commits_limit``), page ``p`` (0-based), a next link while more remain,
        ``X-Total-Count``; 404 ``RepoNotFound`` for a repository gone, 404 ``RevisionNotFound``
        for a revision that is not the listed one (nor ``main``)."""
        m = COMMITS_RE.match(request.path)
        model_id, rev = m.group("model"), m.group("rev")
        page = int(request.args.get("p", "0"))
        key = (model_id, page)
        fault = self._fault("commits", key)
        if fault is not None:
            return self._log("commits", key, request, fault)
        if model_id in self.gone or model_id not in self.histories:
            resp = Response(
                json.dumps({"error": "Repository not found"}),
                status=404,
                headers={"X-Error-Code": "RepoNotFound", "Content-Type": "application/json"},
            )
            return self._log("commits", key, request, resp)
        if rev not in ("main", self._sha.get(model_id)):
            resp = Response(
                json.dumps({"error": "Invalid rev id"}),
                status=404,
                headers={"X-Error-Code": "RevisionNotFound", "Content-Type": "application/json"},
            )
            return self._log("commits", key, request, resp)
        limit = min(int(request.args.get("limit", str(self.commits_limit))), self.commits_limit)
        history = self.histories[model_id]
        if self.total_count:
            total = str(len(history))
        history = history[: len(history) - self.short_by.get(model_id, 0)]
        chunk = history[page * limit : (page + 1) * limit]
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.total_count:
            headers["X-Total-Count"] = total
        links = self.commit_links.get(key)
        next_page = page + 1 if (page + 1) * limit < len(history) else None
        if links:
            next_page = links.pop(0)
        if next_page is not None:
            query = [(k, v) for k, v in request.args.items(multi=True) if k != "p"]
            query += [("p", str(next_page))] if next_page else []
            url = f"{self.base_url}{request.path}?{urlencode(query)}"
            headers["Link"] = f'<{url}>; rel="next"'
        return self._log("commits", key, request, Response(json.dumps(chunk), headers=headers))

    def _history_index(self, model_id: str, rev: str) -> int | None:
        """Position (oldest first) of commit ``rev`` in the model's history, or None."""
        history = self.histories.get(model_id) or []
        ids = [c["id"] for c in reversed(history)]
        return ids.index(rev) if rev in ids else None

    def _readme_at(self, model_id: str, rev: str, at: int) -> Response:
        newest = len(self.histories[model_id]) - 1
        if model_id not in self.cards or at < self.readme_from.get(model_id, 0):
            return Response(
                "Entry not found", status=404, headers={"X-Error-Code": "EntryNotFound"}
            )
        text = self.cards[model_id] if at == newest else self.readme_then.get(model_id)
        body = (text if text is not None else self.cards[model_id]).encode("utf-8")
        return Response(body, status=200, headers=readme_headers(body, model_id, rev))


def floored(model: dict[str, Any]) -> bool:
    return model["createdAt"] <= FLOOR_ISO


def make_histories(
    models: tuple[dict[str, Any], ...],
    lengths: tuple[int, ...] = (1, 2, 3, 7, 49, 50, 51, 150),
    only_floored: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """A history for every floored model (newest first, as the Hub serves it): the model's
    position picks its length from ``lengths`` (1 to 150 commits: one page, exactly one full
    page, and longer), a first commit between 2019-01 and 2022-02, one commit a day after it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for i, model in enumerate(m for m in models if floored(m) or not only_floored):
        n = lengths[i % len(lengths)]
        digest = int(hashlib.sha1(model["id"].encode()).hexdigest()[:8], 16)
        first = 1546300800 + digest % (3 * 365 * 86400)  # 2019-01-01 + up to 3 years
        commits = [
            {
                "id": hashlib.sha1(f"{model['id']}:{k}".encode()).hexdigest(),
                "title": "initial commit" if k == 0 else f"update {k}",
                "message": "",
                "authors": [{"user": "demo", "avatar": None}],
                "date": _iso_seconds(first + k * 86400),
            }
            for k in range(n)
        ]
        out[model["id"]] = commits[::-1]
    return out


def _iso_seconds(t: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


def readme_headers(body: bytes, model_id: str, rev: str) -> dict[str, str]:
    """The Hub's headers for a README.md: its git blob id as ETag, the commit served."""
    commit = rev if re.fullmatch(r"[0-9a-f]{40}", rev) else hashlib.sha1(model_id.encode())
    return {
        "Content-Type": "text/plain; charset=utf-8",
        "ETag": f'"{git_blob_sha1(body)}"',
        "X-Repo-Commit": commit if isinstance(commit, str) else commit.hexdigest(),
    }


def served_item(model: dict[str, Any], expand: list[str]) -> dict[str, Any]:
    """What the stub (and the Hub) serves for ``model`` with these ``expand`` fields."""
    return {"_id": model["_id"], "id": model["id"], **{f: model[f] for f in expand if f in model}}


@dataclass
class RecordedPages:
    """Replays the 10 real list pages verbatim (``?cursor=N``), whatever the query asks.

    Each of them links to the next (the real listing went on), the page after the last is empty
    and has no next link: the end of this listing."""

    pages: tuple[list[dict[str, Any]], ...]
    hits: list[str] = field(default_factory=list)

    def install(self, httpserver: Any) -> RecordedPages:
        httpserver.expect_request("/api/models").respond_with_handler(self.handle)
        self.base_url = httpserver.url_for("").rstrip("/")
        return self

    def handle(self, request: Request) -> Response:
        n = int(request.args.get("cursor", "0"))
        self.hits.append(request.url)
        headers = {"Content-Type": "application/json"}
        if n < len(self.pages):
            query = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
            query.append(("cursor", str(n + 1)))
            headers["Link"] = f'<{self.base_url}/api/models?{urlencode(query)}>; rel="next"'
        page = self.pages[n] if n < len(self.pages) else []
        return Response(json.dumps(page), status=200, headers=headers)
