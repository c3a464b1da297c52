"""Camera-ready figures: PNG resolution (an N-ppi PNG of a W-pt figure is W * N / 72 px wide and
says N ppi), one palette for every figure, card_share's monthly n and split month."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from conftest import shared_path
from hfreuse import palette
from hfreuse.charts import PNG_PPI, save_chart
from hfreuse.coding.paper import load_mappings, read_package_codebook
from hfreuse.figures import load_registry

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = load_registry(ROOT / "workflow/figures.yaml", ROOT / "workflow/report/captions")


def png_size_and_ppi(path: Path) -> tuple[int, int, float]:
    """Width and height in px and the ppi the PNG's pHYs chunk gives (metre unit)."""
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    at = data.index(b"pHYs")
    per_unit, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    assert unit == 1, f"{path}: pHYs unit is not the metre"
    return width, height, per_unit * 0.0254


def svg_size_pt(path: Path) -> tuple[float, float]:
    """Width and height of a vl-convert SVG (user units: pt, as in its PDF)."""
    head = path.read_text(encoding="utf-8")[:600]
    width = re.search(r'<svg[^>]* width="([\d.]+)"', head)
    height = re.search(r'<svg[^>]* height="([\d.]+)"', head)
    assert width and height, f"{path}: no width/height on <svg>"
    return float(width.group(1)), float(height.group(1))


def assert_png_matches_svg(png: Path, svg: Path, ppi: int) -> None:
    w_px, h_px, got_ppi = png_size_and_ppi(png)
    w_pt, h_pt = svg_size_pt(svg)
    assert round(got_ppi) == ppi, f"{png}: pHYs says {got_ppi:.1f} ppi, expected {ppi}"
    assert abs(w_px - round(w_pt * ppi / 72)) <= 1, f"{png}: {w_px} px wide for {w_pt} pt at {ppi}"
    assert abs(h_px - round(h_pt * ppi / 72)) <= 1, f"{png}: {h_px} px high for {h_pt} pt at {ppi}"


def test_every_report_png_is_its_svg_size_at_144_ppi(demo_run: Path):
    figures = demo_run / "results" / "figures"
    for name in REGISTRY:
        assert (figures / f"{name}.png").is_file(), name
        assert_png_matches_svg(figures / f"{name}.png", figures / f"{name}.svg", PNG_PPI["report"])
    assert PNG_PPI["report"] == 144  # the report's PNGs are 2x


def test_a_paper_png_is_its_width_in_pt_at_300_ppi(tmp_path: Path):
    df = pd.DataFrame({"x": ["a", "b", "c"], "y": [1, 3, 2]})
    chart = alt.Chart(df).mark_bar().encode(x="x:N", y="y:Q").properties(width=120, height=80)
    files = {k: tmp_path / f"f.{k}" for k in ("html", "svg", "png", "pdf")}
    files["spec"] = tmp_path / "f.json"
    save_chart(chart, **{k: str(v) for k, v in files.items()}, style="paper")
    assert PNG_PPI["paper"] == 300
    assert_png_matches_svg(files["png"], files["svg"], 300)
    w_pt, _ = svg_size_pt(files["svg"])
    assert w_pt < 250  # a small chart: the PNG is about 4.2 px per pt, not 17


# --- one palette: a colour means one kind ---

#: the kind each registered figure colours by (NEUTRAL: a single measured series, no kind)
FIGURE_KINDS = {
    "challenges_sunburst": "challenge",
    "challenges_bar": "challenge",
    "benefits_sunburst": "benefit",
    "benefits_bar": "benefit",
    "root_causes_sunburst": "root_cause_group",
    "root_causes_by_challenge": "root_cause_group",
    "forum_mentions": "model_type",
    "hub_model_types": "model_type",
    "forum_vs_hub": "model_type",
    "card_share": "NEUTRAL",
    "topics_per_category": "forum_category",
    "beginners_vs_intermediate": "forum_category",
    "posts_per_topic": "NEUTRAL",
    "accepted_answers": "answer_author",
}


