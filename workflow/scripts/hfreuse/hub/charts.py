"""Altair charts of the Hub trends."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import palette
from ..charts import ChartSettings, chart_builder, count_axis, month_axis, month_series, rq3_types
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
    ``top_n`` by ``rank_by`` (:func:`hfreuse.charts.rq3_types`), in their fixed colours.
    Without the forum (``totals`` None: a Hub-only study) the types are ranked by the Hub models
    the chart shows, whatever ``rank_by`` says."""
    if totals is None:
        totals, rank_by = hub_totals(monthly), "hub"
    top, by = rq3_types(totals, settings.top_n, rank_by)
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


def _card_share_api_layer(api: pd.DataFrame, x: alt.X) -> tuple[alt.Chart, str] | None:
    """Grey diamonds at the share by the API's createdAt where it differs from the shown share
    (the months where the floored models pile up), and their note; None when none differs."""
    differs = api[(api["share_api"] - api["share"]).abs() > 1e-12]
    if not len(differs):
        return None
    layer = (
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
    note = (
        "Months from each model's first commit; grey diamond: the share by the API's "
        f"createdAt, where it differs ({where})"
    )
    return layer, note


def trend_rows(trend: pd.DataFrame | None) -> dict[str, dict]:
    """The rows of the card-share trend table (``results/stats/card_share_trend.parquet``) by
    test (``mann_kendall``, ``mann_whitney``); empty without the table."""
    if trend is None or not len(trend):
        return {}
    return {str(r["test"]): r for r in trend.to_dict("records")}


def _known(value: object) -> bool:
    return value is not None and not pd.isna(value)


def trend_notes(rows: dict[str, dict]) -> list[str]:
    """The trend tests' results in words, every number from the trend table."""
    notes = []
    mk = rows.get("mann_kendall")
    if mk and _known(mk["p_value"]):
        verdict = "a significant increase" if mk["increase"] else "no significant increase"
        notes.append(
            f"Mann-Kendall over {int(mk['n_months'])} months ({mk['first_month']} to "
            f"{mk['last_month']}): tau = {mk['tau']:.2f}, p = {mk['p_value']:.2g}, {verdict}"
        )
    mw = rows.get("mann_whitney")
    if mw and _known(mw["p_value"]) and _known(mw["split_month"]):
        verdict = "greater" if mw["increase"] else "not significantly greater"
        notes.append(
            f"From {mw['split_month']} on (solid rule) vs before: median share "
            f"{mw['median_after']:.1%} vs {mw['median_before']:.1%} over {int(mw['n_after'])} and "
            f"{int(mw['n_before'])} months, {verdict} (Mann-Whitney U, one-sided p = "
            f"{mw['p_value']:.2g})"
        )
    if mk or mw:
        few = int((mk or mw)["min_models_per_month"])
        notes.append(
            f"Months of fewer than {few:,} models (light bars), partial months and the floor "
            "month are left out of the tests"
        )
    return notes


def _split_rule(rows: dict[str, dict], height: int) -> alt.LayerChart | None:
    """A solid rule at the first month of the Mann-Whitney test's 'after' group, labelled at
    its foot (the floor rule's label is at the top)."""
    mw = rows.get("mann_whitney")
    if not mw or not _known(mw["split_month"]):
        return None
    split = str(mw["split_month"])
    base = alt.Chart(pd.DataFrame({"month": [split], "label": [f"split {split}"]}))
    base = base.encode(x=alt.X("month:T"))
    return base.mark_rule(color="#333333", strokeWidth=1) + base.mark_text(
        align="left", dx=3, baseline="bottom", color="#333333", fontSize=10
    ).encode(text="label:N", y=alt.value(height - 2))


def _n_strip(
    df: pd.DataFrame, rows: dict[str, dict], months: pd.Series, settings: ChartSettings
) -> alt.Chart:
    """The models created each month (the share's n), on a log scale under the share; months
    of fewer models than the tests need in a light grey."""
    row = rows.get("mann_kendall") or rows.get("mann_whitney")
    few = int(row["min_models_per_month"]) if row else 0
    tested = (df["models"] >= few).map({True: "tested", False: "too few models"})
    data = df[["month", "models"]].assign(tested=tested, base=1)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "month:T",
                title="creation month",
                axis=month_axis(months, labelFlush=False, labelOverlap="greedy"),
            ),
            y=alt.Y(
                "models:Q",
                title="models (n)",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~s", tickCount=3),
            ),
            y2=alt.Y2("base:Q"),  # bars from 1 (a log scale has no 0)
            color=alt.Color(
                "tested:N",
                scale=alt.Scale(
                    domain=["tested", "too few models"],
                    range=[palette.NEUTRAL["series"], palette.NEUTRAL["series_light"]],
                ),
                legend=None,
            ),
            tooltip=[alt.Tooltip("month:T", format="%Y-%m"), alt.Tooltip("models:Q", format=",")],
        )
        .properties(width=settings.width, height=max(40, settings.height // 4))
    )


@chart_builder()
def build_card_share(
    monthly: pd.DataFrame, trend: pd.DataFrame | None = None, *, settings: ChartSettings
) -> alt.VConcatChart:
    """Share of models created each month that have card data, over a strip of the models
    created each month (its n). With the trend table (``results/stats/card_share_trend``): a
    rule at the split month of its before/after test and both tests' results in the notes."""
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
    x = alt.X("month:T", title=None, axis=alt.Axis(labels=False, ticks=False))
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
            alt.Tooltip("models:Q", format=",", title="models (n)"),
            alt.Tooltip("models_with_card_data:Q", format=","),
            "segment:N",
        ],
        group="series",
    )
    rows = trend_rows(trend)
    notes = ["Card data = non-empty cardData (YAML header of the model card)"]
    diamonds = _card_share_api_layer(api, x) if api is not None else None
    if diamonds is not None:
        layers.append(diamonds[0])
        notes.append(diamonds[1])
    notes += trend_notes(rows)
    split = _split_rule(rows, settings.height)
    floor = _floor_rule(monthly)
    layers += [layer for layer in (split, floor) if layer is not None]
    share = alt.layer(*layers).properties(width=settings.width, height=settings.height)
    strip = _n_strip(df, rows, df["month"], settings)
    title = settings.titled("Hub: share of new models with card data", notes)
    return (
        alt.vconcat(share, strip, spacing=4)
        .resolve_scale(x="shared", color="independent")
        .properties(title=title)
    )
