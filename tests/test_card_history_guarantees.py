"""The card history (``fetch_hub_card_history``) under the README crawl's guarantees, against the
stub Hub: every fault of issue 20 for this crawl ends identical to a clean crawl (a one-off) or
quarantined and then one clear error naming the quarantine file (a lasting one); requests and
records are journaled; a damaged or missing part is moved aside and fetched again, and the
parse checks what it read against the manifest."""

from __future__ import annotations

import gzip
import json
import sys

import pytest
from crawl_support import client, run_until
from hfreuse.crawl.quarantine import STREAK_LIMIT, CrawlStopped
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.card_history import (
    crawl_card_history,
    iter_card_history,
    read_card_history,
    sample_models,
)
from hfreuse.hub.cards import readme_revisions

N = 12
SEED = 7
BARE_403 = (403, {"Content-Type": "text/html"}, b"<html><body>Forbidden</body></html>")


@pytest.fixture
def hub(history_hub):
    """The stub Hub with a history for every model (conftest ``history_hub``)."""
    return history_hub


@pytest.fixture
def sample(hub, listed) -> list[str]:
    """The sampled models, each with a README text, added at various points of its history."""
    picked = sample_models(list(readme_revisions(listed)), N, SEED)
    texts = sorted(set(hub.cards.values()))
    for k, m in enumerate(picked):
        hub.cards.setdefault(m, texts[k])
        hub.readme_from[m] = (k * 5) % len(hub.histories[m])
    return picked


def crawl(hub, listed, name: str, **kw) -> dict:
    kw.setdefault("client", client(max_retries=2))
    return crawl_card_history(listed, listed / name / "manifest.json", hub.base_url, N, SEED, **kw)


def records(listed, name: str) -> list[dict]:
    return sorted(iter_card_history(listed / name / "manifest.json"), key=lambda r: r["model_id"])


def with_length(hub, sample, n: int) -> str:
    return next(m for m in sample if len(hub.histories[m]) == n)


def models_asked(hub) -> set[str]:
    return {h.key[0] if isinstance(h.key, tuple) else h.key for h in hub.hits}


def reasons(listed, name: str) -> list[str]:
    path = listed / name / "quarantine.json"
    return [r["reason"] for r in json.loads(path.read_text())["items"]]


def quarantined(listed, name: str) -> list[str]:
    path = listed / name / "quarantine.json"
    return [r["item"] for r in json.loads(path.read_text())["items"]] if path.exists() else []


# --- 1. quarantine, no all-or-nothing ---------------------------------------------------------


def test_bare_403_on_every_probe_quarantines_every_model_then_fails_naming_the_file(
    hub, listed, sample
):
    hub.always["card"] = BARE_403
    with pytest.raises(InputError, match=r"quarantine\.json") as err:
        crawl(hub, listed, "ch", client=client(max_retries=1))
    assert f"{N} of {N} models" in str(err.value) and "crawl.max_failed_share" in str(err.value)
    assert sorted(quarantined(listed, "ch")) == sample  # every model tried, none stopped the run
    assert not (listed / "ch" / "manifest.json").exists()
    # the next run retries them first and ends complete once the front lets them through
    del hub.always["card"]
    crawl(hub, listed, "ch")
    crawl(hub, listed, "clean")
    assert records(listed, "ch") == records(listed, "clean")
    assert not (listed / "ch" / "quarantine.json").exists()


def test_bare_403_on_one_history_within_the_share_is_listed_in_the_manifest(hub, listed, sample):
    bad = sample[4]
    for page in range(3):
        hub.faults[("commits", (bad, page))] = [BARE_403] * 10
    doc = crawl(hub, listed, "ch", max_failed_share=0.1)
    assert doc["quarantined"] == [bad] and sum(doc["statuses"].values()) == N - 1
    assert bad not in {r["model_id"] for r in records(listed, "ch")}
    assert "403" in reasons(listed, "ch")[0]
    assert len(read_card_history(listed / "ch" / "manifest.json")) == N - 1


