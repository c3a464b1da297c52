"""The live Hub crawl against a local stub Hub replaying real recorded responses (see hub_stub)."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from crawl_support import EXPAND, FAST, PAGE, client, run_until
from crawl_support import crawl_hub as crawl
from hfreuse.clients import FetchError
from hfreuse.crawl.journal import Journal
from hfreuse.crawl.pacing import Pace
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.cards import card_url, crawl_cards, readme_revisions, shard_models
from hfreuse.hub.listing import crawl_models
from hfreuse.io import read_json
from hub_stub import (
    README_RE,
    RecordedPages,
    StubHub,
    floored,
    has_readme,
    real_model_lists,
    real_models,
    served_item,
)
from testenv import write_live_overlay


def stored_pages(hub_dir: Path) -> list[dict]:
    return [read_json(p) for p in hub_raw.list_pages(hub_dir)]


def stored_ids(hub_dir: Path) -> list[str]:
    return [m["id"] for m in hub_raw.iter_models(hub_dir)]


def page_bytes(hub_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in hub_raw.list_pages(hub_dir)}


def no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob("*.tmp")]


def expected_pages(n_models: int, page: int = PAGE) -> int:
    return -(-n_models // page)


# --- listing ------------------------------------------------------------------------------------


def test_crawl_follows_link_headers_to_the_end(hub, tmp_path):
    models = real_models()
    hub_dir = tmp_path / "raw" / "stub-1" / "hub"
    manifest = crawl(hub, hub_dir)

    n_pages = expected_pages(len(models))
    pages = stored_pages(hub_dir)
    assert len(pages) == n_pages == manifest["pages"]
    # every model once, in the server's createdAt order, exactly as served
    assert stored_ids(hub_dir) == [m["id"] for m in models]
    assert list(hub_raw.iter_models(hub_dir))[:50] == [served_item(m, EXPAND) for m in models[:50]]
    # the stored chain: each page's next is the URL of the following page; the last has none
    assert [p["next"] for p in pages[:-1]] == [p["url"] for p in pages[1:]]
    assert pages[-1]["next"] is None and "cursor=" not in pages[0]["url"]
    first = pages[0]["url"]
    assert "sort=createdAt" in first and "direction=1" in first and f"limit={PAGE}" in first
    assert first.count("expand=") == len(EXPAND)
    # manifest: counts match the server's log
    assert manifest["stats"]["requests"] == hub.count("list") == n_pages
    assert manifest["stats"]["statuses"] == {"200": n_pages}
    assert (
        manifest["stats"]["retries"]
        == manifest["stats"]["errors"]
        == manifest["stats"]["rate_limited"]
        == 0
    )
    assert manifest["models"] == len(models) and manifest["stopped"] == "end"
    assert manifest["snapshot"] == "stub-1" and manifest["endpoint"] == hub.base_url
    assert manifest["query"] == {
        "path": "/api/models",
        "sort": "createdAt",
        "direction": 1,
        "limit": PAGE,
        "expand": EXPAND,
    }
    assert manifest["token_used"] is False and manifest["runs"] == 1
    assert set(manifest["library_versions"]) >= {"requests", "huggingface_hub", "python"}
    assert manifest["crawl_started_at"] <= manifest["crawl_finished_at"]
    assert manifest["crawl_finished_at"].endswith("Z")
    assert read_json(hub_dir / "manifest.json") == manifest
    assert no_temp_files(hub_dir)


def test_the_listing_logs_an_estimated_total_from_the_creation_dates(hub, tmp_path, caplog):
    """Without a cap, the total is the models listed plus those created since the last one, at
    the pace of creation of the last models: it is logged as an estimate (~N)."""
    caplog.set_level(logging.INFO, logger="hfreuse.crawl.progress")
    crawl(hub, tmp_path / "hub", progress_every=0.0)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("hub models:")]
    assert len(lines) == expected_pages(len(real_models()))
    estimated = [re.fullmatch(r"hub models: (\d+)/~(\d+) .*, ETA ~.*", line) for line in lines]
    assert all(estimated), lines  # the stub's models span years: a pace from the first page
    done = [int(m.group(1)) for m in estimated]
    assert done == sorted(done) and done[-1] == len(real_models())
    # models keep being created after the last one listed: the total exceeds what is listed
    assert all(int(m.group(2)) > int(m.group(1)) for m in estimated)
    caplog.clear()
    crawl(hub, tmp_path / "capped", oldest_models=250, progress_every=0.0)
    assert "hub models: 250/250 (100.0%)" in caplog.text and "~" not in caplog.text


def test_oldest_models_truncates_the_last_page(hub, tmp_path):
    manifest = crawl(hub, tmp_path / "hub", oldest_models=250)
    pages = stored_pages(tmp_path / "hub")
    assert [len(p["items"]) for p in pages] == [100, 100, 50]
    assert stored_ids(tmp_path / "hub") == [m["id"] for m in real_models()[:250]]
    assert manifest["models"] == 250 and manifest["stopped"] == "oldest_models"
    assert manifest["stats"]["requests"] == hub.count("list") == 3


def test_overlapping_pages_are_deduplicated(httpserver, tmp_path, caplog):
    models = real_models()
    hub = StubHub(models=models, overlap=7).install(httpserver)
    manifest = crawl(hub, tmp_path / "hub")
    ids = stored_ids(tmp_path / "hub")
    assert ids == [m["id"] for m in models]
    assert manifest["duplicates_skipped"] == 7 * (manifest["pages"] - 1)
    assert "skipped 7 models already stored" in caplog.text


def test_real_list_pages_are_stored_as_served(httpserver, tmp_path):
    pages = real_model_lists()
    stub = RecordedPages(pages).install(httpserver)
    manifest = crawl_models(tmp_path / "hub", stub.base_url, [], 1000, client=client())
    # the 10 full pages, then the empty page without a next link that ends the listing
    assert len(stub.hits) == manifest["stats"]["requests"] == manifest["pages"] == 11
    assert stored_pages(tmp_path / "hub")[-1]["items"] == [] and manifest["stopped"] == "end"
    assert list(hub_raw.iter_models(tmp_path / "hub")) == [m for p in pages for m in p]
    assert manifest["models"] == 10000


def full_page_without_next(hub: StubHub, n: int) -> bytes:
    start = (n - 1) * PAGE
    return json.dumps([served_item(m, EXPAND) for m in hub.models[start : start + PAGE]]).encode()


def test_a_full_page_without_a_next_link_is_retried_then_refused(hub, tmp_path):
    hub_dir = tmp_path / "hub"
    for _ in range(2):  # the first try and one retry: both a full page without a next link
        hub.fail_once(
            "list", 3, 200, {"Content-Type": "application/json"}, full_page_without_next(hub, 3)
        )
    with pytest.raises(
        FetchError,
        match=r"GET http://\S+cursor=\S+: a full page of 100 models without a next link; "
        r"the listing cannot be known complete \(after 2 tries\)",
    ):
        crawl(hub, hub_dir, client=client(max_retries=1))
    assert not (hub_dir / "manifest.json").exists() and no_temp_files(hub_dir)
    assert (
        read_json(hub_dir / "state.json")["pages"] == 2
        and not read_json(hub_dir / "state.json")["done"]
    )
    # a retry that gets the server's real answer goes on; the rerun completes the listing
    hub.fail_once(
        "list", 3, 200, {"Content-Type": "application/json"}, full_page_without_next(hub, 3)
    )
    manifest = crawl(hub, hub_dir)
    assert stored_ids(hub_dir) == [m["id"] for m in real_models()]
    assert manifest["stats"]["retries"] == 2 and manifest["stopped"] == "end"


def test_an_empty_page_with_a_next_link_is_retried_then_refused(hub, tmp_path):
    hub_dir = tmp_path / "hub"
    link = {"Link": f'<{hub.base_url}/api/models?sort=createdAt&direction=1&cursor=x>; rel="next"'}
    for _ in range(4):
        hub.fail_once("list", 2, 200, link, b"[]")
    with pytest.raises(FetchError, match=r"GET \S+: no models but a next link .*after 4 tries"):
        crawl(hub, hub_dir)
    assert read_json(hub_dir / "state.json")["pages"] == 1
    assert [p.name for p in hub_raw.list_pages(hub_dir)] == ["page-000001.json.gz"]


def test_an_exact_multiple_of_the_page_size_ends_on_an_empty_page(httpserver, tmp_path):
    models = real_models()[: 3 * PAGE]
    hub = StubHub(models=models).install(httpserver)
    manifest = crawl(hub, tmp_path / "hub")
    assert stored_ids(tmp_path / "hub") == [m["id"] for m in models]
    assert [len(p["items"]) for p in stored_pages(tmp_path / "hub")] == [PAGE] * 3 + [0]
    assert manifest["stopped"] == "end" and manifest["stats"]["retries"] == 0


def test_a_cursor_that_cycles_is_refused_also_after_a_resume(hub, tmp_path):
    hub_dir = tmp_path / "hub"
    hub.link_back = {3: 2}  # page 3 links back to page 2
    with pytest.raises(FetchError, match=r"GET \S+: the next link goes back to a page already"):
        crawl(hub, hub_dir)
    state = read_json(hub_dir / "state.json")
    assert state["pages"] == 2 and not state["done"] and no_temp_files(hub_dir)
    assert len(hub_raw.list_pages(hub_dir)) == 2 and hub.count("list") == 3  # no loop
    # the rerun asks for page 3 again and stops again (the cursors come from the stored pages)
    with pytest.raises(FetchError, match=r"cursor cycles"):
        crawl(hub, hub_dir)
    assert read_json(hub_dir / "state.json")["pages"] == 2 and hub.count("list") == 4


def test_429_retry_after_then_success(hub, tmp_path):
    hub.fail_once("list", 2, 429, {"Retry-After": "1"}, b"rate limited")
    t0 = time.monotonic()
    manifest = crawl(hub, tmp_path / "hub")
    assert time.monotonic() - t0 >= 1.0
    assert stored_ids(tmp_path / "hub") == [m["id"] for m in real_models()]
    n = expected_pages(len(real_models()))
    assert manifest["stats"]["rate_limited"] == manifest["stats"]["retries"] == 1
    assert manifest["stats"]["statuses"] == {"200": n, "429": 1}
    assert manifest["stats"]["requests"] == hub.count("list") == n + 1
    assert manifest["stats"]["waited_seconds"] >= 1.0


def test_500_then_success(hub, tmp_path):
    hub.fail_once("list", 3, 500, body=b"Internal Server Error")
    hub.fail_once("list", 3, 502)
    manifest = crawl(hub, tmp_path / "hub")
    n = expected_pages(len(real_models()))
    assert stored_ids(tmp_path / "hub") == [m["id"] for m in real_models()]
    assert manifest["stats"]["statuses"] == {"200": n, "500": 1, "502": 1}
    assert manifest["stats"]["retries"] == 2 and manifest["stats"]["errors"] == 0
    assert manifest["stats"]["requests"] == hub.count("list") == n + 2


def test_deep_pages_that_keep_timing_out_are_asked_for_in_smaller_pages(hub, tmp_path):
    from hfreuse.hub.listing import smaller_page_url

    assert "limit=50" in smaller_page_url("http://h/api/models?sort=createdAt&limit=100&cursor=x")
    assert smaller_page_url("http://h/api/models?limit=10") is None
    hub.heavy_from_page = 3  # PAGE (100) models a page time out from the third page on
    manifest = crawl(hub, tmp_path / "hub", client=client(max_retries=1))
    assert stored_ids(tmp_path / "hub") == [m["id"] for m in real_models()]  # none lost or repeated
    pages = stored_pages(tmp_path / "hub")
    assert [len(p["items"]) for p in pages[:2]] == [PAGE, PAGE]
    assert all(len(p["items"]) <= hub.heavy_limit for p in pages[2:])
    assert manifest["page_size_reduced"] == 1
    assert manifest["stats"]["statuses"]["504"] == 2  # one try and one retry at limit=100


def test_body_that_is_not_json_fails_naming_the_url(hub, tmp_path):
    hub.fail_once("list", 2, 200, {"Content-Type": "text/html"}, b"<html>upstream timeout")
    hub_dir = tmp_path / "hub"
    with pytest.raises(FetchError, match=r"GET http://.*/api/models\?.*cursor=.*JSON") as err:
        crawl(hub, hub_dir)
    assert "2 tries" not in str(err.value)
    assert not (hub_dir / "manifest.json").exists()
    assert [p.name for p in hub_raw.list_pages(hub_dir)] == ["page-000001.json.gz"]
    state = read_json(hub_dir / "state.json")
    assert state["pages"] == 1 and state["next"] == stored_pages(hub_dir)[0]["next"]
    assert no_temp_files(hub_dir)
    # the rerun resumes at page 2 and finishes with the full, duplicate-free listing
    manifest = crawl(hub, hub_dir)
    assert stored_ids(hub_dir) == [m["id"] for m in real_models()]
    assert manifest["runs"] == 2 and manifest["stats"]["requests"] == hub.count("list")


@pytest.mark.parametrize("token", [True, False], ids=["token", "anonymous"])
def test_a_401_on_a_listing_page_stops_with_the_token_message(hub, tmp_path, token):
    hub_dir = tmp_path / "hub"
    hub.fail_once("list", 2, 401, {"X-Error-Code": "Unauthorized"}, b"Invalid credentials")
    kw = {"headers": {"Authorization": "Bearer hf_revoked"}} if token else {}
    refused = (
        "the token was refused; check HF_TOKEN"
        if token
        else "anonymous access was refused; set HF_TOKEN"
    )
    with pytest.raises(FetchError) as err:
        crawl(hub, hub_dir, client=client(**kw))
    assert re.fullmatch(
        r"GET http://\S+/api/models\?\S+cursor=\S+: HTTP 401 Unauthorized \(Unauthorized\): "
        + re.escape(refused)
        + r"\. The pages fetched so far are kept; rerun to resume",
        str(err.value),
    )
    assert hub.count("list", 401) == 1  # not retried
    assert read_json(hub_dir / "state.json")["pages"] == 1
    manifest = crawl(hub, hub_dir)  # the rerun resumes at page 2
    assert stored_ids(hub_dir) == [m["id"] for m in real_models()] and manifest["runs"] == 2


def test_resume_after_a_permanent_failure(hub, tmp_path):
    hub_dir = tmp_path / "hub"
    hub.broken_from_page = 4
    with pytest.raises(FetchError, match=r"HTTP 503 after 2 tries"):
        crawl(hub, hub_dir, client=client(max_retries=1))
    assert not (hub_dir / "manifest.json").exists()
    assert read_json(hub_dir / "state.json")["pages"] == 3
    hub.broken_from_page = None
    manifest = crawl(hub, hub_dir)
    n = expected_pages(len(real_models()))
    assert stored_ids(hub_dir) == [m["id"] for m in real_models()]
    # counts are cumulative over both runs and match the server's log, failures included
    assert manifest["stats"]["requests"] == hub.count("list") == n + 2
    assert manifest["stats"]["statuses"] == {"200": n, "503": 2}
    assert manifest["stats"]["errors"] == 1 and manifest["runs"] == 2
    assert [h.key for h in hub.hits if h.status == 200] == list(range(1, n + 1))


KILL_SCRIPT = """
import sys
from hfreuse.clients import HttpClient
from hfreuse.hub.listing import crawl_models
crawl_models(sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]),
             client=HttpClient(float(sys.argv[5])))
