"""The forum crawl's feed plan (/posts.json?before=ID) against the stub replaying real answers."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from crawl_support import assert_same, stopped_walk
from crawl_support import crawl_forum as crawl
from crawl_support import forum_client as client
from forum_stub import (
    FEED_WINDOW,
    LATE_ACCEPTED,
    PINNED,
    STAFF_ACCEPTED,
    DiscourseSite,
    StubServer,
    now_utc,
)
from hfreuse.clients import FetchError
from hfreuse.errors import InputError
from hfreuse.forum import raw as raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.parse import parse_forum
from hfreuse.forum.topics import crawl_topics
from werkzeug.wrappers import Response


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, "a-test-key-of-some-length")


@pytest.fixture
def sparse(httpserver) -> StubServer:
    return StubServer(httpserver, DiscourseSite(post_ids="sparse"))


def tables(forum_dir: Path) -> list[pa.Table]:
    return list(parse_forum(forum_dir))


def listing_requests(stub: StubServer) -> int:
    return stub.count("/latest.json") + stub.count("/categories.json")


def test_feed_plan_crawls_every_topic_and_post_within_the_bound(dense, tmp_path):
    site = dense.site
    forum = tmp_path / "feed" / "forum"
    manifest = crawl(dense, forum, plan="feed")
    feed_pages = dense.count("/posts.json")
    # the newest page, then one page per 50 ids down to id 1
    assert feed_pages == site.feed_pages() == 18
    bound = math.ceil(1.02 * (listing_requests(dense) + feed_pages))
    assert len(dense.log) <= bound
    assert len(dense.log) == manifest["requests"]["requests"]
    assert manifest["plan"]["plan"] == "feed"
    assert manifest["plan"]["topics_from_feed"] == len(site.entries) == 194
    assert manifest["topics"]["fetched"] == 194
    assert dense.topic_requests() == []
    cats, topics, posts = (t.to_pandas() for t in tables(forum))
    assert len(topics) == 194
    assert len(posts) == sum(len(site.all_posts(t)) for t in site.entries)
    t = topics.set_index("topic_id")
    assert t.loc[LATE_ACCEPTED, "accepted_post_number"] == 33
    assert t.loc[STAFF_ACCEPTED, "accepted_post_number"] == 2
    acc = posts[posts["is_accepted_answer"]].set_index("topic_id")["post_number"]
    assert acc.to_dict() == t["accepted_post_number"].dropna().astype(int).to_dict()
    assert len(acc) == t["has_accepted_answer"].sum() == 16
    assert bool(t.loc[PINNED, "pinned"])
    rec = raw.read_record(raw.topic_path(forum, LATE_ACCEPTED))
    assert rec["source"] == "feed" and rec["post_batches"] == []


def test_both_plans_give_identical_tables(dense, tmp_path):
    by_topics = tables_after(dense, tmp_path / "a" / "forum", "topics")
    n_topics_plan = len(dense.log)
    dense.log.clear()
    by_feed = tables_after(dense, tmp_path / "b" / "forum", "feed")
    assert len(dense.log) < n_topics_plan / 4  # 4.4 posts a topic: several times cheaper
    assert_same(by_topics, by_feed)


def tables_after(stub: StubServer, forum: Path, plan: str) -> list[pa.Table]:
    crawl(stub, forum, plan=plan)
    return tables(forum)


def test_auto_takes_the_feed_on_a_dense_forum(dense, tmp_path, caplog):
    caplog.set_level("INFO", logger="hfreuse.forum.feed")  # both estimates logged
    manifest = crawl(dense, tmp_path / "s" / "forum", plan="auto")
    est = manifest["plan"]["estimates"]
    assert manifest["plan"]["plan"] == "feed" and est["feed"] < est["topics"]
    assert est["topics"] == dense.site.expected_requests()["topics"] + 10  # topics + batches
    assert est["feed"] == dense.site.feed_pages() - 1  # after the newest page
    assert any("forum plan: per topic about" in r.message for r in caplog.records)


def test_auto_takes_the_topics_plan_on_a_sparse_forum(sparse, tmp_path):
    forum = tmp_path / "s" / "forum"
    manifest = crawl(sparse, forum, plan="auto")
    est = manifest["plan"]["estimates"]
    assert manifest["plan"]["plan"] == "topics" and est["topics"] < est["feed"]
    assert sparse.count("/posts.json") == 1  # the newest page, for the estimate
    want = sparse.site.expected_requests()["total"]
    assert len(sparse.log) == want + 1
    assert len(tables(forum)[1]) == 194


def test_a_topic_the_feed_does_not_deliver_completely_is_fetched_per_topic(dense, tmp_path):
    site = dense.site
    hidden = site.all_posts(LATE_ACCEPTED)[10]["id"]
    site.feed_hidden.add(hidden)
    forum = tmp_path / "f" / "forum"
    manifest = crawl(dense, forum, plan="feed")
    assert dense.topic_requests() == [LATE_ACCEPTED]
    assert manifest["plan"]["topics_from_feed"] == 193
    rec = raw.read_record(raw.topic_path(forum, LATE_ACCEPTED))
    assert "source" not in rec and hidden in rec["topic"]["post_stream"]["stream"]
    site.feed_hidden.clear()
    dense.log.clear()
    assert_same(tables(forum), tables_after(dense, tmp_path / "t" / "forum", "topics"))


def test_a_killed_feed_walk_resumes_and_gives_identical_tables(dense, tmp_path):
    forum = tmp_path / "k" / "forum"
    stopped_walk(dense, forum)  # the server fails for good on the 6th page of the walk
    before = len(dense.log)
    manifest = crawl_topics(forum, client=client(), plan="feed")
    again = [k for k, _ in dense.log[before:]]
    assert all(k.startswith("/posts.json?before=") for k in again)
    assert len(again) == dense.site.feed_pages() - 5  # the walk goes on at the failed page
    assert manifest["requests"]["requests"] == len(dense.log)  # the failed tries counted
    dense.log.clear()
    assert_same(tables(forum), tables_after(dense, tmp_path / "t" / "forum", "topics"))


def test_a_server_ignoring_before_fails_naming_the_url(dense, tmp_path):
    forum = tmp_path / "i" / "forum"
    crawl_listing(forum, dense.url, client=client())
    newest = dense.site.feed(None)
    low = min(p["id"] for p in newest["latest_posts"])
    dense.fail(f"/posts.json?before={low - 1}", Response(_dumps(newest), 200))
    with pytest.raises(FetchError, match=rf"before={low - 1}: expected posts with ids"):
        crawl_topics(forum, client=client(), plan="feed")


def _dumps(doc) -> str:
    import json

    return json.dumps(doc)


def test_an_unknown_plan_is_refused(dense, tmp_path):
    forum = tmp_path / "u" / "forum"
    crawl_listing(forum, dense.url, client=client())
    with pytest.raises(InputError, match="forum.plan: expected one of auto, topics, feed"):
        crawl_topics(forum, client=client(), plan="fastest")


def test_a_later_snapshot_walks_the_feed_down_to_the_previous_newest_post(dense, tmp_path):
    site = dense.site
    old = tmp_path / "old" / "forum"
    first = crawl(dense, old, plan="feed")
    assert (
        first["newest_post_id"]
        == 863
        == max(p["id"] for t in site.entries for p in site.all_posts(t))
    )
    # what happens on the forum between the two crawls
    bumped, moved = 547482, 547599
    site.add_posts(bumped, 25, now_utc() - timedelta(hours=2))
    site.new_topic(like=547921, tid=600001, when=now_utc() - timedelta(hours=1))
    site.move(moved, 2 if site.entries[moved]["category_id"] != 2 else 3)
    newest = max(p["id"] for t in site.entries for p in site.all_posts(t))
    assert newest - 863 == 25 + len(site.all_posts(600001))

    dense.log.clear()
    new = tmp_path / "new" / "forum"
    crawl_listing(new, dense.url, client=client())
    listing = len(dense.log)
    manifest = crawl_topics(new, previous_dir=old, plan="auto", client=client())
    assert manifest["plan"]["plan"] == "feed"
    assert manifest["topics"] == {"fetched": 3, "kept": 0, "reused": 192, "unavailable": 0}
    assert manifest["newest_post_id"] == newest
    walked = [k for k, _ in dense.log[listing:]]
    # the newest page, the page down to the old newest post, one page below it (older than
    # the re-check window: the walk ends); no topic fetched on its own
    assert all(k.startswith("/posts.json") for k in walked)
    assert len(walked) <= 1 + math.ceil((newest - 863) / FEED_WINDOW) + 1
    rec = raw.read_record(raw.topic_path(new, moved))
    assert (
        rec["source"] == "feed"
        and rec["listed"]["category_id"] == site.entries[moved]["category_id"]
    )
    # the same tables as a full crawl of the forum as it is now
    assert_same(tables(new), tables_after(dense, tmp_path / "full" / "forum", "topics"))
