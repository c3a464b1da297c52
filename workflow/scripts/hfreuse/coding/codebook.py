"""The codebook: a two-level taxonomy (kind -> category -> subcategory) with definitions.

Kinds: ``challenge`` (RQ1), ``benefit`` (RQ2) and ``root_cause`` (root causes of accepted answers:
category = root-cause group, subcategory = root cause). A category either has subcategories or
none. The codebook CSV has the columns kind, category, subcategory, definition, example; like the
study's spreadsheets, kind and category may be given only on the first row of a category (merged
cells) and are forward-filled.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError

KINDS = ("challenge", "benefit", "root_cause")
CODEBOOK_COLUMNS = [
    "kind",
    "category",
    "subcategory",
    "definition",
    "example",
    "category_order",
    "subcategory_order",
]
_REQUIRED = ["kind", "category", "subcategory", "definition", "example"]


def norm_text(value: object) -> str:
    """Whitespace-normalized text (non-breaking spaces too); '' for missing values."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip()


def norm_key(value: object) -> str:
    """Lookup key: normalized and case-folded."""
    return norm_text(value).casefold()


def finish_codebook(rows: list[dict[str, object]], where: str) -> pd.DataFrame:
    """Codebook table from rows with kind, category, subcategory (or ''), definition, example:
    checks duplicates and mixed categories, numbers categories and subcategories in order."""
    problems = []
    seen: set[tuple[str, str, str]] = set()
    cat_has_sub: dict[tuple[str, str], set[bool]] = {}
    out = []
    cat_order: dict[tuple[str, str], int] = {}
    sub_order: dict[tuple[str, str], int] = {}
    for r in rows:
        kind, cat, sub = str(r["kind"]), str(r["category"]), str(r["subcategory"])
        key = (kind, norm_key(cat), norm_key(sub))
        if key in seen:
            problems.append(f"{where}: duplicate entry {kind} / {cat} / {sub or '(none)'}")
            continue
        seen.add(key)
        cat_has_sub.setdefault((kind, cat), set()).add(bool(sub))
        if (kind, cat) not in cat_order:
            cat_order[(kind, cat)] = sum(1 for k, _ in cat_order if k == kind) + 1
        so = None
        if sub:
            sub_order[(kind, cat)] = sub_order.get((kind, cat), 0) + 1
            so = sub_order[(kind, cat)]
        out.append(
            {
                "kind": kind,
                "category": cat,
                "subcategory": sub or None,
                "definition": norm_text(r.get("definition")) or None,
                "example": norm_text(r.get("example")) or None,
                "category_order": cat_order[(kind, cat)],
                "subcategory_order": so,
            }
        )
    for (kind, cat), flags in sorted(cat_has_sub.items()):
        if len(flags) > 1:
            problems.append(
                f"{where}: {kind} category {cat!r} has rows with and without a subcategory "
                "(expected either subcategories on every row or none)"
            )
    if problems:
        raise InputError("invalid codebook:\n  " + "\n  ".join(problems))
    df = pd.DataFrame(out, columns=CODEBOOK_COLUMNS)
    return df.astype(
        {
            "kind": "str",
            "category": "str",
            "subcategory": "string",
            "definition": "string",
            "example": "string",
            "category_order": "int64",
            "subcategory_order": "Int64",
        }
    )


def read_codebook_csv(path: str | Path) -> pd.DataFrame:
    """Read and validate a codebook CSV (kind, category, subcategory, definition, example)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            records = [list(r) for r in csv.reader(fh)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: expected a UTF-8 codebook CSV: {exc}") from exc
    if not records:
        raise InputError(f"{path}: empty codebook, expected columns {_REQUIRED}")
    header = [norm_key(h) for h in records[0]]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {missing}; expected columns {_REQUIRED} (found {header})"
        )
    idx = {c: header.index(c) for c in _REQUIRED}
    problems = []
    rows = []
    kind = cat = ""
    for number, rec in enumerate(records[1:], start=2):
        cells = {c: norm_text(rec[i]) if i < len(rec) else "" for c, i in idx.items()}
        if not any(cells.values()):
            continue
        if cells["kind"] and cells["kind"].casefold() != kind:
            kind = cells["kind"].casefold()
            cat = ""
        if cells["category"]:
            cat = cells["category"]
        if kind not in KINDS:
            problems.append(
                f"{path}, row {number}: kind {cells['kind']!r}: expected one of {', '.join(KINDS)}"
            )
            continue
        if not cat:
            problems.append(f"{path}, row {number}: empty category (and none above to fill in)")
            continue
        rows.append({**cells, "kind": kind, "category": cat})
    if problems:
        raise InputError("invalid codebook:\n  " + "\n  ".join(problems))
    return finish_codebook(rows, str(path))


@dataclass
class CodebookIndex:
    """Case- and whitespace-insensitive lookups into a codebook."""

    categories: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> key -> name
    subcategories: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, codebook: pd.DataFrame) -> CodebookIndex:
        idx = cls()
        for r in codebook.itertuples(index=False):
            idx.categories.setdefault(r.kind, {})[norm_key(r.category)] = r.category
            subs = idx.subcategories.setdefault((r.kind, r.category), {})
            if pd.notna(r.subcategory):
                subs[norm_key(r.subcategory)] = r.subcategory
        return idx

    def category(self, kind: str, name: str) -> str | None:
        return self.categories.get(kind, {}).get(norm_key(name))

    def kinds_of(self, name: str) -> list[str]:
        return [k for k, cats in sorted(self.categories.items()) if norm_key(name) in cats]

    def subcategory_names(self, kind: str, category: str) -> list[str]:
        return list(self.subcategories.get((kind, category), {}).values())

    def subcategory(self, kind: str, category: str, name: str) -> str | None:
        return self.subcategories.get((kind, category), {}).get(norm_key(name))

    def suggest(self, kind: str, name: str) -> str:
        names = list(self.categories.get(kind, {}).values())
        close = difflib.get_close_matches(norm_text(name), names, n=1, cutoff=0.6)
        return f" (did you mean {close[0]!r}?)" if close else ""
