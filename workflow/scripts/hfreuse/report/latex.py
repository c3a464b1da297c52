"""Tables for papers: every result table the report shows, as a LaTeX table a paper can
``\\input`` and a CSV beside it with the same rows and the same formatted cells.

The LaTeX comes from pandas' :class:`~pandas.io.formats.style.Styler` (``to_latex``, booktabs
rules): every cell and header is escaped by the Styler (``escape="latex"``), the caption by
:func:`latex_text`. Cells are formatted as the report formats its numbers
(:func:`hfreuse.report.html.format_value`: counts with thousands separators, identifiers and
years without, 3 significant digits; :func:`hfreuse.report.summary.format_fact`: shares as
percentages, p-values with 2 significant digits); booleans read yes/no; a column empty in every
row is left out (and the caption says so); a list column (:attr:`ResultTable.lists`) shows a
list of more than :data:`LIST_MAX` names as their count. Headers are the columns' ``label`` in
the data dictionary (``workflow/report/dictionary/*.yaml``); a shown column without one is an
error naming the dictionary file. Captions are the report's table titles
(:data:`hfreuse.report.layout.TABLES`); a demo run's say that the data are synthetic.

Which tables: :data:`RESULT_TABLES`, keyed by the table's name in ``workflow/products.yaml``;
a run writes those its source provides (the rule gets their paths).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..coding.sheets import escape_cell
from ..errors import InputError
from ..io import atomic_write_bytes
from . import dictionary as rd
from .html import IDENTIFIER, format_value
from .layout import TABLES as TITLES
from .summary import format_fact


@dataclass(frozen=True)
class ResultTable:
    """What a paper table shows of its result table: ``columns`` in this order (every column
    of the table when empty), ``lists``: columns holding comma-separated names (shown as a
    count when longer than :data:`LIST_MAX`), with the word for what they list."""

    columns: tuple[str, ...] = ()
    lists: Mapping[str, str] = field(default_factory=dict)


#: The result tables written for papers (name in workflow/products.yaml -> what is shown), in
#: the report's order: claims, RQ1/RQ2 counts, agreement, RQ3 statistics, date sensitivity.
#: Raw data (codebook, codes, sample, model totals) and the sample design are not results.
RESULT_TABLES: dict[str, ResultTable] = {
    "claims": ResultTable(
        ("research_question", "claim", "paper_value", "computed_value", "p_value", "verdict", "n")
    ),
    "reproduction": ResultTable(("claim", "paper_value", "computed_value", "p_value", "verdict")),
    "taxonomy_counts": ResultTable(
        ("kind", "level", "category", "subcategory", "count", "topics", "share")
        + ("share_of_category", "count_source")
    ),
    "root_cause_counts": ResultTable(),
    "taxonomy_by_forum_category": ResultTable(),
    "agreement": ResultTable(),
    # the model types correlated are counted by n_models: their list stays in the parquet
    "totals_correlation": ResultTable(
        ("scope", "n_models", "rho", "p_value", "n_months", "first_month", "last_month")
    ),
    "monthly_correlation": ResultTable(),
    "model_trends": ResultTable(
        ("model_type", "source", "n_months", "total", "mk_tau", "mk_p", "mk_p_adjusted")
        + ("sen_slope", "direction")
    ),
    "declining_rising": ResultTable(),
    "card_share_trend": ResultTable(
        ("test", "statistic", "p_value", "tau", "sen_slope", "increase", "split_month")
        + ("n_before", "n_after", "median_before", "median_after", "n_months")
    ),
    "date_sensitivity": ResultTable(
        lists={"api_label": "model types", "true_label": "model types"}
    ),
}
#: A list cell of more names than this is shown as their count.
LIST_MAX = 5
#: Tables of more rows than this are a ``longtable`` (it breaks across pages).
LONG_ROWS = 40
#: Text columns whose longest cell is longer than this wrap in a paragraph column.
WRAP_CHARS = 40
SYNTHETIC_NOTE = (
    "Synthetic demo data: the numbers show that the workflow runs, not what HuggingFace looks like."
)
#: p-values (p_value, p_adjusted, mk_p, forum_p_adjusted, spearman_time_p ...) and shares
P_COLUMN = re.compile(r"(^|_)p(_value|_adjusted)?$")
SHARE_COLUMN = re.compile(r"(^|_)share($|_)")
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
#: LaTeX's special characters and their text (what pandas' Styler writes for cells)
LATEX_SPECIALS = {
    "\\": r"\textbackslash ",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde ",
    "^": r"\textasciicircum ",
}


def latex_text(text: str) -> str:
    """``text`` safe in LaTeX running text (a caption): each special character as the Styler
    escapes it in cells; a space after a control word stays a space."""
    out = []
    for i, ch in enumerate(text):
        rep = LATEX_SPECIALS.get(ch, ch)
        if rep.endswith(" ") and text[i + 1 : i + 2] == " ":
            rep = rep[:-1] + "{}"
        out.append(rep)
    return "".join(out)


@dataclass(frozen=True)
class PaperTable:
    """A result table as a paper shows it: text cells under reader headers."""

    cells: pd.DataFrame  # str cells, columns = headers
    numeric: tuple[bool, ...]  # per column: right-aligned numbers
    text: tuple[bool, ...]  # per column: text from the data (CSV cells escaped for spreadsheets)
    dropped: tuple[str, ...]  # headers of the columns empty in every row
    counted: tuple[str, ...]  # headers of the list columns with a count in some row


def column_labels(
    path: str, columns: Sequence[str], entries: Mapping[str, rd.Entry]
) -> dict[str, str]:
    """Column -> its header: the ``label`` of the column in the data dictionary entry of
    ``path``. A table without an entry, or a column without a label, is an InputError naming
    what to add where."""
    entry = rd.entry_for(path, entries)
    if entry is None:
        raise InputError(f"{path}: no entry in workflow/report/dictionary/*.yaml (its headers)")
    out = {}
    for name in columns:
        col = entry.column(name)
        if col is None or not col.label:
            raise InputError(
                f"{entry.file}: {entry.key}: column {name!r} needs a label "
                "(the header of its paper table)"
            )
        out[name] = col.label
    twice = sorted({v for v in out.values() if list(out.values()).count(v) > 1})
    if twice:
        raise InputError(f"{entry.file}: {entry.key}: label(s) {twice} name two columns")
    return out


def _absent(value: object) -> bool:
    """A missing cell (None, NA, NaN, NaT); a list is a value."""
    if isinstance(value, list | tuple | np.ndarray):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _missing(series: pd.Series) -> pd.Series:
    """Per row: the cell is missing or blank text."""
    missing = series.map(_absent).astype(bool)
    if _is_number(series) or _is_bool(series):
        return missing
    return missing | series.map(lambda v: not _absent(v) and not format_value(v).strip())


def _is_bool(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series.dtype)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not _is_bool(series)


def _list_cell(value: object, noun: str) -> tuple[str, bool]:
    """A list cell: its names as they are, or their count when more than :data:`LIST_MAX`."""
    text = format_value(value)
    names = [n for n in text.split(",") if n.strip()]
    if len(names) > LIST_MAX:
        return f"{len(names):,} {noun}", True
    return text, False


def format_cell(column: str, value: object, series: pd.Series) -> str:
    """One cell as the report formats it (missing values empty): yes/no, shares as
    percentages, p-values 2 significant digits, other numbers :func:`format_value`."""
    if _absent(value):
        return ""
    if isinstance(value, bool | np.bool_):  # also in a column of text and booleans
        return "yes" if value else "no"
    if _is_number(series):
        if SHARE_COLUMN.search(column):
            return format_fact("share", value, None)
        if P_COLUMN.search(column):
            return format_fact("p", value, None)
        return format_value(value, grouped=not IDENTIFIER.search(column))
    return LINE_BREAKS.sub(" ", format_value(value))  # a blank line would end a LaTeX cell


def paper_table(df: pd.DataFrame, spec: ResultTable, labels: Mapping[str, str]) -> PaperTable:
    """The shown columns of ``df`` (``spec``), formatted, under their ``labels``; columns empty
    in every row left out (none when the table has no row)."""
    columns = list(spec.columns) or [str(c) for c in df.columns]
    cells: dict[str, list[str]] = {}
    numeric, text, dropped, counted = [], [], [], []
    for col in columns:
        series = df[col]
        if len(df) and bool(_missing(series).all()):
            dropped.append(labels[col])
            continue
        if col in spec.lists:
            pairs = [
                ("", False) if _absent(v) else _list_cell(v, spec.lists[col])
                for v in series.tolist()
            ]
            values = [t for t, _ in pairs]
            if any(c for _, c in pairs):
                counted.append(labels[col])
        else:
            values = [format_cell(col, v, series) for v in series.tolist()]
        cells[labels[col]] = values
        numeric.append(_is_number(series))
        text.append(not _is_number(series) and not _is_bool(series))
    frame = pd.DataFrame(cells, columns=list(cells), dtype=object)
    return PaperTable(frame, tuple(numeric), tuple(text), tuple(dropped), tuple(counted))


def column_format(table: PaperTable) -> str:
    """``r`` for numbers, ``l`` for short text, a paragraph column for long text (their widths
    share 60% of the line)."""
    wide = [
        not num and bool(len(table.cells)) and table.cells[c].str.len().max() > WRAP_CHARS
        for c, num in zip(table.cells.columns, table.numeric, strict=True)
    ]
    width = max(0.15, 0.6 / max(sum(wide), 1))
    return "".join(
        f"p{{{width:.2f}\\linewidth}}" if w else ("r" if num else "l")
        for w, num in zip(wide, table.numeric, strict=True)
    )


def caption(name: str, table: PaperTable, source_file: str, synthetic: bool) -> str:
    """The table's caption (plain text): the report's title of the table, what is left out or
    counted, and for a demo run that the data are synthetic."""
    title = TITLES.get(name, ("", name.replace("_", " ")))[1]
    parts = [f"{title}."]
    if not len(table.cells):
        parts.append("No rows in this run.")
    if table.dropped:
        parts.append(f"Left out, empty in every row: {', '.join(table.dropped)}.")
    if table.counted:
        parts.append(
            f"{', '.join(table.counted)}: lists of more than {LIST_MAX} names are given as "
            f"their count (the names are in {source_file})."
        )
    if synthetic:
        parts.append(SYNTHETIC_NOTE)
    return " ".join(parts)


def to_latex(table: PaperTable, caption_text: str, label: str) -> str:
    """The table as LaTeX through pandas' Styler: booktabs rules, every cell and header
    escaped, the caption escaped, ``\\label{label}``; a ``longtable`` over :data:`LONG_ROWS`
    rows, else a centred ``table`` float."""
    styler = table.cells.style.hide(axis="index")
    styler = styler.format(escape="latex").format_index(escape="latex", axis=1)
    long = len(table.cells) > LONG_ROWS
    return styler.to_latex(
        column_format=column_format(table),
        hrules=True,
        label=label,
        caption=latex_text(caption_text),
        environment="longtable" if long else None,
        position_float=None if long else "centering",
    )


def csv_bytes(table: PaperTable) -> bytes:
    """The table's rows as CSV (UTF-8), headers and cells as the LaTeX shows them; a text cell
    that a spreadsheet would run as a formula gets a leading ``'``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([escape_cell(str(c)) for c in table.cells.columns])
    for row in table.cells.itertuples(index=False, name=None):
        writer.writerow([escape_cell(v) if t else v for v, t in zip(row, table.text, strict=True)])
    return buf.getvalue().encode("utf-8")


def read_table(path: str) -> pd.DataFrame:
    """A result table (parquet or CSV); an unreadable one names the file."""
    try:
        if Path(path).suffix == ".csv":
            return pd.read_csv(path, keep_default_na=True)
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: expected a readable table: {exc}") from exc


def write_result_table(
    name: str,
    path: str,
    tex: str,
    csv_path: str,
    entries: Mapping[str, rd.Entry],
    synthetic: bool,
) -> PaperTable:
    """Write the paper table of the result table ``name`` (read from ``path``) as LaTeX
    (``tex``) and CSV (``csv_path``). A shown column the table lacks is an InputError naming
    the file and the rule that writes it again."""
    spec = RESULT_TABLES[name]
    df = read_table(path)
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: expected column(s) {', '.join(missing)} (rebuild it: snakemake "
            f"--forcerun on the rule that writes {Path(path).name})"
        )
    shown = list(spec.columns) or [str(c) for c in df.columns]
    table = paper_table(df, spec, column_labels(path, shown, entries))
    text = caption(name, table, Path(path).name, synthetic)
    latex = to_latex(table, text, f"tab:{name}")
    atomic_write_bytes(csv_path, csv_bytes(table))
    atomic_write_bytes(tex, latex.encode("utf-8"))
    return table
