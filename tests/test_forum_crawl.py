"""The Discourse crawl against a local stub replaying real forum responses (tests/support/forum_stub.py)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from crawl_support import Sleeps
from crawl_support import crawl_forum as crawl
from crawl_support import forum_client as client
from forum_stub import (
    LATE_ACCEPTED,
    NULL_LAST_POSTED,
    PINNED,
    STAFF_ACCEPTED,
    DiscourseSite,
    StubServer,
    bad_gateway,
    iso,
    now_utc,
    rate_limited,
    truncated,
)
from hfreuse.clients import FetchError
from hfreuse.errors import InputError
from hfreuse.forum import raw as raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.parse import parse_forum
from hfreuse.forum.topics import crawl_topics
from hfreuse.io import read_json
from testenv import forum_table_paths
from werkzeug.wrappers import Response


@pytest.fixture
def stub(httpserver) -> StubServer:
    return StubServer(httpserver, DiscourseSite())


def topic_files(forum_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(forum_dir)): p.read_bytes()
        for p in sorted((forum_dir / "topics").rglob("*.json.gz"))
    }


def test_full_crawl_meets_the_request_bound_and_pages_to_the_empty_page(stub, tmp_path):
    site = stub.site
    want = site.expected_requests()
    forum = tmp_path / "snap" / "forum"
    manifest = crawl(stub, forum)

    counts = stub.counts()
    assert counts["/categories.json"] == 1
    last = want["pages"] - 1
    assert [counts[f"/latest.json?page={n}"] for n in range(last + 1)] == [2] + [1] * last
    assert site.latest(last)["topic_list"]["topics"] == []  # the empty page ends the listing
    assert counts[f"/latest.json?page={last + 1}"] == 0
    assert stub.count("/latest.json") == want["pages"] + want["catchup"]
    assert sorted(stub.topic_requests()) == sorted(site.entries)  # one request per topic
    batches = sum(1 for k, _ in stub.log if k.endswith("/posts.json"))
    assert batches == want["batches"] > 0
    # the bound: listing pages + one request per topic + one per further batch (+ categories)
    assert len(stub.log) == want["total"] == manifest["requests"]["requests"]
    assert manifest["topics"] == {
        "fetched": len(site.entries),
        "kept": 0,
        "reused": 0,
        "unavailable": 0,
    }
    assert manifest["listing"]["topics_selected"] == len(site.entries) == 194
    assert manifest["post_batches_fetched"] == want["batches"]
    assert manifest["requests"]["retries"] == manifest["requests"]["errors"] == 0
    assert not list(forum.rglob("*.tmp"))


def test_topics_beyond_the_first_chunk_come_in_batches(stub, tmp_path):
    forum = tmp_path / "snap" / "forum"
    crawl(stub, forum)
    rec = raw.read_record(raw.topic_path(forum, 480317))  # a real entry of 70 posts
    assert len(rec["topic"]["post_stream"]["posts"]) == 20
    sizes = [len(b["post_stream"]["posts"]) for b in rec["post_batches"]]
    assert sizes == [20, 20, 10]
    queries = [q for k, q in stub.log if k == "/t/480317/posts.json"]
    assert len(queries) == 3 and all(q.count("post_ids") <= 20 for q in queries)
    posts = raw.record_posts(rec)
    assert [p["post_number"] for p in posts] == list(range(1, 71))
    assert [p["id"] for p in posts] == rec["topic"]["post_stream"]["stream"]


def test_parsed_tables_of_the_crawl(stub, tmp_path, monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, "a-test-key-of-some-length")
    forum = tmp_path / "snap" / "forum"
    crawl(stub, forum)
    cats, topics, posts = (t.to_pandas() for t in parse_forum(forum))
    site = stub.site
    assert len(topics) == 194 and topics["topic_id"].is_monotonic_increasing
    assert len(posts) == sum(len(site.all_posts(t)) for t in site.entries)
    t = topics.set_index("topic_id")
    # the real pinned fixture topic, dated with a -05:00 offset
    assert bool(t.loc[PINNED, "pinned"]) and t["pinned"].sum() == 1
    assert str(t.loc[PINNED, "created_at"]) == "2013-02-04 20:26:25.977000+00:00"
    assert pd.isna(t.loc[PINNED, "category"])  # category 13 is not in /categories.json
    assert t.loc[PINNED, "category_id"] == 13
    # a null last_posted_at stays null (and only that one)
    assert t.index[t["last_posted_at"].isna()].tolist() == [NULL_LAST_POSTED]
    # categories of the fixture; the output.json topics are spread over them
    assert cats["name"].tolist() == ["test1", "test2", "test3"]
    assert cats["topics_in_snapshot"].sum() == 163
    # accepted answers: topic-level (sample entries) and post flags only (output.json topics)
    accepted = t[t["has_accepted_answer"]]
    assert t.loc[STAFF_ACCEPTED, "accepted_post_number"] == 2
    assert t.loc[LATE_ACCEPTED, "accepted_post_number"] == 33
    flagged = {
        p["topic_id"]
        for tid in site.topics
        for p in site.all_posts(tid)
        if p.get("accepted_answer")
    }
    assert set(accepted.index) == flagged
    acc_posts = posts[posts["is_accepted_answer"]]
    assert len(acc_posts) == len(flagged)
    row = acc_posts[acc_posts["topic_id"] == STAFF_ACCEPTED].iloc[0]
    assert row["post_number"] == 2 and bool(row["author_is_staff"])
    assert posts[posts["topic_id"] == LATE_ACCEPTED]["post_number"].max() == 50


def test_429_with_text_body_waits_retry_after(stub, tmp_path):
    stub.fail("/t/548270.json", rate_limited(retry_after=7))
    sleeps = Sleeps()
    forum = tmp_path / "snap" / "forum"
    manifest = crawl(stub, forum, http=client(sleeps))
    assert any(s >= 7 for s in sleeps)
    assert stub.counts()["/t/548270.json"] == 2
    assert raw.read_record(raw.topic_path(forum, 548270))["status"] == 200
    assert manifest["requests"]["rate_limited"] == 1
    assert manifest["requests"]["statuses"]["429"] == 1


def test_502_then_success(stub, tmp_path):
    stub.fail("/latest.json?page=2", bad_gateway())
    stub.fail("/t/480317/posts.json", bad_gateway())
    sleeps = Sleeps()
    forum = tmp_path / "snap" / "forum"
    manifest = crawl(stub, forum, http=client(sleeps))
    assert manifest["requests"]["retries"] == 2 and manifest["requests"]["statuses"]["502"] == 2
    assert sum(1 for s in sleeps if s >= 2) >= 2  # backed off
    assert len(raw.record_posts(raw.read_record(raw.topic_path(forum, 480317)))) == 70
    assert len(stub.log) == stub.site.expected_requests()["total"] + 2


def quarantined(forum_dir: Path) -> dict[str, dict]:
    """The topic phase's quarantine file, item -> record (empty when there is none)."""
    path = forum_dir / "quarantine.json"
    return {r["item"]: r for r in read_json(path)["items"]} if path.exists() else {}


