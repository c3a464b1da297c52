"""Forum statistics and charts on a small hand-made forum whose numbers are computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hfreuse import palette
from hfreuse.charts import SYNTHETIC_NOTE
from hfreuse.forum import stats as fs
from hfreuse.forum.charts import (
    binned_posts,
    build_accepted_answers,
    build_beginners_vs_intermediate,
    build_posts_per_topic,
    build_topics_per_category,
)


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


@pytest.fixture
def forum() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six topics, 2021-01..2022-01:

    1 A 2021-01  1 post
    2 A 2021-03  3 posts, answer = post 2 by staff
    3 B 2021-03  2 posts, answer = post 2 by the asker
    4 ? 2021-02  25 posts (category unknown), answer = post 5 by another user
    5 B 2022-01  1 post, pinned
    6 A 2022-01  4 posts, accepted post 3 missing from the posts table
    """
    topics = pd.DataFrame(
        {
            "topic_id": [1, 2, 3, 4, 5, 6],
            "category": ["A", "A", "B", None, "B", "A"],
            "created_at": [
                ts("2021-01-15"),
                ts("2021-03-02"),
                ts("2021-03-20"),
                ts("2021-02-10"),
                ts("2022-01-01"),
                ts("2022-01-05"),
            ],
            "posts_count": [1, 3, 2, 25, 1, 4],
            "pinned": [False, False, False, False, True, False],
            "has_accepted_answer": [False, True, True, True, False, True],
            "accepted_post_number": pd.array([None, 2, 2, 5, None, 3], dtype="Int64"),
        }
    )
    rows = [
        (1, 1, "u1", False, False),
        (2, 1, "u2", False, False),
        (2, 2, "s1", True, True),
        (2, 3, "u2", False, False),
        (3, 1, "u3", False, False),
        (3, 2, "u3", False, True),
        *[(4, n, f"u{n}", False, n == 5) for n in range(1, 26)],
        (5, 1, "s1", True, False),
        (6, 1, "u9", False, False),
        (6, 2, "u8", False, False),
        (6, 4, "u9", False, False),
    ]
    posts = pd.DataFrame(
        rows,
        columns=["topic_id", "post_number", "author", "author_is_staff", "is_accepted_answer"],
    )
    return topics, posts


def test_topics_per_category_monthly(forum):
    topics, _ = forum
    out = fs.topics_per_category_monthly(topics)
    months = [f"2021-{m:02d}" for m in range(1, 13)] + ["2022-01"]
    assert out["category"].unique().tolist() == [fs.UNKNOWN_CATEGORY, "A", "B"]
    assert len(out) == 3 * 13
    a = out[out["category"] == "A"].set_index("month")
    assert a.index.tolist() == months
    assert a["topics"].to_dict() == {m: int(m in ("2021-01", "2021-03", "2022-01")) for m in months}
    assert a.loc["2021-02", "cumulative_topics"] == 1
    assert a.loc["2021-12", "cumulative_topics"] == 2
    assert a.loc["2022-01", "cumulative_topics"] == 3
    b = out[out["category"] == "B"].set_index("month")
    assert b.loc["2022-01", "cumulative_topics"] == 2  # the pinned topic counts here
    assert out.loc[out["category"] == fs.UNKNOWN_CATEGORY, "topics"].sum() == 1
    assert out.loc[out["partial_month"], "month"].unique().tolist() == ["2022-01"]
    assert out.dtypes.astype(str).tolist() == ["string", "string", "int64", "int64", "bool"]
    assert fs.topics_per_category_monthly(topics.iloc[:0]).empty


def test_posts_per_topic_leaves_pinned_topics_out(forum):
    topics, _ = forum
    out = fs.posts_per_topic(topics)
    assert out["posts_count"].tolist() == [1, 2, 3, 4, 25]
    assert out["topics"].tolist() == [1, 1, 1, 1, 1]
    assert out["share"].tolist() == [0.2] * 5
    assert out["cumulative_share"].round(9).tolist() == [0.2, 0.4, 0.6, 0.8, 1.0]
    bins = binned_posts(out).set_index("posts")
    assert bins.loc["1 (no reply)", "share"] == 0.2 and bins.loc["21-50", "topics"] == 1
    assert bins.loc["6-10", "topics"] == 0 and bins["topics"].sum() == 5


def test_accepted_answers_by_staff_asker_and_others(forum):
    topics, posts = forum
    who = fs.accepted_answer_authors(topics, posts).set_index("topic_id")["author_group"]
    assert who.to_dict() == {2: "staff", 3: "asker", 4: "other", 6: "unknown"}
    out = fs.accepted_answers(topics, posts)
    assert out[["year", "author_group", "accepted_answers"]].values.tolist() == [
        ["2021", "staff", 1],
        ["2021", "asker", 1],
        ["2021", "other", 1],
        ["2021", "unknown", 0],
        ["2022", "staff", 0],
        ["2022", "asker", 0],
        ["2022", "other", 0],
        ["2022", "unknown", 1],
    ]
    assert out["share"].round(6).tolist() == [0.333333] * 3 + [0.0] * 4 + [1.0]


