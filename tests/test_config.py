"""Configuration: validated at start, one clear line naming each bad key."""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, run_snakemake

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


#: Every shipped config file, alone or on the overlay it is written for (README's commands).
SHIPPED = [
    ["config.yaml"],
    ["live.yaml"],
    ["paper.yaml"],
    ["scale.yaml"],
    ["live.yaml", "cluster-crawl.yaml"],
]


@pytest.mark.parametrize("names", SHIPPED, ids="+".join)
def test_shipped_configs_are_valid(names):
    """Each shipped overlay, on config/config.yaml as the README runs it, is valid."""
    import jsonschema

    schema = yaml.safe_load(SCHEMA.read_text())
    merged = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for name in names:
        overlay = yaml.safe_load((ROOT / "config" / name).read_text())
        for key, value in overlay.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    jsonschema.Draft202012Validator(schema).validate(merged)


def test_every_shipped_config_is_validated():
    tested = {name for names in SHIPPED for name in names}
    assert {p.name for p in (ROOT / "config").glob("*.yaml")} == tested


@pytest.mark.parametrize(
    ("overlay", "expected"),
    [
        (
            "hub:\n  card_shardz: 3\n",
            r"hub\.card_shardz: unknown key \(allowed here: .*card_shards",
        ),
        ("hub:\n  card_shards: many\n", r"hub\.card_shards: 'many' is not of type 'integer'"),
        ("source: crawl\n", r"source: 'crawl' is not one of \['demo', 'live', 'paper'\]"),
        ("snapshots: x\n", r"snapshots: unknown key"),
        (
            "hub:\n  max_models: 100\n",
            r"hub\.max_models: unknown key \(allowed here: .*\); renamed to hub\.oldest_models",
        ),
    ],
)
def test_bad_config_fails_with_one_clear_message(workflow_copy, overlay, expected):
    bad = workflow_copy / "bad.yaml"
    bad.write_text(overlay)
    proc = run_snakemake(
        workflow_copy,
        "-n",
        "--cores",
        "1",
        "--configfile",
        "config/config.yaml",
        str(bad),
        check=False,
    )
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "invalid configuration" in out
    import re

    assert re.search(expected, out), out[-2000:]


def test_filled_dir_in_demo_is_a_warning(workflow_copy):
    """Source demo uses its simulated coders: coding.filled_dir set there is named, not ignored
    without a word."""
    from hfreuse.config_check import config_warnings

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert config_warnings(cfg) == []
    cfg["coding"]["filled_dir"] = "coding/filled"
    assert config_warnings(cfg) == [
        "coding.filled_dir is set (coding/filled) but source demo uses its simulated coders: "
        "the sheets there are not read (set source: live to import them)"
    ]
    assert config_warnings({**cfg, "source": "live"}) == []
    overlay = workflow_copy / "filled.yaml"
    overlay.write_text("coding:\n  filled_dir: coding/filled\n")
    proc = run_snakemake(
        workflow_copy, "-n", "--cores", "1", "--configfile", "config/config.yaml", str(overlay)
    )
    assert "warning: coding.filled_dir is set (coding/filled) but source demo" in proc.stderr
