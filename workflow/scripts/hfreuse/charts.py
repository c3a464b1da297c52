"""Shared chart helpers: theme, synthetic labelling, and saving a chart in all formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import altair as alt

from .io import atomic_write_bytes

SYNTHETIC_NOTE = "SYNTHETIC demo data: not real HuggingFace data"
FLOOR_MONTH = "2022-03"


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


def save_chart(chart: alt.TopLevelMixin, html: str, svg: str, png: str, spec: str) -> None:
    """Save ``chart`` as inline HTML (works offline), SVG, PNG and the Vega-Lite JSON spec.

    Each file is written atomically.
    """
    import vl_convert as vlc

    spec_dict = chart.to_dict()
    spec_json = json.dumps(spec_dict, sort_keys=True, indent=1)
    for out in (html, svg, png, spec):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(spec, (spec_json + "\n").encode("utf-8"))
    atomic_write_bytes(svg, vlc.vegalite_to_svg(spec_dict).encode("utf-8"))
    atomic_write_bytes(png, vlc.vegalite_to_png(spec_dict, scale=2))
    tmp_html = f"{html}.tmp-{os.getpid()}.html"
    try:
        chart.save(tmp_html, format="html", inline=True)
        os.replace(tmp_html, html)
    finally:
        if os.path.exists(tmp_html):
            os.unlink(tmp_html)
