"""Taxonomy figures: two-ring sunbursts (Altair arc marks) and sorted bar charts.

A sunburst has categories on the inner ring and their subcategories on the outer ring; arcs are
sized by count. Each count is printed once: a category's in the legend, a subcategory's after its
name outside the ring (wrapped over lines, never cut). Colours are the study's fixed ones
(:mod:`hfreuse.palette`): a category or root-cause group has the same colour in every figure.
The outer ring is drawn only where subcategory counts exist: a category whose subcategory counts
are unknown (the paper source publishes category counts only) gets no outer arcs, and the
subtitle says so (never equal arcs, whose length would read as a count).

In the paper style (``style="paper"``) the sunburst builders draw two-level ranked bars instead
(:mod:`hfreuse.coding.ranked`): one column wide, categories sorted by count, their
subcategories under them.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from .. import palette
from ..charts import STYLES, count_axis, titled
from .ranked import build_ranked, ranked_frame, unsized_parents

KIND_TITLES = {"challenge": "Challenges", "benefit": "Benefits"}
LABEL_CHARS = 22  # outer labels wrap at this many characters a line (never cut)
MIN_LABEL_ANGLE = 0.045  # radians: thinner outer arcs get no outside label (tooltip only)
LABEL_FONT = 9  # font size of the outer labels (px)
LINE_HEIGHT = 1.2  # of the font size: an outer label's lines need this much arc each


def wrap(text: str, n: int = LABEL_CHARS) -> list[str]:
    """``text`` in lines of at most ``n`` characters, broken between words (a longer word stays
    whole on its own line): the whole text, nothing cut."""
    import textwrap

    return textwrap.wrap(str(text), n, break_long_words=False, break_on_hyphens=False) or [""]


SUNBURST_COLUMNS = [
    "ring", "parent", "name", "count", "theta", "theta2", "theta_mid", "radius",
    "radius2", "label", "label_radius", "label_angle", "side",
]  # fmt: skip


def _outer_arcs(
    parent: str, kids: pd.DataFrame, start: float, span: float, r1: float, r2: float
) -> list:
    """The outer ring's arcs of one inner arc, sized by the children's counts; none when a
    child's count is unknown (no arc length stands for a count that does not exist)."""
    if not len(kids) or kids["count"].isna().any():
        return []
    kids = kids[kids["count"] > 0]
    kid_total = float(kids["count"].sum())
    arcs, pos = [], start
    for k in kids.itertuples(index=False):
        kspan = span * float(k.count) / kid_total if kid_total else 0.0
        arcs.append(_arc("outer", parent, k.name, int(k.count), pos, pos + kspan, r1, r2))
        pos += kspan
    return arcs


def sunburst_frame(inner: pd.DataFrame, outer: pd.DataFrame, size: int) -> pd.DataFrame:
    """Arc geometry for a two-ring sunburst.

    ``inner``: columns name, count (> 0 kept), in drawing order. ``outer``: columns parent, name,
    count (null when unknown: the parent then has no outer arcs), in drawing order.
    Returns one row per arc: ring, parent, name, count, theta, theta2, theta_mid,
    radius, radius2, label (outer arcs: name and count), label_radius,
    label_angle, side.
    """
    r_hole, r1, r2 = size * 0.07, size * 0.24, size * 0.33
    inner = inner[inner["count"] > 0]
    total = float(inner["count"].sum())
    rows = []
    start = 0.0
    for r in inner.itertuples(index=False):
        span = 2 * math.pi * float(r.count) / total if total else 0.0
        rows.append(_arc("inner", r.name, r.name, int(r.count), start, start + span, r_hole, r1))
        rows += _outer_arcs(r.name, outer[outer["parent"] == r.name], start, span, r1, r2)
        start += span
    df = pd.DataFrame(rows, columns=SUNBURST_COLUMNS)
    df["count"] = df["count"].astype("Int64")
    return df


def outer_label(text: str, wide: float, radius: float) -> str:
    """The whole label of an outer arc ``wide`` radians wide: wrapped over lines when the arc
    has room for them at ``radius``, else on one line (it runs outwards, never cut), else
    none when even one line would overprint its neighbours (the tooltip names the arc)."""
    line = LINE_HEIGHT * LABEL_FONT / radius  # radians one line of text needs
    lines = wrap(text)
    if wide >= line * len(lines):
        return "\n".join(lines)
    return text if wide >= line else ""


