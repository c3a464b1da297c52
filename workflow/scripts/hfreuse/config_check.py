"""The configuration check run at workflow start: one clear line per bad key."""

from __future__ import annotations

from collections.abc import Mapping
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


def config_problems(cfg: Mapping[str, Any], schema_path: str | Path) -> list[str]:
    """Every violation of the schema, one sorted line each, named by its dotted key.

    An unknown key lists the keys allowed at that place (``hub.card_shardz: unknown key
    (allowed here: ...)``, plus the new name of a renamed key); any other violation gives the
    validator's message.
    """
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    problems = []
    for err in jsonschema.Draft202012Validator(schema).iter_errors(dict(cfg)):
        key = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                name = f"{key}.{extra}" if key else extra
                hint = f"; renamed to {RENAMED_KEYS[name]}" if name in RENAMED_KEYS else ""
                problems.append(f"{name}: unknown key (allowed here: {', '.join(allowed)}){hint}")
        else:
            problems.append(f"{key or '<top level>'}: {err.message}")
    return sorted(problems)


def check_config(cfg: Mapping[str, Any], schema_path: str | Path) -> None:
    """Raise :class:`InputError` listing every problem of the config, one line per bad key."""
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
