"""Repeat snapshots of the Hub (``hub.previous_snapshot``): the records a shard crawl takes over
from an earlier complete snapshot instead of fetching them.

The listing is always crawled anew. A README shard then takes a model's README record from the
previous snapshot when the record resolved the very revision the new listing lists (its
``revision`` equals the listed ``sha``: a file at a commit never changes) and was final there
(200 with its text, or 404 asked twice); a history shard takes a floored model's history when it
dated the model (200, commits, the oldest at or before the floor: a model created before the
floor keeps its first commit). Any other record (an access status that may have changed, an
unresolved history, a revision ``main``) is fetched again.

What is taken over goes through the shard's journal into its own part files, exactly as a fetched
record would, so the new snapshot is complete on its own (the previous one may be deleted) and its
parts are those of a full crawl of the same server; the shard marker records ``taken_over`` and
``from_snapshot``. A previous snapshot that is missing, incomplete (a shard without its marker) or
damaged is one error naming it: a repeat snapshot that silently fetched everything would cost the
hours it was asked to save.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import parse_time, read_json
from . import raw as hub_raw
from .parse import FLOOR

log = logging.getLogger(__name__)

Accept = Callable[[dict[str, Any], str], bool]


def previous_hub_dir(hub_dir: Path, previous_snapshot: str | None) -> Path | None:
    """The previous snapshot's ``hub`` folder (beside this one's snapshot), or None; it must
    hold a complete listing and must not be this snapshot."""
    if not previous_snapshot:
        return None
    prev = hub_dir.parent.parent / str(previous_snapshot) / "hub"
    if prev.resolve() == hub_dir.resolve():
        raise InputError(f"hub.previous_snapshot: {prev} is this snapshot itself")
    if not (prev / "manifest.json").exists():
        raise InputError(
            f"{prev / 'manifest.json'}: hub.previous_snapshot {previous_snapshot!r} must be a "
            "complete snapshot (its listing's manifest is missing)"
        )
    return prev


def _shard_folders(prev: Path, kind: str, n_shards: int, shard: int) -> list[Path]:
    """The complete folders of ``kind`` (``cards``/``history`` shards, or ``card_history``)
    of the previous snapshot that can hold models of shard ``shard`` of ``n_shards``: the same
    shard when it was sharded alike, else all."""
    if kind == "card_history":
        markers = (
            [prev / kind / "manifest.json"] if (prev / kind / "manifest.json").exists() else []
        )
    else:
        markers = sorted((prev / kind).glob("shard-*.json"))
    if not markers:
        raise InputError(
            f"{prev / kind}: hub.previous_snapshot {prev.parent.name!r} has no complete {kind} "
            "crawl (no marker): it must be a complete snapshot"
        )
    if kind == "card_history":
        return [prev / kind]
    folders = []
    for marker in markers:
        try:
            doc = read_json(marker)
        except InputError as exc:
            raise InputError(f"hub.previous_snapshot {prev.parent.name!r}: {exc}") from exc
        alike = doc.get("shards") == n_shards and doc.get("shard") is not None
        if not alike or doc.get("shard") == shard:
            folders.append(hub_raw.shard_dir(marker))
    return folders


def previous_records(
    prev: Path, kind: str, shard: int, n_shards: int, wanted: Mapping[str, str], accept: Accept
) -> dict[str, dict[str, Any]]:
    """The records of the previous snapshot's ``kind`` shards for the models of ``wanted``
    (model id -> revision listed now) that ``accept(record, revision)``; a damaged part file
    is an error naming it and the previous snapshot."""
    out: dict[str, dict[str, Any]] = {}
    for folder in _shard_folders(prev, kind, n_shards, shard):
        for part in hub_raw.list_parts(folder):
            try:
                records = hub_raw.read_part(part)
            except InputError as exc:
                raise InputError(
                    f"hub.previous_snapshot {prev.parent.name!r}: {exc} -- {part} is damaged; "
                    "repair that snapshot or set hub.previous_snapshot: null for a full crawl"
                ) from exc
            for rec in records:
                m = rec["model_id"]
                if m in wanted and accept(rec, wanted[m]):
                    out[m] = rec
    return out


def card_reusable(rec: dict[str, Any], revision: str) -> bool:
    """A README record resolved at ``revision`` (a listed sha, not ``main``), final there."""
    if revision == "main" or rec.get("revision") != revision:
        return False
    status, text = rec.get("status"), rec.get("text")
    return (status == 200 and isinstance(text, str)) or (status == 404 and text is None)


def trace_reusable(rec: dict[str, Any], revision: str) -> bool:
    """A card-history record traced at ``revision`` (a listed sha, not ``main``): the history
    up to a commit never changes, so neither does the trace."""
    return revision != "main" and rec.get("revision") == revision and rec.get("status") == 200


def history_reusable(rec: dict[str, Any], revision: str) -> bool:
    """A history record that dated its model: 200, commits, the oldest at or before the floor
    (whatever the revision now: a model created before the floor keeps its first commit)."""
    commits = rec.get("commits")
    if rec.get("status") != 200 or not isinstance(commits, list) or not commits:
        return False
    try:
        first = parse_time(commits[-1].get("date"), f"history of {rec['model_id']}")
    except (InputError, AttributeError):
        return False
    return first is not None and first <= FLOOR


def taken_over(
    hub_dir: Path,
    previous_snapshot: str | None,
    kind: str,
    shard: int,
    n_shards: int,
    wanted: Mapping[str, str],
    accept: Accept,
) -> dict[str, dict[str, Any]]:
    """The records this shard takes over from ``previous_snapshot`` (none without one)."""
    prev = previous_hub_dir(hub_dir, previous_snapshot)
    if prev is None:
        return {}
    records = previous_records(prev, kind, shard, n_shards, wanted, accept)
    log.info(
        "%s shard %d of %d: %d of %d models taken over from snapshot %s, the rest fetched",
        kind, shard + 1, n_shards, len(records), len(wanted), previous_snapshot,
    )  # fmt: skip
    return records


def with_previous(query: dict[str, Any], previous_snapshot: str | None) -> dict[str, Any]:
    """A shard crawl's ``query`` (its state is bound to it), naming the previous snapshot when
    there is one (a crawl resumed with another one is refused)."""
    return {**query, "previous_snapshot": previous_snapshot} if previous_snapshot else query


def origin_fields(previous_snapshot: str | None, reused: Collection[str]) -> dict[str, Any]:
    """The marker fields that record where the taken-over records come from."""
    if not previous_snapshot:
        return {}
    return {"taken_over": len(reused), "from_snapshot": str(previous_snapshot)}
