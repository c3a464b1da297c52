"""The configuration check run at workflow start: one clear line per bad key."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import InputError

#: Keys of earlier releases (dotted name -> what to write now), named in the unknown-key message.
RENAMED_KEYS = {
    "hub.max_models": "hub.oldest_models (the N oldest models, a prefix of the listing sorted "
    "by createdAt, not a sample)",
}

#: Schema patterns of the date keys (YYYY-MM-DD) and month keys (YYYY-MM): every key with one of
#: them is checked as a real calendar date or month.
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MONTH_PATTERN = "^[0-9]{4}-[0-9]{2}$"

#: (first, last) key pairs: the first may not come after the last.
DATE_RANGES = [("forum.start", "forum.end"), ("trends.start_month", "trends.end_month")]


YAML_TIMESTAMP = "tag:yaml.org,2002:timestamp"
YAML_LOADERS = ("SafeLoader", "FullLoader", "Loader", "UnsafeLoader", "CSafeLoader", "CFullLoader")
YAML_LOADERS += ("CLoader", "CUnsafeLoader")


def _timestamp_or_text(loader: Any, node: Any) -> Any:
    """PyYAML's date/datetime of an unquoted timestamp, or its text when it is no real date."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


def keep_impossible_yaml_dates() -> None:
    """Make PyYAML read an unquoted impossible date (``forum.start: 2024-02-30``) as its text.

    PyYAML raises ValueError ("day is out of range for month") deep inside the loader, a
    traceback naming neither the file nor the key; read as text, the date reaches
    :func:`check_config`, which names the key. Real dates are still read as dates. Call it
    before the config files are loaded (the Snakefile does, before ``configfile:``)."""
    for name in YAML_LOADERS:
        loader = getattr(yaml, name, None)  # the C loaders exist only with libyaml
        if loader is not None:
            loader.add_constructor(YAML_TIMESTAMP, _timestamp_or_text)


def _load_schema(schema_path: str | Path) -> dict[str, Any]:
    return yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))


def _leaves(
    cfg: Mapping[str, Any], schema: Mapping[str, Any], prefix: str = ""
) -> Iterator[tuple[Mapping[str, Any], str, str, Mapping[str, Any]]]:
    """``(mapping, key, dotted key, key's schema)`` of every config key the schema describes."""
    properties = schema.get("properties", {})
    for key, value in cfg.items():
        sub = properties.get(key)
        if not isinstance(sub, Mapping):
            continue
        dotted = f"{prefix}{key}"
        yield cfg, key, dotted, sub
        if isinstance(value, Mapping):
            yield from _leaves(value, sub, f"{dotted}.")


def _is_string_key(sub: Mapping[str, Any]) -> bool:
    types = sub.get("type")
    return types == "string" or (isinstance(types, list) and "string" in types)


def normalize_dates(cfg: MutableMapping[str, Any], schema_path: str | Path) -> None:
    """Write, in place, each unquoted YAML date (``forum.start: 2024-01-01``, read as a
    :class:`datetime.date`) at a string key as its ISO string, so that the schema and the rest
    of the workflow see ``"2024-01-01"``."""
    for mapping, key, _, sub in list(_leaves(cfg, _load_schema(schema_path))):
        value = mapping[key]
        if isinstance(value, datetime.date) and _is_string_key(sub):
            if isinstance(value, datetime.datetime) and value.time() == datetime.time():
                value = value.date()
            mapping[key] = value.isoformat()  # type: ignore[index]