"""


def test_resume_after_sigkill_gives_the_same_pages(hub, tmp_path):
    reference = tmp_path / "reference"
    crawl(hub, reference)
    hub.hits.clear()

    hub_dir = tmp_path / "killed"
    args = [str(hub_dir), hub.base_url, ",".join(EXPAND), str(PAGE), "600"]  # 10 pages/s
    run_until(
        [sys.executable, "-c", KILL_SCRIPT, *args],
        lambda: len(hub_raw.list_pages(hub_dir)) >= 6,
    )
    killed_at = read_json(hub_dir / "state.json")["pages"]
    n = expected_pages(len(real_models()))
    assert 5 <= killed_at < n and not (hub_dir / "manifest.json").exists()

    manifest = crawl(hub, hub_dir)
    assert page_bytes(hub_dir) == page_bytes(reference)  # byte-identical raw pages
    ids = stored_ids(hub_dir)
    assert len(ids) == len(set(ids)) == len(real_models())
    assert manifest["runs"] == 2 and manifest["pages"] == n
    # the rerun starts at the first unrecorded page: at most one page is fetched twice
    assert [h.key for h in hub.hits].count(killed_at + 1) in (1, 2)
    assert hub.count("list") in (n, n + 1)
    assert manifest["stats"]["requests"] <= hub.count("list")


def test_settings_changed_under_a_crawl_in_progress_are_refused(hub, tmp_path):
    crawl(hub, tmp_path / "hub", oldest_models=150)
    (tmp_path / "hub" / "manifest.json").unlink()
    with pytest.raises(InputError, match=r"state.json: .*\(oldest_models, page_size differ\)"):
        crawl(hub, tmp_path / "hub", oldest_models=300, page_size=50)
    # the same settings: complete already, so the manifest is rewritten without any request
    before = hub.count("list")
    manifest = crawl(hub, tmp_path / "hub", oldest_models=150)
    assert hub.count("list") == before and manifest["models"] == 150 and manifest["runs"] == 2


def test_a_state_from_before_the_rename_of_max_models_resumes(hub, tmp_path):
    """A crawl started when the setting was hub.max_models resumes under hub.oldest_models
    (same setting, same value) instead of being refused or restarted; another value is refused."""
    import json

    crawl(hub, tmp_path / "hub", oldest_models=150)
    state_path = tmp_path / "hub" / "state.json"
    state = read_json(state_path)
    state["query"] = {
        ("max_models" if k == "oldest_models" else k): v for k, v in state["query"].items()
    }
    state["stopped"] = "max_models"
    state_path.write_text(json.dumps(state))
    (tmp_path / "hub" / "manifest.json").unlink()
    with pytest.raises(InputError, match=r"state.json: .*\(oldest_models differ\)"):
        crawl(hub, tmp_path / "hub", oldest_models=300)
    before = hub.count("list")
    manifest = crawl(hub, tmp_path / "hub", oldest_models=150)
    assert hub.count("list") == before and manifest["models"] == 150
    assert manifest["oldest_models"] == 150 and manifest["stopped"] == "oldest_models"
    assert "max_models" not in read_json(state_path)["query"]


def test_token_is_sent_but_never_written(hub, tmp_path, monkeypatch):
    secret = "hf_stubTOKEN0123456789abcdefSECRET"
    monkeypatch.setenv("HF_TOKEN", secret)
    hub_dir = tmp_path / "raw" / "stub-1" / "hub"
    manifest = crawl_models(hub_dir, hub.base_url, EXPAND, PAGE, oldest_models=300, pace=Pace(FAST))
    marker = card_marker(hub_dir, 0, 1)
    crawl_cards(hub_dir, marker, 0, 1, hub.base_url, max_cards=40, pace=Pace(FAST))
    assert manifest["token_used"] is True
    assert {h.authorization for h in hub.hits} == {f"Bearer {secret}"}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            assert secret.encode() not in data, path


# --- README shards ------------------------------------------------------------------------------


def card_marker(hub_dir: Path, k: int, n: int) -> Path:
    """The marker of README shard k (0-based) of n, named like Snakemake's scatter item."""
    return hub_dir / "cards" / f"shard-{k + 1}-of-{n}.json"


