"""Monthly Hub trends: models per model type and the share of models with card data.

Months are strings ``YYYY-MM`` of the creation date (UTC). Both tables span every month from
the first to the last creation month (empty months are 0, not missing). The month that holds
the Hub's ``createdAt`` floor (2022-03) and the last, partial month of the snapshot are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from ..months import month_of, month_range

FLOOR_MONTH = "2022-03"
# the columns of the two monthly tables (the paper source writes the same tables)
MODEL_TYPES_COLUMNS = [
    "model_type",
    "month",
    "models",
    "models_floored",
    "partial_month",
    "models_api",
]
CARD_SHARE_COLUMNS = [
    "month",
    "models",
    "models_with_card_data",
    "share",
    "models_floored",
    "floor_month",
    "partial_month",
    "models_api",
    "share_api",
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

#: trends.created_at: the creation date the monthly tables use
CREATED_AT_CHOICES = ("true", "api")
MODEL_COLUMNS = [
    "model_type",
    "created_at",
    "created_at_floored",
    "created_at_true",
    "has_card_data",
]


def model_columns(created_at: str) -> list[str]:
    """The columns of ``models.parquet`` the monthly tables read (``created_at_true`` only when
    ``trends.created_at`` is ``true``)."""
    return [c for c in MODEL_COLUMNS if created_at == "true" or c != "created_at_true"]


def dated(models: pd.DataFrame, created_at: str = "true") -> pd.DataFrame:
    """``models`` with ``created_at`` and ``created_at_floored`` as the trends see them.

    ``api``: the Hub's ``createdAt`` as listed (floored at 2022-03-02T23:29:04Z). ``true``: a
    floored model dated by its first commit (``created_at_true``) is no longer floored; a model
    whose history could not date it keeps the floor and its flag (``trends.floored_models``
    keeps or excludes it)."""
    if created_at == "api":
        return models
    if created_at != "true":
        raise ValueError(f"created_at: expected one of {CREATED_AT_CHOICES}, got {created_at!r}")
    if "created_at_true" not in models.columns:
        raise InputError(
            "models table: no created_at_true column (trends.created_at: true needs the "
            "first-commit dates of the parsed Hub models; use api for a table without them)"
        )
    true = models["created_at_true"]
    return models.assign(
        created_at=true.where(true.notna(), models["created_at"]),
        created_at_floored=models["created_at_floored"].astype(bool) & true.isna().to_numpy(),
    )


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


def with_api_series(
    table: pd.DataFrame, api: pd.DataFrame, keys: list[str], columns: list[str]
) -> pd.DataFrame:
    """``table`` (on the chosen dates) with ``<column>_api``: the same counts on the Hub's
    ``createdAt`` (``api``: the same table computed with ``dated(models, "api")``), for figures
    that show the floored series beside the corrected one. Months without models on createdAt
    count 0 (a share is NaN)."""
    extra = api[keys + columns].rename(columns={c: f"{c}_api" for c in columns})
    out = table.merge(extra, on=keys, how="left", validate="one_to_one")
    for c in columns:
        name = f"{c}_api"
        if c == "share":
            out[name] = out[name].astype("float64")
        else:
            out[name] = out[name].fillna(0).astype("Int64")
    return out


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
    return out[CARD_SHARE_COLUMNS[:-2]]  # the createdAt series: with_api_series
