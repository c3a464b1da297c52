"""What to do when a run samples topics for coding but has no filled sheets (a live study before
its coders returned their sheets): where the blank sheets are, what to fill, which keys to set.

The same words serve the end of a run (printed on the terminal), the report's empty RQ1 and RQ2
sections, and the one-line error of ``import_coding`` when it is asked for without filled sheets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..errors import InputError
from .sheets import CODER_COLUMNS

#: The codebook a live study can copy and adapt (the demo's, shaped like the study's).
CODEBOOK_EXAMPLE = "workflow/resources/coding/demo_codebook.csv"


def _unset(filled_dir: object, codebook: object) -> list[str]:
    return [
        k for k, v in (("coding.filled_dir", filled_dir), ("coding.codebook", codebook)) if not v
    ]


def _folder(sheets: Sequence[str]) -> str:
    folders = sorted({str(Path(s).parent) for s in sheets})
    return ", ".join(f"{f}/" for f in folders)


def coding_guidance(sheets: Sequence[str], filled: object, codebook: object) -> list[str]:
    """The sentences that tell a user how to get RQ1 and RQ2, or none when there is nothing to
    say: ``sheets`` are this run's blank coding sheets (none when the run has no coding sample);
    ``filled`` is ``coding.filled_dir`` (or the filled sheets found there), ``codebook``
    ``coding.codebook``: empty when not set."""
    unset = _unset(filled, codebook)
    if not sheets or not unset:
        return []
    names = ", ".join(sorted(Path(s).name for s in sheets))
    return [
        f"RQ1 and RQ2 need the coded forum sample, and {' and '.join(unset)} "
        f"{'is' if len(unset) == 1 else 'are'} not set.",
        f"The coding sheets to fill are in {_folder(sheets)} ({names}): one per coder, each "
        f"fills the columns {', '.join(CODER_COLUMNS)}, one row per code (the sheet's "
        "instructions say how).",
        "Then put the filled sheets (<coder>.xlsx or <coder>.csv) in one folder, set "
        "coding.filled_dir to that folder and coding.codebook to the codebook CSV (columns kind, "
        f"category, subcategory, definition, example, like {CODEBOOK_EXAMPLE}), and run again.",
    ]


def print_guidance(
    sheets: Sequence[str], filled: object, codebook: object, out: TextIO | None = None
) -> None:
    """Print :func:`coding_guidance` for the blank ``sheets`` that exist (at the end of a run:
    a run that stopped before the coding sample says nothing), one ``coding:`` line each."""
    made = [s for s in sheets if Path(s).exists()]
    for line in coding_guidance(made, filled, codebook):
        print(f"coding: {line}", file=out or sys.stderr)


def sheets_among(tables: Sequence[str]) -> list[str]:
    """The blank coding sheets among a run's tables (the files of a folder named ``sheets``)."""
    return sorted(t for t in tables if Path(t).parent.name == "sheets")


def check_import_inputs(
    filled: Sequence[str],
    codebook_csv: Sequence[str] | str | os.PathLike,
    sheets: Sequence[str] = (),
) -> str | os.PathLike:
    """The codebook CSV to import with the filled sheets ``filled``, or one clear error when
    ``coding.filled_dir`` or ``coding.codebook`` is not set (Snakemake then passes empty
    inputs); ``sheets`` are the blank sheets, named in the error."""
    book = [codebook_csv] if isinstance(codebook_csv, str | os.PathLike) else list(codebook_csv)
    unset = _unset(list(filled), book)
    if unset:
        where = f" (the blank sheets are in {_folder(sheets)})" if sheets else ""
        raise InputError(
            f"no coded topics to import: {' and '.join(unset)} "
            f"{'is' if len(unset) == 1 else 'are'} not set. Fill the coding sheets{where}, "
            "set coding.filled_dir to the folder of the filled <coder>.xlsx or .csv and "
            f"coding.codebook to the codebook CSV (like {CODEBOOK_EXAMPLE}), and run again."
        )
    return book[0]
