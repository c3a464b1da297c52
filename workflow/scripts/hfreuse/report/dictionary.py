"""The data dictionary: ``workflow/report/dictionary/*.yaml``, one entry per table under results/.

An entry is keyed by the table's path (a glob pattern is allowed, e.g.
``results/coding/sheets/*.csv``)::

    results/hub/models.parquet:
      description: ...
      columns:
        - {name: model_id, type: string, meaning: ..., source: ..., label: Model}

``label`` (optional) is the column's header for readers (the paper tables of
:mod:`hfreuse.report.latex`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ..errors import InputError

COLUMN_KEYS = ("name", "type", "meaning", "source")
TABLE_SUFFIXES = (".parquet", ".csv")
#: folders of results/ that present documented tables (the tables for papers), not tables
PRESENTATIONS = ("tables",)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str
    source: str
    label: str = ""  # the header for readers (optional)


@dataclass(frozen=True)
class Entry:
    key: str
    description: str
    columns: tuple[Column, ...]
    file: str

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Coverage:
    """How one produced table matches the dictionary."""

    table: str
    entry: Entry | None
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, actual type)
    undocumented: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # documented, not in the table

    @property
    def ok(self) -> bool:
        return self.entry is not None and not self.undocumented and not self.absent


def _entry(key: str, value: Any, file: str) -> Entry:
    where = f"{file}: {key}"
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: expected a mapping with 'description' and 'columns'")
    desc = value.get("description")
    cols = value.get("columns")
    if not isinstance(desc, str) or not desc.strip():
        raise InputError(f"{where}: expected a non-empty 'description'")
    if not isinstance(cols, list) or not cols:
        raise InputError(f"{where}: expected a non-empty list 'columns'")
    out = []
    seen = set()
    for n, col in enumerate(cols, 1):
        if not isinstance(col, Mapping) or any(
            not isinstance(col.get(k), str) or not str(col.get(k)).strip() for k in COLUMN_KEYS
        ):
            raise InputError(
                f"{where}, column {n}: expected text fields {', '.join(COLUMN_KEYS)}, got {col!r}"
            )
        if col["name"] in seen:
            raise InputError(f"{where}: column {col['name']!r} documented twice")
        seen.add(col["name"])
        label = col.get("label", "")
        if not isinstance(label, str) or ("label" in col and not label.strip()):
            raise InputError(
                f"{where}, column {col['name']!r}: expected a text label, got {label!r}"
            )
        out.append(Column(*(str(col[k]) for k in COLUMN_KEYS), label=label.strip()))
    return Entry(key=key, description=desc.strip(), columns=tuple(out), file=file)


def load_dictionary(paths: Iterable[str | Path]) -> dict[str, Entry]:
    """Every entry of the dictionary files; a malformed or repeated entry raises InputError."""
    import yaml

    entries: dict[str, Entry] = {}
    for path in sorted(str(p) for p in paths):
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: expected YAML: {exc}") from exc
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            raise InputError(f"{path}: expected a mapping of table paths to entries")
        for key, value in doc.items():
            if not isinstance(key, str) or not key.startswith("results/"):
                raise InputError(f"{path}: {key!r}: expected a table path under results/")
            if key in entries:
                raise InputError(f"{path}: {key} is documented twice (also in {entries[key].file})")
            entries[key] = _entry(key, value, path)
    return entries


def entry_for(table: str, entries: Mapping[str, Entry]) -> Entry | None:
    """The entry documenting ``table``: its exact path first, else the first matching pattern."""
    if table in entries:
        return entries[table]
    for key in sorted(entries):
        if any(ch in key for ch in "*?[") and fnmatch.fnmatchcase(table, key):
            return entries[key]
    return None


def table_columns(path: str | Path) -> list[tuple[str, str]]:
    """(name, type) of each column of a parquet or CSV table, without reading its rows."""
    path = Path(path)
    if path.suffix == ".parquet":
        schema = pq.read_schema(path)
        return [(f.name, str(f.type)) for f in schema]
    if path.suffix == ".csv":
        import pandas as pd

        df = pd.read_csv(path, nrows=200)
        return [(str(c), str(t)) for c, t in df.dtypes.items()]
    raise InputError(f"{path}: expected a .parquet or .csv table")


def coverage(tables: Iterable[str], entries: Mapping[str, Entry]) -> list[Coverage]:
    """For each table, its entry and the columns missing from either side."""
    out = []
    for table in sorted(set(str(t) for t in tables)):
        cols = table_columns(table)
        entry = entry_for(table, entries)
        cov = Coverage(table=table, entry=entry, columns=cols)
        names = [c for c, _ in cols]
        if entry is None:
            cov.undocumented = names
        else:
            documented = {c.name for c in entry.columns}
            cov.undocumented = [c for c in names if c not in documented]
            cov.absent = [c.name for c in entry.columns if c.name not in set(names)]
        out.append(cov)
    return out


def coverage_problems(covs: Iterable[Coverage]) -> list[str]:
    """One line per table whose documentation is missing or stale, naming the columns."""
    lines = []
    for cov in covs:
        if cov.entry is None:
            lines.append(
                f"{cov.table}: no entry in workflow/report/dictionary/*.yaml "
                f"(columns: {', '.join(cov.undocumented)})"
            )
            continue
        if cov.undocumented:
            lines.append(
                f"{cov.table}: columns not documented in {cov.entry.file}: "
                f"{', '.join(cov.undocumented)}"
            )
        if cov.absent:
            lines.append(
                f"{cov.table}: documented in {cov.entry.file} but not in the table: "
                f"{', '.join(cov.absent)}"
            )
    return lines


def tables_under(results_dir: str | Path) -> list[str]:
    """Every table file under a results folder, as sorted relative paths ``results/...``, but
    the tables for papers (folder :data:`PRESENTATIONS`): they present documented tables
    under those columns' labels (:mod:`hfreuse.report.latex`), as figures do."""
    root = Path(results_dir)
    base = root.parent
    return sorted(
        p.relative_to(base).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in TABLE_SUFFIXES
        and p.relative_to(root).parts[0] not in PRESENTATIONS
    )
