"""HTML building blocks of the study report: number and date formats, escaping, tables,
captions, the page.

The page is rendered from the Jinja2 template ``workflow/report/templates/report.html.j2`` with
autoescaping: every piece of text that comes from data (forum titles, codes, model ids, config
values) is escaped there; only captions (docutils, raw HTML disabled) and embedded figures are
passed as markup. The page carries a Content-Security-Policy that forbids scripts and any
request: figures are embedded as ``data:`` images, the style sheet is inline.

Number formats (:func:`format_value`): counts with thousands separators (``12,345``; years and
identifiers without), other numbers with 3 significant digits, timestamps to the second (no
microseconds), dates at midnight as dates.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from ..errors import InputError

#: No script, no font, no frame, no request: only inline styles and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA"
SYNTHETIC_TEXT = (
    "This run used the embedded demo snapshot: generated, synthetic data shaped like the "
    "HuggingFace Hub and forum. No number in this report is a finding about HuggingFace."
)
#: The report's template folder (workflow/report/templates).
TEMPLATES = Path(__file__).resolve().parents[3] / "report" / "templates"
TEMPLATE = "report.html.j2"
#: Columns whose whole numbers are identifiers or years, written without thousands separators.
IDENTIFIER = re.compile(r"(^|_)(id|year|order|row|seed)$")
SIGNIFICANT = 3
#: An ISO timestamp written as text (raw manifests): its fraction of a second is not shown.
ISO_FRACTION = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.\d+(Z|[+-]\d{2}:?\d{2})?$")


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(format_value(value), quote=True)


def _whole(value: int, grouped: bool) -> str:
    return f"{value:,}" if grouped else str(value)


def format_value(value: Any, grouped: bool = True) -> str:
    """A short, deterministic text form of a table cell or manifest value: whole numbers with
    thousands separators (``grouped``), other numbers with 3 significant digits, timestamps to
    the second, lists joined by commas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _whole(value, grouped)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value == int(value) and abs(value) < 1e15:
            return _whole(int(value), grouped)
        if abs(value) >= 10**SIGNIFICANT:
            return f"{value:,.0f}" if grouped else f"{value:.0f}"
        return f"{value:.{SIGNIFICANT}g}"
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return ""
        value = value.replace(microsecond=0)
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, grouped) for v in value)
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy arrays and scalars
        return format_value(value.tolist(), grouped)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        return ISO_FRACTION.sub(r"\1\2", value)
    return str(value)


