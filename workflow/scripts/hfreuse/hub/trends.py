"""Monthly Hub trends: models per model type and the share of models with card data.

Months are strings ``YYYY-MM`` of the creation date (UTC). Both tables span every month from
the first to the last creation month (empty months are 0, not missing). The month that holds
the Hub's ``createdAt`` floor (2022-03) and the last, partial month of the snapshot are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..months import month_of, month_range

FLOOR_MONTH = "2022-03"
# the columns of the two monthly tables (the paper source writes the same tables)
MODEL_TYPES_COLUMNS = ["model_type", "month", "models", "models_floored", "partial_month"]
CARD_SHARE_COLUMNS = [
    "month",
    "models",
    "models_with_card_data",
    "share",
    "models_floored",
    "floor_month",
    "partial_month",
]


@dataclass(frozen=True)
class CreationWindow:
    """The models a monthly table counts: models dated by the createdAt floor kept or left out
    (``floored_models``: ``keep`` or ``exclude``), and the creation months from ``start_month``
    to ``end_month`` (``YYYY-MM``; None: from the first or to the last month of the snapshot)."""

    floored_models: str = "keep"
    start_month: str | None = None
    end_month: str | None = None


#: every model, every month
WHOLE_SNAPSHOT = CreationWindow()


def _prepare(
    models: pd.DataFrame, window: CreationWindow
) -> tuple[pd.DataFrame, list[str], str | None]:
    df = models.loc[
        models["created_at"].notna(),
        ["model_type", "created_at", "created_at_floored", "has_card_data"],
    ].copy()
    df["month"] = month_of(df["created_at"])
    last_month = df["month"].max() if len(df) else None  # the snapshot's partial month
    if window.floored_models == "exclude":
        df = df[~df["created_at_floored"]]
    elif window.floored_models != "keep":
        raise ValueError(
            f"floored_models: expected 'keep' or 'exclude', got {window.floored_models!r}"
        )
    if window.start_month:
        df = df[df["month"] >= window.start_month]
    if window.end_month:
        df = df[df["month"] <= window.end_month]
    if not len(df):
        return df, [], last_month
    first = window.start_month or df["month"].min()
    last = window.end_month or df["month"].max()
    return df, month_range(first, last), last_month


def model_types_monthly(
    models: pd.DataFrame, window: CreationWindow = WHOLE_SNAPSHOT
) -> pd.DataFrame:
    """Models created per month and model type (full type x month grid)."""
    df, months, last_month = _prepare(models, window)
    df = df[df["model_type"].notna()]
    types = sorted(df["model_type"].unique())
    grid = pd.MultiIndex.from_product([types, months], names=["model_type", "month"])
    counts = df.groupby(["model_type", "month"]).size().reindex(grid, fill_value=0)
    floored = (
        df[df["created_at_floored"]]
        .groupby(["model_type", "month"])
        .size()
        .reindex(grid, fill_value=0)
    )
    out = pd.DataFrame(
        {"models": counts.astype("int64"), "models_floored": floored.astype("Int64")}
    ).reset_index()
    out["model_type"] = out["model_type"].astype("string")
    out["month"] = out["month"].astype("string")
    out["partial_month"] = (out["month"] == last_month).astype(bool)
    return out.sort_values(["model_type", "month"], kind="mergesort").reset_index(drop=True)


def card_share_monthly(
    models: pd.DataFrame, window: CreationWindow = WHOLE_SNAPSHOT
) -> pd.DataFrame:
    """Per creation month: models, models with card data, their share."""
    df, months, last_month = _prepare(models, window)
    g = df.groupby("month")
    out = pd.DataFrame(
        {
            "models": g.size().reindex(months, fill_value=0).astype("int64"),
            "models_with_card_data": g["has_card_data"]
            .sum()
            .reindex(months, fill_value=0)
            .astype("int64"),
            "models_floored": g["created_at_floored"]
            .sum()
            .reindex(months, fill_value=0)
            .astype("Int64"),
        }
    )
    out.index.name = "month"
    out = out.reset_index()
    out["month"] = out["month"].astype("string")
    share = out["models_with_card_data"] / out["models"].where(out["models"] > 0)
    out["share"] = share.astype("float64")
    out["floor_month"] = (out["month"] == FLOOR_MONTH).astype(bool)
    out["partial_month"] = (out["month"] == last_month).astype(bool)
    return out[CARD_SHARE_COLUMNS]
