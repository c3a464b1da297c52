"""The replication package's monthly matrices as this workflow's trend tables (source paper).

The package (mina-taraghi/SANER2024ReplicationPackage, ``Mined Data/``) has no per-topic or
per-model data, only three monthly matrices. Each is mapped to the table that crawled data gives,
with its quirks handled:

``Discussion Forums/Forums_Model_Mentions_Over_Time.csv``
    model_type x month, months written ``YYYY-MM-01``, counts written as floats (``3.0``).
``Model Hub/Hub_Model_Types_Over_Time_Created.csv``
    model_type x creation month ``YYYY-MM``; months without any model are absent and empty cells
    mean 0 (so the grid is completed); extra columns ``sum``, ``cumulative sum``,
    ``Cumulative ratio`` and two extra rows at the bottom (one with a blank index, one ``SUM``)
    are dropped.
``Model Hub/card_data_stats_months_created.csv``
    per creation month ``month_year``: ``has_card`` (a count of models with card data, not a
    flag), ``count`` (models created), ``card_ratio``; a leading unnamed row-number column.

The package was mined in June 2023 (the forum's last month, 2023-06, is partial), so every month
from ``MINED_MONTH`` on is flagged partial. Its Hub creation dates are the first commits', not the
floored ``createdAt``: no month holds floored dates (``floor_month`` False) and the number of
floored models is unknown (``models_floored`` null).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..hub.trends import CARD_SHARE_COLUMNS, MODEL_TYPES_COLUMNS
from ..months import month_range
from . import stats as ts

MINED_MONTH = "2023-06"
FORUM_CSV = "Mined Data/Discussion Forums/Forums_Model_Mentions_Over_Time.csv"
HUB_CSV = "Mined Data/Model Hub/Hub_Model_Types_Over_Time_Created.csv"
CARD_CSV = "Mined Data/Model Hub/card_data_stats_months_created.csv"
HUB_EXTRA_COLUMNS = ("sum", "cumulative sum", "Cumulative ratio")

# The paper's three RQ3 claims, as the reproduction table states them.
CLAIM_CORRELATION = (
    "strong positive Spearman correlation between forum mentions and hub uploads of the models"
)
CLAIM_DECLINE = "models such as BERT keep rising uploads while forum topics about them decline"
CLAIM_CARDS = "the share of models with card data has not increased over time"
CLAIM_MODEL = "bert"
PAPER_RHO = 0.70


def _read(path: str | Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: expected the replication package's CSV: {exc}") from exc


def _counts(values: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Whole, non-negative counts (floats like 3.0 accepted), empty cells as 0."""
    num = values.apply(pd.to_numeric, errors="coerce")
    bad = num.isna() & values.notna()
    if bad.any().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(
            f"{path}, row {values.index[r]!r}, column {values.columns[c]!r}: expected a count"
        )
    num = num.fillna(0)
    if ((num % 1 != 0) | (num < 0)).any().any():
        raise InputError(f"{path}: expected whole non-negative counts")
    return num.astype("int64")


def _months(columns, pattern: str, path) -> list[str]:
    out = []
    for col in columns:
        m = re.fullmatch(pattern, str(col))
        if not m:
            raise InputError(f"{path}: column {col!r} is not a month ({pattern})")
        out.append(m.group(1))
    return out


def _grid(mat: pd.DataFrame, value: str) -> pd.DataFrame:
    """model_type x month matrix -> the long full-grid table."""
    months = month_range(min(mat.columns), max(mat.columns)) if len(mat.columns) else []
    mat = mat.reindex(columns=months, fill_value=0).sort_index()
    mat.index.name, mat.columns.name = "model_type", "month"
    out = mat.stack().rename(value).reset_index()
    out["model_type"] = out["model_type"].astype("string")
    out["month"] = out["month"].astype("string")
    out[value] = out[value].astype("int64")
    out["partial_month"] = (out["month"] >= MINED_MONTH).astype(bool)
    return out.sort_values(["model_type", "month"], kind="mergesort").reset_index(drop=True)


