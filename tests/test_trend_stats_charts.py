"""RQ3 charts: forum mentions over time, forum vs Hub totals (specs of hand-made tables)."""

from __future__ import annotations

import pandas as pd
from hfreuse.charts import SYNTHETIC_NOTE, top_by
from hfreuse.rq3.charts import build_forum_mentions, build_forum_vs_hub
from vega import leaves, mark, rows


def _monthly():
    rows = []
    for t, series in {
        "bert": [5, 4, 3],
        "gpt2": [1, 2, 6],
        "t5": [1, 1, 1],
        "led": [0, 0, 0],
    }.items():
        for m, v in zip(["2023-04", "2023-05", "2023-06"], series, strict=True):
            rows.append((t, m, v, m == "2023-06"))
    df = pd.DataFrame(rows, columns=["model_type", "month", "topics", "partial_month"])
    return df.astype({"model_type": "string", "month": "string"})


def test_top_by_topics_ties_and_zero_totals():
    assert top_by(_monthly(), "topics", 2) == ["bert", "gpt2"]  # 12 vs 9
    assert top_by(_monthly(), "topics", 10) == ["bert", "gpt2", "t5"]  # never mentioned: left out


def _totals():
    """Totals for the RQ3 model types: Hub models rank gpt2 > bert > t5, forum topics bert first."""
    return pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "t5", "led"],
            "forum_topics": [12, 9, 3, 0],
            "hub_models": [50, 80, 10, 5],
        }
    )


def test_build_forum_mentions_spec():
    spec = build_forum_mentions(
        _monthly(), _totals(), top_n=2, width=500, height=200, synthetic=True
    ).to_dict()
    assert spec["width"] == 500 and spec["height"] == 200
    assert spec["title"]["subtitle"][0] == SYNTHETIC_NOTE
    line = next(layer for layer in leaves(spec) if mark(layer) == "line")
    data = rows(spec, line)
    assert {d["model_type"] for d in data} == {"bert", "gpt2"}
    assert line["encoding"]["y"]["field"] == "topics"
    assert line["encoding"]["y"]["axis"]["format"] == ",d"
    # the partial month on the marks: dashed segment into it, hollow point, shaded band
    assert line["encoding"]["strokeDash"]["field"] == "segment"
    dashed = sorted((d["model_type"], d["month"]) for d in data if d["segment"] == "partial month")
    assert dashed == [
        ("bert", "2023-05"),
        ("bert", "2023-06"),
        ("gpt2", "2023-05"),
        ("gpt2", "2023-06"),
    ]
    band = next(layer for layer in leaves(spec) if mark(layer) == "rect")
    assert [d["month"] for d in rows(spec, band)] == ["2023-06"]
    hollow = [layer for layer in leaves(spec) if mark(layer) == "point"]
    assert hollow and hollow[0]["mark"]["filled"] is False


def test_build_forum_mentions_without_partial_month():
    monthly = _monthly().assign(partial_month=False)
    spec = build_forum_mentions(monthly, _totals(), synthetic=False).to_dict()
    assert [mark(layer) for layer in leaves(spec)] == ["line", "circle"]
    assert SYNTHETIC_NOTE not in spec["title"]["subtitle"]


def _scatter_inputs():
    totals = pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "t5", "led", "xlm"],
            "in_forum": True,
            "in_hub": True,
            "forum_topics": [100, 50, 20, 1, 0],
            "hub_models": [1000, 800, 10, 5, 3],
            "in_correlation": [True, True, True, True, False],
        }
    ).astype({"model_type": "string"})
    corr = pd.DataFrame(
        {
            "scope": ["all", "major"],
            "n_models": [4, 3],
            "rho": [0.8, 0.5],
            "p_value": [0.2, 0.67],
            "n_months": [3, 3],
            "first_month": ["2023-04"] * 2,
            "last_month": ["2023-06"] * 2,
        }
    )
    return totals, corr


def test_build_forum_vs_hub_spec():
    totals, corr = _scatter_inputs()
    spec = build_forum_vs_hub(totals, corr, top_n=1).to_dict()
    points, *labels = spec["layer"]
    assert points["encoding"]["x"]["scale"]["type"] == "log"
    assert points["encoding"]["y"]["scale"]["type"] == "log"
    data = rows(spec, points)
    assert sorted(d["model_type"] for d in data) == ["bert", "gpt2", "led", "t5"]  # no zero
    labelled = [d["model_type"] for layer in labels for d in rows(spec, layer)]
    assert labelled == ["bert"]  # top by both
    assert all(layer["encoding"]["text"]["field"] == "model_type" for layer in labels)
    assert any("rho = 0.8" in s and "n = 4" in s for s in spec["title"]["subtitle"])
    # the log axes fit the data: less than a decade of margin either side
    lo, hi = points["encoding"]["x"]["scale"]["domain"]
    assert 1 < lo < 5 and 1000 < hi < 10000
    lo, hi = points["encoding"]["y"]["scale"]["domain"]
    assert 0.1 < lo < 1 and 100 < hi < 1000


def test_forum_vs_hub_labels_never_overprint():
    """Points close together: each label drawn is clear of the others and of every point; a
    label with no free place is left out and named in the notes."""
    names = [f"type{i}" for i in range(12)]
    totals = pd.DataFrame(
        {
            "model_type": names,
            "forum_topics": [100 + i for i in range(12)],
            "hub_models": [1000 + 2 * i for i in range(12)],
            "in_correlation": True,
        }
    )
    corr = pd.DataFrame({"scope": ["all"], "n_models": [2]})
    spec = build_forum_vs_hub(totals, corr, top_n=12, width=300, height=200).to_dict()
    placed = [
        (d["model_type"], layer["mark"]) for layer in spec["layer"][1:] for d in rows(spec, layer)
    ]
    assert 1 <= len(placed) < 12  # twelve labels cannot fit on one spot
    dropped = next(s for s in spec["title"]["subtitle"] if s.startswith("Unlabelled"))
    assert all(n in dropped for n in names if n not in {p[0] for p in placed})
