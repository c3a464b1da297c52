"""The report's summary in plain words, computed from whichever tables this run produced.

Each summariser looks for its tables by path (or by columns, for the statistics whose file
names other stages choose), and returns plain-text sentences (escaped when rendered). A table
that this source does not produce is simply not summarised; a table whose columns changed gives
a visible note instead of a crash.
"""

from __future__ import annotations

import fnmatch
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

HUB_MODELS = "results/hub/models.parquet"
HUB_TYPES = "results/trends/hub_model_types_monthly.parquet"
CARD_SHARE = "results/trends/card_share_monthly.parquet"
MENTIONS = "results/trends/forum_model_mentions_monthly.parquet"
TOPICS = "results/forum/topics.parquet"
POSTS = "results/forum/posts.parquet"
REPRODUCTION = "results/stats/reproduction.csv"


class Skip(Exception):
    """A table is there but cannot be summarised (columns changed): say so in the report."""


@dataclass
class Tables:
    """The run's tables by path, read on demand (only the needed columns)."""

    paths: list[str]
    _cache: dict[tuple[str, tuple[str, ...] | None], pd.DataFrame] = field(default_factory=dict)

    def has(self, path: str) -> bool:
        return path in self.paths

    def matching(self, pattern: str) -> list[str]:
        return sorted(p for p in self.paths if fnmatch.fnmatchcase(p, pattern))

    def columns(self, path: str) -> list[str]:
        from .dictionary import table_columns

        return [c for c, _ in table_columns(path)]

    def read(self, path: str, columns: list[str] | None = None) -> pd.DataFrame:
        key = (path, tuple(columns) if columns else None)
        if key not in self._cache:
            if columns:
                missing = [c for c in columns if c not in self.columns(path)]
                if missing:
                    raise Skip(f"{path} has no column(s) {', '.join(missing)}")
            if Path(path).suffix == ".csv":
                df = pd.read_csv(path)
                df = df[columns] if columns else df
            else:
                df = pd.read_parquet(path, columns=columns)
            self._cache[key] = df
        return self._cache[key]


@dataclass(frozen=True)
class Topic:
    title: str
    sentences: tuple[str, ...]


def pct(part: float, whole: float) -> str:
    if not whole:
        return "n/a"
    return f"{100 * part / whole:.1f}%"


