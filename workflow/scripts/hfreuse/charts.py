"""Shared chart helpers: theme, synthetic labelling, and saving a chart in all formats."""

from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from .io import atomic_write_bytes

SYNTHETIC_NOTE = "SYNTHETIC demo data: not real HuggingFace data"
FLOOR_MONTH = "2022-03"
STYLES = ("report", "paper")
#: The paper style: the size of a figure in one column of the IEEE two-column format (3.5 in at
#: 72 pt/in, the unit of the PDF; ``size`` goes to the sunburst builders, which in this style draw
#: one-column two-level bars, :mod:`hfreuse.coding.ranked`), serif fonts as in the paper's body text.
PAPER = {"width": 250, "height": 150, "size": 500, "font": "Liberation Serif", "font_size": 8}
#: PNG resolution by style, in pixels per inch: a figure W pt wide is W * ppi / 72 px wide and its
#: PNG says that ppi (pHYs). The report's PNGs are 2x (144 ppi), the paper's 300 ppi.
PNG_PPI = {"report": 144, "paper": 300}
PARTIAL_NOTE = "partial"
NO_DATA = "No data in this snapshot"
#: marks that draw data (rules and text only annotate: a floor line, a "partial" label)
DATA_MARKS = {"arc", "area", "bar", "circle", "line", "point", "rect", "square", "tick", "trail"}


def top_by(df, value: str, n: int, key: str = "model_type") -> list[str]:
    """The ``n`` values of ``key`` with the largest sum of ``value`` (zero sums left out; ties
    broken by name), largest first."""
    totals = df.groupby(key)[value].sum().reset_index()
    totals = totals[totals[value] > 0]
    totals = totals.sort_values([value, key], ascending=[False, True], kind="mergesort")
    return totals[key].astype(str).head(n).tolist()


RANK_BY = {"hub": "hub_models", "forum": "forum_topics"}


def shown_model_types(totals: pd.DataFrame, top_n: int, rank_by: str = "hub") -> list[str]:
    """The model types the RQ3 line charts show, chosen once for all of them: the ``top_n`` of
    the totals table (``results/stats/model_totals.parquet``) by Hub models created
    (``rank_by="hub"``) or by forum topics mentioning them (``"forum"``), ties by name."""
    if rank_by not in RANK_BY:
        raise ValueError(f"figures.model_types_by: {rank_by!r} is not one of {sorted(RANK_BY)}")
    return top_by(totals, RANK_BY[rank_by], top_n)


def rq3_types(totals: pd.DataFrame, top_n: int, rank_by: str = "hub") -> tuple[list[str], str]:
    """The model types the RQ3 figures show (:func:`shown_model_types`) and what ranks them in
    words, for their notes ("Hub models" or "forum topics")."""
    top = shown_model_types(totals, top_n, rank_by)
    return top, "Hub models" if RANK_BY[rank_by] == "hub_models" else "forum topics"


#: a month axis spanning at most this many months ticks at month starts only (every month, or
#: every few months): left alone, Vega ticks within months over a short range, and each of
#: those ticks is labelled with the same month
SHORT_RANGE_MONTHS = 24


