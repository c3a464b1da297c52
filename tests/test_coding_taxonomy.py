"""Taxonomy counts and the taxonomy figures (asserted on the Vega-Lite spec)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hfreuse.coding.charts import (
    root_causes_by_challenge,
    root_causes_sunburst,
    sunburst_frame,
    taxonomy_bars,
    taxonomy_sunburst,
)
from hfreuse.coding.codebook import finish_codebook
from hfreuse.coding.sheet_import import CODES_COLUMNS, CODES_DTYPES, root_causes_from_codes
from hfreuse.coding.taxonomy import root_cause_counts, taxonomy_by_forum_category, taxonomy_counts


@pytest.fixture
def book():
    rows = [
        ("challenge", "Memory", "GPU"),
        ("challenge", "Memory", "Speed"),
        ("challenge", "Spaces", ""),
        ("challenge", "Rare", ""),
        ("benefit", "Help", "Expert"),
        ("benefit", "Help", "Peer"),
        ("root_cause", "User", "API"),
        ("root_cause", "HF", "Docs"),
    ]
    return finish_codebook(
        [dict(kind=k, category=c, subcategory=s, definition="d", example="e") for k, c, s in rows],
        "test",
    )


def _codes(rows):
    recs = [
        dict(
            coder=c,
            topic_id=t,
            row=i + 2,
            kind=k,
            category=cat,
            subcategory=sub,
            code=f"code {i}",
            notes=None,
            forum_category=f,
            primary=p,
        )
        for i, (c, t, k, cat, sub, f, p) in enumerate(rows)
    ]
    return pd.DataFrame(recs, columns=CODES_COLUMNS).astype(CODES_DTYPES)


@pytest.fixture
def codes():
    return _codes(
        [
            ("ann", 1, "challenge", "Memory", "GPU", "Beginners", True),
            ("ann", 1, "challenge", "Memory", "GPU", "Beginners", True),  # a repeated code
            ("ann", 2, "challenge", "Memory", "Speed", "Beginners", True),
            ("ann", 3, "challenge", "Spaces", None, "Spaces", True),
            ("ann", 3, "benefit", "Help", "Peer", "Spaces", True),
            ("ann", 3, "root_cause", "User", "API", "Spaces", True),
            ("bob", 3, "challenge", "Memory", "Speed", "Spaces", False),  # second coder
            ("bob", 3, "root_cause", "HF", "Docs", "Spaces", False),
        ]
    )


def test_taxonomy_counts_from_codes(book, codes):
    t = taxonomy_counts(book, codes).set_index(
        ["kind", "level", "category", "subcategory"], drop=False
    )
    cat = t[(t["kind"] == "challenge") & (t["level"] == "category")].set_index("category")
    # primary coders only: Memory 3 codes on 2 topics, Spaces 1, Rare 0; total 4
    assert cat["count"].to_dict() == {"Memory": 3, "Spaces": 1, "Rare": 0}
    assert cat["topics"].to_dict() == {"Memory": 2, "Spaces": 1, "Rare": 0}
    assert cat.loc["Memory", "share"] == pytest.approx(0.75)
    sub = t[(t["kind"] == "challenge") & (t["level"] == "subcategory")].set_index("subcategory")
    assert sub["count"].to_dict() == {"GPU": 2, "Speed": 1}
    assert sub.loc["GPU", "share_of_category"] == pytest.approx(2 / 3)
    assert sub.loc["GPU", "share"] == pytest.approx(0.5)
    ben = t[(t["kind"] == "benefit") & (t["level"] == "subcategory")].set_index("subcategory")
    assert ben["count"].to_dict() == {"Expert": 0, "Peer": 1}
    assert set(t["count_source"]) == {"codes"}
    assert "root_cause" not in set(t["kind"])


def test_taxonomy_counts_from_published_counts(book, codes):
    published = pd.DataFrame(
        {
            "kind": ["challenge"] * 3 + ["benefit"],
            "category": ["Memory", "Spaces", "Rare", "Help"],
            "count": [10, 5, 5, 7],
        }
    )
    t = taxonomy_counts(book, codes.iloc[0:0], published)
    cat = t[t["level"] == "category"].set_index("category")
    assert cat["count"].to_dict() == {"Help": 7, "Memory": 10, "Spaces": 5, "Rare": 5}
    assert cat.loc["Memory", "share"] == pytest.approx(0.5)
    assert cat["topics"].isna().all()
    sub = t[t["level"] == "subcategory"]
    assert sub["count"].isna().all() and (sub["count_source"] == "not published").all()


def test_by_forum_category_and_root_causes(codes):
    by = taxonomy_by_forum_category(codes)
    ch = by[by["kind"] == "challenge"].set_index(["forum_category", "category"])
    assert ch["count"].to_dict() == {("Beginners", "Memory"): 3, ("Spaces", "Spaces"): 1}
    assert ch.loc[("Beginners", "Memory"), "share"] == 1.0
    roots = root_causes_from_codes(codes)
    assert len(roots) == 2
    ann = roots[roots["coder"] == "ann"].iloc[0]
    assert (ann["challenge_category"], ann["root_cause_group"], ann["root_cause"]) == (
        "Spaces",
        "User",
        "API",
    )
    bob = roots[roots["coder"] == "bob"].iloc[0]
    assert bob["challenge_category"] == "Memory" and bob["question_code"] == "code 6"
    rc = root_cause_counts(roots)  # primary only
    assert rc.to_dict("records") == [
        {
            "challenge_category": "Spaces",
            "root_cause_group": "User",
            "root_cause": "API",
            "count": 1,
        }
    ]


def test_sunburst_geometry():
    inner = pd.DataFrame({"name": ["A", "B", "Z"], "count": [3, 1, 0]})
    outer = pd.DataFrame(
        {"parent": ["A", "A", "B"], "name": ["a1", "a2", "b1"], "count": [2, 1, 1]}
    )
    arcs = sunburst_frame(inner, outer, 400).set_index("name")
    assert "Z" not in arcs.index  # empty categories are not drawn
    assert arcs.loc["A", "theta"] == 0 and arcs.loc["A", "theta2"] == pytest.approx(1.5 * math.pi)
    assert arcs.loc["a1", "theta2"] == pytest.approx(math.pi)  # 2/3 of A's arc
    assert arcs.loc["a2", "theta2"] == pytest.approx(arcs.loc["A", "theta2"])
    assert arcs.loc["b1", "theta"] == pytest.approx(1.5 * math.pi)
    assert arcs.loc["a1", "radius"] == arcs.loc["A", "radius2"]  # rings touch
    assert arcs.loc["a1", "label"] == "a1 (2)" and arcs.loc["A", "label"] == ""  # legend: (3)
    unknown = outer.assign(count=pd.NA)
    bare = sunburst_frame(inner, unknown, 400)
    assert list(bare["ring"]) == ["inner", "inner"]  # no outer arcs without counts, never even


def test_taxonomy_figures_spec(book, codes):
    t = taxonomy_counts(book, codes)
    spec = taxonomy_sunburst(t, "challenge", size=400, synthetic=True, source_note="src").to_dict()
    assert spec["title"]["text"] == "Challenges: categories and subcategories"
    assert spec["title"]["subtitle"][0].startswith("SYNTHETIC")
    arcs = spec["layer"][0]
    assert arcs["mark"]["type"] == "arc"
    assert arcs["encoding"]["theta"]["scale"] is None
    data = next(iter(spec["datasets"].values()))
    inner = {d["name"]: d["count"] for d in data if d["ring"] == "inner"}
    assert inner == {"Memory": 3, "Spaces": 1}
    assert {d["label"] for d in data if d["ring"] == "outer"} == {"GPU (2)", "Speed (1)"}
    bars = taxonomy_bars(t, "challenge", width=300, synthetic=False, source_note="src").to_dict()
    rows = next(iter(bars["datasets"].values()))
    assert [r["category"] for r in rows] == ["Memory", "Spaces", "Rare"]
    assert rows[0]["label"] == "3 (75.0%)"
    assert bars["layer"][0]["encoding"]["y"]["sort"] == ["Memory", "Spaces", "Rare"]


def test_root_cause_figures_spec(codes):
    rc = root_cause_counts(root_causes_from_codes(codes.assign(primary=True)))
    spec = root_causes_sunburst(rc, size=400, synthetic=False, source_note="src").to_dict()
    data = next(iter(spec["datasets"].values()))
    assert {d["name"] for d in data if d["ring"] == "inner"} == {"User", "HF"}
    assert spec["title"]["subtitle"][0].startswith("2 accepted answers")
    bars = root_causes_by_challenge(rc, width=300, synthetic=False, source_note="src").to_dict()
    assert bars["encoding"]["y"]["sort"] == ["Memory", "Spaces"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["HF", "User"]