def test_truncated_json_is_quarantined_naming_the_url_and_retried_first(stub, tmp_path):
    forum = tmp_path / "snap" / "forum"
    crawl_listing(forum, stub.url, client=client())
    ids = read_json(forum / "listing.json")["topic_ids"]
    bad = ids[100]
    stub.fail(f"/t/{bad}.json", truncated(stub.site.view(bad)))
    with pytest.raises(InputError) as err:
        crawl_topics(forum, client=client())
    assert str(err.value).startswith(
        f"forum topic crawl: 1 of {len(ids)} topics ({1 / len(ids):.2%}) still fail after "
        f"retries, above crawl.max_failed_share 0 (0.00%); each is listed with its reason in "
        f"{forum / 'quarantine.json'} ({bad})"
    )
    assert not raw.topic_path(forum, bad).exists()
    assert not (forum / "manifest.json").exists()
    assert not list(forum.rglob("*.tmp"))
    done = [t for t in ids if raw.topic_path(forum, t).exists()]
    assert done == [t for t in ids if t != bad]  # the crawl went on past the failed topic
    rec = quarantined(forum)[str(bad)]
    assert rec["url"] == f"{stub.url}/t/{bad}.json" and rec["status"] is None
    assert re.match(rf"GET \S+/t/{bad}\.json: expected a complete JSON body", rec["reason"])

    stub.log.clear()
    manifest = crawl_topics(forum, client=client())
    assert stub.topic_requests() == [bad]  # only the quarantined topic is fetched again
    assert manifest["topics"]["kept"] == len(ids) - 1 and manifest["topics"]["fetched"] == 1
    assert manifest["quarantined"] == [] and not quarantined(forum)


def test_a_quarantine_within_max_failed_share_is_left_out_of_the_tables(stub, tmp_path):
    forum = tmp_path / "snap" / "forum"
    crawl_listing(forum, stub.url, client=client())
    ids = read_json(forum / "listing.json")["topic_ids"]
    bad = ids[5]
    stub.fail(f"/t/{bad}.json", *[bad_gateway()] * 3)  # the first try and two retries
    manifest = crawl_topics(forum, client=client(max_retries=2), max_failed_share=0.01)
    assert manifest["quarantined"] == [bad] and manifest["topics"]["fetched"] == len(ids) - 1
    rec = quarantined(forum)[str(bad)]
    assert (
        rec["status"] == 502 and rec["attempts"] == 3 and "HTTP 502 after 3 tries" in rec["reason"]
    )
    topics = parse_forum(forum)[1].to_pandas()
    assert bad not in set(topics["topic_id"]) and len(topics) == len(ids) - 1

    from hfreuse.crawl.quarantine import SCHEMA, quarantine_table

    table = quarantine_table([forum / "quarantine.json"])
    assert table.schema == SCHEMA and table.column("item").to_pylist() == [str(bad)]


