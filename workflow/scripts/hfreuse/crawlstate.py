"""Progress files of resumable crawls (kept beside a raw snapshot, outside declared outputs)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .clients import Progress
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


class ShardsProgress:
    """One progress line over all the shards of a crawl (done/total, rate, ETA), whichever
    machine or process runs them: the items done by the other shards are read from their state
    files (the ``done`` entry; a missing or unreadable file counts what it last said, else 0),
    this shard's are passed live. ``total`` is the items of all shards. The rate is that of all
    shards together since this one started, so the ETA holds whether they run side by side or
    in turn.
    """

    def __init__(
        self,
        what: str,
        states: Callable[[], Iterable[Path]],
        own: Path,
        total: int,
        own_done: int,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.states, self.own = states, Path(own)
        self.known: dict[Path, int] = {}
        self.progress = Progress(
            what, total=total, every=every, clock=clock, initial=self.done(own_done)
        )
        self.progress.last = clock()  # the first line after ``every`` seconds

    def done(self, own_done: int) -> int:
        """Items done by all shards: the others' state files plus ``own_done``."""
        for path in self.states():
            path = Path(path)
            if path == self.own:
                continue
            try:
                state = read_json(path) if path.exists() else None
            except (InputError, OSError):
                state = None  # being replaced, or damaged: what it said last
            if isinstance(state, dict) and isinstance(state.get("done"), int):
                self.known[path] = state["done"]
        return sum(self.known.values()) + own_done

    def tick(self, own_done: int, force: bool = False) -> None:
        """Log the overall line when it is due (reading the state files only then)."""
        if force or self.progress.due():
            self.progress.set_done(self.done(own_done), force)
