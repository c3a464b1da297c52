"""The figure registry (``workflow/figures.yaml``): every figure of the study, declared once.

Each entry names the builder (``module:function`` returning an Altair chart), the tables it
reads (builder argument -> table name of ``workflow/products.yaml``; ``optional`` ones are read
when the run has them, else the builder gets None), its settings (builder argument -> dotted
config key, a literal value, or a setting of the run's source such as its note on where coded
data come from; every builder also gets ``synthetic``) and its place in the reports (category,
subcategory). A run draws every figure whose (non-optional) tables it has. Its caption is
``<caption_dir>/<name>.rst``; a figure without one is an error. The Snakemake layer turns each
entry into a plot rule, the default target and the report declarations; :func:`draw` is what
the plot rule runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

FIELDS = {"builder", "inputs", "optional", "config", "args", "source", "category", "subcategory"}
REQUIRED = {"builder", "inputs", "category", "subcategory"}


def load_registry(path: str | Path, caption_dir: str | Path) -> dict[str, dict[str, Any]]:
    """The registry's entries by figure name, in file order, each with its ``caption`` path.

    Raises :class:`InputError` naming the file and figure for an unknown or missing field, a
    builder that is not ``module:function``, or a caption file that does not exist.
    """
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(doc, Mapping) or not doc:
        raise InputError(f"{path}: expected a mapping of figure name -> entry")
    registry: dict[str, dict[str, Any]] = {}
    for name, entry in doc.items():
        where = f"{path}: figure {name!r}"
        if not isinstance(entry, Mapping):
            raise InputError(f"{where}: expected a mapping")
        unknown, missing = set(entry) - FIELDS, REQUIRED - set(entry)
        if unknown or missing:
            raise InputError(
                f"{where}: unknown field(s) {sorted(unknown)}, missing field(s) {sorted(missing)}"
            )
        if str(entry["builder"]).count(":") != 1:
            raise InputError(f"{where}: builder {entry['builder']!r} is not 'module:function'")
        caption = Path(caption_dir) / f"{name}.rst"
        if not caption.is_file():
            raise InputError(f"{where}: its caption {caption} is missing (every figure has one)")
        registry[str(name)] = {
            "builder": str(entry["builder"]),
            "inputs": dict(entry["inputs"]),
            "config": dict(entry.get("config") or {}),
            "args": dict(entry.get("args") or {}),
            "source": dict(entry.get("source") or {}),
            "optional": dict(entry.get("optional") or {}),
            "category": str(entry["category"]),
            "subcategory": str(entry["subcategory"]),
            "caption": str(caption),
        }
    return registry


def config_value(config: Mapping[str, Any], dotted: str) -> Any:
    """``config["a"]["b"]`` for ``"a.b"``."""
    value: Any = config
    for part in dotted.split("."):
        value = value[part]
    return value


def figure_style(config: Mapping[str, Any]) -> str:
    """The run's figure style (``figures.style``: report or paper)."""
    return str((config.get("figures") or {}).get("style", "report"))


def figure_paths(folder: str, name: str, style: str) -> dict[str, str]:
    """The files of one figure in ``folder``, named as the plot script's outputs: HTML, SVG, PNG
    and the Vega-Lite spec; the paper style adds a vector PDF and the caption (title and
    caveats)."""
    files = {k: f"{folder}/{name}.{k}" for k in ("html", "svg", "png")}
    files["spec"] = f"{folder}/{name}.json"
    if style == "paper":
        files |= {"pdf": f"{folder}/{name}.pdf", "caption": f"{folder}/{name}.txt"}
    return files


def builder_args(
    entry: Mapping[str, Any], config: Mapping[str, Any], source: Mapping[str, Any]
) -> dict[str, Any]:
    """The builder's keyword settings: literal ``args``, the ``config`` keys' values, the
    source's settings named by ``source``, and ``synthetic`` (whether the source is). In the
    paper style the sizes (``width``, ``height``, ``size``) are the paper's
    (:data:`hfreuse.charts.PAPER`), whatever the configuration says."""
    from .charts import PAPER

    args = dict(entry["args"])
    args.update({arg: config_value(config, key) for arg, key in entry["config"].items()})
    args.update({arg: source[key] for arg, key in entry["source"].items()})
    args["synthetic"] = bool(source["synthetic"])
    if figure_style(config) == "paper":
        args.update({k: PAPER[k] for k in ("width", "height", "size") if k in args})
    return args


def draw(builder: str, tables: Mapping[str, Any], args: Mapping[str, Any]) -> Any:
    """Call the builder ``module:function`` with the tables and settings; the chart."""
    module, function = builder.split(":")
    build = getattr(importlib.import_module(module), function)
    return build(**tables, **args)
