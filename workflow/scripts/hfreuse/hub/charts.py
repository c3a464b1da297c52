"""Altair charts of the Hub trends."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import palette
from ..charts import (
    RANK_BY,
    ChartSettings,
    chart_builder,
    count_axis,
    month_series,
    shown_model_types,
    top_by,
)
from .trends import FLOOR_MONTH


def top_types(monthly: pd.DataFrame, top_n: int) -> list[str]:
    """The ``top_n`` model types by total models (ties broken by name)."""
    return top_by(monthly, "models", top_n)


def has_floor(monthly: pd.DataFrame) -> bool:
    """Whether the table holds models dated by the createdAt floor (not in the paper's data)."""
    floored = monthly["models_floored"].fillna(0)
    return bool((monthly["month"].astype(str) == FLOOR_MONTH).any() and floored.sum() > 0)


def partial_note(monthly: pd.DataFrame) -> list[str]:
    months = sorted(
        monthly.loc[monthly["partial_month"].astype(bool), "month"].astype(str).unique()
    )
    return [f"Partial month (snapshot ends within it): {', '.join(months)}"] if months else []


X_MONTH = alt.X(
    "month:T",
    title="creation month",
    axis=alt.Axis(format="%Y-%m", labelFlush=False, labelOverlap="greedy"),
)


def _floor_rule(monthly: pd.DataFrame) -> alt.Chart | None:
    if not has_floor(monthly):
        return None
    floor = pd.DataFrame(
        {"month": [FLOOR_MONTH], "label": ["createdAt floor: older models dated 2022-03"]}
    )
    base = alt.Chart(floor).encode(x=alt.X("month:T"))
    return base.mark_rule(strokeDash=[4, 3], color="#888") + base.mark_text(
        align="left", dx=4, dy=-4, baseline="top", color="#555", fontSize=10
    ).encode(text="label:N", y=alt.value(2))


def _with_floor_rule(
    chart: alt.Chart, monthly: pd.DataFrame, settings: ChartSettings, title: str, notes: list[str]
) -> alt.LayerChart:
    """``chart`` with the createdAt floor rule layered on top when the table has floored models."""
    layers = [chart]
    rule = _floor_rule(monthly)
    if rule is not None:
        layers.append(rule)
    return settings.sized(alt.layer(*layers), title, notes)


@chart_builder(top_n=5)
def build_hub_model_types(
    monthly: pd.DataFrame,
    totals: pd.DataFrame,
    rank_by: str = "hub",
    *,
    settings: ChartSettings,
) -> alt.LayerChart:
    """Models created per month for the model types of the RQ3 charts (line chart): the
    ``top_n`` by ``rank_by`` (:func:`hfreuse.charts.shown_model_types`), in their fixed colours."""
    top = shown_model_types(totals, settings.top_n, rank_by)
    df = monthly[monthly["model_type"].astype(str).isin(top)].copy()
    # models carrying the createdAt floor have no true creation month: leave them out of the
    # lines (they would pile up in 2022-03) and say how many were left out
    floored = df["models_floored"].fillna(0).astype("int64")
    n_floored = int(floored.sum())
    df["models"] = df["models"].astype("int64") - floored
    df["month"] = df["month"].astype(str)
    df["model_type"] = df["model_type"].astype(str)
    df["partial_month"] = df["partial_month"].astype(bool)
    df = df[["model_type", "month", "models", "partial_month"]]
    color = alt.Color(
        "model_type:N", sort=top, title="model type", scale=palette.scale(top, "model_type")
    )
    tooltip = ["model_type:N", alt.Tooltip("month:T", format="%Y-%m"), "models:Q", "segment:N"]
    layers = month_series(
        df,
        x=X_MONTH,
        y=alt.Y("models:Q", title="models created", axis=count_axis()),
        color=color,
        tooltip=tooltip,
        group="model_type",
    )
    by = "Hub models" if RANK_BY[rank_by] == "hub_models" else "forum topics"
    notes = [f"The {len(top)} model types of the RQ3 figures (top by {by}, config.model_type)"]
    if n_floored:
        notes.append(
            f"{n_floored:,} models of these types carry the createdAt floor "
            "(created before 2022-03-02, true month unknown) and are left out"
        )
    return _with_floor_rule(
        alt.layer(*layers), monthly, settings, "Hub: models created per month, by model type", notes
    )


@chart_builder()
def build_card_share(monthly: pd.DataFrame, *, settings: ChartSettings) -> alt.LayerChart:
    """Share of models created each month that have card data."""
    df = monthly[["month", "models", "models_with_card_data", "share", "partial_month"]].copy()
    df["month"] = df["month"].astype(str)
    df = df[df["models"] > 0]
    df["partial_month"] = df["partial_month"].astype(bool)
    df["series"] = "share"
    layers = month_series(
        df,
        x=X_MONTH,
        y=alt.Y(
            "share:Q",
            title="share of models with card data",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        color=alt.Color(
            "series:N", scale=alt.Scale(domain=["share"], range=["#4e79a7"]), legend=None
        ),
        tooltip=[
            alt.Tooltip("month:T", format="%Y-%m"),
            alt.Tooltip("share:Q", format=".1%"),
            alt.Tooltip("models:Q", format=","),
            alt.Tooltip("models_with_card_data:Q", format=","),
            "segment:N",
        ],
        group="series",
    )
    notes = ["Card data = non-empty cardData (YAML header of the model card)"]
    return _with_floor_rule(
        alt.layer(*layers), monthly, settings, "Hub: share of new models with card data", notes
    )
