"""Helpers for the coding tests (no tests here): small forum tables in the forum stage's contract
shape, a drawn sample, the demo codebook, and sheet writers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
from testenv import ROOT

DEMO_CODEBOOK = ROOT / "workflow" / "resources" / "coding" / "demo_codebook.csv"
CATEGORIES = ["Beginners", "Transformers", "Datasets", "Spaces", "Models"]


def forum_tables(n_topics: int = 200, pinned: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """topics.parquet and posts.parquet of a small made-up forum (contract columns and dtypes)."""
    rng = np.random.default_rng(7)
    ids = np.arange(1000, 1000 + 3 * n_topics, 3, dtype="int64")
    created = pd.Timestamp("2021-01-01", tz="UTC") + pd.to_timedelta(
        np.arange(n_topics) * 3, unit="D"
    )
    posts_count = rng.integers(1, 6, n_topics).astype("int64")
    cats = [CATEGORIES[i % len(CATEGORIES)] for i in range(n_topics)]
    accepted = (np.arange(n_topics) % 3 == 0) & (posts_count > 1)
    topics = pd.DataFrame(
        {
            "topic_id": ids,
            "title": [f"Question number {i}" for i in range(n_topics)],
            "slug": [f"question-number-{i}" for i in range(n_topics)],
            "category_id": [CATEGORIES.index(c) + 1 for c in cats],
            "category": cats,
            "created_at": created,
            "last_posted_at": created + pd.Timedelta(days=1),
            "posts_count": posts_count,
            "reply_count": posts_count - 1,
            "views": rng.integers(10, 500, n_topics).astype("int64"),
            "like_count": rng.integers(0, 5, n_topics).astype("int64"),
            "tags": [[] for _ in range(n_topics)],
            "pinned": np.arange(n_topics) < pinned,
            "has_accepted_answer": accepted,
            "accepted_post_number": pd.array([2 if a else None for a in accepted], dtype="Int64"),
        }
    )
    rows = []
    pid = 1
    for t, n, c in zip(ids, posts_count, created, strict=True):
        for k in range(1, int(n) + 1):
            text = f"Post {k} of topic {t}. " + ("word " * 200 if k == 1 else "a reply")
            rows.append(
                {
                    "post_id": pid,
                    "topic_id": t,
                    "post_number": k,
                    "created_at": c + pd.Timedelta(hours=k),
                    "author": f"user{(pid * 7) % 13}",
                    "author_is_staff": k == 2,
                    "is_accepted_answer": False,
                    "reply_to_post_number": pd.NA if k == 1 else 1,
                    "text": text,
                    "text_length": len(text),
                }
            )
            pid += 1
    posts = pd.DataFrame(rows)
    posts["reply_to_post_number"] = posts["reply_to_post_number"].astype("Int64")
    return topics, posts


#: draw_sample's settings in the coding tests (a test overrides some)
SAMPLE_SETTINGS = dict(
    seed=1,
    sample_size=40,
    confidence=0.95,
    margin=0.045,
    proportion=0.5,
    stratify_by_category=False,
    exclude_pinned=True,
    coders=["ann", "bob"],
    overlap=0.25,
    excerpt_chars=80,
    url_template="https://forum.example/t/{slug}/{topic_id}",
)


def draw(topics: pd.DataFrame, posts: pd.DataFrame, **kw) -> tuple[pd.DataFrame, pd.Series]:
    """draw_sample with :data:`SAMPLE_SETTINGS`, updated by ``kw``."""
    from hfreuse.coding.sample import draw_sample

    return draw_sample(topics, posts, **{**SAMPLE_SETTINGS, **kw})


def small_sample(n_topics: int = 200, **kw) -> pd.DataFrame:
    """The sample drawn from :func:`forum_tables`."""
    sample, _ = draw(*forum_tables(n_topics), **kw)
    return sample


def demo_codebook() -> pd.DataFrame:
    from hfreuse.coding.codebook import read_codebook_csv

    return read_codebook_csv(DEMO_CODEBOOK)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def good_rows(sample: pd.DataFrame, coder: str) -> list[dict[str, str]]:
    """A valid filled sheet of ``coder``: one challenge per topic, plus a benefit on every
    second topic and a root cause on topics with an accepted answer."""
    from hfreuse.coding.sheets import build_sheet

    sheet = build_sheet(sample, coder)
    out = []
    for i, r in enumerate(sheet.to_dict("records")):
        out.append(
            {
                **r,
                "code": "cannot load model",
                "kind": "challenge",
                "category": "Model Usage and Understanding",
                "subcategory": "Checkpoints and weights",
            }
        )
        if i % 2:
            out.append(
                {
                    **r,
                    "code": "expert shows the API",
                    "kind": "benefit",
                    "category": "Expert Opinion and Solutions",
                    "subcategory": "API guidance",
                }
            )
        if r["has_accepted_answer"] == "yes":
            out.append(
                {
                    **r,
                    "code": "did not know the argument",
                    "kind": "root_cause",
                    "category": "User-related",
                    "subcategory": "Lack of API knowledge",
                }
            )
    return out