def test_streak_guard_stops_a_crawl_whose_every_model_fails(hub, listed):
    hub.always["commits"] = BARE_403
    with pytest.raises(CrawlStopped, match=r"quarantine\.json"):
        crawl_card_history(listed, listed / "ch" / "manifest.json", hub.base_url, 40, SEED,
                           client=client(max_retries=0))  # fmt: skip
    assert len(quarantined(listed, "ch")) == STREAK_LIMIT
    assert hub.count("commits") == STREAK_LIMIT  # one try each (max_retries 0), then it stopped


def test_a_refused_token_stops_at_once_without_quarantine(hub, listed, sample):
    hub.fail_once("commits", (sample[2], 0), 401)
    with pytest.raises(CrawlStopped, match="401"):
        crawl(hub, listed, "ch")
    assert not (listed / "ch" / "quarantine.json").exists()


# --- 2. probes verified as a sequence, commit pages verified -----------------------------------


def test_probe_answering_todays_readme_without_its_commit_is_retried(hub, listed, sample):
    crawl(hub, listed, "clean")
    model = next(m for m in sample if hub.readme_from[m] > 0)  # the first probe finds none
    stale = hub.cards[model].encode()  # today's README, as a cache would serve it
    hub.fail_once("card", model, 200, {"Content-Type": "text/plain"}, stale)
    crawl(hub, listed, "ch")
    assert records(listed, "ch") == records(listed, "clean")


def test_probe_answering_another_commit_persistently_is_quarantined(hub, listed, sample):
    model = next(m for m in sample if hub.readme_from[m] > 0)
    listed_sha = readme_revisions(listed)[model]
    body = hub.cards[model].encode()
    from hub_stub import readme_headers

    hub.faults[("card", model)] = [(200, readme_headers(body, model, listed_sha), body)] * 20
    with pytest.raises(InputError, match=r"1 of 12 models.*quarantine\.json"):
        crawl(hub, listed, "ch")
    assert quarantined(listed, "ch") == [model]
    assert "X-Repo-Commit" in reasons(listed, "ch")[0]


def test_probe_answering_404_where_the_readme_was_is_caught_by_the_confirming_probe(
    hub, listed, sample
):
    model = with_length(hub, sample, 150)
    hub.readme_from[model] = 1  # the first probe (commit 74) finds it
    crawl(hub, listed, "clean")
    hub.fail_once("card", model, 404, {"X-Error-Code": "EntryNotFound"}, b"Entry not found")
    crawl(hub, listed, "ch")  # without the confirmation, first_index 75 here
    assert records(listed, "ch") == records(listed, "clean")
    assert next(r for r in records(listed, "ch") if r["model_id"] == model)["first_index"] == 1


def test_listed_readme_answering_404_once_is_asked_again(hub, listed, sample):
    crawl(hub, listed, "clean")
    model = with_length(hub, sample, 1)  # its one probe is the listed revision
    hub.fail_once("card", model, 404, {"X-Error-Code": "EntryNotFound"}, b"Entry not found")
    crawl(hub, listed, "ch")
    assert records(listed, "ch") == records(listed, "clean")
    assert next(r for r in records(listed, "ch") if r["model_id"] == model)["first_index"] == 0


def test_html_404_on_page_2_of_a_history_is_retried(hub, listed, sample):
    crawl(hub, listed, "clean")
    model = with_length(hub, sample, 150)  # three pages of 50
    hub.fail_once("commits", (model, 1), 404, {"Content-Type": "text/html"}, b"<html>404</html>")
    crawl(hub, listed, "ch")
    assert records(listed, "ch") == records(listed, "clean")


def test_html_404_on_page_1_is_retried_not_taken_as_the_model_gone(hub, listed, sample):
    crawl(hub, listed, "clean")
    hub.fail_once(
        "commits", (sample[3], 0), 404, {"Content-Type": "text/html"}, b"<html>404</html>"
    )
    crawl(hub, listed, "ch")
    assert records(listed, "ch") == records(listed, "clean")


def test_next_link_repeating_a_page_once_does_not_duplicate_commits(hub, listed, sample):
    crawl(hub, listed, "clean")
    model = with_length(hub, sample, 150)
    hub.commit_links[(model, 1)] = [0]  # page 2 links back to page 1, once
    crawl(hub, listed, "ch")
    assert records(listed, "ch") == records(listed, "clean")