def color_scales(node):
    """(field, domain, range) of every colour encoding of a spec."""
    if isinstance(node, list):
        for item in node:
            yield from color_scales(item)
    elif isinstance(node, dict):
        color = (node.get("encoding") or {}).get("color")
        if isinstance(color, dict) and "field" in color:
            scale = color.get("scale") or {}
            yield color["field"], scale.get("domain"), scale.get("range")
        for value in node.values():
            yield from color_scales(value)


def test_every_figure_colours_by_the_family_of_its_kind(demo_run: Path):
    assert set(FIGURE_KINDS) == set(REGISTRY)
    neutral = set(palette.NEUTRAL.values())
    for name, kind in FIGURE_KINDS.items():
        spec = json.loads((demo_run / "results" / "figures" / f"{name}.json").read_text())
        scales = list(color_scales(spec))
        assert scales, f"{name}: no colour encoding"
        for field, domain, colours in scales:
            # a fixed range (never a Vega scheme: it colours by position in the domain)
            assert domain and colours and len(domain) == len(colours), (name, field)
            for value, colour in zip(domain, colours, strict=True):
                if kind == "NEUTRAL" or colour in neutral:
                    assert colour in neutral, (name, field, value, colour)
                    continue
                # a committed colour of its kind, never a hashed fallback
                assert palette.known_color(value, kind) == colour, (name, field, value, colour)


def test_a_name_is_found_after_normalising_case_and_punctuation():
    expected = palette.BENEFITS["Expert Opinion and Clarification"]
    for spelling in (
        "Expert Opinion and Clarification",
        "expert opinion & clarification",
        "EXPERT  OPINION AND CLARIFICATION.",
        "Expert Opinion and Solutions",
    ):
        assert palette.known_color(spelling, "benefit") == expected, spelling
        assert palette.color(spelling, "benefit") == expected, spelling
    assert (
        palette.color("🤗Transformers", "forum_category")
        == palette.FORUM_CATEGORIES["Transformers"]
    )
    assert (
        palette.color("Amazon Sagemaker", "forum_category")
        == palette.FORUM_CATEGORIES["Amazon SageMaker"]
    )
    assert palette.color("GPT2", "model_type") == palette.MODEL_TYPES["gpt2"]
    # case and punctuation never change an unknown name's hashed colour either
    assert palette.color("New Thing!", "challenge") == palette.color("new thing", "challenge")
    with pytest.raises(ValueError, match="unknown colour family"):
        palette.color("bert", "category")


def test_the_paper_codebooks_names_all_have_their_palette_colour():
    """The package's codebooks (read as the paper import reads them) name no category the
    palette lacks: in paper mode "Expert Opinion and Clarification" fell back to a hashed
    colour (the palette knew only the Overview's "... and Solutions")."""
    package = shared_path("replication", "Replication Package")
    codebook = read_package_codebook(
        package / "Codebooks/Challenges.csv",
        package / "Codebooks/Benefits.csv",
        load_mappings(ROOT / "workflow/resources/paper/coding_mappings.yaml"),
    )
    for kind in ("challenge", "benefit"):
        names = set(codebook.loc[codebook["kind"] == kind, "category"])
        assert names, kind
        assert {n for n in names if palette.known_color(n, kind) is None} == set(), kind


