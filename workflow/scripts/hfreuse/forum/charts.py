"""Altair charts of the forum statistics (tables of :mod:`hfreuse.forum.stats`)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import palette
from ..charts import ChartSettings, chart_builder, count_axis, month_axis, partial_band
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


def top_categories(monthly: pd.DataFrame, top_n: int) -> list[str]:
    """The ``top_n`` categories by total topics (ties by name)."""
    last = monthly.groupby("category")["cumulative_topics"].max().reset_index()
    last["category"] = last["category"].astype(str)
    last = last.sort_values(
        ["cumulative_topics", "category"], ascending=[False, True], kind="mergesort"
    )
    return last["category"].head(top_n).tolist()


def _cumulative_lines(
    df: pd.DataFrame, order: list[str], y_title: str, partial: list[str]
) -> alt.LayerChart:
    """Step lines of cumulative topics per category, each in its fixed colour; the partial
    months shaded and labelled on the chart (:func:`hfreuse.charts.partial_band`)."""
    lines = (
        alt.Chart(df)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("month:T", title="topic creation month", axis=month_axis(df["month"])),
            y=alt.Y("cumulative_topics:Q", title=y_title, axis=count_axis()),
            color=alt.Color(
                "category:N",
                sort=order,
                title="category",
                scale=palette.scale(order, "forum_category"),
            ),
            tooltip=[
                "category:N",
                alt.Tooltip("month:T", format="%Y-%m"),
                alt.Tooltip("topics:Q", title="new topics"),
                alt.Tooltip("cumulative_topics:Q", title="topics so far"),
            ],
        )
    )
    return alt.layer(partial_band(partial), lines) if partial else alt.layer(lines)


def partial_months(monthly: pd.DataFrame) -> list[str]:
    """The months the snapshot cut short (``partial_month``), if the table says."""
    if "partial_month" not in monthly:
        return []
    flagged = monthly["partial_month"].fillna(False).astype(bool)
    return sorted(monthly.loc[flagged, "month"].astype(str).unique())


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
        notes.append(f"{len(rest)} smaller categories with {int(rest.sum()):,} topics not shown")
    lines = _cumulative_lines(df, top, "topics (cumulative)", partial_months(monthly))
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
        notes.append(f"{present[0]}: {a:,} topics, {present[1]}: {b:,} topics (ratio {ratio})")
    missing = [c for c in wanted if c not in present]
    if missing:
        notes.append("No topics in: " + ", ".join(missing))
    lines = _cumulative_lines(df, present, "topics (cumulative)", partial_months(monthly))
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
    """Share of topics by number of posts, the bins labelled as categories: single post counts
    in one colour, the grouped bins (6-10, 11-20, ...) in a lighter one and named as groups, so
    no bar reads as one post count; the share of topics without reply in the notes."""
    df = binned_posts(dist)
    labels = df["posts"].tolist()
    df["bin"] = [
        "one post count" if hi == lo else "several post counts (bin)" for _, lo, hi in POST_BINS
    ]
    base = alt.Chart(df).encode(
        x=alt.X(
            "posts:N",
            sort=labels,
            title="posts in the topic (categories; the last four group several counts)",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("share:Q", title="share of topics", axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "bin:N",
            title=None,
            scale=alt.Scale(
                domain=["one post count", "several post counts (bin)"],
                range=[palette.NEUTRAL["series"], palette.NEUTRAL["series_light"]],
            ),
            legend=alt.Legend(orient="top-right"),
        ),
        tooltip=[
            "posts:N",
            alt.Tooltip("topics:Q", format=","),
            alt.Tooltip("share:Q", format=".1%"),
        ],
    )
    text = base.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("share:Q", format=".1%"))
    total = int(df["topics"].sum())
    no_reply = float(df.loc[df["order"] == 0, "share"].iloc[0]) if total else 0.0
    notes = [
        f"{no_reply:.1%} of {total:,} topics have no reply (a single post); pinned topics left out"
    ]
    return settings.sized(alt.layer(bars, text), "Forum: posts per topic", notes)


def partial_year(monthly: pd.DataFrame | None) -> tuple[str, str] | None:
    """The last year of the forum data and its last month when the snapshot ends within that
    year (before December, or in a partial December); None when the year is complete."""
    if monthly is None or monthly.empty:
        return None
    last = str(monthly["month"].astype(str).max())
    flagged = partial_months(monthly)
    if last.endswith("-12") and last not in flagged:
        return None
    return last[:4], last


@chart_builder()
def build_accepted_answers(
    table: pd.DataFrame, monthly: pd.DataFrame | None = None, *, settings: ChartSettings
) -> alt.Chart:
    """Accepted answers per topic-creation year, stacked by who wrote them; a year the snapshot
    cuts short (from the monthly topics table ``monthly``) is faded and labelled partial."""
    df = table[["year", "author_group", "accepted_answers", "share"]].copy()
    df["year"] = df["year"].astype(str)
    partial = partial_year(monthly)
    df["partial"] = df["year"] == (partial[0] if partial else None)
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
    notes = [f"{n:,} accepted answers written by: {parts}", "Year of topic creation"]
    label = "datum.value"
    if partial:
        year, month = partial
        notes.append(f"{year} is partial: the snapshot ends in {month} (faded bar)")
        label = f"datum.value === '{year}' ? ['{year}', '(partial, to {month})'] : datum.value"
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="year", axis=alt.Axis(labelAngle=0, labelExpr=label)),
            y=alt.Y(
                "accepted_answers:Q", title="accepted answers", stack="zero", axis=count_axis()
            ),
            opacity=alt.condition(alt.datum.partial, alt.value(0.4), alt.value(1.0)),
            color=alt.Color(
                "written_by:N",
                sort=order,
                title="written by",
                scale=alt.Scale(domain=order, range=palette.colors(order, "answer_author")),
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