def test_next_link_to_itself_for_good_is_quarantined_not_a_hang(hub, listed, sample):
    model = with_length(hub, sample, 150)
    hub.commit_links[(model, 1)] = [1] * 1000  # page 2 links to itself
    with pytest.raises(InputError, match=r"quarantine\.json"):
        crawl(hub, listed, "ch")
    assert quarantined(listed, "ch") == [model]
    assert hub.count("commits") < 40


def test_dropped_link_is_caught_by_x_total_count_and_fetched_again(hub, listed, sample):
    crawl(hub, listed, "clean")
    model = with_length(hub, sample, 150)
    hub.commit_links[(model, 0)] = [None]  # page 1 without its next link, once
    crawl(hub, listed, "ch")
    assert records(listed, "ch") == records(listed, "clean")


def test_history_short_of_x_total_count_for_good_is_quarantined(hub, listed, sample):
    model = with_length(hub, sample, 150)
    hub.short_by[model] = 1  # X-Total-Count says 150, 149 are served
    with pytest.raises(InputError, match=r"quarantine\.json"):
        crawl(hub, listed, "ch")
    assert "X-Total-Count" in reasons(listed, "ch")[0]


# --- 3. journal --------------------------------------------------------------------------------


def test_requests_and_records_are_journaled_across_a_stop(hub, listed, sample):
    hub.fail_once("commits", (sample[7], 0), 401)  # the token refused: the crawl stops there
    with pytest.raises(CrawlStopped):
        crawl(hub, listed, "ch", part_size=5)
    stored = {r["model_id"] for r in iter_card_history(listed / "ch" / "manifest.json")}
    journal = listed / "ch" / "journal.jsonl"
    journaled = [json.loads(x) for x in journal.read_text().splitlines()]
    kept = stored | {e["record"]["model_id"] for e in journaled if e["event"] == "record"}
    assert kept == set(sample[:7])  # every model fetched before the stop is kept
    served = len(hub.hits)
    hub.hits.clear()
    doc = crawl(hub, listed, "ch", part_size=5)
    assert not models_asked(hub) & kept  # none of them asked again
    assert doc["stats"]["requests"] == served + len(hub.hits)  # recorded = served, exactly
    crawl(hub, listed, "clean", part_size=5)
    assert records(listed, "ch") == records(listed, "clean")
    parts = lambda name: [p.name for p in hub_raw.list_parts(listed / name)]  # noqa: E731
    assert parts("ch") == parts("clean")


KILL_SCRIPT = """
import sys
from hfreuse.clients import HttpClient
from hfreuse.hub.card_history import crawl_card_history
crawl_card_history(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                   client=HttpClient(1200.0), part_size=5)
"""


def test_sigkill_loses_at_most_the_model_in_flight_and_no_request(hub, listed, sample):
    manifest = listed / "ch" / "manifest.json"
    journal = listed / "ch" / "journal.jsonl"

    def journaled() -> list[str]:
        if not journal.exists():
            return []
        lines = [json.loads(x) for x in journal.read_bytes().split(b"\n")[:-1]]
        return [e["record"]["model_id"] for e in lines if e["event"] == "record"]

    stored = lambda: {r["model_id"] for r in iter_card_history(manifest)}  # noqa: E731
    cmd = [sys.executable, "-c", KILL_SCRIPT, str(listed), str(manifest), hub.base_url]
    run_until([*cmd, str(N), str(SEED)], lambda: len(stored()) >= 5 and len(journaled()) >= 2)
    assert not manifest.exists()
    kept = stored() | set(journaled())
    served, before = len(hub.hits), models_asked(hub)
    hub.hits.clear()
    doc = crawl(hub, listed, "ch", part_size=5)
    asked = models_asked(hub)
    assert not asked & kept  # what was stored or journaled is not asked again
    assert len(asked & before) <= 1  # at most the model in flight is asked twice
    recorded = doc["stats"]["requests"]
    assert served + len(hub.hits) <= recorded <= served + len(hub.hits) + 1  # +1: in flight
    crawl(hub, listed, "clean", part_size=5)
    assert records(listed, "ch") == records(listed, "clean")


# --- 4. damaged files --------------------------------------------------------------------------


