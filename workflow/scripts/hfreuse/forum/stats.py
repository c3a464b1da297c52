"""Descriptive forum statistics: topics per category over time, topic lengths, accepted answers.

All computed from ``results/forum/topics.parquet`` and ``posts.parquet``. Months and years are
those of topic creation (UTC). Pinned topics (category descriptions, announcements) are not
questions: they are left out of the topic-length distribution and of the accepted-answer shares,
and kept in the topic counts per category.
"""

from __future__ import annotations

import pandas as pd

from ..months import month_of, month_range

UNKNOWN_CATEGORY = "(unknown category)"
GROUPS = ["staff", "asker", "other"]  # who wrote an accepted answer


def topics_per_category_monthly(topics: pd.DataFrame) -> pd.DataFrame:
    """New and cumulative topics per category and creation month (full category x month grid).

    Columns: ``category`` (name of the top-level category: a subcategory's topics roll up into
    its parent, from ``parent_category``, else ``category`` for tables without it; topics in a
    category missing from /categories.json count under ``(unknown category)``), ``month`` (``YYYY-MM``), ``topics`` (created that month),
    ``cumulative_topics`` (created up to the end of that month) and ``partial_month`` (the last
    month of the snapshot, which the crawl date cuts short).
    """
    df = pd.DataFrame(
        {
            "category": topics[
                "parent_category" if "parent_category" in topics.columns else "category"
            ]
            .astype("object")
            .fillna(UNKNOWN_CATEGORY),
            "month": month_of(topics["created_at"]),
        }
    )
    cols = ["category", "month", "topics", "cumulative_topics", "partial_month"]
    if not len(df):
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in zip(cols, _DTYPES, strict=True)})
    months = month_range(df["month"].min(), df["month"].max())
    cats = sorted(df["category"].unique())
    grid = pd.MultiIndex.from_product([cats, months], names=["category", "month"])
    counts = df.groupby(["category", "month"]).size().reindex(grid, fill_value=0)
    out = counts.rename("topics").reset_index()
    out["topics"] = out["topics"].astype("int64")
    out["cumulative_topics"] = out.groupby("category")["topics"].cumsum().astype("int64")
    out["partial_month"] = out["month"] == months[-1]
    return _typed(out[cols])


_DTYPES = ["string", "string", "int64", "int64", "bool"]


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype(dict(zip(df.columns, _DTYPES, strict=True)))
    return out.sort_values(["category", "month"], kind="mergesort").reset_index(drop=True)


def posts_per_topic(topics: pd.DataFrame) -> pd.DataFrame:
    """Distribution of posts per topic over the non-pinned topics.

    One row per ``posts_count`` value that occurs: ``topics``, ``share`` of all non-pinned
    topics and ``cumulative_share``. ``posts_count`` 1 means no reply.
    """
    counts = topics.loc[~topics["pinned"], "posts_count"].astype("int64")
    dist = counts.value_counts().sort_index()
    total = int(dist.sum())
    out = pd.DataFrame(
        {
            "posts_count": dist.index.astype("int64"),
            "topics": dist.to_numpy().astype("int64"),
        }
    )
    out["share"] = (out["topics"] / total if total else out["topics"] * 0.0).astype("float64")
    out["cumulative_share"] = out["share"].cumsum().astype("float64")
    return out.reset_index(drop=True)


def accepted_answer_authors(topics: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """Who wrote each accepted answer of a non-pinned topic.

    ``author_group``: ``staff`` (Discourse staff or a configured staff group), ``asker`` (the
    topic's own author, not staff), ``other`` (another user), ``unknown`` (the accepted post is
    not in the snapshot).
    """
    acc = topics.loc[topics["has_accepted_answer"] & ~topics["pinned"]][
        ["topic_id", "created_at", "accepted_post_number"]
    ]
    first = posts.loc[posts["post_number"] == 1, ["topic_id", "author"]].rename(
        columns={"author": "asker"}
    )
    answers = posts.loc[
        posts["is_accepted_answer"], ["topic_id", "post_number", "author", "author_is_staff"]
    ].drop_duplicates("topic_id")
    df = acc.merge(answers, on="topic_id", how="left").merge(first, on="topic_id", how="left")
    group = pd.Series("other", index=df.index, dtype="object")
    group[df["author"].notna() & (df["author"] == df["asker"])] = "asker"
    group[df["author_is_staff"].fillna(False).astype(bool)] = "staff"
    group[df["post_number"].isna()] = "unknown"
    return pd.DataFrame(
        {
            "topic_id": df["topic_id"].astype("int64"),
            "year": df["created_at"].dt.tz_convert("UTC").dt.strftime("%Y"),
            "author_group": group,
        }
    )


def accepted_answers(topics: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """Accepted answers per topic-creation year and author group, with shares within the year.

    Full grid of the years that have accepted answers x the groups (``unknown`` only when it
    occurs).
    """
    who = accepted_answer_authors(topics, posts)
    groups = GROUPS + (["unknown"] if (who["author_group"] == "unknown").any() else [])
    years = sorted(who["year"].unique())
    grid = pd.MultiIndex.from_product([years, groups], names=["year", "author_group"])
    counts = who.groupby(["year", "author_group"]).size().reindex(grid, fill_value=0)
    out = counts.rename("accepted_answers").reset_index()
    out["accepted_answers"] = out["accepted_answers"].astype("int64")
    per_year = out.groupby("year")["accepted_answers"].transform("sum")
    out["share"] = (out["accepted_answers"] / per_year).astype("float64")
    order = {g: i for i, g in enumerate(groups)}
    out["_o"] = out["author_group"].map(order)
    out = out.sort_values(["year", "_o"], kind="mergesort").drop(columns="_o")
    return out.astype({"year": "string", "author_group": "string"}).reset_index(drop=True)


def summary(topics: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """Headline numbers of the forum snapshot: ``metric`` (name) and ``value`` (float)."""
    regular = topics.loc[~topics["pinned"]]
    n_reg = len(regular)
    who = accepted_answer_authors(topics, posts)
    n_acc = len(who)
    counts = who["author_group"].value_counts()

    def share(num: float, den: float) -> float:
        return float(num) / float(den) if den else float("nan")

    rows = [
        ("topics", len(topics)),
        ("pinned_topics", int(topics["pinned"].sum())),
        ("posts", len(posts)),
        ("categories_with_topics", topics["category"].astype("object").nunique(dropna=False)),
        ("authors", posts["author"].nunique()),
        ("mean_posts_per_topic", share(regular["posts_count"].sum(), n_reg)),
        ("median_posts_per_topic", float(regular["posts_count"].median()) if n_reg else None),
        ("share_topics_without_reply", share((regular["posts_count"] <= 1).sum(), n_reg)),
        ("share_topics_over_20_posts", share((regular["posts_count"] > 20).sum(), n_reg)),
        ("topics_with_accepted_answer", n_acc),
        ("share_topics_with_accepted_answer", share(n_acc, n_reg)),
        ("share_accepted_by_staff", share(counts.get("staff", 0), n_acc)),
        ("share_accepted_by_asker", share(counts.get("asker", 0), n_acc)),
        ("share_accepted_by_other", share(counts.get("other", 0), n_acc)),
    ]
    return pd.DataFrame(
        {
            "metric": pd.Series([r[0] for r in rows], dtype="string"),
            "value": pd.Series(
                [float("nan") if r[1] is None else float(r[1]) for r in rows], dtype="float64"
            ),
        }
    )
