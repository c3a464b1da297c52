"""Categories /latest hides (muted by default) listed through their own category listings."""

from __future__ import annotations

from pathlib import Path

import pytest
from crawl_support import assert_same
from crawl_support import forum_client as client
from forum_stub import PER_PAGE, DiscourseSite, StubServer, bad_gateway
from hfreuse.clients import FetchError
from hfreuse.forum import raw as raw
from hfreuse.forum.listing import crawl_listing
from hfreuse.forum.parse import parse_forum
from hfreuse.forum.topics import crawl_topics
from hfreuse.io import read_json

HIDDEN = 3  # a category of the fixture categories.json, muted by default on the stub


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, "a-test-key-of-some-length")


def crawl(stub: StubServer, forum: Path) -> dict:
    listing = crawl_listing(forum, stub.url, client=client())
    crawl_topics(forum, client=client())
    return listing


def test_topics_of_a_muted_category_are_listed_through_its_own_listing(httpserver, tmp_path):
    site = DiscourseSite(muted=(HIDDEN,))
    stub = StubServer(httpserver, site)
    hidden = {t for t, e in site.entries.items() if e.get("category_id") == HIDDEN}
    latest = [t["id"] for n in range(8) for t in site.latest(n)["topic_list"]["topics"]]
    assert hidden and not hidden & set(latest)  # /latest does not show them
    forum = tmp_path / "m" / "forum"
    listing = crawl(stub, forum)
    assert listing["topics_selected"] == len(site.entries) == 194
    pages = -(-len(hidden) // PER_PAGE)
    cat_path = f"/c/test{HIDDEN}/{HIDDEN}.json"
    counts = stub.counts()
    # the category's pages to its empty page, then its first page again (catch-up)
    assert [counts[f"{cat_path}?page={n}"] for n in range(pages + 1)] == [2] + [1] * pages
    assert raw.category_page_path(forum, HIDDEN, pages).exists()
    assert sum(1 for k in counts if k.startswith("/c/")) == pages + 1
    # the same tables as the forum with nothing muted
    stub.site = DiscourseSite()
    assert_same(list(parse_forum(forum)), list(parse_forum(crawl_all(stub, tmp_path))))


def crawl_all(stub: StubServer, tmp_path: Path) -> Path:
    forum = tmp_path / "all" / "forum"
    crawl(stub, forum)
    return forum


def test_a_killed_category_listing_resumes_at_its_next_page(httpserver, tmp_path):
    site = DiscourseSite(muted=(HIDDEN,))
    stub = StubServer(httpserver, site)
    cat_path = f"/c/test{HIDDEN}/{HIDDEN}.json"
    stub.fail(f"{cat_path}?page=1", *(bad_gateway() for _ in range(2)))
    forum = tmp_path / "k" / "forum"
    with pytest.raises(FetchError, match=r"GET http://\S+/c/test3/3\.json\?page=1"):
        crawl_listing(forum, stub.url, client=client(max_retries=1))
    state = read_json(forum / ".listing-state.json")
    assert state["hidden"][str(HIDDEN)]["pages"] == 1
    listing = crawl_listing(forum, stub.url, client=client())
    assert listing["topics_selected"] == 194
    assert stub.counts()[f"{cat_path}?page=0"] == 2  # the main pass once, the catch-up once


def test_a_subcategory_rolls_up_into_its_parent_in_the_statistics(httpserver, tmp_path):
    from hfreuse.forum.stats import topics_per_category_monthly

    site = DiscourseSite(muted=(HIDDEN,))
    cats = site.categories["category_list"]["categories"]
    sub = next(c for c in cats if c["id"] == HIDDEN)
    sub["parent_category_id"] = 1  # a muted subcategory of test1
    stub = StubServer(httpserver, site)
    forum = tmp_path / "s" / "forum"
    crawl(stub, forum)
    cat_table, topics, _ = (t.to_pandas() for t in parse_forum(forum))
    in_sub = topics[topics["category_id"] == HIDDEN]
    in_parent = topics[topics["category_id"] == 1]
    assert len(in_sub) > 0 and len(in_parent) > 0
    # the subcategory stays its own column; its parent is the roll-up
    assert set(in_sub["category"]) == {"test3"} and set(in_sub["parent_category"]) == {"test1"}
    assert set(in_parent["parent_category"]) == {"test1"}
    own, top = topics["category"].fillna("?"), topics["parent_category"].fillna("?")
    assert (own == top).sum() == len(topics) - len(in_sub)  # unknown categories: null in both
    monthly = topics_per_category_monthly(topics)
    per_cat = monthly.groupby("category")["topics"].sum()
    assert "test3" not in per_cat.index
    assert per_cat["test1"] == len(in_sub) + len(in_parent)
    counts = cat_table.set_index("category_id")["topics_in_snapshot"]
    assert counts[HIDDEN] == len(in_sub) and counts[1] == len(in_parent)