def _rerun(hub, listed, name: str) -> None:
    """What `--forcerun fetch_hub_card_history` does: the manifest removed, the crawl rerun."""
    (listed / name / "manifest.json").unlink()
    crawl(hub, listed, name, part_size=5)


def test_truncated_part_names_the_rule_and_that_rule_recovers_it(hub, listed, sample):
    crawl(hub, listed, "clean", part_size=5)
    crawl(hub, listed, "ch", part_size=5)
    part = hub_raw.list_parts(listed / "ch")[1]
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"part-000002.*--forcerun fetch_hub_card_history"):
        read_card_history(listed / "ch" / "manifest.json")
    _rerun(hub, listed, "ch")
    assert (listed / "ch" / "part-000002.jsonl.gz.corrupt").exists()
    assert records(listed, "ch") == records(listed, "clean")
    assert len(read_card_history(listed / "ch" / "manifest.json")) == N


@pytest.mark.parametrize("which", [0, 2])
def test_deleted_part_fails_the_parse_and_the_rule_recovers_it(hub, listed, sample, which):
    crawl(hub, listed, "clean", part_size=5)
    crawl(hub, listed, "ch", part_size=5)
    hub_raw.list_parts(listed / "ch")[which].unlink()
    with pytest.raises(InputError, match=r"says 12 records.*--forcerun fetch_hub_card_history"):
        read_card_history(listed / "ch" / "manifest.json")
    _rerun(hub, listed, "ch")
    assert records(listed, "ch") == records(listed, "clean")
    assert len(read_card_history(listed / "ch" / "manifest.json")) == N


def test_parse_refuses_a_part_altered_to_other_statuses(hub, listed, sample):
    crawl(hub, listed, "ch", part_size=5)
    part = hub_raw.list_parts(listed / "ch")[0]
    recs = [json.loads(x) for x in gzip.decompress(part.read_bytes()).splitlines()]
    recs[0]["status"] = 404
    part.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in recs).encode()))
    with pytest.raises(InputError, match="statuses"):
        read_card_history(listed / "ch" / "manifest.json")


def test_entry_scripts_pass_the_share_and_check_the_counts(hub, listed, sample, tmp_path):
    import fetch_hub_card_history
    import pandas as pd
    import parse_card_history

    hub.faults[("commits", (sample[4], 0))] = [BARE_403] * 10  # quarantined, within the share
    manifest = listed / "ch" / "manifest.json"
    settings = {"size": N, "seed": SEED, "confidence": 0.95, "margin": 0.045, "proportion": 0.5}
    fetch_hub_card_history.main(
        models=str(listed / "manifest.json"), manifest=str(manifest), endpoint=hub.base_url,
        sample=settings, requests_per_minute=60000, timeout=10, max_retries=1,
        max_failed_share=0.1,
    )  # fmt: skip
    assert json.loads(manifest.read_text())["quarantined"] == [sample[4]]
    models = tmp_path / "models.parquet"
    pd.DataFrame({"model_id": sample, "has_card_data": [True] * N}).to_parquet(models)
    table = tmp_path / "card_history.parquet"
    parse_card_history.main(manifest=str(manifest), models=str(models), card_history=str(table))
    assert len(pd.read_parquet(table)) == N - 1
    hub_raw.list_parts(listed / "ch")[0].unlink()
    with pytest.raises(InputError, match="--forcerun fetch_hub_card_history"):
        parse_card_history.main(manifest=str(manifest), models=str(models), card_history=str(table))


def test_demo_card_history_passes_the_count_check(tmp_path):
    from hfreuse.hub.demo import generate_hub_snapshot

    hub_dir = tmp_path / "hub"
    manifest = hub_dir / "card_history" / "manifest.json"
    settings = {"size": 600, "seed": 3, "confidence": 0.95, "margin": 0.045, "proportion": 0.5}
    generate_hub_snapshot(hub_dir, seed=7, n_models=3000, page_size=500,
                          card_markers=[hub_dir / "cards" / "shard-1-of-1.json"],
                          card_history=(manifest, settings))  # fmt: skip
    assert len(read_card_history(manifest)) == json.loads(manifest.read_text())["sample"] > 500
    hub_raw.list_parts(manifest.parent)[0].unlink()
    with pytest.raises(InputError, match="generate_demo"):
        read_card_history(manifest)
