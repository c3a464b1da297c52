"""Kill-safe crawls (issue 11, items 8 and 9): the request journal, and damaged raw files that the
crawlers move aside and fetch again, against the stubs replaying real recorded responses."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from crawl_support import client
from crawl_support import crawl_hub as list_hub
from forum_stub import DiscourseSite, StubServer
from hfreuse.crawl.journal import INTERRUPTED, Journal
from hfreuse.crawl.stats import Stats
from hfreuse.errors import InputError
from hfreuse.forum import raw as forum_raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.parse import parse_forum
from hfreuse.forum.topics import crawl_topics
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.cards import crawl_cards
from hfreuse.hub.first_commits import iter_histories
from hfreuse.hub.parse import card_lengths, first_commits, merge_parts, parse_pages
from hfreuse.io import read_json


def models_table(hub_dir, markers=(), history=()):
    """models.parquet as the workflow builds it: parse_hub_pages (one shard), then
    parse_hub_models (README lengths, true dates)."""
    firsts = first_commits(iter_histories(list(history)))
    return merge_parts([parse_pages(hub_dir, 0, 1)], card_lengths(list(markers)), firsts)


def truncate(path: Path) -> bytes:
    """Cut a stored file to half its bytes (a damaged copy); returns the bytes it had."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return data


# --- the journal --------------------------------------------------------------------------------


def test_journal_counts_a_request_in_flight_and_discards_a_torn_last_line(httpserver, tmp_path):
    httpserver.expect_request("/x").respond_with_data("ok")
    path = tmp_path / "journal.jsonl"
    http = client()
    journal = Journal(path)
    with journal.recording(http, {"requests": 5, "statuses": {"200": 5}}):
        http.get(httpserver.url_for("/x"))
        journal.record({"id": 1})
        http.get(httpserver.url_for("/x"))
    lines = path.read_bytes().splitlines()
    assert [json.loads(line)["event"] for line in lines] == [
        "sent",
        "answered",
        "record",
        "sent",
        "answered",
    ]
    # killed after the second request went out, its answer never read; a write cut short after
    path.write_bytes(b"\n".join(lines[:4]) + b'\n{"event":"sent","sta')
    again = Journal(path)
    assert again.records == [{"id": 1}] and again.pending
    resumed = again.resumed_stats({"requests": 5, "statuses": {"200": 5}})
    assert resumed["requests"] == 7 and resumed["statuses"] == {"200": 6, INTERRUPTED: 1}
    # a state saved after the journal's last line wins (same requests)
    assert again.resumed_stats({"requests": 7, "statuses": {"200": 7}})["statuses"] == {"200": 7}
    with again.recording(http, resumed):  # the torn line is cut before appending
        http.get(httpserver.url_for("/x"))
    last = Journal(path)
    assert last.stats["requests"] == 8 and last.stats["statuses"][INTERRUPTED] == 1
    assert path.read_bytes().count(b"\n") == 6 and b'"sta\n' not in path.read_bytes()


def test_a_journal_damaged_before_its_last_line_is_moved_aside(tmp_path):
    path = tmp_path / "journal.jsonl"
    good = json.dumps({"event": "answered", "stats": Stats(requests=3).as_dict()})
    path.write_text("garbage\n" + good + "\n")
    journal = Journal(path)
    assert journal.stats is None and journal.records == []
    assert not path.exists() and (tmp_path / "journal.jsonl.corrupt").exists()


# --- Hub ----------------------------------------------------------------------------------------


def test_a_damaged_list_page_is_fetched_again_into_place(hub, tmp_path):
    hub_dir = tmp_path / "raw" / "s" / "hub"
    list_hub(hub, hub_dir)
    before = {p.name: p.read_bytes() for p in hub_raw.list_pages(hub_dir)}
    table = models_table(hub_dir, [])
    page3 = hub_raw.page_path(hub_dir, 3)
    truncate(page3)
    with pytest.raises(InputError) as err:  # the parser names the file and the remedy
        models_table(hub_dir, [])
    assert str(page3) in str(err.value) and "--forcerun fetch_hub_models" in str(err.value)

    served = len(hub.hits)
    manifest = list_hub(hub, hub_dir)  # what `snakemake --forcerun fetch_hub_models` runs
    assert {p.name: p.read_bytes() for p in hub_raw.list_pages(hub_dir)} == before
    assert (page3.parent / "page-000003.json.gz.corrupt").exists()
    assert len(hub.hits) == served + 1  # page 3 alone
    assert manifest["stats"]["requests"] == len(hub.hits)
    assert models_table(hub_dir, []).equals(table)


