"""The run manifest of the report: raw snapshot manifests, versions, config, file facts."""

from __future__ import annotations

import hashlib
import platform
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ..io import read_json

#: Libraries whose versions the report lists (those installed; a missing one is "not installed").
LIBRARIES = (
    "snakemake",
    "pandas",
    "pyarrow",
    "numpy",
    "scipy",
    "altair",
    "vl-convert-python",
    "huggingface-hub",
    "requests",
    "openpyxl",
    "docutils",
    "pyyaml",
)
SECRET_KEY = re.compile(r"token|secret|password|passwd|api[_-]?key|credential|auth", re.I)
REDACTED = "(redacted)"


def library_versions() -> list[tuple[str, str]]:
    """(name, version) of Python and the libraries of the run, in a fixed order."""
    out = [("python", platform.python_version())]
    for name in LIBRARIES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return out


def redact(obj: Any) -> Any:
    """A copy of a config with the values of secret-looking keys replaced."""
    if isinstance(obj, Mapping):
        return {
            str(k): (REDACTED if SECRET_KEY.search(str(k)) and v is not None else redact(v))
            for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    return obj


def flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Scalar leaves of nested dicts as (dotted key, value); lists of scalars stay whole."""
    if isinstance(obj, Mapping):
        out: list[tuple[str, Any]] = []
        for k in sorted(obj, key=str):
            out += flatten(obj[k], f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(obj, list) and any(isinstance(v, Mapping | list) for v in obj):
        out = []
        for i, v in enumerate(obj):
            out += flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, obj)]


@dataclass(frozen=True)
class ManifestGroup:
    """One raw manifest, or several of the same kind (card shards) merged."""

    label: str
    files: tuple[str, ...]
    rows: tuple[tuple[str, Any], ...]


def _group_key(path: str) -> tuple[str, str]:
    p = Path(path)
    return (p.parent.as_posix(), re.sub(r"\d+", "#", p.name))


def _merge(values: list[Any]) -> Any:
    distinct = sorted({repr(v) for v in values})
    if len(distinct) == 1:
        return values[0]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        total = sum(values)
        return f"total {total:,} (per file {min(values):,} to {max(values):,})"
    texts = sorted(str(v) for v in values)
    return f"{len(distinct)} values, {texts[0]} ... {texts[-1]}"


def manifest_groups(paths: Iterable[str]) -> list[ManifestGroup]:
    """Raw manifests grouped by folder and name pattern; a group of several files merges its
    keys: equal values shown once, numbers summed (request counts over all shards)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for path in sorted(set(str(p) for p in paths)):
        groups.setdefault(_group_key(path), []).append(path)
    out = []
    for (folder, pattern), files in sorted(groups.items()):
        docs = [flatten(read_json(f)) for f in files]
        if len(files) == 1:
            label = files[0]
            rows = docs[0]
        else:
            label = f"{folder}/{pattern.replace('#', '*')} ({len(files)} files)"
            keys = sorted({k for d in docs for k, _ in d})
            rows = []
            for key in keys:
                values = [dict(d)[key] for d in docs if key in dict(d)]
                merged = _merge(values)
                if len(values) < len(files):
                    merged = f"{merged} (in {len(values)} of {len(files)} files)"
                rows.append((key, merged))
        out.append(ManifestGroup(label=label, files=tuple(files), rows=tuple(rows)))
    return out


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def table_shape(path: str | Path) -> tuple[int | None, int | None]:
    """(rows, columns) of a parquet or CSV table, (None, None) for other files."""
    path = Path(path)
    if path.suffix == ".parquet":
        md = pq.ParquetFile(path).metadata
        return md.num_rows, md.num_columns
    if path.suffix == ".csv":
        import pandas as pd

        df = pd.read_csv(path)
        return len(df), len(df.columns)
    return None, None


def file_facts(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Per output file: path, rows, columns, bytes, sha256 (sorted by path)."""
    rows = []
    for path in sorted(set(str(p) for p in paths)):
        n_rows, n_cols = table_shape(path)
        rows.append(
            {
                "file": path,
                "rows": n_rows,
                "columns": n_cols,
                "bytes": Path(path).stat().st_size,
                "sha256": sha256_file(path),
            }
        )
    return rows


FACT_TYPES = {
    "file": "string",
    "rows": "Int64",
    "columns": "Int64",
    "bytes": "int64",
    "sha256": "string",
}


def output_facts(paths: Iterable[str]) -> pd.DataFrame:
    """The table of rule describe_outputs: :func:`file_facts` with fixed columns and types."""
    return pd.DataFrame(file_facts(paths), columns=list(FACT_TYPES)).astype(FACT_TYPES)
