"""Do the paper's findings hold? Its claims evaluated on any snapshot (demo, paper, live).

One row per claim (:data:`CLAIMS_COLUMNS`): the three RQ3 claims always (their wording, scope,
test and criterion are :func:`hfreuse.rq3.paper.reproduction`'s, so a paper run's rows equal its
``reproduction.csv``), and the RQ1 / RQ2 top categories. A claim whose tables the run does not
have keeps its row, with the verdict ``not evaluated`` and the reason (no coded topics, no forum
or Hub half): every claim of the paper is in every run's table, nothing silently dropped.

A top-category claim ("Model Usage and Understanding is the most frequent challenge") is tested
as a comparison of two cells of one multinomial sample: conditional on the instances of the
paper's top category (a) and of this run's largest other category (b), a is Binomial(a + b, 1/2)
when the two are equally frequent; the exact two-sided binomial test gives p. Supported when
a > b and p < alpha, contradicted when a < b and p < alpha, otherwise inconclusive.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy import stats

from .paper import CLAIM_MODEL, INCONCLUSIVE, REPRODUCTION_COLUMNS, SUPPORTED, reproduction

CONTRADICTED = "contradicted"
NOT_EVALUATED = "not evaluated"
#: every verdict of the claims table
CLAIM_VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_EVALUATED)
CLAIMS_COLUMNS = ["claim_id", "research_question", *REPRODUCTION_COLUMNS, "n"]
#: the RQ3 claims, in the order of :func:`hfreuse.rq3.paper.reproduction`
RQ3_IDS = ("rq3_correlation", "rq3_decline", "rq3_card_share")
RQ3 = "RQ3"
AS_THE_PAPER = "as the paper measured it (see paper_value)"


@dataclass(frozen=True)
class TopCategory:
    """The paper's most frequent category of one kind, from its published counts (the
    replication package's Codebook.xlsx, sheet Overview)."""

    claim_id: str
    research_question: str
    kind: str  # challenge | benefit (taxonomy_counts.kind)
    names: tuple[str, ...]  # the category and the package's other spellings of it
    count: int
    total: int
    runner_up: str
    runner_up_count: int
    categories: int


TOP_CATEGORIES = (
    TopCategory(
        "rq1_top_challenge", "RQ1", "challenge", ("Model Usage and Understanding",),
        106, 737, "Training Pipeline", 88, 17,
    ),
    TopCategory(
        "rq2_top_benefit", "RQ2", "benefit",
        ("Expert Opinion and Solutions", "Expert Opinion and Clarification"),
        262, 514, "Collaboration to Solve Issues", 141, 6,
    ),
)  # fmt: skip


#: taxonomy_counts.count_source in words
COUNT_SOURCES = {
    "codes": "this run's coded topics",
    "published": "the authors' published counts (replication package, Codebook.xlsx Overview)",
}


def _not_evaluated(reason: str) -> dict:
    return {
        "computed_value": f"not evaluated: {reason}",
        "p_value": float("nan"),
        "verdict": NOT_EVALUATED,
        "n": None,
    }


def rq3_claims(
    correlation: pd.DataFrame | None,
    trends: pd.DataFrame | None,
    declining: pd.DataFrame | None,
    card_trend: pd.DataFrame | None,
    alpha: float,
    strong_rho: float,
) -> list[dict]:
    """The three RQ3 claim rows: :func:`reproduction`'s on the run's tables (the forum mentions
    next to the Hub uploads; the card-share trend); a claim whose tables the run does not have
    keeps the paper's words and is ``not evaluated``, with the reason."""
    have_both = all(t is not None for t in (correlation, trends, declining))
    corr = correlation if correlation is not None else _rq3_stub("corr")
    tr = trends if trends is not None else _rq3_stub("trends")
    dec = declining if declining is not None else _rq3_stub("trends")
    cards = card_trend if card_trend is not None else _rq3_stub("cards")
    rows = reproduction(corr, tr, dec, cards, alpha, strong_rho).to_dict("records")
    for row, claim_id in zip(rows, RQ3_IDS, strict=True):
        row.update(claim_id=claim_id, research_question=RQ3)
    if have_both:
        major = corr[corr["scope"].astype(str) == "major"].iloc[0]
        bert = tr[tr["model_type"].astype(str) == CLAIM_MODEL]
        rows[0]["n"] = int(major["n_models"])
        rows[1]["n"] = int(bert["n_months"].max()) if len(bert) else None
    else:
        why = "this run has no forum mentions next to Hub uploads (it needs both halves)"
        for row in rows[:2]:
            row.update(scope=AS_THE_PAPER, **_not_evaluated(why))
    if card_trend is not None:
        mk = cards[cards["test"].astype(str) == "mann_kendall"].iloc[0]
        rows[2]["n"] = int(mk["n_months"])
    else:
        why = "this run has no card-share trend (it needs the Hub half)"
        rows[2].update(scope=AS_THE_PAPER, **_not_evaluated(why))
    return rows


