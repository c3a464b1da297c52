"""Import of the coders' filled sheets: validation against the sample and the codebook.

Every problem of every sheet is collected first; if there is any, one :class:`InputError` lists them
all (file, row, column, value, what was expected) and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .codebook import KINDS, CodebookIndex, norm_text
from .sheets import REQUIRED_COLUMNS, SheetError, read_sheet

CODES_COLUMNS = [
    "coder",
    "topic_id",
    "row",
    "kind",
    "category",
    "subcategory",
    "code",
    "notes",
    "forum_category",
    "primary",
]
CODES_DTYPES = {
    "coder": "string",
    "topic_id": "int64",
    "row": "int64",
    "kind": "string",
    "category": "string",
    "subcategory": "string",
    "code": "str",
    "notes": "string",
    "forum_category": "string",
    "primary": "bool",
}
ROOT_CAUSE_COLUMNS = [
    "coder",
    "topic_id",
    "forum_category",
    "challenge_category",
    "challenge_subcategory",
    "root_cause_group",
    "root_cause",
    "code",
    "question_code",
    "answer_code",
    "primary",
]
ROOT_CAUSE_DTYPES = {
    "coder": "string",
    "topic_id": "int64",
    "forum_category": "string",
    "challenge_category": "string",
    "challenge_subcategory": "string",
    "root_cause_group": "str",
    "root_cause": "string",
    "code": "string",
    "question_code": "string",
    "answer_code": "string",
    "primary": "bool",
}
MAX_LISTED = 200


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        text = self.file if self.row is None else f"{self.file}, row {self.row}"
        if self.column is not None:
            text += f": {self.column}" + ("" if self.value is None else f" {self.value!r}")
        return f"{text}: expected {self.expected}"


def raise_problems(problems: list[Problem], what: str) -> None:
    if not problems:
        return
    lines = [str(p) for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"... and {len(problems) - MAX_LISTED} more")
    raise InputError(
        f"{len(problems)} problem(s) in {what}; nothing was imported:\n  " + "\n  ".join(lines)
    )


def import_sheets(
    sheets: dict[str, str | Path], sample: pd.DataFrame, codebook: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate the filled sheets (coder -> file) and return (codes, root_causes)."""
    index = CodebookIndex.from_frame(codebook)
    assigned = {
        int(t): list(cs) for t, cs in zip(sample["topic_id"], sample["coders"], strict=True)
    }
    forum_cat = dict(zip(sample["topic_id"].astype(int), sample["forum_category"], strict=True))
    accepted = dict(zip(sample["topic_id"].astype(int), sample["has_accepted_answer"], strict=True))
    problems: list[Problem] = []
    records = []
    for coder in sorted(sheets):
        path = Path(sheets[coder])
        name = str(path)
        try:
            header, rows = read_sheet(path)
        except SheetError as exc:  # reported with the other sheets' problems
            problems.append(Problem(exc.file, exc.row, None, None, exc.expected))
            continue
        rows = _without_duplicates(name, rows, problems)
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    None,
                    f"the column(s) {', '.join(missing)} (required: "
                    f"{', '.join(REQUIRED_COLUMNS)}; found: {', '.join(header) or 'none'})",
                )
            )
            continue
        seen_topics: set[int] = set()
        for number, cells in rows:
            rec = _check_row(name, number, cells, coder, assigned, accepted, index, problems)
            if rec is not None:
                seen_topics.add(rec["topic_id"])
                rec["forum_category"] = forum_cat.get(rec["topic_id"])
                rec["primary"] = assigned[rec["topic_id"]][0] == coder
                records.append(rec)
            elif _int_or_none(cells.get("topic_id", "")) is not None:
                seen_topics.add(int(cells["topic_id"]))
        for topic in sorted(t for t, cs in assigned.items() if coder in cs):
            if topic not in seen_topics:
                problems.append(
                    Problem(
                        name,
                        None,
                        "topic_id",
                        str(topic),
                        f"a row for every topic assigned to {coder} (topic {topic} has none)",
                    )
                )
    raise_problems(problems, "the coding sheets")
    codes = pd.DataFrame(records, columns=CODES_COLUMNS)
    codes = codes.astype(CODES_DTYPES).sort_values(["coder", "topic_id", "row"], kind="mergesort")
    codes = codes.reset_index(drop=True)
    return codes, root_causes_from_codes(codes)


def _without_duplicates(
    name: str, rows: list[tuple[int, dict[str, str]]], problems: list[Problem]
) -> list[tuple[int, dict[str, str]]]:
    """The rows that are not an exact copy of an earlier row; each copy is a problem."""
    first: dict[tuple, int] = {}
    kept = []
    for number, cells in rows:
        key = tuple(sorted(cells.items()))
        if key in first:
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    None,
                    f"no exact duplicate rows (row {number} repeats row {first[key]})",
                )
            )
        else:
            first[key] = number
            kept.append((number, cells))
    return kept


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


Bad = Callable[[str, str, str], None]  # bad(column, value, expected) records a problem


