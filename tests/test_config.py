"""Configuration: validated at start, one clear line naming each bad key."""

from __future__ import annotations

import datetime

import pytest
import yaml
from conftest import ROOT
from hfreuse.config_check import (
    DATE_PATTERN,
    DATE_RANGES,
    MONTH_PATTERN,
    check_config,
    config_problems,
)
from hfreuse.errors import InputError
from testenv import dry_run

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


#: Every shipped config file, alone or on the overlay it is written for (README's commands).
SHIPPED = [
    ["config.yaml"],
    ["live.yaml"],
    ["paper.yaml"],
    ["scale.yaml"],
    ["paper-figures.yaml"],
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
        (
            "forum:\n  start: '2024-05-01'\n  end: '2024-03-01'\n",
            r"forum\.start \(2024-05-01\) is after forum\.end \(2024-03-01\)",
        ),
        (  # unquoted: YAML dates, compared as dates
            "forum:\n  start: 2024-05-01\n  end: 2024-03-01\n",
            r"forum\.start \(2024-05-01\) is after forum\.end \(2024-03-01\)",
        ),
        ("forum:\n  end: '2024-02-30'\n", r"forum\.end: '2024-02-30' is not a date \(YYYY-MM-DD\)"),
        (
            "trends:\n  start_month: '2024-13'\n",
            r"trends\.start_month: '2024-13' is not a month \(YYYY-MM\)",
        ),
        (
            "stats:\n  card_split_month: '2022-00'\n",
            r"stats\.card_split_month: '2022-00' is not a month \(YYYY-MM\)",
        ),
        (
            "crawl:\n  max_failed_share: 1.5\n",
            r"crawl\.max_failed_share: 1\.5 is greater than the maximum of 1",
        ),
        ("crawl:\n  max_failed_share: -0.1\n", r"crawl\.max_failed_share: -0\.1 is less than"),
    ],
)
def test_bad_config_fails_with_one_clear_message(workflow_copy, overlay, expected):
    bad = workflow_copy / "bad.yaml"
    bad.write_text(overlay)
    proc = dry_run(workflow_copy, configfiles=("config/config.yaml", str(bad)))
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "invalid configuration" in out
    import re

    assert re.search(expected, out), out[-2000:]


def test_unquoted_yaml_dates_are_accepted(workflow_copy):
    """``forum.start: 2024-01-01`` without quotes (a YAML date) is read as "2024-01-01"."""
    overlay = workflow_copy / "dates.yaml"
    overlay.write_text("forum:\n  start: 2024-01-01\n  end: 2024-03-31\nsnapshot: 2024-04-01\n")
    proc = dry_run(workflow_copy, configfiles=("config/config.yaml", str(overlay)))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-2000:]
    assert "is not of type" not in out


def test_an_unquoted_impossible_date_in_config_yaml_names_the_key(workflow_copy):
    """``forum.start: 2024-02-30`` unquoted in config/config.yaml: one config error naming the
    key, not PyYAML's ValueError traceback from inside the loader."""
    cfg = workflow_copy / "config" / "config.yaml"
    text = cfg.read_text()
    assert "\n  start: null" in text
    cfg.write_text(text.replace("\n  start: null", "\n  start: 2024-02-30", 1))
    proc = dry_run(workflow_copy)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "invalid configuration" in out
    assert "forum.start: '2024-02-30' is not a date (YYYY-MM-DD)" in out, out[-2000:]
    assert "day is out of range" not in out and "ValueError" not in out


