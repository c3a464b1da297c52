"""Do the paper's findings hold? (issue 21 item 3): the claims table (rule evaluate_paper_claims,
hfreuse.rq3.claims) on small hand-made tables, its sentences, and the session's demo and paper
runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_path
from hfreuse.report import study_summary as ss
from hfreuse.report.summary import summary_topics
from hfreuse.rq3 import stats as ts
from hfreuse.rq3.claims import (
    CLAIMS_COLUMNS,
    NOT_EVALUATED,
    TOP_CATEGORIES,
    claims,
    reproduction_rows,
)
from hfreuse.rq3.paper import REPRODUCTION_COLUMNS

IDS = ["rq3_correlation", "rq3_decline", "rq3_card_share", "rq1_top_challenge", "rq2_top_benefit"]


def correlation(rho: float = 0.8, p: float = 0.001, n: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope": ["all", "major"],
            "rho": [0.7, rho],
            "p_value": [0.001, p],
            "n_models": [40, n],
            "n_months": [30, 30],
            "first_month": ["2021-01", "2021-01"],
            "last_month": ["2023-06", "2023-06"],
        }
    )


def trends(forum: str = "declining", hub: str = "rising") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_type": ["bert", "bert"],
            "source": ["forum", "hub"],
            "direction": [forum, hub],
            "mk_tau": [-0.4, 0.7],
            "mk_p_adjusted": [0.004, 0.0001],
            "n_months": [30, 30],
        }
    )


def card_trend(step: float) -> pd.DataFrame:
    """The card-share trend of 24 months of 100 models whose share moves by ``step`` a month
    (with a small wiggle, so that a flat share has no trend)."""
    months = [f"{2021 + i // 12}-{i % 12 + 1:02d}" for i in range(24)]
    share = [0.5 + step * i + (0.01 if i % 2 else -0.01) for i in range(24)]
    card = pd.DataFrame(
        {
            "month": months,
            "models": 100,
            "models_with_card_data": [round(100 * s) for s in share],
            "share": share,
            "floor_month": False,
            "partial_month": False,
        }
    )
    return ts.card_share_trend(card, "2022-01")


def taxonomy(challenges: dict[str, int], benefits: dict[str, int]) -> pd.DataFrame:
    rows = [
        {"kind": kind, "level": "category", "category": c, "count": n, "count_source": "codes"}
        for kind, counts in (("challenge", challenges), ("benefit", benefits))
        for c, n in counts.items()
    ]
    return pd.DataFrame(rows)


CODED = taxonomy(
    {"Model Usage and Understanding": 60, "Training Pipeline": 20, "Spaces": 5},
    {"Expert Opinion and Solutions": 50, "Announcements": 10},
)


def table(**kwargs) -> pd.DataFrame:
    args = {
        "correlation": correlation(),
        "trends": trends(),
        "declining": pd.DataFrame({"model_type": ["bert"]}),
        "card_trend": card_trend(0.0),
        "taxonomy": CODED,
    } | kwargs
    return claims(**args).set_index("claim_id")


def test_every_claim_has_a_row_with_its_columns():
    out = claims(None, None, None, None, None)
    assert list(out.columns) == CLAIMS_COLUMNS and out["claim_id"].tolist() == IDS
    assert out["research_question"].tolist() == ["RQ3", "RQ3", "RQ3", "RQ1", "RQ2"]
    assert (out["verdict"] == NOT_EVALUATED).all() and out["n"].isna().all()
    assert out["paper_value"].str.len().gt(0).all()  # the paper's words stay
    full = table()
    assert full["verdict"].tolist() == ["supported"] * 2 + ["inconclusive"] + ["supported"] * 2
    assert full["n"].tolist() == [20, 30, 24, 80, 60]


def test_a_changed_input_flips_the_verdict():
    """The card share falling supports "has not increased"; rising contradicts it; the
    paper's top challenge outnumbered flips supported -> contradicted."""
    assert table(card_trend=card_trend(-0.01)).loc["rq3_card_share", "verdict"] == "supported"
    rising = table(card_trend=card_trend(0.01)).loc["rq3_card_share"]
    assert rising["verdict"] == "contradicted"
    assert rising["computed_value"].startswith("a significant increase")
    swapped = taxonomy(
        {"Model Usage and Understanding": 20, "Training Pipeline": 60}, {"Announcements": 1}
    )
    row = table(taxonomy=swapped).loc["rq1_top_challenge"]
    assert row["verdict"] == "contradicted" and row["n"] == 80
    assert "less frequent than Training Pipeline" in row["computed_value"]
    bert = table(trends=trends(forum="rising")).loc["rq3_decline"]
    assert bert["verdict"] == "contradicted"


def test_inconclusive_when_p_is_not_below_alpha():
    assert table(correlation=correlation(rho=0.8, p=0.2)).loc["rq3_correlation", "verdict"] == (
        "inconclusive"
    )
    close = taxonomy({"Model Usage and Understanding": 30, "Training Pipeline": 28}, {"x": 1})
    row = table(taxonomy=close).loc["rq1_top_challenge"]
    assert row["verdict"] == "inconclusive" and row["p_value"] >= 0.05
    assert table(taxonomy=close).loc["rq2_top_benefit", "verdict"] == NOT_EVALUATED