def shard_cards(marker: Path) -> list[dict]:
    """The README records a shard keeps: in its parts, then in its journal (not yet a part)."""
    folder = hub_raw.shard_dir(marker)
    parts = list(hub_raw.iter_cards(folder))
    done = {r["model_id"] for r in parts}
    return parts + [
        r for r in Journal(folder / "journal.jsonl").records if r["model_id"] not in done
    ]


def readme_ids() -> list[str]:
    return sorted(m["id"] for m in real_models() if has_readme(m))


def test_card_shards_cover_the_selection_without_overlap(hub, listed):
    selected = hub_raw.select_card_models(readme_ids(), 600)
    fetched: dict[str, dict] = {}
    for k in (0, 1):
        path = card_marker(listed, k, 2)
        marker = crawl_cards(listed, path, k, 2, hub.base_url, 600, client=client())
        records = shard_cards(path)
        assert not set(fetched) & {r["model_id"] for r in records}
        fetched.update((r["model_id"], r) for r in records)
        # a README the listing lists is asked again on a 404: one request more per 404
        assert marker["cards"] == len(records) == marker["stats"]["requests"] - marker["not_found"]
        assert marker["fetched"] == sum(r["status"] == 200 for r in records)
        assert marker["not_found"] == sum(r["status"] == 404 for r in records)
        assert marker["fetched"] + marker["not_found"] == len(records)
        assert marker == read_json(path)
    assert set(fetched) == selected and len(selected) == 600
    assert hub.count("card") == 600 + sum(m not in hub.cards for m in selected)
    assert not hub.wrong_revisions
    # 200: the text exactly as served; 404: no text
    ok = {m: r for m, r in fetched.items() if r["status"] == 200}
    missing = {m: r for m, r in fetched.items() if r["status"] == 404}
    assert ok and missing and len(ok) + len(missing) == 600
    assert all(r["text"] == hub.cards[m] for m, r in ok.items())
    assert all(r["text"] is None and m not in hub.cards for m, r in missing.items())
    sha = {m["id"]: m["sha"] for m in real_models()}
    assert all(r["revision"] == sha[m] for m, r in fetched.items())