def test_topics_failing_in_a_row_stop_the_crawl(stub, tmp_path, monkeypatch):
    import hfreuse.crawl.quarantine

    monkeypatch.setattr(hfreuse.crawl.quarantine, "STREAK_LIMIT", 3)
    forum = tmp_path / "snap" / "forum"
    crawl_listing(forum, stub.url, client=client())
    ids = read_json(forum / "listing.json")["topic_ids"]
    stub.fail(f"/t/{ids[0]}.json", bad_gateway(), bad_gateway())
    for tid in ids[2:5]:  # ids[1] is fetched between: the streak starts again
        stub.fail(f"/t/{tid}.json", bad_gateway(), bad_gateway())
    with pytest.raises(FetchError, match=rf"^3 items in a row .* \(the last, {ids[4]}: GET "):
        crawl_topics(forum, client=client(max_retries=1), max_failed_share=1.0)
    assert sorted(quarantined(forum)) == sorted(str(t) for t in [ids[0], *ids[2:5]])
    assert stub.topic_requests() == [ids[0]] * 2 + [ids[1]] + [t for t in ids[2:5] for _ in "ab"]
    state = read_json(forum / ".topics-state.json")
    assert state["stats"]["requests"] == 9  # this run's requests are kept
    manifest = crawl_topics(forum, client=client())
    assert manifest["quarantined"] == [] and manifest["topics"]["fetched"] == len(ids) - 1


def test_a_refused_connection_is_not_quarantined(stub, tmp_path):
    from hfreuse.clients import ConnectionFailed

    forum = tmp_path / "snap" / "forum"
    crawl_listing(forum, stub.url, client=client())
    listing = read_json(forum / "listing.json")
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens there
    (forum / "listing.json").write_text(json.dumps({**listing, "base_url": dead}))
    with pytest.raises(ConnectionFailed, match="connection refused"):
        crawl_topics(forum, client=client(max_retries=1), max_failed_share=1.0)
    assert not quarantined(forum) and not (forum / "manifest.json").exists()


def test_listing_resumes_after_an_interruption(stub, tmp_path):
    forum = tmp_path / "snap" / "forum"
    stub.fail("/latest.json?page=3", truncated(stub.site.latest(3)))
    with pytest.raises(FetchError, match=r"/latest\.json\?page=3"):
        crawl_listing(forum, stub.url, client=client())
    assert [p.name for p in raw.list_pages(forum)] == [f"page-00000{i}.json.gz" for i in range(3)]
    assert not (forum / "listing.json").exists()
    stub.log.clear()
    listing = crawl_listing(forum, stub.url, client=client())
    keys = [k for k, _ in stub.log]
    assert "/categories.json" not in keys and "/latest.json?page=0" in keys  # catch-up only
    assert keys.count("/latest.json?page=1") == 0 and keys.count("/latest.json?page=3") == 1
    assert listing["topics_selected"] == 194 and listing["requests"]["errors"] == 0


def test_unavailable_topic_is_recorded_not_fatal(stub, tmp_path):
    stub.unavailable.add(548270)
    forum = tmp_path / "snap" / "forum"
    manifest = crawl(stub, forum)
    assert manifest["topics"]["unavailable"] == 1
    assert raw.read_record(raw.topic_path(forum, 548270))["status"] == 404
    topics = parse_forum(forum)[1].to_pandas()
    assert len(topics) == 193 and 548270 not in set(topics["topic_id"])


def test_selection_by_date_and_max_topics(stub, tmp_path):
    listing = crawl_listing(tmp_path / "a", stub.url, client=client(), max_topics=40)
    assert listing["topics_selected"] == 40 and listing["pages"] == 2
    assert not listing["reached_end"] and stub.count("/latest.json") == 2
    first = [e["id"] for e in stub.site.ordered()[:40]]
    assert listing["topic_ids"] == sorted(first)

    listing = crawl_listing(
        tmp_path / "b", stub.url, client=client(), start="2023-12-05", end="2023-12-06"
    )
    want = sorted(
        e["id"]
        for e in stub.site.entries.values()
        if "2023-12-05" <= e["created_at"][:10] <= "2023-12-06"
    )
    assert listing["topic_ids"] == want and 0 < len(want) < 194


