"""True creation dates downstream of the crawl: the demo's histories, models.parquet's
created_at_true / created_at_source, the trends on true dates and the sensitivity table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.demo import generate_hub_snapshot
from hfreuse.hub.first_commits import iter_histories
from hfreuse.hub.parse import FLOOR, card_lengths, first_commits, merge_parts, parse_pages
from hfreuse.hub.trends import FLOOR_MONTH, dated, model_types_monthly
from hfreuse.rq3.sensitivity import date_sensitivity


def models_table(hub_dir, markers=(), history=()):
    """models.parquet as the workflow builds it: parse_hub_pages (one shard), then
    parse_hub_models (README lengths, true dates)."""
    firsts = first_commits(iter_histories(list(history)))
    return merge_parts([parse_pages(hub_dir, 0, 1)], card_lengths(list(markers)), firsts)


def markers(hub: Path, kind: str, n: int = 3) -> list[Path]:
    return [hub / kind / f"shard-{k}-of-{n}.json" for k in range(1, n + 1)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    hub = tmp_path_factory.mktemp("demo") / "hub"
    generate_hub_snapshot(
        hub, seed=7, n_models=4000, page_size=500, card_markers=markers(hub, "cards"),
        history_markers=markers(hub, "history"),
    )  # fmt: skip
    table = models_table(hub, markers(hub, "cards"), markers(hub, "history"))
    return hub, table.to_pandas()


def test_demo_histories_cover_the_floored_models_in_the_crawl_format(demo):
    hub, models = demo
    recs = list(iter_histories(markers(hub, "history")))
    floored = set(models.loc[models["created_at_floored"], "model_id"])
    assert {r["model_id"] for r in recs} == floored and len(recs) == len(floored) > 100
    ok = [r for r in recs if r["status"] == 200]
    assert {len(r["commits"]) for r in ok} >= {1, 150}  # 1 to 150 commits
    assert all(set(r) >= {"model_id", "revision", "status", "commits", "error_code"} for r in recs)
    gone = [r for r in recs if r["status"] == 404]
    assert gone and all(r["error_code"] == "RepoNotFound" for r in gone)
    for r in ok:  # newest first, as the Hub serves them
        dates = [c["date"] for c in r["commits"]]
        assert dates == sorted(dates, reverse=True)


def test_created_at_true_is_the_oldest_commit_of_every_floored_model(demo):
    hub, models = demo
    oldest = {
        r["model_id"]: pd.Timestamp(r["commits"][-1]["date"])
        for r in iter_histories(markers(hub, "history"))
        if r["status"] == 200
    }
    by_id = models.set_index("model_id")
    after = by_id[~by_id["created_at_floored"]]
    assert (after["created_at_source"] == "api").all()
    assert (after["created_at_true"] == after["created_at"]).all()
    dated_ = by_id[by_id["created_at_source"] == "first_commit"]
    assert len(dated_) > 100
    assert all(dated_.loc[m, "created_at_true"] == oldest[m] for m in dated_.index)
    assert (dated_["created_at_true"] <= pd.Timestamp(FLOOR)).all()
    unresolved = by_id[by_id["created_at_source"] == "unresolved"]
    assert unresolved["created_at_true"].isna().all()
    reasons = set(unresolved["created_at_reason"])
    assert reasons == {
        "repository gone (deleted or private)",
        "first commit after the createdAt floor (history rewritten)",
    }
    assert by_id.loc[dated_.index, "created_at_reason"].isna().all()


def test_first_commits_reasons_and_a_run_without_histories():
    recs = [
        {"model_id": "a", "status": 200, "commits": [{"id": "2", "date": "2021-05-01T00:00:00Z"},
                                                      {"id": "1", "date": "2020-01-02T03:04:05Z"}]},
        {"model_id": "b", "status": 404, "error_code": "RevisionNotFound", "commits": None},
        {"model_id": "c", "status": 200, "commits": []},
        {"model_id": "d", "status": 451, "error_code": None, "commits": None},
    ]  # fmt: skip
    got = first_commits(recs)
    assert got["a"][0].isoformat() == "2020-01-02T03:04:05+00:00"
    assert got["b"] == (None, "listed revision gone (history rewritten)")
    assert got["c"] == (None, "no commits") and got["d"] == (None, "repository blocked (451)")


def test_trends_on_true_dates_lose_the_floor_spike(demo):
    _, models = demo
    api = model_types_monthly(dated(models, "api"))
    true = model_types_monthly(dated(models, "true"))
    assert api["models"].sum() == true["models"].sum()  # every model counted once either way
    spike_api = api.loc[api["month"] == FLOOR_MONTH, "models"].sum()
    spike_true = true.loc[true["month"] == FLOOR_MONTH, "models"].sum()
    moved = models[
        (models["created_at_source"] == "first_commit")
        & models["model_type"].notna()
        & (models["created_at_true"].dt.strftime("%Y-%m") != FLOOR_MONTH)
    ]
    assert spike_api - spike_true == len(moved) > 100
    # the models left at the floor are only those their history could not date
    unresolved = models["model_type"].notna() & (models["created_at_source"] == "unresolved")
    assert true["models_floored"].sum() == unresolved.sum()
    assert true["month"].min() < "2020-01" and api["month"].min() == FLOOR_MONTH
    with pytest.raises(InputError, match="created_at_true"):
        dated(models.drop(columns=["created_at_true"]), "true")


def test_sensitivity_puts_each_statistic_side_by_side(demo):
    _, models = demo
    months = model_types_monthly(dated(models, "true"))
    types = sorted(months["model_type"].unique())[:6]
    # a forum table over the same months: topics follow the uploads of the true dates
    forum = months[months["model_type"].isin(types)].assign(topics=lambda d: d["models"] // 2 + 1)[
        ["model_type", "month", "topics", "partial_month"]
    ]
    table = date_sensitivity(models, forum)
    assert list(table.columns)[:6] == [
        "statistic",
        "subject",
        "measure",
        "api",
        "true",
        "difference",
    ]
    key = table.set_index(["statistic", "subject", "measure"])
    n_dated = (models["created_at_source"] == "first_commit").sum()
    assert key.loc[("models", "all", "dated_by_first_commit"), "true"] == n_dated
    assert key.loc[("models", "all", "dated_by_first_commit"), "api"] == 0
    months_api = key.loc[("shared_months", "all", "n_months"), "api"]
    months_true = key.loc[("shared_months", "all", "n_months"), "true"]
    assert months_true > months_api  # the pre-2022 months exist only on true dates
    assert {"totals_correlation", "card_share_trend", "hub_trend"} <= set(table["statistic"])
    rows = table[table["statistic"] == "totals_correlation"]
    assert rows["changed"].any()
    numeric = table[table["api"].notna() & table["true"].notna()]
    assert ((numeric["true"] - numeric["api"]) - numeric["difference"]).abs().max() < 1e-9


def test_demo_listing_is_unchanged_by_the_histories(tmp_path, demo):
    hub, _ = demo
    plain = tmp_path / "plain"
    generate_hub_snapshot(plain, seed=7, n_models=4000, page_size=500,
                          card_markers=markers(plain, "cards"))  # fmt: skip
    for a, b in zip(hub_raw.list_pages(hub), hub_raw.list_pages(plain), strict=True):
        assert a.read_bytes() == b.read_bytes()
    for a, b in zip(markers(hub, "cards"), markers(plain, "cards"), strict=True):
        assert [p.read_bytes() for p in hub_raw.list_parts(hub_raw.shard_dir(a))] == [
            p.read_bytes() for p in hub_raw.list_parts(hub_raw.shard_dir(b))
        ]


def test_demo_card_history_sample_in_the_crawl_format(tmp_path):
    from hfreuse.coding.sample import cochran_sample_size
    from hfreuse.hub.card_history import card_history_table, iter_card_history

    hub = tmp_path / "hub"
    manifest = hub / "card_history" / "manifest.json"
    settings = {"size": None, "seed": 3, "confidence": 0.95, "margin": 0.045, "proportion": 0.5}
    generate_hub_snapshot(hub, seed=7, n_models=4000, page_size=500,
                          card_markers=markers(hub, "cards"), card_history=(manifest, settings))  # fmt: skip
    models = models_table(hub, markers(hub, "cards")).to_pandas()
    with_readme = models.loc[models["has_readme"], "model_id"]
    recs = list(iter_card_history(manifest))
    assert len(recs) == cochran_sample_size(len(with_readme), 0.95, 0.045, 0.5)
    assert {r["model_id"] for r in recs} <= set(with_readme)
    today = dict(zip(models["model_id"], models["has_card_data"], strict=True))
    table = card_history_table(recs, today)
    assert table["readme_first_index"].min() == 0 and table["readme_first_index"].max() > 0
    then, now = table["card_data_at_first_readme"].mean(), table["has_card_data_today"].mean()
    assert 0 < then < now  # fewer cards had card data at upload than today


def test_monthly_tables_carry_the_createdat_series_beside_the_true_one(demo):
    from hfreuse.hub.trends import card_share_monthly, with_api_series

    _, models = demo
    true = model_types_monthly(dated(models, "true"))
    api = model_types_monthly(dated(models, "api"))
    both = with_api_series(true, api, ["model_type", "month"], ["models"])
    assert len(both) == len(true) and both["models_api"].sum() == api["models"].sum()
    spike = both[both["month"] == FLOOR_MONTH]
    assert spike["models_api"].sum() > spike["models"].sum()  # the floor spike, kept aside
    assert (both.loc[both["month"] < "2022-03", "models_api"] == 0).all()
    same = with_api_series(api, api, ["model_type", "month"], ["models"])
    assert (same["models_api"] == same["models"]).all()
    card = with_api_series(
        card_share_monthly(dated(models, "true")),
        card_share_monthly(dated(models, "api")),
        ["month"],
        ["models", "share"],
    )
    assert card["models_api"].sum() == len(models)
    assert card.loc[card["month"] < "2022-03", "share_api"].isna().all()
