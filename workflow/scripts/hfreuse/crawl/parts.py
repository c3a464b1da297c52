"""The part files of a shard crawl, written through its request journal
(:class:`JournaledParts`): every verified record is journaled (fsync'd) before it is buffered,
so a kill loses at most the record in flight, and the part files come out as those of a crawl
never killed."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..clients import FetchError
from ..errors import InputError
from ..hub import raw as hub_raw
from ..io import atomic_write_json, atomic_write_jsonl_gz
from .journal import Journal
from .quarantine import Quarantine, quarantinable, quarantine_path
from .runner import ShardRun, check_stored
from .state import move_aside, remove_stale_temps

log = logging.getLogger(__name__)

JOURNAL = "journal.jsonl"  # request counts and records since the last state save


class JournaledParts:
    """The records of a shard crawl (one per model, ``model_id``), written as numbered part files
    of ``part_size`` records (:mod:`hfreuse.hub.raw`'s part files).

    Every verified record is journaled (durably) before it is buffered; a full buffer is
    written as the next part, then the state (request counts), then the journal is emptied. On
    resume the journaled records not in a part are buffered again, not fetched again, so the
    parts come out as those of a crawl never interrupted. A part that is damaged (or missing
    between others) is moved aside and its models, those between its neighbours, are fetched
    again into the same part number.
    """

    def __init__(
        self,
        folder: Path,
        state_path: Path,
        state: dict[str, Any],
        mine: list[str],
        part_size: int,
        journal: Journal,
        what: str = "records",
    ) -> None:
        self.folder, self.state_path, self.state = folder, state_path, state
        self.part_size, self.journal = part_size, journal
        self.done: dict[str, int] = {}  # model_id -> status of the records in parts
        self.first: dict[int, str] = {}  # part number -> its first model id
        numbers = []
        for part in hub_raw.list_parts(folder):
            number = int(hub_raw.PART_RE.match(part.name).group(1))
            try:
                records = hub_raw.read_part(part)
            except InputError as exc:
                move_aside(part, exc)
                continue
            numbers.append(number)
            if records:
                self.first[number] = records[0]["model_id"]
            self.done.update((rec["model_id"], int(rec["status"])) for rec in records)
        top = max(numbers, default=0)
        self.holes = sorted(set(range(1, top + 1)) - set(numbers))
        self._bound: tuple[int, str] = (0, "")
        self.next_new = top + 1
        self.buffer: list[dict[str, Any]] = [
            rec for rec in journal.records if rec["model_id"] not in self.done
        ]
        self.mine = mine  # the shard's selected models, sorted
        # the models stored (in parts) or journaled when the run began: not fetched again
        self.kept = frozenset(self.done) | {rec["model_id"] for rec in self.buffer}
        check_stored(folder, self.kept, mine, what)

    def _hole_bound(self) -> str:
        """The first model id of the parts after the first hole (its models sort before)."""
        if self._bound[0] != self.holes[0]:
            after = [m for n, m in self.first.items() if n > self.holes[0]]
            self._bound = (self.holes[0], min(after) if after else "\U0010ffff")
        return self._bound[1]

    @property
    def target(self) -> int:
        """The number of the part the buffer goes to: the first hole, else a new part."""
        return self.holes[0] if self.holes else self.next_new

    def add(self, rec: dict[str, Any]) -> None:
        """A verified record: journaled, buffered, and a full buffer written as a part."""
        while self.holes and rec["model_id"] > self._hole_bound():
            # the hole holds the models before the part after it: this one goes further on
            if self.buffer:
                self.flush()
            else:
                self.holes.pop(0)  # none of its models is left to fetch
        if len(self.buffer) >= self.part_size:
            self.flush()  # a full part journaled by a run killed before it wrote the part
        self.journal.record(rec)
        self.buffer.append(rec)
        if len(self.buffer) >= self.part_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records as a part, then save the state."""
        if self.buffer:
            number = self.target
            atomic_write_jsonl_gz(hub_raw.part_path(self.folder, number), self.buffer)
            self.first[number] = self.buffer[0]["model_id"]
            self.done.update((rec["model_id"], rec["status"]) for rec in self.buffer)
            self.buffer.clear()
            if self.holes and number == self.holes[0]:
                self.holes.pop(0)
            else:
                self.next_new += 1
        self.save()

    def save(self) -> None:
        """Save the state with the request counts so far; empty the journal unless it holds
        records not yet in a part."""
        self.state["done"] = len(self.done)  # read by the other shards' overall progress
        self.state["stats"] = self.journal.total()
        atomic_write_json(self.state_path, self.state)
        if not self.buffer:
            self.journal.reset()


def resume_shard(
    run: ShardRun, mine: list[str], part_size: int, what: str, marker: Path | None = None
) -> tuple[JournaledParts, Quarantine, list[str]]:
    """A shard crawl resumed: its parts (from the part files and the journal; a damaged part
    moved aside), its quarantine (without the models stored or journaled since, or no longer
    selected), and the models to fetch: those quarantined by an earlier run first, then the rest
    of ``mine`` in order. Temporary files a kill left (beside ``marker`` too) are removed."""
    journal = Journal(run.folder / JOURNAL)
    run.state["stats"] = journal.resumed_stats(run.state["stats"])
    remove_stale_temps(run.folder)
    if marker is not None:
        remove_stale_temps(marker.parent, marker.name)
    parts = JournaledParts(run.folder, run.state_path, run.state, mine, part_size, journal, what)
    quarantine = Quarantine(quarantine_path(run.folder))
    wanted = set(mine)
    if quarantine.discard([m for m in quarantine.ids() if m in parts.kept or m not in wanted]):
        quarantine.save()
    todo = [m for m in quarantine.ids() if m not in parts.kept]
    todo += [m for m in mine if m not in parts.kept and m not in quarantine]
    return parts, quarantine, todo


def quarantined_step(
    fetch: Callable[[str], dict[str, Any]],
    url_of: Callable[[str], str],
    parts: JournaledParts,
    quarantine: Quarantine,
) -> Callable[[str], None]:
    """The loop step of a shard crawl: fetch one model's record into ``parts``; one that still
    fails after the retries (a quarantinable :class:`FetchError`) goes to ``quarantine`` under
    ``url_of(model)`` and the crawl goes on; one fetched leaves the quarantine."""

    def step(model_id: str) -> None:
        try:
            rec = fetch(model_id)
        except FetchError as exc:
            if not quarantinable(exc):
                raise
            quarantine.add(model_id, url_of(model_id), exc)
        else:
            parts.add(rec)
            quarantine.succeeded()
            if quarantine.discard([model_id]):
                quarantine.save()

    return step


def check_complete(
    run: ShardRun, parts: JournaledParts, quarantine: Quarantine, max_failed_share: float, what: str
) -> Counter:
    """At a shard crawl's end: every selected model stored or quarantined, the quarantined share
    within ``max_failed_share`` (else the quarantine's error); returns the stored statuses."""
    mine, done = parts.mine, parts.done
    missing = [m for m in mine if m not in done and m not in quarantine]
    if missing:  # cannot happen unless the part files changed under the crawl
        raise InputError(f"{run.folder}: {len(missing)} {what} missing after the crawl")
    quarantine.check_share(len(mine), max_failed_share, f"{run.label}: {what}")
    return Counter(str(done[m]) for m in mine if m in done)


def finish_shard(
    run: ShardRun,
    parts: JournaledParts,
    quarantine: Quarantine,
    marker: Path,
    hub_dir: Path,
    snapshot: str | None,
    *,
    what: str,
    fields: Callable[[Counter], Mapping[str, Any]],
    pace_key: str,
    max_failed_share: float,
    list_quarantine: bool = True,
) -> dict[str, Any]:
    """The end of a shard crawl: :func:`check_complete` (``what``: its records, e.g. "READMEs"),
    then its marker written last (:meth:`ShardRun.finish`): the crawl's own ``fields`` (of the
    stored statuses), the number of part files and the quarantined models (listed always, or
    with ``list_quarantine`` False only when there are any); returns the marker."""
    statuses = check_complete(run, parts, quarantine, max_failed_share, what)
    doc = {**fields(statuses), "parts": len(hub_raw.list_parts(run.folder))}
    if list_quarantine or len(quarantine):
        doc["quarantined"] = sorted(quarantine.ids())
    marker_doc = run.finish(marker, hub_dir, snapshot, doc, pace_key)
    log.info(
        "%s complete: %d %s (%s), %d requests over %d run(s)",
        run.label, len(parts.mine), what, ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
        run.state["stats"]["requests"], run.state["runs"],
    )  # fmt: skip
    return marker_doc