def test_settings_changed_under_a_crawl_are_refused(stub, tmp_path):
    forum = tmp_path / "snap" / "forum"
    stub.fail("/latest.json?page=3", truncated(stub.site.latest(3)))
    with pytest.raises(FetchError):
        crawl_listing(forum, stub.url, client=client())
    with pytest.raises(InputError, match="max_topics"):
        crawl_listing(forum, stub.url, client=client(), max_topics=10)


def test_a_server_that_ignores_the_page_parameter_is_caught(stub, tmp_path):
    site = stub.site
    site.latest = lambda page: DiscourseSite.latest(site, 0)  # every page is page 0
    with pytest.raises(FetchError, match=r"page=1: the same topics as page 0"):
        crawl_listing(tmp_path / "f", stub.url, client=client())
    assert stub.count("/latest.json") == 4  # page 0, then page 1 three times


def test_incremental_crawl_fetches_only_what_changed(stub, tmp_path, monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, "a-test-key-of-some-length")
    site = stub.site
    old = tmp_path / "old" / "forum"
    crawl(stub, old)
    old_files = topic_files(old)

    # what happens on the forum between the two crawls
    bumped, moved, accepted, edited = 547482, 547599, 548189, 546113
    site.add_posts(bumped, 25, now_utc() - timedelta(hours=2))  # bumped, now with batches
    site.new_topic(like=547921, tid=600001, when=now_utc() - timedelta(hours=1))
    site.move(moved, 2 if site.entries[moved]["category_id"] != 2 else 3)
    site.accept_quietly(accepted, 2)  # no bump
    site.edit_quietly(edited, 1, "<p>edited long after, without a bump</p>")  # no bump
    # the re-check window covers the topics last active at or after the quietly accepted one
    fetched = raw.parse_time(raw.read_record(raw.topic_path(old, accepted))["fetched_at"], "t")
    act = {
        tid: raw.last_activity(site.entries[tid], "t") for tid in raw.read_listing(old)["topic_ids"]
    }
    window = (fetched - act[accepted]).total_seconds() / 86400 + 0.5 / 24
    recent = {tid for tid, a in act.items() if (fetched - a).total_seconds() / 86400 < window}
    assert accepted in recent and edited not in recent and 0 < len(recent) < 60

    stub.log.clear()
    new = tmp_path / "new" / "forum"
    crawl_listing(new, stub.url, client=client())
    manifest = crawl_topics(new, previous_dir=old, recheck_days=window, client=client())

    expected = recent | {bumped, 600001, moved}
    assert sorted(stub.topic_requests()) == sorted(expected)
    batches = {k for k, _ in stub.log if k.endswith("/posts.json")}
    assert f"/t/{bumped}/posts.json" in batches
    assert batches <= {f"/t/{t}/posts.json" for t in expected}
    assert len(stub.log) == (
        2  # categories and the site's name, asked again by each snapshot
        + stub.site.expected_requests()["pages"]
        + 1
        + len(expected)
        + sum(1 for k, _ in stub.log if k.endswith("/posts.json"))
    )
    assert manifest["topics"]["fetched"] == len(expected)
    assert manifest["topics"]["reused"] == 195 - len(expected)
    assert manifest["settings"]["previous_snapshot"] == "old"
    # reused topics are hard links of the old snapshot's immutable files
    same = raw.topic_path(new, edited)
    assert os.path.samefile(same, raw.topic_path(old, edited))
    assert topic_files(old) == old_files  # the old snapshot is untouched

    _, topics, posts = (t.to_pandas() for t in parse_forum(new))
    t = topics.set_index("topic_id")
    assert t.loc[bumped, "posts_count"] == len(site.all_posts(bumped))
    assert (posts["topic_id"] == bumped).sum() == len(site.all_posts(bumped))
    assert bool(t.loc[accepted, "has_accepted_answer"])
    assert t.loc[moved, "category_id"] == site.entries[moved]["category_id"]
    assert 600001 in t.index
    # an edit outside the window is not seen (documented limit of incremental crawls)
    first_post = posts[(posts["topic_id"] == edited) & (posts["post_number"] == 1)]
    assert "edited long after" not in first_post["text"].iloc[0]


