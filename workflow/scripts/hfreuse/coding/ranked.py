"""Two-level ranked bars: the paper style's replacement of the taxonomy sunbursts.

Categories are horizontal bars sorted by count (largest first); under each category its
subcategories, indented, as lighter bars sorted by count. Where a category's subcategory counts
are unknown (the paper source publishes category counts only) its subcategories are listed by name
under its bar, without bars, and the notes say why: no length ever stands for a count that does
not exist. Each count is printed once, at its bar's end.

The whole figure (labels, bars and counts) is :data:`FIGURE_PT` wide: one column of the IEEE
two-column format, so placed at column width nothing is scaled and no text is under
:data:`FONT_PT`. The layout is computed here in points (1 px of the spec = 1 pt of the PDF):
labels wrap over lines to their column (never cut), rows grow with their lines, and text never
overlaps a bar or another text.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import palette
from ..charts import titled

#: the whole figure's width in pt: one column of the IEEE two-column format
FIGURE_PT = 252
PADDING = 2  # pt around the view, inside FIGURE_PT
VIEW_PT = FIGURE_PT - 2 * PADDING
FONT_PT = 7  # every text of the figure
LINE_PT = 8.5  # a text line's height
#: a generous average glyph width of the paper's serif font, in em (bold: wider), for wrapping
CHAR_EM, BOLD_CHAR_EM = 0.52, 0.53
LABEL_PT = 112  # the label column (left); bars start after it
INDENT_PT = 7  # subcategories' indent
COUNT_PT = 18  # room right of the longest bar for its count
GAP_PT = 3  # between a category's block and the next
BAR_PT = {"category": 6.0, "subcategory": 4.5}
OPACITY = {"category": 1.0, "subcategory": 0.55}
LIST_SEPARATOR = "\u00a0· "  # a line may break after the dot, never before it

RANKED_COLUMNS = [
    "level", "parent", "name", "count", "label", "y", "bar_y", "bar_y2", "zero", "count_label",
]  # fmt: skip


def _chars(width_pt: float, em: float) -> int:
    return max(8, int(width_pt / (FONT_PT * em)))


def _wrap(text: str, width_pt: float, em: float = CHAR_EM) -> list[str]:
    """``text`` over lines that fit ``width_pt`` (a longer word stays whole on its line)."""
    import textwrap

    n = _chars(width_pt, em)
    return textwrap.wrap(str(text), n, break_long_words=False, break_on_hyphens=False) or [""]


def _row(level: str, parent: str, name: str, count: object, lines: list[str], y: float) -> dict:
    sized = level in BAR_PT and count is not None and not pd.isna(count)
    top = y + (LINE_PT - BAR_PT.get(level, 0.0)) / 2
    return {
        "level": level,
        "parent": parent,
        "name": name,
        "count": int(count) if sized else None,  # type: ignore[call-overload]
        "label": "\n".join(lines),
        "y": y,
        "bar_y": top if sized else None,
        "bar_y2": top + BAR_PT[level] if sized else None,
        "zero": 0,
        "count_label": f"{int(count):,}" if sized else "",  # type: ignore[call-overload]
    }


def ranked_frame(inner: pd.DataFrame, outer: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """The rows of the figure and its height in pt.

    ``inner``: columns name, count (categories); ``outer``: columns parent, name, count (null when
    unknown). Categories are sorted by count (largest first, ties in the given order), each
    followed by its subcategories: as rows sorted by count when all their counts are known,
    else as one row listing their names (level ``list``, no bar).
    """
    inner = inner.reset_index(drop=True)
    inner = inner.assign(_pos=range(len(inner))).sort_values(
        ["count", "_pos"], ascending=[False, True], kind="mergesort"
    )
    rows, y = [], 0.0
    for cat in inner.itertuples(index=False):
        lines = _wrap(cat.name, LABEL_PT, BOLD_CHAR_EM)
        rows.append(_row("category", cat.name, cat.name, cat.count, lines, y))
        y += len(lines) * LINE_PT
        kids = outer[outer["parent"] == cat.name].reset_index(drop=True)
        if len(kids) and kids["count"].notna().all():
            kids = kids.assign(_pos=range(len(kids))).sort_values(
                ["count", "_pos"], ascending=[False, True], kind="mergesort"
            )
            for kid in kids.itertuples(index=False):
                lines = _wrap(kid.name, LABEL_PT - INDENT_PT)
                rows.append(_row("subcategory", cat.name, kid.name, kid.count, lines, y))
                y += len(lines) * LINE_PT
        elif len(kids):
            names = LIST_SEPARATOR.join(str(n) for n in kids["name"])
            lines = _wrap(names, VIEW_PT - INDENT_PT)
            rows.append(_row("list", cat.name, names, None, lines, y))
            y += len(lines) * LINE_PT
        y += GAP_PT
    frame = pd.DataFrame(rows, columns=RANKED_COLUMNS)
    frame["count"] = frame["count"].astype("Int64")
    return frame, max(y - GAP_PT, LINE_PT)


def unsized_parents(outer: pd.DataFrame) -> list[str]:
    """The categories with subcategories whose counts are not all known (listed, not drawn)."""
    known = outer.groupby("parent", sort=False)["count"].apply(lambda c: bool(c.notna().all()))
    return [str(p) for p, ok in known.items() if not ok]


def _texts(base: alt.Chart, scale: alt.Scale) -> list[alt.Chart]:
    """Labels (category bold, subcategories indented, lists grey) and counts at the bars' ends."""
    y = alt.Y("y:Q", scale=None, axis=None)
    style = {"align": "left", "baseline": "top", "fontSize": FONT_PT, "lineBreak": "\n"}
    looks = {
        "category": (0, {"fontWeight": "bold", "color": "#222222"}),
        "subcategory": (INDENT_PT, {"color": "#333333"}),
        "list": (INDENT_PT, {"color": "#555555", "fontStyle": "italic"}),
    }
    layers = [
        base.transform_filter(alt.datum.level == level)
        .mark_text(**style, **look)
        .encode(x=alt.value(x), y=y, text="label:N")
        for level, (x, look) in looks.items()
    ]
    counts = base.transform_filter(alt.datum.count_label != "").mark_text(
        **style, dx=2, color="#222222"
    )
    layers.append(
        counts.encode(x=alt.X("count:Q", scale=scale, axis=None), y=y, text="count_label:N")
    )
    return layers


