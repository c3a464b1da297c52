"""Card history of a sample against the stub Hub: the commit where README.md first appeared
(bisection over real-shaped histories) and whether it had card data then."""

from __future__ import annotations

import math

import pytest
from crawl_support import client
from hfreuse.hub.card_history import (
    card_history_table,
    crawl_card_history,
    iter_card_history,
    sample_models,
    sample_size,
)
from hfreuse.hub.carddata import has_card_data
from hfreuse.hub.cards import readme_revisions

N = 40


@pytest.fixture
def hub(history_hub):
    """The stub Hub with a history for every model (conftest ``history_hub``)."""
    return history_hub


def test_card_data_is_a_non_empty_yaml_header():
    assert has_card_data("---\nlicense: mit\n---\n# x") is True
    assert has_card_data("---\n---\n# x") is False
    assert has_card_data("# no header\n---\nlicense: mit\n---") is False
    assert has_card_data("---\n: [unclosed\n---\n") is False
    assert has_card_data(None) is None


def test_sample_is_seeded_and_cochran_sized():
    ids = [f"m{i:05d}" for i in range(10000)]
    assert sample_models(ids, 50, 1) == sample_models(list(reversed(ids)), 50, 1)
    assert sample_models(ids, 50, 1) != sample_models(ids, 50, 2)
    from hfreuse.coding.sample import cochran_sample_size

    n = sample_size(10000, None, 0.95, 0.045, 0.5)
    assert n == cochran_sample_size(10000, 0.95, 0.045, 0.5) and 400 < n < 500  # as coding
    assert sample_size(30, 100, 0.95, 0.045, 0.5) == 30


def test_first_readme_commit_found_by_bisection(hub, listed, tmp_path):
    sample = sample_models(list(readme_revisions(listed)), N, 7)
    texts = sorted(set(hub.cards.values()))
    for k, m in enumerate(sample[:-1]):  # real card texts for all but one sampled model
        hub.cards.setdefault(m, texts[k])
    hub.cards.pop(sample[-1], None)
    with_card = [m for m in sample if m in hub.cards]
    assert len(with_card) == N - 1 and max(len(hub.histories[m]) for m in with_card) > 50
    for k, m in enumerate(with_card):
        n = len(hub.histories[m])
        hub.readme_from[m] = (k * 7) % n  # README added at various points of the history
        if k % 2:
            hub.readme_then[m] = "# no card data yet\n"  # the card data came later
    manifest = listed / "card_history" / "manifest.json"
    doc = crawl_card_history(listed, manifest, hub.base_url, N, 7, client=client())
    recs = {r["model_id"]: r for r in iter_card_history(manifest)}
    assert sorted(recs) == sample and doc["sample"] == N
    table = card_history_table(recs.values(), {m: True for m in sample}).set_index("model_id")
    for k, m in enumerate(with_card):
        n = len(hub.histories[m])
        first = (k * 7) % n
        assert recs[m]["first_index"] == first, m
        assert recs[m]["first_commit"] == hub.histories[m][n - 1 - first]["id"]
        assert recs[m]["probes"] <= math.ceil(math.log2(n)) + 1 if n > 1 else recs[m]["probes"] <= 1
        at_first = table.loc[m, "card_data_at_first_readme"]
        if k % 2 and first != n - 1:
            assert bool(at_first) is False
        else:
            assert at_first == has_card_data(hub.cards[m])
    # a sampled model whose README the stub has no text for: never found
    for m in set(sample) - set(with_card):
        assert recs[m]["first_index"] is None
    # requests: one commit page per history (<= 50 commits a page here) plus the probes
    pages = sum(math.ceil(len(hub.histories[m]) / hub.commits_limit) for m in sample)
    assert hub.count("commits") == pages
    # ... a confirming probe of the commit before the first README (when there is one), and a
    # README the listing lists but the stub lacks, asked again (the client's 3 retries) at the
    # listed revision before it is recorded as not found
    missing = len(set(sample) - set(with_card))
    confirmed = sum(1 for r in recs.values() if r["first_index"])
    probes = sum(r["probes"] for r in recs.values())
    assert hub.count("card") == probes + confirmed + 3 * missing


def test_card_history_resumes_without_asking_again(hub, listed):
    manifest = listed / "card_history" / "manifest.json"
    sample = sample_models(list(readme_revisions(listed)), N, 7)
    hub.gone.add(sample[3])
    hub.fail_once("commits", (sample[10], 0), 401)  # token refused: the crawl stops
    with pytest.raises(Exception, match="401"):
        crawl_card_history(listed, manifest, hub.base_url, N, 7, client=client(), part_size=2)
    stored = {r["model_id"] for r in iter_card_history(manifest)}
    assert stored and not manifest.exists()
    hub.hits.clear()
    crawl_card_history(listed, manifest, hub.base_url, N, 7, client=client(), part_size=2)
    asked = {h.key[0] if isinstance(h.key, tuple) else h.key for h in hub.hits}
    assert not stored & asked
    recs = {r["model_id"]: r for r in iter_card_history(manifest)}
    assert sorted(recs) == sample
    assert (recs[sample[3]]["status"], recs[sample[3]]["error_code"]) == (404, "RepoNotFound")