def _parse_date(value: str) -> datetime.date | None:
    if not re.fullmatch(DATE_PATTERN, value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _parse_month(value: str) -> datetime.date | None:
    return _parse_date(f"{value}-01") if re.fullmatch(MONTH_PATTERN, value) else None


def date_problems(cfg: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, str]:
    """Dotted key -> message for each date or month key that is no real calendar date or month,
    and for each range whose first key comes after its last."""
    problems: dict[str, str] = {}
    parsed: dict[str, datetime.date] = {}
    for mapping, key, dotted, sub in _leaves(cfg, schema):
        value, pattern = mapping[key], sub.get("pattern")
        if pattern == DATE_PATTERN:
            parse, what = _parse_date, "a date (YYYY-MM-DD)"
        elif pattern == MONTH_PATTERN:
            parse, what = _parse_month, "a month (YYYY-MM)"
        else:
            continue
        if isinstance(value, datetime.date):  # not normalized (config_problems called alone)
            value = value.isoformat()
        if not isinstance(value, str):
            continue  # null, or a wrong type the schema reports
        if (when := parse(value)) is None:
            problems[dotted] = f"{dotted}: {value!r} is not {what}"
        else:
            parsed[dotted] = when
    for first, last in DATE_RANGES:
        if first in parsed and last in parsed and parsed[first] > parsed[last]:
            a, b = _get(cfg, first), _get(cfg, last)
            problems[first] = f"{first} ({a}) is after {last} ({b})"
    return problems


def _get(cfg: Mapping[str, Any], dotted: str) -> Any:
    value: Any = cfg
    for part in dotted.split("."):
        value = value[part]
    return value.isoformat() if isinstance(value, datetime.date) else value


def config_problems(cfg: Mapping[str, Any], schema_path: str | Path) -> list[str]:
    """Every violation of the schema, one sorted line each, named by its dotted key.

    An unknown key lists the keys allowed at that place (``hub.card_shardz: unknown key
    (allowed here: ...)``, plus the new name of a renamed key); a date or month key must be a
    real calendar date or month (``forum.start: '2024-02-30' is not a date (YYYY-MM-DD)``) and a
    range must not end before it starts (``forum.start (2024-05-01) is after forum.end
    (2024-03-01)``); any other violation gives the validator's message. Unquoted YAML dates are
    read as their ISO strings (``cfg`` itself is left unchanged: see :func:`normalize_dates`).
    """
    schema = _load_schema(schema_path)
    cfg = _normalized_copy(cfg, schema_path)
    dates = date_problems(cfg, schema)
    problems = list(dates.values())
    for err in jsonschema.Draft202012Validator(schema).iter_errors(cfg):
        key = ".".join(str(p) for p in err.absolute_path)
        if key in dates and err.validator == "pattern":
            continue  # the date message says it better
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                name = f"{key}.{extra}" if key else extra
                hint = f"; renamed to {RENAMED_KEYS[name]}" if name in RENAMED_KEYS else ""
                problems.append(f"{name}: unknown key (allowed here: {', '.join(allowed)}){hint}")
        else:
            problems.append(f"{key or '<top level>'}: {err.message}")
    return sorted(problems)


def _normalized_copy(cfg: Mapping[str, Any], schema_path: str | Path) -> dict[str, Any]:
    def copy(value: Any) -> Any:
        return {k: copy(v) for k, v in value.items()} if isinstance(value, Mapping) else value

    out = copy(cfg)
    normalize_dates(out, schema_path)
    return out


def check_config(cfg: MutableMapping[str, Any], schema_path: str | Path) -> None:
    """Raise :class:`InputError` listing every problem of the config, one line per bad key.

    Unquoted YAML dates at string keys are first written back into ``cfg`` as ISO strings
    (:func:`normalize_dates`), so the workflow's later ``validate`` and rules see strings.
    """
    normalize_dates(cfg, schema_path)
    if problems := config_problems(cfg, schema_path):
        intro = "invalid configuration (config/config.yaml plus any --configfile/--config):"
        raise InputError("\n  ".join([intro, *problems]))


def config_warnings(cfg: Mapping[str, Any]) -> list[str]:
    """Settings that are valid but have no effect with this source, one line each (printed at
    workflow start)."""
    warnings = []
    filled_dir = (cfg.get("coding") or {}).get("filled_dir")
    if cfg.get("source") == "demo" and filled_dir:
        warnings.append(
            f"coding.filled_dir is set ({filled_dir}) but source demo uses its simulated coders: "
            "the sheets there are not read (set source: live to import them)"
        )
    halves = (cfg.get("crawl") or {}).get("halves") or ["hub", "forum"]
    if cfg.get("source") != "live" and set(halves) != {"hub", "forum"}:
        warnings.append(
            f"crawl.halves is {list(halves)} but source {cfg.get('source')} does not crawl: "
            "it studies both halves (set source: live for a study of one half)"
        )
    return warnings


def check_card_jobs_cap(jobs: int, cap: int | None) -> None:
    """README fetch jobs pace themselves at 1/``jobs`` of the resolve quota, so the resource
    ``hf_resolve`` must be capped at ``jobs`` or less: more jobs at once would exceed it."""
    if cap is None or cap > jobs:
        capped = "not capped" if cap is None else f"capped at {cap}"
        raise InputError(
            f"cluster.card_jobs is {jobs}, so each README fetch job paces itself at 1/{jobs} "
            f"of hub.resolves_per_minute, but the resource hf_resolve is {capped}: more card "
            f"jobs would run at once and together exceed the quota. Cap it at {jobs} "
            f"(--resources hf_resolve={jobs}, or resources: in the profile)."
        )
