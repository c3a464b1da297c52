"""RQ3 on the demo snapshot, end to end: mentions table, statistics, figures, sharding."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from conftest import run_snakemake

pytestmark = pytest.mark.workflow

STATS = [
    "model_totals",
    "totals_correlation",
    "monthly_correlation",
    "model_trends",
    "declining_rising",
    "card_share_trend",
]
TARGETS = [
    "results/mentions/topic_mentions.parquet",
    "results/trends/forum_model_mentions_monthly.parquet",
    *[f"results/stats/{t}.parquet" for t in STATS],
    "results/figures/forum_mentions.json",
    "results/figures/forum_vs_hub.json",
]


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo_rq3(tmp_path_factory):
    from conftest import copy_workflow

    wf = copy_workflow(tmp_path_factory.mktemp("rq3demo") / "wf")
    # a smaller demo snapshot keeps the test quick
    (wf / "small.yaml").write_text("demo:\n  models: 4000\n  forum_topics: 800\n")
    run_snakemake(wf, *TARGETS, "--cores", "2", "--configfile", "config/config.yaml", "small.yaml")
    return wf


@pytest.mark.xdist_group("demo_rq3")  # the module's run, built once on one worker
def test_demo_mentions_table_shares_the_hub_month_axis(demo_rq3):
    wf = demo_rq3
    monthly = pd.read_parquet(wf / "results/trends/forum_model_mentions_monthly.parquet")
    hub = pd.read_parquet(wf / "results/trends/hub_model_types_monthly.parquet")
    topics = pd.read_parquet(wf / "results/forum/topics.parquet")
    mentions = pd.read_parquet(wf / "results/mentions/topic_mentions.parquet")
    assert len(monthly) == monthly["model_type"].nunique() * monthly["month"].nunique()
    assert set(monthly["model_type"]) == set(hub["model_type"])  # the Hub's model types
    months = sorted(monthly["month"].unique())
    assert months[0] == topics["created_at"].min().strftime("%Y-%m")
    assert months[-1] == topics["created_at"].max().strftime("%Y-%m")
    assert set(months) & set(hub["month"])  # same 'YYYY-MM' axis, overlapping
    assert (monthly["topics"] == 0).any()  # empty months are rows with 0
    assert monthly.loc[monthly["partial_month"], "month"].unique().tolist() == [months[-1]]
    assert monthly["topics"].sum() == len(mentions)
    assert mentions.duplicated(["topic_id", "model_type"]).sum() == 0  # once per topic
    assert mentions["topic_id"].isin(topics["topic_id"]).all()
    # the generator mentions the common model types: they are found
    top = monthly.groupby("model_type")["topics"].sum().sort_values(ascending=False)
    assert {"bert", "gpt2", "llama"} <= set(top.head(8).index)


@pytest.mark.xdist_group("demo_rq3")  # the module's run, built once on one worker
def test_demo_statistics_and_figures(demo_rq3):
    wf = demo_rq3
    totals = pd.read_parquet(wf / "results/stats/model_totals.parquet")
    corr = pd.read_parquet(wf / "results/stats/totals_correlation.parquet").set_index("scope")
    assert corr.loc["all", "n_models"] == totals["in_correlation"].sum() >= 3
    assert -1 <= corr.loc["all", "rho"] <= 1
    trends = pd.read_parquet(wf / "results/stats/model_trends.parquet")
    assert set(trends["source"]) == {"forum", "hub"}
    card = pd.read_parquet(wf / "results/stats/card_share_trend.parquet")
    assert card["test"].tolist() == ["mann_kendall", "mann_whitney"]
    for fig in ("forum_mentions", "forum_vs_hub"):
        for ext in ("html", "svg", "png", "json"):
            assert (wf / f"results/figures/{fig}.{ext}").stat().st_size > 0
        assert "SYNTHETIC" in (wf / f"results/figures/{fig}.json").read_text()


@pytest.mark.xdist_group("demo_rq3")  # the module's run, built once on one worker
def test_sharded_matching_gives_the_same_tables(demo_rq3):
    wf = demo_rq3
    outputs = [
        wf / "results/mentions/topic_mentions.parquet",
        wf / "results/trends/forum_model_mentions_monthly.parquet",
    ]
    before = [_sha(p) for p in outputs]
    overlay = wf / "shards.yaml"
    overlay.write_text("mentions:\n  shards: 3\n")
    config = ("--configfile", "config/config.yaml", "small.yaml", overlay.name)
    run_snakemake(wf, *TARGETS, "--cores", "2", *config)
    assert sorted(p.name for p in (wf / "results/mentions/shards").glob("*-of-3.parquet")) == [
        "1-of-3.parquet",  # Snakemake's scatter items
        "2-of-3.parquet",
        "3-of-3.parquet",
    ]
    assert [_sha(p) for p in outputs] == before
