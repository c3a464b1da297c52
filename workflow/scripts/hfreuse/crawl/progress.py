"""Progress lines of a crawl: items done, total, rate and ETA (:class:`Progress`), a listing's
estimated size (:class:`CreationEstimate`) and one line over all the shards of a crawl
(:class:`ShardsProgress`)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import read_json

log = logging.getLogger(__name__)


class Progress:
    """Logs items done, total, rate and ETA at most every ``every`` seconds.

    ``initial`` is what earlier runs of a resumed crawl already did: it counts towards the
    total and the ETA's remaining items, but not towards this run's rate. The total may be an
    estimate (``estimated``; or given to :meth:`update`/:meth:`set_done` as ``estimate``, or
    made by a ``timeline`` from the creation times of the items): it is then shown as ``~N``
    and the ETA as ``~...``.
    """

    def __init__(
        self,
        what: str,
        total: int | None = None,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        initial: int = 0,
        estimated: bool = False,
        timeline: CreationEstimate | None = None,
    ) -> None:
        self.what = what
        self.total = total
        self.estimated = estimated
        self.timeline = timeline
        self.every = every
        self._clock = clock
        self.start = clock()
        self.last = -1e9
        # items done by earlier (interrupted) runs: counted in done/total, not in this run's rate
        self.initial = initial
        self.done = initial

    def due(self) -> bool:
        """Whether the next update will log (the last line is ``every`` seconds old)."""
        return self._clock() - self.last >= self.every

    def update(
        self,
        n: int = 1,
        force: bool = False,
        estimate: int | None = None,
        created: Iterable[Any] = (),
    ) -> None:
        """``n`` more items done; ``created``: their creation times, for the ``timeline``."""
        if self.timeline is not None:
            self.timeline.add(created)
            estimate = self.timeline.total(self.done + n) if estimate is None else estimate
        self.set_done(self.done + n, force, estimate)

    def set_done(self, done: int, force: bool = False, estimate: int | None = None) -> None:
        """``done`` items in all (with ``estimate``: the total, estimated)."""
        self.done = done
        if estimate is not None:
            self.total, self.estimated = estimate, True
        now = self._clock()
        if force or now - self.last >= self.every:
            self.last = now
            log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """The progress line: done/total (percent), rate, ETA."""
        now = self._clock() if now is None else now
        elapsed = max(now - self.start, 1e-9)
        rate = (self.done - self.initial) / elapsed
        if not self.total:
            return f"{self.what}: {self.done} done, {rate:.1f}/s"
        total = max(self.total, self.done) if self.estimated else self.total
        left = max(total - self.done, 0)
        eta = left / rate if rate > 0 else float("inf")
        about = "~" if self.estimated else ""
        return (
            f"{self.what}: {self.done}/{about}{total} ({100.0 * self.done / total:.1f}%), "
            f"{rate:.1f}/s, ETA {about if eta != float('inf') else ''}{_fmt_secs(eta)}"
        )


class CreationEstimate:
    """The estimated size of a listing sorted by creation time, oldest first, that runs up to
    the present (the Hub's models by ``createdAt``): the items listed, plus the items created
    between the last one listed and now at the pace of creation (items per second of creation
    time) of the last ``window`` items listed. Items with one and the same creation time (the
    Hub's floor date of its oldest models) give no pace yet. The Hub's uploads speed up over
    the years, so early estimates are low; they grow towards the true size as the crawl nears
    the present.
    """

    def __init__(self, window: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.window = window
        self._clock = clock
        self.pages: list[tuple[int, float, float]] = []  # (items, first, last creation time)

    @staticmethod
    def _seconds(value: Any) -> float | None:
        if not isinstance(value, str):
            return None
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()

    def add(self, created: Iterable[Any]) -> None:
        """A page's items by their creation times (ISO 8601; others are skipped)."""
        times = [t for t in map(self._seconds, created) if t is not None]
        if not times:
            return
        self.pages.append((len(times), min(times), max(times)))
        while len(self.pages) > 1 and sum(p[0] for p in self.pages[1:]) >= self.window:
            self.pages.pop(0)

    def total(self, done: int) -> int | None:
        """The estimated total with ``done`` items listed, or None without a pace yet."""
        if not self.pages:
            return None
        items = sum(p[0] for p in self.pages)
        first, last = self.pages[0][1], max(p[2] for p in self.pages)
        if last <= first:
            return None
        pace = (items - 1) / (last - first)  # items per second between the first and last
        return done + int(max(self._clock() - last, 0.0) * pace)


def _fmt_secs(s: float) -> str:
    if s == float("inf"):
        return "unknown"
    s = int(s)
    return f"{s // 3600}h{(s % 3600) // 60:02d}m{s % 60:02d}s"


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
