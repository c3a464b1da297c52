"""The end of a commit history when the server sends no ``X-Total-Count`` (issue 20), against the
stub Hub (at most 50 commits a page, whatever the limit asked): a last page as long as the
server's pages is confirmed by one request for the page after it. An empty page there accepts a
history of exactly 50 or 100 commits (no refusal of a legitimate history); commits there mean
the page lost its next link: fetched again (a one-off ends identical), quarantined when it
persists. The server's page size is learned from the pages with a next link, so a crawl asking
for 1,000 commits a page still sees a 50-commit page as full. The card history checks its pages
the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from crawl_support import client
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.card_history import crawl_card_history, iter_card_history
from hfreuse.hub.first_commits import (
    crawl_first_commits,
    floored_revisions,
    iter_histories,
    page_after,
)
from hfreuse.io import read_json
from hub_stub import make_histories

PAGE = 50  # the stub Hub's commits_limit


def marker(listed: Path, name: str) -> Path:
    return listed / name / "shard-1-of-1.json"


def crawl(hub, listed: Path, name: str, **kw) -> dict:
    kw.setdefault("client", client())
    return crawl_first_commits(listed, marker(listed, name), 0, 1, hub.base_url, **kw)


def records(listed: Path, name: str) -> dict[str, dict]:
    return {r["model_id"]: r for r in iter_histories([marker(listed, name)])}


def pages(n: int) -> int:
    return -(-n // PAGE)


def commits_of(hub, model_id: str) -> int:
    """The commit requests the stub answered for ``model_id``."""
    return sum(1 for h in hub.hits if h.kind == "commits" and h.key[0] == model_id)


@pytest.fixture
def uncounted(hub, listed):
    """The stub without X-Total-Count; floored histories of 3, 50, 100 and 120 commits."""
    hub.histories = make_histories(hub.models, lengths=(3, 50, 100, 120))
    hub.total_count = False
    return hub


def test_page_after_is_the_form_of_the_hubs_next_links():
    base = "http://h/api/models/a/b/commits/main"
    assert page_after(f"{base}?limit=50") == f"{base}?limit=50&p=1"
    assert page_after(f"{base}?limit=50&p=1") == f"{base}?limit=50&p=2"
    assert page_after(base) == f"{base}?p=1"


def test_histories_of_a_multiple_of_the_page_are_accepted_with_one_confirming_request(
    uncounted, listed
):
    hub = uncounted
    lengths = {m: len(hub.histories[m]) for m in floored_revisions(listed)}
    assert {50, 100} <= set(lengths.values())
    hub.total_count = True  # the reference: the server counts the commits
    crawl(hub, listed, "counted", page_size=PAGE)
    assert hub.count("commits") == sum(pages(n) for n in lengths.values())
    hub.hits.clear()
    hub.total_count = False
    crawl(hub, listed, "uncounted", page_size=PAGE)
    exact = [m for m, n in lengths.items() if n % PAGE == 0]
    assert hub.count("commits") == sum(pages(n) for n in lengths.values()) + len(exact)
    for m in exact:  # its pages and one request for the page after the last: an empty list
        assert commits_of(hub, m) == pages(lengths[m]) + 1
    counted, got = records(listed, "counted"), records(listed, "uncounted")
    assert {m: {**r, "total": None} for m, r in counted.items()} == got
    assert all(got[m]["status"] == 200 and len(got[m]["commits"]) == lengths[m] for m in got)
    state = read_json(hub_raw.shard_dir(marker(listed, "uncounted")) / "state.json")
    assert state["stats"]["requests"] == hub.count("commits")  # the confirmations are counted


def test_the_server_page_size_is_learned_when_asking_for_more(uncounted, listed):
    """Asking 1,000 a page: until a page came with a next link, a 50-commit page is not full;
    from then on it is, and its end is confirmed."""
    hub = uncounted
    order = sorted(floored_revisions(listed))
    lengths = [len(hub.histories[m]) for m in order]
    first_long = next(i for i, n in enumerate(lengths) if n > PAGE)
    crawl(hub, listed, "learned")
    after = [n for n in lengths[first_long:] if n % PAGE == 0]  # learned on its first page
    assert lengths[:first_long].count(PAGE) >= 1  # not confirmed: 50 of 1,000 asked
    assert hub.count("commits") == sum(pages(n) for n in lengths) + len(after)
    assert all(r["status"] == 200 for r in records(listed, "learned").values())


def test_a_first_page_without_its_link_once_is_fetched_again_and_ends_identical(uncounted, listed):
    hub = uncounted
    crawl(hub, listed, "clean", page_size=PAGE)
    clean_requests = hub.count("commits")
    hub.hits.clear()
    model = next(m for m in sorted(floored_revisions(listed)) if len(hub.histories[m]) == 120)
    hub.commit_links[(model, 0)] = [None]  # page 1 without its next link, once
    crawl(hub, listed, "dropped", page_size=PAGE)
    assert records(listed, "dropped") == records(listed, "clean")
    # page 1, the page after it (commits: the link was lost), page 1 again, pages 2 and 3
    assert commits_of(hub, model) == pages(120) + 2
    assert hub.count("commits") == clean_requests + 2


def test_a_link_dropped_for_good_is_quarantined_with_a_clear_error(uncounted, listed):
    hub = uncounted
    model = next(m for m in sorted(floored_revisions(listed)) if len(hub.histories[m]) == 100)
    hub.commit_links[(model, 0)] = [None] * 100  # page 1 never has its next link
    with pytest.raises(InputError, match=r"quarantine\.json"):
        crawl(hub, listed, "lost", page_size=PAGE, client=client(max_retries=2))
    assert not marker(listed, "lost").exists()
    doc = read_json(hub_raw.shard_dir(marker(listed, "lost")) / "quarantine.json")
    (item,) = doc["items"]
    assert item["item"] == model
    assert "a full page (50 commits) without a next link" in item["reason"]
    assert "holds 50: it lost its next link" in item["reason"]
    assert commits_of(hub, model) == 3 * 2  # three tries, each page 1 and the page after it


def test_the_card_history_confirms_the_end_the_same_way(hub, listed):
    hub.histories = make_histories(hub.models, lengths=(3, 50, 100, 120), only_floored=False)
    hub.total_count = False

    def card_crawl(name: str) -> dict[str, dict]:
        manifest = listed / name / "manifest.json"
        crawl_card_history(listed, manifest, hub.base_url, 12, 7, client=client(), page_size=PAGE)
        return {r["model_id"]: r for r in iter_card_history(manifest)}

    clean = card_crawl("clean")
    lengths = {m: len(hub.histories[m]) for m in clean}
    assert {50, 100, 120} <= set(lengths.values())
    exact = [m for m, n in lengths.items() if n % PAGE == 0]
    assert hub.count("commits") == sum(pages(n) for n in lengths.values()) + len(exact)
    hub.hits.clear()
    model = next(m for m in sorted(clean) if lengths[m] == 120)
    hub.commit_links[(model, 0)] = [None]
    assert card_crawl("dropped") == clean
    assert commits_of(hub, model) == pages(120) + 2
