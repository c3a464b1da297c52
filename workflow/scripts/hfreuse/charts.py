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

from .io import atomic_write_bytes

SYNTHETIC_NOTE = "SYNTHETIC demo data: not real HuggingFace data"
FLOOR_MONTH = "2022-03"


def top_by(df, value: str, n: int, key: str = "model_type") -> list[str]:
    """The ``n`` values of ``key`` with the largest sum of ``value`` (zero sums left out; ties
    broken by name), largest first."""
    totals = df.groupby(key)[value].sum().reset_index()
    totals = totals[totals[value] > 0]
    totals = totals.sort_values([value, key], ascending=[False, True], kind="mergesort")
    return totals[key].astype(str).head(n).tolist()


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
    atomic_write_bytes(html, chart_html(spec_dict).encode("utf-8"))