def _arc(ring, parent, name, count, t0, t1, r0, r1) -> dict:
    mid = (t0 + t1) / 2
    deg = math.degrees(mid)
    right = mid <= math.pi
    wide = t1 - t0
    label = ""
    if ring == "outer" and wide >= MIN_LABEL_ANGLE:
        label = outer_label(str(name) + (f" ({count})" if count is not None else ""), wide, r1 + 5)
    return {
        "ring": ring,
        "parent": parent,
        "name": name,
        "count": count,
        "theta": t0,
        "theta2": t1,
        "theta_mid": mid,
        "radius": r0,
        "radius2": r1,
        "label": label,
        "label_radius": r1 + 5,
        "label_angle": deg - 90 if right else deg + 90,
        "side": "right" if right else "left",
    }


def _sunburst_color(inner: pd.DataFrame, legend_title: str, family: str) -> alt.Color:
    """The inner ring's names in their fixed colours, each with its count in the legend."""
    domain = list(inner["name"])
    legend_labels = {r.name: f"{r.name} ({r.count})" for r in inner.itertuples(index=False)}
    label_expr = " : ".join(
        [f"datum.label === {_js(k)} ? {_js(v)}" for k, v in legend_labels.items()] + ["datum.label"]
    )
    return alt.Color(
        "parent:N",
        scale=palette.scale(domain, family),
        sort=domain,
        legend=alt.Legend(
            title=legend_title, labelExpr=label_expr, labelLimit=320, symbolType="circle", columns=1
        ),
    )


def _outer_labels(base: alt.Chart) -> list[alt.Chart]:
    """The outer ring's labels, left-aligned on the right side and right-aligned on the left."""
    return [
        base.transform_filter(
            (alt.datum.side == side) & (alt.datum.ring == "outer") & (alt.datum.label != "")
        )
        .mark_text(fontSize=9, align=align, baseline="middle", color="#333333", lineBreak="\n")
        .encode(
            theta=alt.Theta("theta_mid:Q", scale=None),
            radius=alt.Radius("label_radius:Q", scale=None),
            angle=alt.Angle("label_angle:Q", scale=None),
            text="label:N",
        )
        for side, align in (("right", "left"), ("left", "right"))
    ]


def build_sunburst(
    arcs: pd.DataFrame,
    *,
    title: str,
    subtitle: list[str],
    size: int,
    synthetic: bool,
    legend_title: str,
    family: str,
) -> alt.LayerChart:
    """The sunburst chart from :func:`sunburst_frame` geometry, coloured by the inner ring's
    names in their fixed colours (``family`` of :mod:`hfreuse.palette`)."""
    color = _sunburst_color(arcs[arcs["ring"] == "inner"], legend_title, family)
    tooltip = [
        alt.Tooltip("parent:N", title="category"),
        alt.Tooltip("name:N", title="name"),
        alt.Tooltip("count:Q", title="count"),
    ]
    base = alt.Chart(arcs).properties(width=size, height=size)
    theta = alt.Theta("theta:Q", scale=None)
    radius = alt.Radius("radius:Q", scale=None)
    rings = base.mark_arc(stroke="white", strokeWidth=1).encode(
        theta=theta,
        theta2="theta2:Q",
        radius=radius,
        radius2="radius2:Q",
        color=color,
        opacity=alt.Opacity(
            "ring:N", scale=alt.Scale(domain=["inner", "outer"], range=[1.0, 0.55]), legend=None
        ),
        tooltip=tooltip,
    )
    layers = [rings, *_outer_labels(base)]
    return (
        alt.layer(*layers)
        .properties(
            title=titled(title, subtitle, synthetic), autosize=alt.AutoSizeParams(type="pad")
        )
        .configure_view(stroke=None)
    )


def _js(text: str) -> str:
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