def num(x: float | int | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1:
        return f"{int(x):,}"
    return f"{x:.{digits}g}"


def _months(df: pd.DataFrame) -> tuple[str, str]:
    months = sorted(df["month"].astype(str).unique())
    return months[0], months[-1]


def hub_models(t: Tables) -> list[str]:
    if not t.has(HUB_MODELS):
        return []
    cols = ["model_type", "has_card_data", "created_at", "created_at_floored"]
    df = t.read(HUB_MODELS, cols)
    n = len(df)
    if not n:
        return ["The Hub snapshot holds no models."]
    typed = int(df["model_type"].notna().sum())
    card = int(df["has_card_data"].sum())
    floored = int(df["created_at_floored"].sum())
    created = df["created_at"].dropna()
    span = (
        f", created from {created.min():%Y-%m-%d} to {created.max():%Y-%m-%d}"
        if len(created)
        else ""
    )
    return [
        f"The Hub snapshot holds {n:,} models{span}.",
        f"{typed:,} of them ({pct(typed, n)}) declare a model type (config.model_type); "
        f"{card:,} ({pct(card, n)}) have card data (the YAML header of the model card).",
        f"{floored:,} models ({pct(floored, n)}) carry the Hub's createdAt floor "
        "(2022-03-02T23:29:04Z): their true creation month is earlier and unknown here.",
    ]


def hub_types(t: Tables, top_n: int = 5) -> list[str]:
    if not t.has(HUB_TYPES):
        return []
    df = t.read(HUB_TYPES, ["model_type", "month", "models", "partial_month"])
    if not len(df):
        return ["No model created in the period declares a model type."]
    totals = (
        df.groupby("model_type")["models"]
        .sum()
        .reset_index()
        .sort_values(["models", "model_type"], ascending=[False, True], kind="mergesort")
    )
    first, last = _months(df)
    top = ", ".join(f"{r.model_type} ({int(r.models):,})" for r in totals.head(top_n).itertuples())
    partial = sorted(df.loc[df["partial_month"].astype(bool), "month"].astype(str).unique())
    out = [
        f"Models created per model type from {first} to {last}: {len(totals):,} model types; "
        f"the {min(top_n, len(totals))} largest are {top}."
    ]
    if partial:
        out.append(f"The last month ({partial[-1]}) is partial: the snapshot ends within it.")
    return out


def card_share(t: Tables) -> list[str]:
    if not t.has(CARD_SHARE):
        return []
    df = t.read(CARD_SHARE, ["month", "models", "models_with_card_data", "partial_month"])
    total = int(df["models"].sum())
    with_card = int(df["models_with_card_data"].sum())
    full = df[~df["partial_month"].astype(bool)].copy()
    full["year"] = full["month"].astype(str).str[:4]
    years = full.groupby("year")[["models", "models_with_card_data"]].sum()
    years = years[years["models"] > 0]
    by_year = "; ".join(
        f"{y}: {pct(r.models_with_card_data, r.models)} of {int(r.models):,}"
        for y, r in years.iterrows()
    )
    out = [
        f"{with_card:,} of {total:,} models ({pct(with_card, total)}) created in the period "
        "have card data."
    ]
    if by_year:
        out.append(f"Share with card data by creation year (full months only): {by_year}.")
    return out


def mentions(t: Tables, top_n: int = 5) -> list[str]:
    if not t.has(MENTIONS):
        return []
    cols = t.columns(MENTIONS)
    count = next((c for c in ("topics", "mentions", "count") if c in cols), None)
    if count is None or "model_type" not in cols:
        raise Skip(f"{MENTIONS} has no model_type and topic count columns")
    df = t.read(MENTIONS, ["model_type", count])
    totals = (
        df.groupby("model_type")[count]
        .sum()
        .reset_index()
        .sort_values([count, "model_type"], ascending=[False, True], kind="mergesort")
    )
    totals = totals[totals[count] > 0]
    top = ", ".join(
        f"{r.model_type} ({int(getattr(r, count)):,})" for r in totals.head(top_n).itertuples()
    )
    return [
        f"Forum topics mention {len(totals):,} model types; the most discussed are {top} "
        "(topics that mention them)."
    ]


def forum(t: Tables, top_n: int = 5) -> list[str]:
    if not t.has(TOPICS):
        return []
    cols = ["topic_id", "category", "created_at", "posts_count", "has_accepted_answer"]
    pinned = "pinned" in t.columns(TOPICS)
    topics = t.read(TOPICS, cols + (["pinned"] if pinned else []))
    n = len(topics)
    if not n:
        return ["The forum snapshot holds no topics."]
    created = pd.to_datetime(topics["created_at"], utc=True).dropna()
    span = (
        f" created from {created.min():%Y-%m-%d} to {created.max():%Y-%m-%d}"
        if len(created)
        else ""
    )
    unpinned = topics[~topics["pinned"].fillna(False).astype(bool)] if pinned else topics
    no_reply = int((unpinned["posts_count"] <= 1).sum())
    accepted = int(topics["has_accepted_answer"].fillna(False).astype(bool).sum())
    cats = topics["category"].astype(str).value_counts()
    cats = cats.sort_index(kind="mergesort").sort_values(ascending=False, kind="mergesort")
    top = ", ".join(f"{c} ({k:,})" for c, k in cats.head(top_n).items())
    first = (
        f"The forum snapshot holds {n:,} topics{span}, in {len(cats):,} categories; "
        f"the largest are {top}."
    )
    if t.matching("results/forum/summary.parquet"):
        return [first]  # the stage's own headline numbers follow (same definitions as its figures)
    out = [
        first,
        f"{no_reply:,} of {len(unpinned):,} {'unpinned ' if pinned else ''}topics "
        f"({pct(no_reply, len(unpinned))}) have no reply (only the opening post); "
        f"{accepted:,} ({pct(accepted, n)}) have an accepted answer.",
    ]
    if t.has(POSTS):
        posts = t.read(POSTS, ["is_accepted_answer", "author_is_staff"])
        acc = posts[posts["is_accepted_answer"].fillna(False).astype(bool)]
        staff = int(acc["author_is_staff"].fillna(False).astype(bool).sum())
        out.append(
            f"The topics hold {len(posts):,} posts. Of the {len(acc):,} accepted answers, "
            f"{staff:,} ({pct(staff, len(acc))}) were written by HuggingFace staff."
        )
    return out


def headline(t: Tables) -> list[str]:
    """Headline tables of the stages (``results/<stage>/summary.parquet``: metric, value)."""
    out = []
    for path in t.matching("results/*/summary.parquet"):
        if not {"metric", "value"} <= set(t.columns(path)):
            raise Skip(f"{path} has no metric and value columns")
        df = t.read(path, ["metric", "value"])
        stage = Path(path).parent.name
        parts = []
        for rec in df.to_dict("records"):
            name, value = str(rec["metric"]), rec["value"]
            if name.startswith("share_") and value is not None and not pd.isna(value):
                shown = f"{100 * float(value):.1f}%"
                name = "share of " + name.removeprefix("share_")
            else:
                shown = num(value)
            parts.append(f"{name.replace('_', ' ')}: {shown}")
        out.append(f"{stage.capitalize()} ({path}): " + "; ".join(parts) + ".")
    return out


def _is_text(col: pd.Series) -> bool:
    return col.dtype == object or pd.api.types.is_string_dtype(col.dtype)


def _count_column(cols: list[str]) -> str | None:
    return next((c for c in ("count", "topics", "instances", "codes", "n") if c in cols), None)


def taxonomy(t: Tables, top_n: int = 3) -> list[str]:
    """Top categories per kind from coding tables with kind, category and a count column (a
    ``level`` column selects the category rows; a by-forum-category table is left out)."""
    candidates = []
    for path in t.matching("results/coding/*.parquet"):
        cols = t.columns(path)
        if not ({"kind", "category"} <= set(cols)) or _count_column(cols) is None:
            continue
        if any(c in cols for c in ("forum_category", "tag", "coder", "topic_id")):
            continue
        candidates.append(path)
    named = [p for p in candidates if "taxonomy" in Path(p).stem]
    out = []
    for path in named or candidates:  # the taxonomy table when there is one, not its inputs
        cols = t.columns(path)
        count = _count_column(cols)
        df = t.read(path, ["kind", "category", count] + (["level"] if "level" in cols else []))
        if "level" in cols:
            df = df[df["level"].astype(str) == "category"]
        for kind, g in df.groupby("kind", sort=True):
            totals = g.groupby("category")[count].sum(min_count=1).dropna().reset_index()
            totals = totals.sort_values(
                [count, "category"], ascending=[False, True], kind="mergesort"
            )
            whole = float(totals[count].sum())
            top = ", ".join(
                f"{r.category} ({int(getattr(r, count)):,}, {pct(getattr(r, count), whole)})"
                for r in totals.head(top_n).itertuples()
            )
            out.append(
                f"{str(kind).capitalize()}s: {len(totals):,} categories, {int(whole):,} coded "
                f"instances; the most frequent are {top} ({path})."
            )
    return out


def root_causes(t: Tables) -> list[str]:
    """Root-cause groups of accepted answers (a coding table with root_cause_group and count)."""
    out = []
    for path in t.matching("results/coding/*root_cause*.parquet"):
        cols = t.columns(path)
        if not {"root_cause_group", "count"} <= set(cols):
            continue
        df = t.read(path, ["root_cause_group", "count"])
        totals = df.groupby("root_cause_group")["count"].sum().reset_index()
        totals = totals.sort_values(
            ["count", "root_cause_group"], ascending=[False, True], kind="mergesort"
        )
        whole = float(totals["count"].sum())
        groups = ", ".join(
            f"{r.root_cause_group} ({int(r.count):,}, {pct(r.count, whole)})"
            for r in totals.itertuples()
        )
        out.append(
            f"Root causes of {int(whole):,} coded accepted answers, by group: {groups} ({path})."
        )
    return out


AGREEMENT_METRICS = ("kappa", "alpha", "percent_agreement", "agreement")
MEASURE_NAMES = {
    "cohen_kappa": "Cohen's kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "percent_agreement": "percent agreement",
}


def _agreement_long(df: pd.DataFrame) -> list[str]:
    """One sentence per kind and level: every measure, with its coder pair when it has one."""
    keys = [c for c in ("kind", "level") if c in df.columns]
    groups = df.groupby(keys, sort=True, dropna=False) if keys else [((), df)]
    out = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        parts = []
        for rec in g.to_dict("records"):
            name = MEASURE_NAMES.get(str(rec["measure"]), str(rec["measure"]).replace("_", " "))
            pair = rec.get("pair")
            who = f" ({pair})" if isinstance(pair, str) and pair and "&" in pair else ""
            parts.append(f"{name}{who} {num(rec['value'])}")
        units = f", over {num(g['units'].max())} double-coded topics" if "units" in g else ""
        label = " ".join(str(k) for k in key if k is not None and not pd.isna(k))
        label = label.replace("challenge", "Challenges,").replace("benefit", "Benefits,")
        out.append(f"{label} level: {'; '.join(parts)}{units}.".strip())
    return out


def agreement(t: Tables) -> list[str]:
    """Agreement tables, long (measure, value) or wide (one column per measure)."""
    out = []
    for path in t.matching("results/coding/*agreement*"):
        df = t.read(path)
        cols = list(df.columns)
        if {"measure", "value"} <= set(cols):
            out += _agreement_long(df)
            continue
        metric_cols = [c for c in cols if any(m in c.lower() for m in AGREEMENT_METRICS)]
        if not metric_cols:
            raise Skip(f"{path} has neither measure/value nor kappa, alpha or agreement columns")
        label_cols = [c for c in cols if c not in metric_cols and _is_text(df[c])]
        for rec in df.head(12).to_dict("records"):
            label = " / ".join(str(rec[c]) for c in label_cols if rec[c] is not None)
            values = ", ".join(f"{c} = {num(rec[c])}" for c in metric_cols)
            out.append(f"Agreement{f' ({label})' if label else ''}: {values}.")
    return out


def correlations(t: Tables) -> list[str]:
    """Every statistics table with a rho / tau column: its rows as sentences (first few)."""
    out = []
    for path in t.matching("results/stats/*.parquet"):
        if path in RQ3_TABLES:
            continue
        cols = t.columns(path)
        stat = next(
            (c for c in cols if c.lower() in ("rho", "spearman_rho", "tau", "kendall_tau")), None
        )
        if stat is None:
            continue
        df = t.read(path)
        p_col = next((c for c in ("p_adjusted", "p_adj", "p_value", "p") if c in cols), None)
        n_col = "n" if "n" in cols else None
        label_cols = [c for c in cols if _is_text(df[c]) and c not in (stat, p_col)]
        name = Path(path).stem.replace("_", " ")
        if len(df) <= 3:
            for rec in df.to_dict("records"):
                label = " / ".join(str(rec[c]) for c in label_cols[:2] if rec[c] is not None)
                extra = f", {p_col} = {num(rec[p_col])}" if p_col else ""
                extra += f", n = {num(rec[n_col])}" if n_col else ""
                out.append(
                    f"{name}{f' ({label})' if label else ''}: {stat} = {num(rec[stat])}{extra}."
                )
        else:
            vals = df[stat].dropna()
            sig = ""
            if p_col:
                sig = f"; {int((df[p_col] < 0.05).sum()):,} with {p_col} < 0.05"
            out.append(
                f"{name}: {len(df):,} rows, {stat} from {num(vals.min())} to {num(vals.max())} "
                f"(median {num(vals.median())}){sig}."
            )
    return out


def reproduction(t: Tables) -> list[str]:
    """The paper's claims next to this run's numbers (results/stats/reproduction.csv)."""
    if not t.has(REPRODUCTION):
        return []
    df = t.read(REPRODUCTION)
    verdict = next(
        (c for c in df.columns if c.lower() in ("holds", "reproduced", "verdict", "agrees")), None
    )
    yes = (
        df[verdict].astype(str).str.lower().isin(["true", "yes", "1", "reproduced", "holds"])
        if verdict
        else None
    )
    out = []
    if yes is not None:
        out.append(f"{int(yes.sum())} of {len(df)} claims of the paper hold in this run.")
    named = {"claim", "paper_value", "computed_value"} <= set(df.columns)
    for i, rec in enumerate(df.to_dict("records")):
        if named:
            text = f"{rec['claim']} Paper: {rec['paper_value']}. This run: {rec['computed_value']}"
            if "criterion" in rec and pd.notna(rec["criterion"]):
                text += f" (criterion: {rec['criterion']})"
            if yes is not None:
                text += ": holds" if yes.iloc[i] else ": does not hold"
            out.append(text + ".")
        else:
            out.append("; ".join(f"{c}: {rec[c]}" for c in df.columns if pd.notna(rec[c])) + ".")
    return out


TOTALS = "results/stats/totals_correlation.parquet"
MONTHLY = "results/stats/monthly_correlation.parquet"
TRENDS = "results/stats/model_trends.parquet"
DECLINING = "results/stats/declining_rising.parquet"
CARD_TREND = "results/stats/card_share_trend.parquet"
RQ3_TABLES = (TOTALS, MONTHLY, TRENDS, DECLINING, CARD_TREND)


def _p(x: float | None) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.2g}"


