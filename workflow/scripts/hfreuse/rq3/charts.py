"""Altair charts of RQ3: forum mentions over time, forum vs Hub totals per model type."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from .. import palette
from ..charts import ChartSettings, chart_builder, count_axis, month_axis, month_series, rq3_types

LABEL_FONT = 10
CHAR_WIDTH = 0.6 * LABEL_FONT  # a generous average glyph width (px) for label placement
OTHER_COLOR = palette.NEUTRAL["other"]


@chart_builder(top_n=5)
def build_forum_mentions(
    monthly: pd.DataFrame,
    totals: pd.DataFrame,
    rank_by: str = "hub",
    *,
    settings: ChartSettings,
) -> alt.LayerChart:
    """Forum topics per month mentioning each model type of the RQ3 charts: the ``top_n`` by
    ``rank_by`` (:func:`hfreuse.charts.rq3_types`), in their fixed colours."""
    top, by = rq3_types(totals, settings.top_n, rank_by)
    df = monthly[monthly["model_type"].astype(str).isin(top)].copy()
    df["model_type"] = df["model_type"].astype(str)
    df["month"] = df["month"].astype(str)
    df["topics"] = df["topics"].astype("int64")
    df["partial_month"] = df["partial_month"].astype(bool)
    df = df[["model_type", "month", "topics", "partial_month"]]
    x = alt.X(
        "month:T",
        title="month of topic creation",
        axis=month_axis(df["month"], labelFlush=False, labelOverlap="greedy"),
    )
    color = alt.Color(
        "model_type:N", sort=top, title="model type", scale=palette.scale(top, "model_type")
    )
    tooltip = ["model_type:N", alt.Tooltip("month:T", format="%Y-%m"), "topics:Q", "segment:N"]
    layers = month_series(
        df,
        x=x,
        y=alt.Y("topics:Q", title="topics mentioning the model type", axis=count_axis()),
        color=color,
        tooltip=tooltip,
        group="model_type",
    )
    notes = [
        f"The {len(top)} model types of the RQ3 figures (top by {by}); a topic counts once "
        "per model type (title or any post)"
    ]
    return settings.sized(
        alt.layer(*layers), "Forum: topics per month mentioning a model type", notes
    )


def log_domain(values: pd.Series) -> list[float]:
    """A log-axis domain fitted to positive ``values``: from just below the smallest to just
    above the largest (a quarter of a decade of margin at most, never a decade past the data)."""
    v = values[values > 0].astype("float64")
    if v.empty:
        return [1.0, 10.0]
    lo, hi = math.log10(v.min()), math.log10(v.max())
    pad = max(0.08, min(0.25, (hi - lo) * 0.06))
    return [10 ** (lo - pad), 10 ** (hi + pad)]


def _px(value: float, domain: list[float], length: float) -> float:
    lo, hi = (math.log10(d) for d in domain)
    return (math.log10(value) - lo) / (hi - lo) * length


#: label offsets tried in order (dx, dy, align): right, left, above, below of the point
OFFSETS = [(6, -6, "left"), (6, 8, "left"), (-6, -6, "right"), (-6, 8, "right")]


def place_labels(
    points: pd.DataFrame, want: list[str], x_dom: list[float], y_dom: list[float], w: int, h: int
) -> dict[str, tuple[int, int, str]]:
    """Positions of the labels ``want`` (in priority order) that overprint neither another
    label nor a point: for each, the first offset (:data:`OFFSETS`) whose box is free and
    inside the plot; a label with no free offset is not drawn (its point keeps the tooltip)."""
    xy = {
        r.model_type: (_px(r.hub_models, x_dom, w), h - _px(r.forum_topics, y_dom, h))
        for r in points.itertuples(index=False)
    }
    boxes = [(x - 3, y - 3, x + 3, y + 3) for x, y in xy.values()]
    placed: dict[str, tuple[int, int, str]] = {}
    for name in want:
        x, y = xy[name]
        width, height = CHAR_WIDTH * len(name), LABEL_FONT + 1
        for dx, dy, align in OFFSETS:
            x0 = x + dx if align == "left" else x + dx - width
            y0 = y + dy - height / 2
            box = (x0, y0, x0 + width, y0 + height)
            inside = box[0] >= 0 and box[2] <= w + 40 and box[1] >= -4 and box[3] <= h
            own = (x - 3, y - 3, x + 3, y + 3)
            if inside and not any(_overlap(box, b) for b in boxes if b != own):
                boxes.append(box)
                placed[name] = (dx, dy, align)
                break
    return placed


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _log_axes(df: pd.DataFrame) -> tuple[alt.X, alt.Y]:
    """Log axes of Hub models (x) and forum topics (y), fitted to ``df``."""
    x_dom, y_dom = log_domain(df["hub_models"]), log_domain(df["forum_topics"])
    x = alt.X(
        "hub_models:Q",
        title="models created on the Hub",
        scale=alt.Scale(type="log", domain=x_dom, nice=False),
        axis=alt.Axis(format="~s", labelOverlap="greedy"),
    )
    y = alt.Y(
        "forum_topics:Q",
        title="forum topics mentioning it",
        scale=alt.Scale(type="log", domain=y_dom, nice=False),
        axis=alt.Axis(format="~s", labelOverlap="greedy"),
    )
    return x, y


def _label_layers(df: pd.DataFrame, placed: dict, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """One text layer per label offset, for the model types :func:`place_labels` placed."""
    layers = []
    for dx, dy, align in OFFSETS:
        names = [n for n, p in placed.items() if p == (dx, dy, align)]
        if names:
            layers.append(
                alt.Chart(df[df["model_type"].isin(names)])
                .mark_text(align=align, dx=dx, dy=dy, fontSize=LABEL_FONT, color="#333333")
                .encode(x=x, y=y, text="model_type:N")
            )
    return layers


def _scatter_notes(correlation: pd.DataFrame, dropped: list[str]) -> list[str]:
    """The notes: what a point is, the totals correlation (n >= 3), unlabelled types."""
    row = correlation[correlation["scope"].astype(str) == "all"]
    notes = ["One point per model type, totals over the months both sources share"]
    if len(row) and row["n_models"].iloc[0] >= 3:
        r = row.iloc[0]
        notes.append(
            f"Spearman rho = {r['rho']:.3g} (p = {r['p_value']:.2g}, n = {r['n_models']} model "
            f"types, {r['first_month']} to {r['last_month']})"
        )
    if dropped:
        notes.append(f"Unlabelled to avoid overprinting: {', '.join(dropped)}")
    return notes


@chart_builder(top_n=5)
def build_forum_vs_hub(
    totals: pd.DataFrame,
    correlation: pd.DataFrame,
    rank_by: str = "hub",
    *,
    settings: ChartSettings,
) -> alt.LayerChart:
    """Total forum topics vs total Hub models per model type (log-log scatter, labelled).

    Shows the model types of the totals correlation (``in_correlation``) on axes fitted to
    them; the model types of the RQ3 line charts in their fixed colours, the others grey;
    labels the ``top_n`` by forum topics and by Hub models where they do not overprint.
    """
    shown = set(rq3_types(totals, settings.top_n, rank_by)[0])
    df = totals[totals["in_correlation"].astype(bool)].copy()
    df["model_type"] = df["model_type"].astype(str)
    df = df[["model_type", "forum_topics", "hub_models"]].sort_values("model_type")
    df = df[(df["forum_topics"] > 0) & (df["hub_models"] > 0)]
    by_forum = df.sort_values(["forum_topics", "model_type"], ascending=[False, True])
    by_hub = df.sort_values(["hub_models", "model_type"], ascending=[False, True])
    top_n = settings.top_n
    want = list(
        dict.fromkeys([*by_hub["model_type"].head(top_n), *by_forum["model_type"].head(top_n)])
    )
    x_dom, y_dom = log_domain(df["hub_models"]), log_domain(df["forum_topics"])
    placed = place_labels(df, want, x_dom, y_dom, settings.width, settings.height)
    df["group"] = df["model_type"].where(df["model_type"].isin(shown), "other")
    groups = sorted(shown & set(df["model_type"]))
    color = alt.Color(
        "group:N",
        title="model type",
        sort=[*groups, "other"],
        scale=alt.Scale(
            domain=[*groups, "other"],
            range=[*palette.colors(groups, "model_type"), OTHER_COLOR],
        ),
    )
    x, y = _log_axes(df)
    points = (
        alt.Chart(df)
        .mark_circle(size=40, opacity=0.8)
        .encode(x=x, y=y, color=color, tooltip=["model_type:N", "hub_models:Q", "forum_topics:Q"])
    )
    layers = [points, *_label_layers(df, placed, x, y)]
    notes = _scatter_notes(correlation, [n for n in want if n not in placed])
    return settings.sized(alt.layer(*layers), "Forum mentions vs Hub uploads per model type", notes)