def read_forum_mentions(path: str | Path) -> pd.DataFrame:
    """Forums_Model_Mentions_Over_Time.csv -> forum_model_mentions_monthly table."""
    df = _read(path, index_col=0, dtype=str, keep_default_na=False, na_values=[""])
    df = df[df.index.notna() & (df.index.astype(str).str.strip() != "")]
    df.index = df.index.astype(str).str.strip()
    if df.index.duplicated().any():
        raise InputError(f"{path}: model type {df.index[df.index.duplicated()][0]!r} listed twice")
    df.columns = _months(df.columns, r"(\d{4}-\d{2})-01", path)
    return _grid(_counts(df, path), "topics")


def read_hub_model_types(path: str | Path) -> pd.DataFrame:
    """Hub_Model_Types_Over_Time_Created.csv -> hub_model_types_monthly table."""
    df = _read(path, index_col=0, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in HUB_EXTRA_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: expected the columns {list(HUB_EXTRA_COLUMNS)} (missing {missing})"
        )
    df = df.drop(columns=list(HUB_EXTRA_COLUMNS))
    index = df.index.to_series().fillna("").astype(str).str.strip()
    df = df[(index != "") & (index != "SUM")].copy()
    df.index = index[(index != "") & (index != "SUM")]
    if df.index.duplicated().any():
        raise InputError(f"{path}: model type {df.index[df.index.duplicated()][0]!r} listed twice")
    df.columns = _months(df.columns, r"(\d{4}-\d{2})", path)
    out = _grid(_counts(df, path), "models")
    out["models_floored"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["models_api"] = pd.array([pd.NA] * len(out), dtype="Int64")  # no createdAt series
    return out[MODEL_TYPES_COLUMNS]


def read_card_share(path: str | Path) -> pd.DataFrame:
    """card_data_stats_months_created.csv -> card_share_monthly table."""
    df = _read(path, index_col=0)
    need = ["month_year", "has_card", "count"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(f"{path}: expected columns {need} (missing {missing})")
    months = _months(df["month_year"], r"(\d{4}-\d{2})", path)
    counts = _counts(df[["has_card", "count"]].reset_index(drop=True), path)
    if (counts["has_card"] > counts["count"]).any():
        raise InputError(f"{path}: has_card must not exceed count")
    if len(set(months)) != len(months):
        raise InputError(f"{path}: a month is listed twice")
    by_month = pd.DataFrame(counts.to_numpy(), index=months, columns=["has_card", "count"])
    axis = month_range(min(months), max(months)) if months else []
    by_month = by_month.reindex(axis, fill_value=0)
    out = pd.DataFrame(
        {
            "month": pd.array(axis, dtype="string"),
            "models": by_month["count"].to_numpy(dtype="int64"),
            "models_with_card_data": by_month["has_card"].to_numpy(dtype="int64"),
        }
    )
    out["share"] = (out["models_with_card_data"] / out["models"].where(out["models"] > 0)).astype(
        "float64"
    )
    if "card_ratio" in df.columns:
        ratio = pd.Series(pd.to_numeric(df["card_ratio"], errors="coerce").to_numpy(), index=months)
        got = out.set_index(out["month"].astype(str))["share"].loc[months]
        if not np.allclose(got.to_numpy(), ratio.to_numpy(), atol=1e-6, equal_nan=True):
            raise InputError(f"{path}: card_ratio is not has_card / count")
    out["models_floored"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["floor_month"] = False
    out["partial_month"] = (out["month"] >= MINED_MONTH).astype(bool)
    out["models_api"] = pd.array([pd.NA] * len(out), dtype="Int64")  # no createdAt series
    out["share_api"] = np.nan
    return out[CARD_SHARE_COLUMNS]


# -- the reproduction table ------------------------------------------------------------------

#: the verdicts of reproduction.csv
SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE)
REPRODUCTION_COLUMNS = [
    "claim", "scope", "test", "paper_value", "computed_value", "p_value", "criterion", "verdict",
]  # fmt: skip

#: the first page of a paper run's report: what RQ1 and RQ2 are in this source
RQ1_RQ2_NOTE = (
    "With source paper, the RQ1 and RQ2 figures (challenges, benefits, root causes) re-plot the "
    "authors' own counts from their replication package (codebook Overview sheet, "
    "Root_Causes.csv): this run codes no forum topic, so they reproduce the paper's figures, "
    "not its coding."
)


def rq1_rq2_note(source: str) -> str | None:
    """The sentence for page 1 of the report saying that RQ1 and RQ2 re-plot the authors' own
    counts: for source paper; None for the sources that code forum topics (demo, live)."""
    return RQ1_RQ2_NOTE if source == "paper" else None


def _fmt_p(p: float) -> str:
    return "nan" if p != p else f"{p:.2g}"


def _correlation_claim(correlation: pd.DataFrame, alpha: float, strong_rho: float) -> dict:
    """The paper: a strong positive correlation, about 0.70, for the major models (STUDY.md): the
    ``major`` scope; the ``all`` scope is shown beside it, not judged."""
    allm = correlation[correlation["scope"] == "all"].iloc[0]
    major = correlation[correlation["scope"] == "major"].iloc[0]
    rho, p, n = float(major["rho"]), float(major["p_value"]), int(major["n_models"])
    lo, hi = ts.spearman_ci(rho, n, alpha)
    if p < alpha and rho >= strong_rho:
        verdict = SUPPORTED
    elif hi < strong_rho:
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    level = f"{1 - alpha:.0%}"
    return {
        "claim": CLAIM_CORRELATION,
        "scope": (
            f"the paper's major models: the {n} model types with the most Hub uploads "
            f"(stats.major_models), total forum topics vs total Hub models per type over "
            f"{major['n_months']} shared months {major['first_month']}..{major['last_month']}"
        ),
        "test": "Spearman rank correlation (two-sided p)",
        "paper_value": f"Spearman rho about {PAPER_RHO:.2f} (strong, positive), major models",
        "computed_value": (
            f"rho = {rho:.3f} ({level} CI {lo:.2f}..{hi:.2f}, p = {_fmt_p(p)}, n = {n} model "
            f"types); not the paper's scope, for comparison: all {allm['n_models']} model types "
            f"in both sources, rho = {allm['rho']:.3f} (p = {_fmt_p(allm['p_value'])})"
        ),
        "p_value": p,
        "criterion": (
            f"supported: rho >= {strong_rho} and p < {alpha}; contradicted: the {level} "
            f"confidence interval of rho (Fisher z, Fieller et al. 1957) lies below {strong_rho}; "
            "otherwise inconclusive"
        ),
        "verdict": verdict,
    }


def _said(direction: str, expected: str) -> str:
    """A trend direction in words, "no significant <expected>" when there is none."""
    found = {"declining": "decline", "rising": "rise"}.get(direction)
    return f"a significant {found}" if found else f"no significant {expected}"


def _decline_claim(trends: pd.DataFrame, declining: pd.DataFrame, alpha: float) -> dict:
    """The paper: BERT's uploads keep rising while forum topics about it decline. Both trends
    must be significant, so p is the larger of the two (an intersection-union test, Berger 1982,
    Technometrics 24: 295-300)."""
    t = trends[trends["model_type"].astype(str) == CLAIM_MODEL].set_index("source")
    names = ", ".join(declining["model_type"].astype(str))
    base = {
        "claim": CLAIM_DECLINE,
        "scope": (
            f"{CLAIM_MODEL} (the paper's example): forum topics mentioning it and Hub models of "
            "the type, per month over the shared months"
        ),
        "test": (
            "Mann-Kendall trend of each monthly series, Benjamini-Hochberg adjusted across model "
            "types; p = the larger of the two adjusted p (intersection-union test)"
        ),
        "paper_value": "BERT: uploads rising, forum topics declining",
        "criterion": (
            f"supported: forum topics decline and Hub uploads rise, both with adjusted p < "
            f"{alpha}; contradicted: forum topics rise or uploads decline significantly; "
            "otherwise inconclusive"
        ),
    }
    if not {"forum", "hub"} <= set(t.index):
        return base | {
            "computed_value": f"{CLAIM_MODEL} has too few topics or models for a trend test",
            "p_value": float("nan"),
            "verdict": INCONCLUSIVE,
        }
    f, h = t.loc["forum"], t.loc["hub"]

    forum_said = _said(f["direction"], "decline")
    hub_said = _said(h["direction"], "rise")
    if f["direction"] == "declining" and h["direction"] == "rising":
        verdict = SUPPORTED
    elif f["direction"] == "rising" or h["direction"] == "declining":
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    return base | {
        "computed_value": (
            f"forum topics: {forum_said} (tau = {f['mk_tau']:.3f}, adjusted p = "
            f"{_fmt_p(f['mk_p_adjusted'])}); Hub uploads: {hub_said} (tau = {h['mk_tau']:.3f}, "
            f"adjusted p = {_fmt_p(h['mk_p_adjusted'])}); all declining-but-rising model types: "
            f"{names or 'none'}"
        ),
        "p_value": float(max(f["mk_p_adjusted"], h["mk_p_adjusted"])),
        "verdict": verdict,
    }


def _card_claim(card_trend: pd.DataFrame, alpha: float) -> dict:
    """The paper: the card-data share has not increased over time. Its test is Mann-Kendall over
    the months; a non-significant result is "no significant increase", not evidence of none
    (inconclusive); the Mann-Whitney split is shown, not judged."""
    mk = card_trend[card_trend["test"] == "mann_kendall"].iloc[0]
    mw = card_trend[card_trend["test"] == "mann_whitney"].iloc[0]
    p, tau = float(mk["p_value"]), float(mk["tau"])
    if p < alpha and tau > 0:
        verdict, said = CONTRADICTED, "a significant increase"
    elif p < alpha and tau < 0:
        verdict, said = SUPPORTED, "a significant decrease"
    else:
        verdict, said = INCONCLUSIVE, "no significant increase"
    return {
        "claim": CLAIM_CARDS,
        "scope": (
            f"share of models with card data per creation month, all models: {mk['n_months']} "
            f"months {mk['first_month']}..{mk['last_month']} with at least "
            f"{mk['min_models_per_month']} models each ({mk['n_months_few_models']} months with "
            "fewer left out)"
        ),
        "test": "Mann-Kendall trend of the monthly share (two-sided p)",
        "paper_value": "no increase of the card-data share",
        "computed_value": (
            f"{said} (tau = {tau:.3f}, p = {_fmt_p(p)}); beside it, not judged: Mann-Whitney "
            f"from {mw['split_month']} on ({mw['n_after']} months, median share "
            f"{mw['median_after']:.3f}) vs before ({mw['n_before']} months, median "
            f"{mw['median_before']:.3f}): U = {mw['statistic']:g}, one-sided p = "
            f"{_fmt_p(mw['p_value'])}"
        ),
        "p_value": p,
        "criterion": (
            f"contradicted: a significant increase (p < {alpha}, tau > 0); supported: a "
            f"significant decrease (p < {alpha}, tau < 0); otherwise inconclusive (no "
            "significant increase is not evidence of none)"
        ),
        "verdict": verdict,
    }


def reproduction(
    correlation: pd.DataFrame,
    trends: pd.DataFrame,
    declining: pd.DataFrame,
    card_trend: pd.DataFrame,
    alpha: float = 0.05,
    strong_rho: float = 0.6,
) -> pd.DataFrame:
    """Each of the paper's three RQ3 claims with the scope the paper measured it at, its test,
    this run's numbers, the p-value and a verdict (supported, contradicted or inconclusive)."""
    rows = [
        _correlation_claim(correlation, alpha, strong_rho),
        _decline_claim(trends, declining, alpha),
        _card_claim(card_trend, alpha),
    ]
    out = pd.DataFrame(rows)[REPRODUCTION_COLUMNS]
    out["p_value"] = out["p_value"].astype("float64")
    return out
