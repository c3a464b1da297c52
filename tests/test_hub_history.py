"""True creation dates: the commit-history crawl against the stub Hub (real recorded models,
histories of 1 to 150 commits for the floored ones), driven through huggingface_hub."""

from __future__ import annotations

import gzip
import math
import sys
from pathlib import Path

import pytest
from crawl_support import FAST, client, run_until
from hfreuse.clients import FetchError
from hfreuse.crawl.journal import Journal
from hfreuse.crawl.pacing import Pace
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.first_commits import (
    crawl_first_commits,
    floored_revisions,
    iter_histories,
)
from hfreuse.io import read_json
from hfreuse.shards import stable_shard
from hub_stub import floored, real_models


def marker(hub_dir: Path, k: int, n: int) -> Path:
    return hub_dir / "history" / f"shard-{k + 1}-of-{n}.json"


def run_all(hub, hub_dir, n=3, **kw):
    return [
        crawl_first_commits(
            hub_dir, marker(hub_dir, k, n), k, n, hub.base_url, client=client(), **kw
        )  # fmt: skip
        for k in range(n)
    ]


def first_dates(hub_dir: Path, n: int) -> dict[str, str | None]:
    recs = iter_histories([marker(hub_dir, k, n) for k in range(n)])
    return {r["model_id"]: (r["commits"][-1]["date"] if r["status"] == 200 else None) for r in recs}


def test_the_oldest_commit_of_every_floored_model_in_the_fewest_requests(hub, listed):
    floored_ids = sorted(m["id"] for m in real_models() if floored(m))
    assert sorted(floored_revisions(listed)) == floored_ids and floored_ids
    markers = run_all(hub, listed)
    got = first_dates(listed, 3)
    assert got == {m: hub.histories[m][-1]["date"] for m in floored_ids}
    # one request a page of at most 50 commits: lengths 1..150 cost 1..3 requests, nothing more
    pages = sum(math.ceil(len(hub.histories[m]) / hub.commits_limit) for m in floored_ids)
    assert hub.count("commits") == pages == sum(m["stats"]["requests"] for m in markers)
    assert max(len(h) for h in hub.histories.values()) == 150
    assert {
        r["model_id"]: len(r["commits"])
        for r in iter_histories([marker(listed, k, 3) for k in range(3)])
    } == {m: len(hub.histories[m]) for m in floored_ids}
    # the listed revision is asked for, with the largest page the Hub serves
    assert all("limit=1000" in h.url for h in hub.hits if "p=" not in h.url)
    # each floored model in exactly one shard
    assert sum(m["models"] for m in markers) == len(floored_ids)


def test_deleted_repo_and_revision_gone_are_recorded(hub, listed):
    ids = sorted(floored_revisions(listed))
    hub.gone.add(ids[0])
    hub._sha[ids[1]] = "f" * 40  # the listed sha no longer exists: history rewritten
    run_all(hub, listed, n=1)
    recs = {r["model_id"]: r for r in iter_histories([marker(listed, 0, 1)])}
    assert (recs[ids[0]]["status"], recs[ids[0]]["error_code"]) == (404, "RepoNotFound")
    assert (recs[ids[1]]["status"], recs[ids[1]]["error_code"]) == (404, "RevisionNotFound")
    assert recs[ids[0]]["commits"] is None and recs[ids[2]]["status"] == 200


def test_a_500_is_retried_and_a_count_mismatch_refused(hub, listed):
    ids = sorted(floored_revisions(listed), key=lambda m: -len(hub.histories[m]))
    long = ids[0]
    hub.fail_once("commits", (long, 1), 500)
    run_all(hub, listed, n=1)
    assert first_dates(listed, 1)[long] == hub.histories[long][-1]["date"]
    assert hub.count("commits", 500) == 1
    # the history served short of its oldest commit while X-Total-Count counts it: refused
    hub.short_by[long] = 1
    k = stable_shard(long, 2)
    # retried, then quarantined: the shard fails over crawl.max_failed_share, without a marker
    with pytest.raises(InputError, match="quarantine.json"):
        crawl_first_commits(listed, marker(listed, k, 2), k, 2, hub.base_url, client=client())
    assert not marker(listed, k, 2).exists()
    reasons = read_json(hub_raw.shard_dir(marker(listed, k, 2)) / "quarantine.json")["items"]
    assert [r["item"] for r in reasons] == [long] and "X-Total-Count says 150" in reasons[0][
        "reason"
    ]
    hub.short_by.clear()
    crawl_first_commits(listed, marker(listed, k, 2), k, 2, hub.base_url, client=client())
    recs = {r["model_id"]: r for r in iter_histories([marker(listed, k, 2)])}
    assert recs[long]["commits"][-1]["date"] == hub.histories[long][-1]["date"]


KILL = """
import sys
from hfreuse.clients import HttpClient
from hfreuse.hub.first_commits import crawl_first_commits
crawl_first_commits(sys.argv[1], sys.argv[2], 0, 1, sys.argv[3], client=HttpClient(600.0),
                    part_size=3)
"""


def test_sigkill_mid_fetch_and_rerun_give_the_identical_table(hub, listed, tmp_path):
    ref = run_all(hub, listed, n=1)[0]
    reference = {r["model_id"]: r for r in iter_histories([marker(listed, 0, 1)])}
    import shutil

    shutil.rmtree(listed / "history")
    path = marker(listed, 0, 1)
    run_until(
        [sys.executable, "-c", KILL, str(listed), str(path), hub.base_url],
        lambda: len(hub_raw.list_parts(hub_raw.shard_dir(path))) >= 3,
    )
    assert not path.exists()
    folder = hub_raw.shard_dir(path)  # a shard in progress: its parts and journal, no marker
    journaled = Journal(folder / "journal.jsonl").records
    stored = {r["model_id"] for r in [*hub_raw.iter_cards(folder), *journaled]}
    hub.hits.clear()
    doc = crawl_first_commits(listed, path, 0, 1, hub.base_url, client=client(), part_size=3)
    again = {r["model_id"]: r for r in iter_histories([path])}
    assert again == reference and doc["models"] == ref["models"] and doc["runs"] == 2
    asked = {h.key[0] for h in hub.hits}
    assert stored and not stored & asked  # stored histories are not asked again


def test_the_token_from_get_token_is_sent_and_never_stored(hub, listed, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_history")
    path = marker(listed, 0, 1)
    doc = crawl_first_commits(listed, path, 0, 1, hub.base_url, pace=Pace(FAST))
    assert doc["token_used"] is True
    assert {h.authorization for h in hub.hits} == {"Bearer hf_secret_history"}
    for f in path.parent.rglob("*"):
        if f.is_file():
            data = gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes()
            assert b"hf_secret_history" not in data


def test_the_bridge_sends_only_the_crawls_requests_and_restores_the_factory(httpserver):
    from hfreuse.clients import HubBridge
    from hfreuse.hub.first_commits import commits_request
    from huggingface_hub.utils import _http

    before = _http._GLOBAL_CLIENT_FACTORY
    paced = client()
    bridge = HubBridge(paced, httpserver.url_for(""), allow=commits_request)
    with bridge:
        assert _http._GLOBAL_CLIENT_FACTORY is not before
        for url in (
            "https://huggingface.co/api/models/a/b/commits/main",  # another origin
            httpserver.url_for("/api/agent-harnesses"),  # the library's own look-up
        ):
            with pytest.raises(FetchError, match="not sent"):
                bridge.send("GET", url)
    assert _http._GLOBAL_CLIENT_FACTORY is before
    assert len(httpserver.log) == 0 and paced.stats.requests == 0