def build_ranked(
    rows: pd.DataFrame,
    height: float,
    *,
    family: str,
    title: str,
    notes: list[str],
    synthetic: bool,
) -> alt.LayerChart:
    """The chart of :func:`ranked_frame` rows, coloured by category from ``family`` of
    :mod:`hfreuse.palette`, :data:`FIGURE_PT` wide in all."""
    cats = [str(n) for n in rows.loc[rows["level"] == "category", "name"]]
    top = rows["count"].max()
    top = int(top) if pd.notna(top) and top > 0 else 1
    scale = alt.Scale(domain=[0, top], range=[LABEL_PT + 3, VIEW_PT - COUNT_PT], nice=False)
    base = alt.Chart(rows)
    bars = (
        base.transform_filter(alt.datum.count_label != "")
        .mark_rect()
        .encode(
            x=alt.X("zero:Q", scale=scale, axis=None),
            x2="count:Q",
            y=alt.Y("bar_y:Q", scale=None, axis=None),
            y2="bar_y2:Q",
            color=alt.Color("parent:N", scale=palette.scale(cats, family), legend=None),
            opacity=alt.Opacity(
                "level:N",
                scale=alt.Scale(domain=list(OPACITY), range=list(OPACITY.values())),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("parent:N", title="category"),
                alt.Tooltip("name:N", title="name"),
                alt.Tooltip("count:Q", title="count"),
            ],
        )
    )
    return (
        alt.layer(bars, *_texts(base, scale))
        .properties(
            width=VIEW_PT,
            height=round(height, 1),
            padding=PADDING,
            title=titled(title, notes, synthetic),
        )
        .configure_view(stroke=None)
    )
