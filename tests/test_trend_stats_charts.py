"""RQ3 charts: forum mentions over time, forum vs Hub totals (specs of hand-made tables)."""

from __future__ import annotations

import pandas as pd
from hfreuse.charts import SYNTHETIC_NOTE
from hfreuse.rq3.charts import build_forum_mentions, build_forum_vs_hub, top_mentioned


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


def _data(spec, layer):
    return (
        spec["datasets"][layer["data"]["name"]]
        if "data" in layer
        else spec["datasets"][spec["data"]["name"]]
    )


def test_top_mentioned_ties_and_zero_totals():
    assert top_mentioned(_monthly(), 2) == ["bert", "gpt2"]  # 12 vs 9
    assert top_mentioned(_monthly(), 10) == ["bert", "gpt2", "t5"]  # never mentioned: left out


def test_build_forum_mentions_spec():
    spec = build_forum_mentions(
        _monthly(), top_n=2, width=500, height=200, synthetic=True
    ).to_dict()
    assert spec["width"] == 500 and spec["height"] == 200
    assert spec["title"]["subtitle"][0] == SYNTHETIC_NOTE
    assert any("2023-06: partial month" in s for s in spec["title"]["subtitle"])
    lines, partial = spec["layer"]
    data = _data(spec, lines)
    assert {d["model_type"] for d in data} == {"bert", "gpt2"}
    assert lines["encoding"]["y"]["field"] == "topics"
    assert partial["mark"]["type"] == "point"  # the partial month is circled
    assert partial["transform"][0]["filter"] == "(datum.partial === 'partial month')"


def test_build_forum_mentions_without_partial_month():
    monthly = _monthly().assign(partial_month=False)
    spec = build_forum_mentions(monthly, synthetic=False).to_dict()
    assert len(spec["layer"]) == 1
    assert SYNTHETIC_NOTE not in spec["title"]["subtitle"]


def test_build_forum_vs_hub_spec():
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
    spec = build_forum_vs_hub(totals, corr, top_n=1).to_dict()
    points, labels = spec["layer"]
    assert points["encoding"]["x"]["scale"]["type"] == "log"
    assert points["encoding"]["y"]["scale"]["type"] == "log"
    data = _data(spec, points)
    assert sorted(d["model_type"] for d in data) == ["bert", "gpt2", "led", "t5"]  # no zero
    assert {d["model_type"]: d["label"] for d in data}["bert"] == "bert"  # top by both
    assert {d["label"] for d in data} == {"bert", ""}
    assert labels["encoding"]["text"]["field"] == "label"
    assert any("rho = 0.80" in s and "n = 4" in s for s in spec["title"]["subtitle"])
