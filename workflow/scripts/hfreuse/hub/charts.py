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
    month_axis,
    month_series,
    shown_model_types,
)
from .trends import FLOOR_MONTH


def has_floor(monthly: pd.DataFrame) -> bool:
    """Whether the table holds models dated by the createdAt floor (not in the paper's data)."""
    floored = monthly["models_floored"].fillna(0)
    return bool((monthly["month"].astype(str) == FLOOR_MONTH).any() and floored.sum() > 0)


def x_month(months: pd.Series) -> alt.X:
    """The creation-month axis over ``months`` (:func:`hfreuse.charts.month_axis`)."""
    return alt.X(
        "month:T",
        title="creation month",
        axis=month_axis(months, labelFlush=False, labelOverlap="greedy"),
    )


def _floor_rule(monthly: pd.DataFrame) -> alt.Chart | None:
    if not has_floor(monthly):
        return None
    floor = pd.DataFrame({"month": [FLOOR_MONTH], "label": [f"createdAt floor ({FLOOR_MONTH})"]})
    base = alt.Chart(floor).encode(x=alt.X("month:T"))
    return base.mark_rule(strokeDash=[4, 3], color="#888") + base.mark_text(
        align="left", dx=4, dy=-4, baseline="top", color="#555", fontSize=10
    ).encode(text="label:N", y=alt.value(2))


def api_dated(df: pd.DataFrame, value: str) -> pd.DataFrame | None:
    """The rows of ``df`` with the series dated by the API's ``createdAt`` (``value``: the
    column ``models_api`` or ``share_api`` that :mod:`hfreuse.hub.trends` writes beside the
    series on true creation dates), or None when there is no such series or it is the same as the
    shown one (trends on the API's dates, the paper's data)."""
    if value not in df.columns or df[value].isna().all():
        return None
    shown = "models" if value == "models_api" else "share"
    same = df[value].astype("float64").fillna(-1).eq(df[shown].astype("float64").fillna(-1))
    if bool(same.all()):
        return None
    out = df[df[value].notna()].copy()
    out[value] = out[value].astype("float64")
    return out


def _faint_api_layer(
    api: pd.DataFrame, value: str, x: alt.X, y_title: str, color: alt.Color, group: str
) -> alt.Chart:
    """The API-dated series drawn faintly (clipped to the corrected series' scale); layered
    after the corrected series so that the legend shows the corrected series' symbols."""
    return (
        alt.Chart(api)
        .mark_line(strokeWidth=1, opacity=0.3, clip=True, strokeDash=[2, 2])
        .encode(
            x=x,
            y=alt.Y(f"{value}:Q", title=y_title),
            color=color,
            detail=f"{group}:N",
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m"),
                alt.Tooltip(f"{value}:Q", title=f"{value} (API createdAt)"),
            ],
        )
    )


def _with_floor_rule(
    chart: alt.Chart, monthly: pd.DataFrame, settings: ChartSettings, title: str, notes: list[str]
) -> alt.LayerChart:
    """``chart`` with the createdAt floor rule layered on top when the table has floored models."""
    layers = [chart]
    rule = _floor_rule(monthly)
    if rule is not None:
        layers.append(rule)
    return settings.sized(alt.layer(*layers), title, notes)


def hub_totals(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per model type: the Hub models the chart shows (created in a known month, models at the
    createdAt floor left out), as the ``hub_models`` column of a totals table, for a study
    without the forum (no ``model_totals`` table)."""
    floored = monthly["models_floored"].fillna(0).astype("int64")
    models = monthly["models"].astype("int64") - floored
    df = pd.DataFrame({"model_type": monthly["model_type"].astype(str), "hub_models": models})
    return df.groupby("model_type", as_index=False)["hub_models"].sum()


@chart_builder(top_n=5)
def build_hub_model_types(
    monthly: pd.DataFrame,
    totals: pd.DataFrame | None,
    rank_by: str = "hub",
    *,
    settings: ChartSettings,
) -> alt.LayerChart:
    """Models created per month for the model types of the RQ3 charts (line chart): the
    ``top_n`` by ``rank_by`` (:func:`hfreuse.charts.shown_model_types`), in their fixed colours.
    Without the forum (``totals`` None: a Hub-only study) the types are ranked by the Hub models
    the chart shows, whatever ``rank_by`` says."""
    if totals is None:
        totals, rank_by = hub_totals(monthly), "hub"
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
    api = api_dated(df, "models_api")
    df = df[["model_type", "month", "models", "partial_month"]]
    color = alt.Color(
        "model_type:N", sort=top, title="model type", scale=palette.scale(top, "model_type")
    )
    tooltip = ["model_type:N", alt.Tooltip("month:T", format="%Y-%m"), "models:Q", "segment:N"]
    # the corrected series sets the scale; the API-dated one (its floor spike) is clipped to it
    top_value = max(int(df["models"].max()), 1) if len(df) else 1
    y = alt.Y(
        "models:Q",
        title="models created",
        axis=count_axis(),
        scale=alt.Scale(domain=[0, top_value]),
    )
    x = x_month(df["month"])
    layers = month_series(df, x=x, y=y, color=color, tooltip=tooltip, group="model_type")
    by = "Hub models" if RANK_BY[rank_by] == "hub_models" else "forum topics"
    notes = [f"The {len(top)} model types of the RQ3 figures (top by {by}, config.model_type)"]
    if api is not None:
        layers.append(_faint_api_layer(api, "models_api", x, "models created", color, "model_type"))
        spike = int(api.loc[api["month"] == FLOOR_MONTH, "models_api"].sum())
        notes.append(
            "Months from each model's first commit; faint dotted lines: the API's createdAt "
            f"({spike:,} of these models dated {FLOOR_MONTH}, clipped)"
        )
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
    df = monthly.copy()
    df["month"] = df["month"].astype(str)
    df = df[df["models"] > 0]
    api = api_dated(df, "share_api")
    df = df[["month", "models", "models_with_card_data", "share", "partial_month"]].copy()
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=["share"], range=[palette.NEUTRAL["series"]]),
        legend=None,
    )
    df["partial_month"] = df["partial_month"].astype(bool)
    df["series"] = "share"
    x = x_month(df["month"])
    layers = month_series(
        df,
        x=x,
        y=alt.Y(
            "share:Q",
            title="share of models with card data",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        color=color,
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
    if api is not None:
        # the API's dates differ only where the floored models pile up: mark those months
        differs = api[(api["share_api"] - api["share"]).abs() > 1e-12]
        if len(differs):
            layers.append(
                alt.Chart(differs)
                .mark_point(shape="diamond", filled=False, size=70, color="#888", opacity=0.8)
                .encode(
                    x=x,
                    y="share_api:Q",
                    tooltip=[
                        alt.Tooltip("month:T", format="%Y-%m"),
                        alt.Tooltip("share_api:Q", format=".1%", title="share (API createdAt)"),
                        alt.Tooltip("models_api:Q", format=",", title="models (API createdAt)"),
                    ],
                )
            )
            where = ", ".join(
                f"{m}: {v:.1%} of {int(n):,}"
                for m, v, n in differs[["month", "share_api", "models_api"]].itertuples(index=False)
            )
            notes.append(
                "Months from each model's first commit; grey diamond: the share by the API's "
                f"createdAt, where it differs ({where})"
            )
    return _with_floor_rule(
        alt.layer(*layers), monthly, settings, "Hub: share of new models with card data", notes
    )
