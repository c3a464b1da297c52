"""The study's summary as one tidy table (rule summarize_study): the report only presents it.

Each summariser reads one known table of the run, by its path and with the columns its writer
gives it (see the data dictionary, workflow/report/dictionary/), and adds rows to a section:

* a *fact* per number or name: ``kind`` says what it is (count, share, rho, p, month, name, ...),
  ``value`` holds a number, ``label`` a text value, ``source`` the table it comes from;
* a *sentence* (kind ``sentence``): ``text`` is a template naming facts of its section by key,
  ``{key}``; the report replaces each by the fact, formatted, and computes nothing.

A table that this source does not produce is not summarised (no rows). A table without the
columns its writer gives it is a bug: :class:`InputError` names the file and the column.
Significance is judged with ``alpha`` (config ``stats.alpha``); top lists have ``top_n`` entries
(config ``figures.top_n``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ..errors import InputError
from ..hub.parse import FLOOR
from ..rq3.paper import RQ1_RQ2_NOTE, VERDICTS

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

HUB_MODELS = "results/hub/models.parquet"
HUB_TYPES = "results/trends/hub_model_types_monthly.parquet"
CARD_SHARE = "results/trends/card_share_monthly.parquet"
MENTIONS = "results/trends/forum_model_mentions_monthly.parquet"
TOPICS = "results/forum/topics.parquet"
TOPICS_PER_CATEGORY = "results/forum/topics_per_category_monthly.parquet"
FORUM_SUMMARY = "results/forum/summary.parquet"
TAXONOMY = "results/coding/taxonomy_counts.parquet"
ROOT_CAUSE_COUNTS = "results/coding/root_cause_counts.parquet"
AGREEMENT = "results/coding/agreement.parquet"
TOTALS = "results/stats/totals_correlation.parquet"
MONTHLY = "results/stats/monthly_correlation.parquet"
TRENDS = "results/stats/model_trends.parquet"
DECLINING = "results/stats/declining_rising.parquet"
CARD_TREND = "results/stats/card_share_trend.parquet"
REPRODUCTION = "results/stats/reproduction.csv"
DATE_SENSITIVITY = "results/stats/date_sensitivity.parquet"
CARD_HISTORY = "results/hub/card_history.parquet"

#: metrics of results/forum/summary.parquet (hfreuse.forum.stats.summary) and their kinds
FORUM_METRICS = {
    "topics": "count",
    "pinned_topics": "count",
    "posts": "count",
    "categories_with_topics": "count",
    "authors": "count",
    "mean_posts_per_topic": "number",
    "median_posts_per_topic": "number",
    "share_topics_without_reply": "share",
    "share_topics_over_20_posts": "share",
    "topics_with_accepted_answer": "count",
    "share_topics_with_accepted_answer": "share",
    "share_accepted_by_staff": "share",
    "share_accepted_by_asker": "share",
    "share_accepted_by_other": "share",
}
CODE_KINDS = {"benefit": "Benefits", "challenge": "Challenges"}
LEVELS = ("category", "subcategory")
MEASURES = {
    "cohen_kappa": "Cohen's kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "percent_agreement": "percent agreement",
}
DIRECTIONS = ("declining", "no trend", "rising")


@dataclass
class Tables:
    """The run's tables by path; :meth:`read` checks the columns before reading them."""

    paths: Sequence[str]

    def has(self, path: str) -> bool:
        return path in self.paths

    def read(self, path: str, columns: Sequence[str]) -> pd.DataFrame:
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


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _top(totals: pd.DataFrame, name: str, count: str) -> pd.DataFrame:
    """Rows by count, largest first, ties by name."""
    return totals.sort_values([count, name], ascending=[False, True], kind="mergesort")