def test_a_deleted_page_of_a_listing_in_progress_is_fetched_again(hub, tmp_path):
    hub_dir = tmp_path / "hub"
    hub.broken_from_page = 7
    with pytest.raises(Exception, match="HTTP 503"):
        list_hub(hub, hub_dir)
    hub.broken_from_page = None
    assert read_json(hub_dir / "state.json")["pages"] == 6
    hub_raw.page_path(hub_dir, 3).unlink()  # "records 6 pages but page 3 is missing" before
    list_hub(hub, hub_dir)
    reference = tmp_path / "reference"
    list_hub(hub, reference)
    assert {p.name: p.read_bytes() for p in hub_raw.list_pages(hub_dir)} == {
        p.name: p.read_bytes() for p in hub_raw.list_pages(reference)
    }


def test_a_page_that_no_longer_links_to_the_next_one_is_refused(hub, tmp_path):
    hub_dir = tmp_path / "hub"
    list_hub(hub, hub_dir)
    truncate(hub_raw.page_path(hub_dir, 2))
    hub.overlap = 3  # the listing changed: page 2 asked again now ends three models earlier
    with pytest.raises(InputError, match=r"page-000002.json.gz: fetched again .* new snapshot"):
        list_hub(hub, hub_dir)


def test_a_damaged_readme_part_is_fetched_again_into_place(hub, tmp_path):
    hub_dir = tmp_path / "raw" / "s" / "hub"
    list_hub(hub, hub_dir)
    marker = hub_dir / "cards" / "shard-1-of-1.json"
    crawl_cards(hub_dir, marker, 0, 1, hub.base_url, 200, client=client(), part_size=30)
    folder = hub_raw.shard_dir(marker)
    before = {p.name: p.read_bytes() for p in hub_raw.list_parts(folder)}
    assert len(before) == 7
    part3 = hub_raw.part_path(folder, 3)
    truncate(part3)
    with pytest.raises(InputError) as err:
        models_table(hub_dir, [marker])
    assert str(part3) in str(err.value) and "--forcerun fetch_hub_cards" in str(err.value)

    served = len(hub.hits)
    crawl_cards(hub_dir, marker, 0, 1, hub.base_url, 200, client=client(), part_size=30)
    assert {p.name: p.read_bytes() for p in hub_raw.list_parts(folder)} == before
    assert (folder / "part-000003.jsonl.gz.corrupt").exists()
    again = [h.key for h in hub.hits[served:]]
    # its 30 models alone, in order; one answered 404 (no README) is asked twice in a row
    refetched = [(r["model_id"], r["status"]) for r in hub_raw.read_part(part3)]
    assert again == [m for m, status in refetched for _ in range(1 + (status == 404))]
    assert any(status == 404 for _, status in refetched)
    assert read_json(marker)["stats"]["requests"] == hub.count("card")


def test_a_full_part_left_in_the_journal_by_a_kill_is_written_as_that_part(hub, tmp_path):
    """Killed after journaling the last record of a part, before writing the part: the rerun
    writes the journaled records as that part, of the same size (not one more), fetches none of
    them again, and the parts are those of a crawl never killed."""
    reference = tmp_path / "ref" / "hub"
    list_hub(hub, reference)
    marker = reference / "cards" / "shard-1-of-1.json"
    crawl_cards(reference, marker, 0, 1, hub.base_url, 200, client=client(), part_size=30)
    expected = {p.name: p.read_bytes() for p in hub_raw.list_parts(hub_raw.shard_dir(marker))}
    first_part = hub_raw.read_part(hub_raw.part_path(hub_raw.shard_dir(marker), 1))
    assert len(first_part) == 30

    hub_dir = tmp_path / "killed" / "hub"
    list_hub(hub, hub_dir)
    marker = hub_dir / "cards" / "shard-1-of-1.json"
    folder = hub_raw.shard_dir(marker)
    journal = Journal(folder / "journal.jsonl")
    with journal.recording(client(), None):
        for rec in first_part:
            journal.record(rec)
    served = len(hub.hits)
    crawl_cards(hub_dir, marker, 0, 1, hub.base_url, 200, client=client(), part_size=30)
    assert {p.name: p.read_bytes() for p in hub_raw.list_parts(folder)} == expected
    again = {h.key for h in hub.hits[served:]}
    assert again.isdisjoint(r["model_id"] for r in first_part)
    assert not (folder / "journal.jsonl").exists() or not Journal(folder / "journal.jsonl").records


# --- forum --------------------------------------------------------------------------------------


@pytest.fixture
def stub(httpserver) -> StubServer:
    return StubServer(httpserver, DiscourseSite())


