"""Words and figures follow the run's tables (issue 19 item 4): a figure without data says so,
a short month axis does not repeat a month, the forum is named by what was crawled."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from hfreuse.charts import NO_DATA, save_chart
from hfreuse.hub.charts import build_hub_model_types
from hfreuse.rq3.charts import build_forum_vs_hub

pytestmark = pytest.mark.unit


def monthly_hub(months: list[str]) -> pd.DataFrame:
    rows = [
        {
            "model_type": t,
            "month": m,
            "models": 3 + i + j,
            "models_floored": 0,
            "partial_month": False,
            "models_api": 3 + i + j,
        }
        for i, t in enumerate(["bert", "gpt2"])
        for j, m in enumerate(months)
    ]
    return pd.DataFrame(rows)


def totals(forum: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_type": ["bert", "gpt2"],
            "hub_models": [10, 20],
            "forum_topics": forum,
            "in_correlation": [f > 0 for f in forum],
        }
    )


def correlation(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope": ["all", "major"],
            "n_models": [n, n],
            "rho": [float("nan")] * 2,
            "p_value": [float("nan")] * 2,
            "n_months": [12, 12],
            "first_month": ["2023-01"] * 2,
            "last_month": ["2023-12"] * 2,
            "models": [""] * 2,
        }
    )


def save(chart, tmp_path, style="report"):
    files = {k: str(tmp_path / f"fig.{k}") for k in ("html", "svg", "png")}
    files["spec"] = str(tmp_path / "fig.json")
    extra = {}
    if style == "paper":
        extra = {"pdf": str(tmp_path / "fig.pdf"), "caption": str(tmp_path / "fig.txt")}
    save_chart(chart, **files, **extra, style=style)
    return json.loads((tmp_path / "fig.json").read_text()), (tmp_path / "fig.svg").read_text()


def test_a_figure_without_data_says_so_instead_of_drawing_empty_axes(tmp_path):
    """forum_vs_hub with no model type in both series (n = 0)."""
    chart = build_forum_vs_hub(totals([0, 0]), correlation(0), width=300, height=200)
    spec, svg = save(chart, tmp_path, style="paper")
    assert spec["usermeta"]["no_data"] is True
    assert NO_DATA in svg and '<g class="mark-symbol' not in svg
    assert "role-axis" not in svg  # no empty axes
    assert NO_DATA in (tmp_path / "fig.txt").read_text()  # the caption file says it too
    assert spec["usermeta"]["title"]  # the figure keeps its title


def test_a_figure_with_data_is_drawn_as_before(tmp_path):
    chart = build_forum_vs_hub(totals([4, 9]), correlation(2), width=300, height=200)
    spec, svg = save(chart, tmp_path)
    assert "no_data" not in spec["usermeta"] and NO_DATA not in svg


def axis_labels(svg: str) -> list[str]:
    return re.findall(r">(\d{4}-\d{2})</text>", svg)


@pytest.mark.parametrize("n_months", [2, 3, 5, 9, 14])
def test_a_short_month_axis_labels_each_month_once(tmp_path, n_months):
    months = [str(p) for p in pd.period_range("2023-11", periods=n_months, freq="M")]
    chart = build_hub_model_types(monthly_hub(months), totals([1, 1]), width=640, height=200)
    _, svg = save(chart, tmp_path)
    labels = axis_labels(svg)
    assert labels and len(labels) == len(set(labels)), labels
    assert set(labels) <= set(months)


def test_a_long_month_axis_is_left_to_vega(tmp_path):
    months = [str(p) for p in pd.period_range("2019-01", periods=60, freq="M")]
    chart = build_hub_model_types(monthly_hub(months), totals([1, 1]), width=640, height=200)
    spec = chart.to_dict()
    assert "tickCount" not in json.dumps(spec)