def test_yaml_loaders_read_an_impossible_date_as_text():
    from hfreuse.config_check import keep_impossible_yaml_dates

    keep_impossible_yaml_dates()
    doc = "a: 2024-02-30\nb: 2024-02-29\nc: 2024-01-01 10:00:00\nd: '2024-13-01'\n"
    expected = {
        "a": "2024-02-30",
        "b": datetime.date(2024, 2, 29),
        "c": datetime.datetime(2024, 1, 1, 10, 0),
        "d": "2024-13-01",
    }
    for loader in (yaml.SafeLoader, yaml.FullLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        assert yaml.load(doc, Loader=loader) == expected


# --- config_problems and check_config, without Snakemake ------------------------------------------


def _config(**sections) -> dict:
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for name, values in sections.items():
        cfg[name] = {**cfg[name], **values} if isinstance(values, dict) else values
    return cfg


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (
            {"forum": {"start": "2024-02-30"}},
            ["forum.start: '2024-02-30' is not a date (YYYY-MM-DD)"],
        ),
        ({"forum": {"start": "2024-1-1"}}, ["forum.start: '2024-1-1' is not a date (YYYY-MM-DD)"]),
        ({"forum": {"end": "2023-02-29"}}, ["forum.end: '2023-02-29' is not a date (YYYY-MM-DD)"]),
        (
            {"trends": {"end_month": "2024-13"}},
            ["trends.end_month: '2024-13' is not a month (YYYY-MM)"],
        ),
        (
            {"trends": {"start_month": datetime.date(2024, 1, 1)}},
            ["trends.start_month: '2024-01-01' is not a month (YYYY-MM)"],
        ),
        (
            {"forum": {"start": "2024-05-01", "end": "2024-03-01"}},
            ["forum.start (2024-05-01) is after forum.end (2024-03-01)"],
        ),
        (
            {"forum": {"start": datetime.date(2024, 5, 1), "end": datetime.date(2024, 3, 1)}},
            ["forum.start (2024-05-01) is after forum.end (2024-03-01)"],
        ),
        (
            {"trends": {"start_month": "2024-05", "end_month": "2024-04"}},
            ["trends.start_month (2024-05) is after trends.end_month (2024-04)"],
        ),
        ({"forum": {"start": "2024-02-29", "end": "2024-02-29"}}, []),  # one day, leap year
        ({"forum": {"start": datetime.date(2024, 1, 1), "end": None}}, []),
        ({"trends": {"start_month": "2024-01", "end_month": "2024-12"}}, []),
        ({"snapshot": datetime.date(2024, 4, 1)}, []),  # an unquoted date as a snapshot id
    ],
)
def test_config_problems_of_dates(sections, expected):
    assert config_problems(_config(**sections), SCHEMA) == expected


def test_every_date_key_of_the_schema_is_checked():
    """Each key with a date or month pattern gets the calendar check; each range names two."""
    schema = yaml.safe_load(SCHEMA.read_text())
    found = {}

    def walk(node, prefix=""):
        for key, sub in node.get("properties", {}).items():
            if sub.get("pattern") in (DATE_PATTERN, MONTH_PATTERN):
                found[prefix + key] = sub["pattern"]
            walk(sub, f"{prefix}{key}.")

    walk(schema)
    assert set(found) == {
        "forum.start",
        "forum.end",
        "trends.start_month",
        "trends.end_month",
        "stats.card_split_month",
    }
    for first, last in DATE_RANGES:
        assert found[first] == found[last]
    for key, pattern in found.items():
        section, name = key.split(".")
        bad = "2023-02-29" if pattern == DATE_PATTERN else "2023-13"
        assert config_problems(_config(**{section: {name: bad}}), SCHEMA) == [
            f"{key}: {bad!r} is not a {'date (YYYY-MM-DD)' if pattern == DATE_PATTERN else 'month (YYYY-MM)'}"
        ]


def test_check_config_writes_unquoted_dates_back_as_strings():
    cfg = _config(forum={"start": datetime.date(2024, 1, 1), "end": datetime.date(2024, 3, 31)})
    check_config(cfg, SCHEMA)
    assert cfg["forum"]["start"] == "2024-01-01" and cfg["forum"]["end"] == "2024-03-31"
    bad = _config(forum={"start": datetime.date(2024, 5, 1), "end": datetime.date(2024, 3, 1)})
    with pytest.raises(InputError, match=r"forum\.start \(2024-05-01\) is after forum\.end"):
        check_config(bad, SCHEMA)


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
    proc = dry_run(workflow_copy, configfiles=("config/config.yaml", str(overlay)), check=True)
    assert "warning: coding.filled_dir is set (coding/filled) but source demo" in proc.stderr