def _lab(colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a #rrggbb colour."""
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _delta_e(a: str, b: str) -> float:
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def test_distinct_kinds_never_share_a_colour_nor_come_close():
    """The stated rule: two colours of different kinds (greys excepted) differ by at least
    MIN_KIND_DELTA_E, and every named colour is as far from the greys."""
    neutral = set(palette.NEUTRAL.values())
    kinds = {f: set(known.values()) - neutral for f, known in palette.FAMILIES.items()}
    assert palette.MIN_KIND_DELTA_E >= 12
    for a, colours_a in kinds.items():
        for b, colours_b in kinds.items():
            if a >= b:
                continue
            assert not colours_a & colours_b, (a, b)
            near = min((_delta_e(x, y), x, y) for x in colours_a for y in colours_b)
            assert near[0] >= palette.MIN_KIND_DELTA_E, (a, b, near)
        grey = min((_delta_e(x, n), x, n) for x in colours_a for n in neutral)
        assert grey[0] >= palette.MIN_KIND_DELTA_E, (a, grey)
    # gpt2, Training Pipeline, Collaboration and External platforms shared one colour before
    same = {
        palette.color("gpt2", "model_type"),
        palette.color("Training Pipeline", "challenge"),
        palette.color("Collaboration to Solve Issues", "benefit"),
        palette.color("External platforms", "root_cause_group"),
    }
    assert len(same) == 4


# --- card_share: the monthly n, the split month, the trend tests ---


def _card_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    months = ["2022-10", "2022-11", "2022-12", "2023-01", "2023-02"]
    monthly = pd.DataFrame(
        {
            "month": months,
            "models": [42, 10, 26095, 300, 7],
            "models_with_card_data": [21, 5, 13000, 200, 3],
            "models_floored": pd.array([0] * 5, dtype="Int64"),
            "partial_month": [False, False, False, False, True],
        }
    )
    monthly["share"] = monthly["models_with_card_data"] / monthly["models"]
    common = {"n_months": 3, "first_month": "2022-10", "last_month": "2023-01"}
    common |= {"min_models_per_month": 30, "n_months_few_models": 1}
    trend = pd.DataFrame(
        [
            {"test": "mann_kendall", "statistic": 1.0, "p_value": 0.6021, "tau": 0.3333}
            | {"sen_slope": 0.08, "increase": False, "split_month": None, "n_before": None}
            | {"n_after": None, "median_before": None, "median_after": None}
            | common,
            {"test": "mann_whitney", "statistic": 2.0, "p_value": 0.0417, "tau": None}
            | {"sen_slope": None, "increase": True, "split_month": "2022-12", "n_before": 1}
            | {"n_after": 2, "median_before": 0.5, "median_after": 0.58}
            | common,
        ]
    )
    return monthly, trend


def test_card_share_shows_the_monthly_n_the_split_month_and_the_trend_tests():
    from hfreuse.hub.charts import build_card_share
    from vega import leaves, mark

    monthly, trend = _card_tables()
    spec = build_card_share(monthly, trend, synthetic=False).to_dict()
    datasets = spec["datasets"]
    layers = list(leaves(spec))
    # the n strip: one bar per month with models, its n from the table, light below the minimum
    bar = next(layer for layer in layers if mark(layer) == "bar")
    strip = datasets[bar["data"]["name"]]
    assert [(r["month"], r["models"], r["tested"]) for r in strip] == [
        ("2022-10", 42, "tested"),
        ("2022-11", 10, "too few models"),
        ("2022-12", 26095, "tested"),
        ("2023-01", 300, "tested"),
        ("2023-02", 7, "too few models"),
    ]
    assert bar["encoding"]["y"]["scale"]["type"] == "log"
    # the split month (the trend table's split_month) marked with a rule and labelled
    assert [mark(layer) for layer in layers].count("rule") == 1
    labelled = [rows for rows in datasets.values() if rows and "label" in rows[0]]
    assert [{"month": "2022-12", "label": "split 2022-12"}] in labelled
    # the n in the share's tooltip too
    line = next(layer for layer in layers if mark(layer) == "line")
    assert "models" in {t["field"] for t in line["encoding"]["tooltip"]}
    # both tests' results in the notes (the paper style's caption), numbers from the table
    notes = spec["title"]["subtitle"]
    assert "Mann-Kendall over 3 months (2022-10 to 2023-01): tau = 0.33, p = 0.6, " in notes[1]
    assert "no significant increase" in notes[1]
    assert notes[2].startswith("From 2022-12 on (solid rule) vs before: median share 58.0% vs")
    assert "greater (Mann-Whitney U, one-sided p = 0.042)" in notes[2]
    assert "fewer than 30 models (light bars)" in notes[3]
    # without the trend table (an optional input): the n strip, no split rule, no test notes
    bare = build_card_share(monthly, synthetic=False).to_dict()
    assert not [layer for layer in leaves(bare) if mark(layer) == "rule"]
    assert any(mark(layer) == "bar" for layer in leaves(bare))
    assert bare["title"]["subtitle"] == notes[:1]