def test_each_card_shard_logs_the_overall_progress_of_all_shards(hub, listed, caplog):
    """The other shards' done counts come from their state files: after shard 1 of 2, shard 2
    ends its overall line at the whole selection."""
    caplog.set_level(logging.INFO, logger="hfreuse.crawl.progress")
    for k in (0, 1):
        crawl_cards(listed, card_marker(listed, k, 2), k, 2, hub.base_url, 300, client=client())
    states = [
        read_json(hub_raw.shard_dir(card_marker(listed, k, 2)) / "state.json") for k in (0, 1)
    ]
    assert sum(s["done"] for s in states) == 300
    lines = [r.getMessage() for r in caplog.records if "card shards (all 2)" in r.getMessage()]
    assert lines[-1].startswith("card shards (all 2): 300/300 (100.0%)")
    first_shard_done = states[0]["done"]
    assert any(line.startswith(f"card shards (all 2): {first_shard_done}/300 ") for line in lines)


def test_card_shard_resumes_after_a_stop(hub, listed):
    path = card_marker(listed, 1, 3)
    mine = shard_models({m: "x" for m in readme_ids()}, 1, 3, None)
    hub.fail_once("card", mine[130], 401, {"X-Error-Code": "Unauthorized"}, b"Invalid token")
    authed = client(max_retries=1, headers={"Authorization": "Bearer hf_revoked"})
    with pytest.raises(FetchError, match=rf"/{mine[130]}/resolve/.*/README.md: HTTP 401"):
        crawl_cards(listed, path, 1, 3, hub.base_url, client=authed, part_size=50)
    assert not path.exists()
    first = [r["model_id"] for r in hub_raw.iter_cards(hub_raw.shard_dir(path))]
    assert first == mine[:100]  # two full parts; the 30 READMEs fetched after are journaled
    journal = Journal(hub_raw.shard_dir(path) / "journal.jsonl")
    assert [r["model_id"] for r in journal.records] == mine[100:130]
    assert len(hub_raw.list_parts(hub_raw.shard_dir(path))) == 2

    marker = crawl_cards(listed, path, 1, 3, hub.base_url, client=client(), part_size=50)
    records = shard_cards(path)
    assert [r["model_id"] for r in records] == mine
    # the parts are those of a crawl never interrupted: full parts of 50, in order
    parts = [hub_raw.read_part(p) for p in hub_raw.list_parts(hub_raw.shard_dir(path))]
    assert [len(p) for p in parts] == [50] * (len(mine) // 50) + [len(mine) % 50] * bool(
        len(mine) % 50
    )
    ok_hits = [h.key for h in hub.hits if h.status in (200, 404)]
    # every README fetched once; one answered 404 asked again, once (none refetched on resume)
    not_found = [m for m in mine if m not in hub.cards]
    assert sorted(ok_hits) == sorted(mine + not_found)
    assert marker["stats"]["requests"] == hub.count("card") == len(mine) + len(not_found) + 1
    assert marker["stats"]["statuses"]["401"] == 1 and marker["runs"] == 2
    assert sum(marker["card_statuses"].values()) == len(mine)
    assert marker["card_statuses"]["404"] == sum(1 for m in mine if m not in hub.cards)