def test_summary_numbers(forum):
    topics, posts = forum
    got = fs.summary(topics, posts).set_index("metric")["value"].to_dict()
    assert got["topics"] == 6 and got["pinned_topics"] == 1 and got["posts"] == len(posts)
    assert got["categories_with_topics"] == 3  # A, B and the unknown one
    assert got["mean_posts_per_topic"] == (1 + 3 + 2 + 25 + 4) / 5
    assert got["median_posts_per_topic"] == 3
    assert got["share_topics_without_reply"] == 0.2
    assert got["share_topics_over_20_posts"] == 0.2
    assert got["topics_with_accepted_answer"] == 4
    assert got["share_topics_with_accepted_answer"] == 0.8
    assert got["share_accepted_by_staff"] == got["share_accepted_by_asker"] == 0.25
    assert got["share_accepted_by_other"] == 0.25
    empty = fs.summary(topics.iloc[:0], posts.iloc[:0]).set_index("metric")["value"]
    assert empty["topics"] == 0 and math.isnan(empty["share_topics_without_reply"])


# --- charts ------------------------------------------------------------------------------------


def test_topics_per_category_chart(forum):
    monthly = fs.topics_per_category_monthly(forum[0])
    spec = build_topics_per_category(monthly, top_n=2, synthetic=True).to_dict()
    assert spec["title"]["text"] == "Forum: topics per category over time"
    assert spec["title"]["subtitle"][0] == SYNTHETIC_NOTE
    assert "1 smaller categories with 1 topics not shown" in spec["title"]["subtitle"]
    line = next(layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "line")
    assert line["encoding"]["color"]["sort"] == ["A", "B"]
    # each category in its fixed colour (the palette, not a scheme by position)
    assert line["encoding"]["color"]["scale"]["domain"] == ["A", "B"]
    assert line["encoding"]["color"]["scale"]["range"] == palette.colors(
        ["A", "B"], "forum_category"
    )
    values = spec["datasets"][line["data"]["name"]] if "data" in line else None
    values = values or next(v for v in spec["datasets"].values() if "category" in v[0])
    assert {v["category"] for v in values} == {"A", "B"}
    assert max(v["cumulative_topics"] for v in values if v["category"] == "A") == 3


def test_beginners_vs_intermediate_chart_names_missing_categories(forum):
    monthly = fs.topics_per_category_monthly(forum[0])
    spec = build_beginners_vs_intermediate(monthly, ["A", "B"]).to_dict()
    assert spec["title"]["text"] == "A vs B: topics over time"
    assert "A: 3 topics, B: 2 topics (ratio 1.5)" in spec["title"]["subtitle"]
    assert SYNTHETIC_NOTE not in spec["title"]["subtitle"]
    spec = build_beginners_vs_intermediate(monthly).to_dict()  # a forum without them
    assert "No topics in: Beginners, Intermediate" in spec["title"]["subtitle"]


def test_posts_per_topic_chart(forum):
    spec = build_posts_per_topic(fs.posts_per_topic(forum[0])).to_dict()
    assert "20.0% of 5 topics have no reply" in spec["title"]["subtitle"][0]
    values = next(iter(spec["datasets"].values()))
    assert [v["posts"] for v in values][:2] == ["1 (no reply)", "2"]
    assert spec["layer"][0]["encoding"]["x"]["sort"][-1] == "over 50"
    # unequal bins are labelled as categories: single counts and grouped bins told apart
    kinds = {v["posts"]: v["bin"] for v in values}
    assert kinds["5"] == "one post count" and kinds["6-10"] == "several post counts (bin)"
    assert "categories" in spec["layer"][0]["encoding"]["x"]["title"]


def test_accepted_answers_chart(forum):
    spec = build_accepted_answers(fs.accepted_answers(*forum)).to_dict()
    assert spec["title"]["subtitle"][0] == (
        "4 accepted answers written by: staff 25%, the asker 25%, other users 25%, "
        "unknown (post missing) 25%"
    )
    assert spec["encoding"]["color"]["scale"]["domain"] == [
        "staff",
        "the asker",
        "other users",
        "unknown (post missing)",
    ]
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["axis"]["format"] == ",d"  # counts: whole-number ticks


def test_accepted_answers_chart_fades_a_partial_last_year(forum):
    """A year the snapshot cuts short is faded and labelled partial, not drawn like a decline."""
    table = fs.accepted_answers(*forum)
    monthly = fs.topics_per_category_monthly(forum[0])  # 2021-01..2022-01: 2022 is partial
    spec = build_accepted_answers(table, monthly).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {v["year"] for v in values if v["partial"]} == {"2022"}
    assert spec["encoding"]["opacity"]["condition"]["test"] == "datum.partial"
    assert "(partial, to 2022-01)" in spec["encoding"]["x"]["axis"]["labelExpr"]
    assert any("2022 is partial" in s for s in spec["title"]["subtitle"])
    # a snapshot ending with a full December: no partial year
    full = monthly[monthly["month"] <= "2021-12"].assign(partial_month=False)
    spec = build_accepted_answers(table, full).to_dict()
    assert not any(v["partial"] for v in next(iter(spec["datasets"].values())))
