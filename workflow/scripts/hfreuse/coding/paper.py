"""The study's published coding (replication package) mapped into the coding tables.

Reads, in the package's published layout (``Replication Package/...``):

- ``Codebooks/Challenges.csv``, ``Codebooks/Benefits.csv``: the codebook. ``#`` and ``Category``
  are filled only on a category's first row (merged cells): forward-filled. Categories without
  subcategories have an empty ``Subcategory``.
- ``Codebooks/Codebook.xlsx`` sheet ``Overview``: the only machine-readable category counts
  (challenges, a total row, then a ``Category``/``#`` header and the benefits with a SUM row).
- ``Coded Data/All_Codes.csv``: one row per (topic, code), no category column; quoted cells
  contain newlines; several unnamed columns (batch ordinals, notes). Repeated identical rows are
  real repeated codes and are kept.
- ``Coded Data/Root_Causes.csv``: accepted answers with the question's challenge category in older
  spellings, normalized through the explicit mapping file ``coding_mappings.yaml``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import InputError
from ..io import atomic_write_bytes, atomic_write_json
from .codebook import finish_codebook, norm_key, norm_text
from .sheet_import import (
    CODES_COLUMNS,
    CODES_DTYPES,
    ROOT_CAUSE_COLUMNS,
    ROOT_CAUSE_DTYPES,
)

PUBLISHED_COLUMNS = ["kind", "category", "label", "count", "source"]
OVERVIEW_SOURCE = "Codebooks/Codebook.xlsx, sheet Overview"


def load_mappings(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    needed = [
        "overview_categories",
        "forum_categories",
        "root_cause_categories",
        "root_cause_codebook",
        "root_causes",
    ]
    missing = [k for k in needed if k not in (data or {})]
    if missing:
        raise InputError(f"{path}: missing section(s) {missing}")
    return data


def _read_csv_records(path: Path) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return [list(r) for r in csv.reader(fh)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: expected a UTF-8 CSV file: {exc}") from exc


def _codebook_rows(path: Path, kind: str) -> list[dict[str, str]]:
    records = _read_csv_records(path)
    header = [norm_text(h) for h in records[0]] if records else []
    expected = ["#", "Category", "Subcategory", "Definition", "Example"]
    if header[:5] != expected:
        raise InputError(f"{path}: expected the columns {expected} first, found {header[:5]}")
    rows = []
    category = ""
    for number, rec in enumerate(records[1:], start=2):
        cells = [norm_text(c) for c in rec[:5]] + [""] * (5 - len(rec[:5]))
        if not any(cells):
            continue
        if cells[1]:
            category = cells[1]
        if not category:
            raise InputError(f"{path}, row {number}: no category on this row or above it")
        rows.append(
            {
                "kind": kind,
                "category": category,
                "subcategory": cells[2],
                "definition": cells[3],
                "example": cells[4],
            }
        )
    return rows


def read_package_codebook(
    challenges_csv: str | Path, benefits_csv: str | Path, mappings: dict[str, Any]
) -> pd.DataFrame:
    """The codebook table from the package's two CSV codebooks, plus this project's root-cause
    groups (kind root_cause, from the mapping file; no examples)."""
    rows = _codebook_rows(Path(challenges_csv), "challenge")
    rows += _codebook_rows(Path(benefits_csv), "benefit")
    for group, leaves in mappings["root_cause_codebook"].items():
        for leaf, definition in leaves.items():
            rows.append(
                {
                    "kind": "root_cause",
                    "category": group,
                    "subcategory": leaf,
                    "definition": definition,
                    "example": "",
                }
            )
    return finish_codebook(rows, f"{challenges_csv} + {benefits_csv}")


def _overview_sections(
    xlsx: Path, ws: Any
) -> tuple[dict[str, list[tuple[int, str, int]]], dict[str, int]]:
    """The Overview sheet's (row, label, count) per kind (challenges, then from the
    "Category" row on benefits) and each kind's total row."""
    sections: dict[str, list[tuple[int, str, int]]] = {"challenge": [], "benefit": []}
    totals: dict[str, int] = {}
    kind = "challenge"
    for number, row in enumerate(ws.iter_rows(min_col=1, max_col=2, values_only=True), start=1):
        label, value = norm_text(row[0]), row[1]
        if not label and value is None:
            continue
        if label.casefold() == "category":
            kind = "benefit"
            continue
        if not label:
            if not isinstance(value, int | float) or kind in totals:
                raise InputError(f"{xlsx}, Overview row {number}: unexpected cell {value!r}")
            totals[kind] = int(value)
            continue
        if not isinstance(value, int | float) or int(value) != value or value < 0:
            raise InputError(
                f"{xlsx}, Overview row {number}: count {value!r} of {label!r}: expected a whole "
                "number"
            )
        sections[kind].append((number, label, int(value)))
    return sections, totals