def quarantined(marker: Path) -> dict[str, dict]:
    """The shard's quarantine file, item -> record (empty when there is none)."""
    path = hub_raw.shard_dir(marker) / "quarantine.json"
    return {r["item"]: r for r in read_json(path)["items"]} if path.exists() else {}


def test_a_readme_that_still_fails_is_quarantined_and_retried_first(hub, listed):
    path = card_marker(listed, 1, 3)
    mine = shard_models({m: "x" for m in readme_ids()}, 1, 3, None)
    bad = mine[130]
    hub.fail_once("card", bad, 503, body=b"busy")  # 503 twice: the client gives up
    hub.fail_once("card", bad, 503)
    with pytest.raises(InputError) as err:
        crawl_cards(listed, path, 1, 3, hub.base_url, client=client(max_retries=1), part_size=50)
    qfile = hub_raw.shard_dir(path) / "quarantine.json"
    assert str(err.value).startswith(
        f"card shard 2 of 3: 1 of {len(mine)} READMEs ({1 / len(mine):.2%}) still fail after "
        f"retries, above crawl.max_failed_share 0 (0.00%); each is listed with its reason in "
        f"{qfile} ({bad})"
    )
    assert not isinstance(err.value, FetchError) and not path.exists()
    # the crawl went on: every other README is stored, the failed one only in the quarantine
    assert [r["model_id"] for r in shard_cards(path)] == [m for m in mine if m != bad]
    rec = quarantined(path)[bad]
    assert rec["url"].endswith(f"/{bad}/resolve/{real_sha(bad)}/README.md")
    assert "HTTP 503 after 2 tries" in rec["reason"] and rec["status"] == 503
    assert rec["attempts"] == 2 and rec["first_failed"] == rec["last_failed"]

    hub.hits.clear()
    marker = crawl_cards(listed, path, 1, 3, hub.base_url, client=client(), part_size=50)
    assert [h.key for h in hub.hits] == [bad]  # retried first, and nothing else fetched again
    assert sorted(r["model_id"] for r in shard_cards(path)) == mine
    assert not qfile.exists() and marker["quarantined"] == []
    not_found = sum(m not in hub.cards for m in mine)  # each asked twice
    assert marker["stats"]["requests"] == len(mine) + not_found + 2 and marker["runs"] == 2
    assert marker["stats"]["statuses"]["503"] == 2
    assert sum(marker["card_statuses"].values()) == len(mine)
    assert marker["card_statuses"]["404"] == sum(1 for m in mine if m not in hub.cards)


def test_a_quarantine_within_max_failed_share_is_listed_and_kept(hub, listed):
    mids = card_models(hub)
    bad = [mids[2], mids[7]]
    for mid in bad:
        for _ in range(2):
            hub.fail_once("card", mid, 502)
    path = card_marker(listed, 0, 1)
    with pytest.raises(InputError, match=r"2 of 40 READMEs \(5\.00%\) .* above .* 0\.04 "):
        card_crawl(hub, listed, max_failed_share=0.04)
    assert quarantined(path)[bad[0]]["attempts"] == 2
    for mid in bad:
        for _ in range(2):
            hub.fail_once("card", mid, 502)  # they fail again on the rerun
    marker = card_crawl(hub, listed, max_failed_share=0.05)
    assert marker["quarantined"] == sorted(bad) and marker["cards"] == 40
    assert sum(marker["card_statuses"].values()) == 38 == len(shard_cards(path))
    recs = quarantined(path)
    assert sorted(recs) == sorted(bad) and recs[bad[0]]["attempts"] == 4
    assert recs[bad[0]]["first_failed"] <= recs[bad[0]]["last_failed"]

    from hfreuse.crawl.quarantine import SCHEMA, quarantine_table

    table = quarantine_table([hub_raw.shard_dir(path) / "quarantine.json"])
    assert table.schema == SCHEMA and table.column("item").to_pylist() == sorted(bad)
    assert table.column("status").to_pylist() == [502, 502]
    empty = quarantine_table([listed / "cards" / "nowhere" / "quarantine.json"])
    assert empty.num_rows == 0 and empty.schema == SCHEMA


def test_readmes_failing_in_a_row_stop_the_crawl(hub, listed, monkeypatch):
    import hfreuse.crawl.quarantine

    monkeypatch.setattr(hfreuse.crawl.quarantine, "STREAK_LIMIT", 3)
    mids = card_models(hub)
    for mid in mids[:3]:
        for _ in range(2):
            hub.fail_once("card", mid, 200, {"Content-Type": "text/html"}, b"<html>portal")
    with pytest.raises(FetchError, match=r"^3 items in a row still failed after retries") as err:
        card_crawl(hub, listed, max_failed_share=1.0)
    assert f"(the last, {mids[2]}: GET " in str(err.value) and "HTML page" in str(err.value)
    assert hub.count("card") == 6  # the fourth README was not asked for
    assert sorted(quarantined(card_marker(listed, 0, 1))) == sorted(mids[:3])
    hub.hits.clear()
    marker = card_crawl(hub, listed)
    assert [h.key for h in hub.hits][:3] == mids[:3] and marker["quarantined"] == []


def test_max_failed_share_outside_0_to_1_is_refused(hub, listed):
    with pytest.raises(InputError, match=r"crawl\.max_failed_share: expected a share from 0 to 1"):
        card_crawl(hub, listed, max_failed_share=1.5)


