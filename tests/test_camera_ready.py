"""Camera-ready figures: PNG resolution (an N-ppi PNG of a W-pt figure is W * N / 72 px wide and
says N ppi), one palette for every figure, card_share's monthly n and split month."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import altair as alt
import pandas as pd
from hfreuse.charts import PNG_PPI, save_chart
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
