"""The demo with hostile names (config ``demo.hostile_names``): model types, forum categories
and topic titles that would run as script in a careless HTML page or as a formula in a
spreadsheet. The whole demo runs; every figure page and the report, opened in headless
Chromium, run none of it; the coding sheets hold no formula; the SVGs hold nothing executable;
and no raw username appears anywhere under results/.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pyarrow.parquet as pq
import pytest
from browser import PROBE_JS, check_report_visit
from conftest import copy_workflow, run_snakemake
from hfreuse.coding.sheets import FORMULA_STARTS
from hfreuse.forum.demo import HOSTILE_CATEGORIES, HOSTILE_TITLES
from hfreuse.hub.demo import HOSTILE_MODEL_TYPES
from output_search import search_outputs

# one worker runs the hostile demo once for the whole module (not once per xdist worker)
pytestmark = [pytest.mark.workflow, pytest.mark.xdist_group("hostile_run")]

# what an injected payload leaves behind when it runs
PWNED_JS = "(typeof window.__pwned === 'undefined' ? null : String(window.__pwned))"
FIGURE_PROBE = (
    "({title: document.title, pwned: " + PWNED_JS + ","
    " drawn: !!document.querySelector('#vis svg, #vis canvas'),"
    " scripts: document.querySelectorAll('script').length,"
    " imgs: document.querySelectorAll('img').length})"
)
SCRIPT_PAYLOADS = [
    p for p in (*HOSTILE_MODEL_TYPES.values(), *HOSTILE_CATEGORIES.values()) if "<" in p
]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    wf = copy_workflow(tmp_path_factory.mktemp("hostile") / "wf")
    overlay = wf / "config" / "hostile.yaml"
    overlay.write_text("demo:\n  hostile_names: true\n")
    run_snakemake(wf, "--cores", "2", "--configfile", str(overlay))
    return wf


def _column(wf: Path, table: str, column: str) -> list:
    return pq.read_table(wf / "results" / table, columns=[column]).column(column).to_pylist()


def test_the_hostile_names_reach_the_tables_and_figures(hostile_run):
    """Not a vacuous run: the payloads are in the tables, the figure specs and the sheets."""
    wf = hostile_run
    types = set(_column(wf, "hub/models.parquet", "model_type"))
    assert set(HOSTILE_MODEL_TYPES.values()) <= types
    assert set(HOSTILE_CATEGORIES.values()) <= set(_column(wf, "forum/categories.parquet", "name"))
    titles = _column(wf, "forum/topics.parquet", "title")
    assert {p for p in HOSTILE_TITLES if any(t.startswith(p + " ") for t in titles)} == set(
        HOSTILE_TITLES
    )
    specs = {p.stem: p.read_text(encoding="utf-8") for p in (wf / "results/figures").glob("*.json")}
    shown = {p for p in SCRIPT_PAYLOADS if any(json.dumps(p)[1:-1] in s for s in specs.values())}
    assert len(shown) >= 2, "no script payload reached a figure"
    sheets = (wf / "results/coding/sheets").glob("*.csv")
    sheet_text = "".join(p.read_text(encoding="utf-8-sig") for p in sheets)
    assert any(t in sheet_text for t in HOSTILE_TITLES)


def test_no_figure_page_runs_an_injected_script(hostile_run, chromium):
    pages = sorted((hostile_run / "results/figures").glob("*.html"))
    assert pages
    scripts = set()
    for page in pages:
        visit = chromium.visit(page, FIGURE_PROBE, settle=1.5)
        probe = visit.probe
        assert probe["pwned"] is None, (page.name, probe)
        assert "PWNED" not in probe["title"], (page.name, probe)
        assert probe["drawn"] and probe["imgs"] == 0, (page.name, probe)
        assert visit.exceptions == [] and visit.dialogs == [], (page.name, visit.exceptions)
        assert visit.external_requests == [], (page.name, visit.external_requests)
        scripts.add(probe["scripts"])
    assert len(scripts) == 1  # every page has its template's scripts, none injected


def test_the_figure_check_catches_a_page_that_inlines_the_spec_naively(
    hostile_run,
    chromium,
    tmp_path,
    monkeypatch,
):
    """The check can fail: the same figure with its spec inlined by plain ``json.dumps`` (the
    bug of issue 11, item 10) runs the payload, and the probe sees it."""
    from hfreuse import charts

    spec_file = next(
        p
        for p in sorted((hostile_run / "results/figures").glob("*.json"))
        if json.dumps(SCRIPT_PAYLOADS[0])[1:-1] in p.read_text(encoding="utf-8")
    )
    monkeypatch.setattr(charts, "script_json", lambda obj, indent=None: json.dumps(obj))
    page = tmp_path / "naive.html"
    page.write_text(charts.chart_html(json.loads(spec_file.read_text(encoding="utf-8"))))
    probe = chromium.visit(page, FIGURE_PROBE, settle=1.5).probe
    assert probe["pwned"] is not None and "PWNED" in probe["title"], probe


def test_the_report_runs_no_injected_script_and_shows_the_names_as_text(hostile_run, chromium):
    report = hostile_run / "results/report.html"
    probe_js = f"Object.assign({PROBE_JS}, {{pwned: {PWNED_JS}}})"
    visit = chromium.visit(report, probe_js)
    figures = sorted(p.stem for p in (hostile_run / "results/figures").glob("*.svg"))
    check_report_visit(visit, figures, synthetic=True)
    assert visit.probe["pwned"] is None and "PWNED" not in visit.probe["title"]
    assert any(p in visit.probe["bodyText"] for p in SCRIPT_PAYLOADS)  # shown, as text


def _svg_problems(path: Path) -> list[str]:
    problems = []
    for el in ElementTree.parse(path).iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in ("script", "foreignobject", "iframe", "object", "embed"):
            problems.append(f"<{tag}>")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                problems.append(f"<{tag} {local}=...>")
            if local == "href" and value.strip().lower().startswith(
                ("javascript:", "data:text/html")
            ):
                problems.append(f"<{tag} href={value[:40]!r}>")
    return problems


def test_svgs_hold_nothing_executable(hostile_run):
    svgs = sorted((hostile_run / "results/figures").glob("*.svg"))
    assert svgs
    bad = {p.name: _svg_problems(p) for p in svgs}
    assert {k: v for k, v in bad.items() if v} == {}
    text = "".join(p.read_text(encoding="utf-8") for p in svgs)
    assert "&lt;/script&gt;" in text or "&lt;img" in text  # the payloads are there, as text


def test_coding_sheets_hold_no_formula(hostile_run):
    folder = hostile_run / "results/coding/sheets"
    xlsx = sorted(folder.glob("*.xlsx"))
    csvs = sorted(folder.glob("*.csv"))
    assert xlsx and csvs
    from openpyxl import load_workbook

    for path in xlsx:
        with zipfile.ZipFile(path) as zf:
            for part in zf.namelist():
                if part.startswith("xl/worksheets/"):
                    assert (
                        "<f>" not in zf.read(part).decode() and "<f " not in zf.read(part).decode()
                    )
        wb = load_workbook(path)
        formulas = [
            f"{ws.title}!{c.coordinate}"
            for ws in wb.worksheets
            for row in ws.iter_rows()
            for c in row
            if c.data_type == "f"
        ]
        assert formulas == [], path
        titles = [c.value for c in wb["coding"]["C"][1:]]
        assert any(str(t).startswith("=cmd|") for t in titles)  # kept, as text
    for path in csvs:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        live = [
            f"row {i}, column {j + 1}: {cell[:30]!r}"
            for i, row in enumerate(rows, 1)
            for j, cell in enumerate(row)
            if cell.startswith(FORMULA_STARTS)
        ]
        assert live == [], path
        assert any(cell.startswith("'=cmd|") for row in rows for cell in row)


def _demo_usernames(wf: Path) -> set[str]:
    """Every username of the raw demo forum: authors, listing users, accepted answers."""
    names: set[str] = set()
    forum = next((wf / "resources/raw").glob("*/forum"))
    for path in sorted(forum.rglob("*.json.gz")):
        doc = json.loads(gzip.decompress(path.read_bytes()))
        stack = [doc]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                for key, value in item.items():
                    if key in ("username", "last_poster_username") and isinstance(value, str):
                        names.add(value)
                    else:
                        stack.append(value)
            elif isinstance(item, list):
                stack.extend(item)
    return names


def test_no_raw_username_under_results(hostile_run):
    names = _demo_usernames(hostile_run)
    assert len(names) > 100
    found = search_outputs(hostile_run / "results", names)
    assert found == [], "\n".join(found[:40])
