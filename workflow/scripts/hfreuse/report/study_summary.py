"""The study's summary as one tidy table (rule summarize_study): the report only presents it.

Each summariser reads one known table of the run, by its table id and with the columns its
writer gives it (see the data dictionary, workflow/report/dictionary/), and adds facts and
sentences to a section (:mod:`hfreuse.report.facts`). A table that this source does not produce
is not summarised (no rows). A table without the columns its writer gives it is a bug:
:class:`InputError` names the file and the column. The wording follows :class:`Settings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..charts import RANK_BY, shown_model_types
from ..errors import InputError
from ..hub.parse import FLOOR
from ..products import other_half_sentence
from ..rq3.paper import RQ1_RQ2_NOTE, VERDICTS
from .claims_summary import claims
from .documentation_summary import card_trend, date_sensitivity
from .facts import (
    COLUMNS,
    KINDS,
    NUMBER_KINDS,
    PLACEHOLDER,
    SENTENCE,
    Section,
    Settings,
    Summariser,
    Tables,
    by_count,
    created_span,
    empty,
    ranked,
    share,
    summarises,
)

__all__ = ["COLUMNS", "KINDS", "NUMBER_KINDS", "PLACEHOLDER", "SENTENCE", "Settings"]

#: the tables summarised, by their names in workflow/products.yaml (the rule passes name -> path)
HUB_MODELS = "hub_models"
HUB_TYPES = "hub_model_types_monthly"
CARD_SHARE = "card_share_monthly"
MENTIONS = "forum_model_mentions_monthly"
TOPICS = "forum_topics"
SITE = "forum_site"
TOPICS_PER_CATEGORY = "topics_per_category_monthly"
FORUM_SUMMARY = "forum_summary"
TAXONOMY = "taxonomy_counts"
ROOT_CAUSE_COUNTS = "root_cause_counts"
AGREEMENT = "agreement"
TOTALS = "totals_correlation"
MODEL_TOTALS = "model_totals"
MONTHLY = "monthly_correlation"
TRENDS = "model_trends"
DECLINING = "declining_rising"
REPRODUCTION = "reproduction"
CARD_HISTORY = "card_history"


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


# --- the summarisers: one (or a few) known tables each -------------------------------------


@summarises(REPRODUCTION, ["claim", "scope", "test", "paper_value", "computed_value", "p_value",
                            "criterion", "verdict"])  # fmt: skip
def reproduction(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    bad = sorted(set(df["verdict"]) - set(VERDICTS))
    if bad:
        raise InputError(f"{src}, column verdict: expected one of {VERDICTS}, got {bad}")
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


HUB_MODEL_COLUMNS = ["model_type", "has_card_data", "created_at", "created_at_floored"]
HUB_MODEL_COLUMNS += ["created_at_source", "created_at_reason"]


@summarises(HUB_MODELS, HUB_MODEL_COLUMNS)
def hub_models(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    n = len(df)
    typed = int(df["model_type"].notna().sum())
    card = int(df["has_card_data"].sum())
    span = created_span(s, df["created_at"].dropna(), src, ", ")
    s.say(f"The Hub snapshot holds {s.fact('models', 'count', n, src)} models{span} (createdAt).")
    s.say(
        f"{s.fact('typed', 'count', typed, src)} of them "
        f"({s.fact('share_typed', 'share', share(typed, n), src)}) declare a model type "
        f"(config.model_type); {s.fact('with_card_data', 'count', card, src)} "
        f"({s.fact('share_with_card_data', 'share', share(card, n), src)}) have card data "
        "(the YAML header of the model card)."
    )
    floored_models(s, df, src)


def floored_models(s: Section, df: pd.DataFrame, src: str) -> None:
    """How many models carry the createdAt floor, and what their first commits said."""
    n, floor = len(df), f"{FLOOR:%Y-%m-%dT%H:%M:%SZ}"
    floored = df[df["created_at_floored"].astype(bool)]
    lead = (
        f"{s.fact('floored', 'count', len(floored), src)} models "
        f"({s.fact('share_floored', 'share', share(len(floored), n), src)}) carry the Hub's "
        f"createdAt floor ({s.fact('floor', 'text', floor, src)})"
    )
    if not len(floored):
        s.say(lead + ".")
        return
    sources = floored["created_at_source"].astype(str)
    dated = int((sources == "first_commit").sum())
    left = floored[sources != "first_commit"]
    said = f"{s.fact('floored_dated', 'count', dated, src)} of them are dated by their first commit"
    if len(left):
        reasons = left["created_at_reason"].fillna("no reason recorded").astype(str)
        counts = reasons.value_counts().sort_index()
        why = "; ".join(
            f"{s.fact(f'floored_reason_{i}', 'text', r, src)}: "
            f"{s.fact(f'floored_reason_{i}_models', 'count', c, src)}"
            for i, (r, c) in enumerate(counts.items(), start=1)
        )
        said += (
            f", {s.fact('floored_undated', 'count', len(left), src)} could not be and keep the "
            f"floor, their true creation month unknown ({why})"
        )
    s.say(f"{lead}; {said}.")


@summarises(HUB_TYPES, ["model_type", "month", "models", "partial_month"])
def hub_types(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    if not len(df):
        s.say("No model created in the period declares a model type.")
        return
    n_types = int(df.loc[df["models"] > 0, "model_type"].nunique())
    months = sorted(df["month"].astype(str).unique())
    s.say(
        f"Models created per model type from {s.fact('first_month', 'month', months[0], src)} "
        f"to {s.fact('last_month', 'month', months[-1], src)}: "
        f"{s.fact('model_types', 'count', n_types, src)} model types."
    )
    partial = sorted(df.loc[df["partial_month"].astype(bool), "month"].astype(str).unique())
    if partial:
        s.say(
            f"The last month ({s.fact('partial_month', 'month', partial[-1], src)}) is partial: "
            "the snapshot ends within it."
        )


#: the wording of figures.model_types_by (hfreuse.charts.RANK_BY)
RANKED_BY = {"hub": "Hub models created", "forum": "forum topics mentioning them"}


def shown_types(s: Section, t: Tables, settings: Settings) -> None:
    """The model types the RQ3 figures show, chosen by the figures' own rule
    (:func:`hfreuse.charts.shown_model_types`), with their counts and months."""
    if not t.has(MODEL_TOTALS):
        return
    src = t.path(MODEL_TOTALS)
    totals = t.read(MODEL_TOTALS, ["model_type", "hub_models", "forum_topics"])
    shown = shown_model_types(totals, settings.top_n, settings.rank_by)
    if not shown:
        return
    rows = totals.set_index(totals["model_type"].astype(str)).loc[shown].reset_index(drop=True)
    count = RANK_BY[settings.rank_by]
    top = ranked(s, src, rows, "shown", "model_type", count)
    months = ""
    if t.has(TOTALS):
        corr = t.read(TOTALS, ["scope", "first_month", "last_month"])
        corr = corr[corr["scope"].astype(str) == "all"]
        if len(corr) and pd.notna(corr["first_month"].iloc[0]):
            src2 = t.path(TOTALS)
            first = s.fact("shown_first_month", "month", corr["first_month"].iloc[0], src2)
            last = s.fact("shown_last_month", "month", corr["last_month"].iloc[0], src2)
            months = f" over the months both series share, {first} to {last}"
    s.say(
        f"The model types of the RQ3 figures: the {s.fact('shown', 'count', len(shown), src)} "
        f"with the most {RANKED_BY[settings.rank_by]}{months} "
        f"(config figures.model_types_by: "
        f"{s.fact('rank_by', 'name', settings.rank_by, 'config: figures.model_types_by')}): "
        f"{top}."
    )


@summarises(CARD_SHARE, ["month", "models", "models_with_card_data", "partial_month"])
def card_share(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    total, with_card = int(df["models"].sum()), int(df["models_with_card_data"].sum())
    s.say(
        f"{s.fact('with_card_data', 'count', with_card, src)} of "
        f"{s.fact('models', 'count', total, src)} models "
        f"({s.fact('share_with_card_data', 'share', share(with_card, total), src)}) created in "
        "the period have card data."
    )
    full = df[~df["partial_month"].astype(bool)].copy()
    full["year"] = full["month"].astype(str).str[:4]
    years = full.groupby("year")[["models", "models_with_card_data"]].sum()
    years = years[years["models"] > 0]
    by_year = "; ".join(
        f"{s.fact(f'year_{y}', 'year', y, src)}: "
        f"{s.fact(f'share_{y}', 'share', share(r.models_with_card_data, r.models), src)} of "
        f"{s.fact(f'models_{y}', 'count', r.models, src)}"
        for y, r in years.iterrows()
    )
    if by_year:
        s.say(f"Share with card data by creation year (full months only): {by_year}.")


def forum_name(s: Section, t: Tables) -> str:
    """`` of <title> (<host>)``: the forum that was crawled, from its site table; "" without."""
    if not t.has(SITE):
        return ""
    src = t.path(SITE)
    site = t.read(SITE, ["host", "title", "title_source"]).iloc[0]
    title = s.fact("forum_title", "name", site["title"], src)
    host = s.fact("forum_host", "name", site["host"], src)
    if site["title_source"] == "host":
        return f" of {host} (it does not publish a title)"
    return f" of \u201c{title}\u201d ({host})"


def forum(s: Section, t: Tables, settings: Settings) -> None:
    if not t.has(TOPICS):
        return
    topics = t.read(TOPICS, ["topic_id", "created_at"])
    src = t.path(TOPICS)
    name = forum_name(s, t)
    span = created_span(s, pd.to_datetime(topics["created_at"], utc=True).dropna(), src, " ")
    cats = ""
    if t.has(TOPICS_PER_CATEGORY):
        per = t.read(TOPICS_PER_CATEGORY, ["category", "topics"])
        totals = by_count(
            per.groupby("category")["topics"].sum().reset_index(), "category", "topics"
        )
        src2 = t.path(TOPICS_PER_CATEGORY)
        top = ranked(s, src2, totals.head(settings.top_n), "top", "category", "topics")
        cats = f", in {s.fact('categories', 'count', len(totals), src2)} categories"
        cats += f"; the largest are {top}" if top else ""
    s.say(
        f"The forum snapshot{name} holds {s.fact('topics', 'count', len(topics), src)} "
        f"topics{span}{cats}."
    )


@summarises(FORUM_SUMMARY, ["metric", "value"])
def forum_headline(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    unknown = sorted(set(df["metric"].astype(str)) - set(FORUM_METRICS))
    if unknown:
        raise InputError(f"{src}, column metric: unexpected metric(s) {unknown}")
    parts = []
    for rec in df.to_dict("records"):
        metric = str(rec["metric"])
        name = metric.replace("share_", "share of ", 1) if metric.startswith("share_") else metric
        value = s.fact(metric, FORUM_METRICS[metric], rec["value"], src)
        parts.append(f"{name.replace('_', ' ')}: {value}")
    if parts:
        s.say(f"Forum ({src}): " + "; ".join(parts) + ".")


@summarises(MENTIONS, ["model_type", "topics"])
def mentions(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    totals = by_count(
        df.groupby("model_type")["topics"].sum().reset_index(), "model_type", "topics"
    )
    totals = totals[totals["topics"] > 0]
    top = ranked(s, src, totals.head(settings.top_n), "top", "model_type", "topics")
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


@summarises(TAXONOMY, ["kind", "level", "category", "count", "share"])
def taxonomy(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    df = df[df["level"].astype(str) == "category"].dropna(subset=["count"])
    for kind, g in df.groupby("kind", sort=True):
        kind = _code_kind(kind, src)
        g = by_count(g, "category", "count")
        top = ranked(
            s, src, g.head(settings.top_n), f"{kind}_top", "category", "count", lambda r: r.share
        )
        s.say(
            f"{CODE_KINDS[kind]}: {s.fact(f'{kind}_categories', 'count', len(g), src)} "
            f"categories, {s.fact(f'{kind}_instances', 'count', g['count'].sum(), src)} coded "
            f"instances; the most frequent are {top} ({src})."
        )


@summarises(ROOT_CAUSE_COUNTS, ["root_cause_group", "count"])
def root_causes(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    totals = by_count(
        df.groupby("root_cause_group")["count"].sum().reset_index(), "root_cause_group", "count"
    )
    whole = float(totals["count"].sum())
    groups = ranked(
        s, src, totals, "group", "root_cause_group", "count", lambda r: share(r.count, whole)
    )
    s.say(
        f"Root causes of {s.fact('answers', 'count', whole, src)} coded accepted answers, by "
        f"group: {groups} ({src})."
    )


@summarises(AGREEMENT, ["kind", "level", "measure", "pair", "units", "value"])
def agreement(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
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


@summarises(TOTALS, ["scope", "n_models", "rho", "p_value", "first_month", "last_month"])
def rq3_totals(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
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


@summarises(TRENDS, ["model_type", "source", "direction"])
def rq3_trends(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
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


@summarises(DECLINING, ["model_type"])
def rq3_declining(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    names = ", ".join(
        s.fact(f"declining_rising_{i}", "name", n, src)
        for i, n in enumerate(df["model_type"].astype(str), start=1)
    )
    s.say(
        f"{s.fact('declining_rising', 'count', len(df), src)} model types have declining "
        f"forum discussion but rising hub uploads{': ' + names if names else ''}."
    )


@summarises(MONTHLY, ["model_type", "rho", "p_adjusted"])
def rq3_monthly(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    sig = df[df["p_adjusted"] < settings.alpha]
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
        f"{s.fact('alpha', 'alpha', settings.alpha, 'config: stats.alpha')})."
    )


@summarises(CARD_HISTORY, ["card_data_at_first_readme", "has_card_data_today"])
def card_history(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
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
        f"{s.fact('card_data_at_upload', 'share', share(then, n), src)} had card data then, "
        f"{s.fact('card_data_today', 'share', share(now, n), src)} have it today."
    )


def other_half(s: Section, t: Tables, settings: Settings) -> None:
    """A study of one half (config ``crawl.halves``): what the other half would add."""
    sentence = other_half_sentence(settings.provides)
    if sentence is not None:
        s.say(sentence)


#: section id, heading, summarisers (in the order of the report)
SECTIONS: tuple[tuple[str, str, tuple[Summariser, ...]], ...] = (
    ("claims", "Do the paper's findings hold?", (claims,)),
    ("reproduction", "Reproduction of the paper's claims", (reproduction,)),
    ("hub", "Hub", (hub_models,)),
    ("hub_types", "Model types on the Hub", (hub_types, shown_types)),
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
    ("other_half", "What the other half would add", (other_half,)),
)


def summarize_study(
    tables: Mapping[str, str],
    alpha: float,
    top_n: int,
    rank_by: str = "hub",
    provides: Sequence[str] = (),
    synthetic: bool = False,
) -> pd.DataFrame:
    """The summary table of the run's ``tables`` (table name of workflow/products.yaml -> the
    path the rules gave it); the wording follows ``alpha``, ``top_n``, ``rank_by`` and
    ``synthetic`` (the source generated its data)."""
    t = Tables(dict(sorted(tables.items())))
    settings = Settings(
        alpha=alpha, top_n=top_n, rank_by=rank_by, provides=tuple(provides), synthetic=synthetic
    )
    rows: list[dict[str, Any]] = []
    for sid, heading, summarisers in SECTIONS:
        section = Section(sid, heading)
        for fn in summarisers:
            fn(section, t, settings)
        if any(r["kind"] == SENTENCE for r in section.rows):
            rows += section.rows
    if not rows:
        return empty()
    df = pd.DataFrame(rows)
    df["order"] = range(1, len(df) + 1)
    return df[list(COLUMNS)].astype(COLUMNS)