def _ranked(
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


def _created_span(s: Section, created: pd.Series, src: str, lead: str) -> str:
    """``lead`` + ``created from <first> to <last>`` (dates as facts), or "" without dates."""
    if not len(created):
        return ""
    first = s.fact("first_created", "date", f"{created.min():%Y-%m-%d}", src)
    last = s.fact("last_created", "date", f"{created.max():%Y-%m-%d}", src)
    return f"{lead}created from {first} to {last}"


Summariser = Callable[[Section, Tables, float, int], None]
#: a summariser of one table: (section, table, its path, alpha, top_n)
TableSummariser = Callable[[Section, pd.DataFrame, str, float, int], None]


def _summarises(path: str, columns: Sequence[str]) -> Callable[[TableSummariser], Summariser]:
    """Decorator: the summariser of the one table ``path``, run only when the run has it, as
    ``summarise(section, table read with columns, path, alpha, top_n)``."""

    def wrap(summarise: TableSummariser) -> Summariser:
        @functools.wraps(summarise)
        def summariser(s: Section, t: Tables, alpha: float, top_n: int) -> None:
            if t.has(path):
                summarise(s, t.read(path, columns), path, alpha, top_n)

        return summariser

    return wrap


# --- the summarisers: one (or a few) known tables each -------------------------------------


@_summarises(REPRODUCTION, ["claim", "scope", "test", "paper_value", "computed_value", "p_value",
                            "criterion", "verdict"])  # fmt: skip
def reproduction(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    bad = sorted(set(df["verdict"]) - set(VERDICTS))
    if bad:
        raise InputError(f"{REPRODUCTION}, column verdict: expected one of {VERDICTS}, got {bad}")
    s.say(RQ1_RQ2_NOTE)  # reproduction.csv is the paper source's: its RQ1/RQ2 are the authors'
    supported = s.fact("claims_supported", "count", int((df["verdict"] == "supported").sum()), src)
    s.say(
        f"{supported} of {s.fact('claims', 'count', len(df), src)} claims of the paper are "
        "supported in this run."
    )
    for i, rec in enumerate(df.to_dict("records"), start=1):
        claim = s.fact(f"claim_{i}", "text", rec["claim"], src)
        scope = s.fact(f"claim_{i}_scope", "text", rec["scope"], src)
        test = s.fact(f"claim_{i}_test", "text", rec["test"], src)
        paper = s.fact(f"claim_{i}_paper", "text", rec["paper_value"], src)
        run = s.fact(f"claim_{i}_run", "text", rec["computed_value"], src)
        p = s.fact(f"claim_{i}_p", "p", float(rec["p_value"] or "nan"), src)
        criterion = s.fact(f"claim_{i}_criterion", "text", rec["criterion"], src)
        verdict = s.fact(f"claim_{i}_verdict", "text", rec["verdict"], src)
        s.say(
            f"Claim {i}: \u201c{claim}\u201d Paper: {paper}. Scope: {scope}. Test: {test}. "
            f"This run: {run}; p = {p}. Criterion: {criterion}. Verdict: {verdict}."
        )


@_summarises(HUB_MODELS, ["model_type", "has_card_data", "created_at", "created_at_floored"])
def hub_models(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    src, n = HUB_MODELS, len(df)
    typed = int(df["model_type"].notna().sum())
    card = int(df["has_card_data"].sum())
    floored = int(df["created_at_floored"].sum())
    span = _created_span(s, df["created_at"].dropna(), src, ", ")
    s.say(f"The Hub snapshot holds {s.fact('models', 'count', n, src)} models{span}.")
    s.say(
        f"{s.fact('typed', 'count', typed, src)} of them "
        f"({s.fact('share_typed', 'share', _share(typed, n), src)}) declare a model type "
        f"(config.model_type); {s.fact('with_card_data', 'count', card, src)} "
        f"({s.fact('share_with_card_data', 'share', _share(card, n), src)}) have card data "
        "(the YAML header of the model card)."
    )
    s.say(
        f"{s.fact('floored', 'count', floored, src)} models "
        f"({s.fact('share_floored', 'share', _share(floored, n), src)}) carry the Hub's "
        f"createdAt floor ({s.fact('floor', 'text', f'{FLOOR:%Y-%m-%dT%H:%M:%SZ}', src)}): "
        "their true creation month is earlier and unknown here."
    )


@_summarises(HUB_TYPES, ["model_type", "month", "models", "partial_month"])
def hub_types(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    if not len(df):
        s.say("No model created in the period declares a model type.")
        return
    totals = _top(df.groupby("model_type")["models"].sum().reset_index(), "model_type", "models")
    months = sorted(df["month"].astype(str).unique())
    shown = totals.head(top_n)
    top = _ranked(s, src, shown, "top", "model_type", "models")
    s.say(
        f"Models created per model type from {s.fact('first_month', 'month', months[0], src)} "
        f"to {s.fact('last_month', 'month', months[-1], src)}: "
        f"{s.fact('model_types', 'count', len(totals), src)} model types; the "
        f"{s.fact('shown', 'count', len(shown), src)} largest are {top}."
    )
    partial = sorted(df.loc[df["partial_month"].astype(bool), "month"].astype(str).unique())
    if partial:
        s.say(
            f"The last month ({s.fact('partial_month', 'month', partial[-1], src)}) is partial: "
            "the snapshot ends within it."
        )


@_summarises(CARD_SHARE, ["month", "models", "models_with_card_data", "partial_month"])
def card_share(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    total, with_card = int(df["models"].sum()), int(df["models_with_card_data"].sum())
    s.say(
        f"{s.fact('with_card_data', 'count', with_card, src)} of "
        f"{s.fact('models', 'count', total, src)} models "
        f"({s.fact('share_with_card_data', 'share', _share(with_card, total), src)}) created in "
        "the period have card data."
    )
    full = df[~df["partial_month"].astype(bool)].copy()
    full["year"] = full["month"].astype(str).str[:4]
    years = full.groupby("year")[["models", "models_with_card_data"]].sum()
    years = years[years["models"] > 0]
    by_year = "; ".join(
        f"{s.fact(f'year_{y}', 'year', y, src)}: "
        f"{s.fact(f'share_{y}', 'share', _share(r.models_with_card_data, r.models), src)} of "
        f"{s.fact(f'models_{y}', 'count', r.models, src)}"
        for y, r in years.iterrows()
    )
    if by_year:
        s.say(f"Share with card data by creation year (full months only): {by_year}.")


def forum(s: Section, t: Tables, alpha: float, top_n: int) -> None:
    if not t.has(TOPICS):
        return
    topics = t.read(TOPICS, ["topic_id", "created_at"])
    src = TOPICS
    span = _created_span(s, pd.to_datetime(topics["created_at"], utc=True).dropna(), src, " ")
    cats = ""
    if t.has(TOPICS_PER_CATEGORY):
        per = t.read(TOPICS_PER_CATEGORY, ["category", "topics"])
        totals = _top(per.groupby("category")["topics"].sum().reset_index(), "category", "topics")
        src2 = TOPICS_PER_CATEGORY
        top = _ranked(s, src2, totals.head(top_n), "top", "category", "topics")
        cats = f", in {s.fact('categories', 'count', len(totals), src2)} categories"
        cats += f"; the largest are {top}" if top else ""
    s.say(
        f"The forum snapshot holds {s.fact('topics', 'count', len(topics), src)} topics{span}{cats}."
    )


@_summarises(FORUM_SUMMARY, ["metric", "value"])
def forum_headline(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    unknown = sorted(set(df["metric"].astype(str)) - set(FORUM_METRICS))
    if unknown:
        raise InputError(f"{FORUM_SUMMARY}, column metric: unexpected metric(s) {unknown}")
    parts = []
    for rec in df.to_dict("records"):
        metric = str(rec["metric"])
        name = metric.replace("share_", "share of ", 1) if metric.startswith("share_") else metric
        value = s.fact(metric, FORUM_METRICS[metric], rec["value"], FORUM_SUMMARY)
        parts.append(f"{name.replace('_', ' ')}: {value}")
    if parts:
        s.say(f"Forum ({FORUM_SUMMARY}): " + "; ".join(parts) + ".")


@_summarises(MENTIONS, ["model_type", "topics"])
def mentions(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    totals = _top(df.groupby("model_type")["topics"].sum().reset_index(), "model_type", "topics")
    totals = totals[totals["topics"] > 0]
    top = _ranked(s, src, totals.head(top_n), "top", "model_type", "topics")
    s.say(
        f"Forum topics mention {s.fact('model_types', 'count', len(totals), src)} model types"
        + (f"; the most discussed are {top} (topics that mention them)." if top else ".")
    )


def _code_kind(value: Any, path: str) -> str:
    if value not in CODE_KINDS:
        raise InputError(
            f"{path}, column kind: expected one of {', '.join(CODE_KINDS)}, got {value!r}"
        )
    return str(value)


@_summarises(TAXONOMY, ["kind", "level", "category", "count", "share"])
def taxonomy(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    df = df[df["level"].astype(str) == "category"].dropna(subset=["count"])
    for kind, g in df.groupby("kind", sort=True):
        kind = _code_kind(kind, src)
        g = _top(g, "category", "count")
        top = _ranked(s, src, g.head(top_n), f"{kind}_top", "category", "count", lambda r: r.share)
        s.say(
            f"{CODE_KINDS[kind]}: {s.fact(f'{kind}_categories', 'count', len(g), src)} "
            f"categories, {s.fact(f'{kind}_instances', 'count', g['count'].sum(), src)} coded "
            f"instances; the most frequent are {top} ({src})."
        )


@_summarises(ROOT_CAUSE_COUNTS, ["root_cause_group", "count"])
def root_causes(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    totals = _top(
        df.groupby("root_cause_group")["count"].sum().reset_index(), "root_cause_group", "count"
    )
    whole = float(totals["count"].sum())
    groups = _ranked(
        s, src, totals, "group", "root_cause_group", "count", lambda r: _share(r.count, whole)
    )
    s.say(
        f"Root causes of {s.fact('answers', 'count', whole, src)} coded accepted answers, by "
        f"group: {groups} ({src})."
    )


@_summarises(AGREEMENT, ["kind", "level", "measure", "pair", "units", "value"])
def agreement(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    for (kind, level), g in df.groupby(["kind", "level"], sort=True):
        kind = _code_kind(kind, src)
        if level not in LEVELS:
            raise InputError(
                f"{src}, column level: expected category or subcategory, got {level!r}"
            )
        parts = []
        for i, rec in enumerate(g.to_dict("records"), start=1):
            if rec["measure"] not in MEASURES:
                raise InputError(
                    f"{src}, column measure: expected one of {', '.join(MEASURES)}, "
                    f"got {rec['measure']!r}"
                )
            key = f"{kind}_{level}_{i}"
            pair = str(rec["pair"])
            who = f" ({s.fact(key + '_pair', 'name', pair, src)})" if "&" in pair else ""
            value = s.fact(key, "statistic", rec["value"], src)
            parts.append(f"{MEASURES[rec['measure']]}{who} {value}")
        units = s.fact(f"{kind}_{level}_units", "count", g["units"].max(), src)
        s.say(
            f"{CODE_KINDS[kind]}, {level} level: {'; '.join(parts)}, over {units} double-coded "
            "topics."
        )


@_summarises(TOTALS, ["scope", "n_models", "rho", "p_value", "first_month", "last_month"])
def rq3_totals(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    for rec in df.to_dict("records"):
        k = f"totals_{rec['scope']}"
        s.say(
            "Total forum topics vs total hub uploads per model type "
            f"({s.fact(k + '_scope', 'name', rec['scope'], src)} models, months "
            f"{s.fact(k + '_first_month', 'month', rec['first_month'], src)} to "
            f"{s.fact(k + '_last_month', 'month', rec['last_month'], src)}): Spearman rho = "
            f"{s.fact(k + '_rho', 'rho', rec['rho'], src)}, p = "
            f"{s.fact(k + '_p', 'p', rec['p_value'], src)}, n = "
            f"{s.fact(k + '_n', 'count', rec['n_models'], src)} model types."
        )


@_summarises(TRENDS, ["model_type", "source", "direction"])
def rq3_trends(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    unknown = sorted(set(df["direction"].astype(str)) - set(DIRECTIONS))
    if unknown:
        raise InputError(f"{src}, column direction: unexpected value(s) {unknown}")
    for source, g in df.groupby("source", sort=True):
        counts = g["direction"].astype(str).value_counts()
        parts = ", ".join(
            f"{d} {s.fact(f'trend_{source}_' + d.replace(' ', '_'), 'count', counts.get(d, 0), src)}"
            for d in DIRECTIONS
        )
        s.say(
            f"Trend over time of {s.fact(f'trend_{source}', 'name', source, src)} counts per "
            f"model type: {parts}."
        )


@_summarises(DECLINING, ["model_type"])
def rq3_declining(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    names = ", ".join(
        s.fact(f"declining_rising_{i}", "name", n, src)
        for i, n in enumerate(df["model_type"].astype(str), start=1)
    )
    s.say(
        f"{s.fact('declining_rising', 'count', len(df), src)} model types have declining "
        f"forum discussion but rising hub uploads{': ' + names if names else ''}."
    )


@_summarises(MONTHLY, ["model_type", "rho", "p_adjusted"])
def rq3_monthly(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    sig = df[df["p_adjusted"] < alpha]
    said = []
    for sign, rows in (("together", sig[sig["rho"] > 0]), ("opposite", sig[sig["rho"] < 0])):
        names = sorted(rows["model_type"].astype(str))
        listed = ", ".join(
            s.fact(f"monthly_{sign}_{i}", "name", n, src) for i, n in enumerate(names, 1)
        )
        said.append(f"{s.fact(f'monthly_{sign}', 'count', len(names), src)} ({listed or 'none'})")
    s.say(
        f"Month by month, per model type ({s.fact('monthly_types', 'count', len(df), src)} "
        f"types): forum topics and hub uploads move together for {said[0]} and in opposite "
        f"directions for {said[1]} (Spearman, Benjamini-Hochberg adjusted p < "
        f"{s.fact('alpha', 'alpha', alpha, 'config: stats.alpha')})."
    )


CARD_TREND_COLUMNS = ["test", "p_value", "tau", "sen_slope", "increase", "split_month"]
CARD_TREND_COLUMNS += ["n_before", "n_after", "median_before", "median_after", "n_months"]
CARD_TREND_COLUMNS += ["first_month", "last_month"]


@_summarises(CARD_TREND, CARD_TREND_COLUMNS)
def card_trend(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    for rec in df.to_dict("records"):
        if rec["test"] == "mann_kendall":
            s.say(
                "Share of new models with card data over time over "
                f"{s.fact('mk_months', 'count', rec['n_months'], src)} months "
                f"({s.fact('mk_first_month', 'month', rec['first_month'], src)} to "
                f"{s.fact('mk_last_month', 'month', rec['last_month'], src)}): Mann-Kendall tau = "
                f"{s.fact('mk_tau', 'tau', rec['tau'], src)}, p = "
                f"{s.fact('mk_p', 'p', rec['p_value'], src)}, Sen slope "
                f"{s.fact('mk_sen_slope', 'slope', rec['sen_slope'], src)} per month; increase: "
                f"{s.fact('mk_increase', 'text', 'yes' if rec['increase'] else 'no', src)}."
            )
        elif rec["test"] == "mann_whitney":
            s.say(
                f"Before vs from {s.fact('mw_split_month', 'month', rec['split_month'], src)} "
                "(Mann-Whitney): median monthly share "
                f"{s.fact('mw_median_before', 'number', rec['median_before'], src)} "
                f"({s.fact('mw_months_before', 'count', rec['n_before'], src)} months) vs "
                f"{s.fact('mw_median_after', 'number', rec['median_after'], src)} "
                f"({s.fact('mw_months_after', 'count', rec['n_after'], src)} months), p = "
                f"{s.fact('mw_p', 'p', rec['p_value'], src)}; increase: "
                f"{s.fact('mw_increase', 'text', 'yes' if rec['increase'] else 'no', src)}."
            )
        else:
            raise InputError(
                f"{src}, column test: expected mann_kendall or mann_whitney, got {rec['test']!r}"
            )


@_summarises(DATE_SENSITIVITY, ["statistic", "subject", "measure", "api", "true", "changed"])
def date_sensitivity(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    """How many floored models the first commits dated, and what that changed in RQ3."""
    key = df.set_index(["statistic", "subject", "measure"])

    def value(stat: str, subject: str, measure: str, way: str) -> float | None:
        at = (stat, subject, measure)
        return float(key.loc[at, way]) if at in key.index and pd.notna(key.loc[at, way]) else None

    dated = value("models", "all", "dated_by_first_commit", "true")
    left = value("models", "all", "at_the_floor", "true")
    if dated is None or left is None:
        return
    s.say(
        f"{s.fact('dated_by_first_commit', 'count', int(dated), src)} models carrying the "
        "createdAt floor were dated by their first commit (trends.created_at: true); "
        f"{s.fact('still_floored', 'count', int(left), src)} could not be (repository or "
        "history gone) and keep the floor."
    )
    m_api, m_true = (value("shared_months", "all", "n_months", w) for w in ("api", "true"))
    if m_api is not None and m_true is not None:
        s.say(
            f"RQ3 compares forum and Hub over {s.fact('months_true', 'count', int(m_true), src)} "
            f"months on the true dates against {s.fact('months_api', 'count', int(m_api), src)} "
            "on createdAt."
        )
    r_api, r_true = (value("totals_correlation", "all", "rho", w) for w in ("api", "true"))
    if r_api is not None and r_true is not None:
        s.say(
            "The totals correlation of forum topics and Hub models is rho = "
            f"{s.fact('rho_true', 'rho', r_true, src)} on the true dates, "
            f"{s.fact('rho_api', 'rho', r_api, src)} on createdAt."
        )
    changed = int(df["changed"].astype(bool).sum())
    s.say(
        f"{s.fact('changed', 'count', changed, src)} of "
        f"{s.fact('compared', 'count', len(df), src)} statistics compared differ between the "
        "two dates."
    )


@_summarises(CARD_HISTORY, ["card_data_at_first_readme", "has_card_data_today"])
def card_history(s: Section, df: pd.DataFrame, src: str, alpha: float, top_n: int) -> None:
    """Card data when README.md first appeared vs today, in the sample."""
    found = df[df["card_data_at_first_readme"].notna()]
    if not len(found):
        return
    then = int(found["card_data_at_first_readme"].astype(bool).sum())
    now = int(found["has_card_data_today"].fillna(False).astype(bool).sum())
    n = len(found)
    s.say(
        f"In a sample of {s.fact('card_history_models', 'count', n, src)} models traced to the "
        "commit where their README.md first appeared, "
        f"{s.fact('card_data_at_upload', 'share', _share(then, n), src)} had card data then, "
        f"{s.fact('card_data_today', 'share', _share(now, n), src)} have it today."
    )


#: section id, heading, summarisers (in the order of the report)
SECTIONS: tuple[tuple[str, str, tuple[Summariser, ...]], ...] = (
    ("reproduction", "Reproduction of the paper's claims", (reproduction,)),
    ("hub", "Hub", (hub_models,)),
    ("hub_types", "Model types on the Hub", (hub_types,)),
    ("cards", "Documentation: card data", (card_share,)),
    ("forum", "Forum", (forum,)),
    ("forum_headline", "Headline numbers of the forum", (forum_headline,)),
    ("mentions", "Model mentions in the forum", (mentions,)),
    ("taxonomy", "Taxonomy of challenges and benefits", (taxonomy,)),
    ("root_causes", "Root causes of accepted answers", (root_causes,)),
    ("agreement", "Agreement between coders", (agreement,)),
    (
        "rq3",
        "RQ3: forum mentions vs hub uploads",
        (rq3_totals, rq3_monthly, rq3_trends, rq3_declining),
    ),
    ("card_trend", "RQ3: documentation trend", (card_trend,)),
    ("true_dates", "True creation dates: what they change", (date_sensitivity,)),
    ("card_history", "Card data at upload vs today", (card_history,)),
)


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in COLUMNS.items()})


def summarize_study(tables: Sequence[str], alpha: float, top_n: int) -> pd.DataFrame:
    """The summary table of the run's ``tables`` (paths relative to the working directory)."""
    t = Tables(sorted({Path(p).as_posix() for p in tables}))
    rows: list[dict[str, Any]] = []
    for sid, heading, summarisers in SECTIONS:
        section = Section(sid, heading)
        for fn in summarisers:
            fn(section, t, alpha, top_n)
        if any(r["kind"] == SENTENCE for r in section.rows):
            rows += section.rows
    if not rows:
        return empty()
    df = pd.DataFrame(rows)
    df["order"] = range(1, len(df) + 1)
    return df[list(COLUMNS)].astype(COLUMNS)
