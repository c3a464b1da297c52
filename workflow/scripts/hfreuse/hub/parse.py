"""Raw Hub snapshot -> tidy ``results/hub/models.parquet`` (one row per model)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import InputError
from ..io import arrow_schema, gc_paused, parse_time
from . import raw as hub_raw

log = logging.getLogger(__name__)

FLOOR = datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)

MODELS_SCHEMA = arrow_schema(
    "model_id:string author:string created_at:timestamp created_at_floored:bool"
    " last_modified:timestamp model_type:string architectures:list<string> pipeline_tag:string"
    " library_name:string tags:list<string> downloads:int64 likes:int64 has_readme:bool"
    " has_card_data:bool card_length:int64"
)


def _str_list(value: Any) -> list[str]:
    if not value:
        return []
    return [str(v) for v in value if v is not None]


def model_row(item: dict[str, Any], where: str) -> dict[str, Any]:
    """One tidy row from one raw model object."""
    model_id = item.get("id") or item.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        raise InputError(
            f"{where}: expected a model object with an 'id', got keys {sorted(item)[:8]}"
        )
    config = item.get("config") or {}
    if not isinstance(config, dict):
        config = {}
    model_type = config.get("model_type")
    created = parse_time(item.get("createdAt"), f"{where} ({model_id}) createdAt")
    author = item.get("author")
    if not author and "/" in model_id:
        author = model_id.split("/", 1)[0]
    card = item.get("cardData")
    return {
        "model_id": model_id,
        "author": author,
        "created_at": created,
        "created_at_floored": created is not None and created <= FLOOR,
        "last_modified": parse_time(item.get("lastModified"), f"{where} ({model_id}) lastModified"),
        "model_type": str(model_type) if isinstance(model_type, str) and model_type else None,
        "architectures": _str_list(config.get("architectures")),
        "pipeline_tag": item.get("pipeline_tag"),
        "library_name": item.get("library_name"),
        "tags": _str_list(item.get("tags")),
        "downloads": item.get("downloads"),
        "likes": item.get("likes"),
        "has_readme": hub_raw.has_readme(item),
        "has_card_data": isinstance(card, dict) and len(card) > 0,
        "card_length": None,
    }


def card_lengths(markers: list[str | Path]) -> dict[str, int]:
    """Characters of each fetched README (status 200) over the README shards (their markers)."""
    lengths: dict[str, int] = {}
    for marker in markers:
        for rec in hub_raw.iter_cards(hub_raw.shard_dir(marker)):
            if rec["status"] == 200 and isinstance(rec.get("text"), str):
                lengths[rec["model_id"]] = len(rec["text"])
    return lengths


def card_quarantine(markers: list[str | Path]) -> pa.Table:
    """The READMEs the card shards (their markers) quarantined: fetched, still failing after
    retries, so without text (see :mod:`hfreuse.crawl.quarantine`); empty when none."""
    from ..crawl.quarantine import quarantine_path, quarantine_table

    return quarantine_table(quarantine_path(hub_raw.shard_dir(m)) for m in markers)


PART_SCHEMA = MODELS_SCHEMA.append(pa.field("page", pa.int32()))

#: models.parquet: the part columns and the true creation date (see :func:`true_dates`)
TRUE_DATE_COLUMNS = arrow_schema(
    "created_at_true:timestamp created_at_source:string created_at_reason:string"
)
MODELS_TABLE_SCHEMA = pa.schema(
    [*list(MODELS_SCHEMA)[:4], *TRUE_DATE_COLUMNS, *list(MODELS_SCHEMA)[4:]]
)

#: why a floored model's true date is unknown, by the status of its history answer
UNRESOLVED_REASONS = {
    (404, "RepoNotFound"): "repository gone (deleted or private)",
    (401, "RepoNotFound"): "repository gone (deleted or private)",
    (404, "RevisionNotFound"): "listed revision gone (history rewritten)",
    (410, None): "repository gone (410)",
    (451, None): "repository blocked (451)",
    (0, "InvalidRepoId"): "model id refused by huggingface_hub",
}


def _unresolved_reason(status: int, code: str | None) -> str:
    reason = UNRESOLVED_REASONS.get((status, code)) or UNRESOLVED_REASONS.get((status, None))
    return reason or f"HTTP {status}" + (f" {code}" if code else "")


def first_commits(records: Any) -> dict[str, tuple[datetime | None, str | None]]:
    """``model_id -> (date of the oldest commit, None)`` from history records (see
    :mod:`hfreuse.hub.first_commits`), or ``(None, reason)`` when the history cannot date the model:
    the repository or revision gone, no commits, or a first commit after the floor (a history
    rewritten since, e.g. squashed: its oldest commit is not the upload)."""
    out: dict[str, tuple[datetime | None, str | None]] = {}
    for rec in records:
        model_id, status = rec["model_id"], int(rec["status"])
        if status != 200:
            out[model_id] = (None, _unresolved_reason(status, rec.get("error_code")))
            continue
        commits = rec.get("commits") or []
        if not commits:
            out[model_id] = (None, "no commits")
            continue
        first = parse_time(commits[-1].get("date"), f"history of {model_id}, oldest commit")
        if first > FLOOR:
            out[model_id] = (None, "first commit after the createdAt floor (history rewritten)")
        else:
            out[model_id] = (first, None)
    return out


def true_dates(
    created: list[datetime | None],
    floored: list[bool],
    keys: list[str],
    firsts: dict[str, tuple[datetime | None, str | None]] | None,
) -> tuple[list[Any], list[str | None], list[str | None]]:
    """``created_at_true``, ``created_at_source`` and ``created_at_reason`` of each model:
    ``api`` (created_at as listed: after the floor), ``first_commit`` (a floored model dated by
    its oldest commit) or ``unresolved`` (floored, true date unknown: the reason says why;
    ``history not fetched`` when the run has no history for it)."""
    firsts = firsts or {}
    true, source, reason = [], [], []
    for when, flag, key in zip(created, floored, keys, strict=True):
        if when is None:
            true.append(None), source.append(None), reason.append(None)
        elif not flag:
            true.append(when), source.append("api"), reason.append(None)
        else:
            first, why = firsts.get(key, (None, "history not fetched"))
            true.append(first)
            source.append("first_commit" if first is not None else "unresolved")
            reason.append(why)
    return true, source, reason


def parse_pages(hub_dir: str | Path, part: int, n_parts: int) -> pa.Table:
    """The models of the list pages dealt to shard ``part`` of ``n_parts`` (page i goes to
    shard (i - 1) mod n_parts), with their page number for de-duplication at the merge."""
    with gc_paused():
        return _parse_pages(hub_dir, part, n_parts)


def _parse_pages(hub_dir: str | Path, part: int, n_parts: int) -> pa.Table:

    rows: list[dict[str, Any]] = []
    for page in hub_raw.list_pages(hub_dir):
        number = int(hub_raw.PAGE_RE.match(page.name).group(1))
        if (number - 1) % n_parts != part:
            continue
        items = hub_raw.read_page(page)["items"]
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise InputError(f"{page}, item {n}: expected a model object")
            row = model_row(item, f"{page}, item {n}")
            row["page"] = number
            rows.append(row)
    log.info("shard %d of %d: %d models", part, n_parts, len(rows))
    return pa.Table.from_pylist(rows, schema=PART_SCHEMA)


def merge_parts(
    parts: list[pa.Table],
    lengths: dict[str, int],
    firsts: dict[str, tuple[datetime | None, str | None]] | None = None,
) -> pa.Table:
    """One row per model from the shards' tables, sorted by model id.

    A model listed twice (a page re-served by the Hub) keeps its last listing; the count of such
    duplicates is logged, never silently dropped. ``card_length`` comes from ``lengths``; the
    true creation date of floored models from ``firsts`` (:func:`first_commits`).
    """
    import pyarrow.compute as pc

    table = pa.concat_tables(parts) if parts else PART_SCHEMA.empty_table()
    table = table.sort_by([("model_id", "ascending"), ("page", "descending")])
    ids = table.column("model_id")
    if len(ids) > 1:
        prev = pa.concat_arrays([pa.array([None], pa.string()), ids.combine_chunks()[:-1]])
        first = pc.invert(pc.fill_null(pc.equal(ids.combine_chunks(), prev), False))
        dups = len(ids) - pc.sum(first).as_py()
        if dups:
            log.warning("%d models were listed more than once; kept the last listing of each", dups)
            table = table.filter(first)
    keys = table.column("model_id").to_pylist()
    card = pa.array([lengths.get(k) for k in keys], pa.int64())
    table = table.drop_columns(["page", "card_length"])
    table = table.append_column("card_length", card)
    true, source, reason = true_dates(
        table.column("created_at").to_pylist(),
        table.column("created_at_floored").to_pylist(),
        keys,
        firsts,
    )
    for field, values in zip(TRUE_DATE_COLUMNS, (true, source, reason), strict=True):
        table = table.append_column(field, pa.array(values, field.type))
    counts = {s: source.count(s) for s in ("first_commit", "unresolved")}
    log.info(
        "merged %d models (%d with README text); floored models dated by their first commit: "
        "%d, unresolved: %d",
        table.num_rows,
        len(lengths),
        counts["first_commit"],
        counts["unresolved"],
    )
    return table.select(MODELS_TABLE_SCHEMA.names).cast(MODELS_TABLE_SCHEMA)
