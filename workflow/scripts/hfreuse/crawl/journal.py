"""The request journal of a resumable crawl unit (:class:`Journal`): request counts that survive
a SIGKILL, and the verified records not yet in a part file."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .state import move_aside
from .stats import Stats

log = logging.getLogger(__name__)

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
