"""The part files of a shard crawl, written through its request journal
(:class:`JournaledParts`): every verified record is journaled (fsync'd) before it is buffered,
so a kill loses at most the record in flight, and the part files come out as those of a crawl
never killed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..hub import raw as hub_raw
from ..io import atomic_write_json, atomic_write_jsonl_gz
from .journal import Journal
from .runner import check_stored
from .state import move_aside


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
