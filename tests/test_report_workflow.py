"""The study report of a full demo run: complete, documented, deterministic, and shown by a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from browser import PROBE_JS, check_report_visit, pdf_page_count, print_report
from conftest import copy_workflow, run_snakemake
from hfreuse.report import dictionary as rd
from report_checks import check_words_follow_tables
from testenv import offline_env, write_live_overlay

pytestmark = pytest.mark.workflow


def figure_names(wf: Path) -> list[str]:
    return sorted(p.stem for p in (wf / "results/figures").glob("*.svg"))


def test_default_target_builds_a_complete_report(demo_run):
    html = (demo_run / "results/report.html").read_text(encoding="utf-8")
    names = figure_names(demo_run)
    assert names, "the demo run produced no figure"
    assert sorted(re.findall(r'data-figure="([^"]+)"', html)) == names
    assert html.count('<img class="figure"') == len(names)
    for section in ("overview", "rq1", "rq2", "rq3", "methods", "appendix"):
        assert f'<section id="{section}"><h2>' in html
    assert html.count('<span class="synthetic-badge">SYNTHETIC DEMO DATA</span>') == 7
    assert "resources/raw/demo-v1/hub/manifest.json" in html
    assert "The Hub snapshot holds" in html
    # every study table (results/<stage>/<table>; sub-folders hold shards and coder sheets),
    # but the table of row counts and checksums itself (it cannot hold its own checksum)
    for table in rd.tables_under(demo_run / "results"):
        if table.count("/") == 2 and table != "results/report/outputs.parquet":
            assert f"<td>{table}</td>" in html, f"{table} missing from the manifest's row counts"
    assert "<script" not in html.lower()


def test_demo_report_words_follow_the_tables(demo_run):
    """Every count and top list of the summary recomputed from its table; the RQ3 figures'
    model types are the ones the text names; the demo forum named by its (synthetic) title."""
    check_words_follow_tables(demo_run)
    html = (demo_run / "results/report.html").read_text(encoding="utf-8")
    assert "The forum snapshot of \u201chfreuse demo forum (SYNTHETIC)\u201d" in html


def test_every_table_under_results_is_documented(demo_run, monkeypatch):
    """Every parquet/CSV table of the run has an entry whose columns match (names listed)."""
    monkeypatch.chdir(demo_run)
    entries = rd.load_dictionary(sorted(Path("workflow/report/dictionary").glob("*.yaml")))
    problems = rd.coverage_problems(rd.coverage(rd.tables_under("results"), entries))
    assert problems == [], "data dictionary incomplete:\n" + "\n".join(problems)


def test_every_figure_is_in_the_registry_with_a_caption(demo_run):
    from hfreuse.figures import load_registry

    registry = load_registry(
        demo_run / "workflow/figures.yaml", demo_run / "workflow/report/captions"
    )
    assert figure_names(demo_run) == sorted(registry)  # the demo draws every figure


def test_report_is_byte_identical_when_rebuilt(demo_run, demo_copy):
    before = (demo_run / "results/report.html").read_bytes()
    run_snakemake(demo_copy, "results/report.html", "--cores", "1", "--forcerun", "build_report")
    assert (demo_copy / "results/report.html").read_bytes() == before


def test_snakemake_own_report_shows_every_figure_with_its_caption(demo_run, tmp_path):
    """`snakemake --report`: each figure of the registry is there, with its rendered caption,
    filed under its research question and subcategory."""
    import json

    from hfreuse.figures import load_registry

    out = tmp_path / "smk-report.html"
    run_snakemake(demo_run, "--report", str(out))
    text = out.read_text(encoding="utf-8")
    assert "demo-v1" in text and "SYNTHETIC DEMO DATA" in text
    assert "Study report" in text  # results/report.html is a report() output of build_report
    from hfreuse.report.html import rst_to_html

    registry = load_registry(
        demo_run / "workflow/figures.yaml", demo_run / "workflow/report/captions"
    )
    # the caption templates rendered with the run's config, as our own report renders them
    config = yaml.safe_load((demo_run / "config/config.yaml").read_text(encoding="utf-8"))
    decoder = json.JSONDecoder()
    for name, fig in registry.items():
        key = f'"results/figures/{name}.svg": '
        assert key in text, f"{name}: not in snakemake's report"
        entry, _ = decoder.raw_decode(text, text.index(key) + len(key))
        ours = rst_to_html(
            Path(fig["caption"]).read_text(), fig["caption"], {"snakemake": {"config": config}}
        )
        first_words = " ".join(ours.split()[:4])
        assert entry["caption"].startswith(first_words), (name, entry["caption"][:80], first_words)
        assert fig["category"] in text and fig["subcategory"] in text


def test_demo_report_in_a_real_browser(demo_run, chromium):
    visit = chromium.visit(demo_run / "results/report.html", PROBE_JS)
    check_report_visit(visit, figure_names(demo_run), synthetic=True)


MAX_DEMO_PAGES = 30


def test_demo_report_figures_follow_the_study(demo_run):
    """Figures numbered 1, 2, ... in the order of the research questions (the registry's
    categories), each under the section of its question, its caption under it."""
    from hfreuse.figures import load_registry
    from hfreuse.report import layout

    html = (demo_run / "results/report.html").read_text(encoding="utf-8")
    registry = load_registry(
        demo_run / "workflow/figures.yaml", demo_run / "workflow/report/captions"
    )
    shown = re.findall(r'<figure id="fig-[^"]+" data-figure="([^"]+)" data-number="(\d+)"', html)
    assert [int(n) for _, n in shown] == list(range(1, len(registry) + 1))
    sections = [sid for sid, _ in layout.SECTIONS]
    place = [sections.index(layout.FIGURE_PLACES[registry[name]["category"]]) for name, _ in shown]
    assert place == sorted(place)  # RQ1 figures first, then RQ2, RQ3, the data
    for name, number in shown:
        start = html.index(f'data-figure="{name}"')
        figure = html[start : html.index("</figure>", start)]
        assert figure.index("<img") < figure.index("<figcaption>")
        assert f'<span class="label">Figure {number}.</span>' in figure
    tables = [int(n) for n in re.findall(r'<span class="label">Table (\d+)\.</span>', html)]
    assert tables == list(range(1, len(tables) + 1)) and tables
    assert "<h3>results/" not in html  # tables are titled, not headed by their path


def test_demo_report_prints_to_few_pages_without_overflow(demo_run, chromium):
    """Printed by Chromium (A4), the demo report fits in 30 pages and no table is wider than
    the page."""
    pdf, probe = print_report(chromium, demo_run / "results/report.html")
    pages = pdf_page_count(pdf)
    print(f"demo report: {pages} pages, {probe['tables']} tables")
    assert 5 <= pages <= MAX_DEMO_PAGES
    assert probe["overflowing"] == [], probe["overflowing"]


def test_a_model_type_has_one_colour_in_every_figure(demo_run):
    """Every colour scale of every figure of the demo run maps a name (model type, category,
    root-cause group) to that name's one fixed colour of its kind (a name of two kinds, the
    challenge category and the forum category Spaces, has one per kind: a colour means one
    kind); the RQ3 line charts show the same model types."""
    import json

    from hfreuse import palette

    def scales(node):
        if isinstance(node, dict):
            color = node.get("color")
            if isinstance(color, dict) and isinstance(color.get("scale"), dict):
                yield node.get("color")
            for value in node.values():
                yield from scales(value)
        elif isinstance(node, list):
            for value in node:
                yield from scales(value)

    seen: dict[str, dict[str, set[str]]] = {}
    types: dict[str, set[str]] = {}
    for spec_path in sorted((demo_run / "results/figures").glob("*.json")):
        spec = json.loads(spec_path.read_text())
        for color in scales(spec):
            scale = color["scale"]
            if "domain" not in scale or "range" not in scale:
                continue
            assert "scheme" not in scale, f"{spec_path.name}: colours by position"
            for name, value in zip(scale["domain"], scale["range"], strict=True):
                seen.setdefault(name, {}).setdefault(value, set()).add(spec_path.stem)
            if color["field"] == "model_type":
                types[spec_path.stem] = set(scale["domain"])
    per_kind = {n: {palette.color(n, kind) for kind in palette.FAMILIES} for n in seen}
    clashes = {n: c for n, c in seen.items() if len(c) > 1 and not set(c) <= per_kind[n]}
    assert clashes == {}, clashes
    assert types["hub_model_types"] == types["forum_mentions"] and len(types["forum_mentions"]) == 5
    for name in types["hub_model_types"]:
        figures = set().union(*seen[name].values())
        assert {"hub_model_types", "forum_mentions", "forum_vs_hub"} <= figures, (name, figures)
        assert set(seen[name]) == {palette.color(name, "model_type")}


def test_paper_style_writes_a_pdf_per_figure(demo_copy):
    """The demo run redrawn with figures.style paper (config/paper-figures.yaml): every figure
    also as a vector PDF and its caption file, the PNG at 300 ppi, no caveat in the image; the
    report puts the caveats in the captions. Only the figures and the report are redone."""
    import json
    import struct

    from hfreuse.figures import load_registry

    wf = demo_copy
    tables = {p: p.read_bytes() for p in (wf / "results").rglob("*.parquet")}
    run_snakemake(
        wf, "--cores", "2", "--configfile", "config/config.yaml", "config/paper-figures.yaml"
    )
    registry = load_registry(wf / "workflow/figures.yaml", wf / "workflow/report/captions")
    for name in registry:
        fig = wf / "results/figures" / name
        assert fig.with_suffix(".pdf").read_bytes().startswith(b"%PDF"), name
        png = fig.with_suffix(".png").read_bytes()
        at = png.index(b"pHYs")
        assert round(struct.unpack(">I", png[at + 4 : at + 8])[0] * 0.0254) == 300, name
        spec = json.loads(fig.with_suffix(".json").read_text())
        assert "title" not in spec and spec["usermeta"]["style"] == "paper", name
        caption = fig.with_suffix(".txt").read_text()
        assert caption.startswith(spec["usermeta"]["title"]) and "SYNTHETIC" in caption, name
    html = (wf / "results/report.html").read_text(encoding="utf-8")
    assert html.count('<ul class="figure-notes">') == len(registry)
    # the tables are untouched (outputs.parquet lists the figures' checksums, which changed)
    changed = [
        p for p, data in tables.items() if p.read_bytes() != data and p.name != "outputs.parquet"
    ]
    assert changed == []


# --- live source: the crawls against the stub Hub and stub forum, then the whole default target ---


def test_live_run_on_the_stubs_gives_a_complete_report(httpserver, forum_server, tmp_path):
    """A live run (crawls of a local stub Hub and a stub Discourse replaying real responses) ends
    in a complete report with the crawls' manifests, request counts and no synthetic label.
    Requests for anything but the local stubs go to a closed local proxy port and fail, so
    nothing leaves the machine."""
    import subprocess
    import sys

    from forum_stub import DiscourseSite, StubServer
    from hub_stub import StubHub, assign_cards, real_models

    models = real_models()
    hub = StubHub(models=models, cards=assign_cards(models)).install(httpserver)
    site = DiscourseSite()
    site.title = "Stub Discourse (recorded answers)"
    forum = StubServer(forum_server, site)
    wf = copy_workflow(tmp_path / "wf")
    stubs = {"hub": {"endpoint": hub.base_url, "max_cards": 200}, "forum": {"base_url": forum.url}}
    overlay = write_live_overlay(wf / "config" / "stub.yaml", "stub-1", **stubs)
    secrets = {
        "HF_TOKEN": "hf_SECRETtokenNeverStored0123",
        "DISCOURSE_API_KEY": "discourseSECRETkeyNeverStored456",
        "DISCOURSE_API_USERNAME": "secret-api-user-789",
        "HFREUSE_PSEUDONYM_KEY": "pseudonymSECRETkeyNeverStored",
    }
    env = offline_env(**secrets)
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(overlay)]
    proc = subprocess.run(cmd, cwd=wf, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    # the token was used, and no secret reached an output, a log, a raw file, Snakemake's
    # metadata or the console
    assert {h.authorization for h in hub.hits} == {f"Bearer {secrets['HF_TOKEN']}"}
    leaks = [
        str(p.relative_to(wf))
        for top in ("results", "logs", "benchmarks", "resources", ".snakemake")
        for p in sorted((wf / top).rglob("*"))
        if p.is_file() and any(v.encode() in p.read_bytes() for v in secrets.values())
    ]
    assert leaks == []
    assert not any(v in proc.stdout + proc.stderr for v in secrets.values())
    html = (wf / "results/report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" not in html
    assert "(live, snapshot stub-1)" in html
    for manifest in ("hub/manifest.json", "forum/manifest.json"):
        assert f"<h4>resources/raw/stub-1/{manifest}</h4>" in html
    assert "resources/raw/stub-1/hub/cards/shard-*-of-*.json (2 files)" in html
    assert hub.base_url in html and forum.url in html  # the crawls' endpoints, from the manifests
    assert f"The Hub snapshot holds {len(models):,} models" in html
    host = "127.0.0.1" if "127.0.0.1" in forum.url else "localhost"
    assert (
        f"The forum snapshot of \u201cStub Discourse (recorded answers)\u201d ({host}) holds "
        f"{len(forum.site.entries):,} topics"
    ) in html
    check_words_follow_tables(wf)
    names = figure_names(wf)
    assert sorted(re.findall(r'data-figure="([^"]+)"', html)) == names and names
    # no filled coding sheets yet: RQ1 and RQ2, and the end of the run, say where the sheets
    # are, what to fill and which keys to set (issue 19, item 7)
    assert html.count("The coding sheets to fill are in results/coding/sheets/ (coder1.csv") == 2
    assert html.count("set coding.filled_dir to that folder and coding.codebook") == 2
    assert "coding: The coding sheets to fill are in results/coding/sheets/" in proc.stderr


# --- paper source: the authors' replication package ---


def test_paper_run_gives_a_complete_report_with_the_reproduction_table(paper_run, chromium):
    wf = paper_run  # the session's paper run on the replication package (conftest)
    html = (wf / "results/report.html").read_text(encoding="utf-8")
    assert '<span class="synthetic-badge">' not in html and 'class="synthetic-banner"' not in html
    assert "(paper, snapshot paper-saner2024)" in html
    assert 'id="table-results-stats-reproduction-csv"' in html
    assert re.search(r"<li>\d of \d claims of the paper are supported in this run\.</li>", html)
    overview = html.split('<section id="', 2)[1]  # page 1: RQ1 and RQ2 are the authors' counts
    assert (
        "re-plot the authors&#39; own counts" in overview
        or "re-plot the authors' own counts" in overview
    )
    assert "This source has no raw snapshot manifest" in html
    names = figure_names(wf)
    visit = chromium.visit(wf / "results/report.html", PROBE_JS)
    check_report_visit(visit, names, synthetic=False)
