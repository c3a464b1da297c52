"""Reading Vega-Lite specs (``chart.to_dict()``) in the figure tests: leaf layers, marks, rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def leaves(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every leaf layer of a (nested) layer or concatenated spec, in drawing order."""
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for layer in spec.get(key, []):
            if {"layer", "vconcat", "hconcat", "concat"} & set(layer):
                yield from leaves(layer)
            else:
                yield layer


def mark(layer: dict[str, Any]) -> str:
    """The mark type of a layer (``"line"``, ``"text"``...)."""
    m = layer.get("mark")
    return m["type"] if isinstance(m, dict) else m


def rows(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    """The data rows a layer draws (its own dataset or the spec's only one)."""
    name = layer.get("data", {}).get("name") or spec.get("data", {}).get("name")
    return spec["datasets"][name] if name else next(iter(spec["datasets"].values()))
