"""The summary table's machinery: its columns, facts and sentences, and reading the run's tables.

A *fact* is a number or a name (``kind`` says which: count, share, rho, p, month, name, ...),
``value`` holds a number, ``label`` a text value, ``source`` the table it comes from. A
*sentence* (kind ``sentence``) is a template naming facts of its section by ``{key}``; the
report replaces each by the fact, formatted, and computes nothing. The summarisers of
:mod:`hfreuse.report.study_summary` fill a :class:`Section` each.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ..errors import InputError

# The table: column -> dtype (fixed, in this order).
COLUMNS = {
    "section": "string",
    "heading": "string",
    "order": "int64",
    "key": "string",
    "kind": "string",
    "value": "Float64",
    "label": "string",
    "text": "string",
    "source": "string",
}
#: kinds of facts with a number in ``value``
NUMBER_KINDS = ("count", "share", "number", "rho", "tau", "slope", "statistic", "p", "alpha")
#: kinds of facts with a text in ``label``
TEXT_KINDS = ("date", "month", "year", "name", "text")
SENTENCE = "sentence"
KINDS = (*NUMBER_KINDS, *TEXT_KINDS, SENTENCE)
#: a placeholder of a sentence template: ``{key}``
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


@dataclass
class Tables:
    """The run's tables: table name (e.g. ``hub_models``, workflow/products.yaml) -> path;
    :meth:`read` checks the columns before reading them."""

    paths: Mapping[str, str]

    def has(self, table: str) -> bool:
        return table in self.paths

    def path(self, table: str) -> str:
        return self.paths[table]

    def read(self, table: str, columns: Sequence[str]) -> pd.DataFrame:
        path = self.paths[table]
        if path.endswith(".csv"):
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            names = list(df.columns)
        else:
            names = pq.read_schema(path).names
        missing = [c for c in columns if c not in names]
        if missing:
            raise InputError(
                f"{path}: expected column(s) {', '.join(missing)} (the table has: "
                f"{', '.join(names) or 'no columns'})"
            )
        if path.endswith(".csv"):
            return df[list(columns)]
        return pd.read_parquet(path, columns=list(columns))


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _label(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


@dataclass
class Section:
    """Rows of one section. The fact methods record a fact and return its placeholder."""

    id: str
    heading: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def _add(self, key: str, kind: str, value: Any, label: Any, text: Any, source: str) -> str:
        if not PLACEHOLDER.fullmatch("{" + key + "}"):
            raise ValueError(f"summary key {key!r}: expected [a-z0-9_]+")
        if any(r["key"] == key for r in self.rows):
            raise ValueError(f"summary key {key!r} used twice in section {self.id!r}")
        self.rows.append(
            {
                "section": self.id,
                "heading": self.heading,
                "key": key,
                "kind": kind,
                "value": _number(value),
                "label": _label(label),
                "text": text,
                "source": source,
            }
        )
        return "{" + key + "}"

    def fact(self, key: str, kind: str, value: Any, source: str) -> str:
        """A number (kinds in NUMBER_KINDS) or a text value (TEXT_KINDS); null when undefined."""
        if kind in NUMBER_KINDS:
            return self._add(key, kind, value, None, None, source)
        if kind in TEXT_KINDS:
            return self._add(key, kind, None, value, None, source)
        raise ValueError(f"summary kind {kind!r}: expected one of {', '.join(KINDS)}")

    def say(self, template: str) -> None:
        """A sentence over facts of this section; its source: the tables of those facts."""
        facts = {r["key"]: r for r in self.rows}
        keys = PLACEHOLDER.findall(template)
        unknown = [k for k in keys if facts.get(k, {}).get("kind") in (None, SENTENCE)]
        if unknown:
            raise ValueError(f"summary sentence names unknown fact(s) {unknown}: {template!r}")
        sources = sorted({facts[k]["source"] for k in keys})
        n = sum(r["kind"] == SENTENCE for r in self.rows) + 1
        self._add(f"sentence_{n}", SENTENCE, None, None, template, ", ".join(sources))


def share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def by_count(totals: pd.DataFrame, name: str, count: str) -> pd.DataFrame:
    """Rows by count, largest first, ties by name."""
    return totals.sort_values([count, name], ascending=[False, True], kind="mergesort")


def ranked(
    s: Section,
    src: str,
    rows: pd.DataFrame,
    key: str,
    name: str,
    count: str,
    share: Callable[[Any], Any] | None = None,
) -> str:
    """The ``rows`` as ``name (count)``, or with ``share`` (row -> share) ``name (count, share)``,
    joined by commas; each a fact of the section: ``{key}_{i}`` (the name, from 1),
    ``{key}_{i}_{count}`` and ``{key}_{i}_share``."""
    items = []
    for i, r in enumerate(rows.itertuples(), start=1):
        k = f"{key}_{i}"
        item = f"{s.fact(k, 'name', getattr(r, name), src)} "
        item += f"({s.fact(f'{k}_{count}', 'count', getattr(r, count), src)}"
        if share is not None:
            item += f", {s.fact(f'{k}_share', 'share', share(r), src)}"
        items.append(item + ")")
    return ", ".join(items)


def created_span(s: Section, created: pd.Series, src: str, lead: str) -> str:
    """``lead`` + ``created from <first> to <last>`` (dates as facts), or "" without dates."""
    if not len(created):
        return ""
    first = s.fact("first_created", "date", f"{created.min():%Y-%m-%d}", src)
    last = s.fact("last_created", "date", f"{created.max():%Y-%m-%d}", src)
    return f"{lead}created from {first} to {last}"


@dataclass(frozen=True)
class Settings:
    """What the summary's wording depends on: ``alpha`` (config ``stats.alpha``) judges
    significance, top lists have ``top_n`` entries (``figures.top_n``), and the model types of
    the RQ3 figures are ranked by ``rank_by`` (``figures.model_types_by``); ``provides`` are the
    products of the run's source (a study of one half says what the other would add);
    ``synthetic``: the source generated its data (the demo), so verdicts say so."""

    alpha: float = 0.05
    top_n: int = 5
    rank_by: str = "hub"
    provides: tuple[str, ...] = ()
    synthetic: bool = False


Summariser = Callable[[Section, Tables, Settings], None]
#: a summariser of one table: (section, the table, its path, the settings)
TableSummariser = Callable[[Section, pd.DataFrame, str, Settings], None]


def summarises(table: str, columns: Sequence[str]) -> Callable[[TableSummariser], Summariser]:
    """Decorator: the summariser of the one table ``table`` (its id), run only when the run has
    it, as ``summarise(section, table read with columns, its path, settings)``."""

    def wrap(summarise: TableSummariser) -> Summariser:
        @functools.wraps(summarise)
        def summariser(s: Section, t: Tables, settings: Settings) -> None:
            if t.has(table):
                summarise(s, t.read(table, columns), t.path(table), settings)

        return summariser

    return wrap


def empty() -> pd.DataFrame:
    """The summary table with no row (its columns and dtypes)."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in COLUMNS.items()})
