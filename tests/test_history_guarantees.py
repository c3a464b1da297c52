"""The first-commit history crawl under the README crawl's guarantees (issue 20), against the stub
Hub (real recorded models, histories of the floored ones): ISO 8601 dates of every form, the
pager's checks (cycles, histories cut short, dates that do not descend, impossible first
commits), a one-off 404 after an earlier page, a persistent bare 403 quarantined, damaged or
missing parts moved aside and fetched again by their own rule, and the request journal."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from crawl_support import client, run_until
from hfreuse.crawl.journal import Journal
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.first_commits import crawl_first_commits, floored_revisions, iter_histories
from hfreuse.io import parse_time, read_json
from hub_stub import make_histories

JSON = {"Content-Type": "application/json; charset=utf-8"}


def marker(hub_dir: Path, n: int = 1, k: int = 0) -> Path:
    return hub_dir / "history" / f"shard-{k + 1}-of-{n}.json"


def crawl(hub, hub_dir: Path, **kw) -> dict:
    return crawl_first_commits(hub_dir, marker(hub_dir), 0, 1, hub.base_url, client=client(), **kw)


def records(hub_dir: Path) -> dict[str, dict]:
    return {r["model_id"]: r for r in iter_histories([marker(hub_dir)])}


def expected_commits(hub, model_id: str) -> list[dict]:
    return [{"id": c["id"], "date": c["date"]} for c in hub.histories[model_id]]


def by_length(hub, listed: Path, n: int) -> str:
    """A floored model whose history has ``n`` commits."""
    return next(m for m in sorted(floored_revisions(listed)) if len(hub.histories[m]) == n)


def page_url(hub, listed: Path, model_id: str, p: int | None = None) -> str:
    url = f"{hub.base_url}/api/models/{model_id}/commits/{floored_revisions(listed)[model_id]}"
    return url + "?limit=1000" + (f"&p={p}" if p is not None else "")


def quarantined(hub_dir: Path) -> dict[str, str]:
    doc = read_json(hub_raw.shard_dir(marker(hub_dir)) / "quarantine.json")
    return {r["item"]: r["reason"] for r in doc["items"]}


# --- dates --------------------------------------------------------------------------------------


def test_parse_time_accepts_every_iso_form_and_names_the_field_otherwise():
    want = datetime(2021, 5, 1, 8, 0, tzinfo=UTC)
    for text in (
        "2021-05-01T08:00:00Z",
        "2021-05-01T08:00:00.000Z",
        "2021-05-01T08:00:00.000000000Z",
        "2021-05-01T10:00:00+02:00",
        "2021-05-01 10:00:00+02:00",
        "2021-05-01 08:00:00",
    ):
        assert parse_time(text, "x") == want, text
    assert parse_time("2021-05-01T08:00:00.123456789Z", "x").microsecond == 123456
    with pytest.raises(InputError, match="GET http://h/x: commit 3 date: expected an ISO 8601"):
        parse_time("yesterday", "GET http://h/x: commit 3 date")


def test_offset_and_space_dates_give_the_records_of_z_dates(hub, listed):
    offsets, spaces = by_length(hub, listed, 150), by_length(hub, listed, 7)
    expected = {m: expected_commits(hub, m) for m in (offsets, spaces)}
    plus_two = timezone(timedelta(hours=2))
    for c in hub.histories[offsets]:  # +02:00 offsets, 9 fractional digits
        when = parse_time(c["date"], "stub").astimezone(plus_two)
        c["date"] = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789+02:00"
    for c in hub.histories[spaces]:  # a space separator, no zone (UTC); fields not stored gone
        c["date"] = c["date"].replace("T", " ").removesuffix("Z")
        del c["authors"], c["message"]
    crawl(hub, listed)
    got = records(listed)
    assert {m: got[m]["commits"] for m in (offsets, spaces)} == expected


def test_an_undated_commit_is_quarantined_naming_the_url(hub, listed):
    model = by_length(hub, listed, 7)
    hub.histories[model][3]["date"] = "last Tuesday"
    with pytest.raises(InputError, match="quarantine.json"):
        crawl(hub, listed)
    reason = quarantined(listed)[model]
    assert page_url(hub, listed, model) in reason and "'last Tuesday'" in reason
    assert not marker(listed).exists()


# --- the pager ----------------------------------------------------------------------------------


def cycle_answers(hub, listed, model: str, times: int) -> None:
    """Page 2 of ``model`` answered ``times`` with its commits and a next link back to page 1."""
    body = json.dumps(hub.histories[model][50:100]).encode()
    link = {"Link": f'<{page_url(hub, listed, model)}>; rel="next"', **JSON}
    for _ in range(times):
        hub.fail_once("commits", (model, 1), 200, link, body)


def test_a_next_link_back_to_a_served_page_once_is_retried(hub, listed):
    model = by_length(hub, listed, 150)
    reference = {m: expected_commits(hub, m) for m in floored_revisions(listed)}
    cycle_answers(hub, listed, model, 1)
    crawl(hub, listed)
    assert {m: r["commits"] for m, r in records(listed).items()} == reference


def test_a_next_link_back_to_a_served_page_is_refused_and_never_loops(hub, listed):
    model = by_length(hub, listed, 150)
    cycle_answers(hub, listed, model, 1000)
    with pytest.raises(InputError, match="quarantine.json"):
        crawl(hub, listed)
    reason = quarantined(listed)[model]
    assert "already served" in reason and page_url(hub, listed, model) in reason
    assert sum(1 for h in hub.hits if h.key[0] == model) == 1 + 4  # page 1, page 2 four times


def test_a_self_link_is_refused(hub, listed):
    model = by_length(hub, listed, 3)
    link = {"Link": f'<{page_url(hub, listed, model)}>; rel="next"', **JSON}
    for _ in range(10):
        hub.fail_once("commits", (model, 0), 200, link, json.dumps(hub.histories[model]).encode())
    crawl(hub, listed, max_failed_share=1.0)
    assert "already served" in quarantined(listed)[model]
    assert read_json(marker(listed))["quarantined"] == [model]
    assert model not in records(listed)


@pytest.fixture
def uncounted(hub, listed):
    """The stub without X-Total-Count, histories of no multiple of its page (50), the crawl
    asking for pages of 50."""
    hub.total_count = False
    hub.histories = make_histories(hub.models, lengths=(1, 2, 3, 7, 49, 51, 120))
    return hub


def test_a_full_page_without_its_next_link_is_refused_without_x_total_count(uncounted, listed):
    hub = uncounted
    model = by_length(hub, listed, 120)
    reference = {m: expected_commits(hub, m) for m in floored_revisions(listed)}
    body = json.dumps(hub.histories[model][:50]).encode()
    hub.fail_once("commits", (model, 0), 200, JSON, body)  # once: retried, identical
    crawl(hub, listed, page_size=50)
    assert {m: r["commits"] for m, r in records(listed).items()} == reference
    # the pages, the page after the full one (its commits: it lost its link), the retry
    assert hub.count("commits") == sum(-(-len(h) // 50) for h in reference.values()) + 2


def test_a_history_cut_short_is_quarantined(uncounted, listed):
    hub = uncounted
    full, empty = by_length(hub, listed, 120), by_length(hub, listed, 51)
    for _ in range(10):
        hub.fail_once("commits", (full, 1), 200, JSON, json.dumps(hub.histories[full][50:100]))
        hub.fail_once("commits", (empty, 1), 200, JSON, b"[]")
    crawl(hub, listed, page_size=50, max_failed_share=1.0)
    reasons = quarantined(listed)
    assert set(reasons) == {full, empty}
    assert "a full page (50 commits) without a next link" in reasons[full]
    assert "an empty page after 50 commits" in reasons[empty]


def test_histories_oldest_first_or_dated_impossibly_are_refused(hub, listed):
    ids = sorted((m for m in floored_revisions(listed) if len(hub.histories[m]) > 1), key=len)
    oldest_first, old, future, late = ids[:4]
    hub.histories[oldest_first].reverse()
    hub.histories[old][-1]["date"] = "1970-01-01T00:00:00.000Z"
    hub.histories[future] = [
        {**c, "date": "2099-01-01T00:00:00.000Z"} for c in hub.histories[future]
    ]
    hub.histories[late][-1]["date"] = hub.histories[late][-2]["date"]  # equal dates: fine
    crawl(hub, listed, max_failed_share=1.0)
    reasons = quarantined(listed)
    assert set(reasons) == {oldest_first, old, future}
    assert "not newest first" in reasons[oldest_first]
    assert "1970-01-01T00:00:00.000Z, before the Hub's first day" in reasons[old]
    assert "2099-01-01T00:00:00.000Z, after the listing" in reasons[future]
    assert records(listed)[late]["commits"][-1]["date"] == hub.histories[late][-1]["date"]


def test_a_one_off_404_on_page_2_is_retried_and_the_result_identical(hub, listed):
    reference = {m: expected_commits(hub, m) for m in floored_revisions(listed)}
    long = [m for m in sorted(reference) if len(reference[m]) > 50]
    hub.fail_once("commits", (long[0], 1), 404, {"X-Error-Code": "RepoNotFound", **JSON}, b"{}")
    hub.fail_once("commits", (long[1], 1), 404, {"Content-Type": "text/html"}, b"<html>404</html>")
    short = by_length(hub, listed, 3)  # an HTML 404, not the API's: retried on page 1 too
    hub.fail_once("commits", (short, 0), 404, {"Content-Type": "text/html"}, b"<html>404</html>")
    crawl(hub, listed)
    got = records(listed)
    assert {m: r["commits"] for m, r in got.items()} == reference
    assert {got[m]["status"] for m in got} == {200} and hub.count("commits", 404) == 3


def test_a_404_that_persists_after_page_1_is_believed(hub, listed):
    model = by_length(hub, listed, 150)
    for _ in range(4):
        hub.fail_once("commits", (model, 1), 404, {"X-Error-Code": "RepoNotFound", **JSON}, b"{}")
    crawl(hub, listed)
    assert (records(listed)[model]["status"], records(listed)[model]["error_code"]) == (
        404,
        "RepoNotFound",
    )


def test_a_persistent_bare_403_is_quarantined_not_recorded(hub, listed):
    reference = {m: expected_commits(hub, m) for m in floored_revisions(listed)}
    victims = sorted(reference)[:5]
    for model in victims:
        for _ in range(4):  # the first try and the client's 3 retries
            hub.fail_once("commits", (model, 0), 403, {}, b"Forbidden")
    with pytest.raises(InputError, match=r"5 of \d+ histories .* crawl.max_failed_share 0"):
        crawl(hub, listed)
    assert not marker(listed).exists()
    assert set(quarantined(listed)) == set(victims)
    # the rerun asks the quarantined histories first and ends identical
    hub.hits.clear()
    doc = crawl(hub, listed)
    assert [h.key[0] for h in hub.hits][:5] == victims and "quarantined" not in doc
    assert {m: r["commits"] for m, r in records(listed).items()} == reference


# --- damaged files ------------------------------------------------------------------------------


def parts_bytes(hub_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in hub_raw.list_parts(hub_raw.shard_dir(marker(hub_dir)))}


def test_a_damaged_or_deleted_part_is_named_with_its_rule_then_fetched_again(hub, listed):
    crawl(hub, listed, part_size=5)
    reference = parts_bytes(listed)
    folder = hub_raw.shard_dir(marker(listed))
    assert len(reference) >= 4
    part = hub_raw.part_path(folder, 2)
    part.write_bytes(part.read_bytes()[:40])
    with pytest.raises(InputError, match=r"part-000002.*--forcerun fetch_hub_history") as err:
        list(iter_histories([marker(listed)]))
    assert "fetch_hub_cards" not in str(err.value)
    marker(listed).unlink()  # as Snakemake does before `--forcerun fetch_hub_history`
    hub.hits.clear()
    crawl(hub, listed, part_size=5)
    assert parts_bytes(listed) == reference and (folder / "part-000002.jsonl.gz.corrupt").exists()
    assert len({h.key[0] for h in hub.hits}) == 5  # only the models of the damaged part
    # a part deleted after a complete crawl: the parse refuses, the rule fetches it again
    hub_raw.part_path(folder, 3).unlink()
    with pytest.raises(InputError, match=r"holds \d+ histories in \d+ part files.*fetch_hub_hist"):
        list(iter_histories([marker(listed)]))
    marker(listed).unlink()
    crawl(hub, listed, part_size=5)
    assert parts_bytes(listed) == reference


# --- the journal --------------------------------------------------------------------------------


def test_records_journaled_by_a_killed_run_are_kept_not_fetched_again(hub, listed, tmp_path):
    crawl(hub, listed, part_size=5)
    reference = parts_bytes(listed)
    first_part = hub_raw.read_part(hub_raw.part_path(hub_raw.shard_dir(marker(listed)), 1))
    killed = tmp_path / "killed" / "hub"
    killed.mkdir(parents=True)
    for name in ("manifest.json", "pages"):
        (killed / name).symlink_to(listed / name)
    folder = hub_raw.shard_dir(marker(killed))
    journal = Journal(folder / "journal.jsonl")
    with journal.recording(client(), None):  # what a kill after the 5th record leaves
        for rec in first_part:
            journal.record(rec)
    hub.hits.clear()
    crawl(hub, killed, part_size=5)
    assert parts_bytes(killed) == reference
    assert {h.key[0] for h in hub.hits}.isdisjoint(r["model_id"] for r in first_part)
    assert not Journal(folder / "journal.jsonl").records


KILL = """
import sys
from hfreuse.clients import HttpClient
from hfreuse.hub.first_commits import crawl_first_commits
crawl_first_commits(sys.argv[1], sys.argv[2], 0, 1, sys.argv[3], client=HttpClient(1200.0),
                    part_size=4)
"""


def test_a_sigkill_leaves_counts_of_the_requests_served_and_refetches_one_model(hub, listed):
    path = marker(listed)
    folder = hub_raw.shard_dir(path)
    reference = {m: expected_commits(hub, m) for m in floored_revisions(listed)}
    run_until(
        [sys.executable, "-c", KILL, str(listed), str(path), hub.base_url],
        lambda: len(hub.hits) >= 25,
    )
    before = {h.key[0] for h in hub.hits}
    kept = {r["model_id"] for r in hub_raw.iter_cards(folder)}
    kept |= {r["model_id"] for r in Journal(folder / "journal.jsonl").records}
    served = len(hub.hits)
    doc = crawl(hub, listed, part_size=4)
    asked_again = {h.key[0] for h in hub.hits[served:]} & before
    assert len(asked_again) <= 1 and not asked_again & kept
    assert len(hub.hits) <= doc["stats"]["requests"] <= len(hub.hits) + 1
    assert {m: r["commits"] for m, r in records(listed).items()} == reference
