"""The taxonomy sunbursts at a paper's column (issue 22 item 3): in the paper style two-level
ranked bars one column wide; outer rings and second-level bars only where subcategory counts
exist, never equal arcs or bars; every count printed once. Built from small in-memory tables (and
the replication package's own, when present) through the figure registry, as the plot rule does."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import vl_convert as vlc
import yaml
from conftest import shared_path
from hfreuse import palette
from hfreuse.charts import styled
from hfreuse.coding.paper import (
    load_mappings,
    read_overview,
    read_package_codebook,
    read_root_causes,
)
from hfreuse.coding.taxonomy import root_cause_counts, taxonomy_counts
from hfreuse.figures import builder_args, draw, load_registry
from vega import leaves, mark

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = load_registry(ROOT / "workflow/figures.yaml", ROOT / "workflow/report/captions")
SUNBURSTS = ("challenges_sunburst", "benefits_sunburst", "root_causes_sunburst")
COLUMN_PT = 252  # one column of the IEEE two-column format
MIN_FONT_PT = 7
SOURCE = {"synthetic": False, "coding_note": "source: test tables"}


def _taxonomy(sub_counts: bool | None = True) -> pd.DataFrame:
    """A taxonomy_counts table: Memory & Performance (90: GPU 50, Speed 40) and Spaces (30:
    Hardware 20, Billing 10), in codebook order opposite to the counts. ``sub_counts`` False: no
    subcategory counts (as the paper source); None: Spaces' only."""
    cats = [("Spaces", 0, 30), ("Memory & Performance", 1, 90)]
    subs = [
        ("Spaces", 0, "Billing", 0, 10),
        ("Spaces", 0, "Hardware", 1, 20),
        ("Memory & Performance", 1, "Speed", 0, 40),
        ("Memory & Performance", 1, "GPU & Optimization", 1, 50),
    ]
    rows = [
        {"kind": "challenge", "level": "category", "category": c, "subcategory": None}
        | {"category_order": o, "subcategory_order": None, "count": n, "count_source": "codes"}
        for c, o, n in cats
    ]
    for c, o, s, so, n in subs:
        known = sub_counts or (sub_counts is None and c == "Spaces")
        rows.append(
            {"kind": "challenge", "level": "subcategory", "category": c, "subcategory": s}
            | {"category_order": o, "subcategory_order": so, "count": n if known else None}
            | {"count_source": "codes" if known else "not published"}
        )
    return pd.DataFrame(rows).astype({"count": "Int64", "subcategory_order": "Int64"})


def _config(style: str) -> dict:
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["figures"]["style"] = style
    return config


def _figure(name: str, tables: dict, style: str) -> dict:
    """The figure's spec as the plot rule draws it (registry settings of a run in ``style``)."""
    entry = REGISTRY[name]
    return draw(entry["builder"], tables, builder_args(entry, _config(style), SOURCE)).to_dict()


def _rows(spec: dict) -> list[dict]:
    (rows,) = spec["datasets"].values()
    return rows


def _notes(spec: dict) -> list[str]:
    return spec["title"]["subtitle"]


def _svg(spec: dict, style: str) -> str:
    return vlc.vegalite_to_svg(styled(spec, style))


def _svg_width_pt(svg: str) -> float:
    width = re.search(r'<svg[^>]* width="([\d.]+)"', svg[:600])
    assert width, "no width on <svg>"
    return float(width.group(1))


def _texts(svg: str) -> list[str]:
    """The text of every <text> element of an SVG (its lines joined by spaces)."""
    found = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, flags=re.S)
    return [re.sub(r"<[^>]+>", " ", t).replace("&amp;", "&") for t in found]


def test_the_paper_style_draws_sorted_two_level_bars_not_arcs():
    spec = _figure("challenges_sunburst", {"counts": _taxonomy()}, "paper")
    marks = {mark(layer) for layer in leaves(spec)}
    assert "arc" not in marks and "rect" in marks
    rows = _rows(spec)
    # categories sorted by count, each followed by its subcategories sorted by count
    assert [r["name"] for r in rows] == [
        "Memory & Performance", "GPU & Optimization", "Speed", "Spaces", "Hardware", "Billing",
    ]  # fmt: skip
    assert [r["count"] for r in rows] == [90, 50, 40, 30, 20, 10]
    assert [r["level"] for r in rows] == ["category", "subcategory", "subcategory"] * 2
    tops = [r["y"] for r in rows]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    # a bar per row, as long as its count, in its category's colour of the challenge family
    (bars,) = [layer for layer in leaves(spec) if mark(layer) == "rect"]
    assert bars["encoding"]["x"]["field"] == "zero" and bars["encoding"]["x2"]["field"] == "count"
    colour = bars["encoding"]["color"]
    assert colour["field"] == "parent"
    assert colour["scale"]["domain"] == ["Memory & Performance", "Spaces"]
    assert colour["scale"]["range"] == palette.colors(colour["scale"]["domain"], "challenge")
    # the report style keeps the sunburst
    report = _figure("challenges_sunburst", {"counts": _taxonomy()}, "report")
    assert "arc" in {mark(layer) for layer in leaves(report)}


@pytest.mark.parametrize("style", ["report", "paper"])
def test_every_count_is_printed_once(style):
    spec = _figure("challenges_sunburst", {"counts": _taxonomy()}, style)
    words = " ".join(_texts(_svg(spec, style)))
    numbers = re.findall(r"\d+", words)
    for count in ("90", "50", "40", "30", "20", "10"):
        assert numbers.count(count) == 1, (style, count, words)


