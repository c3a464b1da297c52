"""The figure registry (workflow/figures.yaml): one entry per figure, each complete and drawable."""

from __future__ import annotations

import importlib
import inspect

import pandas as pd
import pytest
import yaml
from conftest import ROOT
from hfreuse.errors import InputError
from hfreuse.figures import builder_args, config_value, draw, load_registry

REGISTRY = ROOT / "workflow" / "figures.yaml"
CAPTIONS = ROOT / "workflow" / "report" / "captions"


@pytest.fixture(scope="module")
def registry():
    return load_registry(REGISTRY, CAPTIONS)


def test_every_entry_is_complete_and_its_builder_takes_its_arguments(registry):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    products = yaml.safe_load((ROOT / "workflow" / "products.yaml").read_text())
    tables = {name for entries in products.values() for name in entries}
    source = {"synthetic": True, "coding_note": "source: test"}
    assert len(registry) == 14
    for name, fig in registry.items():
        module, function = fig["builder"].split(":")
        params = inspect.signature(getattr(importlib.import_module(module), function)).parameters
        args = builder_args(fig, config, source)
        assert set(fig["inputs"]) | set(fig["optional"]) | set(args) <= set(params), name
        reads = set(fig["inputs"].values()) | set(fig["optional"].values())
        assert reads <= tables, f"{name}: reads a table no product makes"
        assert fig["category"].split(":")[0] in {"RQ1", "RQ2", "RQ3", "Data"}, name
    assert sorted(p.stem for p in CAPTIONS.glob("*.rst")) == sorted(registry)


def test_a_figure_without_caption_is_an_error(tmp_path):
    captions = tmp_path / "captions"
    captions.mkdir()
    (captions / "alpha.rst").write_text("Alpha.\n")
    reg = tmp_path / "figures.yaml"
    entry = {"builder": "m:f", "inputs": {}, "category": "RQ3: trends", "subcategory": "x"}
    reg.write_text(yaml.safe_dump({"alpha": entry, "beta": entry}))
    with pytest.raises(InputError, match=r"figure 'beta': its caption .*beta\.rst is missing"):
        load_registry(reg, captions)
    reg.write_text(yaml.safe_dump({"alpha": {**entry, "colour": "red"}}))
    with pytest.raises(InputError, match=r"figure 'alpha': unknown field\(s\) \['colour'\]"):
        load_registry(reg, captions)
    reg.write_text(yaml.safe_dump({"alpha": {**entry, "builder": "no_colon"}}))
    with pytest.raises(InputError, match="is not 'module:function'"):
        load_registry(reg, captions)


def test_settings_come_from_config_literals_and_the_source():
    fig = {
        "args": {"kind": "benefit"},
        "config": {"width": "figures.width"},
        "source": {"source_note": "coding_note"},
    }
    config = {"figures": {"width": 321}}
    args = builder_args(fig, config, {"synthetic": False, "coding_note": "note"})
    assert args == {"kind": "benefit", "width": 321, "source_note": "note", "synthetic": False}
    assert config_value({"a": {"b": {"c": 3}}}, "a.b.c") == 3


def test_draw_calls_the_builder_with_tables_and_settings(registry):
    monthly = pd.DataFrame(
        {
            "month": ["2023-01", "2023-02"],
            "models": [10, 20],
            "models_with_card_data": [5, 5],
            "share": [0.5, 0.25],
            "models_floored": [0, 0],
            "floor_month": [False, False],
            "partial_month": [False, True],
        }
    )
    fig = registry["card_share"]
    args = builder_args(fig, {"figures": {"width": 300, "height": 200}}, {"synthetic": True})
    spec = draw(fig["builder"], {"monthly": monthly}, args).to_dict()
    assert spec["title"]["subtitle"][0].startswith("SYNTHETIC")
