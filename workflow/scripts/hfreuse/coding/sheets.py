"""Coding sheets: one per coder, as CSV and XLSX; reading them back (CSV or XLSX) with row numbers.

A sheet has one row per topic assigned to the coder, with the topic's context (id, URL, title,
forum category, creation date, accepted answer, first-post excerpt) and empty columns for the coder:
``code`` (free text), ``kind`` (challenge, benefit or root_cause), ``category``, ``subcategory`` (from
the codebook) and ``notes``. A topic with several codes gets one row per code (copy the row).
Row numbers are spreadsheet rows: the header is row 1, the first topic row 2 (in the CSV too, where
a quoted cell may span several text lines).

Formula injection (OWASP "CSV injection"): a forum title such as ``=cmd|' /C calc'!A0`` must not run
when a coder opens the sheet. XLSX cells are always stored as text (never as formulas); a CSV cell
starting with ``=``, ``+``, ``-``, ``@``, tab, carriage return or line feed is written with a
leading single quote ``'`` (one more quote when the text already starts with quotes before such a
character), which :func:`read_sheet` removes again from a CSV (also from a coder's own cells).
Line breaks inside a CSV cell are written as line feeds (a bare carriage return would end the row).
Control characters, which XLSX cannot hold, are shown there as U+FFFD.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import atomic_write_bytes

CONTEXT_COLUMNS = [
    "topic_id",
    "url",
    "title",
    "forum_category",
    "created",
    "has_accepted_answer",
    "excerpt",
]
CODER_COLUMNS = ["code", "kind", "category", "subcategory", "notes"]
SHEET_COLUMNS = CONTEXT_COLUMNS + CODER_COLUMNS
REQUIRED_COLUMNS = ["topic_id", "code", "kind", "category", "subcategory"]
KINDS = ("challenge", "benefit", "root_cause")

INSTRUCTIONS = [
    "One row per code. A topic with several codes gets several rows (copy the topic's row).",
    "code: a short free-text description of what the topic shows (required on every row).",
    "kind: challenge (a problem the asker faces), benefit (what the community gives back), or "
    "root_cause (why the problem arose; only on topics with an accepted answer).",
    "category / subcategory: exactly as written in the codebook; subcategory empty when the "
    "category has none.",
    "notes: optional.",
    "Do not add topics that are not in your sheet, and do not rename the columns.",
]
#: A cell starting with one of these is run as a formula by spreadsheet programs (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_FIXED_TIME = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def build_sheet(sample: pd.DataFrame, coder: str) -> pd.DataFrame:
    """The empty coding sheet of ``coder``: the topics assigned to them, by topic id."""
    mine = sample[sample["coders"].map(lambda cs: coder in list(cs))]
    mine = mine.sort_values("topic_id", kind="mergesort")
    sheet = pd.DataFrame(
        {
            "topic_id": mine["topic_id"].astype("int64").astype(str),
            "url": mine["url"].astype(str),
            "title": mine["title"].fillna("").astype(str),
            "forum_category": mine["forum_category"].fillna("").astype(str),
            "created": pd.to_datetime(mine["created_at"], utc=True).dt.strftime("%Y-%m-%d"),
            "has_accepted_answer": mine["has_accepted_answer"].map(lambda b: "yes" if b else "no"),
            "excerpt": mine["excerpt"].fillna("").astype(str),
        }
    )
    for col in CODER_COLUMNS:
        sheet[col] = ""
    return sheet[SHEET_COLUMNS].reset_index(drop=True)


def escape_cell(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would run it as a formula (OWASP), and
    its line breaks as line feeds (the CSV writer does not quote a bare carriage return).

    Text that already starts with quotes before a formula character (``'=A1``) gets one more,
    so that :func:`unescape_cell` gives every text back as it was."""
    text = "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unescape_cell(text: str) -> str:
    """``text`` without the leading ``'`` that :func:`escape_cell` adds."""
    quoted = text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS)
    return text[1:] if quoted else text


