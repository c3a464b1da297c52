"""Taxonomy tables: counts and shares per category and subcategory, by forum category, root causes.

Counts are coded instances (rows of the codes table) of the topics' primary coders, so a
double-coded topic counts once; ``topics`` is the number of distinct topics. In the paper source the
package publishes category counts only (the Codebook.xlsx Overview): subcategory counts and topic
counts are then missing (null), never invented.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

TAXONOMY_KINDS = ("challenge", "benefit")
TAXONOMY_COLUMNS = [
    "kind",
    "level",
    "category",
    "subcategory",
    "category_order",
    "subcategory_order",
    "count",
    "topics",
    "share",
    "share_of_category",
    "count_source",
]
TAXONOMY_DTYPES = {
    "kind": "str",
    "level": "str",
    "category": "str",
    "subcategory": "string",
    "category_order": "int64",
    "subcategory_order": "Int64",
    "count": "Int64",
    "topics": "Int64",
    "share": "Float64",
    "share_of_category": "Float64",
    "count_source": "str",
}
BY_FORUM_COLUMNS = ["kind", "forum_category", "category", "count", "topics", "share"]
ROOT_CAUSE_COUNT_COLUMNS = ["challenge_category", "root_cause_group", "root_cause", "count"]


def _category_rows(
    kind: str, kcb: pd.DataFrame, kcodes: pd.DataFrame, published_counts: pd.DataFrame | None
) -> tuple[list[dict[str, Any]], dict[str, int], int]:
    """The category rows of one kind (``kcb``: its codebook, ``kcodes``: its primary codes),
    the count per category and the kind's total."""
    cats = kcb.drop_duplicates("category").sort_values("category_order")
    if published_counts is not None:
        pub = published_counts[published_counts["kind"] == kind]
        cat_count = dict(zip(pub["category"], pub["count"].astype(int), strict=True))
        cat_topics: dict[str, int | None] = {}
        source = "published"
    else:
        cat_count = kcodes.groupby("category").size().to_dict()
        cat_topics = kcodes.groupby("category")["topic_id"].nunique().to_dict()
        source = "codes"
    total = sum(int(cat_count.get(c, 0)) for c in cats["category"])
    rows = []
    for c in cats.itertuples(index=False):
        n = int(cat_count.get(c.category, 0))
        rows.append(
            {
                "kind": kind,
                "level": "category",
                "category": c.category,
                "subcategory": None,
                "category_order": c.category_order,
                "subcategory_order": None,
                "count": n,
                "topics": None
                if published_counts is not None
                else int(cat_topics.get(c.category, 0)),
                "share": n / total if total else None,
                "share_of_category": None,
                "count_source": source,
            }
        )
    return rows, cat_count, total


def _subcategory_rows(
    kind: str,
    kcb: pd.DataFrame,
    kcodes: pd.DataFrame,
    published: bool,
    cat_count: dict[str, int],
    total: int,
) -> list[dict[str, Any]]:
    """The subcategory rows of one kind (no counts where only category counts are published)."""
    subs = kcb[kcb["subcategory"].notna()].sort_values(["category_order", "subcategory_order"])
    grouped = kcodes.groupby(["category", "subcategory"])
    sub_count = grouped.size().to_dict()
    sub_topics = grouped["topic_id"].nunique().to_dict()
    rows = []
    for s in subs.itertuples(index=False):
        if published:
            n = topics = share = of_cat = None
            src = "not published"
        else:
            n = int(sub_count.get((s.category, s.subcategory), 0))
            topics = int(sub_topics.get((s.category, s.subcategory), 0))
            share = n / total if total else None
            parent = int(cat_count.get(s.category, 0))
            of_cat = n / parent if parent else None
            src = "codes"
        rows.append(
            {
                "kind": kind,
                "level": "subcategory",
                "category": s.category,
                "subcategory": s.subcategory,
                "category_order": s.category_order,
                "subcategory_order": s.subcategory_order,
                "count": n,
                "topics": topics,
                "share": share,
                "share_of_category": of_cat,
                "count_source": src,
            }
        )
    return rows


def taxonomy_counts(
    codebook: pd.DataFrame,
    codes: pd.DataFrame,
    published_counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per codebook category (level 'category') and subcategory (level 'subcategory')
    of the challenge and benefit kinds, with counts and shares.

    With ``published_counts`` (kind, category, count; the paper source), category counts come
    from there and subcategory counts stay null.
    """
    cb = codebook[codebook["kind"].isin(TAXONOMY_KINDS)]
    prim = codes[codes["primary"] & codes["kind"].isin(TAXONOMY_KINDS)]
    rows = []
    for kind in TAXONOMY_KINDS:
        kcb = cb[cb["kind"] == kind]
        kcodes = prim[prim["kind"] == kind]
        cat_rows, cat_count, total = _category_rows(kind, kcb, kcodes, published_counts)
        rows += cat_rows
        published = published_counts is not None
        rows += _subcategory_rows(kind, kcb, kcodes, published, cat_count, total)
    out = pd.DataFrame(rows, columns=TAXONOMY_COLUMNS).astype(TAXONOMY_DTYPES)
    return out.sort_values(
        ["kind", "level", "category_order", "subcategory_order"], kind="mergesort"
    ).reset_index(drop=True)


def taxonomy_by_forum_category(codes: pd.DataFrame) -> pd.DataFrame:
    """Counts per kind, forum category and code category (primary coders' codes); share = share
    of that forum category's codes of that kind."""
    prim = codes[codes["primary"] & codes["kind"].isin(TAXONOMY_KINDS)].copy()
    prim["forum_category"] = prim["forum_category"].fillna("(no category)")
    g = prim.groupby(["kind", "forum_category", "category"])
    out = g.size().rename("count").to_frame()
    out["topics"] = g["topic_id"].nunique()
    out = out.reset_index()
    totals = out.groupby(["kind", "forum_category"])["count"].transform("sum")
    out["share"] = out["count"] / totals
    dtypes = {
        "kind": "str",
        "forum_category": "str",
        "category": "str",
        "count": "int64",
        "topics": "int64",
        "share": "float64",
    }
    return _typed_sorted(out, dtypes, BY_FORUM_COLUMNS, ["kind", "forum_category", "category"])


def root_cause_counts(root_causes: pd.DataFrame) -> pd.DataFrame:
    """Root causes (group and leaf) per challenge category of the question (primary coders)."""
    rc = root_causes[root_causes["primary"]].copy()
    rc["challenge_category"] = rc["challenge_category"].fillna("(no challenge code)")
    rc["root_cause"] = rc["root_cause"].fillna("(unspecified)")
    out = (
        rc.groupby(["challenge_category", "root_cause_group", "root_cause"])
        .size()
        .rename("count")
        .reset_index()
    )
    dtypes = {
        "challenge_category": "str",
        "root_cause_group": "str",
        "root_cause": "str",
        "count": "int64",
    }
    keys = ["challenge_category", "root_cause_group", "root_cause"]
    return _typed_sorted(out, dtypes, ROOT_CAUSE_COUNT_COLUMNS, keys)


def _typed_sorted(
    out: pd.DataFrame, dtypes: dict[str, str], columns: list[str], keys: list[str]
) -> pd.DataFrame:
    """``out`` with fixed dtypes, its columns in order and its rows sorted (stable) by ``keys``."""
    out = out.astype(dtypes)
    return out[columns].sort_values(keys, kind="mergesort").reset_index(drop=True)
