"""Calendar months as ``YYYY-MM`` strings: the month axis of every monthly table."""

from __future__ import annotations

import pandas as pd


def month_of(ts: pd.Series) -> pd.Series:
    """``YYYY-MM`` (UTC) of each timestamp of a timezone-aware series (NaT stays missing)."""
    return ts.dt.tz_convert("UTC").dt.strftime("%Y-%m")


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when ``first`` is after ``last``)."""
    if first > last:
        return []
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]