_TAXONOMY_WORDS = ("categories", "subcategories", "category")
#: what the two levels of a figure colouring by a palette family are called: (inner, outer, one
#: inner, the legend's title)
LEVELS = {
    "challenge": (*_TAXONOMY_WORDS, "challenge category"),
    "benefit": (*_TAXONOMY_WORDS, "benefit category"),
    "root_cause_group": ("root-cause groups", "root causes", "group", "root-cause group"),
}


def unsized_note(outer: pd.DataFrame, sources: list[str], style: str) -> list[str]:
    """The note saying which subcategory counts are missing and what is drawn instead (nothing
    when every count is known); ``sources``: the table's word for them (``count_source``)."""
    parents = unsized_parents(outer)
    if not parents:
        return []
    said = " / ".join(sorted({str(s) for s in sources})) or "unknown"
    everywhere = len(parents) == outer["parent"].nunique()
    if everywhere:
        what = "subcategory counts are"
        drawn = "subcategories listed without bars" if style == "paper" else "outer ring not drawn"
    else:
        of = f"{len(parents)} of {outer['parent'].nunique()}"
        what = f"the subcategory counts of {of} categories are"
        drawn = "their subcategories listed without bars"
        drawn = drawn if style == "paper" else "those categories have no outer arcs"
    return [f"{what} {said}: {drawn}"]


def two_level_figure(
    levels: tuple[pd.DataFrame, pd.DataFrame],
    notes: tuple[str, str, list[str]],
    title: str,
    family: str,
    **settings: Any,
) -> alt.LayerChart:
    """A sunburst (report style) or two-level ranked bars (paper style) of the ``levels``:
    inner (name, count) and outer (parent, name, count), coloured by ``family``. ``notes``:
    (what is counted, e.g. "coded instances", the source note, the table's words for missing
    counts); ``settings``: the builder's style, size and synthetic."""
    style, size, synthetic = settings["style"], settings["size"], settings["synthetic"]
    if style not in STYLES:
        raise ValueError(f"unknown figure style {style!r} (expected one of {STYLES})")
    inner, outer = levels
    inner_word, outer_word, parent_word, legend = LEVELS[family]
    unit, source_note, sources = notes
    counted = f"{int(inner['count'].sum())} {unit}"
    n = int((inner["count"] > 0).sum())
    missing = unsized_note(outer, sources, style)
    if style == "paper":
        rows, height = ranked_frame(inner, outer)
        summary = f"{counted} in {n} {inner_word}, sorted by count; {outer_word} under their"
        sized = (rows["level"] == "subcategory").any()
        summary += f" {parent_word}" + (" (lighter bars, sorted by count)" if sized else "")
        lines = [summary, source_note, *missing]
        return build_ranked(
            rows, height, family=family, title=title, notes=lines, synthetic=synthetic
        )
    arcs = sunburst_frame(inner, outer, size)
    rings = f"inner ring: {inner_word}"
    if (arcs["ring"] == "outer").any():
        rings += f", outer ring: {outer_word}"
    return build_sunburst(
        arcs,
        title=title,
        subtitle=[f"{counted} in {n} {inner_word}; {rings}", source_note, *missing],
        size=size,
        synthetic=synthetic,
        legend_title=f"{legend} (count)",
        family=family,
    )


def taxonomy_sunburst(
    counts: pd.DataFrame,
    kind: str,
    *,
    size: int,
    synthetic: bool,
    source_note: str,
    style: str = "report",
) -> alt.LayerChart:
    """Categories and subcategories of one kind (challenge or benefit) from the taxonomy_counts
    table: a sunburst, or in the paper style two-level ranked bars."""
    settings = {"style": style, "size": size, "synthetic": synthetic}
    k = counts[counts["kind"] == kind]
    cats = k[k["level"] == "category"].sort_values(
        ["count", "category_order"], ascending=[False, True]
    )
    subs = k[k["level"] == "subcategory"].sort_values(["category_order", "subcategory_order"])
    inner = pd.DataFrame({"name": cats["category"], "count": cats["count"].fillna(0)})
    outer = pd.DataFrame(
        {"parent": subs["category"], "name": subs["subcategory"], "count": subs["count"]}
    )
    sources = list(subs.loc[subs["count"].isna(), "count_source"].astype(str))
    title = f"{KIND_TITLES.get(kind, kind)}: categories and subcategories"
    notes = ("coded instances", source_note, sources)
    return two_level_figure((inner, outer), notes, title, kind, **settings)


