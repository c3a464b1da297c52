"""RQ3 statistics: forum mentions vs Hub uploads, per-model trends, the card-share trend.

Inputs are the monthly tables (the same for every source):
``results/trends/forum_model_mentions_monthly.parquet`` (model_type, month, topics,
partial_month), ``hub_model_types_monthly.parquet`` (model_type, month, models, models_floored,
partial_month) and ``card_share_monthly.parquet`` (month, models, models_with_card_data, share,
models_floored, floor_month, partial_month).

Months compared
    Forum and Hub are compared over their shared months: months in both tables, without the
    partial months of either (``exclude_partial_months``) and without months whose Hub counts
    hold floored creation dates (``exclude_floor_month``: the 2022-03 pile-up of every model
    created before the ``createdAt`` floor is not that month's uploads).

Tests
    Spearman rank correlation (scipy); Mann-Kendall trend test, implemented here (S statistic,
    variance with the tie correction, normal approximation with continuity correction,
    two-sided p; Kendall's tau = S / (n(n-1)/2); Sen's slope = median pairwise slope);
    Benjamini-Hochberg adjusted p-values across models; Mann-Whitney U (scipy, one-sided:
    shares after the split month greater than before).

Months of few models
    The card-share tests (Mann-Kendall, Mann-Whitney) weigh every month alike: months with
    fewer than ``min_models_per_month`` models are left out of them (not weighted), and the
    table says how many (``n_months_few_models``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError

FORUM_COLUMNS = ["model_type", "month", "topics", "partial_month"]
HUB_COLUMNS = ["model_type", "month", "models", "models_floored", "partial_month"]
CARD_COLUMNS = ["month", "models", "models_with_card_data", "share", "floor_month", "partial_month"]
#: config ``stats.min_models_per_month``: the card-share tests weigh each month alike, so a month
#: enters only with at least this many models. The share of n models has a standard error of at
#: most 0.5 / sqrt(n): 0.09 at 30 models, against 0.25 to 0.5 for the 1 to 4 models of the Hub's
#: early months on true creation dates, which would otherwise count as much as months of 26,000.
MIN_MODELS_PER_MONTH = 30


def require(df: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{name}: expected columns {list(columns)} (missing {missing})")


# -- the tests ---------------------------------------------------------------------------------


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1); NaN stays NaN."""
    p = np.asarray(p, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    vals = p[ok]
    order = np.argsort(vals, kind="mergesort")
    ranked = vals[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adjusted, 1.0)
    out[ok] = res
    return out


def mann_kendall(x: Sequence[float]) -> dict[str, float]:
    """Mann-Kendall trend test of a series in time order.

    Returns n, s, var_s, z, p (two-sided), tau (S over the number of pairs) and Sen's slope
    (per step). Fewer than 3 values, or all values equal: p, z and tau are NaN.
    """
    x = np.asarray(x, dtype="float64")
    n = len(x)
    res = {
        "n": n,
        "s": 0.0,
        "var_s": float("nan"),
        "z": float("nan"),
        "p": float("nan"),
        "tau": float("nan"),
        "sen_slope": float("nan"),
    }
    if n < 2:
        return res
    i, j = np.triu_indices(n, k=1)
    diff = x[j] - x[i]
    s = float(np.sign(diff).sum())
    res["s"] = s
    res["sen_slope"] = float(np.median(diff / (j - i)))
    if n < 3:
        return res
    _, ties = np.unique(x, return_counts=True)
    var_s = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18
    res["var_s"] = var_s
    if var_s <= 0:
        return res
    z = (s - math.copysign(1.0, s)) / math.sqrt(var_s) if s != 0 else 0.0
    res["z"] = z
    res["p"] = float(2 * stats.norm.sf(abs(z)))
    res["tau"] = s / (n * (n - 1) / 2)
    return res


def spearman(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, int]:
    """Spearman's rho, its two-sided p and n; NaN when n < 3 or a series is constant."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    n = len(x)
    if n < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan"), float("nan"), n
    r = stats.spearmanr(x, y)
    return float(r.statistic), float(r.pvalue), n


def spearman_ci(rho: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """The (1 - alpha) confidence interval of Spearman's rho: Fisher's z with the standard error
    sqrt(1.06 / (n - 3)) of Fieller, Hartley and Pearson (1957, Biometrika 44: 470-481); NaN
    for n < 4 or a NaN rho."""
    if n < 4 or rho != rho:
        return float("nan"), float("nan")
    z = math.atanh(min(max(rho, -0.999999), 0.999999))
    half = float(stats.norm.ppf(1 - alpha / 2)) * math.sqrt(1.06 / (n - 3))
    return math.tanh(z - half), math.tanh(z + half)


def direction(tau: float, p_adjusted: float, alpha: float) -> str:
    if not (p_adjusted < alpha) or not tau or math.isnan(tau):
        return "no trend"
    return "rising" if tau > 0 else "declining"


# -- the month axis ---------------------------------------------------------------------------


def shared_months(
    forum: pd.DataFrame,
    hub: pd.DataFrame,
    exclude_partial_months: bool = True,
    exclude_floor_month: bool = True,
) -> list[str]:
    """Months in both tables, less partial months and months holding floored creation dates."""
    require(forum, FORUM_COLUMNS, "forum mentions table")
    require(hub, HUB_COLUMNS, "hub model types table")
    months = set(forum["month"].astype(str)) & set(hub["month"].astype(str))
    if exclude_partial_months:
        for df in (forum, hub):
            months -= set(df.loc[df["partial_month"].astype(bool), "month"].astype(str))
    if exclude_floor_month:
        floored = hub["models_floored"].astype("Float64").fillna(0)
        months -= set(hub.loc[floored.to_numpy() > 0, "month"].astype(str))
    return sorted(months)


def wide(df: pd.DataFrame, value: str, months: list[str]) -> pd.DataFrame:
    """model_type x month matrix of ``value`` over ``months`` (missing cells are 0)."""
    df = df.assign(model_type=df["model_type"].astype(str), month=df["month"].astype(str))
    df = df[df["month"].isin(months)]
    mat = df.pivot_table(index="model_type", columns="month", values=value, aggfunc="sum")
    types = sorted(df["model_type"].unique()) if len(df) else []
    return mat.reindex(index=types, columns=months).fillna(0).astype("float64")


# -- forum vs hub --------------------------------------------------------------------------


def model_totals(
    forum: pd.DataFrame,
    hub: pd.DataFrame,
    months: list[str],
    min_topics: int = 1,
    min_models: int = 1,
) -> pd.DataFrame:
    """Per model type (of either table): forum topics and Hub models over ``months``.

    ``in_correlation``: the type is in both tables with at least ``min_topics`` topics and
    ``min_models`` models, so it enters the totals correlation.
    """
    f = wide(forum, "topics", months).sum(axis=1)
    h = wide(hub, "models", months).sum(axis=1)
    types = sorted(set(forum["model_type"].astype(str)) | set(hub["model_type"].astype(str)))
    out = pd.DataFrame({"model_type": types})
    out["in_forum"] = out["model_type"].isin(set(forum["model_type"].astype(str)))
    out["in_hub"] = out["model_type"].isin(set(hub["model_type"].astype(str)))
    out["forum_topics"] = out["model_type"].map(f).fillna(0).astype("int64")
    out["hub_models"] = out["model_type"].map(h).fillna(0).astype("int64")
    out["in_correlation"] = (
        out["in_forum"]
        & out["in_hub"]
        & (out["forum_topics"] >= min_topics)
        & (out["hub_models"] >= min_models)
    ).astype(bool)
    out["model_type"] = out["model_type"].astype("string")
    return out


def totals_correlation(
    totals: pd.DataFrame, months: list[str], major_models: int = 20
) -> pd.DataFrame:
    """Spearman of total forum topics vs total Hub models across model types.

    Scope ``all``: every type ``in_correlation``; scope ``major``: the ``major_models`` of them
    with the most Hub models (ties by name).
    """
    eligible = totals[totals["in_correlation"].astype(bool)]
    major = eligible.sort_values(
        ["hub_models", "model_type"], ascending=[False, True], kind="mergesort"
    ).head(major_models)
    rows = []
    for scope, df in (("all", eligible), ("major", major)):
        rho, p, n = spearman(df["forum_topics"], df["hub_models"])
        rows.append(
            {
                "scope": scope,
                "n_models": n,
                "rho": rho,
                "p_value": p,
                "n_months": len(months),
                "first_month": months[0] if months else None,
                "last_month": months[-1] if months else None,
                "models": ", ".join(df["model_type"].astype(str).sort_values()),
            }
        )
    out = pd.DataFrame(rows)
    for col in ("scope", "first_month", "last_month", "models"):
        out[col] = out[col].astype("string")
    out["n_models"] = out["n_models"].astype("int64")
    out["n_months"] = out["n_months"].astype("int64")
    return out


def _eligible(totals: pd.DataFrame, min_total: int) -> list[str]:
    ok = (
        totals["in_forum"]
        & totals["in_hub"]
        & (totals["forum_topics"] >= min_total)
        & (totals["hub_models"] >= min_total)
    )
    return sorted(totals.loc[ok, "model_type"].astype(str))


@dataclass(frozen=True)
class MonthlySeries:
    """What the per-model statistics read: forum topics (``forum``) and Hub models (``hub``) per
    model type and shared month (model type x month), and the model types they cover (``types``:
    at least ``min_total`` in both sources)."""

    forum: pd.DataFrame
    hub: pd.DataFrame
    types: list[str]


def monthly_series(
    forum: pd.DataFrame,
    hub: pd.DataFrame,
    months: list[str],
    totals: pd.DataFrame,
    min_total: int = 20,
) -> MonthlySeries:
    """The monthly series of the model types with at least ``min_total`` topics and models."""
    return MonthlySeries(
        wide(forum, "topics", months), wide(hub, "models", months), _eligible(totals, min_total)
    )


def monthly_correlations(monthly: MonthlySeries, alpha: float = 0.05) -> pd.DataFrame:
    """Per model type: Spearman of monthly forum topics vs monthly Hub models, BH-adjusted."""
    f, h = monthly.forum, monthly.hub
    rows = []
    for mtype in monthly.types:
        rho, p, n = spearman(f.loc[mtype], h.loc[mtype])
        rows.append((mtype, n, int(f.loc[mtype].sum()), int(h.loc[mtype].sum()), rho, p))
    out = pd.DataFrame(
        rows, columns=["model_type", "n_months", "forum_topics", "hub_models", "rho", "p_value"]
    )
    out["p_adjusted"] = benjamini_hochberg(out["p_value"])
    out["significant"] = (out["p_adjusted"] < alpha).astype(bool)
    return _typed(out, {"n_months": "int64", "forum_topics": "int64", "hub_models": "int64"})


def model_trends(monthly: MonthlySeries, alpha: float = 0.05) -> pd.DataFrame:
    """Per model type and source: Mann-Kendall trend over the shared months (BH within source)."""
    frames = []
    for source, mat in (("forum", monthly.forum), ("hub", monthly.hub)):
        rows = []
        for mtype in monthly.types:
            series = mat.loc[mtype].to_numpy()
            mk = mann_kendall(series)
            rho, p_rho, _ = spearman(np.arange(len(series)), series)
            rows.append(
                {
                    "model_type": mtype,
                    "source": source,
                    "n_months": len(series),
                    "total": int(series.sum()),
                    "mk_tau": mk["tau"],
                    "mk_z": mk["z"],
                    "mk_p": mk["p"],
                    "sen_slope": mk["sen_slope"],
                    "spearman_time_rho": rho,
                    "spearman_time_p": p_rho,
                }
            )
        df = pd.DataFrame(rows, columns=list(_TREND_COLUMNS))
        df["mk_p_adjusted"] = benjamini_hochberg(df["mk_p"])
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["direction"] = [
        direction(t, p, alpha) for t, p in zip(out["mk_tau"], out["mk_p_adjusted"], strict=True)
    ]
    cols = list(_TREND_COLUMNS)
    out = out[cols[:7] + ["mk_p_adjusted"] + cols[7:] + ["direction"]]
    return _typed(
        out, {"n_months": "int64", "total": "int64", "source": "string", "direction": "string"}
    )


_TREND_COLUMNS = (
    "model_type",
    "source",
    "n_months",
    "total",
    "mk_tau",
    "mk_z",
    "mk_p",
    "sen_slope",
    "spearman_time_rho",
    "spearman_time_p",
)


def declining_rising(trends: pd.DataFrame) -> pd.DataFrame:
    """Model types whose forum topics decline while their Hub uploads rise."""
    cols = ["model_type", "total", "mk_tau", "mk_p_adjusted", "sen_slope", "direction"]
    f = trends.loc[trends["source"] == "forum", cols].set_index("model_type")
    h = trends.loc[trends["source"] == "hub", cols].set_index("model_type")
    both = f.merge(h, left_index=True, right_index=True, suffixes=("_forum", "_hub"))
    both = both[(both["direction_forum"] == "declining") & (both["direction_hub"] == "rising")]
    out = pd.DataFrame(
        {
            "model_type": both.index.astype(str),
            "forum_topics": both["total_forum"].to_numpy(),
            "hub_models": both["total_hub"].to_numpy(),
            "forum_tau": both["mk_tau_forum"].to_numpy(),
            "forum_p_adjusted": both["mk_p_adjusted_forum"].to_numpy(),
            "forum_sen_slope": both["sen_slope_forum"].to_numpy(),
            "hub_tau": both["mk_tau_hub"].to_numpy(),
            "hub_p_adjusted": both["mk_p_adjusted_hub"].to_numpy(),
            "hub_sen_slope": both["sen_slope_hub"].to_numpy(),
        }
    )
    out = out.sort_values(["hub_models", "model_type"], ascending=[False, True], kind="mergesort")
    return _typed(out, {"forum_topics": "int64", "hub_models": "int64"})


# -- documentation -------------------------------------------------------------------------


CARD_TREND_TYPES = {
    "test": "string",
    "split_month": "string",
    "first_month": "string",
    "last_month": "string",
    "n_before": "Int64",
    "n_after": "Int64",
    "n_months": "int64",
    "min_models_per_month": "int64",
    "n_months_few_models": "int64",
}


def _card_months(
    card: pd.DataFrame, exclude_partial_months: bool, exclude_floor_month: bool
) -> pd.DataFrame:
    """The months of the card share table the trend tests may use, in month order: with models
    and a share, less partial months and the floor month holding floored models (as asked)."""
    df = card.assign(month=card["month"].astype(str)).sort_values("month", kind="mergesort")
    df = df[(df["models"] > 0) & df["share"].notna()]
    if exclude_partial_months:
        df = df[~df["partial_month"].astype(bool)]
    if exclude_floor_month:
        floored = df["models_floored"].astype("Float64").fillna(0) if "models_floored" in df else 0
        df = df[~(df["floor_month"].astype(bool) & (floored > 0))]
    return df


def _mann_whitney_row(share: np.ndarray, months: list[str], split_month: str, alpha: float) -> dict:
    """Mann-Whitney U of the shares from ``split_month`` on vs before (one-sided, greater)."""
    before = share[np.array([m < split_month for m in months], dtype=bool)]
    after = share[np.array([m >= split_month for m in months], dtype=bool)]
    if len(before) and len(after):
        mw = stats.mannwhitneyu(after, before, alternative="greater")
        u, p_mw = float(mw.statistic), float(mw.pvalue)
    else:
        u = p_mw = float("nan")
    return {
        "test": "mann_whitney",
        "statistic": u,
        "p_value": p_mw,
        "tau": float("nan"),
        "sen_slope": float("nan"),
        "increase": bool(p_mw < alpha),
        "split_month": split_month,
        "n_before": len(before),
        "n_after": len(after),
        "median_before": float(np.median(before)) if len(before) else float("nan"),
        "median_after": float(np.median(after)) if len(after) else float("nan"),
    }


def card_share_trend(
    card: pd.DataFrame,
    split_month: str,
    exclude_partial_months: bool = True,
    exclude_floor_month: bool = True,
    alpha: float = 0.05,
    min_models_per_month: int = MIN_MODELS_PER_MONTH,
) -> pd.DataFrame:
    """Trend of the monthly share of models with card data: Mann-Kendall over the months, and
    Mann-Whitney U of the months from ``split_month`` on vs the months before (one-sided,
    alternative: the later shares are greater).

    Both tests weigh every month alike, so a month's share enters only when the month has at
    least ``min_models_per_month`` models (see :data:`MIN_MODELS_PER_MONTH`); the months left out
    for having fewer (after the partial and floor months) are counted in ``n_months_few_models``.
    """
    require(card, CARD_COLUMNS, "card share table")
    df = _card_months(card, exclude_partial_months, exclude_floor_month)
    few = df["models"].to_numpy() < min_models_per_month
    df = df[~few]
    share = df["share"].to_numpy(dtype="float64")
    months = df["month"].tolist()
    mk = mann_kendall(share)
    common = {
        "n_months": len(share),
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
        "min_models_per_month": int(min_models_per_month),
        "n_months_few_models": int(few.sum()),
    }
    kendall = {
        "test": "mann_kendall",
        "statistic": mk["s"],
        "p_value": mk["p"],
        "tau": mk["tau"],
        "sen_slope": mk["sen_slope"],
        "increase": bool(mk["p"] < alpha and mk["tau"] > 0),
        "split_month": None,
        "n_before": None,
        "n_after": None,
        "median_before": float("nan"),
        "median_after": float("nan"),
    }
    whitney = _mann_whitney_row(share, months, split_month, alpha)
    out = pd.DataFrame([{**kendall, **common}, {**whitney, **common}])
    return _typed(out, CARD_TREND_TYPES)


def _typed(df: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    df = df.copy()
    if "model_type" in df.columns:
        df["model_type"] = df["model_type"].astype("string")
    for col, dtype in dtypes.items():
        df[col] = df[col].astype(dtype)
    for col in df.columns:
        if df[col].dtype == object:
            values = df[col].dropna()
            if values.empty or values.map(lambda v: isinstance(v, int | float)).all():
                # empty or all-missing statistics (too few months): numbers, not objects
                df[col] = pd.to_numeric(df[col], errors="raise").astype("float64")
            else:
                raise AssertionError(f"column {col} has no fixed dtype")
    return df.reset_index(drop=True)
