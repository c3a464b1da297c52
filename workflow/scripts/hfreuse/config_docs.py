"""The configuration reference ``config/README.md``, generated from the configuration schema.

``workflow/schemas/config.schema.yaml`` is the single source of truth for every configuration key:
its type, default, bounds and description. :func:`render_config_readme` turns it into Markdown
(deterministically: the same schema gives the same bytes) and :func:`missing_descriptions` lists
the keys the schema leaves undocumented. Regenerate the reference from the repository root with::

    PYTHONPATH=workflow/scripts python3 -m hfreuse.config_docs

(``--check`` only reports whether ``config/README.md`` is up to date).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = "workflow/schemas/config.schema.yaml"
README_PATH = "config/README.md"
REGENERATE = "PYTHONPATH=workflow/scripts python3 -m hfreuse.config_docs"

#: The files of config/ and what each is for (file name, purpose), in the order shown.
CONFIG_FILES: tuple[tuple[str, str], ...] = (
    (
        "config.yaml",
        "the defaults, always loaded first (the Snakefile's `configfile:`): the offline **demo** "
        "source on a synthetic snapshot, every key set and commented",
    ),
    (
        "live.yaml",
        "overlay for a real crawl of the HuggingFace Hub and forum (`source: live`); pick a new "
        "`snapshot` id for every new crawl",
    ),
    (
        "cluster-crawl.yaml",
        "overlay on `live.yaml` for a multi-day Hub crawl on Slurm: the README shards run as "
        "cluster jobs (`cluster.fetch_cards_on_nodes`), 8 at once, every README; run it with "
        "`--resources hf_api=1 hf_resolve=8 forum_api=1`",
    ),
    (
        "paper-figures.yaml",
        "overlay on any run for figures to put in a paper (`figures.style: paper`): the paper's "
        "size and fonts, caveats moved to a `<figure>.txt` beside each figure, vector PDF and 300-ppi PNG",
    ),
    (
        "paper.yaml",
        "overlay that reproduces the study from the authors' replication package (`source: paper`)",
    ),
    (
        "scale.yaml",
        "overlay that generates the demo at today's live size (2,000,000 models, 150,000 topics) "
        "with 8 parse and matching shards; `bench/bench_scale.py` scales it",
    ),
)

#: Secrets read from the environment only (name, use).
SECRETS: tuple[tuple[str, str], ...] = (
    (
        "HF_TOKEN",
        "HuggingFace token sent as `Authorization: Bearer` to the Hub for a larger quota "
        "(raise `hub.requests_per_minute` and `hub.resolves_per_minute` to match)",
    ),
    (
        "DISCOURSE_API_KEY",
        "Discourse API key sent to the forum, together with `DISCOURSE_API_USERNAME`",
    ),
    ("DISCOURSE_API_USERNAME", "the Discourse user the API key belongs to"),
    (
        "HFREUSE_PSEUDONYM_KEY",
        "HMAC key of the forum authors' pseudonyms; without it one is created per snapshot in "
        "`resources/raw/<snapshot>/forum/.pseudonym_key` (never published)",
    ),
)

_BOUNDS = (
    ("minimum", ">="),
    ("exclusiveMinimum", ">"),
    ("maximum", "<="),
    ("exclusiveMaximum", "<"),
)


def iter_properties(schema: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, dict]]:
    """Every property of ``schema`` at every depth as ``(dotted path, subschema)``, in schema order.

    Properties of array items are reached as ``<array>[].<key>``, of a schema-valued
    ``additionalProperties`` as ``<object>.*.<key>``.
    """
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else str(name)
        yield path, sub if isinstance(sub, dict) else {}
        if isinstance(sub, dict):
            yield from _iter_nested(sub, path)


def _iter_nested(schema: Mapping[str, Any], path: str) -> Iterator[tuple[str, dict]]:
    yield from iter_properties(schema, path)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _iter_nested(items, f"{path}[]")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from _iter_nested(extra, f"{path}.*")
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            if isinstance(sub, dict):
                yield from _iter_nested(sub, path)


def missing_descriptions(schema: Mapping[str, Any]) -> list[str]:
    """Dotted paths of the properties (at every depth) without a non-empty string description."""
    return [
        path
        for path, sub in iter_properties(schema)
        if not isinstance(sub.get("description"), str) or not sub["description"].strip()
    ]


_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")  # "<" that Markdown would read as an HTML tag


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _cell(text: str) -> str:
    """Table-cell Markdown: one line, pipes escaped, tag-like ``<`` escaped outside code spans."""
    parts = re.split(r"(`[^`]*`)", _one_line(text))
    out = [
        p if p.startswith("`") and p.endswith("`") else _HTML_START.sub("&lt;", p) for p in parts
    ]
    return "".join(out).replace("|", "\\|")


def _pairs_table(head: str, rows: Iterable[tuple[str, str]]) -> list[str]:
    """A two-column Markdown table: the ``head`` row (``"name | use"``), then a row per pair
    (the name as code)."""
    return [f"| {head} |", "|---|---|", *(f"| `{name}` | {_cell(text)} |" for name, text in rows)]


def _code(value: str) -> str:
    fence = "``" if "`" in value else "`"
    pad = " " if "`" in value else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _type(sub: Mapping[str, Any]) -> str:
    types = sub.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    if "enum" in sub and not names:
        names = ["enum"]
    shown = []
    for name in names:
        if name == "array" and isinstance(sub.get("items"), dict) and sub["items"].get("type"):
            shown.append(f"array of {_type(sub['items'])}")
        else:
            shown.append(str(name))
    return " or ".join(shown) or "any"


def _default(sub: Mapping[str, Any], required: bool) -> str:
    if "default" not in sub:
        return "(required)" if required else "(none)"
    return _code(json.dumps(sub["default"], ensure_ascii=False))


def _allowed(sub: Mapping[str, Any]) -> str:
    rules = []
    if "enum" in sub:
        rules.append("one of " + ", ".join(_code(json.dumps(v)) for v in sub["enum"]))
    for key, sign in _BOUNDS:
        if key in sub:
            rules.append(f"{sign} {sub[key]}")
    if "pattern" in sub:
        rules.append(f"matches {_code(sub['pattern'])}")
    if "minItems" in sub:
        rules.append(f"at least {sub['minItems']} item{'s' if sub['minItems'] != 1 else ''}")
    if "maxItems" in sub:
        rules.append(f"at most {sub['maxItems']} items")
    if sub.get("uniqueItems"):
        rules.append("no duplicates")
    items = sub.get("items")
    if isinstance(items, dict):
        inner = _allowed(items)
        if inner:
            rules.append(f"each item: {inner}")
    return "; ".join(rules)


def _table(rows: list[tuple[str, dict, bool]]) -> list[str]:
    lines = [
        "| key | type | default | allowed | description |",
        "|---|---|---|---|---|",
    ]
    for path, sub, required in rows:
        cells = [
            _code(path),
            _type(sub),
            _default(sub, required),
            _allowed(sub) or "",
            sub.get("description", ""),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _rows(schema: Mapping[str, Any], prefix: str) -> list[tuple[str, dict, bool]]:
    """The table rows of an object schema: its properties and, nested, theirs."""
    rows = []
    required = set(schema.get("required") or [])
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else str(name)
        rows.append((path, sub, name in required))
        for nested_path, nested in _iter_nested(sub, path):
            rows.append((nested_path, nested, False))
    return rows


def _is_section(sub: Mapping[str, Any]) -> bool:
    return sub.get("type") == "object" and bool(sub.get("properties"))


def _how_files_combine() -> list[str]:
    """How configuration files combine, the shipped files, the secrets and how to read the
    tables."""
    lines: list[str] = []
    lines += [
        "## How configuration files combine",
        "",
        "The Snakefile always loads `config/config.yaml`, the defaults. Files given with "
        "`--configfile` are merged over it in order, key by key inside a section (a later file "
        "wins), then `--config KEY=VALUE` settings. For example:",
        "",
        "```bash",
        "snakemake --cores 2                                                      # the demo",
        "snakemake --cores 2 --configfile config/config.yaml config/live.yaml     # a live crawl",
        "snakemake --cores 2 --configfile config/config.yaml config/paper.yaml    # the paper",
        "```",
        "",
        "Put targets before `--configfile` / `--config` (those options swallow the following "
        "words). The merged configuration is validated against the schema at start: an unknown "
        "key or a wrong type stops the run with one line naming the key. Keys set in no file "
        "take the default listed below.",
        "",
    ]
    lines += _pairs_table("file | purpose", ((f"config/{n}", p) for n, p in CONFIG_FILES))
    lines += [
        "",
        "**Secrets never go in configuration files.** They are read from the environment only "
        "(all optional) and never reach outputs, logs, Snakemake metadata or the report:",
        "",
    ]
    lines += _pairs_table("variable | use", SECRETS)
    lines += [
        "",
        "Each table lists a section's keys with their type, the default a key takes when no "
        "file sets it, the schema's constraints (*allowed*) and what the key does; where `null` "
        "is allowed, the description says what it means. Every section rejects unknown keys.",
        "",
    ]
    return lines


def render_config_readme(schema: Mapping[str, Any]) -> str:
    """The Markdown configuration reference for ``schema`` (the parsed config schema)."""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    scalars = [(name, sub) for name, sub in props.items() if not _is_section(sub)]
    sections = [(name, sub) for name, sub in props.items() if _is_section(sub)]

    lines = [
        "# Configuration reference",
        "",
        f"<!-- Generated from {SCHEMA_PATH} by workflow/scripts/hfreuse/config_docs.py. "
        "Do not edit by hand. -->",
        "",
        f"> This file is generated from `{SCHEMA_PATH}`; do not edit it by hand. After changing "
        f"the schema, regenerate it from the repository root with `{REGENERATE}` "
        "(a test fails while it is out of date).",
        "",
    ]
    if schema.get("description"):
        lines += [_one_line(schema["description"]), ""]
    lines += _how_files_combine()
    if scalars:
        lines += ["## Top-level keys", ""]
        lines += _table([(name, sub, name in required) for name, sub in scalars])
        lines.append("")
    for name, sub in sections:
        lines += [f"## `{name}`", ""]
        if sub.get("description"):
            text = _cell(sub["description"]).replace("\\|", "|")
            lines += [text[:1].upper() + text[1:].rstrip(".") + ".", ""]
        lines += _table(_rows(sub, name))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def load_schema(path: Path | str) -> dict:
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m hfreuse.config_docs",
        description=f"Write {README_PATH} from {SCHEMA_PATH}.",
    )
    parser.add_argument("--schema", type=Path, default=ROOT / SCHEMA_PATH)
    parser.add_argument("--output", type=Path, default=ROOT / README_PATH)
    parser.add_argument(
        "--check", action="store_true", help="only report whether the output is up to date"
    )
    args = parser.parse_args(argv)
    schema = load_schema(args.schema)
    missing = missing_descriptions(schema)
    if missing:
        print(f"{args.schema}: properties without a description: {', '.join(missing)}")
    text = render_config_readme(schema)
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is out of date; regenerate it with: {REGENERATE}")
            return 1
        print(f"{args.output} is up to date")
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(f"{args.output} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