def test_api_key_is_sent_but_never_written(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("DISCOURSE_API_KEY", "secret-key-4f7a9")
    monkeypatch.setenv("DISCOURSE_API_USERNAME", "crawler-bot")
    forum = tmp_path / "snap" / "forum"
    crawl_listing(forum, stub.url, max_topics=5, requests_per_minute=60_000)
    manifest = crawl_topics(forum, requests_per_minute=60_000)
    assert manifest["authenticated"] is True
    assert all(h.get("Api-Key") == "secret-key-4f7a9" for h in stub.headers)
    assert all(h.get("Api-Username") == "crawler-bot" for h in stub.headers)
    assert all("hfreuse/" in h.get("User-Agent", "") for h in stub.headers)
    for path in forum.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                import gzip

                data = gzip.decompress(data)
            assert b"secret-key-4f7a9" not in data, path


def test_previous_snapshot_must_be_complete(stub, tmp_path):
    forum = tmp_path / "new" / "forum"
    crawl_listing(forum, stub.url, client=client())
    with pytest.raises(InputError, match="previous_snapshot"):
        crawl_topics(forum, previous_dir=tmp_path / "missing" / "forum", client=client())


def test_fetch_scripts_main(stub, tmp_path, monkeypatch):
    """The rule scripts' main() with the rule's named outputs and params."""
    import fetch_forum_listing
    import fetch_forum_topics
    import parse_forum as parse_script
    import parse_forum_topics as shard_script

    monkeypatch.setenv(raw.KEY_ENV, "a-test-key-of-some-length")
    forum = tmp_path / "resources" / "raw" / "s1" / "forum"
    fetch_forum_listing.main(
        listing=str(forum / "listing.json"),
        base_url=stub.url + "/",
        start=None,
        end=None,
        max_topics=50,
        requests_per_minute=60_000,
        timeout=10,
        max_retries=1,
    )
    bad = read_json(forum / "listing.json")["topic_ids"][7]
    stub.fail(f"/t/{bad}.json", bad_gateway(), bad_gateway())  # quarantined: 1 of 50 topics
    fetch_forum_topics.main(
        listing=str(forum / "listing.json"),
        manifest=str(forum / "manifest.json"),
        previous_snapshot=None,
        recheck_days=30,
        requests_per_minute=60_000,
        timeout=10,
        max_retries=1,
        max_failed_share=0.02,
    )
    out = tmp_path / "results"
    parts = {"topics": [], "posts": []}
    for k in (0, 1):
        for kind in parts:
            parts[kind].append(str(out / "parts" / f"{kind}-{k + 1}-of-2.parquet"))
        shard_script.main(
            manifest=str(forum / "manifest.json"),
            topics=parts["topics"][-1],
            posts=parts["posts"][-1],
            shard=k,
            n_shards=2,
            staff_groups=[],
        )
    parse_script.main(
        manifest=str(forum / "manifest.json"),
        topic_parts=parts["topics"],
        post_parts=parts["posts"],
        **forum_table_paths(out),
    )
    assert pq.read_table(out / "topics.parquet").num_rows == 49
    # the stub does not answer /site/basic-info.json: the forum is named by its host
    assert pq.read_table(out / "site.parquet").to_pylist() == [
        {"base_url": stub.url, "host": "localhost", "title": "localhost", "title_source": "host"}
    ]
    quarantine = pq.read_table(out / "quarantine.parquet").to_pylist()
    assert [(q["item"], q["status"], q["attempts"]) for q in quarantine] == [(str(bad), 502, 2)]
    assert quarantine[0]["url"] == f"{stub.url}/t/{bad}.json"
    assert read_json(forum / "manifest.json")["snapshot"] == "s1"
    assert iso(now_utc())[:4] == read_json(forum / "manifest.json")["finished_at"][:4]


def _no_posts(tid: int) -> Response:
    body = {"post_stream": {"posts": []}, "id": tid}
    return Response(json.dumps(body), status=200, content_type="application/json")


def test_an_empty_post_batch_is_asked_again(stub, tmp_path):
    stub.fail("/t/480317/posts.json", _no_posts(480317))
    forum = tmp_path / "snap" / "forum"
    manifest = crawl(stub, forum)
    assert stub.counts()["/t/480317/posts.json"] == 4  # 3 batches, the first one asked twice
    assert len(raw.record_posts(raw.read_record(raw.topic_path(forum, 480317)))) == 70
    assert manifest["posts_not_served"] == 0


def test_a_post_batch_that_stays_empty_is_quarantined_and_fetched_by_the_rerun(stub, tmp_path):
    stub.fail("/t/480317/posts.json", _no_posts(480317), _no_posts(480317))
    forum = tmp_path / "snap" / "forum"
    crawl_listing(forum, stub.url, client=client())
    first = stub.site.topics[480317]["post_stream"]["stream"][20:40]
    with pytest.raises(InputError, match=r"forum topic crawl: 1 of 194 topics .*\(480317\)"):
        crawl_topics(forum, client=client())
    rec = quarantined(forum)["480317"]
    assert rec["url"] == f"{stub.url}/t/480317/posts.json"
    assert rec["reason"] == (
        f"GET {stub.url}/t/480317/posts.json: post batches answered with no post, twice: "
        f"post ids {', '.join(map(str, first))}"
    )
    assert not (forum / "manifest.json").exists()  # the snapshot is not complete
    assert not raw.topic_path(forum, 480317).exists()
    ids = read_json(forum / "listing.json")["topic_ids"]
    assert all(raw.topic_path(forum, t).exists() for t in ids if t != 480317)

    stub.log.clear()
    manifest = crawl_topics(forum, client=client())
    assert stub.topic_requests() == [480317]
    assert len(raw.record_posts(raw.read_record(raw.topic_path(forum, 480317)))) == 70
    assert manifest["posts_not_served"] == 0 and manifest["topics"]["fetched"] == 1
    assert not quarantined(forum)


def _page(site: DiscourseSite, number: int, more: bool = False) -> Response:
    doc = site.latest(number)
    if more:
        doc["topic_list"]["more_topics_url"] = f"/latest?no_definitions=true&page={number + 1}"
    return Response(json.dumps(doc), status=200, content_type="application/json")


def test_an_empty_page_mid_listing_is_asked_again(stub, tmp_path):
    stub.fail("/latest.json?page=2", _page(stub.site, 99))  # empty, after a full page
    listing = crawl_listing(tmp_path / "f", stub.url, client=client())
    assert stub.counts()["/latest.json?page=2"] == 2
    assert listing["topics_listed"] == 194 and listing["reached_end"]
    assert (
        stub.headers[[k for k, _ in stub.log].index("/latest.json?page=2", 3) + 1].get(
            "Cache-Control"
        )
        == "no-cache"
    )


def test_an_empty_page_that_stays_empty_mid_listing_stops_with_a_clear_error(stub, tmp_path):
    stub.fail("/latest.json?page=2", *[_page(stub.site, 99)] * 3)
    _stops_then_the_rerun_completes(
        stub,
        tmp_path / "f",
        r"GET http://.*/latest\.json\?page=2: an empty page although page 1 announced "
        r"more topics .*page 3 lists 30 topics, after 3 tries",
        kept_pages=2,  # the rerun resumes at page 2
    )


def _stops_then_the_rerun_completes(stub, forum: Path, match: str, kept_pages: int) -> None:
    """The listing crawl stops with ``match``, writes no listing and keeps its first pages; a
    rerun on the healed server completes it."""
    with pytest.raises(FetchError, match=match):
        crawl_listing(forum, stub.url, client=client())
    assert not (forum / "listing.json").exists()
    kept = [f"page-{i:06d}.json.gz" for i in range(kept_pages)]
    assert [p.name for p in raw.list_pages(forum)] == kept
    listing = crawl_listing(forum, stub.url, client=client())
    assert listing["topics_listed"] == 194 and listing["reached_end"]


def test_an_empty_page_announcing_more_topics_is_not_the_end(stub, tmp_path):
    last = stub.site.expected_requests()["pages"] - 1  # the empty page
    stub.fail(f"/latest.json?page={last}", *[_page(stub.site, 99, more=True)] * 3)
    with pytest.raises(FetchError, match=rf"page={last}: an empty page that announces more"):
        crawl_listing(tmp_path / "f", stub.url, client=client())
    assert stub.counts()[f"/latest.json?page={last}"] == 3


def test_a_listing_of_whole_pages_ends_at_the_empty_page(stub, tmp_path):
    site = stub.site
    for e in site.ordered()[180:]:  # 180 topics: six full pages, each announcing more
        del site.entries[e["id"]]
    listing = crawl_listing(tmp_path / "f", stub.url, client=client())
    assert listing["topics_listed"] == 180 and listing["reached_end"] and listing["pages"] == 7
    assert stub.counts()["/latest.json?page=6"] == 3 and stub.counts()["/latest.json?page=7"] == 1


def test_a_page_served_twice_is_asked_again_then_fails(stub, tmp_path):
    stub.fail("/latest.json?page=3", _page(stub.site, 2))
    listing = crawl_listing(tmp_path / "a", stub.url, client=client())
    assert listing["topics_listed"] == 194 and stub.counts()["/latest.json?page=3"] == 2
    stub.log.clear()
    stub.fail("/latest.json?page=3", *[_page(stub.site, 2)] * 3)
    with pytest.raises(FetchError, match=r"page=3: the same topics as page 2 .*after 3 tries"):
        crawl_listing(tmp_path / "b", stub.url, client=client())
    assert not (tmp_path / "b" / "listing.json").exists()


def test_listing_far_below_the_category_counts_is_a_warning(stub, tmp_path, caplog):
    cats = stub.site.categories["category_list"]["categories"]
    for cat, count in zip(cats, (60, 55, 50), strict=True):  # 163 listed of 165: fine
        cat["topic_count"] = count
    with caplog.at_level("WARNING", logger="hfreuse.forum.listing"):
        crawl_listing(tmp_path / "a", stub.url, client=client())
    assert "categories" not in caplog.text
    for cat, count in zip(cats, (100, 100, 5000), strict=True):
        cat["topic_count"] = count
    cats[2]["notification_level"] = 0  # muted: listed through its own listing, counted
    caplog.clear()
    with caplog.at_level("WARNING", logger="hfreuse.forum.listing"):
        listing = crawl_listing(tmp_path / "b", stub.url, client=client())
    assert listing["reached_end"]  # a warning, not an error
    assert "holds 163 topics of the 5200 that /categories.json counts" in caplog.text


def test_the_catch_up_pass_has_the_checks_of_the_main_pass(stub, tmp_path):
    """An empty catch-up page that announces more topics is asked again, then stops the listing
    naming the URL (it used to end the catch-up quietly); the rerun resumes the catch-up."""
    forum = tmp_path / "f"
    empty = [_page(stub.site, 99, more=True)] * 3
    stub.fail("/latest.json?page=0", _page(stub.site, 0), *empty)  # the main pass gets page 0
    with pytest.raises(
        FetchError, match=r"GET http://\S+/latest\.json\?page=0: an empty page that announces more"
    ):
        crawl_listing(forum, stub.url, client=client())
    assert stub.counts()["/latest.json?page=0"] == 4
    assert not (forum / "listing.json").exists() and not raw.page_path(forum, 0, "catchup").exists()
    state = read_json(forum / ".listing-state.json")
    assert state["pages_finished"] and not state["catchup_finished"]
    listing = crawl_listing(forum, stub.url, client=client())
    assert listing["catchup_pages"] >= 1 and listing["topics_listed"] == 194


def test_the_next_snapshot_fetches_the_previous_quarantine_first(stub, tmp_path):
    old = tmp_path / "old" / "forum"
    crawl_listing(old, stub.url, client=client())
    ids = read_json(old / "listing.json")["topic_ids"]
    bad = ids[-1]  # fetched last by an ordinary crawl
    stub.fail(f"/t/{bad}.json", *[bad_gateway()] * 2)
    manifest = crawl_topics(old, client=client(max_retries=1), max_failed_share=0.01)
    assert manifest["quarantined"] == [bad] and not raw.topic_path(old, bad).exists()

    new = tmp_path / "new" / "forum"
    crawl_listing(new, stub.url, client=client())
    stub.log.clear()
    # recheck_days so long that every topic is fetched again, not reused
    manifest = crawl_topics(new, previous_dir=old, recheck_days=1e6, client=client())
    assert stub.topic_requests() == [bad] + ids[:-1]  # first, though last in listing order
    assert raw.topic_path(new, bad).exists() and manifest["quarantined"] == []


def test_the_listing_logs_its_progress_against_an_estimated_total(stub, tmp_path, caplog):
    """Topics listed / the categories' topic counts (else the highest topic id listed)."""
    import logging

    from forum_stub import PER_PAGE

    caplog.set_level(logging.INFO, logger="hfreuse.crawl.progress")
    site = stub.site
    n = len(site.entries)
    first_page = [t["id"] for t in site.latest(0)["topic_list"]["topics"]]
    crawl_listing(tmp_path / "a" / "forum", stub.url, client=client())
    lines = [r.getMessage() for r in caplog.records if "listing topics" in r.getMessage()]
    # the fixture's categories count no topics: the highest topic id of the first page
    assert lines[0].startswith(f"listing topics: {PER_PAGE}/~{max(first_page)} (")
    caplog.clear()
    cats = site.categories["category_list"]["categories"]
    for cat, count in zip(cats, [n - 7, 4, 3], strict=True):
        cat["topic_count"] = count
    cats[1]["notification_level"] = 0  # muted: left out of /latest, not counted
    crawl_listing(tmp_path / "b" / "forum", stub.url, client=client())
    lines = [r.getMessage() for r in caplog.records if "listing topics" in r.getMessage()]
    pct = 100.0 * PER_PAGE / (n - 4)
    assert lines[0].startswith(f"listing topics: {PER_PAGE}/~{n - 4} ({pct:.1f}%), ")
    assert "ETA ~" in lines[0]


def cloudflare_403() -> Response:
    body = "<html><head><title>Attention Required! | Cloudflare</title></head></html>"
    return Response(body, status=403, content_type="text/html; charset=UTF-8")


def test_a_bare_403_on_a_topic_is_asked_again_and_fails_if_it_persists(stub, tmp_path):
    """A 403 that is not Discourse's own (no JSON 'errors': its front, e.g. Cloudflare) is not
    the topic's final answer: asked again, it gets the topic; if it persists, the topic is not
    stored but quarantined with the URL and the reason, and the crawl fails at its end naming
    the quarantine file (issue 11, item 4)."""
    stub.fail("/t/548270.json", cloudflare_403(), cloudflare_403())
    forum = tmp_path / "a" / "forum"
    crawl(stub, forum, http=client(max_retries=2))
    assert stub.counts()["/t/548270.json"] == 3
    assert raw.read_record(raw.topic_path(forum, 548270))["status"] == 200

    stub.fail("/t/548270.json", *(cloudflare_403() for _ in range(3)))
    other = tmp_path / "b" / "forum"
    crawl_listing(other, stub.url, client=client())
    with pytest.raises(InputError, match=r"1 of \d+ topics .*quarantine\.json \(548270\)"):
        crawl_topics(other, client=client(max_retries=2))
    assert not raw.topic_path(other, 548270).exists()
    (held,) = read_json(other / "quarantine.json")["items"]
    assert held["item"] == "548270" and held["status"] == 403
    assert re.match(r"GET http://\S+/t/548270\.json: HTTP 403 without", held["reason"])


def test_discourses_own_403_is_recorded_as_unavailable_at_once(stub, tmp_path):
    refused = {"errors": ["You are not permitted to view the requested resource."]}
    stub.fail("/t/548270.json", Response(json.dumps(refused), status=403))
    forum = tmp_path / "snap" / "forum"
    manifest = crawl(stub, forum)
    assert stub.counts()["/t/548270.json"] == 1
    assert raw.read_record(raw.topic_path(forum, 548270))["status"] == 403
    assert manifest["topics"]["unavailable"] == 1


def _true_category_counts(site: DiscourseSite) -> int:
    """Set each category's ``topic_count`` to the site's topics in it; returns their sum."""
    per_cat = Counter(e["category_id"] for e in site.entries.values())
    cats = site.categories["category_list"]["categories"]
    for cat in cats:
        cat["topic_count"] = per_cat[cat["id"]]
    return sum(per_cat[c["id"]] for c in cats)


def test_empty_pages_after_a_page_announcing_more_fail_when_the_counts_disagree(stub, tmp_path):
    """Every page from 1 on served empty: page 0 announced more, the categories count more
    topics than listed: the listing stops naming the URL; the rerun asks for page 1 again."""
    expected = _true_category_counts(stub.site)
    stub.fail("/latest.json?page=1", *[_page(stub.site, 99)] * 3)
    stub.fail("/latest.json?page=2", _page(stub.site, 99))
    _stops_then_the_rerun_completes(
        stub,
        tmp_path / "f",
        rf"GET http://\S+/latest\.json\?page=1: empty \(and the page after it\), although "
        rf"page 0 announced more topics .* holds \d+ of the {expected} topics /categories\.json",
        kept_pages=1,
    )


def test_a_listing_of_whole_pages_that_the_counts_confirm_ends(stub, tmp_path):
    for e in stub.site.ordered()[180:]:
        del stub.site.entries[e["id"]]
    _true_category_counts(stub.site)
    listing = crawl_listing(tmp_path / "f", stub.url, client=client())
    assert listing["topics_listed"] == 180 and listing["reached_end"] and listing["pages"] == 7


# --- the forum's name: /site/basic-info.json ---


def test_the_forum_is_named_by_its_title_and_a_bad_answer_fails_naming_the_url(
    httpserver, tmp_path
):
    """The listing asks /site/basic-info.json once: a title is stored and tabled; an HTML page
    answered with 200 (a login wall) stops the listing with one error naming the URL and stores
    nothing; a damaged stored copy is moved aside and asked again."""
    from hfreuse.forum.site import site_path, site_table

    site = DiscourseSite()
    site.title = "A forum & its <title>"
    stub = StubServer(httpserver, site)
    forum = tmp_path / "a" / "forum"
    html = Response("<html>login</html>", status=200, content_type="text/html")
    stub.fail("/site/basic-info.json", html, html, html, html)
    with pytest.raises(FetchError, match=r"GET http://\S+/site/basic-info\.json: expected"):
        crawl_listing(forum, stub.url, client=client(max_retries=1))
    assert not site_path(forum).exists()
    stub.faults.clear()
    crawl_listing(forum, stub.url, client=client())
    row = site_table(forum, stub.url, "fetch_forum_listing").to_pylist()[0]
    assert (row["title"], row["title_source"]) == ("A forum & its <title>", "basic-info")
    asked = stub.count("/site/basic-info.json")
    site_path(forum).write_bytes(b"\x1f\x8b damaged")
    crawl_listing(forum, stub.url, client=client())
    assert stub.count("/site/basic-info.json") == asked + 1
    assert site_table(forum, stub.url, "x").to_pylist()[0]["title"] == "A forum & its <title>"
