"""The configuration explains itself: every schema key is described, config/README.md is current."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT
from hfreuse.config_docs import (
    CONFIG_FILES,
    REGENERATE,
    iter_properties,
    missing_descriptions,
    render_config_readme,
)

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
README = ROOT / "config" / "README.md"


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text())


def _config_keys(data: dict, prefix: str = ""):
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        yield path
        if isinstance(value, dict):
            yield from _config_keys(value, path)


def test_every_schema_property_has_a_description(schema):
    missing = missing_descriptions(schema)
    assert not missing, f"{SCHEMA.relative_to(ROOT)}: add a description to {', '.join(missing)}"


def test_the_checker_sees_every_depth(schema):
    paths = [path for path, _ in iter_properties(schema)]
    assert "source" in paths and "hub" in paths and "hub.endpoint" in paths
    assert "cluster.card_jobs" in paths
    assert len(paths) == len(set(paths))


@pytest.mark.parametrize(
    ("path", "blank"),
    [("hub.endpoint", None), ("forum.recheck_days", "  "), ("source", ""), ("coding", None)],
)
def test_missing_description_is_reported(schema, path, blank):
    broken = copy.deepcopy(schema)
    node = broken
    for part in path.split("."):
        node = node["properties"][part]
    if blank is None:
        del node["description"]
    else:
        node["description"] = blank
    assert missing_descriptions(broken) == [path]
    assert missing_descriptions(schema) == []


def test_missing_description_is_found_in_nested_objects_and_array_items():
    schema = {
        "type": "object",
        "properties": {
            "outer": {
                "type": "object",
                "description": "an object",
                "properties": {"inner": {"type": "integer"}},
            },
            "rows": {
                "type": "array",
                "description": "a list of objects",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
    }
    assert missing_descriptions(schema) == ["outer.inner", "rows[].name"]


def test_readme_is_generated_from_the_schema(schema):
    expected = render_config_readme(schema)
    actual = README.read_text() if README.exists() else ""
    assert actual == expected, (
        f"{README.relative_to(ROOT)} is out of date with {SCHEMA.relative_to(ROOT)}; "
        f"regenerate it from the repository root with: {REGENERATE}"
    )


def test_rendering_is_deterministic(schema):
    assert render_config_readme(schema) == render_config_readme(copy.deepcopy(schema))


def test_every_config_key_is_in_the_readme():
    text = README.read_text()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    missing = [key for key in _config_keys(config) if f"`{key}`" not in text]
    assert not missing, f"keys of config/config.yaml missing from config/README.md: {missing}"


def test_every_schema_key_has_a_table_row(schema):
    text = README.read_text()
    rows = [path for path, sub in iter_properties(schema) if sub.get("type") != "object"]
    missing = [path for path in rows if f"| `{path}` |" not in text]
    assert not missing, missing


def test_readme_describes_every_config_file_and_secret():
    text = README.read_text()
    shipped = sorted(p.name for p in (ROOT / "config").glob("*.yaml"))
    assert sorted(name for name, _ in CONFIG_FILES) == shipped, (
        "config/ files changed: update CONFIG_FILES in workflow/scripts/hfreuse/config_docs.py"
    )
    for name in shipped:
        assert f"`config/{name}`" in text
    for secret in (
        "HF_TOKEN",
        "DISCOURSE_API_KEY",
        "DISCOURSE_API_USERNAME",
        "HFREUSE_PSEUDONYM_KEY",
    ):
        assert f"`{secret}`" in text
    assert "generated from `workflow/schemas/config.schema.yaml`" in text
    assert REGENERATE in text


def test_markdown_cells_stay_in_their_table():
    schema = {
        "type": "object",
        "properties": {
            "sec": {
                "type": "object",
                "description": "a section",
                "properties": {
                    "k": {
                        "type": ["string", "null"],
                        "default": None,
                        "enum": ["a|b", None],
                        "description": "pipes | and <tags> and\na newline",
                    }
                },
            }
        },
    }
    text = render_config_readme(schema)
    row = next(line for line in text.splitlines() if line.startswith("| `sec.k`"))
    assert row.count("|") - row.count("\\|") == 6
    assert "&lt;tags>" in row and "and a newline" in row