def rq3(t: Tables) -> list[str]:
    """Forum mentions vs hub uploads: correlations, trends, declining discussion, rising uploads."""
    out = []
    if t.has(TOTALS):
        df = t.read(TOTALS, ["scope", "n_models", "rho", "p_value"])
        span = ""
        if {"first_month", "last_month"} <= set(t.columns(TOTALS)):
            m = t.read(TOTALS, ["first_month", "last_month"]).iloc[0]
            span = f", months {m['first_month']} to {m['last_month']}"
        for rec in df.to_dict("records"):
            out.append(
                f"Total forum topics vs total hub uploads per model type ({rec['scope']} models"
                f"{span}): Spearman rho = {num(rec['rho'])}, p = {_p(rec['p_value'])}, "
                f"n = {num(rec['n_models'])} model types."
            )
    if t.has(MONTHLY):
        df = t.read(MONTHLY, ["model_type", "rho", "p_adjusted"])
        sig = df[df["p_adjusted"] < 0.05]
        pos = sorted(sig.loc[sig["rho"] > 0, "model_type"].astype(str))
        neg = sorted(sig.loc[sig["rho"] < 0, "model_type"].astype(str))
        out.append(
            f"Month by month, per model type ({len(df):,} types): forum topics and hub uploads "
            f"move together for {len(pos)} ({', '.join(pos) or 'none'}) and in opposite directions "
            f"for {len(neg)} ({', '.join(neg) or 'none'}) (Spearman, Benjamini-Hochberg adjusted "
            "p < 0.05)."
        )
    if t.has(TRENDS):
        df = t.read(TRENDS, ["model_type", "source", "direction"])
        for source, g in df.groupby("source", sort=True):
            counts = g["direction"].astype(str).value_counts()
            parts = ", ".join(f"{k} {counts[k]}" for k in sorted(counts.index))
            out.append(f"Trend over time of {source} counts per model type: {parts}.")
    if t.has(DECLINING):
        df = t.read(DECLINING, ["model_type"])
        names = ", ".join(df["model_type"].astype(str))
        out.append(
            f"{len(df):,} model types have declining forum discussion but rising hub uploads"
            f"{': ' + names if names else ''}."
        )
    return out


