"""Progress files of resumable crawls (kept beside a raw snapshot, outside declared outputs):
states, request journals, and the handling of damaged raw files."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .clients import Progress, Stats
from .errors import InputError
from .io import read_json

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


# --- damaged raw files ----------------------------------------------------------------------

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


# --- request journal ------------------------------------------------------------------------

#: status key of a request journaled as sent whose answer was never journaled (the process was
#: killed with the request in flight): it may or may not have reached the server
INTERRUPTED = "interrupted"
_COUNTS = ("requests", "retries", "errors", "rate_limited")


def stats_since(now: Mapping[str, Any], then: Mapping[str, Any]) -> dict[str, Any]:
    """The requests counted between two :meth:`Stats.as_dict` snapshots of one client."""
    return {
        **{k: int(now[k]) - int(then[k]) for k in _COUNTS},
        "waited_seconds": float(now["waited_seconds"]) - float(then["waited_seconds"]),
        "statuses": {
            k: v - then["statuses"].get(k, 0)
            for k, v in now["statuses"].items()
            if v - then["statuses"].get(k, 0)
        },
    }


class Journal:
    """The append-only journal of one resumable crawl unit (a listing, a README shard, a forum
    phase): its request counts and the verified records not yet in a part file.

    One JSON line per event, each with the unit's cumulative request counts (``stats``):
    ``sent`` just before a request goes out (counted already), ``answered`` once its outcome is
    counted, ``record`` for a verified record (with the record). Request lines are written with
    one ``write`` each (they survive the death of the process; a SIGKILL cannot lose them), a
    record line is also fsync'd (with the lines before it). The progress file (state) keeps the
    counts of its last save; the journal is emptied (:meth:`reset`) once a save holds all it
    says. On resume the journal's counts win when they count more requests than the state's;
    a last line ``sent`` means the request was in flight when the process died: it is counted
    (status :data:`INTERRUPTED`), so the counts may exceed the requests the server saw by that
    one request per kill, never fall short. A torn last line (a write cut by a power loss) is
    discarded; a journal damaged anywhere else is moved aside with a warning (its counts since
    the last save are lost, its records fetched again).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.stats: dict[str, Any] | None = None  # the counts of the last line
        self.pending = False  # the last line is a request sent without its answer
        self.records: list[Any] = []
        self._valid = 0  # bytes of whole lines
        self._fd: int | None = None
        self._client: Any = None
        self._base: dict[str, Any] = Stats().as_dict()
        self._stats0: dict[str, Any] = Stats().as_dict()
        self._replay()

    def _replay(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        lines = data[:end].split(b"\n")[:-1]
        entries = []
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or not isinstance(entry.get("stats"), dict):
                    raise ValueError("expected an object with 'stats'")
            except ValueError as exc:
                if number == len(lines) and end == len(data):
                    end -= len(line) + 1  # a torn last line
                    break
                move_aside(self.path, f"line {number}: {exc}")
                log.warning("%s: request counts since the last state save are lost", self.path)
                return
            entries.append(entry)
        if end < len(data):
            log.info("%s: a torn last line (%d bytes) discarded", self.path, len(data) - end)
        self._valid = end
        self.records = [e["record"] for e in entries if e.get("event") == "record"]
        if entries:
            self.stats = entries[-1]["stats"]
            self.pending = entries[-1].get("event") == "sent"

    def resumed_stats(self, saved: Mapping[str, Any] | None) -> dict[str, Any]:
        """The unit's request counts on resume: the state's (``saved``), or the journal's when it
        counts more requests (a request in flight at the kill counted as :data:`INTERRUPTED`)."""
        saved_stats = Stats.from_dict(saved)
        if self.stats is None or int(self.stats["requests"]) <= saved_stats.requests:
            return saved_stats.as_dict()
        out = Stats.from_dict(self.stats)
        if self.pending:
            out.statuses[INTERRUPTED] = out.statuses.get(INTERRUPTED, 0) + 1
        return out.as_dict()

    @contextmanager
    def recording(self, client: Any, base: Mapping[str, Any] | None) -> Iterator[Journal]:
        """Journal ``client``'s requests from now on, on top of ``base`` (the unit's counts
        before this run: :meth:`resumed_stats`)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if os.fstat(fd).st_size > self._valid:
            os.ftruncate(fd, self._valid)  # drop a torn last line before appending
        self._fd, self._client = fd, client
        self._base = Stats.from_dict(base).as_dict()
        self._stats0 = client.stats.as_dict()
        previous, client.observer = client.observer, self._observe
        try:
            yield self
        finally:
            client.observer = previous
            self._fd = None
            os.close(fd)

    def rebase(self, base: Mapping[str, Any] | None) -> None:
        """Count from now on top of ``base`` (the unit's counts before this run), for a unit
        whose earlier counts are known only once recording has begun."""
        self._base = Stats.from_dict(base).as_dict()
        self._stats0 = self._client.stats.as_dict()

    def total(self) -> dict[str, Any]:
        """The unit's cumulative counts: earlier runs' plus this run's requests so far."""
        total = Stats.from_dict(self._base)
        total.add(stats_since(self._client.stats.as_dict(), self._stats0))
        return total.as_dict()

    def _append(self, entry: dict[str, Any], sync: bool) -> None:
        line = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        os.write(self._fd, line.encode("utf-8") + b"\n")
        if sync:
            os.fsync(self._fd)

    def _observe(self, event: str) -> None:
        self._append({"event": event, "stats": self.total()}, sync=False)

    def record(self, record: Any) -> None:
        """Journal a verified record (durable once this returns)."""
        self._append({"event": "record", "record": record, "stats": self.total()}, sync=True)
        self.records.append(record)

    def reset(self) -> None:
        """Empty the journal: call it once the state holding :meth:`total` (and the part file
        holding :attr:`records`) is saved."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        elif self.path.exists():
            self.path.unlink()
        self.records, self.stats, self.pending, self._valid = [], None, False, 0