def test_top_category_rows_with_and_without_coded_topics():
    without = table(taxonomy=None)
    for claim in ("rq1_top_challenge", "rq2_top_benefit"):
        assert without.loc[claim, "verdict"] == NOT_EVALUATED
        assert without.loc[claim, "computed_value"] == (
            "not evaluated: no coded topics (this run has no taxonomy counts)"
        )
    with_codes = table()
    benefit = with_codes.loc["rq2_top_benefit"]
    assert benefit["verdict"] == "supported" and benefit["n"] == 60
    assert benefit["computed_value"].startswith("Expert Opinion and Solutions: 50 of 60 coded")
    # the package's other spelling of the benefit counts as the same category
    spelled = taxonomy({"Spaces": 1}, {"Expert Opinion and Clarification": 9, "Announcements": 1})
    assert table(taxonomy=spelled).loc["rq2_top_benefit", "n"] == 10
    other = taxonomy({"Memory": 5, "Spaces": 1}, {"Announcements": 1})
    missing = table(taxonomy=other).loc["rq1_top_challenge"]
    assert missing["verdict"] == NOT_EVALUATED
    assert "codebook has no category" in missing["computed_value"]


def test_a_half_study_evaluates_what_its_half_allows():
    hub_only = table(correlation=None, trends=None, declining=None, taxonomy=None)
    assert hub_only["verdict"].tolist()[:3] == [NOT_EVALUATED, NOT_EVALUATED, "inconclusive"]
    assert "needs both halves" in hub_only.loc["rq3_correlation", "computed_value"]
    forum_only = table(correlation=None, trends=None, declining=None, card_trend=None)
    assert forum_only.loc["rq3_card_share", "verdict"] == NOT_EVALUATED
    assert forum_only.loc["rq1_top_challenge", "verdict"] == "supported"


def test_the_paper_values_are_the_packages_overview_counts():
    from hfreuse.coding.paper import load_mappings, read_overview, read_package_codebook

    root = shared_path("replication", "Replication Package")
    maps = load_mappings(Path("workflow/resources/paper/coding_mappings.yaml"))
    book = read_package_codebook(
        root / "Codebooks/Challenges.csv", root / "Codebooks/Benefits.csv", maps
    )
    overview = read_overview(root / "Codebooks/Codebook.xlsx", book, maps)
    for top in TOP_CATEGORIES:
        kind = overview[overview["kind"] == top.kind].sort_values("count", ascending=False)
        assert kind["category"].iloc[0] in top.names and kind["count"].iloc[0] == top.count
        assert (kind["category"].iloc[1], kind["count"].iloc[1]) == (
            top.runner_up,
            top.runner_up_count,
        )
        assert (kind["count"].sum(), len(kind)) == (top.total, top.categories)


def _sentences(tmp_path: Path, synthetic: bool) -> tuple[str, ...]:
    path = tmp_path / "results/stats/claims.parquet"
    path.parent.mkdir(parents=True)
    claims(correlation(), None, None, card_trend(0.01), None).to_parquet(path, index=False)
    summary = ss.summarize_study({"claims": str(path)}, 0.05, 5, synthetic=synthetic)
    summary.to_parquet(tmp_path / "summary.parquet", index=False)
    (topic,) = summary_topics(str(tmp_path / "summary.parquet"))
    assert topic.title == "Do the paper's findings hold?"
    return topic.sentences


def test_one_sentence_per_claim_from_the_table(tmp_path):
    said = _sentences(tmp_path, synthetic=False)
    assert len(said) == 1 + 5 and "SYNTHETIC" not in " ".join(said)
    assert said[0] == (
        "0 of 5 claims of the paper are supported on this run's data (1 contradicted, "
        "0 inconclusive, 4 not evaluated; significance at 0.05)."
    )
    assert said[3].startswith("RQ3: \u201cthe share of models with card data has not increased")
    assert said[3].endswith("n = 24. Verdict: contradicted.")
    assert said[4].endswith("On this run's data: not evaluated: no coded topics (this run has no "
                            "taxonomy counts).")  # fmt: skip


def test_synthetic_sentences_say_so(tmp_path):
    said = _sentences(tmp_path, synthetic=True)
    assert said[0].startswith("These verdicts are about SYNTHETIC demo data")
    assert all("on the synthetic demo data" in s.lower() for s in said[1:])


@pytest.mark.workflow
def test_paper_run_claims_equal_the_reproduction_table(paper_run):
    got = pd.read_parquet(paper_run / "results/stats/claims.parquet")
    assert got["claim_id"].tolist() == IDS
    reproduction = pd.read_csv(paper_run / "results/stats/reproduction.csv")
    assert list(reproduction.columns) == REPRODUCTION_COLUMNS
    pd.testing.assert_frame_equal(reproduction_rows(got), reproduction, check_dtype=False)
    csv = pd.read_csv(paper_run / "results/stats/claims.csv")
    assert csv["verdict"].tolist() == got["verdict"].tolist()
    assert got["verdict"].tolist() == ["supported", "supported", "inconclusive"] + [
        "inconclusive",  # 106 vs 88 instances: p = 0.22
        "supported",  # 262 vs 141
    ]
    assert "the authors' published counts" in got.loc[3, "computed_value"]


@pytest.mark.workflow
def test_demo_report_opens_with_the_claims_and_their_caveat(demo_run):
    got = pd.read_parquet(demo_run / "results/stats/claims.parquet")
    assert got["claim_id"].tolist() == IDS and NOT_EVALUATED not in got["verdict"].tolist()
    html = (demo_run / "results/report.html").read_text(encoding="utf-8")
    first = html.split('<section id="', 2)[1]
    assert first.startswith('claims"><h2>Do the paper&#39;s findings hold?')
    assert "These verdicts are about SYNTHETIC demo data" in first
    assert 'id="table-results-stats-claims-parquet"' in first
    assert "results-stats-claims-csv" not in html.split('id="dictionary"')[0]  # shown once
