"""The feed walk's damaged and missing pages (issue 20, item 6): a stored feed page deleted or
truncated, midway or after a complete crawl, is moved aside and fetched again by a rerun of the
rule that walks the feed (fetch_forum_topics); the parse checks the pages the manifest counts."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pytest
from crawl_support import assert_same, stopped_walk
from crawl_support import crawl_forum as crawl
from crawl_support import forum_client as client
from forum_stub import FEED_WINDOW, StubServer
from hfreuse.errors import InputError
from hfreuse.forum import raw as raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.parse import parse_forum
from hfreuse.forum.topics import crawl_topics

RULE = "--forcerun fetch_forum_topics"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, "a-test-key-of-some-length")


def tables(forum_dir: Path) -> list[pa.Table]:
    return list(parse_forum(forum_dir))


def truncate(path: Path) -> bytes:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return data


def reference(stub: StubServer, tmp_path: Path) -> tuple[Path, list[pa.Table]]:
    ref = tmp_path / "ref" / "forum"
    crawl(stub, ref, plan="feed")
    return ref, tables(ref)


def page_before(stub: StubServer, number: int) -> str:
    newest = max(p["id"] for t in stub.site.entries for p in stub.site.all_posts(t))
    return f"/posts.json?before={newest - FEED_WINDOW * number}"


def same_pages(forum: Path, ref: Path) -> None:
    pages = sorted((forum / "feed").glob("page-*.json.gz"))
    ref_pages = sorted((ref / "feed").glob("page-*.json.gz"))
    assert [p.name for p in pages] == [p.name for p in ref_pages]
    for a, b in zip(pages, ref_pages, strict=True):
        assert gzip.decompress(a.read_bytes()) == gzip.decompress(b.read_bytes()), a


def test_a_feed_page_deleted_after_the_walk_stopped_midway_is_fetched_again(dense, tmp_path):
    ref, want = reference(dense, tmp_path)
    ref_requests = len(dense.log)
    forum = tmp_path / "k" / "forum"
    stopped_walk(dense, forum)
    raw.feed_page_path(forum, 2).unlink()
    served = len(dense.log)
    manifest = crawl_topics(forum, client=client(), plan="feed")
    again = [k for k, _ in dense.log[served:]]
    assert again[0] == page_before(dense, 2)  # the deleted page, then the walk goes on
    assert len(again) == 1 + dense.site.feed_pages() - 5
    assert manifest["requests"]["requests"] == len(dense.log) - ref_requests
    same_pages(forum, ref)
    assert_same(tables(forum), want)


def test_a_feed_page_write_cut_by_a_kill_leaves_no_temp_file(dense, tmp_path):
    """A kill between the temp file and its rename (found by the SIGKILL bench) leaves
    ``feed/.page-NNNNNN.json.gz.PID.tmp``: the rerun deletes it, the snapshot is the clean one."""
    ref, want = reference(dense, tmp_path)
    forum = tmp_path / "k" / "forum"
    stopped_walk(dense, forum)
    page = raw.feed_page_path(forum, 5)
    stale = page.with_name(f".{page.name}.4242.tmp")
    stale.write_bytes(b"\x1f\x8b half a page")
    crawl_topics(forum, client=client(), plan="feed")
    assert not stale.exists()
    same_pages(forum, ref)
    assert sorted(p.name for p in page.parent.iterdir()) == sorted(
        p.name for p in raw.feed_page_path(ref, 0).parent.iterdir()
    )
    assert_same(tables(forum), want)


def test_a_feed_page_truncated_after_the_walk_stopped_midway_is_moved_aside(dense, tmp_path):
    ref, want = reference(dense, tmp_path)
    forum = tmp_path / "k" / "forum"
    stopped_walk(dense, forum)
    page = raw.feed_page_path(forum, 3)
    truncate(page)
    served = len(dense.log)
    crawl_topics(forum, client=client(), plan="feed")
    again = [k for k, _ in dense.log[served:]]
    assert again[0] == page_before(dense, 3)
    assert (page.parent / (page.name + ".corrupt")).exists()
    same_pages(forum, ref)
    assert_same(tables(forum), want)


def test_a_truncated_feed_page_names_the_rule_that_walks_the_feed(dense, tmp_path):
    forum = tmp_path / "t" / "forum"
    crawl(dense, forum, plan="feed")
    page = raw.feed_page_path(forum, 1)
    truncate(page)
    with pytest.raises(InputError) as err:
        raw.read_feed_page(page)
    assert str(page) in str(err.value) and RULE in str(err.value)
    assert "fetch_forum_listing" not in str(err.value)


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_a_feed_page_damaged_after_a_complete_crawl_is_recovered_by_its_rule(
    dense, tmp_path, damage
):
    ref, want = reference(dense, tmp_path)
    forum = tmp_path / "c" / "forum"
    crawl(dense, forum, plan="feed")
    page = raw.feed_page_path(forum, 4)
    if damage == "delete":
        page.unlink()
        with pytest.raises(InputError) as err:
            tables(forum)
        message = str(err.value)
        assert str(page) in message and RULE in message and len(message.splitlines()) == 1
    else:
        truncate(page)
    (forum / "manifest.json").unlink()  # as Snakemake does before `--forcerun`
    served = len(dense.log)
    crawl_topics(forum, client=client(), plan="feed")
    assert [k for k, _ in dense.log[served:]] == [page_before(dense, 4)]
    assert (page.parent / (page.name + ".corrupt")).exists() == (damage == "truncate")
    same_pages(forum, ref)
    assert_same(tables(forum), want)


def test_the_parse_checks_the_feed_pages_its_manifest_counts(dense, tmp_path):
    forum = tmp_path / "m" / "forum"
    manifest = crawl(dense, forum, plan="feed")
    assert raw.check_feed_pages(forum) == manifest["plan"]["feed_pages"] == 18
    last = raw.feed_page_path(forum, 17)
    last.unlink()
    with pytest.raises(InputError, match=f"{last}: feed page 17 of the 18"):
        tables(forum)


def test_a_topic_record_deleted_after_a_complete_feed_crawl_names_its_rule(dense, tmp_path):
    ref, want = reference(dense, tmp_path)
    forum = tmp_path / "r" / "forum"
    crawl(dense, forum, plan="feed")
    tid = raw.read_listing(forum)["topic_ids"][3]
    raw.topic_path(forum, tid).unlink()
    with pytest.raises(InputError) as err:
        tables(forum)
    assert str(raw.topic_path(forum, tid)) in str(err.value) and RULE in str(err.value)
    (forum / "manifest.json").unlink()
    crawl_topics(forum, client=client(), plan="feed")
    assert_same(tables(forum), want)


@pytest.mark.parametrize("kind", ["page", "catchup"])
def test_a_listing_page_deleted_after_a_complete_crawl_names_its_rule(dense, tmp_path, kind):
    """The parse reads the listing pages' usernames (to scrub them): a page listing.json counts
    but missing is an error naming it and fetch_forum_listing, whose rerun recovers it."""
    ref, want = reference(dense, tmp_path)
    forum = tmp_path / "l" / "forum"
    crawl(dense, forum, plan="feed")
    page = raw.page_path(forum, 1 if kind == "page" else 0, kind)
    data = page.read_bytes()
    page.unlink()
    with pytest.raises(InputError) as err:
        tables(forum)
    message = str(err.value)
    assert str(page) in message and "--forcerun fetch_forum_listing" in message
    for marker in ("listing.json", "manifest.json"):  # the rule and the one after it rerun
        (forum / marker).unlink()
    crawl_listing(forum, dense.url, client=client())
    crawl_topics(forum, client=client(), plan="feed")
    assert page.read_bytes() == data
    assert_same(tables(forum), want)
