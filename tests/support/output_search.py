"""Search every output file of a run for given strings (raw usernames), naming file and position.

Each file is read the way its contents are meant to be read, so nothing hides in an encoding:
parquet cell values (nested lists and structs too) and the file's key-value metadata, XLSX cell
values of every sheet plus every XML part of the zip, PNG text chunks (tEXt, zTXt, iTXt),
gzip files unpacked, and every other file as UTF-8 text (CSV, HTML, JSON, SVG, ...), by line.
A file of another binary kind is searched as Latin-1 text, so a name stored raw is still seen (PNG
pixel data is not text and is not searched: short names would match compressed bytes by chance).
"""

from __future__ import annotations

import gzip
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path


def name_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern for all ``names``; a name must not be glued to a letter,
    digit, ``_``, ``.`` or ``-`` on either side (usernames are made of those)."""
    alts = sorted({n.lower() for n in names if n}, key=lambda n: (-len(n), n))
    if not alts:
        raise ValueError("no names to search for")
    body = "|".join(re.escape(n) for n in alts)
    return re.compile(rf"(?<![\w.-])(?:{body})(?![\w-]|\.\w)", re.IGNORECASE)


def _text_hits(text: str, pattern: re.Pattern[str], where: str) -> Iterator[tuple[str, str]]:
    for m in pattern.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield f"{where} line {line}", m.group(0)


def _walk(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _walk(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v)
    elif value is not None:
        yield str(value)


def _parquet_hits(path: Path, pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    meta = pf.schema_arrow.metadata or {}
    for key, value in meta.items():
        for m in pattern.finditer(
            key.decode("utf-8", "replace") + " " + value.decode("utf-8", "replace")
        ):
            yield f"metadata {key.decode(errors='replace')!r}", m.group(0)
    table = pf.read()
    for name in table.column_names:
        cells = ["\x1f".join(_walk(v)).replace("\n", " ") for v in table.column(name).to_pylist()]
        joined = "\n".join(cells)
        for m in pattern.finditer(joined):
            row = joined.count("\n", 0, m.start())
            yield f"column {name!r}, row {row}", m.group(0)
        for m in pattern.finditer(name):
            yield f"column name {name!r}", m.group(0)


def _xlsx_hits(path: Path, pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=False, data_only=False)
    for ws in wb.worksheets:
        for m in pattern.finditer(ws.title):
            yield f"sheet name {ws.title!r}", m.group(0)
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    for m in pattern.finditer(str(cell.value)):
                        yield f"sheet {ws.title!r} cell {cell.coordinate}", m.group(0)
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            text = zf.read(info.filename).decode("utf-8", "replace")
            yield from _text_hits(text, pattern, f"zip part {info.filename}")


def png_text_chunks(data: bytes) -> list[tuple[str, str]]:
    """``(chunk type, text)`` of the textual chunks of a PNG."""
    out = []
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8].decode("latin-1")
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == "tEXt":
            out.append((kind, body.decode("latin-1")))
        elif kind == "zTXt":
            key, _, rest = body.partition(b"\0")
            out.append(
                (kind, key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
            )
        elif kind == "iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\0")
            _tkey, _, text = rest.partition(b"\0")
            text = zlib.decompress(text) if compressed else text
            out.append((kind, key.decode("latin-1") + " " + text.decode("utf-8", "replace")))
    return out


def file_hits(path: Path, pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    """``(position, matched text)`` for every match in one file."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".parquet":
        yield from _parquet_hits(path, pattern)
    elif suffix == ".xlsx":
        yield from _xlsx_hits(path, pattern)
    elif suffix == ".png":
        for kind, text in png_text_chunks(data):
            for m in pattern.finditer(text):
                yield f"PNG {kind} chunk", m.group(0)
    elif suffix == ".gz":
        yield from _text_hits(
            gzip.decompress(data).decode("utf-8", "replace"), pattern, "gunzipped"
        )
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        yield from _text_hits(text, pattern, "text")


def search_outputs(folder: Path, names: Iterable[str]) -> list[str]:
    """``"file: position: name"`` for every raw occurrence of any of ``names`` under ``folder``."""
    pattern = name_pattern(names)
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for where, text in file_hits(path, pattern):
            found.append(f"{path.relative_to(folder)}: {where}: {text!r}")
    return found