def card_models(hub: StubHub, n: int = 40) -> list[str]:
    """The first ``n`` models of the one-shard selection of ``n`` cards, in fetch order."""
    return shard_models({m: "x" for m in readme_ids()}, 0, 1, n)


def with_card(hub: StubHub, mids: list[str]) -> str:
    return next(m for m in mids if m in hub.cards)


def real_sha(model_id: str) -> str:
    return {m["id"]: m["sha"] for m in real_models()}[model_id]


def card_crawl(hub, listed, **kw):
    kw.setdefault("client", client(max_retries=1))
    return crawl_cards(listed, card_marker(listed, 0, 1), 0, 1, hub.base_url, 40, **kw)


def test_the_stub_sends_the_readme_blob_id_and_commit(hub, listed):
    from urllib.request import urlopen

    from hfreuse.hub.answers import git_blob_sha1

    mid = with_card(hub, card_models(hub))
    sha = {m["id"]: m["sha"] for m in real_models()}[mid]
    with urlopen(card_url(hub.base_url, mid, sha), timeout=10) as resp:
        body, headers = resp.read(), resp.headers
    assert headers["ETag"] == f'"{git_blob_sha1(body)}"' and headers["X-Repo-Commit"] == sha
    hub.hits.clear()
    # and the normal crawl verifies them without a retry
    marker = card_crawl(hub, listed)
    assert marker["stats"]["retries"] == 0 and marker["fetched"] > 0


def test_an_html_page_answered_for_a_readme_is_retried_then_refused(hub, listed):
    mid = with_card(hub, card_models(hub))
    portal = b"<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>"
    hub.fail_once("card", mid, 200, {"Content-Type": "text/plain"}, portal)  # HTML by its body
    manifest = card_crawl(hub, listed)  # one bad answer: the retry gets the README
    rec = {r["model_id"]: r for r in shard_cards(card_marker(listed, 0, 1))}[mid]
    assert rec["text"] == hub.cards[mid] and manifest["stats"]["retries"] == 1

    listed2 = listed.parent.parent / "again" / "hub"
    import shutil

    shutil.copytree(listed, listed2, ignore=shutil.ignore_patterns("cards"))
    for _ in range(2):
        hub.fail_once("card", mid, 200, {"Content-Type": "text/html; charset=utf-8"}, b"<p>hi")
    with pytest.raises(InputError, match=r"card shard 1 of 1: 1 of 40 READMEs"):
        card_crawl(hub, listed2)
    assert mid not in {r["model_id"] for r in shard_cards(card_marker(listed2, 0, 1))}
    rec = quarantined(card_marker(listed2, 0, 1))[mid]
    assert re.match(rf"GET \S+/{mid}/resolve/\S+: HTTP 200 but an HTML page", rec["reason"])
    assert rec["status"] == 200 and rec["attempts"] == 2


