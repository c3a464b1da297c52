"""The replication package's monthly matrices as trend tables, and the paper's three RQ3 claims."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_path
from hfreuse.errors import InputError
from hfreuse.rq3 import stats as ts
from hfreuse.rq3.paper import (
    CARD_CSV,
    FORUM_CSV,
    HUB_CSV,
    REPRODUCTION_COLUMNS,
    read_card_share,
    read_forum_mentions,
    read_hub_model_types,
    reproduction,
    rq1_rq2_note,
)

# the package's quirks, in miniature
FORUM = ",2023-04-01,2023-05-01,2023-06-01\nbert,3.0,0.0,1.0\ngpt2,0.0,2.0,0.0\n"
HUB = (
    ",2023-01,2023-03,2023-06,sum,cumulative sum,Cumulative ratio\n"
    "bert,1,,4,5,5,0.625\n"
    "t5,,2,1,3,8,1\n"
    ",,,,,8,1\n"
    "SUM,1,2,5,8,,0\n"
)
CARD = (
    ",month_year,has_card,count,card_ratio\n"
    "1,2023-03,1,4,0.25\n"
    "2,2023-05,3,6,0.5\n"
    "3,2023-06,0,2,0\n"
)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_forum_matrix(tmp_path):
    out = read_forum_mentions(_write(tmp_path, "f.csv", FORUM))
    assert list(out.columns) == ["model_type", "month", "topics", "partial_month"]
    got = {(r.model_type, r.month): r.topics for r in out.itertuples()}
    assert got == {
        ("bert", "2023-04"): 3,
        ("bert", "2023-05"): 0,
        ("bert", "2023-06"): 1,
        ("gpt2", "2023-04"): 0,
        ("gpt2", "2023-05"): 2,
        ("gpt2", "2023-06"): 0,
    }
    assert out.loc[out["partial_month"], "month"].unique().tolist() == ["2023-06"]
    assert str(out["topics"].dtype) == "int64" and str(out["month"].dtype) == "string"


def test_hub_matrix_fills_absent_months_and_drops_the_extras(tmp_path):
    out = read_hub_model_types(_write(tmp_path, "h.csv", HUB))
    assert list(out.columns) == [
        "model_type",
        "month",
        "models",
        "models_floored",
        "partial_month",
        "models_api",
    ]
    assert out["models_api"].isna().all()  # the package has no createdAt series
    assert sorted(out["model_type"].unique()) == ["bert", "t5"]  # no blank row, no SUM row
    assert out["month"].unique().tolist() == [
        "2023-01",
        "2023-02",  # absent from the file: a month without models
        "2023-03",
        "2023-04",
        "2023-05",
        "2023-06",
    ]
    got = {(r.model_type, r.month): r.models for r in out.itertuples()}
    assert got[("bert", "2023-03")] == 0  # an empty cell is 0
    assert got[("t5", "2023-03")] == 2 and got[("bert", "2023-06")] == 4
    assert got[("bert", "2023-02")] == 0
    assert out["models"].sum() == 8  # the SUM row's total
    assert out["models_floored"].isna().all() and str(out["models_floored"].dtype) == "Int64"
    assert out.loc[out["partial_month"], "month"].unique().tolist() == ["2023-06"]


def test_card_matrix(tmp_path):
    out = read_card_share(_write(tmp_path, "c.csv", CARD))
    assert out["month"].tolist() == ["2023-03", "2023-04", "2023-05", "2023-06"]
    assert out["models"].tolist() == [4, 0, 6, 2]
    assert out["models_with_card_data"].tolist() == [1, 0, 3, 0]
    assert out.loc[0, "share"] == pytest.approx(0.25) and pd.isna(out.loc[1, "share"])
    assert not out["floor_month"].any()  # the package's dates are first commits: no floor
    assert out["partial_month"].tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    "reader, text, message",
    [
        (read_forum_mentions, ",2023-04\nbert,1\n", "not a month"),
        (read_forum_mentions, ",2023-04-01\nbert,x\n", "expected a count"),
        (read_forum_mentions, ",2023-04-01\nbert,1.5\n", "whole non-negative"),
        (read_hub_model_types, ",2023-01,sum\nbert,1,1\n", "expected the columns"),
        (read_card_share, ",month,has_card,count\n1,2023-01,1,2\n", "expected columns"),
        (read_card_share, ",month_year,has_card,count\n1,2023-01,3,2\n", "must not exceed"),
        (
            read_card_share,
            ",month_year,has_card,count,card_ratio\n1,2023-01,1,2,0.9\n",
            "card_ratio",
        ),
    ],
)
def test_bad_package_files(tmp_path, reader, text, message):
    with pytest.raises(InputError, match=message):
        reader(_write(tmp_path, "bad.csv", text))


@pytest.fixture(scope="module")
def package():
    root = shared_path("replication", "Replication Package")
    return (
        read_forum_mentions(root / FORUM_CSV),
        read_hub_model_types(root / HUB_CSV),
        read_card_share(root / CARD_CSV),
    )


def test_real_package_tables(package):
    forum, hub, card = package
    assert forum["model_type"].nunique() == 147 and forum["month"].nunique() == 36
    assert (forum["month"].min(), forum["month"].max()) == ("2020-07", "2023-06")
    assert len(hub) == hub["model_type"].nunique() * hub["month"].nunique()  # full grid
    assert hub["models"].sum() == 103047  # the package's SUM row
    assert (hub["month"].min(), hub["month"].max()) == ("2017-09", "2023-06")
    assert hub.groupby("model_type")["models"].sum()["bert"] == 23651  # its 'sum' column
    assert len(card) == 42 and (card["month"].min(), card["month"].max()) == ("2019-12", "2023-05")
    april = card.set_index("month").loc["2020-04"]
    assert (april["models"], april["models_with_card_data"]) == (994, 941)
    assert card["share"].between(0, 1).all()


def test_real_package_reproduces_the_three_claims(package):
    forum, hub, card = package
    months = ts.shared_months(forum, hub)
    assert (months[0], months[-1], len(months)) == ("2020-07", "2023-05", 35)
    totals = ts.model_totals(forum, hub, months)
    corr = ts.totals_correlation(totals, months)
    allm = corr.set_index("scope").loc["all"]
    assert allm["n_models"] == 145 and allm["rho"] == pytest.approx(0.677, abs=0.001)
    trends = ts.model_trends(ts.monthly_series(forum, hub, months, totals))
    declining = ts.declining_rising(trends)
    card_trend = ts.card_share_trend(card, "2022-12")
    table = reproduction(corr, trends, declining, card_trend)
    assert list(table.columns) == REPRODUCTION_COLUMNS
    assert "bert" in declining["model_type"].tolist()
    # issue 19 item 6: each claim at the paper's scope, with its test, p and verdict
    assert table["verdict"].tolist() == ["supported", "supported", "inconclusive"]
    major = corr.set_index("scope").loc["major"]
    first = table.loc[0]
    assert "major models" in first["scope"] and "20 model types" in first["scope"]
    assert first["p_value"] == major["p_value"] and "rho = 0.775" in first["computed_value"]
    assert "not the paper's scope" in first["computed_value"]  # the all-types 0.677 beside it
    bert = trends[trends["model_type"] == "bert"].set_index("source")["mk_p_adjusted"]
    assert table.loc[1, "p_value"] == max(bert["forum"], bert["hub"])
    cards = table.loc[2]
    assert cards["computed_value"].startswith("no significant increase")
    assert cards["p_value"] == card_trend.set_index("test").loc["mann_kendall", "p_value"]
    assert "Mann-Kendall" in cards["test"] and "Mann-Whitney" not in cards["test"]


def test_verdicts_contradicted_and_inconclusive(package):
    forum, hub, card = package
    months = ts.shared_months(forum, hub)
    totals = ts.model_totals(forum, hub, months)
    corr = ts.totals_correlation(totals, months)
    trends = ts.model_trends(ts.monthly_series(forum, hub, months, totals))
    declining = ts.declining_rising(trends)
    flat = ts.card_share_trend(card, "2022-12")

    def verdicts(trends=trends, card_trend=flat, strong_rho=0.6):
        return reproduction(corr, trends, declining, card_trend, 0.05, strong_rho)["verdict"]

    # rho 0.775 with n = 20: 95 % CI about 0.49..0.91
    assert verdicts(strong_rho=0.9)[0] == "inconclusive"  # 0.9 is inside the interval
    assert verdicts(strong_rho=0.95)[0] == "contradicted"  # the interval lies below it
    bert = trends["model_type"] == "bert"
    rising = trends.assign(direction=trends["direction"].where(~bert, "rising"))
    assert verdicts(trends=rising)[1] == "contradicted"
    flat_bert = trends.assign(direction=trends["direction"].where(~bert, "no trend"))
    table = reproduction(corr, flat_bert, declining, flat)
    assert table.loc[1, "verdict"] == "inconclusive"
    assert "forum topics: no significant decline" in table.loc[1, "computed_value"]
    up = ts.card_share_trend(card.assign(share=[0.01 * i for i in range(len(card))]), "2022-12")
    down = ts.card_share_trend(
        card.assign(share=[0.9 - 0.01 * i for i in range(len(card))]), "2022-12"
    )
    assert verdicts(card_trend=up)[2] == "contradicted"
    assert verdicts(card_trend=down)[2] == "supported"
    assert (
        reproduction(corr, trends, declining, up)
        .loc[2, "computed_value"]
        .startswith("a significant increase")
    )


def test_rq1_rq2_note_for_page_one():
    assert "authors' own counts" in rq1_rq2_note("paper")
    assert rq1_rq2_note("demo") is None and rq1_rq2_note("live") is None


@pytest.mark.workflow
def test_paper_run_reproduces_the_claims(paper_run):
    workflow_copy = paper_run  # the session's paper run on the replication package (conftest)
    table = pd.read_csv(workflow_copy / "results/stats/reproduction.csv")
    assert list(table.columns) == REPRODUCTION_COLUMNS
    assert table["verdict"].tolist() == ["supported", "supported", "inconclusive"]
    assert "rho = 0.775" in table.loc[0, "computed_value"]
    forum = pd.read_parquet(workflow_copy / "results/trends/forum_model_mentions_monthly.parquet")
    assert forum["topics"].sum() == 7620  # every count of the package's matrix
    spec = (workflow_copy / "results/figures/forum_vs_hub.json").read_text()
    assert "SYNTHETIC" not in spec and "rho = 0.677" in spec  # 3 significant digits
