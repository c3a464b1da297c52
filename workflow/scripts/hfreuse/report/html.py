"""HTML building blocks of the study report: escaping, tables, captions, the page.

Every piece of text that comes from data (forum titles, codes, model ids, config values) goes
through :func:`esc`. The page carries a Content-Security-Policy that forbids scripts and any
request: figures are embedded as ``data:`` images, the style sheet is inline.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError

#: No script, no font, no frame, no request: only inline styles and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA"
SYNTHETIC_TEXT = (
    "This run used the embedded demo snapshot: generated, synthetic data shaped like the "
    "HuggingFace Hub and forum. No number in this report is a finding about HuggingFace."
)


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(format_value(value), quote=True)


def format_value(value: Any) -> str:
    """A short, deterministic text form of a table cell or manifest value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return ""
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy arrays and scalars
        return format_value(value.tolist())
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def anchor(text: str) -> str:
    """An element id made of ``[a-z0-9-]`` from any text."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "x"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def table(
    df: pd.DataFrame,
    max_rows: int | None = None,
    total_rows: int | None = None,
    css_class: str = "data",
) -> str:
    """``df`` as an HTML table, every cell escaped; numbers right-aligned.

    ``total_rows`` is the size of the whole table when ``df`` holds only its first rows.
    """
    total = len(df) if total_rows is None else total_rows
    shown = df if max_rows is None else df.head(max_rows)
    numeric = {c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c].dtype)}
    numeric -= {c for c in shown.columns if pd.api.types.is_bool_dtype(shown[c].dtype)}
    num = ' class="num"'
    head = "".join(f"<th{num if c in numeric else ''}>{esc(c)}</th>" for c in shown.columns)
    rows = []
    for rec in shown.itertuples(index=False, name=None):
        cells = "".join(
            f"<td{num if c in numeric else ''}>{esc(v)}</td>"
            for c, v in zip(shown.columns, rec, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    note = ""
    if total > len(shown):
        note = f'<p class="note">First {len(shown):,} of {total:,} rows.</p>'
    elif total == 0:
        note = '<p class="note">The table is empty.</p>'
    return (
        f'<div class="table-wrap"><table class="{esc(css_class)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def kv_table(pairs: Iterable[tuple[Any, Any]], css_class: str = "kv") -> str:
    """Two-column key/value table, both escaped."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs)
    return f'<div class="table-wrap"><table class="{esc(css_class)}"><tbody>{rows}</tbody></table></div>'


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


def svg_img(svg_path: str | Path, alt: str) -> str:
    """An SVG file as an ``<img>`` with a data: URI (its scripts, if any, never run)."""
    data = Path(svg_path).read_bytes()
    if b"<svg" not in data[:2000]:
        raise InputError(f"{svg_path}: expected an SVG document")
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img class="figure" alt="{esc(alt)}" src="data:image/svg+xml;base64,{b64}">'


def section(sid: str, title: str, body: str, synthetic: bool) -> str:
    """A top-level section; on demo runs it carries the synthetic badge."""
    badge = f' <span class="synthetic-badge">{SYNTHETIC_BANNER}</span>' if synthetic else ""
    note = f'<p class="synthetic-note">{esc(SYNTHETIC_TEXT)}</p>' if synthetic else ""
    return f'<section id="{esc(sid)}"><h2>{esc(title)}{badge}</h2>{note}\n{body}\n</section>\n'


def page(title: str, sections: list[tuple[str, str, str]], css: str, synthetic: bool) -> str:
    """The whole document: ``sections`` are (id, title, body HTML)."""
    toc = "".join(f'<li><a href="#{esc(sid)}">{esc(t)}</a></li>' for sid, t, _ in sections)
    banner = (
        f'<div class="synthetic-banner" role="alert">{SYNTHETIC_BANNER}: {esc(SYNTHETIC_TEXT)}</div>'
        if synthetic
        else ""
    )
    doc_title = f"[{SYNTHETIC_BANNER}] {title}" if synthetic else title
    body = "".join(section(sid, t, b, synthetic) for sid, t, b in sections)
    body_class = ' class="synthetic"' if synthetic else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(doc_title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
        f"<body{body_class}>\n{banner}\n"
        f"<header><h1>{esc(title)}</h1>\n"
        f'<nav><ol class="toc">{toc}</ol></nav></header>\n<main>\n{body}</main>\n'
        "</body>\n</html>\n"
    )
