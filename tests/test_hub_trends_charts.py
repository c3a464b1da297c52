"""Monthly Hub trends and their charts, on hand-made tables with hand-computed results."""

from __future__ import annotations

import pandas as pd
import pytest
from hfreuse.charts import SYNTHETIC_NOTE, top_by
from hfreuse.hub.charts import build_card_share, build_hub_model_types
from hfreuse.hub.trends import CreationWindow, card_share_monthly, model_types_monthly, month_range
from vega import leaves, mark, rows


def _models(rows):
    df = pd.DataFrame(rows, columns=["model_type", "created_at", "has_card_data"])
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    df["created_at_floored"] = df["created_at"] == pd.Timestamp("2022-03-02T23:29:04Z")
    return df


MODELS = _models(
    [
        ("bert", "2022-03-02T23:29:04Z", True),  # floored
        ("bert", "2022-03-02T23:29:04Z", False),  # floored
        ("bert", "2022-03-20T10:00:00Z", True),
        ("gpt2", "2022-05-01T00:00:00Z", False),
        (None, "2022-05-31T23:59:59Z", True),  # no config: counted in card share only
        ("bert", "2022-06-03T00:00:00Z", False),  # last (partial) month
    ]
)


def test_month_range():
    assert month_range("2021-11", "2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert month_range("2022-02", "2021-11") == []


def test_model_types_monthly_full_grid():
    out = model_types_monthly(MODELS)
    assert list(out.columns) == ["model_type", "month", "models", "models_floored", "partial_month"]
    assert len(out) == 2 * 4  # 2 types x 2022-03..2022-06
    got = {(r.model_type, r.month): (r.models, r.models_floored) for r in out.itertuples()}
    assert got[("bert", "2022-03")] == (3, 2)
    assert got[("bert", "2022-04")] == (0, 0)  # empty months are 0, not missing
    assert got[("gpt2", "2022-05")] == (1, 0)
    assert got[("bert", "2022-06")] == (1, 0)
    assert out.loc[out["partial_month"], "month"].unique().tolist() == ["2022-06"]
    assert str(out["models"].dtype) == "int64" and str(out["models_floored"].dtype) == "Int64"


def test_model_types_monthly_exclude_floored_and_window():
    out = model_types_monthly(
        MODELS, CreationWindow(floored_models="exclude", start_month="2022-04")
    )
    got = {(r.model_type, r.month): r.models for r in out.itertuples()}
    assert got == {
        ("bert", "2022-04"): 0,
        ("bert", "2022-05"): 0,
        ("bert", "2022-06"): 1,
        ("gpt2", "2022-04"): 0,
        ("gpt2", "2022-05"): 1,
        ("gpt2", "2022-06"): 0,
    }
    with pytest.raises(ValueError, match="floored_models"):
        model_types_monthly(MODELS, CreationWindow(floored_models="drop"))


def test_card_share_monthly():
    out = card_share_monthly(MODELS)
    rows = {r.month: r for r in out.itertuples()}
    assert (rows["2022-03"].models, rows["2022-03"].models_with_card_data) == (3, 2)
    assert rows["2022-03"].share == pytest.approx(2 / 3)
    assert rows["2022-03"].floor_month and not rows["2022-05"].floor_month
    assert rows["2022-04"].models == 0 and pd.isna(rows["2022-04"].share)
    assert rows["2022-05"].share == pytest.approx(0.5)
    assert rows["2022-06"].partial_month


def test_top_by_models_breaks_ties_by_name():
    monthly = model_types_monthly(MODELS)
    assert top_by(monthly, "models", 1) == ["bert"]
    assert top_by(monthly, "models", 5) == ["bert", "gpt2"]


def totals(**hub):
    """A model_totals table: Hub models as given, forum topics in the reverse order."""
    names = sorted(hub)
    return pd.DataFrame(
        {
            "model_type": names,
            "hub_models": [hub[n] for n in names],
            "forum_topics": [100 - hub[n] for n in names],
        }
    )


def test_build_hub_model_types_spec():
    monthly = model_types_monthly(MODELS)
    spec = build_hub_model_types(
        monthly, totals(bert=3, gpt2=1), top_n=1, width=500, height=200, synthetic=True
    ).to_dict()
    assert spec["width"] == 500 and spec["height"] == 200
    assert spec["title"]["subtitle"][0] == SYNTHETIC_NOTE
    assert any("2 models" in s and "floor" in s for s in spec["title"]["subtitle"])
    line = next(layer for layer in leaves(spec) if mark(layer) == "line")
    data = rows(spec, line)
    assert {d["model_type"] for d in data} == {"bert"}
    march = [d for d in data if d["month"] == "2022-03"]
    assert march[0]["models"] == 1  # 3 created, 2 of them floored and left out
    assert line["encoding"]["x"]["field"] == "month"
    # the counts axis has whole-number ticks only
    assert line["encoding"]["y"]["axis"]["format"] == ",d"
    assert line["encoding"]["y"]["axis"]["tickMinStep"] == 1
    # the partial month is on the mark: a dashed segment from the last full month into it
    dashed = [d for d in data if d["segment"] == "partial month"]
    assert [d["month"] for d in dashed] == ["2022-05", "2022-06"]
    # the floor month is marked with a rule
    assert any(mark(layer) == "rule" for layer in leaves(spec))


def test_hub_model_types_are_chosen_by_the_config_rule():
    """The RQ3 model types come from the totals table, by Hub models or by forum topics."""
    monthly = model_types_monthly(MODELS)
    t = totals(bert=3, gpt2=5)
    for rank_by, want in (("hub", {"gpt2"}), ("forum", {"bert"})):
        spec = build_hub_model_types(monthly, t, rank_by, top_n=1).to_dict()
        line = next(layer for layer in leaves(spec) if mark(layer) == "line")
        assert {d["model_type"] for d in rows(spec, line)} == want
    with pytest.raises(ValueError, match="model_types_by"):
        build_hub_model_types(monthly, t, "likes")


def test_build_card_share_spec_not_synthetic():
    spec = build_card_share(card_share_monthly(MODELS), synthetic=False).to_dict()
    assert SYNTHETIC_NOTE not in spec["title"]["subtitle"]
    line = next(layer for layer in leaves(spec) if mark(layer) == "line")
    assert line["encoding"]["y"]["field"] == "share"
    assert line["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_floor_marker_and_partial_month_follow_the_data():
    monthly = card_share_monthly(MODELS)
    spec = build_card_share(monthly).to_dict()
    marks = [mark(layer) for layer in leaves(spec)]
    assert "rule" in marks  # floored models present: the floor month is marked
    # the partial month: shaded and labelled on the chart, its point hollow
    band = next(layer for layer in leaves(spec) if mark(layer) == "rect")
    assert [d["month"] for d in rows(spec, band)] == ["2022-06"]
    assert any(mark(layer) == "point" for layer in leaves(spec))
    # the paper's package: first-commit dates, no floored models, no partial month
    paper = monthly.assign(models_floored=pd.NA, partial_month=False)
    marks = [mark(layer) for layer in leaves(build_card_share(paper).to_dict())]
    assert "rule" not in marks and "rect" not in marks and "point" not in marks


def test_hub_figures_draw_the_api_dated_series_faintly_where_it_differs():
    """Trends on true creation dates (issue 12): the corrected series sets the scale, the series
    by the API's createdAt (its floor spike) is drawn faintly and clipped, and the card share
    marks the months where the API's dates give another share; none of it when both agree."""
    monthly = pd.DataFrame(
        {
            "model_type": ["bert"] * 3,
            "month": ["2022-02", "2022-03", "2022-04"],
            "models": [4, 2, 3],
            "models_floored": pd.array([0, 0, 0], dtype="Int64"),
            "partial_month": [False] * 3,
            "models_api": pd.array([0, 6, 3], dtype="Int64"),  # the 4 of 2022-02 at the floor
        }
    )
    spec = build_hub_model_types(monthly, totals(bert=9), top_n=1).to_dict()
    lines = [layer for layer in leaves(spec) if mark(layer) == "line"]
    faint = [layer for layer in lines if layer["encoding"]["y"]["field"] == "models_api"]
    assert len(faint) == 1 and faint[0]["mark"]["opacity"] < 0.5 and faint[0]["mark"]["clip"]
    assert [d["models_api"] for d in rows(spec, faint[0])] == [0, 6, 3]
    main = next(layer for layer in lines if layer["encoding"]["y"]["field"] == "models")
    assert main["encoding"]["y"]["scale"]["domain"] == [0, 4]  # the corrected series' top
    assert any("6 of these models dated 2022-03" in s for s in spec["title"]["subtitle"])
    assert "legend" not in faint[0]["encoding"]["color"]  # the legend is the corrected one's
    same = monthly.assign(models_api=monthly["models"].astype("Int64"))
    spec = build_hub_model_types(same, totals(bert=9), top_n=1).to_dict()
    assert all(layer["encoding"]["y"]["field"] != "models_api" for layer in leaves(spec))

    share = pd.DataFrame(
        {
            "month": ["2022-02", "2022-03", "2022-04"],
            "models": [4, 2, 3],
            "models_with_card_data": [2, 1, 3],
            "share": [0.5, 0.5, 1.0],
            "models_floored": pd.array([0, 0, 0], dtype="Int64"),
            "floor_month": [False, True, False],
            "partial_month": [False] * 3,
            "models_api": pd.array([0, 6, 3], dtype="Int64"),
            "share_api": [None, 0.5 / 1.5, 1.0],  # 3 of 6 at the floor month (rounded below)
        }
    )
    spec = build_card_share(share).to_dict()
    (diamond,) = [layer for layer in leaves(spec) if layer["encoding"]["y"]["field"] == "share_api"]
    assert [d["month"] for d in rows(spec, diamond)] == ["2022-03"]
    assert any("2022-03: 33.3% of 6" in s for s in spec["title"]["subtitle"])
    spec = build_card_share(share.assign(share_api=share["share"])).to_dict()
    assert all(layer["encoding"]["y"]["field"] != "share_api" for layer in leaves(spec))
