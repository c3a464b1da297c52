"""Checks that the report's words follow the run's tables (issue 19 item 4), for runs of the
workflow that tests make: every count and top list of the summary recomputed from the table it
names, the model types the text names equal to those the RQ3 figure draws, the forum named as
crawled, and no sentence saying what another contradicts."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import pandas as pd
from hfreuse.charts import shown_model_types
from hfreuse.report.summary import summary_topics


def facts(wf: Path) -> dict[tuple[str, str], dict]:
    table = pd.read_parquet(wf / "results/report/summary.parquet")
    return {(r["section"], r["key"]): r for r in table.to_dict("records")}


def value(f: dict, section: str, key: str):
    row = f[(section, key)]
    return row["label"] if pd.isna(row["value"]) else row["value"]


def figure_types(wf: Path, name: str) -> list[str]:
    """The model types a figure colours (the domain of its colour scale)."""
    spec = json.loads((wf / f"results/figures/{name}.json").read_text())
    found: list[list[str]] = []

    def walk(node):
        if isinstance(node, dict):
            color = node.get("color")
            if isinstance(color, dict) and color.get("field") == "model_type":
                found.append(list(color.get("scale", {}).get("domain") or []))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found[0] if found else []


def check_words_follow_tables(wf: Path, top_n: int = 5, rank_by: str = "hub") -> None:
    f = facts(wf)
    res = wf / "results"
    models = pd.read_parquet(res / "hub/models.parquet")
    floored = models[models["created_at_floored"]]
    dated = int((floored["created_at_source"] == "first_commit").sum())
    assert value(f, "hub", "models") == len(models)
    assert value(f, "hub", "typed") == models["model_type"].notna().sum()
    assert value(f, "hub", "with_card_data") == models["has_card_data"].sum()
    assert value(f, "hub", "floored") == len(floored)
    if len(floored):
        assert value(f, "hub", "floored_dated") == dated
        if dated < len(floored):
            assert value(f, "hub", "floored_undated") == len(floored) - dated
        else:
            assert ("hub", "floored_undated") not in f
    # the RQ3 figures' model types, chosen once: text == figure == the rule on the table
    totals = pd.read_parquet(res / "stats/model_totals.parquet")
    shown = shown_model_types(totals, top_n, rank_by)
    said = [value(f, "hub_types", f"shown_{i}") for i in range(1, len(shown) + 1)]
    assert said == shown == figure_types(wf, "hub_model_types")
    assert ("hub_types", f"shown_{len(shown) + 1}") not in f
    # the forum: its size, its largest categories, its name
    topics = pd.read_parquet(res / "forum/topics.parquet")
    assert value(f, "forum", "topics") == len(topics)
    per = pd.read_parquet(res / "forum/topics_per_category_monthly.parquet")
    cats = per.groupby("category")["topics"].sum().reset_index()
    cats = cats.sort_values(["topics", "category"], ascending=[False, True], kind="mergesort")
    assert value(f, "forum", "categories") == len(cats)
    for i, row in enumerate(cats.head(top_n).itertuples(), start=1):
        assert (value(f, "forum", f"top_{i}"), value(f, "forum", f"top_{i}_topics")) == (
            row.category,
            row.topics,
        )
    site = pd.read_parquet(res / "forum/site.parquet").iloc[0]
    assert value(f, "forum", "forum_host") == site["host"]
    assert value(f, "forum", "forum_title") == site["title"]
    mentions = pd.read_parquet(res / "trends/forum_model_mentions_monthly.parquet")
    m_totals = mentions.groupby("model_type")["topics"].sum()
    assert value(f, "mentions", "model_types") == int((m_totals > 0).sum())
    # every sentence is in the report as the summary says it; no sentence contradicts another
    page = htmllib.unescape((res / "report.html").read_text(encoding="utf-8"))
    sentences = [
        s for t in summary_topics(str(res / "report/summary.parquet")) for s in t.sentences
    ]
    for sentence in sentences:
        assert sentence in page, sentence
    text = " ".join(sentences)
    if dated == len(floored):
        assert not re.search(r"true creation month (is earlier and )?unknown", text)
    assert "HuggingFace forum" not in page
