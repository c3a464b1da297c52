"""Progress files of resumable crawls (kept beside a raw snapshot, outside declared outputs):
states and the handling of damaged raw files (the request journal: :mod:`hfreuse.crawl.journal`)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import read_json

log = logging.getLogger(__name__)


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


CORRUPT_SUFFIX = ".corrupt"


def move_aside(path: Path, why: object) -> Path:
    """Rename a damaged raw file to ``<name>.corrupt`` (kept for inspection; never read again)
    so that the crawl fetches it again; returns the new path."""
    aside = path.with_name(path.name + CORRUPT_SUFFIX)
    os.replace(path, aside)
    log.warning("%s: damaged (%s); moved aside to %s, it is fetched again", path, why, aside.name)
    return aside


def damaged(path: Path | str, exc: Exception, rule: str) -> InputError:
    """The error of a reader meeting a damaged raw file: names the file and how to recover it
    (``rule``: the crawl rule that wrote it)."""
    return InputError(
        f"{exc} -- {path} is damaged (truncated or altered). Recover it by rerunning its crawl: "
        f"`snakemake --forcerun {rule}` with the same configuration (the crawler moves the file "
        f"aside to {Path(path).name}{CORRUPT_SUFFIX} and fetches it again; a demo snapshot is "
        "rebuilt by forcing its generate_demo_* rule)"
    )


def remove_stale_temps(folder: Path, names: str = "*") -> int:
    """Delete the temp files that writes killed mid-way left in ``folder`` (not below it):
    ``.<name>.<suffix>.tmp``, the names :func:`hfreuse.io.atomic_write_bytes` and
    :func:`hfreuse.forum.raw.write_json_gz` write before their rename. ``names`` narrows them to
    one file's (``.<names>.*.tmp``). Returns how many were deleted."""
    if not folder.is_dir():
        return 0
    stale = list(folder.glob(f".{names}.*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        log.info("%s: deleted %d temp file(s) of a write cut short", folder, len(stale))
    return len(stale)
