"""Altair charts of the Hub trends."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..charts import ChartSettings, chart_builder, top_by
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
def build_hub_model_types(monthly: pd.DataFrame, *, settings: ChartSettings) -> alt.LayerChart:
    """Models created per month for the ``top_n`` model types (line chart)."""
    top = top_types(monthly, settings.top_n)
    df = monthly[monthly["model_type"].isin(top)].copy()
    # models carrying the createdAt floor have no true creation month: leave them out of the
    # lines (they would pile up in 2022-03) and say how many were left out
    floored = df["models_floored"].fillna(0).astype("int64")
    n_floored = int(floored.sum())
    df["models"] = df["models"].astype("int64") - floored
    df["month"] = df["month"].astype(str)
    df["model_type"] = df["model_type"].astype(str)
    df["partial"] = df["partial_month"].map({True: "partial month", False: "full month"})
    df = df[["model_type", "month", "models", "partial"]].sort_values(["model_type", "month"])
    color = alt.Color(
        "model_type:N", sort=top, title="model type", scale=alt.Scale(scheme="tableau10")
    )
    lines = (
        alt.Chart(df)
        .mark_line(point=alt.OverlayMarkDef(size=18), strokeJoin="round")
        .encode(
            x=X_MONTH,
            y=alt.Y("models:Q", title="models created"),
            color=color,
            tooltip=[
                "model_type:N",
                alt.Tooltip("month:T", format="%Y-%m"),
                "models:Q",
                "partial:N",
            ],
        )
    )
    notes = [
        f"Top {len(top)} model types by models created (config.model_type)",
        *partial_note(monthly),
    ]
    if n_floored:
        notes.append(
            f"{n_floored} models of these types carry the createdAt floor "
            "(created before 2022-03-02, true month unknown) and are left out"
        )
    return _with_floor_rule(
        lines, monthly, settings, "Hub: models created per month, by model type", notes
    )


@chart_builder()
def build_card_share(monthly: pd.DataFrame, *, settings: ChartSettings) -> alt.LayerChart:
    """Share of models created each month that have card data."""
    df = monthly[["month", "models", "models_with_card_data", "share", "partial_month"]].copy()
    df["month"] = df["month"].astype(str)
    df = df[df["models"] > 0]
    df["partial"] = df["partial_month"].map({True: "partial month", False: "full month"})
    df = df.drop(columns=["partial_month"])
    line = (
        alt.Chart(df)
        .mark_line(point=True, color="#1f77b4", strokeJoin="round")
        .encode(
            x=X_MONTH,
            y=alt.Y(
                "share:Q",
                title="share of models with card data",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m"),
                alt.Tooltip("share:Q", format=".1%"),
                "models:Q",
                "models_with_card_data:Q",
                "partial:N",
            ],
        )
    )
    notes = [
        "Card data = non-empty cardData (YAML header of the model card)",
        *partial_note(monthly),
    ]
    return _with_floor_rule(
        line, monthly, settings, "Hub: share of new models with card data", notes
    )
