"""The fault matrix (issues 11 and 20): every fault x crawler through a fault-injecting proxy in
front of the real-data stubs ends identical to a clean crawl or with a clear error naming the URL:
never silent, never hung, no credential sent to another host. See tests/support/fault_cases.py for
the faults and how a cell is judged; ``python3 bench/fault_matrix.py`` prints the whole matrix."""

from __future__ import annotations

import json
import time
import urllib.request

import fault_cases
import pytest
from fault_cases import (
    BY_CASE,
    CARD_HISTORY,
    CLEAR,
    CONSISTENT_PROBE_LIE,
    CRAWLERS,
    FORUM_CREDENTIALS,
    HISTORIES,
    HUB_CARDS,
    HUB_HISTORY,
    HUB_LISTING,
    IDENTICAL,
    SILENT,
    Case,
    Matrix,
    cells,
    make_client,
)
from fault_proxy import Answer, FaultProxy, Redirect, Rule, Status, Transform


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    m = Matrix(tmp_path_factory.mktemp("fault-matrix"))
    yield m
    m.close()


@pytest.mark.parametrize(("fault", "crawler"), cells(), ids=[f"{f} x {c}" for f, c in cells()])
def test_cell(matrix, fault, crawler):
    case = BY_CASE[fault]
    outcome = matrix.run_cell(case, crawler)
    detail = matrix.short(outcome.detail, 400)
    assert outcome.injected >= 1
    assert outcome.verdict in (IDENTICAL, CLEAR), f"{outcome.verdict}: {detail}"
    if crawler in case.recovers:  # a retry gets the real answer
        assert outcome.verdict == IDENTICAL, f"expected a recovery, got {outcome.verdict}: {detail}"
    if "another host" in fault:
        assert outcome.other_host > 0  # the crawl did follow the redirect there


def test_a_loss_no_signal_reveals_is_judged_silent(matrix):
    """The judge is not blind: page 3 of the Hub listing answered with no models and no next
    link looks like the end (a consistent lie); the crawl ends with models missing: SILENT."""
    lie = Case(
        "listing cut short",
        lambda crawler: Transform("end", lambda a, r: Answer(a.status, [], b"[]")),
        1,
    )
    outcome = matrix.run_cell(lie, HUB_LISTING.name)
    assert outcome.verdict == SILENT
    assert "page files" in outcome.detail and "models table" in outcome.detail


def test_a_consistent_lie_of_every_readme_probe_is_judged_silent(matrix):
    """Known limit, judged as such: every README probe at a commit without a README answered 200
    with a README that names that commit and hashes to its ETag (a server lying consistently)
    leaves no contradiction for the probe sequence to catch: the card history ends SILENT. A
    single such answer is caught ("README probe 200 where none existed (1)": IDENTICAL)."""
    lie = CONSISTENT_PROBE_LIE
    outcome = matrix.run_cell(lie, CARD_HISTORY.name)
    assert outcome.injected > 1 and outcome.verdict == SILENT, outcome
    assert "card_history table" in outcome.detail


def test_an_unchanged_answer_is_judged_identical(matrix):
    """A rule that forwards the answer unchanged: the crawl is identical to the clean one."""
    noop = Case("no change", lambda crawler: Transform("same", lambda a, r: a), None)
    for crawler in (HUB_LISTING.name, HUB_CARDS.name):
        outcome = matrix.run_cell(noop, crawler)
        assert (outcome.verdict, outcome.injected > 5) == (IDENTICAL, True)


def test_the_proxy_forwards_bytes_and_rewrites_links(matrix):
    proxy = matrix.proxies["hub"]
    proxy.reset()
    url = f"{proxy.base}/api/models?sort=createdAt&direction=1&limit=3"
    with urllib.request.urlopen(url) as resp:
        body, link = resp.read(), resp.headers["Link"]
    upstream = f"{matrix.hub.base_url}/api/models?sort=createdAt&direction=1&limit=3"
    with urllib.request.urlopen(upstream) as resp:
        assert resp.read() == body
    assert link.startswith(f"<{proxy.base}/api/models?") and matrix.hub.base_url not in link
    assert [m["id"] for m in json.loads(body)] == [m["id"] for m in matrix.hub.models[:3]]


def test_a_redirect_to_another_host_carries_no_credentials(matrix):
    """The proxy's log shows what each host received: the key went to the origin only."""
    proxy = matrix.proxies["forum"]
    proxy.reset()
    proxy.add(Rule(r"^/categories\.json", Redirect(cross=True), count=None))
    client = make_client(FORUM_CREDENTIALS)
    doc = client.get_json(f"{proxy.base}/categories.json")
    assert doc == matrix.forum.site.categories
    main, other = proxy.seen("main"), proxy.seen("other")
    assert len(main) == len(other) == 1
    assert main[0].headers["Api-Key"] == FORUM_CREDENTIALS["Api-Key"]
    assert not {k.lower() for k in other[0].headers} & {"api-key", "api-username"}
    proxy.reset()


def test_the_proxy_counts_nth_and_count():
    """A rule fires from the nth matching request, ``count`` times (None: from then on)."""
    rule = Rule(r"^/a", Status(500), nth=2, count=2)
    assert [rule.take(t) for t in ("/b", "/a", "/a", "/a1", "/a", "/a")] == [
        None,
        False,
        True,
        True,
        False,
        False,
    ]
    always = Rule(r"^/a", Status(500), nth=1, count=None)
    assert all(always.take("/a") for _ in range(5))


def test_a_closed_proxy_refuses_then_opens_again(matrix):
    proxy: FaultProxy = matrix.proxies["hub"]
    proxy.reset()
    proxy.close_listeners(None)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{proxy.base}/api/models?sort=createdAt&direction=1&limit=1")
    proxy.reset()
    with urllib.request.urlopen(f"{proxy.base}/api/models?sort=createdAt&direction=1&limit=1"):
        pass


def test_the_matrix_has_the_seven_crawls_as_columns():
    """Every crawl of the study is a column of the matrix (issue 20): the Hub listing, its
    READMEs, both histories, the forum listing, its topics and its feed walk."""
    assert len(CRAWLERS) == 7
    assert {*HISTORIES, HUB_CARDS.name} <= {c.name for c in CRAWLERS}


def test_a_crawl_looping_on_its_own_is_judged_hung_and_stopped(matrix, monkeypatch):
    """A history whose next link points to the page itself: a pager that does not refuse it
    loops; the cell ends at its wall-clock limit either way (HANG, or a clear error), and no
    crawl goes on asking the proxy after its cell."""
    monkeypatch.setattr(fault_cases, "HISTORY_WALL_SECONDS", 3.0)
    loop = Case(
        "loop",
        lambda crawler: Transform(
            "self",
            lambda a, r: a.with_header(
                "Link", f'<{matrix.proxies["hub"].base}{r.target}>; rel="next"'
            ),
        ),
        None,
        target={HUB_HISTORY.name: (r"/commits/", 1)},
    )
    outcome = matrix.run_cell(loop, HUB_HISTORY.name)
    assert outcome.verdict in ("HANG", CLEAR), outcome
    proxy = matrix.proxies["hub"]
    proxy.reset()
    time.sleep(0.3)
    assert proxy.seen() == []  # the looping crawl was stopped