def _rq3_stub(which: str) -> pd.DataFrame:
    """A table of the absent half, shaped so that :func:`reproduction` runs (its row is then
    replaced by ``not evaluated``)."""
    if which == "trends":
        return pd.DataFrame(columns=["model_type", "source", "direction", "n_months"])
    if which == "corr":
        return pd.DataFrame(
            {"scope": ["all", "major"], "rho": [0.0, 0.0], "p_value": [1.0, 1.0],
             "n_models": [0, 0], "n_months": [0, 0], "first_month": ["", ""],
             "last_month": ["", ""]}
        )  # fmt: skip
    cols = ["p_value", "tau", "statistic", "median_after", "median_before"]
    ints = ["n_months", "min_models_per_month", "n_months_few_models", "n_before", "n_after"]
    return pd.DataFrame(
        {"test": ["mann_kendall", "mann_whitney"], **{c: [1.0, 1.0] for c in cols},
         **{c: [0, 0] for c in ints},
         **{c: ["", ""] for c in ("first_month", "last_month", "split_month")}}
    )  # fmt: skip


def _kind_words(top: TopCategory) -> tuple[str, str]:
    paper = (
        f"{top.count} of {top.total} coded {top.kind} instances ({top.count / top.total:.1%}), "
        f"the most of {top.categories} categories; runner-up {top.runner_up} "
        f"{top.runner_up_count}"
    )
    scope = (
        f"coded {top.kind} instances per {top.kind} category of the coded forum sample (the "
        f"paper: {top.categories} categories, 455 sampled topics)"
    )
    return paper, scope


def top_category_claim(top: TopCategory, taxonomy: pd.DataFrame | None, alpha: float) -> dict:
    """The claim that the paper's most frequent ``top.kind`` category is the most frequent in
    this run's coded topics (``taxonomy``: the taxonomy_counts table, None without coding)."""
    paper, scope = _kind_words(top)
    row = {
        "claim_id": top.claim_id,
        "research_question": top.research_question,
        "claim": f"{top.names[0]} is the most frequent {top.kind} category",
        "scope": scope,
        "test": (
            f"exact binomial test (two-sided): instances of {top.names[0]} vs of the largest "
            f"other {top.kind} category, equal frequency under the null"
        ),
        "paper_value": paper,
        "criterion": (
            f"supported: {top.names[0]} has more instances than every other category and p < "
            f"{alpha}; contradicted: another category has more and p < {alpha}; otherwise "
            "inconclusive"
        ),
    }
    if taxonomy is None:
        return row | _not_evaluated("no coded topics (this run has no taxonomy counts)")
    cats = taxonomy[
        (taxonomy["level"].astype(str) == "category") & (taxonomy["kind"].astype(str) == top.kind)
    ]
    counts = cats.set_index(cats["category"].astype(str))["count"].dropna().astype("int64")
    found = [c for c in counts.index if c.casefold() in {n.casefold() for n in top.names}]
    if not int(counts.sum()):
        return row | _not_evaluated(f"no coded {top.kind} instances in this run")
    if not found:
        return row | _not_evaluated(f"this run's codebook has no category {top.names[0]!r}")
    a = int(counts[found].sum())
    others = counts.drop(found).sort_index().sort_values(ascending=False, kind="mergesort")
    other, b = (str(others.index[0]), int(others.iloc[0])) if len(others) else ("none", 0)
    p = float(stats.binomtest(a, a + b, 0.5).pvalue) if a + b else 1.0
    verdict = INCONCLUSIVE
    if p < alpha:
        verdict = SUPPORTED if a > b else CONTRADICTED
    total = int(counts.sum())
    source = "; ".join(COUNT_SOURCES.get(c, c) for c in sorted(set(cats["count_source"])))
    said = "the most frequent" if a > b else ("tied with" if a == b else "less frequent than")
    value = (
        f"{' + '.join(found)}: {a} of {total} coded {top.kind} instances ({a / total:.1%}) over "
        f"{len(counts)} categories, {said}"
        + ("" if a > b else f" {other}")
        + f"; largest other category {other} {b} (p = {p:.2g}; counts: {source})"
    )
    return row | {"computed_value": value, "p_value": p, "verdict": verdict, "n": a + b}


def claims(
    correlation: pd.DataFrame | None,
    trends: pd.DataFrame | None,
    declining: pd.DataFrame | None,
    card_trend: pd.DataFrame | None,
    taxonomy: pd.DataFrame | None,
    alpha: float = 0.05,
    strong_rho: float = 0.6,
) -> pd.DataFrame:
    """The claims table: the three RQ3 claims and the RQ1 / RQ2 top categories, each with the
    paper's value and scope, this run's value, the test, p, verdict and n. A table the run does
    not have is None; its claims are ``not evaluated``, with the reason."""
    rows = rq3_claims(correlation, trends, declining, card_trend, alpha, strong_rho)
    rows += [top_category_claim(t, taxonomy, alpha) for t in TOP_CATEGORIES]
    out = pd.DataFrame(rows)[CLAIMS_COLUMNS]
    out["p_value"] = out["p_value"].astype("float64")
    out["n"] = pd.array(out["n"].tolist(), dtype="Int64")
    return out


def reproduction_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The RQ3 rows of the claims table in the columns of ``reproduction.csv``."""
    rq3 = table[table["research_question"].astype(str) == RQ3]
    return rq3[REPRODUCTION_COLUMNS].reset_index(drop=True)