def _reconcile(
    kind: str,
    entries: list[tuple[int, str, int]],
    names: dict[str, str],
    rename: dict[str, str],
    rows: list[tuple],
    problems: list[str],
) -> None:
    """Each Overview row of ``kind`` as a codebook category (``names``: key -> category) into
    ``rows``; what does not reconcile into ``problems``."""
    got = set()
    for number, label, count in entries:
        category = names.get(norm_key(rename.get(norm_key(label), label)))
        if category is None:
            problems.append(
                f"Overview row {number}: {kind} category {label!r} is not in the codebook "
                "(add it to overview_categories in coding_mappings.yaml)"
            )
            continue
        got.add(category)
        rows.append((kind, category, label, count, OVERVIEW_SOURCE))
    for category in sorted(set(names.values()) - got):
        problems.append(f"Overview: no count for the {kind} category {category!r}")


def read_overview(
    xlsx: str | Path, codebook: pd.DataFrame, mappings: dict[str, Any]
) -> pd.DataFrame:
    """Category counts of the Overview sheet, reconciled with the codebook's category names.

    Checks the challenge total row and the benefits' SUM (cached value) against the counts, and
    that every codebook category of both kinds gets exactly one count.
    """
    from openpyxl import load_workbook

    xlsx = Path(xlsx)
    try:
        wb = load_workbook(xlsx, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is bad input
        raise InputError(f"{xlsx}: expected an XLSX workbook: {exc}") from exc
    if "Overview" not in wb.sheetnames:
        raise InputError(f"{xlsx}: expected a sheet 'Overview', found {wb.sheetnames}")
    sections, totals = _overview_sections(xlsx, wb["Overview"])
    rename = {
        k: {norm_key(a): b for a, b in v.items()}
        for k, v in mappings["overview_categories"].items()
    }
    problems: list[str] = []
    rows: list[tuple] = []
    for kind, entries in sections.items():
        names = {norm_key(c): c for c in codebook.loc[codebook["kind"] == kind, "category"]}
        _reconcile(kind, entries, names, rename.get(kind, {}), rows, problems)
        total = sum(c for _, _, c in entries)
        if kind in totals and totals[kind] != total:
            problems.append(
                f"Overview: {kind} counts add up to {total}, total row says {totals[kind]}"
            )
    if problems:
        raise InputError(f"{xlsx}:\n  " + "\n  ".join(problems))
    out = pd.DataFrame(rows, columns=PUBLISHED_COLUMNS)
    return (
        out.astype(
            {"kind": "str", "category": "str", "label": "str", "count": "int64", "source": "str"}
        )
        .sort_values(["kind", "category"], kind="mergesort")
        .reset_index(drop=True)
    )


def normalize_forum_category(tag: str, mappings: dict[str, Any]) -> str | None:
    table = {norm_key(a): b for a, b in mappings["forum_categories"].items()}
    text = norm_text(tag)
    if not text:
        return None
    return table.get(norm_key(text), text)


def read_all_codes(path: str | Path, mappings: dict[str, Any]) -> pd.DataFrame:
    """The coded topics: one row per (topic, code), categories unknown (null)."""
    path = Path(path)
    records = _read_csv_records(path)
    header = [norm_text(h) for h in records[0]] if records else []
    if header[1:4] != ["Topic#", "Tag", "Code"]:
        raise InputError(
            f"{path}: expected the columns '', 'Topic#', 'Tag', 'Code' first, found {header[:4]}"
        )
    problems = []
    rows = []
    for number, rec in enumerate(records[1:], start=2):
        if not any(c.strip() for c in rec):
            continue
        topic, tag, code = (rec[i].strip() if i < len(rec) else "" for i in (1, 2, 3))
        if not topic.isdigit():
            problems.append(f"row {number}: Topic# {topic!r}: expected a topic id")
            continue
        if not norm_text(code):
            problems.append(f"row {number}: empty Code")
            continue
        notes = " | ".join(norm_text(c) for c in rec[4:] if norm_text(c))
        rows.append(
            {
                "coder": None,
                "topic_id": int(topic),
                "row": number,
                "kind": None,
                "category": None,
                "subcategory": None,
                "code": norm_text(code),
                "notes": notes or None,
                "forum_category": normalize_forum_category(tag, mappings),
                "primary": True,
            }
        )
    if problems:
        raise InputError(f"{path}:\n  " + "\n  ".join(problems))
    out = pd.DataFrame(rows, columns=CODES_COLUMNS).astype(CODES_DTYPES)
    return out.sort_values(["topic_id", "row"], kind="mergesort").reset_index(drop=True)


ROOT_CAUSE_SOURCE_COLUMNS = [
    "accepted_coded",
    "Code Category",
    "Code Subcategory",
    "Discourse Category",
    "Question Code",
    "Answer Code",
    "Root Cause",
]


@dataclass(frozen=True)
class _RootCauseMaps:
    """What a root-cause row is checked and mapped against: the package's (category,
    subcategory) -> challenge (category, subcategory), root cause text -> (group, leaf), the
    codebook's (kind, category, subcategory) triples and its challenge categories."""

    cats: dict[tuple[str, str], tuple[str, str | None]]
    causes: dict[str, tuple[str, ...]]
    valid: set[tuple[str, str, str | None]]
    challenge_cats: set[str]

    @classmethod
    def of(cls, codebook: pd.DataFrame, mappings: dict[str, Any]) -> _RootCauseMaps:
        return cls(
            cats={
                (norm_key(m["package"][0]), norm_key(m["package"][1])): (
                    m["category"],
                    m["subcategory"],
                )
                for m in mappings["root_cause_categories"]
            },
            causes={norm_key(text): tuple(v) for text, v in mappings["root_causes"].items()},
            valid={
                (r.kind, r.category, r.subcategory if pd.notna(r.subcategory) else None)
                for r in codebook.itertuples(index=False)
            },
            challenge_cats=set(codebook.loc[codebook["kind"] == "challenge", "category"]),
        )


def _root_cause_row(
    i: int, rec: dict[str, str], maps: _RootCauseMaps, mappings: dict[str, Any]
) -> dict[str, Any] | str:
    """The tidy row of source row ``i``, or the problem that stops it (a text)."""
    topic = rec["accepted_coded"].strip()
    if not topic.isdigit():
        return f"row {i}: accepted_coded {topic!r}: expected a topic id"
    key = (norm_key(rec["Code Category"]), norm_key(rec["Code Subcategory"]))
    if key not in maps.cats:
        return (
            f"row {i}: category {norm_text(rec['Code Category'])!r} / subcategory "
            f"{norm_text(rec['Code Subcategory'])!r}: expected a pair listed in "
            "root_cause_categories of coding_mappings.yaml"
        )
    category, subcategory = maps.cats[key]
    if category not in maps.challenge_cats or (
        subcategory is not None and ("challenge", category, subcategory) not in maps.valid
    ):
        return (
            f"row {i}: mapping target {category!r} / {subcategory!r} is not in "
            "the challenge codebook"
        )
    cause = norm_key(rec["Root Cause"])
    if cause not in maps.causes:
        return (
            f"row {i}: Root Cause {norm_text(rec['Root Cause'])!r}: expected a text listed "
            "in root_causes of coding_mappings.yaml"
        )
    group, leaf = maps.causes[cause]
    if ("root_cause", group, leaf) not in maps.valid:
        return f"row {i}: root cause {group!r} / {leaf!r} is not in root_cause_codebook"
    return {
        "coder": norm_text(rec.get("Coder", "")) or None,
        "topic_id": int(topic),
        "forum_category": normalize_forum_category(rec["Discourse Category"], mappings),
        "challenge_category": category,
        "challenge_subcategory": subcategory,
        "root_cause_group": group,
        "root_cause": leaf,
        "code": norm_text(rec["Root Cause"]),
        "question_code": norm_text(rec["Question Code"]) or None,
        "answer_code": norm_text(rec["Answer Code"]) or None,
        "primary": True,
    }


def read_root_causes(
    path: str | Path, codebook: pd.DataFrame, mappings: dict[str, Any]
) -> pd.DataFrame:
    """Root causes of accepted answers, with normalized challenge categories and this
    project's root-cause group and leaf (both through explicit mappings)."""
    path = Path(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in ROOT_CAUSE_SOURCE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {missing}")
    maps = _RootCauseMaps.of(codebook, mappings)
    problems, rows = [], []
    for i, values in enumerate(df.itertuples(index=False, name=None), start=2):
        row = _root_cause_row(i, dict(zip(df.columns, values, strict=True)), maps, mappings)
        if isinstance(row, str):
            problems.append(row)
        else:
            rows.append(row)
    if problems:
        raise InputError(f"{path}:\n  " + "\n  ".join(problems))
    out = pd.DataFrame(rows, columns=ROOT_CAUSE_COLUMNS).astype(ROOT_CAUSE_DTYPES)
    return out.sort_values(
        ["topic_id", "challenge_category", "root_cause_group", "code"], kind="mergesort"
    ).reset_index(drop=True)


PACKAGE_FOLDER = "Replication Package"


def extract_package(
    archive: bytes,
    dest: str | Path,
    members: list[str],
    manifest_path: str | Path,
    *,
    url: str,
    stats: dict[str, Any] | None = None,
) -> list[Path]:
    """Keep ``members`` (paths inside 'Replication Package/') of a downloaded repository archive
    under ``dest/Replication Package/``, then write the manifest (the completion marker).

    The archive's top folder (e.g. ``SANER2024ReplicationPackage-main/``) is ignored. A member
    missing from the archive is an error naming it; nothing is written then.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(archive))
    except zipfile.BadZipFile as exc:
        raise InputError(f"{url}: expected a zip archive ({len(archive)} bytes): {exc}") from exc
    found: dict[str, str] = {}
    marker = PACKAGE_FOLDER + "/"
    for name in sorted(zf.namelist(), key=lambda n: (len(n), n)):
        at = name.find(marker)
        if at >= 0 and not name.endswith("/"):
            found.setdefault(name[at + len(marker) :], name)
    missing = [m for m in members if m not in found]
    if missing:
        raise InputError(f"{url}: the archive has no {marker}{', '.join(missing)}")
    contents = {m: zf.read(found[m]) for m in members}
    written = []
    files = {}
    for member, data in sorted(contents.items()):
        target = Path(dest) / PACKAGE_FOLDER / member
        atomic_write_bytes(target, data)
        written.append(target)
        files[member] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    from ..clients import library_versions

    atomic_write_json(
        manifest_path,
        {
            "url": url,
            "archive_bytes": len(archive),
            "archive_sha256": hashlib.sha256(archive).hexdigest(),
            "files": files,
            "requests": stats or {},
            "versions": library_versions(),
            "fetched_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return written