def card_trend(t: Tables) -> list[str]:
    if not t.has(CARD_TREND):
        return []
    df = t.read(CARD_TREND)
    if "test" not in df.columns:
        raise Skip(f"{CARD_TREND} has no test column")
    out = []
    for rec in df.to_dict("records"):
        test = str(rec["test"])
        if test == "mann_kendall":
            span = (
                f" over {num(rec.get('n_months'))} months ({rec.get('first_month')} to "
                f"{rec.get('last_month')})"
                if "n_months" in rec
                else ""
            )
            out.append(
                f"Share of new models with card data over time{span}: Mann-Kendall tau = "
                f"{num(rec.get('tau'))}, p = {_p(rec.get('p_value'))}, Sen slope "
                f"{num(rec.get('sen_slope'))} per month; increase: "
                f"{'yes' if pd.notna(rec.get('increase')) and bool(rec.get('increase')) else 'no'}."
            )
        elif test == "mann_whitney":
            out.append(
                f"Before vs from {rec.get('split_month')} (Mann-Whitney): median monthly share "
                f"{num(rec.get('median_before'))} ({num(rec.get('n_before'))} months) vs "
                f"{num(rec.get('median_after'))} ({num(rec.get('n_after'))} months), "
                f"p = {_p(rec.get('p_value'))}."
            )
        else:
            out.append("; ".join(f"{k}: {v}" for k, v in rec.items() if v is not None) + ".")
    return out


SUMMARISERS: tuple[tuple[str, Callable[[Tables], list[str]]], ...] = (
    ("Reproduction of the paper's claims", reproduction),
    ("Hub", hub_models),
    ("Model types on the Hub", hub_types),
    ("Documentation: card data", card_share),
    ("Forum", forum),
    ("Headline numbers of the stages", headline),
    ("Model mentions in the forum", mentions),
    ("Taxonomy of challenges and benefits", taxonomy),
    ("Root causes of accepted answers", root_causes),
    ("Agreement between coders", agreement),
    ("RQ3: forum mentions vs hub uploads", rq3),
    ("RQ3: documentation trend", card_trend),
    ("Other statistics", correlations),
)


def summarise(paths: Iterable[str]) -> list[Topic]:
    """Topics with sentences, for the tables present; unsummarisable tables give a note."""
    t = Tables(sorted(set(str(p) for p in paths)))
    out = []
    for title, fn in SUMMARISERS:
        try:
            sentences = fn(t)
        except Skip as exc:
            log.warning("summary %r skipped: %s", title, exc)
            sentences = [f"Not summarised: {exc}."]
        if sentences:
            out.append(Topic(title, tuple(sentences)))
    return out
