"""How much the true creation dates change the study: every RQ3 statistic computed on the Hub's
floored ``createdAt`` (``api``) and on the first-commit dates (``true``), side by side.

Both runs use the same settings (creation window, partial and floor months, thresholds) as the
statistics rules; only the creation date differs. One row per statistic, subject (scope, model
type or test) and measure, with the two values (``api``, ``true``) and their difference; a text
measure (a trend's direction, the declining-but-rising models) has its values in ``api_label``
and ``true_label`` instead. ``changed``: the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..hub.trends import CreationWindow, card_share_monthly, dated, model_types_monthly
from . import stats as ts

COLUMNS = [
    "statistic", "subject", "measure", "api", "true", "difference", "api_label", "true_label",
    "changed",
]  # fmt: skip
WAYS = ("api", "true")


@dataclass(frozen=True)
class StatsSettings:
    """The settings of the statistics rules (config ``stats``)."""

    exclude_partial_months: bool = True
    exclude_floor_month: bool = True
    min_topics: int = 1
    min_models: int = 1
    major_models: int = 20
    min_model_total: int = 20
    card_split_month: str = "2022-01"
    alpha: float = 0.05
    min_models_per_month: int = ts.MIN_MODELS_PER_MONTH


def _rows(way: str, models: pd.DataFrame, forum: pd.DataFrame, window, st) -> list[tuple]:
    """(statistic, subject, measure, value) of every RQ3 statistic on the ``way`` dates."""
    df = dated(models, way)
    hub = model_types_monthly(df, window)
    card = card_share_monthly(df, window)
    rows: list[tuple] = [
        ("models", "all", "dated_by_first_commit", float(way == "true" and _n_true(models))),
        ("models", "all", "at_the_floor", float(df["created_at_floored"].sum())),
    ]
    months = ts.shared_months(forum, hub, st.exclude_partial_months, st.exclude_floor_month)
    rows.append(("shared_months", "all", "n_months", float(len(months))))
    tot = ts.model_totals(forum, hub, months, st.min_topics, st.min_models)
    for r in ts.totals_correlation(tot, months, st.major_models).itertuples():
        rows += [
            ("totals_correlation", r.scope, m, float(getattr(r, m)))
            for m in ("rho", "p_value", "n_models")
        ]
    series = ts.monthly_series(forum, hub, months, tot, st.min_model_total)
    for r in ts.monthly_correlations(series, st.alpha).itertuples():
        rows += [("monthly_correlation", r.model_type, m, float(getattr(r, m)))
                 for m in ("rho", "p_adjusted", "hub_models")]  # fmt: skip
    trends = ts.model_trends(series, st.alpha)
    for r in trends[trends["source"] == "hub"].itertuples():
        rows += [("hub_trend", r.model_type, "mk_tau", float(r.mk_tau)),
                 ("hub_trend", r.model_type, "direction", str(r.direction))]  # fmt: skip
    declining = ts.declining_rising(trends)
    rows.append(
        ("declining_rising", "all", "models", ", ".join(declining["model_type"].astype(str)))
    )
    share = ts.card_share_trend(card, st.card_split_month, st.exclude_partial_months,
                                st.exclude_floor_month, st.alpha, st.min_models_per_month)  # fmt: skip
    for r in share.itertuples():
        rows += [
            ("card_share_trend", r.test, m, float(getattr(r, m)))
            for m in ("statistic", "p_value", "n_months", "n_months_few_models")
        ]
        rows.append(("card_share_trend", r.test, "increase", str(bool(r.increase)).lower()))
    return rows


def _n_true(models: pd.DataFrame) -> int:
    if "created_at_source" not in models.columns:
        return 0
    return int((models["created_at_source"] == "first_commit").sum())


def date_sensitivity(
    models: pd.DataFrame,
    forum: pd.DataFrame,
    window: CreationWindow | None = None,
    settings: StatsSettings | None = None,
) -> pd.DataFrame:
    """The side-by-side table (see the module docstring); a statistic present one way only
    (e.g. a model type with enough models only on true dates) has a null on the other side."""
    window, settings = window or CreationWindow(), settings or StatsSettings()
    keyed = {}
    for way in WAYS:
        for stat, subject, measure, value in _rows(way, models, forum, window, settings):
            keyed.setdefault((stat, subject, measure), {})[way] = value
    out = []
    for (stat, subject, measure), values in keyed.items():
        a, t = values.get("api"), values.get("true")
        if isinstance(a, str) or isinstance(t, str):
            out.append((stat, subject, measure, None, None, None, a, t, a != t))
            continue
        diff = t - a if a is not None and t is not None else None
        same = a == t or (a is not None and t is not None and a != a and t != t)  # NaN == NaN
        out.append((stat, subject, measure, a, t, diff, None, None, not same))
    df = pd.DataFrame(out, columns=COLUMNS)
    for col in ("statistic", "subject", "measure", "api_label", "true_label"):
        df[col] = df[col].astype("string")
    for col in ("api", "true", "difference"):
        df[col] = df[col].astype("float64")
    df["changed"] = df["changed"].astype(bool)
    return df
