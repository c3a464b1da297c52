"""The crawl quarantine (hfreuse.crawl.quarantine) on its own: which errors go there, the file, the
share check. The crawls that use it are tested against the stubs (test_hub_crawl.py,
test_forum_crawl.py)."""

from __future__ import annotations

import errno

import pytest
from hfreuse.clients import ConnectionFailed, FetchError
from hfreuse.crawl.quarantine import (
    REASON_CHARS,
    CrawlStopped,
    Quarantine,
    check_max_failed_share,
    quarantinable,
    quarantine_table,
    reason_of,
)
from hfreuse.errors import InputError
from hfreuse.io import read_json


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (FetchError("GET u: HTTP 503 after 7 tries", status=503, tries=7), True),
        (FetchError("GET u: gave up after 7 tries: ReadTimeout", transient=True), True),
        (FetchError("GET u: HTTP 200 but an HTML page (after 7 tries)", status=200), True),
        (FetchError("GET u: HTTP 403 without the Hub's X-Error-Code", status=403), True),
        (FetchError("GET u: unexpected HTTP 400 (expected 200): 'bad'", status=400), True),
        (FetchError("GET u: still rate limited (429) after 11 tries", status=429), False),
        (FetchError("GET u: unexpected HTTP 401 (expected 200): ''", status=401), False),
        (FetchError("GET u: unexpected HTTP 407 (expected 200): ''", status=407), False),
        (CrawlStopped("GET u: HTTP 401 Unauthorized: the token was refused", status=401), False),
        (ConnectionFailed("GET u: connection refused (3 tries)"), False),
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (InputError("state.json: records 3 pages but page 2 is missing"), False),
    ],
)
def test_what_is_quarantined(exc, expected):
    assert quarantinable(exc) is expected


def test_reason_leaves_out_the_quoted_body_and_is_bounded():
    exc = FetchError(
        "GET http://h/t/1.json: unexpected HTTP 418 (expected 200, 404): '<b>@bob</b>'"
    )
    assert reason_of(exc) == "GET http://h/t/1.json: unexpected HTTP 418 (expected 200, 404)"
    long = reason_of(FetchError("GET u: " + "x" * 2000))
    assert len(long) == REASON_CHARS and long.endswith("...")


def test_the_file_accumulates_attempts_and_disappears_when_empty(tmp_path):
    path = tmp_path / "quarantine.json"
    q = Quarantine(path)
    q.add(
        "a/b",
        "http://h/a/b/resolve/main/README.md",
        FetchError("GET: HTTP 502", status=502, tries=3),
    )
    q.add(
        "a/b",
        "http://h/a/b/resolve/main/README.md",
        FetchError("GET: HTTP 503", status=503, tries=2),
    )
    rec = read_json(path)["items"][0]
    assert rec["attempts"] == 5 and rec["status"] == 503 and rec["reason"] == "GET: HTTP 503"
    assert rec["first_failed"] <= rec["last_failed"]
    again = Quarantine(path)  # as a rerun reads it
    assert again.ids() == ["a/b"] and "a/b" in again and len(again) == 1
    assert again.discard(["a/b", "c/d"]) == 1
    again.save()
    assert not path.exists()
    assert quarantine_table([path]).num_rows == 0


def test_a_file_that_is_not_a_quarantine_is_refused_naming_it(tmp_path):
    path = tmp_path / "quarantine.json"
    path.write_text('{"version": 1, "items": [{"url": "u"}]}')
    with pytest.raises(InputError, match=rf"^{path}: expected a quarantine file"):
        Quarantine(path)


def test_the_share_check(tmp_path, caplog):
    q = Quarantine(tmp_path / "quarantine.json")
    q.check_share(10, 0.0, "card shard 1 of 1: READMEs")  # nothing quarantined: fine
    for item in ("x", "y"):
        q.add(item, f"http://h/{item}", FetchError("GET: HTTP 500", status=500))
    with caplog.at_level("WARNING", logger="hfreuse.crawl.quarantine"):
        q.check_share(10, 0.2, "card shard 1 of 1: READMEs")  # 2 of 10 is not above 0.2
    assert "card shard 1 of 1: 2 of 10 READMEs (20.00%) still fail after retries" in caplog.text
    with pytest.raises(InputError) as err:
        q.check_share(10, 0.19, "card shard 1 of 1: READMEs")
    assert str(err.value).startswith(
        "card shard 1 of 1: 2 of 10 READMEs (20.00%) still fail after retries, above "
        f"crawl.max_failed_share 0.19 (19.00%); each is listed with its reason in "
        f"{tmp_path / 'quarantine.json'} (x, y)"
    )


@pytest.mark.parametrize("bad", [-0.1, 1.01, "half", None])
def test_max_failed_share_must_be_a_share(bad):
    with pytest.raises(InputError, match="crawl.max_failed_share: expected a share from 0 to 1"):
        check_max_failed_share(bad)
    assert check_max_failed_share(0) == 0.0 and check_max_failed_share("0.5") == 0.5


def test_items_without_any_answer_stop_the_crawl_after_a_short_streak(tmp_path):
    """A server that hangs on every request: three items in a row that got no answer stop the
    crawl (each costs all retries times the timeout); a fetched item or an answered failure
    breaks the streak; the file keeps every failed item."""
    from hfreuse.crawl.quarantine import NO_ANSWER_STREAK_LIMIT

    q = Quarantine(tmp_path / "quarantine.json")
    hang = FetchError("GET u: gave up after 4 tries: Read timed out", transient=True, tries=4)
    answered = FetchError("GET u: HTTP 503 after 4 tries", status=503, tries=4)
    q.add("a", "u/a", hang)
    q.add("b", "u/b", answered)  # an answer: the no-answer streak starts again
    q.add("c", "u/c", hang)
    q.succeeded()  # a fetched item in between
    for n in range(NO_ANSWER_STREAK_LIMIT - 1):
        q.add(f"d{n}", f"u/d{n}", hang)
    with pytest.raises(CrawlStopped, match=r"3 items in a row got no answer.*quarantine\.json"):
        q.add("e", "u/e", hang)
    saved = {r["item"] for r in read_json(tmp_path / "quarantine.json")["items"]}
    assert saved == {"a", "b", "c", "d0", "d1", "e"}


def test_answered_failures_stop_the_crawl_only_after_the_long_streak(tmp_path):
    from hfreuse.crawl.quarantine import STREAK_LIMIT

    q = Quarantine(tmp_path / "quarantine.json")
    answered = FetchError("GET u: HTTP 503 after 4 tries", status=503, tries=4)
    for n in range(STREAK_LIMIT - 1):
        q.add(f"i{n}", f"u/{n}", answered)
    with pytest.raises(CrawlStopped, match=rf"{STREAK_LIMIT} items in a row still failed"):
        q.add("last", "u/last", answered)