@pytest.mark.parametrize("hostile", ["cut", "commit"])
def test_a_readme_that_does_not_match_its_etag_or_commit_is_refused(hub, listed, hostile):
    from hub_stub import readme_headers

    mid = with_card(hub, card_models(hub))
    sha = {m["id"]: m["sha"] for m in real_models()}[mid]
    body = hub.cards[mid].encode()
    headers = readme_headers(body, mid, sha)
    if hostile == "cut":  # a body cut short, Content-Length matching the cut body
        body = body[: len(body) // 2]
    else:
        headers["X-Repo-Commit"] = "0" * 40
    for _ in range(2):
        hub.fail_once("card", mid, 200, headers, body)
    expected = "does not hash to its ETag" if hostile == "cut" else "is not the commit asked for"
    with pytest.raises(InputError, match=r"1 of 40 READMEs .* still fail after retries"):
        card_crawl(hub, listed)
    assert mid not in {r["model_id"] for r in shard_cards(card_marker(listed, 0, 1))}
    reason = quarantined(card_marker(listed, 0, 1))[mid]["reason"]
    assert re.search(rf"/{mid}/resolve/.*{expected}.*after 2 tries", reason)


def test_a_404_on_a_listed_readme_is_asked_again_before_it_is_believed(hub, listed):
    """Issue 20: a README the listing lists that answers 404 once, then 200, gives the record
    and the models table of a crawl never faulted; one that answers 404 twice is recorded as
    no README; a model whose listing has no README.md is never asked."""
    import shutil

    from hfreuse.hub.parse import card_lengths, merge_parts, parse_pages

    def table(hub_dir):
        markers = [card_marker(hub_dir, 0, 1)]
        parts = [parse_pages(hub_dir, 0, 1)]
        return merge_parts(parts, card_lengths(markers), {}).to_pandas().set_index("model_id")

    mids = card_models(hub)
    once, twice = [m for m in mids if m in hub.cards][:2]
    faulted = listed.parent.parent / "faulted" / "hub"
    shutil.copytree(listed, faulted)
    clean = card_crawl(hub, listed)
    assert not {h.key for h in hub.hits} - set(readme_ids())  # only listed READMEs asked
    gone = {"X-Error-Code": "EntryNotFound"}
    hub.fail_once("card", once, 404, gone, b"Entry not found")
    for _ in range(2):
        hub.fail_once("card", twice, 404, gone, b"Entry not found")
    hub.hits.clear()
    marker = card_crawl(hub, faulted)
    recs = {r["model_id"]: r for r in shard_cards(card_marker(faulted, 0, 1))}
    expected = {r["model_id"]: r for r in shard_cards(card_marker(listed, 0, 1))}
    assert recs[once] == expected[once] and recs[once]["text"] == hub.cards[once]
    assert recs[twice] == {**expected[twice], "status": 404, "text": None}
    assert {m: r for m, r in recs.items() if m != twice} == {
        m: r for m, r in expected.items() if m != twice
    }
    # each 404 asked once more, counted and journaled like every request: two requests more
    # than the clean crawl (``once``: 404 then 200; ``twice``: 200 before, two 404s now)
    asked = [h.key for h in hub.hits]
    assert asked.count(once) == asked.count(twice) == 2
    assert marker["stats"]["requests"] == len(hub.hits) == clean["stats"]["requests"] + 2
    assert marker["not_found"] == clean["not_found"] + 1
    got, want = table(faulted), table(listed)
    assert got.drop(index=twice).equals(want.drop(index=twice))
    assert pd.isna(got.loc[twice, "card_length"]) and not pd.isna(want.loc[twice, "card_length"])


def test_a_401_stops_the_card_crawl_and_it_resumes(hub, listed):
    mids = card_models(hub)
    hub.fail_once("card", mids[10], 401, {"X-Error-Code": "Unauthorized"}, b"Invalid token")
    path = card_marker(listed, 0, 1)
    authed = client(headers={"Authorization": "Bearer hf_revoked"})
    with pytest.raises(FetchError, match=r"HTTP 401 .*the token was refused; check HF_TOKEN"):
        card_crawl(hub, listed, client=authed)
    assert not path.exists() and [r["model_id"] for r in shard_cards(path)] == mids[:10]
    assert hub.count("card", 401) == 1  # not retried
    assert not quarantined(path) and hub.count("card") == 11  # not quarantined: stopped at once
    marker = card_crawl(hub, listed)
    assert "401" not in marker["card_statuses"] and marker["cards"] == 40


def test_an_anonymous_401_is_recorded_only_for_a_repo_gone_private(hub, listed):
    mids = card_models(hub)
    hub.fail_once("card", mids[0], 401, {"X-Error-Code": "RepoNotFound"}, b"Repository Not Found")
    hub.fail_once("card", mids[1], 401, body=b"Unauthorized")
    with pytest.raises(FetchError, match=r"HTTP 401 .*anonymous access was refused; set HF_TOKEN"):
        card_crawl(hub, listed)
    assert [(r["model_id"], r["status"]) for r in shard_cards(card_marker(listed, 0, 1))] == [
        (mids[0], 401)
    ]


def test_a_bare_403_is_retried_and_quarantined_if_it_persists(hub, listed):
    mids = card_models(hub)
    a, b, c = mids[3], mids[4], mids[5]
    hub.fail_once("card", a, 403, body=b"Cloudflare")  # once: the retry gets the answer
    for _ in range(2):
        hub.fail_once("card", b, 403, body=b"Cloudflare")  # persists after the retry
    hub.fail_once("card", c, 403, {"X-Error-Code": "GatedRepo"}, b"gated")  # final at once
    marker = card_crawl(hub, listed, max_failed_share=0.025)
    recs = {r["model_id"]: r for r in shard_cards(card_marker(listed, 0, 1))}
    assert recs[a]["status"] in (200, 404) and recs[c]["status"] == 403 and b not in recs
    assert marker["card_statuses"]["403"] == 1 and marker["quarantined"] == [b]
    q = quarantined(card_marker(listed, 0, 1))[b]
    assert q["status"] == 403 and "HTTP 403 without the Hub's X-Error-Code" in q["reason"]
    assert [h.key for h in hub.hits if h.status == 403].count(c) == 1
    assert marker["stats"]["retries"] == 2


CARD_KILL_SCRIPT = """
import sys
from hfreuse.clients import HttpClient
from hfreuse.hub.cards import crawl_cards
crawl_cards(
    sys.argv[1], sys.argv[2], 0, 8, sys.argv[3], client=HttpClient(2400.0), part_size=20
)
"""


def test_card_shard_resumes_after_sigkill(hub, listed):
    path = card_marker(listed, 0, 8)
    run_until(
        [sys.executable, "-c", CARD_KILL_SCRIPT, str(listed), str(path), hub.base_url],
        lambda: len(hub_raw.list_parts(hub_raw.shard_dir(path))) >= 3,
    )
    assert not path.exists()
    before = {r["model_id"] for r in shard_cards(path)}
    hub.hits.clear()
    marker = crawl_cards(listed, path, 0, 8, hub.base_url, client=client(), part_size=20)
    ids = [r["model_id"] for r in shard_cards(path)]
    mine = shard_models({m: "x" for m in readme_ids()}, 0, 8, None)
    assert sorted(ids) == mine and len(ids) == len(set(ids))
    assert before and not before & {h.key for h in hub.hits}  # stored ones not fetched again
    assert marker["runs"] == 2 and marker["cards"] == len(mine)


def test_cards_need_a_complete_listing(hub, tmp_path):
    with pytest.raises(InputError, match="manifest.json: missing"):
        crawl_cards(tmp_path / "hub", card_marker(tmp_path / "hub", 0, 2), 0, 2, hub.base_url)


# --- the scripts' main() --------------------------------------------------------------------------


def test_fetch_scripts_main(hub, tmp_path):
    import fetch_hub_cards
    import fetch_hub_models

    hub_dir = tmp_path / "resources" / "raw" / "stub-1" / "hub"
    common = dict(endpoint=hub.base_url, timeout=10, max_retries=2)
    fetch_hub_models.main(
        manifest=str(hub_dir / "manifest.json"),
        expand=EXPAND,
        page_size=200,
        oldest_models=500,
        requests_per_minute=FAST,
        **common,
    )
    assert read_json(hub_dir / "manifest.json")["models"] == 500
    marker = card_marker(hub_dir, 1, 2)
    bad = shard_models(readme_revisions(hub_dir), 1, 2, None)[0]
    for _ in range(3):  # the first try and two retries
        hub.fail_once("card", bad, 500)
    fetch_hub_cards.main(
        models=str(hub_dir / "manifest.json"),
        shard_manifest=str(marker),
        shard=1,
        n_shards=2,
        max_cards=None,
        resolves_per_minute=FAST,
        max_failed_share=1.0,
        **common,
    )
    assert read_json(marker)["shard"] == 1 and read_json(marker)["shards"] == 2
    assert read_json(marker)["quarantined"] == [bad]
    with pytest.raises(InputError, match=r"card shard 2 of 2: expected 0 <= index < count"):
        fetch_hub_cards.main(
            models=str(hub_dir / "manifest.json"),
            shard_manifest=str(card_marker(hub_dir, 2, 2)),
            shard=2,
            n_shards=2,
            max_cards=None,
            resolves_per_minute=FAST,
            **common,
        )


# --- end to end: the live source of the workflow against the stub ---------------------------------


def live_overlay(wf: Path, endpoint: str) -> Path:
    """A config overlay switching a workflow copy to the live source on the stub Hub."""
    # 10 pages a second: the crawl lasts a few seconds
    settings = {"page_size": PAGE, "max_cards": 500, "requests_per_minute": 600, "max_retries": 2}
    return write_live_overlay(
        wf / "config" / "stub.yaml", "stub-1", {"endpoint": endpoint, **settings}
    )


TARGET = "results/hub/models.parquet"


@pytest.mark.workflow
def test_live_workflow_on_the_stub_and_sigkill_resume(hub, tmp_path):
    import pandas as pd
    from conftest import copy_workflow, run_snakemake

    models = real_models()
    n_pages = expected_pages(len(models))

    # an uninterrupted run
    wf = copy_workflow(tmp_path / "whole")
    overlay = live_overlay(wf, hub.base_url)
    run_snakemake(wf, TARGET, "--cores", "2", "--configfile", str(overlay))
    table = pd.read_parquet(wf / TARGET)
    assert len(table) == len(models) and table["model_id"].is_unique
    assert set(table["model_id"]) == {m["id"] for m in models}
    assert table["has_readme"].sum() == len(readme_ids())
    hub_dir = wf / "resources" / "raw" / "stub-1" / "hub"
    cards = [r for k in (0, 1) for r in shard_cards(card_marker(hub_dir, k, 2))]
    assert len(cards) == 500
    assert table["card_length"].notna().sum() == sum(r["status"] == 200 for r in cards)
    manifest = read_json(hub_dir / "manifest.json")
    assert manifest["pages"] == manifest["stats"]["requests"] == hub.count("list") == n_pages
    assert hub.count("card") == 500 + sum(r["status"] == 404 for r in cards)  # 404s asked twice
    # every floored model dated by its oldest commit, in as many requests as history pages
    old = {m["id"]: pd.Timestamp(hub.histories[m["id"]][-1]["date"]) for m in models if floored(m)}
    dated = table.set_index("model_id").loc[sorted(old)]
    assert (dated["created_at_source"] == "first_commit").all()
    assert dated["created_at_true"].to_dict() == old
    pages = sum(-(-len(hub.histories[m]) // hub.commits_limit) for m in old)
    assert hub.count("commits") == pages

    # a second copy: the crawl is SIGKILLed (snakemake and its job) halfway, unlocked, rerun
    hub.hits.clear()
    wf2 = copy_workflow(tmp_path / "killed")
    overlay2 = live_overlay(wf2, hub.base_url)
    hub_dir2 = wf2 / "resources" / "raw" / "stub-1" / "hub"
    cmd = [sys.executable, "-m", "snakemake", TARGET, "--cores", "2", "--configfile", str(overlay2)]
    proc = subprocess.Popen(
        cmd, cwd=wf2, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while len(hub_raw.list_pages(hub_dir2)) < n_pages // 3:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    time.sleep(0.3)
    stored = len(hub_raw.list_pages(hub_dir2))
    assert stored < n_pages and not (hub_dir2 / "manifest.json").exists()
    time.sleep(0.3)
    assert len(hub_raw.list_pages(hub_dir2)) == stored  # nothing of the killed run goes on
    killed_hits = hub.count("list")

    run_snakemake(wf2, "--unlock", "--configfile", str(overlay2))
    run_snakemake(wf2, TARGET, "--cores", "2", "--configfile", str(overlay2))
    assert (wf2 / TARGET).read_bytes() == (wf / TARGET).read_bytes()
    assert page_bytes(hub_dir2) == page_bytes(hub_dir)
    manifest2 = read_json(hub_dir2 / "manifest.json")
    assert manifest2["runs"] == 2 and manifest2["models"] == len(models)
    # the rerun fetched only what the killed run had not recorded (one page at most twice)
    assert hub.count("list") - killed_hits <= n_pages - stored + 1
    assert hub.count("list") in (n_pages, n_pages + 1)


def test_a_model_id_with_a_dot_dot_segment_is_fetched_at_its_encoded_path(httpserver, tmp_path):
    # a listed model named ".." must not be resolved by the client (or the server) into its
    # organisation's path: the server sees the segment percent-encoded
    models = tuple(
        {**m, "id": f"{m['id'].split('/')[0]}/.."} if i == 0 else m
        for i, m in enumerate(real_models()[:30])
    )
    dotted = models[0]["id"]
    models = tuple({**m, "siblings": [{"rfilename": "README.md"}]} for m in models)
    hub = StubHub(models=models, cards={dotted: "---\nlicense: mit\n---\n# dots\n"})
    hub.install(httpserver)
    raw_paths: list[str] = []

    def record(request):
        raw_paths.append(request.environ.get("RAW_URI") or request.environ["REQUEST_URI"])
        return hub.readme(request)

    httpserver.clear_all_handlers()
    httpserver.expect_request("/api/models").respond_with_handler(hub.list_page)
    httpserver.expect_request(README_RE).respond_with_handler(record)
    hub_dir = tmp_path / "raw" / "stub-1" / "hub"
    crawl(hub, hub_dir)
    path = card_marker(hub_dir, 0, 1)
    crawl_cards(hub_dir, path, 0, 1, hub.base_url, 100, client=client())
    org = dotted.split("/")[0]
    sha = models[0].get("sha") or "main"
    assert f"/{org}/%2E%2E/resolve/{sha}/README.md" in raw_paths
    assert not [p for p in raw_paths if "/../" in p or p.endswith("/..")]
    got = {r["model_id"]: r for r in shard_cards(path)}
    assert got[dotted]["status"] == 200 and "# dots" in got[dotted]["text"]
    assert card_url("https://h.example/", "a/../b", "r/..") == (
        "https://h.example/a/%2E%2E/b/resolve/r%2F../README.md"
    )
    assert card_url("https://h.example", "org/name", "main") == (
        "https://h.example/org/name/resolve/main/README.md"
    )
