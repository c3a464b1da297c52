"""Helpers of the crawl tests (Hub and forum, against the stubs on 127.0.0.1): fast clients, the
Hub's expand fields, crawls of the stub Hub and the stub forum, a process killed mid-crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from forum_stub import FEED_WINDOW, StubServer, bad_gateway
from hfreuse.clients import FetchError, HttpClient
from hfreuse.forum import raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.topics import crawl_topics
from hfreuse.hub.listing import crawl_models
from hub_stub import StubHub
from testenv import ROOT

#: The fields the Hub listing asks for (config/config.yaml's hub.expand).
EXPAND = [
    "author",
    "createdAt",
    "lastModified",
    "config",
    "cardData",
    "pipeline_tag",
    "library_name",
    "downloads",
    "likes",
    "tags",
    "siblings",
    "sha",
]
PAGE = 100
FAST = 60000.0  # requests per minute: pacing of 1 ms, the stub is local


def client(**kw) -> HttpClient:
    """A fresh Hub client with short backoffs (a parameter of the client, not a mock)."""
    kw.setdefault("max_retries", 3)
    kw.setdefault("backoff_base", 0.05)
    return HttpClient(kw.pop("rpm", FAST), **kw)


def crawl_hub(hub: StubHub, hub_dir: Path, **kw) -> dict:
    """The Hub listing of the stub (pages of ``page_size``, default 100); returns its manifest."""
    kw.setdefault("client", client())
    return crawl_models(hub_dir, hub.base_url, EXPAND, kw.pop("page_size", PAGE), **kw)


class Sleeps(list):
    """Records the waits the client asks for instead of sleeping (the client's own hook)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def forum_client(sleeps: Sleeps | None = None, **kw) -> HttpClient:
    """A fresh forum client that records its waits instead of sleeping."""
    return HttpClient(60_000, sleep=sleeps if sleeps is not None else Sleeps(), **kw)


def crawl_forum(stub: StubServer, forum_dir: Path, http: HttpClient | None = None, **kw) -> dict:
    """The listing, then the topics, of the stub forum; returns the topics' manifest."""
    listing_kw = {k: kw.pop(k) for k in ("start", "end", "max_topics") if k in kw}
    crawl_listing(forum_dir, stub.url, client=http or forum_client(), **listing_kw)
    return crawl_topics(forum_dir, client=http or forum_client(), **kw)


def stopped_walk(stub: StubServer, forum: Path) -> int:
    """A listing crawl, then a feed walk stopped by a server failing for good on its 6th page
    (pages 0-4 stored); returns the before= of that page."""
    crawl_listing(forum, stub.url, client=forum_client())
    newest = max(p["id"] for t in stub.site.entries for p in stub.site.all_posts(t))
    stop_at = newest - 5 * FEED_WINDOW
    stub.fail(f"/posts.json?before={stop_at}", *(bad_gateway() for _ in range(3)))
    with pytest.raises(FetchError, match=f"before={stop_at}"):
        crawl_topics(forum, client=forum_client(max_retries=2), plan="feed")
    assert raw.feed_page_path(forum, 4).exists() and not raw.feed_page_path(forum, 5).exists()
    return stop_at


def assert_same(left: list[pa.Table], right: list[pa.Table]) -> None:
    """The categories, topics and posts tables are equal, row for row."""
    assert len(left) == len(right) == 3
    for a, b in zip(left, right, strict=True):
        assert a.schema == b.schema and a.num_rows == b.num_rows
        assert a.equals(b)


def run_until(cmd: list[str], ready: Callable[[], bool], timeout: float = 60.0) -> None:
    """Run ``cmd`` in its own process group and SIGKILL the group once ``ready()`` is true."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "workflow" / "scripts")}
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert proc.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "the crawl made no progress"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