def test_a_damaged_listing_page_rewinds_the_listing_to_it(stub, tmp_path):
    reference = tmp_path / "reference"
    crawl_listing(reference, stub.url, client=client())
    forum_dir = tmp_path / "forum"
    n_ref = len(stub.log)
    crawl_listing(forum_dir, stub.url, client=client())
    first = len(stub.log) - n_ref
    (forum_dir / "listing.json").unlink()  # as Snakemake does before `--forcerun`
    page = forum_raw.page_path(forum_dir, 2)
    truncate(page)
    served = len(stub.log)
    listing = crawl_listing(forum_dir, stub.url, client=client())
    pages = sorted((forum_dir / "latest").glob("*.json.gz"))
    assert [p.read_bytes() for p in pages] == [
        p.read_bytes() for p in sorted((reference / "latest").glob("*.json.gz"))
    ]
    assert (page.parent / "page-000002.json.gz.corrupt").exists()
    n_pages = len(forum_raw.list_pages(forum_dir))
    # pages 2 to the empty page, and the catch-up page, fetched again
    assert [k for k, _ in stub.log[served:]] == [
        *(f"/latest.json?page={n}" for n in range(2, n_pages)),
        "/latest.json?page=0",
    ]
    assert listing["topic_ids"] == read_json(reference / "listing.json")["topic_ids"]
    assert listing["requests"]["requests"] == first + len(stub.log) - served


def test_a_damaged_catchup_page_rewinds_the_catchup_alone(stub, tmp_path):
    forum_dir = tmp_path / "forum"
    first = crawl_listing(forum_dir, stub.url, client=client())
    catchup = forum_raw.page_path(forum_dir, 0, "catchup")
    before = truncate(catchup)
    (forum_dir / "listing.json").unlink()
    served = len(stub.log)
    listing = crawl_listing(forum_dir, stub.url, client=client())
    assert [k for k, _ in stub.log[served:]] == ["/latest.json?page=0"]
    assert catchup.read_bytes() == before and listing["topic_ids"] == first["topic_ids"]
    assert (catchup.parent / "catchup-000000.json.gz.corrupt").exists()


def test_a_damaged_topic_record_is_moved_aside_and_fetched_again(stub, tmp_path, monkeypatch):
    monkeypatch.setenv(forum_raw.KEY_ENV, "durability-test-key-0123456789")
    forum_dir = tmp_path / "forum"
    crawl_listing(forum_dir, stub.url, client=client())
    crawl_topics(forum_dir, client=client())
    tables = parse_forum(forum_dir)
    tid = read_json(forum_dir / "listing.json")["topic_ids"][5]
    path = forum_raw.topic_path(forum_dir, tid)
    truncate(path)
    with pytest.raises(InputError) as err:
        parse_forum(forum_dir)
    assert str(path) in str(err.value) and "--forcerun fetch_forum_topics" in str(err.value)

    (forum_dir / "manifest.json").unlink()
    served = len(stub.log)
    manifest = crawl_topics(forum_dir, client=client())
    assert stub.topic_requests()[-1] == tid and len(stub.log) - served >= 1
    assert {k for k, _ in stub.log[served:]} <= {f"/t/{tid}.json", f"/t/{tid}/posts.json"}
    assert (path.parent / f"{tid}.json.gz.corrupt").exists()
    assert all(a.equals(b) for a, b in zip(parse_forum(forum_dir), tables, strict=True))
    assert manifest["topics"]["fetched"] == 1


# --- the SIGKILL bench, reduced -----------------------------------------------------------------


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_sigkill", ROOT / "bench" / "bench_sigkill.py"
    )
    if "bench_sigkill" not in sys.modules:
        bench = importlib.util.module_from_spec(spec)
        sys.modules["bench_sigkill"] = bench  # its dataclasses look their module up
        spec.loader.exec_module(bench)
    return sys.modules["bench_sigkill"]


@pytest.mark.parametrize("kind", ["hub", "forum", "forum-feed", "history", "card-history"])
def test_sigkill_at_random_points_then_rerun_gives_identical_snapshots(kind, tmp_path):
    """bench/bench_sigkill.py with 3 trials: separate crawl processes killed at seeded random
    requests (in flight or after), rerun; raw files and tables identical to an unkilled crawl,
    recorded requests = served (+1 at most: the one in flight), nothing stored fetched again."""
    bench = _bench()
    result = bench.run_trials(kind, 3, seed=5, workdir=tmp_path)
    print(bench.report([result]))
    assert len(result.trials) == 3 and sum(t.killed for t in result.trials) >= 2
    for trial in result.trials:
        assert trial.tables_identical and trial.raw_identical, trial
        assert 0 <= trial.recorded - trial.served <= 1, trial
        assert trial.refetched <= 1, trial