def month_axis(months: Any, **kwargs: Any) -> alt.Axis:
    """An axis of months labelled ``YYYY-MM`` for the ``months`` (YYYY-MM) it spans; over a
    short range (:data:`SHORT_RANGE_MONTHS`) one tick per month start, at most about 12."""
    names = sorted({str(m) for m in months if pd.notna(m)})
    axis: dict[str, Any] = {"format": "%Y-%m", **kwargs}
    if names:
        span = (pd.Period(names[-1], "M") - pd.Period(names[0], "M")).n + 1
        if span <= SHORT_RANGE_MONTHS:
            step = max(1, -(-span // 12))
            axis["tickCount"] = alt.TimeIntervalStep(interval="month", step=step)
    return alt.Axis(**axis)


def count_axis(**kwargs: Any) -> alt.Axis:
    """An axis of counts: whole-number ticks only (never 0.5 or 1.0), thousands separators."""
    return alt.Axis(format=",d", tickMinStep=1, **kwargs)


def month_series(
    df: pd.DataFrame,
    *,
    x: alt.X,
    y: alt.Y,
    color: alt.Color,
    tooltip: list,
    group: str,
    interpolate: str = "linear",
) -> list[alt.Chart]:
    """Monthly lines with partial months marked on the marks themselves: the segment into a
    partial month is dashed and faded, its point hollow, and the month shaded and labelled
    "partial" (:func:`partial_band`).

    ``df`` has columns ``month`` (YYYY-MM), ``group``, the y field and ``partial_month`` (bool).
    """
    df = df.sort_values([group, "month"], kind="mergesort").reset_index(drop=True)
    partial = df["partial_month"].astype(bool)
    full = df[~partial].assign(segment="full month", point=True)
    parts = [full]
    if partial.any():
        # the dashed segment: each group's last full month before its partial months, then them
        later = df[partial].assign(segment="partial month", point=True)
        first = later.groupby(group)["month"].min()
        anchor = full[full["month"] < full[group].map(first).fillna("")]
        anchor = anchor.groupby(group).tail(1).assign(segment="partial month", point=False)
        parts += [anchor, later]
    data = pd.concat(parts, ignore_index=True)
    data = data.drop(columns=["partial_month"])
    base = alt.Chart(data)
    dash = alt.StrokeDash(
        "segment:N",
        scale=alt.Scale(domain=["full month", "partial month"], range=[[1, 0], [4, 3]]),
        legend=alt.Legend(title=None) if partial.any() else None,
    )
    lines = base.mark_line(strokeJoin="round", interpolate=interpolate).encode(
        x=x,
        y=y,
        color=color,
        strokeDash=dash,
        opacity=alt.condition(
            alt.datum.segment == "partial month", alt.value(0.55), alt.value(1.0)
        ),
        tooltip=tooltip,
    )
    layers = [lines]
    if interpolate == "linear":
        layers.append(
            base.transform_filter((alt.datum.point) & (alt.datum.segment == "full month"))
            .mark_circle(size=16, opacity=1)
            .encode(x=x, y=y, color=color, tooltip=tooltip)
        )
    if partial.any():
        layers.append(
            base.transform_filter((alt.datum.point) & (alt.datum.segment == "partial month"))
            .mark_point(size=40, filled=False, strokeWidth=1.5, opacity=0.8)
            .encode(x=x, y=y, color=color, tooltip=tooltip)
        )
        layers = [partial_band(sorted(df.loc[partial, "month"].astype(str).unique()))] + layers
    return layers


def partial_band(months: list[str]) -> alt.LayerChart:
    """A light band over each partial month, labelled "partial" at its top."""
    start = pd.PeriodIndex(months, freq="M")
    band = pd.DataFrame(
        {
            "month": [str(p) for p in start],
            "month_end": [str(p + 1) for p in start],
            "label": PARTIAL_NOTE,
        }
    )
    base = alt.Chart(band)
    rect = base.mark_rect(color="#000000", opacity=0.07).encode(
        x=alt.X("month:T"), x2="month_end:T"
    )
    text = base.mark_text(
        align="right", baseline="top", dx=-2, dy=2, fontSize=9, color="#555555"
    ).encode(x=alt.X("month_end:T"), y=alt.value(0), text="label:N")
    return alt.layer(rect, text)


def subtitle(lines: list[str] | str | None, synthetic: bool) -> list[str]:
    """Subtitle lines, with the synthetic-data label first on demo runs."""
    if lines is None:
        lines = []
    elif isinstance(lines, str):
        lines = [lines]
    return ([SYNTHETIC_NOTE] if synthetic else []) + list(lines)


def titled(title: str, lines: list[str] | str | None, synthetic: bool) -> alt.TitleParams:
    return alt.TitleParams(
        text=title,
        subtitle=subtitle(lines, synthetic),
        anchor="start",
        subtitleColor="#b00020" if synthetic else "#555555",
    )


@dataclass(frozen=True)
class ChartSettings:
    """The settings the trend and forum chart builders share: size in pixels, how many entries a
    top list shows (``top_n``, for builders that show one) and whether the data are synthetic."""

    width: int = 640
    height: int = 320
    synthetic: bool = False
    top_n: int = 5

    def titled(self, title: str, lines: list[str] | str | None) -> alt.TitleParams:
        return titled(title, lines, self.synthetic)

    def sized(self, chart: Any, title: str, lines: list[str] | str | None) -> Any:
        """``chart`` with these settings' width and height and the title with its notes."""
        return chart.properties(
            width=self.width, height=self.height, title=self.titled(title, lines)
        )


SIZE_SETTINGS = ("width", "height", "synthetic")


def chart_builder(
    *, top_n: int | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: a builder written as ``build(tables..., own settings..., *, settings)`` becomes
    callable the way the figure registry calls builders, with the shared settings as keywords:
    ``build(tables..., own settings..., width=, height=, synthetic=)``, plus ``top_n=`` (default
    ``top_n``) when ``top_n`` is given. Those keywords are in the returned function's signature
    (``inspect.signature``), so it shows exactly what the builder takes.
    """
    shared = ({"top_n": top_n} if top_n is not None else {}) | {
        name: getattr(ChartSettings, name) for name in SIZE_SETTINGS
    }

    def wrap(build: Callable[..., Any]) -> Callable[..., Any]:
        inner = inspect.signature(build)
        own = [p for p in inner.parameters.values() if p.name != "settings"]
        keywords = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=value, annotation=type(value).__name__
            )
            for name, value in shared.items()
        ]
        signature = inner.replace(parameters=own + keywords)

        @functools.wraps(build)
        def builder(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            settings = ChartSettings(**{name: values.pop(name) for name in shared})
            return build(**values, settings=settings)

        builder.__signature__ = signature  # type: ignore[attr-defined]
        return builder

    return wrap


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hfreuse"


def inline_bundle() -> str:
    """The Vega/Vega-Lite/vega-embed JavaScript bundle for inline HTML.

    Building it takes vl-convert about two seconds, so it is cached on disk per vl-convert and
    Vega-Lite version (``$XDG_CACHE_HOME/hfreuse``); an unwritable cache only costs the time.
    """
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    vl_version = vl_version_for_vl_convert()
    path = _cache_dir() / f"vega-bundle-{vlc.__version__}-{vl_version}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    text = vlc.javascript_bundle(vl_version=vl_version)
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except OSError:
        pass
    return text


# Characters that must not appear raw in JSON inlined in a <script> element: "<" could close
# it (</script>) or open a comment, ">" and "&" could end or start markup, U+2028/U+2029 end a
# JavaScript line. Each is written as its JSON escape, which parses to the same string.
SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(obj: Any, indent: int | None = None) -> str:
    """JSON of ``obj`` safe to inline in a ``<script>`` element: no data value (a category or a
    model type such as ``</script><script>...``) can close the element or run as script."""
    text = json.dumps(obj, indent=indent)
    for char, escape in SCRIPT_UNSAFE.items():
        text = text.replace(char, escape)
    return text


def chart_html(spec: dict) -> str:
    """A standalone HTML page showing ``spec`` with the JavaScript inlined (works offline); the
    spec is inlined with :func:`script_json`."""
    from altair.utils.html import INLINE_HTML_TEMPLATE

    return INLINE_HTML_TEMPLATE.render(
        spec=script_json(spec, indent=2),
        embed_options=json.dumps({}),
        mode="vega-lite",
        vega_version=alt.VEGA_VERSION,
        vegalite_version=alt.VEGALITE_VERSION,
        vegaembed_version=alt.VEGAEMBED_VERSION,
        base_url="https://cdn.jsdelivr.net/npm",
        output_div="vis",
        fullhtml=True,
        requirejs=False,
        vegaembed_script=inline_bundle(),
    )


def title_lines(spec: dict) -> tuple[str, list[str]]:
    """The title and subtitle lines (the figure's notes and caveats) of a Vega-Lite spec."""
    title = spec.get("title")
    if isinstance(title, dict):
        text, sub = title.get("text", ""), title.get("subtitle") or []
    else:
        text, sub = title or "", []
    text = " ".join(text) if isinstance(text, list) else str(text)
    return text, [sub] if isinstance(sub, str) else [str(s) for s in sub]


def _marks(node: Any, data: Any = None):
    """(mark type, data) of every mark of a spec, each with the data it draws (its own or its
    parent's)."""
    if not isinstance(node, dict):
        return
    data = node.get("data", data)
    mark = node.get("mark")
    if mark is not None:
        yield (mark.get("type") if isinstance(mark, dict) else mark), data
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in node.get(key) or []:
            yield from _marks(child, data)
    if isinstance(node.get("spec"), dict):
        yield from _marks(node["spec"], data)


def has_data(spec: dict) -> bool:
    """Whether any data mark of the spec has a row to draw (inline values or a named dataset)."""
    datasets = spec.get("datasets") or {}
    for mark, data in _marks(spec):
        if mark not in DATA_MARKS or not isinstance(data, dict):
            continue
        rows = data["values"] if "values" in data else datasets.get(data.get("name"), [])
        if rows:
            return True
    return False


def no_data_spec(spec: dict) -> dict:
    """The figure of a snapshot with no data for it: its title and notes, and "No data in this
    snapshot" where the marks would be (instead of empty axes); ``usermeta.no_data`` tells the
    report and the caption file."""
    width = spec.get("width") or ChartSettings.width
    height = spec.get("height") or ChartSettings.height
    out = {k: spec[k] for k in ("$schema", "config", "title") if k in spec}
    out.update(
        width=width,
        height=height,
        data={"values": [{"text": NO_DATA}]},
        mark={"type": "text", "fontSize": 14, "color": "#555555"},
        encoding={"text": {"field": "text", "type": "nominal"}},
        usermeta={"no_data": True},
    )
    return out


def styled(spec: dict, style: str) -> dict:
    """``spec`` in a figure style. Both record the title and notes in ``usermeta`` (the report
    and the caption file read them there). ``report`` keeps them in the image (self-explaining
    figures); ``paper`` takes them out of the image (they go to the caption) and sets the
    paper's fonts."""
    if style not in STYLES:
        raise ValueError(f"unknown figure style {style!r} (expected one of {STYLES})")
    spec = dict(spec)
    title, notes = title_lines(spec)
    no_data = bool((spec.get("usermeta") or {}).get("no_data"))
    spec["usermeta"] = {"title": title, "notes": notes, "style": style}
    if no_data:
        spec["usermeta"]["no_data"] = True
    if style == "paper":
        spec.pop("title", None)
        font, size = PAPER["font"], PAPER["font_size"]
        config = dict(spec.get("config") or {})
        config.update(
            font=font,
            axis={**config.get("axis", {}), "labelFontSize": size, "titleFontSize": size + 1},
            legend={
                **config.get("legend", {}),
                "labelFontSize": size,
                "titleFontSize": size + 1,
                "symbolSize": 40,
            },
            text={**config.get("text", {}), "fontSize": size - 1},
        )
        spec["config"] = config
        spec = _capped_text(spec, size - 1)
    return spec


def _capped_text(node: Any, size: int) -> Any:
    """``node`` with every text mark's explicit font size capped at ``size`` (labels drawn on
    the chart keep their proportion to the smaller paper figure)."""
    if isinstance(node, list):
        return [_capped_text(v, size) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _capped_text(v, size) for k, v in node.items()}
    mark = out.get("mark")
    if isinstance(mark, dict) and mark.get("type") == "text" and "fontSize" in mark:
        out["mark"] = {**mark, "fontSize": min(mark["fontSize"], size)}
    return out


def caption_text(spec: dict) -> str:
    """The caption of a styled figure: its title, then each note (paper style: the caveats the
    image no longer carries)."""
    meta = spec.get("usermeta") or {}
    lines = [str(meta.get("title", "")).strip()] + [f"- {n}" for n in meta.get("notes", [])]
    if meta.get("no_data"):
        lines.append(f"- {NO_DATA}.")
    return "\n".join(line for line in lines if line) + "\n"


def save_chart(
    chart: alt.TopLevelMixin,
    html: str,
    svg: str,
    png: str,
    spec: str,
    pdf: str | None = None,
    caption: str | None = None,
    style: str = "report",
) -> None:
    """Save ``chart`` in ``style`` as inline HTML (works offline), SVG, PNG (144 ppi in the report
    style, 300 ppi in the paper style) and the Vega-Lite JSON spec, plus a vector PDF and the
    caption text when asked (the paper style).

    Each file is written atomically.
    """
    import vl_convert as vlc

    spec_dict = chart.to_dict()
    if not has_data(spec_dict):
        spec_dict = no_data_spec(spec_dict)
    spec_dict = styled(spec_dict, style)
    spec_json = json.dumps(spec_dict, sort_keys=True, indent=1)
    outs = [o for o in (html, svg, png, spec, pdf, caption) if o]
    for out in outs:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    ppi = PNG_PPI[style]
    atomic_write_bytes(spec, (spec_json + "\n").encode("utf-8"))
    atomic_write_bytes(svg, vlc.vegalite_to_svg(spec_dict).encode("utf-8"))
    # vl-convert scales by ppi / 72 itself (and writes the ppi): a scale on top would multiply
    atomic_write_bytes(png, vlc.vegalite_to_png(spec_dict, ppi=ppi))
    if pdf:
        atomic_write_bytes(pdf, vlc.vegalite_to_pdf(spec_dict))
    if caption:
        atomic_write_bytes(caption, caption_text(spec_dict).encode("utf-8"))
    atomic_write_bytes(html, chart_html(spec_dict).encode("utf-8"))
