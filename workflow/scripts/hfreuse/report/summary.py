"""The report's summary: the sentences of results/report/summary.parquet (rule summarize_study).

This module presents and computes nothing: it reads the table, replaces each ``{key}`` of a
sentence with the fact of that key in the same section, formatted by its kind, and groups the
sentences by section in the table's order. A table that does not follow the schema
(:data:`hfreuse.report.facts.COLUMNS`) is an error naming the file and what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ..errors import InputError
from .facts import COLUMNS, KINDS, NUMBER_KINDS, PLACEHOLDER, SENTENCE


@dataclass(frozen=True)
class Topic:
    title: str
    sentences: tuple[str, ...]
    section: str = ""


def num(x: float, digits: int = 3) -> str:
    """Whole numbers with thousands separators, others with ``digits`` significant digits."""
    if float(x).is_integer() and abs(x) >= 1:
        return f"{int(x):,}"
    return f"{x:.{digits}g}"


def format_fact(kind: str, value: Any, label: Any) -> str:
    """A fact as text: counts ``1,234``, shares ``12.3%``, p-values 2 and statistics 3
    significant digits, text facts as they are; a missing value is ``n/a``."""
    if kind not in NUMBER_KINDS:
        return "n/a" if label is None or label is pd.NA else str(label)
    if value is None or value is pd.NA or math.isnan(float(value)):
        return "n/a"
    value = float(value)
    if kind == "count":
        return f"{round(value):,}"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "p":
        return f"{value:.2g}"
    return num(value)


def read_summary(path: str) -> pd.DataFrame:
    """The summary table, its columns and kinds checked, in its order."""
    names = pq.read_schema(path).names
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InputError(f"{path}: expected column(s) {', '.join(missing)} (rule summarize_study)")
    df = pd.read_parquet(path, columns=list(COLUMNS))
    bad = sorted(set(df["kind"].astype(str)) - set(KINDS))
    if bad:
        raise InputError(f"{path}, column kind: unknown kind(s) {bad}")
    return df.sort_values("order", kind="mergesort").reset_index(drop=True)


def summary_topics(path: str) -> list[Topic]:
    """One topic per section (its heading), with its sentences filled in."""
    df = read_summary(path)
    topics = []
    for section in pd.unique(df["section"]):
        rows = df[df["section"] == section]
        facts = {
            r["key"]: format_fact(r["kind"], r["value"], r["label"])
            for r in rows.to_dict("records")
            if r["kind"] != SENTENCE
        }

        def fill(match, section=section, facts=facts) -> str:
            key = match.group(1)
            if key not in facts:
                raise InputError(f"{path}, section {section}: a sentence names no fact {key!r}")
            return facts[key]

        sentences = tuple(
            PLACEHOLDER.sub(fill, str(text)) for text in rows.loc[rows["kind"] == SENTENCE, "text"]
        )
        topics.append(Topic(str(rows["heading"].iloc[0]), sentences, str(section)))
    return topics