def anchor(text: str) -> str:
    """An element id made of ``[a-z0-9-]`` from any text."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "x"


@cache
def _environment(folder: str):
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template_dir: str | Path | None = None, **context: Any) -> str:
    """The report template rendered with ``context`` (autoescaped)."""
    env = _environment(str(template_dir or TEMPLATES))
    return env.get_template(TEMPLATE).render(**context)


def table_data(
    df: pd.DataFrame,
    max_rows: int | None = None,
    total_rows: int | None = None,
    css_class: str = "data",
) -> dict[str, Any]:
    """``df`` as the template's table: column names, cells formatted (:func:`format_value`;
    identifier and year columns without separators), numeric columns marked for right
    alignment, and a note when only the first rows are shown."""
    total = len(df) if total_rows is None else total_rows
    shown = df if max_rows is None else df.head(max_rows)
    numeric = {c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c].dtype)}
    numeric -= {c for c in shown.columns if pd.api.types.is_bool_dtype(shown[c].dtype)}
    grouped = [not IDENTIFIER.search(str(c)) for c in shown.columns]
    rows = [
        [format_value(v, g) for v, g in zip(rec, grouped, strict=True)]
        for rec in shown.itertuples(index=False, name=None)
    ]
    note = ""
    if total > len(shown):
        note = f"First {len(shown):,} of {total:,} rows."
    elif total == 0:
        note = "The table is empty."
    return {
        "columns": [{"name": str(c), "num": c in numeric} for c in shown.columns],
        "rows": rows,
        "css_class": css_class,
        "note": note,
        "caption": "",
    }


def table(
    df: pd.DataFrame,
    max_rows: int | None = None,
    total_rows: int | None = None,
    css_class: str = "data",
) -> Markup:
    """``df`` as an HTML table, every cell escaped; numbers right-aligned.

    ``total_rows`` is the size of the whole table when ``df`` holds only its first rows.
    """
    data = table_data(df, max_rows, total_rows, css_class)
    return Markup(render(fragment="table", table=data))


def kv_pairs(pairs: Iterable[tuple[Any, Any]]) -> list[tuple[str, str]]:
    """Key/value pairs as text (numbers without thousands separators: ids, seeds, sizes)."""
    return [(format_value(k, False), format_value(v, False)) for k, v in pairs]


def kv_table(pairs: Iterable[tuple[Any, Any]], css_class: str = "kv") -> Markup:
    """Two-column key/value table, both escaped."""
    return Markup(render(fragment="kv", pairs=kv_pairs(pairs), css_class=css_class))


def rst_to_html(text: str, source: str, context: Mapping[str, Any] | None = None) -> str:
    """A caption in reStructuredText as an HTML fragment.

    The text is first rendered as a Jinja template with ``snakemake.config`` (as Snakemake's own
    report does with captions), then converted by docutils with raw HTML and file inclusion
    disabled. A template or markup error raises :class:`InputError` naming ``source``.
    """
    import docutils.core
    import docutils.utils
    import jinja2
    import jinja2.sandbox

    env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        text = env.from_string(text).render(**(context or {}))
    except jinja2.TemplateError as exc:
        raise InputError(f"{source}: caption template error: {exc}") from exc
    settings = {
        "raw_enabled": False,
        "file_insertion_enabled": False,
        "report_level": 5,  # no system messages in the output
        "halt_level": 2,  # warnings and errors raise
        "doctitle_xform": False,
        "initial_header_level": 4,
        "embed_stylesheet": False,
        "_disable_config": True,
    }
    try:
        parts = docutils.core.publish_parts(
            source=text, source_path=source, writer="html5", settings_overrides=settings
        )
    except docutils.utils.SystemMessage as exc:
        raise InputError(f"{source}: invalid reStructuredText: {exc}") from exc
    return parts["body"].strip()


def svg_img(svg_path: str | Path, alt: str) -> Markup:
    """An SVG file as an ``<img>`` with a data: URI (its scripts, if any, never run)."""
    data = Path(svg_path).read_bytes()
    if b"<svg" not in data[:2000]:
        raise InputError(f"{svg_path}: expected an SVG document")
    b64 = base64.b64encode(data).decode("ascii")
    return Markup('<img class="figure" alt="{}" src="data:image/svg+xml;base64,{}">').format(
        format_value(alt), b64
    )


def markup(html_text: str) -> dict[str, Any]:
    """A block of ready HTML (already escaped where it holds data)."""
    return {"kind": "markup", "html": Markup(html_text)}


def page(
    title: str,
    sections: Sequence[tuple[str, str, Any]],
    css: str,
    synthetic: bool,
    template_dir: str | Path | None = None,
) -> str:
    """The whole document: ``sections`` are (id, title, body), the body a list of blocks (dicts
    with a ``kind``, see the template) or one piece of ready HTML."""
    rendered = [
        {
            "id": sid,
            "title": stitle,
            "blocks": [markup(body)] if isinstance(body, str) else list(body),
        }
        for sid, stitle, body in sections
    ]
    return render(
        template_dir,
        title=title,
        sections=rendered,
        css=Markup(css),
        synthetic=synthetic,
        banner=SYNTHETIC_BANNER,
        synthetic_text=SYNTHETIC_TEXT,
        csp=Markup(CSP),  # a constant: its quotes stay literal
    )
