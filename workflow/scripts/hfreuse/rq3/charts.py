"""Altair charts of RQ3: forum mentions over time, forum vs Hub totals per model type."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..charts import ChartSettings, chart_builder, top_by


def top_mentioned(monthly: pd.DataFrame, top_n: int) -> list[str]:
    """The ``top_n`` model types by topics mentioning them (ties broken by name)."""
    return top_by(monthly, "topics", top_n)


@chart_builder(top_n=5)
def build_forum_mentions(monthly: pd.DataFrame, *, settings: ChartSettings) -> alt.LayerChart:
    """Forum topics per month mentioning each of the ``top_n`` most mentioned model types."""
    top = top_mentioned(monthly, settings.top_n)
    df = monthly[monthly["model_type"].astype(str).isin(top)].copy()
    df["model_type"] = df["model_type"].astype(str)
    df["month"] = df["month"].astype(str)
    df["topics"] = df["topics"].astype("int64")
    df["partial"] = df["partial_month"].map({True: "partial month", False: "full month"})
    df = df[["model_type", "month", "topics", "partial"]].sort_values(["model_type", "month"])
    x = alt.X(
        "month:T",
        title="month of topic creation",
        axis=alt.Axis(format="%Y-%m", labelFlush=False, labelOverlap="greedy"),
    )
    color = alt.Color(
        "model_type:N", sort=top, title="model type", scale=alt.Scale(scheme="tableau10")
    )
    tooltip = ["model_type:N", alt.Tooltip("month:T", format="%Y-%m"), "topics:Q", "partial:N"]
    base = alt.Chart(df)
    lines = base.mark_line(point=alt.OverlayMarkDef(size=18), strokeJoin="round").encode(
        x=x,
        y=alt.Y("topics:Q", title="topics mentioning the model type"),
        color=color,
        tooltip=tooltip,
    )
    layers = [lines]
    partial = sorted(df.loc[df["partial"] == "partial month", "month"].unique())
    notes = [
        f"Top {len(top)} model types by forum topics that mention them (title or any post, "
        "once per topic)"
    ]
    if partial:
        layers.append(
            base.transform_filter(alt.datum.partial == "partial month")
            .mark_point(size=90, shape="circle", filled=False, color="#b00020")
            .encode(x=x, y="topics:Q", tooltip=tooltip)
        )
        notes.append(f"{', '.join(partial)}: partial month (circled), the crawl cut it short")
    return settings.sized(
        alt.layer(*layers), "Forum: topics per month mentioning a model type", notes
    )


@chart_builder(top_n=5)
def build_forum_vs_hub(
    totals: pd.DataFrame, correlation: pd.DataFrame, *, settings: ChartSettings
) -> alt.LayerChart:
    """Total forum topics vs total Hub models per model type (log-log scatter, labelled).

    Shows the model types of the totals correlation (``in_correlation``); labels the ``top_n``
    by forum topics and the ``top_n`` by Hub models.
    """
    df = totals[totals["in_correlation"].astype(bool)].copy()
    df["model_type"] = df["model_type"].astype(str)
    df = df[["model_type", "forum_topics", "hub_models"]].sort_values("model_type")
    by_forum = df.sort_values(["forum_topics", "model_type"], ascending=[False, True])
    by_hub = df.sort_values(["hub_models", "model_type"], ascending=[False, True])
    top_n = settings.top_n
    labelled = set(by_forum["model_type"].head(top_n)) | set(by_hub["model_type"].head(top_n))
    df["label"] = df["model_type"].where(df["model_type"].isin(labelled), "")
    x = alt.X("hub_models:Q", title="models created on the Hub", scale=alt.Scale(type="log"))
    y = alt.Y("forum_topics:Q", title="forum topics mentioning it", scale=alt.Scale(type="log"))
    base = alt.Chart(df)
    points = base.mark_circle(size=40, opacity=0.7, color="#1f77b4").encode(
        x=x, y=y, tooltip=["model_type:N", "hub_models:Q", "forum_topics:Q"]
    )
    labels = base.mark_text(align="left", dx=5, dy=-5, fontSize=10, color="#333").encode(
        x=x, y=y, text="label:N"
    )
    row = correlation[correlation["scope"].astype(str) == "all"]
    notes = ["One point per model type, totals over the months both sources share"]
    if len(row) and row["n_models"].iloc[0] >= 3:
        r = row.iloc[0]
        notes.append(
            f"Spearman rho = {r['rho']:.2f} (p = {r['p_value']:.2g}, n = {r['n_models']} model "
            f"types, {r['first_month']}..{r['last_month']})"
        )
    return settings.sized(
        alt.layer(points, labels), "Forum mentions vs Hub uploads per model type", notes
    )
