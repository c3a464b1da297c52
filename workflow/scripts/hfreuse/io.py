"""Deterministic, atomic writers and readers shared by every stage."""

from __future__ import annotations

import gc
import gzip
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import InputError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dumps_json(obj: Any) -> str:
    """Canonical JSON text: sorted keys, UTF-8, one trailing newline."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, dumps_json(obj).encode("utf-8"))


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with a fixed header (no file name, mtime 0) so equal data give equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write(data)
    return buf.getvalue()


def atomic_write_json_gz(path: str | os.PathLike, obj: Any) -> None:
    data = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    atomic_write_bytes(path, gzip_bytes(data.encode("utf-8")))


def atomic_write_jsonl_gz(path: str | os.PathLike, rows: Iterable[Any]) -> None:
    lines = (
        json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        for r in rows
    )
    atomic_write_bytes(path, gzip_bytes("".join(lines).encode("utf-8")))


def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    except (json.JSONDecodeError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: expected a complete JSON document, got: {exc}") from exc


def read_jsonl(path: str | os.PathLike) -> list[Any]:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path}, line {lineno}: expected JSON: {exc}") from exc
    except (EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: truncated or not gzip: {exc}") from exc
    return rows


#: the column types an :func:`arrow_schema` spec may name
ARROW_TYPES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "list<string>": pa.list_(pa.string()),
}


def arrow_schema(spec: str) -> pa.Schema:
    """An Arrow schema from one ``name:type`` pair per column, in order, separated by white
    space (types: the keys of :data:`ARROW_TYPES`; ``timestamp`` is milliseconds, UTC).

    Raises ValueError naming the pair for a pair without ``:``, an unknown type or a repeated name.
    """
    fields: list[tuple[str, pa.DataType]] = []
    for pair in spec.split():
        name, sep, type_name = pair.partition(":")
        if not sep or not name or type_name not in ARROW_TYPES:
            raise ValueError(
                f"schema column {pair!r}: expected name:type with a type in {sorted(ARROW_TYPES)}"
            )
        if name in (f[0] for f in fields):
            raise ValueError(f"schema column {pair!r}: the name {name!r} is repeated")
        fields.append((name, ARROW_TYPES[type_name]))
    return pa.schema(fields)


def write_parquet(
    df: pd.DataFrame, path: str | os.PathLike, sort_by: list[str] | None = None
) -> None:
    """Write a table deterministically: optional sort, no index, zstd, atomic."""
    if sort_by:
        df = df.sort_values(sort_by, kind="mergesort")
    df = df.reset_index(drop=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    atomic_write_bytes(path, buf.getvalue().to_pybytes())


def read_parquet(path: str | os.PathLike) -> pd.DataFrame:
    return pd.read_parquet(path)


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    atomic_write_bytes(path, df.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def write_table(table: pa.Table, path: str | os.PathLike) -> None:
    """Write an Arrow table deterministically (zstd, atomic)."""
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    atomic_write_bytes(path, buf.getvalue().to_pybytes())


def parse_time(value: Any, where: str) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime; None stays None. Every form the Hub and
    Discourse send is accepted: ``Z`` or an offset (``+02:00``; none is read as UTC), fractional
    seconds of any length (cut to microseconds), a ``T`` or a space between date and time
    (``2023-12-03T17:50:30.047Z``, ``2021-05-01 10:00:00+02:00``). Anything else raises one
    InputError naming ``where`` (the URL or file, and the field)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: expected an ISO 8601 timestamp, got {value!r}")
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{where}: expected an ISO 8601 timestamp, got {value!r}") from exc
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def utc_millis(ts: datetime) -> str:
    """``ts`` (aware) as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC (milliseconds cut, not rounded):
    the form the Hub sends, and the one stored for commit dates."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many small objects are built.

    Building hundreds of thousands of row dicts (parsed JSON, table rows) makes the collector
    walk every live object again and again, so the time grows faster than the input (2.3x per
    doubling at 250,000 models a shard, and twice as slow). Those objects hold no reference
    cycles, so reference counting frees them anyway; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
