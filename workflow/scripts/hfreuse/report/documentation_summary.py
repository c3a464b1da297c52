"""The summary's RQ3 documentation trend and date sensitivity (sections ``card_trend`` and
``true_dates`` of :mod:`hfreuse.report.study_summary`): the card-share trend tests with the months
their guard left out, and what the true creation dates change."""

from __future__ import annotations

import pandas as pd

from ..errors import InputError
from .facts import Section, Settings, summarises

#: the tables summarised here, by their names in workflow/products.yaml
CARD_TREND = "card_share_trend"
DATE_SENSITIVITY = "date_sensitivity"

CARD_TREND_COLUMNS = ["test", "p_value", "tau", "sen_slope", "increase", "split_month"]
CARD_TREND_COLUMNS += ["n_before", "n_after", "median_before", "median_after", "n_months"]
CARD_TREND_COLUMNS += ["first_month", "last_month", "min_models_per_month", "n_months_few_models"]


@summarises(CARD_TREND, CARD_TREND_COLUMNS)
def card_trend(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    for rec in df.to_dict("records"):
        if rec["test"] == "mann_kendall":
            s.say(
                "Share of new models with card data over time over "
                f"{s.fact('mk_months', 'count', rec['n_months'], src)} months "
                f"({s.fact('mk_first_month', 'month', rec['first_month'], src)} to "
                f"{s.fact('mk_last_month', 'month', rec['last_month'], src)}; "
                f"{few_months(s, rec, src)}): Mann-Kendall tau = "
                f"{s.fact('mk_tau', 'tau', rec['tau'], src)}, p = "
                f"{s.fact('mk_p', 'p', rec['p_value'], src)}, Sen slope "
                f"{s.fact('mk_sen_slope', 'slope', rec['sen_slope'], src)} per month; increase: "
                f"{s.fact('mk_increase', 'text', increase(rec), src)}."
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
                f"{s.fact('mw_increase', 'text', increase(rec), src)}."
            )
        else:
            raise InputError(
                f"{src}, column test: expected mann_kendall or mann_whitney, got {rec['test']!r}"
            )


def few_months(s: Section, rec: dict, src: str) -> str:
    """How many months the guard left out (``stats.min_models_per_month``)."""
    few = s.fact("few_months", "count", rec["n_months_few_models"], src)
    least = s.fact("min_models_per_month", "count", rec["min_models_per_month"], src)
    return f"{few} months with fewer than {least} models left out"


def increase(rec: dict) -> str:
    """``yes`` for a significant increase, else ``no significant increase``."""
    return "yes" if rec["increase"] else "no significant increase"


@summarises(DATE_SENSITIVITY, ["statistic", "subject", "measure", "api", "true", "changed"])
def date_sensitivity(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
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