def test_no_equal_arcs_or_bars_where_subcategory_counts_are_missing():
    counts = _taxonomy(sub_counts=False)
    report = _figure("challenges_sunburst", {"counts": counts}, "report")
    assert [r["name"] for r in _rows(report)] == ["Memory & Performance", "Spaces"]  # inner only
    assert {r["ring"] for r in _rows(report)} == {"inner"}
    assert "inner ring: categories" in _notes(report)[0] and "outer ring" not in _notes(report)[0]
    assert "subcategory counts are not published: outer ring not drawn" in _notes(report)
    paper = _figure("challenges_sunburst", {"counts": counts}, "paper")
    rows = _rows(paper)
    assert [(r["level"], r["name"], r["count"]) for r in rows] == [
        ("category", "Memory & Performance", 90),
        ("list", "Speed\u00a0· GPU & Optimization", None),  # named in codebook order, no bar
        ("category", "Spaces", 30),
        ("list", "Billing\u00a0· Hardware", None),
    ]
    assert [r["count_label"] for r in rows] == ["90", "", "30", ""]
    assert [r["bar_y"] is None for r in rows] == [False, True, False, True]
    assert "subcategory counts are not published: subcategories listed without bars" in (
        _notes(paper)
    )
    # counts known for one category only: its subcategories sized, the other's not drawn
    partial = _figure("challenges_sunburst", {"counts": _taxonomy(sub_counts=None)}, "report")
    outer = [r["name"] for r in _rows(partial) if r["ring"] == "outer"]
    assert outer == ["Billing", "Hardware"]
    note = "the subcategory counts of 1 of 2 categories are not published"
    assert f"{note}: those categories have no outer arcs" in _notes(partial)


def _package_tables() -> dict[str, dict]:
    """The registry's sunburst tables from the replication package, read as the paper import
    reads it (skipped without the package)."""
    package = shared_path("replication", "Replication Package")
    maps = load_mappings(ROOT / "workflow/resources/paper/coding_mappings.yaml")
    book = read_package_codebook(
        package / "Codebooks/Challenges.csv", package / "Codebooks/Benefits.csv", maps
    )
    published = read_overview(package / "Codebooks/Codebook.xlsx", book, maps)
    no_codes = pd.DataFrame(
        {"primary": pd.Series(dtype=bool), "kind": pd.Series(dtype=str)}
        | {c: pd.Series(dtype=str) for c in ("category", "subcategory", "topic_id")}
    )
    counts = taxonomy_counts(book, no_codes, published)
    causes = read_root_causes(package / "Coded Data/Root_Causes.csv", book, maps)
    return {
        "challenges_sunburst": {"counts": counts},
        "benefits_sunburst": {"counts": counts},
        "root_causes_sunburst": {"rc_counts": root_cause_counts(causes)},
    }


def _assert_fits_a_column(name: str, spec: dict) -> None:
    svg = _svg(spec, "paper")
    width = _svg_width_pt(svg)
    assert width <= COLUMN_PT, f"{name}: {width} pt wide, a column is {COLUMN_PT} pt"
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)px"', svg)]
    assert sizes and min(sizes) >= MIN_FONT_PT, (name, sorted(set(sizes)))
    # placed at column width (scaled by COLUMN_PT / width >= 1) no text gets smaller either


def test_the_paper_figures_fit_one_column_with_no_text_under_7pt():
    small = {"counts": _taxonomy()}
    _assert_fits_a_column("small", _figure("challenges_sunburst", small, "paper"))
    tables = _package_tables()
    for name in SUNBURSTS:
        spec = _figure(name, tables[name], "paper")
        _assert_fits_a_column(name, spec)
        assert "arc" not in {mark(layer) for layer in leaves(spec)}, name
    # the package's subcategories: listed by name, never as bars
    rows = _rows(_figure("challenges_sunburst", tables["challenges_sunburst"], "paper"))
    assert not [r for r in rows if r["level"] == "subcategory"]
    assert len([r for r in rows if r["level"] == "category"]) == 17
    # its root causes are counted: sized second-level bars
    causes = _rows(_figure("root_causes_sunburst", tables["root_causes_sunburst"], "paper"))
    assert sum(r["count"] for r in causes if r["level"] == "subcategory") == 72


def _caption(name: str, source: str, style: str) -> str:
    """The figure's caption as the reports show it, as plain text."""
    from hfreuse.report.html import rst_to_html

    config = _config(style) | {"source": source}
    path = ROOT / "workflow/report/captions" / f"{name}.rst"
    html = rst_to_html(path.read_text(), str(path), {"snakemake": {"config": config}})
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_captions_say_what_is_drawn():
    for name in ("challenges_sunburst", "benefits_sunburst"):
        paper_bars = _caption(name, "paper", "paper")
        assert "ranked bars" in paper_bars and "sunburst" not in paper_bars, name
        assert "subcategories are listed by name under their category, without bars" in paper_bars
        rings = _caption(name, "paper", "report")
        assert "only the inner ring is drawn" in rings and "evenly" not in rings, name
        assert "a category's count is in the legend" in _caption(name, "demo", "report"), name
    assert "ranked bars" in _caption("root_causes_sunburst", "demo", "paper")