def _checked_topic(
    cells: dict[str, str], coder: str, assigned: dict[int, list[str]], bad: Bad
) -> int | None:
    """The row's topic id, when it is a topic of the sample assigned to ``coder``."""
    raw_topic = cells.get("topic_id", "")
    topic = _int_or_none(raw_topic)
    if topic is None:
        bad("topic_id", raw_topic, "a topic id (a whole number)")
    elif topic not in assigned:
        bad("topic_id", raw_topic, "a topic of the coding sample")
    elif coder not in assigned[topic]:
        bad(
            "topic_id",
            raw_topic,
            f"a topic assigned to {coder} (topic {topic} is assigned to "
            f"{', '.join(assigned[topic])}: is this another coder's sheet?)",
        )
    return topic


def _checked_category(
    kind: str, raw_kind: str, raw_cat: str, index: CodebookIndex, bad: Bad
) -> str | None:
    """The codebook's name of the row's ``kind`` category, or None (a problem recorded)."""
    category = index.category(kind, raw_cat)
    if category is not None:
        return category
    others = [k for k in index.kinds_of(raw_cat) if k != kind]
    if others:
        bad(
            "kind",
            raw_kind,
            f"{others[0]} for category {norm_text(raw_cat)!r} "
            f"(it is a {others[0]} category of the codebook, not a {kind} category)",
        )
    elif not norm_text(raw_cat):
        bad("category", raw_cat, f"a {kind} category of the codebook (empty)")
    else:
        bad("category", raw_cat, f"a {kind} category of the codebook{index.suggest(kind, raw_cat)}")
    return None


def _checked_subcategory(
    kind: str, category: str, raw_sub: str, index: CodebookIndex, bad: Bad
) -> str | None:
    """The codebook's name of the row's subcategory of ``category`` (None where it has none)."""
    subs = index.subcategory_names(kind, category)
    if not subs:
        if norm_text(raw_sub):
            bad("subcategory", raw_sub, f"empty ({category!r} has no subcategories)")
        return None
    subcategory = index.subcategory(kind, category, raw_sub)
    if subcategory is None:
        bad("subcategory", raw_sub, f"a subcategory of {category!r}: one of {', '.join(subs)}")
    return subcategory


def _check_row(
    name: str,
    number: int,
    cells: dict[str, str],
    coder: str,
    assigned: dict[int, list[str]],
    accepted: dict[int, bool],
    index: CodebookIndex,
    problems: list[Problem],
) -> dict | None:
    before = len(problems)

    def bad(column: str, value: str, expected: str) -> None:
        problems.append(Problem(name, number, column, value, expected))

    topic = _checked_topic(cells, coder, assigned, bad)
    code = norm_text(cells.get("code", ""))
    if not code:
        bad("code", cells.get("code", ""), "a non-empty code (one row per code)")
    raw_kind = cells.get("kind", "")
    kind = norm_text(raw_kind).casefold().replace(" ", "_").replace("-", "_")
    category = subcategory = None
    if kind not in KINDS:
        bad("kind", raw_kind, f"one of {', '.join(KINDS)}")
    else:
        category = _checked_category(kind, raw_kind, cells.get("category", ""), index, bad)
        if category is not None:
            subcategory = _checked_subcategory(
                kind, category, cells.get("subcategory", ""), index, bad
            )
        if kind == "root_cause" and topic in accepted and not accepted[topic]:
            bad(
                "kind",
                raw_kind,
                "challenge or benefit: root causes are coded only on topics with an accepted "
                f"answer, and topic {topic} has none",
            )
    if len(problems) > before:
        return None
    return {
        "coder": coder,
        "topic_id": topic,
        "row": number,
        "kind": kind,
        "category": category,
        "subcategory": subcategory,
        "code": code,
        "notes": norm_text(cells.get("notes", "")) or None,
    }


def root_causes_from_codes(codes: pd.DataFrame) -> pd.DataFrame:
    """One row per root-cause code, with the question's challenge: the same coder's first
    challenge code (lowest row) on that topic."""
    rc = codes[codes["kind"] == "root_cause"]
    ch = codes[codes["kind"] == "challenge"].sort_values(["coder", "topic_id", "row"])
    first = ch.drop_duplicates(["coder", "topic_id"]).set_index(["coder", "topic_id"])
    rows = []
    for r in rc.itertuples(index=False):
        key = (r.coder, r.topic_id)
        q = first.loc[key] if key in first.index else None
        rows.append(
            {
                "coder": r.coder,
                "topic_id": r.topic_id,
                "forum_category": r.forum_category,
                "challenge_category": None if q is None else q["category"],
                "challenge_subcategory": None if q is None else q["subcategory"],
                "root_cause_group": r.category,
                "root_cause": r.subcategory,
                "code": r.code,
                "question_code": None if q is None else q["code"],
                "answer_code": None,
                "primary": r.primary,
            }
        )
    out = pd.DataFrame(rows, columns=ROOT_CAUSE_COLUMNS).astype(ROOT_CAUSE_DTYPES)
    return out.sort_values(["coder", "topic_id", "root_cause_group"], kind="mergesort").reset_index(
        drop=True
    )
