"""The raw Hub snapshot format, shared by the live crawl, the demo generator and the parser.

Layout under ``resources/raw/<snapshot>/hub/``::

    manifest.json                      completion marker of the listing (written last)
    state.json                         progress of a listing in progress (next URL, counts)
    pages/page-000001.json.gz          one /api/models page: {"url", "next", "items": [...]}
    cards/shard-1-of-4.json            completion marker of README shard 1 of 4 (the name is
                                       Snakemake's scatter item; the folder beside it holds
                                       the shard's parts)
    cards/shard-1-of-4/part-000001.jsonl.gz
                                       README texts: {"model_id", "status", "text"} per line
                                       (the live crawl adds "revision": the sha it resolved)
    cards/shard-1-of-4/state.json      progress of a live shard in progress (request counts)
    cards/shard-1-of-4/journal.jsonl   requests and README records since the last part (live)
    journal.jsonl                      requests of the listing since its last state save (live)
    *.corrupt                          a damaged file the live crawl moved aside and fetched again
    cards/shard-1-of-4/quarantine.json READMEs that still failed after retries: not stored,
                                       listed in the marker's "quarantined", retried first by
                                       the next run (see hfreuse.crawl.quarantine)

A README shard is given by its marker path and its 0-based index among ``n`` shards; a model
belongs to shard ``hfreuse.shards.stable_shard(model_id, n)``.

``items`` are the Hub's model objects exactly as served (with the ``expand`` fields).
A card record has ``status`` 200 (``text`` = README.md as served) or 404 (no README); the live
crawl also records, without text, the rare 403/410/451 of a gated, disabled or blocked repo (and,
anonymously, a 401 of a repo gone private; see :mod:`hfreuse.hub.cards` for which are final).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..crawl.state import damaged
from ..errors import InputError
from ..io import read_json, read_jsonl
from ..shards import stable_hash

PAGE_RE = re.compile(r"^page-(\d{6})\.json\.gz$")
PART_RE = re.compile(r"^part-(\d{6})\.jsonl\.gz$")


def page_path(hub_dir: str | Path, number: int) -> Path:
    return Path(hub_dir) / "pages" / f"page-{number:06d}.json.gz"


def shard_dir(marker: str | Path) -> Path:
    """The folder of a README shard's parts: its marker path without ``.json``."""
    return Path(marker).with_suffix("")


def part_path(folder: str | Path, number: int) -> Path:
    return Path(folder) / f"part-{number:06d}.jsonl.gz"


def list_pages(hub_dir: str | Path) -> list[Path]:
    """The stored list pages, in page order."""
    pages = sorted(
        p for p in (Path(hub_dir) / "pages").glob("page-*.json.gz") if PAGE_RE.match(p.name)
    )
    return pages


def read_page(page: str | Path, rule: str = "fetch_hub_models") -> dict[str, Any]:
    """A stored list page; a damaged one is an error that says how to recover it (``rule``)."""
    try:
        doc = read_json(page)
        items = doc.get("items") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise InputError(f"{page}: expected an object with a list 'items'")
    except InputError as exc:
        raise damaged(page, exc, rule) from exc
    return doc


def iter_models(hub_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Every raw model object of the snapshot, in page order."""
    for page in list_pages(hub_dir):
        yield from read_page(page)["items"]


def has_readme(item: dict[str, Any]) -> bool:
    return any(s.get("rfilename") == "README.md" for s in item.get("siblings") or [])


def select_card_models(model_ids_with_readme: list[str], max_cards: int | None) -> set[str]:
    """The models whose README is fetched: all, or a stable-hash sample of ``max_cards``."""
    ids = sorted(set(model_ids_with_readme))
    if max_cards is None or max_cards >= len(ids):
        return set(ids)
    ranked = sorted(ids, key=lambda m: (stable_hash(m), m))
    return set(ranked[:max_cards])


def list_parts(folder: str | Path) -> list[Path]:
    """The part files of a README shard's folder, in order."""
    return sorted(p for p in Path(folder).glob("part-*.jsonl.gz") if PART_RE.match(p.name))


def read_part(part: str | Path) -> list[dict[str, Any]]:
    """The card records of one part file; a damaged one raises InputError."""
    records = read_jsonl(part)
    for rec in records:
        if not isinstance(rec, dict) or "model_id" not in rec or "status" not in rec:
            raise InputError(f"{part}: expected records with 'model_id' and 'status'")
    return records


def iter_cards(folder: str | Path) -> Iterator[dict[str, Any]]:
    """The card records of a README shard's folder; a damaged part is an error that says how
    to recover it."""
    for part in list_parts(folder):
        try:
            records = read_part(part)
        except InputError as exc:
            raise damaged(part, exc, "fetch_hub_cards") from exc
        yield from records
