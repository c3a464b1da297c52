"""Progress files of resumable crawls (kept beside a raw snapshot, outside declared outputs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InputError
from .io import read_json


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second (crawl dates in manifests)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_state(
    path: Path,
    version: int,
    key: str,
    settings: Mapping[str, Any],
    renamed: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The progress of a crawl in progress, or None when there is none yet.

    Refuses a state of another ``version`` and progress made with other settings (the state's
    ``key`` entry must equal ``settings``): a raw snapshot is immutable. ``renamed`` maps setting
    names a state may still carry from an earlier release to their current names, so a crawl
    started before a rename resumes instead of being refused (same setting, same value).
    """
    if not path.exists():
        return None
    state = read_json(path)
    if not isinstance(state, dict) or state.get("version") != version:
        raise InputError(f"{path}: expected a crawl state of version {version}")
    old = state.get(key) or {}
    for before, after in (renamed or {}).items():
        if isinstance(old, dict) and before in old and after not in old:
            old = {(after if k == before else k): v for k, v in old.items()}
            state[key] = old
    if old != dict(settings):
        changed = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
        raise InputError(
            f"{path}: this snapshot's crawl was started with other settings ({', '.join(changed)} "
            "differ); a raw snapshot is immutable: restore the settings or use a new snapshot id"
        )
    return state
