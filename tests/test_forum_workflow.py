"""End to end: the live forum rules on the stub Discourse, killed with SIGKILL halfway and rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_workflow, run_snakemake
from forum_stub import DiscourseSite, StubServer
from hfreuse.clients import HttpClient
from hfreuse.forum import raw as raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.parse import parse_forum
from hfreuse.forum.topics import crawl_topics
from hfreuse.io import read_json, write_table
from testenv import write_live_overlay

TABLES = ["categories", "topics", "posts"]
TARGETS = [f"results/forum/{t}.parquet" for t in TABLES]
KEY = "e2e-pseudonym-key-0123456789"


def overlay(wf: Path, base_url: str) -> Path:
    # 25 requests a second: the topic crawl lasts several seconds
    forum = {"base_url": base_url, "requests_per_minute": 1500}
    return write_live_overlay(wf / "config" / "stub-forum.yaml", "stub-forum", forum=forum)


def stored_topics(forum_dir: Path) -> int:
    folder = forum_dir / "topics"
    return sum(1 for _ in folder.rglob("*.json.gz")) if folder.exists() else 0


@pytest.mark.workflow
def test_sigkilled_live_crawl_rerun_gives_identical_tables(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, KEY)  # the same pseudonyms in the reference and the runs
    stub = StubServer(httpserver, DiscourseSite())
    n_topics = len(stub.site.entries)
    want = stub.site.expected_requests()

    # reference: an uninterrupted crawl and parse, in process
    ref = tmp_path / "ref" / "forum"
    crawl_listing(ref, stub.url, client=HttpClient(60_000))
    crawl_topics(ref, client=HttpClient(60_000))
    for name, table in zip(TABLES, parse_forum(ref), strict=True):
        write_table(table, tmp_path / "ref" / f"{name}.parquet")
    stub.log.clear()

    wf = copy_workflow(tmp_path / "wf")
    cfg = overlay(wf, stub.url)
    forum = wf / "resources" / "raw" / "stub-forum" / "forum"
    cmd = [sys.executable, "-m", "snakemake", *TARGETS, "--cores", "2", "--configfile", str(cfg)]
    proc = subprocess.Popen(
        cmd, cwd=wf, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180
        while stored_topics(forum) < n_topics // 3:
            assert proc.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "the crawl made no progress"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # snakemake and its job, halfway through
        proc.wait()
    time.sleep(0.3)
    stored = stored_topics(forum)
    assert n_topics // 3 <= stored < n_topics
    assert not (forum / "manifest.json").exists() and (forum / "listing.json").exists()
    time.sleep(0.3)
    assert stored_topics(forum) == stored  # nothing of the killed run goes on
    killed = len(stub.log)
    key_file = forum / ".pseudonym_key"
    assert not key_file.exists()  # the environment's key is used; none is written

    run_snakemake(wf, "--unlock", "--configfile", str(cfg))
    # the rerun also builds the statistics and a figure (this forum has no Beginners category)
    figure = "results/figures/beginners_vs_intermediate.json"
    more = ["results/forum/summary.parquet", figure]
    run_snakemake(wf, *TARGETS, *more, "--cores", "2", "--configfile", str(cfg))
    spec = read_json(wf / figure)
    assert "No topics in: Beginners, Intermediate" in spec["title"]["subtitle"]
    assert not any("SYNTHETIC" in line for line in spec["title"]["subtitle"])

    for name in TABLES:
        got = (wf / "results" / "forum" / f"{name}.parquet").read_bytes()
        assert got == (tmp_path / "ref" / f"{name}.parquet").read_bytes(), name
    # the rerun fetched only the topics the killed run had not stored (one at most twice)
    rerun = stub.log[killed:]
    assert not [k for k, _ in rerun if k.startswith(("/latest", "/categories"))]
    topic_hits = stub.topic_requests()
    assert sorted(set(topic_hits)) == sorted(stub.site.entries)
    assert n_topics <= len(topic_hits) <= n_topics + 1
    assert len(stub.log) <= want["total"] + 2  # + a topic and its batch fetched twice at most
    manifest = read_json(forum / "manifest.json")
    assert manifest["topics"]["kept"] == stored
    assert manifest["topics"]["kept"] + manifest["topics"]["fetched"] == n_topics
    # a request journaled but cut by the kill before the stub saw it counts too (interrupted)
    in_flight = manifest["requests"]["statuses"].get("interrupted", 0)
    assert len(rerun) <= manifest["requests"]["requests"] <= len(stub.log) + in_flight
    assert (wf / "logs" / "fetch_forum_topics" / "stub-forum.log").exists()
