"""Altair charts of the forum statistics (tables of :mod:`hfreuse.forum.stats`)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..charts import ChartSettings, chart_builder
from .stats import GROUPS

# bins of the posts-per-topic chart: (label, lowest, highest)
POST_BINS = [
    ("1 (no reply)", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5", 5, 5),
    ("6-10", 6, 10),
    ("11-20", 11, 20),
    ("21-50", 21, 50),
    ("over 50", 51, None),
]
GROUP_LABELS = {
    "staff": "staff",
    "asker": "the asker",
    "other": "other users",
    "unknown": "unknown (post missing)",
}
GROUP_COLORS = {
    "staff": "#d62728",
    "asker": "#7f7f7f",
    "other": "#1f77b4",
    "unknown": "#c7c7c7",
}


def top_categories(monthly: pd.DataFrame, top_n: int) -> list[str]:
    """The ``top_n`` categories by total topics (ties by name)."""
    last = monthly.groupby("category")["cumulative_topics"].max().reset_index()
    last["category"] = last["category"].astype(str)
    last = last.sort_values(
        ["cumulative_topics", "category"], ascending=[False, True], kind="mergesort"
    )
    return last["category"].head(top_n).tolist()


def _cumulative_lines(df: pd.DataFrame, order: list[str], y_title: str) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("month:T", title="topic creation month", axis=alt.Axis(format="%Y-%m")),
            y=alt.Y("cumulative_topics:Q", title=y_title),
            color=alt.Color(
                "category:N", sort=order, title="category", scale=alt.Scale(scheme="tableau20")
            ),
            tooltip=[
                "category:N",
                alt.Tooltip("month:T", format="%Y-%m"),
                alt.Tooltip("topics:Q", title="new topics"),
                alt.Tooltip("cumulative_topics:Q", title="topics so far"),
            ],
        )
    )


def _prepared(monthly: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    df = monthly[["category", "month", "topics", "cumulative_topics"]].copy()
    df["category"] = df["category"].astype(str)
    df["month"] = df["month"].astype(str)
    df = df[df["category"].isin(keep)]
    return df.sort_values(["category", "month"], kind="mergesort").reset_index(drop=True)


@chart_builder(top_n=10)
def build_topics_per_category(monthly: pd.DataFrame, *, settings: ChartSettings) -> alt.Chart:
    """Cumulative topics per forum category over time (the ``top_n`` largest categories)."""
    top = top_categories(monthly, settings.top_n)
    df = _prepared(monthly, top)
    totals = monthly.groupby("category")["cumulative_topics"].max()
    rest = totals[~totals.index.astype(str).isin(top)]
    notes = [f"The {len(top)} largest categories by topics; month of topic creation"]
    if len(rest):
        notes.append(f"{len(rest)} smaller categories with {int(rest.sum())} topics not shown")
    lines = _cumulative_lines(df, top, "topics (cumulative)")
    return settings.sized(lines, "Forum: topics per category over time", notes)


@chart_builder()
def build_beginners_vs_intermediate(
    monthly: pd.DataFrame,
    categories: list[str] | tuple[str, ...] = ("Beginners", "Intermediate"),
    *,
    settings: ChartSettings,
) -> alt.Chart:
    """Cumulative topics of the compared categories (Beginners vs Intermediate by default)."""
    wanted = [str(c) for c in categories]
    present = [c for c in wanted if c in set(monthly["category"].astype(str))]
    df = _prepared(monthly, present)
    notes = []
    if len(present) == 2:
        a, b = (int(df.loc[df["category"] == c, "topics"].sum()) for c in present)
        ratio = f"{a / b:.1f}" if b else "n/a"
        notes.append(f"{present[0]}: {a} topics, {present[1]}: {b} topics (ratio {ratio})")
    missing = [c for c in wanted if c not in present]
    if missing:
        notes.append("No topics in: " + ", ".join(missing))
    lines = _cumulative_lines(df, present, "topics (cumulative)")
    return settings.sized(lines, " vs ".join(wanted) + ": topics over time", notes)


def binned_posts(dist: pd.DataFrame) -> pd.DataFrame:
    """The posts-per-topic distribution in the chart's bins (every bin, empty ones 0)."""
    rows = []
    for order, (label, lo, hi) in enumerate(POST_BINS):
        mask = dist["posts_count"] >= lo
        if hi is not None:
            mask &= dist["posts_count"] <= hi
        rows.append(
            {
                "order": order,
                "posts": label,
                "topics": int(dist.loc[mask, "topics"].sum()),
                "share": float(dist.loc[mask, "share"].sum()),
            }
        )
    return pd.DataFrame(rows)


@chart_builder()
def build_posts_per_topic(dist: pd.DataFrame, *, settings: ChartSettings) -> alt.LayerChart:
    """Share of topics by number of posts (bars), with the share of topics without reply."""
    df = binned_posts(dist)
    labels = df["posts"].tolist()
    base = alt.Chart(df).encode(
        x=alt.X("posts:N", sort=labels, title="posts in the topic", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="share of topics", axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar(color="#1f77b4").encode(
        tooltip=["posts:N", "topics:Q", alt.Tooltip("share:Q", format=".1%")]
    )
    text = base.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("share:Q", format=".1%"))
    total = int(df["topics"].sum())
    no_reply = float(df.loc[df["order"] == 0, "share"].iloc[0]) if total else 0.0
    notes = [
        f"{no_reply:.1%} of {total} topics have no reply (a single post); pinned topics left out"
    ]
    return settings.sized(alt.layer(bars, text), "Forum: posts per topic", notes)


@chart_builder()
def build_accepted_answers(table: pd.DataFrame, *, settings: ChartSettings) -> alt.Chart:
    """Accepted answers per topic-creation year, stacked by who wrote them."""
    df = table[["year", "author_group", "accepted_answers", "share"]].copy()
    df["year"] = df["year"].astype(str)
    df["author_group"] = df["author_group"].astype(str)
    groups = [g for g in [*GROUPS, "unknown"] if g in set(df["author_group"])]
    df["written_by"] = df["author_group"].map(GROUP_LABELS)
    df["order"] = df["author_group"].map({g: i for i, g in enumerate(groups)})
    order = [GROUP_LABELS[g] for g in groups]
    totals = df.groupby("author_group")["accepted_answers"].sum()
    n = int(totals.sum())
    parts = ", ".join(
        f"{GROUP_LABELS[g]} {int(totals.get(g, 0)) / n:.0%}" if n else f"{GROUP_LABELS[g]} 0%"
        for g in groups
    )
    notes = [f"{n} accepted answers written by: {parts}", "Year of topic creation"]
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("accepted_answers:Q", title="accepted answers", stack="zero"),
            color=alt.Color(
                "written_by:N",
                sort=order,
                title="written by",
                scale=alt.Scale(domain=order, range=[GROUP_COLORS[g] for g in groups]),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                "year:O",
                "written_by:N",
                "accepted_answers:Q",
                alt.Tooltip("share:Q", format=".0%", title="share of the year"),
            ],
        )
    )
    return settings.sized(bars, "Forum: accepted answers by staff and by other users", notes)
