"""The forum's name: what ``GET /site/basic-info.json`` answers, stored once per snapshot.

Discourse answers ``/site/basic-info.json`` with the site's ``title`` and ``description`` (its
published API description). The listing crawl stores the answer beside ``/categories.json`` as
``site.json.gz``::

    {"url": "<base>/site/basic-info.json", "status": 200, "basic_info": {...as served...}}

A forum that does not answer it (404, or 403 where the site hides it) is stored with that
status and ``basic_info: null``: the study then names the forum by its host. Any other answer
(5xx after retries, HTML, a body without a title) fails the listing like a bad categories
answer, with one error naming the URL. The report names the forum by the one-row table :func:`site_table` makes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from ..clients import HttpClient
from ..crawl.state import move_aside
from ..errors import InputError
from ..io import read_json
from .crawl_common import check_answer, json_body
from .raw import write_json_gz

log = logging.getLogger(__name__)

SITE_FILE = "site.json.gz"
BASIC_INFO = "/site/basic-info.json"
#: statuses meaning "this forum does not tell its name": it is named by its host
UNANSWERED = (403, 404)
SCHEMA = pa.schema(
    [
        ("base_url", pa.string()),
        ("host", pa.string()),
        ("title", pa.string()),
        ("title_source", pa.string()),
    ]
)


def site_path(forum_dir: str | Path) -> Path:
    return Path(forum_dir) / SITE_FILE


def check_basic_info(doc: Any, where: str) -> dict[str, Any]:
    """A ``/site/basic-info.json`` answer: a mapping with a non-empty text ``title``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("title"), str):
        raise InputError(
            f"{where}: expected a JSON object with a text 'title' (Discourse basic-info)"
        )
    if not doc["title"].strip():
        raise InputError(f"{where}: the site's 'title' is empty")
    return doc


def check_site(doc: Any, where: str) -> dict[str, Any]:
    """A stored ``site.json.gz`` record (see the module docstring)."""
    if not isinstance(doc, dict) or set(doc) != {"url", "status", "basic_info"}:
        raise InputError(f"{where}: expected a record with url, status and basic_info")
    if doc["status"] == 200:
        check_basic_info(doc["basic_info"], where)
    elif doc["status"] not in UNANSWERED or doc["basic_info"] is not None:
        raise InputError(f"{where}: status {doc['status']!r} with basic_info {doc['basic_info']!r}")
    return doc


def store_site(forum_dir: str | Path, base_url: str, client: HttpClient) -> bool:
    """Ask ``base_url`` for its name once per snapshot (again if the stored copy is damaged).
    True when a request was made.

    The answer is verified before it is stored: status 200 with a JSON title, or one of
    :data:`UNANSWERED`; anything else raises :class:`FetchError` naming the URL.
    """
    path = site_path(forum_dir)
    if path.exists():
        try:
            check_site(read_json(path), str(path))
            return False
        except InputError as exc:
            move_aside(path, exc)
    url = base_url.rstrip("/") + BASIC_INFO
    resp = client.get(url, ok_statuses=(200, *UNANSWERED))
    info = None
    if resp.status_code == 200:
        info = check_answer(check_basic_info, json_body(resp, url), url)
    else:
        log.info("GET %s: %d; the forum is named by its host", url, resp.status_code)
    write_json_gz(path, {"url": url, "status": resp.status_code, "basic_info": info})
    return True


def site_table(forum_dir: str | Path, base_url: str, rule: str) -> pa.Table:
    """One row naming the crawled forum: ``base_url``, ``host``, ``title`` (the site's title,
    else the host) and ``title_source`` (``basic-info`` or ``host``). A missing or damaged
    ``site.json.gz`` is an error naming the file and ``rule``, the rule that fetches it again."""
    path = site_path(forum_dir)
    if not path.exists():
        raise InputError(
            f"{path}: missing (the forum's name); run `snakemake --forcerun {rule}` to fetch it"
        )
    try:
        doc = check_site(read_json(path), str(path))
    except InputError as exc:
        raise InputError(f"{exc}; run `snakemake --forcerun {rule}` to fetch it again") from exc
    host = urlsplit(base_url).hostname or base_url
    info = doc["basic_info"]
    title, source = (info["title"].strip(), "basic-info") if info else (host, "host")
    row = {"base_url": base_url, "host": host, "title": title, "title_source": source}
    return pa.Table.from_pylist([row], schema=SCHEMA)
