"""RQ3 statistics, each against a case computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hfreuse.errors import InputError
from hfreuse.rq3.stats import (
    benjamini_hochberg,
    card_share_trend,
    declining_rising,
    mann_kendall,
    model_totals,
    model_trends,
    monthly_correlations,
    monthly_series,
    shared_months,
    spearman,
    totals_correlation,
)


def test_mann_kendall_by_hand():
    # x = 1 3 2 5 4: of the 10 pairs, 8 rise and 2 fall: S = 6
    # Var(S) = n(n-1)(2n+5)/18 = 5*4*15/18; z = (S-1)/sqrt(Var); tau = S/10
    # Sen's slope: median of the 10 pairwise slopes -1 -1 1/3 1/2 3/4 1 1 4/3 2 3 = 0.875
    mk = mann_kendall([1, 3, 2, 5, 4])
    assert mk["s"] == 6
    assert mk["var_s"] == pytest.approx(300 / 18)
    assert mk["z"] == pytest.approx(5 / math.sqrt(300 / 18))
    assert mk["p"] == pytest.approx(0.220671, abs=1e-6)  # 2 * (1 - Phi(1.2247))
    assert mk["tau"] == pytest.approx(0.6)
    assert mk["sen_slope"] == pytest.approx(0.875)


def test_mann_kendall_ties_and_degenerate_series():
    # x = 1 1 2: S = 0 + 1 + 1 = 2; one tie group of 2: Var = (3*2*11 - 2*1*9)/18 = 48/18
    mk = mann_kendall([1, 1, 2])
    assert mk["s"] == 2 and mk["var_s"] == pytest.approx(48 / 18)
    assert mk["z"] == pytest.approx(1 / math.sqrt(48 / 18))
    assert mk["p"] == pytest.approx(0.540291, abs=1e-6)
    falling = mann_kendall([5, 4, 3, 2, 1])
    assert falling["s"] == -10 and falling["tau"] == -1 and falling["sen_slope"] == -1
    assert math.isnan(mann_kendall([2, 2, 2, 2])["p"])  # constant: no test
    assert math.isnan(mann_kendall([1, 2])["p"])  # too short


def test_benjamini_hochberg_by_hand():
    # sorted p 0.01 0.03 0.04 0.20, m = 4: p*m/rank = 0.04 0.06 0.0533 0.20,
    # then the running minimum from the largest: 0.04 0.0533 0.0533 0.20
    got = benjamini_hochberg([0.01, 0.04, 0.03, 0.20])
    assert got == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    with_nan = benjamini_hochberg([0.01, float("nan"), 0.04])
    assert with_nan[0] == pytest.approx(0.02) and math.isnan(with_nan[1])
    assert with_nan[2] == pytest.approx(0.04)
    assert benjamini_hochberg([0.9, 0.95]).max() <= 1.0


def test_spearman_by_hand():
    # ranks 1..5 vs 2 1 4 3 5: sum d^2 = 4, rho = 1 - 6*4/(5*24) = 0.8;
    # t = rho*sqrt((n-2)/(1-rho^2)) = 2.3094 with 3 df: two-sided p = 0.1041
    rho, p, n = spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    assert (rho, n) == (pytest.approx(0.8), 5)
    assert p == pytest.approx(0.104088, abs=1e-5)
    rho, p, n = spearman([1, 2, 3], [4, 4, 4])
    assert math.isnan(rho) and math.isnan(p) and n == 3


def _forum(rows):
    df = pd.DataFrame(rows, columns=["model_type", "month", "topics", "partial_month"])
    return df.astype({"model_type": "string", "month": "string", "topics": "int64"})


def _hub(rows):
    df = pd.DataFrame(
        rows, columns=["model_type", "month", "models", "models_floored", "partial_month"]
    )
    return df.astype(
        {"model_type": "string", "month": "string", "models": "int64", "models_floored": "Int64"}
    )


def test_shared_months_drop_partial_and_floored_months():
    forum = _forum(
        [
            ("bert", m, 1, m == "2022-06")
            for m in ("2022-02", "2022-03", "2022-04", "2022-05", "2022-06")
        ]
    )
    hub = _hub(
        [
            ("bert", "2022-03", 9, 7, False),  # holds floored creation dates
            ("bert", "2022-04", 1, 0, False),
            ("bert", "2022-05", 1, 0, False),
            ("bert", "2022-06", 1, 0, False),
            ("bert", "2022-07", 1, 0, True),
        ]
    )
    assert shared_months(forum, hub) == ["2022-04", "2022-05"]
    assert shared_months(forum, hub, False, False) == ["2022-03", "2022-04", "2022-05", "2022-06"]
    # paper source: models_floored unknown (null) -> nothing to drop
    hub_paper = hub.assign(models_floored=pd.array([pd.NA] * 5, dtype="Int64"))
    assert shared_months(forum, hub_paper, exclude_partial_months=False) == [
        "2022-03",
        "2022-04",
        "2022-05",
        "2022-06",
    ]
    with pytest.raises(InputError, match="forum mentions table"):
        shared_months(forum.drop(columns=["topics"]), hub)


MONTHS = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05"]


def _tables():
    """Four model types over five months; totals forum 10 20 30 5 and hub 100 300 200 50."""
    forum_series = {
        "a": [4, 3, 2, 1, 0],  # falling
        "b": [2, 3, 4, 5, 6],  # rising
        "c": [6, 6, 6, 6, 6],  # flat
        "d": [1, 1, 1, 1, 1],
    }
    hub_series = {
        "a": [10, 15, 20, 25, 30],  # rising
        "b": [20, 40, 60, 80, 100],
        "c": [40, 40, 40, 40, 40],
        "d": [10, 10, 10, 10, 10],
    }
    forum = _forum(
        [(t, m, v, False) for t, s in forum_series.items() for m, v in zip(MONTHS, s, strict=True)]
    )
    hub = _hub(
        [(t, m, v, 0, False) for t, s in hub_series.items() for m, v in zip(MONTHS, s, strict=True)]
    )
    # a type only on the Hub and one only in the forum
    hub = pd.concat([hub, _hub([("e", m, 1, 0, False) for m in MONTHS])], ignore_index=True)
    forum = pd.concat([forum, _forum([("f", m, 1, False) for m in MONTHS])], ignore_index=True)
    return forum, hub


def test_totals_correlation_by_hand():
    forum, hub = _tables()
    totals = model_totals(forum, hub, MONTHS)
    got = totals.set_index("model_type")
    assert got.loc["a", ["forum_topics", "hub_models"]].tolist() == [10, 100]
    assert got.loc["c", ["forum_topics", "hub_models"]].tolist() == [30, 200]
    assert not got.loc["e", "in_correlation"] and not got.loc["f", "in_correlation"]
    # forum 10 20 30 5 -> ranks 2 3 4 1; hub 100 300 200 50 -> ranks 2 4 3 1;
    # sum d^2 = 2, rho = 1 - 6*2/(4*15) = 0.8; t = 0.8*sqrt(2/0.36) with 2 df: p = 0.2 exactly
    corr = totals_correlation(totals, MONTHS, major_models=3).set_index("scope")
    assert corr.loc["all", "rho"] == pytest.approx(0.8)
    assert corr.loc["all", "p_value"] == pytest.approx(0.2)
    assert corr.loc["all", "n_models"] == 4 and corr.loc["all", "n_months"] == 5
    assert corr.loc["all", "models"] == "a, b, c, d"
    # major: the 3 with most Hub models (b, c, a): forum 20 30 10 vs hub 300 200 100 -> rho 0.5
    assert corr.loc["major", "models"] == "a, b, c"
    assert corr.loc["major", "rho"] == pytest.approx(0.5)
    # min_topics 11 leaves out a (10) and d (5): two types, too few for a correlation
    few = totals_correlation(model_totals(forum, hub, MONTHS, min_topics=11), MONTHS)
    assert few.loc[0, "n_models"] == 2 and math.isnan(few.loc[0, "rho"])


def test_monthly_correlations_by_hand():
    forum, hub = _tables()
    totals = model_totals(forum, hub, MONTHS)
    out = monthly_correlations(monthly_series(forum, hub, MONTHS, totals, min_total=5)).set_index(
        "model_type"
    )
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out.loc["a", "rho"] == pytest.approx(-1.0)  # falling topics, rising uploads
    assert out.loc["b", "rho"] == pytest.approx(1.0)
    assert math.isnan(out.loc["c", "rho"])  # constant series: no correlation, not in BH
    # rho = +-1 with n = 5: p = 0 for both, BH-adjusted 0
    assert out.loc["a", "p_adjusted"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc["a", "significant"] and not out.loc["c", "significant"]
    # min_total filters on both sources: d has 5 topics
    assert (
        "d"
        not in monthly_correlations(monthly_series(forum, hub, MONTHS, totals, min_total=6))[
            "model_type"
        ].tolist()
    )


def test_model_trends_and_declining_rising():
    forum, hub = _tables()
    totals = model_totals(forum, hub, MONTHS)
    trends = model_trends(monthly_series(forum, hub, MONTHS, totals, min_total=5), alpha=0.05)
    t = trends.set_index(["model_type", "source"])
    # a strictly falling series of 5: S = -10, Var = 5*4*15/18, z = -9/sqrt(16.67) = -2.2045,
    # p = 0.02749; BH over the forum series a, b (p 0.02749 each; c, d constant) stays 0.02749
    assert t.loc[("a", "forum"), "mk_tau"] == -1
    assert t.loc[("a", "forum"), "mk_p"] == pytest.approx(0.027486, abs=1e-5)
    assert t.loc[("a", "forum"), "mk_p_adjusted"] == pytest.approx(0.027486, abs=1e-5)
    assert t.loc[("a", "forum"), "direction"] == "declining"
    assert t.loc[("a", "forum"), "sen_slope"] == -1
    assert t.loc[("a", "hub"), "direction"] == "rising"
    assert t.loc[("a", "hub"), "spearman_time_rho"] == pytest.approx(1.0)
    assert t.loc[("c", "forum"), "direction"] == "no trend"
    dr = declining_rising(trends)
    assert dr["model_type"].tolist() == ["a"]
    assert dr.loc[0, ["forum_topics", "hub_models"]].tolist() == [10, 100]
    # with a stricter alpha nothing is significant
    strict = model_trends(monthly_series(forum, hub, MONTHS, totals, min_total=5), alpha=0.01)
    assert declining_rising(strict).empty


def _card(shares, partial_last=False, floor_month=None, floored=0):
    months = [f"2022-{m:02d}" for m in range(1, len(shares) + 1)]
    return pd.DataFrame(
        {
            "month": pd.array(months, dtype="string"),
            "models": [100] * len(shares),
            "models_with_card_data": [round(s * 100) for s in shares],
            "share": shares,
            "models_floored": pd.array(
                [floored if m == floor_month else 0 for m in months], dtype="Int64"
            ),
            "floor_month": [m == floor_month for m in months],
            "partial_month": [partial_last and i == len(shares) - 1 for i in range(len(shares))],
        }
    )


def test_card_share_trend_by_hand():
    # months 2022-01..05 with shares .5 .6 .4 | .7 .8, split at 2022-04:
    # Mann-Whitney U(after > before) = 6 of 6 pairs, exact one-sided p = 1/C(5,2) = 0.1
    # Mann-Kendall of .5 .6 .4 .7 .8: pairs rising 8, falling 2: S = 6, p = 0.2207
    out = card_share_trend(_card([0.5, 0.6, 0.4, 0.7, 0.8]), "2022-04").set_index("test")
    mk, mw = out.loc["mann_kendall"], out.loc["mann_whitney"]
    assert mk["statistic"] == 6 and mk["tau"] == pytest.approx(0.6)
    assert mk["p_value"] == pytest.approx(0.220671, abs=1e-6) and not mk["increase"]
    assert mw["statistic"] == 6 and mw["p_value"] == pytest.approx(0.1)
    assert (mw["n_before"], mw["n_after"]) == (3, 2)
    assert mw["median_before"] == pytest.approx(0.5) and mw["median_after"] == pytest.approx(0.75)
    assert mk["n_months"] == 5 and mk["first_month"] == "2022-01"


def test_card_share_trend_leaves_out_partial_and_floor_months():
    card = _card([0.9, 0.5, 0.6, 0.4, 0.7, 0.8, 0.1], True, "2022-01", floored=5)
    out = card_share_trend(card, "2022-05").set_index("test")
    assert out.loc["mann_kendall", "first_month"] == "2022-02"
    assert out.loc["mann_kendall", "last_month"] == "2022-06"
    assert out.loc["mann_kendall", "statistic"] == 6  # the same five months as above
    kept = card_share_trend(card, "2022-05", False, False).set_index("test")
    assert kept.loc["mann_kendall", "n_months"] == 7
    # a steadily rising share is an increase
    rising = card_share_trend(_card([0.1 * i for i in range(1, 10)]), "2022-06")
    assert rising.set_index("test").loc["mann_kendall", "increase"]


def test_card_share_trend_leaves_out_months_of_few_models():
    """Issue 19 item 5: on true dates the early months hold 1-4 models each; weighed like months
    of 26,000 models they made a flat share look like a significant increase."""
    rng = np.random.default_rng(5)
    early = [1, 2, 4, 3, 1, 2, 4, 1, 3, 2, 1, 4]  # models a month, shares 0 or 0.25..0.5
    big = [26000] * 24
    models = early + big
    with_card = [0, 0, 1, 1, 0, 1, 2, 0, 1, 1, 0, 1] + [
        int(26000 * (0.55 + rng.normal(0, 0.01))) for _ in big
    ]
    months = [f"{2019 + i // 12}-{i % 12 + 1:02d}" for i in range(len(models))]
    card = pd.DataFrame(
        {
            "month": pd.array(months, dtype="string"),
            "models": models,
            "models_with_card_data": with_card,
            "share": np.array(with_card) / np.array(models),
            "models_floored": pd.array([0] * len(models), dtype="Int64"),
            "floor_month": False,
            "partial_month": False,
        }
    )
    unguarded = card_share_trend(card, "2020-12", min_models_per_month=1).set_index("test")
    assert unguarded.loc["mann_kendall", "increase"]  # the artefact
    assert unguarded.loc["mann_kendall", "p_value"] < 1e-3
    out = card_share_trend(card, "2020-12").set_index("test")  # the schema's default
    mk = out.loc["mann_kendall"]
    assert not mk["increase"] and mk["p_value"] > 0.05
    assert (mk["n_months"], mk["n_months_few_models"], mk["first_month"]) == (24, 12, "2020-01")
    assert out.loc["mann_whitney", "n_months_few_models"] == 12
    assert out.loc["mann_whitney", "min_models_per_month"] == 30
    # the partial and floor months are left out first, and not counted as few-model months
    card.loc[0, "partial_month"] = True
    assert card_share_trend(card, "2020-12").loc[0, "n_months_few_models"] == 11
    card.loc[len(card) - 1, "partial_month"] = True
    assert card_share_trend(card, "2020-12").loc[
        0, ["n_months", "n_months_few_models"]
    ].tolist() == [23, 11]


def test_min_models_per_month_is_a_documented_setting():
    import yaml
    from conftest import ROOT
    from hfreuse.rq3.sensitivity import StatsSettings
    from hfreuse.rq3.stats import MIN_MODELS_PER_MONTH

    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    key = schema["properties"]["stats"]["properties"]["min_models_per_month"]
    assert key["default"] == MIN_MODELS_PER_MONTH == StatsSettings().min_models_per_month
    assert "stats.min_models_per_month" in (ROOT / "config/README.md").read_text()
    assert (
        'config["stats"]["min_models_per_month"]' in (ROOT / "workflow/rules/stats.smk").read_text()
    )


def test_statistics_have_fixed_dtypes():
    forum, hub = _tables()
    totals = model_totals(forum, hub, MONTHS)
    for df in (
        totals,
        totals_correlation(totals, MONTHS),
        monthly_correlations(monthly_series(forum, hub, MONTHS, totals, 5)),
        model_trends(monthly_series(forum, hub, MONTHS, totals, 5)),
        card_share_trend(_card([0.5, 0.6]), "2022-02"),
    ):
        assert not any(dt == np.dtype("O") for dt in df.dtypes), df.dtypes