def root_causes_sunburst(
    rc_counts: pd.DataFrame,
    *,
    size: int,
    synthetic: bool,
    source_note: str,
    style: str = "report",
) -> alt.LayerChart:
    """Root-cause groups and root causes: a sunburst (groups inner, root causes outer), or in
    the paper style two-level ranked bars."""
    settings = {"style": style, "size": size, "synthetic": synthetic}
    leaves = rc_counts.groupby(["root_cause_group", "root_cause"], as_index=False)["count"].sum()
    groups = leaves.groupby("root_cause_group", as_index=False)["count"].sum()
    groups = groups.sort_values(["count", "root_cause_group"], ascending=[False, True])
    leaves = leaves.sort_values(
        ["root_cause_group", "count", "root_cause"], ascending=[True, False, True]
    )
    inner = pd.DataFrame({"name": groups["root_cause_group"], "count": groups["count"]})
    outer = pd.DataFrame(
        {
            "parent": leaves["root_cause_group"],
            "name": leaves["root_cause"],
            "count": leaves["count"],
        }
    )
    notes = ("accepted answers", source_note, [])
    title = "Root causes of accepted answers"
    return two_level_figure((inner, outer), notes, title, "root_cause_group", **settings)


def taxonomy_bars(
    counts: pd.DataFrame, kind: str, *, width: int, synthetic: bool, source_note: str
) -> alt.LayerChart:
    """Categories of one kind sorted by count (horizontal bars, count and share labels)."""
    k = counts[(counts["kind"] == kind) & (counts["level"] == "category")].copy()
    k = k.sort_values(["count", "category_order"], ascending=[False, True])
    df = pd.DataFrame(
        {
            "category": k["category"].astype(str),
            "count": k["count"].fillna(0).astype(int),
            "share": k["share"].astype("float64").fillna(0.0),
        }
    )
    df["label"] = [f"{c} ({s:.1%})" for c, s in zip(df["count"], df["share"], strict=True)]
    order = list(df["category"])
    base = alt.Chart(df).encode(
        y=alt.Y("category:N", sort=order, title=None, axis=alt.Axis(labelLimit=300)),
        x=alt.X("count:Q", title="coded instances", axis=count_axis()),
        tooltip=["category:N", "count:Q", alt.Tooltip("share:Q", format=".1%")],
    )
    bars = base.mark_bar().encode(
        color=alt.Color("category:N", scale=palette.scale(order, kind), legend=None)
    )
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text="label:N")
    return alt.layer(bars, text).properties(
        width=width,
        height=max(120, 18 * len(df)),
        title=titled(
            f"{KIND_TITLES.get(kind, kind)} by category",
            [f"{int(df['count'].sum())} coded instances", source_note],
            synthetic,
        ),
    )


def root_causes_by_challenge(
    rc_counts: pd.DataFrame, *, width: int, synthetic: bool, source_note: str
) -> alt.Chart:
    """Root-cause groups per challenge category of the question (stacked bars, sorted)."""
    df = rc_counts.groupby(["challenge_category", "root_cause_group"], as_index=False)[
        "count"
    ].sum()
    totals = df.groupby("challenge_category")["count"].sum().sort_values(ascending=False)
    order = sorted(totals.index, key=lambda c: (-int(totals[c]), c))
    groups = sorted(df["root_cause_group"].astype(str).unique())
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("challenge_category:N", sort=order, title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X("count:Q", stack="zero", title="accepted answers", axis=count_axis()),
            color=alt.Color(
                "root_cause_group:N",
                scale=palette.scale(groups, "root_cause_group"),
                title="root-cause group",
            ),
            order=alt.Order("root_cause_group:N"),
            tooltip=["challenge_category:N", "root_cause_group:N", "count:Q"],
        )
        .properties(
            width=width,
            height=max(120, 20 * len(order)),
            title=titled(
                "Root causes by challenge category",
                [f"{int(df['count'].sum())} accepted answers", source_note],
                synthetic,
            ),
        )
    )