def sheet_csv_bytes(sheet: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM so that spreadsheet programs open it as UTF-8); a cell that
    would run as a formula gets a leading ``'`` (:func:`escape_cell`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(sheet.columns))
    for row in sheet.itertuples(index=False):
        writer.writerow([escape_cell("" if pd.isna(v) else str(v)) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_sheet_csv(sheet: pd.DataFrame, path: str | Path) -> None:
    atomic_write_bytes(path, sheet_csv_bytes(sheet))


def sheet_xlsx_bytes(sheet: pd.DataFrame, coder: str) -> bytes:
    """An XLSX workbook (sheet 'coding' plus 'instructions'), byte-reproducible."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "coding"
    ws.append(list(sheet.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in sheet.itertuples(index=False):
        # control characters cannot be stored in XLSX (XML): shown as U+FFFD
        ws.append(
            [("" if pd.isna(v) else ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(v))) for v in row]
        )
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # openpyxl reads a leading "=" as a formula: keep text
                cell.data_type = "s"
    widths = {
        "topic_id": 10,
        "url": 28,
        "title": 40,
        "forum_category": 16,
        "created": 11,
        "has_accepted_answer": 10,
        "excerpt": 60,
        "code": 40,
        "kind": 12,
        "category": 28,
        "subcategory": 28,
        "notes": 30,
    }
    for idx, name in enumerate(sheet.columns, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = widths.get(name, 15)
        if name == "excerpt":
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    kind_col = ws.cell(row=1, column=list(sheet.columns).index("kind") + 1).column_letter
    dv = DataValidation(type="list", formula1='"' + ",".join(KINDS) + '"', allow_blank=True)
    dv.add(f"{kind_col}2:{kind_col}{max(2, len(sheet) + 500)}")
    ws.add_data_validation(dv)
    info = wb.create_sheet("instructions")
    info.append([f"Coding sheet of {coder}"])
    info["A1"].font = Font(bold=True)
    for line in INSTRUCTIONS:
        info.append([line])
    info.column_dimensions["A"].width = 120
    wb.properties.creator = "hfreuse"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _normalize_zip(buf.getvalue())


def write_sheet_xlsx(sheet: pd.DataFrame, coder: str, path: str | Path) -> None:
    atomic_write_bytes(path, sheet_xlsx_bytes(sheet, coder))


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite an XLSX zip with fixed entry times and a fixed modification date."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    body,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def _cell_text(value: object, unescape: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return (unescape_cell(str(value)) if unescape else str(value)).strip()


class SheetError(InputError):
    """A filled sheet that cannot be read: ``file[, row N]: expected ...``."""

    def __init__(self, file: str | Path, row: int | None, expected: str):
        self.file, self.row, self.expected = str(file), row, expected
        where = self.file if row is None else f"{self.file}, row {row}"
        super().__init__(f"{where}: expected {expected}")


def read_sheet(path: str | Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a filled sheet (.csv or .xlsx): its labelled header and its non-blank rows as
    (spreadsheet row number, {column: text}).

    Columns without a header (a coder's own notes) are ignored; a duplicated header, a
    semicolon- or tab-separated CSV, a non-UTF-8 CSV and a workbook without a worksheet named
    'coding' raise :class:`SheetError`.
    """
    path = Path(path)
    # a CSV cell's protective quote is removed; an XLSX cell is text as stored (spreadsheet
    # programs keep a typed leading quote out of the cell's value)
    unescape = path.suffix.lower() == ".csv"
    if path.suffix.lower() == ".xlsx":
        records = _xlsx_records(path)
    elif path.suffix.lower() == ".csv":
        records = _csv_records(path)
    else:
        raise SheetError(path, None, "a coding sheet ending in .csv or .xlsx")
    if not records:
        raise SheetError(path, None, f"a header row {SHEET_COLUMNS} (the file is empty)")
    header = [_cell_text(h, unescape) for h in records[0]]
    _check_header(path, header)
    labelled = [(i, h) for i, h in enumerate(header) if h]
    rows = []
    for number, rec in enumerate(records[1:], start=2):
        cells = [_cell_text(v, unescape) for v in rec]
        cells += [""] * (len(header) - len(cells))
        row = {h: cells[i] for i, h in labelled}
        if any(row.values()):
            rows.append((number, row))
    return [h for _, h in labelled], rows


def _column_letter(index: int) -> str:
    """The spreadsheet letter of the 0-based column ``index`` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_header(path: Path, header: list[str]) -> None:
    names = [h for h in header if h]
    for sep, what in ((";", "semicolon"), ("\t", "tab")):
        if len(names) == 1 and len(names[0].split(sep)) > 1:
            raise SheetError(
                path,
                1,
                f"comma-separated values; this file looks {what}-separated (header "
                f"{names[0][:60]!r}): save it as CSV with commas",
            )
    for name in dict.fromkeys(names):
        where = [_column_letter(i) for i, h in enumerate(header) if h == name]
        if len(where) > 1:
            raise SheetError(
                path, 1, f"each column once (column {name!r} is in columns {' and '.join(where)})"
            )


def _csv_records(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SheetError(
            path,
            None,
            f"a UTF-8 CSV file (byte 0x{data[exc.start]:02x} on text line {line} is not UTF-8: "
            "save it as CSV UTF-8)",
        ) from exc
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise SheetError(path, None, f"a CSV file: {exc}") from exc


def _xlsx_records(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SheetError(path, None, f"an XLSX workbook: {exc}") from exc
    try:
        if "coding" not in wb.sheetnames:
            found = ", ".join(repr(n) for n in wb.sheetnames)
            raise SheetError(
                path,
                None,
                f"a worksheet named 'coding' (the sheet written for the coder); found: {found}",
            )
        return [list(r) for r in wb["coding"].iter_rows(values_only=True)]
    finally:
        wb.close()
