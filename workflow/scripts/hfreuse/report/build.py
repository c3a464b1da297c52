"""The study report: one self-contained HTML file built from whatever this run produced.

The report follows the study (:mod:`hfreuse.report.layout`): Overview, RQ1 (challenges), RQ2
(benefits), RQ3 (trends), methods and data (sample, agreement, crawl manifest, data dictionary),
then a collapsed appendix of the long raw tables. Figures and tables are numbered in the order
they appear; captions sit under the figures. The figures are the SVG files it is given (with
the Vega-Lite spec beside each for its title and notes, a caption
``workflow/report/captions/<figure>.rst`` and the figure's category from the registry), tables
the parquet/CSV files it is given, manifests the raw snapshot manifests of the run. The HTML
comes from the Jinja2 template ``workflow/report/templates/report.html.j2`` (autoescaped).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ..charts import NO_DATA
from ..coding.guidance import coding_guidance, sheets_among
from . import dictionary as rd
from . import html as h
from . import layout
from . import manifest as rm
from .summary import summary_topics

TITLE = "Deep Learning Model Reuse in the HuggingFace Community: study report"
PAPER = (
    "Rerun of Taraghi, Dorcelus, Foundjem, Tambon and Khomh, \u201cDeep Learning Model Reuse in "
    "the HuggingFace Community: Challenges, Benefit and Trends\u201d, SANER 2024 (arXiv 2401.13177)."
)
SOURCES = {
    "demo": "the embedded demo snapshot (generated, synthetic)",
    "live": "a live crawl of the HuggingFace Hub and of a Discourse forum (both named in the "
    "crawl manifest; the forum also in the Forum section)",
    "paper": "the authors' replication package",
}
Blocks = dict[str, list[dict[str, Any]]]


def _stem(path: str) -> str:
    return Path(path).stem


def read_spec(spec_path: str | None) -> dict[str, Any]:
    """A figure's Vega-Lite spec ({} when the figure has none)."""
    return json.loads(Path(spec_path).read_text(encoding="utf-8")) if spec_path else {}


def figure_meta(spec: Mapping[str, Any], default: str) -> tuple[str, list[str], str]:
    """The chart's title, its notes and its style from its Vega-Lite spec (``usermeta``, else
    the title and subtitle); ``default`` as the title when it has none."""
    meta = spec.get("usermeta") or {}
    if meta.get("title"):
        return str(meta["title"]), [str(n) for n in meta.get("notes", [])], meta.get("style", "")
    title = spec.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return (str(title) if title else default), [], "report"


class Numbers:
    """Figure and table numbers in the order they appear."""

    def __init__(self) -> None:
        self.figure = 0
        self.table = 0

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure

    def next_table(self) -> int:
        self.table += 1
        return self.table


def figure_blocks(
    figures: Sequence[str],
    specs: Sequence[str],
    captions: Sequence[str],
    config: Mapping,
    categories: Mapping[str, str],
) -> Blocks:
    """Each figure as a block, by report section: in the order of ``categories`` (the
    registry's), figures it does not name last, by name."""
    spec_by = {_stem(s): s for s in specs}
    caption_by = {_stem(c): c for c in captions}
    context = {"snakemake": {"config": config}}
    order = {name: i for i, name in enumerate(categories)}
    out: Blocks = {}
    for svg in sorted(figures, key=lambda p: (order.get(_stem(p), len(order)), _stem(p))):
        name = _stem(svg)
        spec = read_spec(spec_by.get(name))
        title, notes, style = figure_meta(spec, name)
        caption = None
        if name in caption_by:
            text = Path(caption_by[name]).read_text(encoding="utf-8")
            caption = h.Markup(h.rst_to_html(text, caption_by[name], context))
        if (spec.get("usermeta") or {}).get("no_data"):  # hfreuse.charts.no_data_spec
            said = h.Markup("<p><strong>{}.</strong></p>").format(NO_DATA)
            caption = said + (caption or "")
        others = ".pdf, .png, .html, .json, .txt" if style == "paper" else ".png, .html, .json"
        place = layout.FIGURE_PLACES.get(categories.get(name, ""), "methods")
        out.setdefault(place, []).append(
            {
                "kind": "figure",
                "name": name,
                "anchor": h.anchor(name),
                "img": h.svg_img(svg, title),
                "title": title,
                # the paper style moved the notes out of the image: they go in the caption
                "notes": notes if style == "paper" else [],
                "caption": caption,
                "files": f"{svg} (also {others} beside it)",
            }
        )
    return out


def read_head(path: str, max_rows: int) -> tuple[pd.DataFrame, int]:
    """The first ``max_rows`` rows of a table and its total row count."""
    if Path(path).suffix == ".parquet":
        pf = pq.ParquetFile(path)
        total = pf.metadata.num_rows
        batch = next(pf.iter_batches(batch_size=max(max_rows, 1)), None)
        table = batch if batch is not None else pf.schema_arrow.empty_table()
        df = table.to_pandas() if hasattr(table, "to_pandas") else pd.DataFrame()
        return df.head(max_rows), total
    df = pd.read_csv(path)
    return df.head(max_rows), len(df)


def key_tables(tables: Iterable[str], patterns: Sequence[str]) -> list[str]:
    return sorted(t for t in set(tables) if any(fnmatch.fnmatchcase(t, p) for p in patterns))


def _table_block(path: str, title: str, entries: Mapping[str, rd.Entry], max_rows: int) -> dict:
    df, total = read_head(path, max_rows)
    entry = rd.entry_for(path, entries)
    return {
        "kind": "table",
        "path": path,
        "anchor": h.anchor(path),
        "title": title,
        "description": entry.description if entry else "",
        "table": h.table_data(df, max_rows=max_rows, total_rows=total),
    }


def table_blocks(
    tables: Sequence[str],
    patterns: Sequence[str],
    entries: Mapping[str, rd.Entry],
    max_rows: int,
    names: Mapping[str, str] | None = None,
) -> Blocks:
    """The key tables by report section, titled (:data:`hfreuse.report.layout.TABLES`, by the
    table's name: ``names`` maps path -> name); a key table without a place goes to the
    appendix, titled by its dictionary description."""
    out: Blocks = {}
    names = names or {}
    places = list(layout.TABLES)

    def place_of(path: str) -> int:
        name = names.get(path)
        return places.index(name) if name in places else len(places)

    shown = [t for t in key_tables(tables, patterns) if names.get(t) not in layout.SHOWN_AS]
    keys = sorted(shown, key=lambda t: (place_of(t), t))
    for path in keys:
        entry = rd.entry_for(path, entries)
        default = (entry.description.split(". ")[0].rstrip(".") if entry else "") or path
        place, title = layout.TABLES.get(names.get(path, ""), ("appendix", default))
        out.setdefault(place, []).append(_table_block(path, title, entries, max_rows))
    return out


def summary_blocks(summary: str) -> Blocks:
    """The sentences of the summary table (rule summarize_study), by report section."""
    out: Blocks = {}
    for t in summary_topics(summary):
        place = layout.SUMMARY_PLACES.get(t.section, "overview")
        if t.section == "taxonomy":
            for where, keep in (("rq1", False), ("rq2", True)):
                picked = [s for s in t.sentences if s.startswith(layout.BENEFIT_PREFIX) == keep]
                if picked:
                    heading = "Taxonomy of benefits" if keep else "Taxonomy of challenges"
                    out.setdefault(where, []).append(
                        {"kind": "facts", "title": heading, "sentences": picked}
                    )
            continue
        out.setdefault(place, []).append(
            {"kind": "facts", "title": t.title, "sentences": list(t.sentences)}
        )
    return out


def overview_intro(summary: str, config: Mapping, synthetic: bool) -> list[dict]:
    source = str(config.get("source", ""))
    blocks = [
        {
            "kind": "paragraph",
            "css_class": "",
            "text": (
                f"{PAPER} This run read {SOURCES.get(source, source)} (source {source}, snapshot "
                f"{h.format_value(config.get('snapshot'), False)}). Every number in the text comes "
                f"from {summary}, which rule summarize_study wrote from this run's tables. "
                "Figures and tables are numbered in the order of the study's research questions; "
                "the methods and data follow, the long raw tables are in the appendix."
            ),
        }
    ]
    if synthetic:
        blocks.append(
            {
                "kind": "paragraph",
                "css_class": "warning",
                "text": "These numbers describe SYNTHETIC demo data: they show that the "
                "workflow runs, not what HuggingFace looks like.",
            }
        )
    return blocks


def manifest_blocks(config: Mapping, manifests: Sequence[str], facts: str) -> list[dict]:
    """The run and its raw manifests; the library versions, the configuration (secrets
    redacted) and the outputs' row counts and checksums (the table ``facts`` of rule
    describe_outputs) collapsed."""
    blocks: list[dict] = [
        {"kind": "heading", "level": 3, "id": "manifest", "text": "Crawl and run manifest"},
        {
            "kind": "kv",
            "css_class": "kv",
            "pairs": h.kv_pairs(
                [("source", config.get("source")), ("snapshot", config.get("snapshot"))]
            ),
        },
    ]
    groups = rm.manifest_groups(manifests)
    if not groups:
        blocks.append(
            {
                "kind": "paragraph",
                "css_class": "note",
                "text": "This source has no raw snapshot manifest (the paper source starts from "
                "the replication package; see paper.replication_dir in the configuration).",
            }
        )
    for g in groups:
        blocks += [
            {"kind": "heading", "level": 4, "id": "", "text": g.label},
            {"kind": "kv", "css_class": "kv", "pairs": h.kv_pairs(g.rows)},
        ]
    blocks.append(run_details(config, facts))
    return blocks


def _heading4(text: str) -> dict:
    return {"kind": "heading", "level": 4, "id": "", "text": text}


def run_details(config: Mapping, facts: str) -> dict:
    """The collapsed block of library versions, the configuration (secrets redacted) and every
    output's row count and checksum (the table ``facts``)."""
    outputs = pd.read_parquet(facts, columns=list(rm.FACT_TYPES))
    return {
        "kind": "details",
        "id": "run-details",
        "summary": "Library versions, configuration and every output's checksum",
        "blocks": [
            _heading4("Library versions (report build)"),
            {"kind": "kv", "css_class": "kv", "pairs": h.kv_pairs(rm.library_versions())},
            _heading4("Configuration (secrets redacted)"),
            {"kind": "kv", "css_class": "kv", "pairs": h.kv_pairs(rm.flatten(rm.redact(config)))},
            _heading4("Outputs: row counts and checksums"),
            {"kind": "markup", "html": h.table(outputs, css_class="data files")},
        ],
    }


def dictionary_blocks(tables: Sequence[str], entries: Mapping[str, rd.Entry]) -> list[dict]:
    """The data dictionary (collapsed): every table's columns, type and meaning; undocumented or
    stale columns listed in the open."""
    covs = rd.coverage(tables, entries)
    blocks: list[dict] = [
        {"kind": "heading", "level": 3, "id": "dictionary", "text": "Data dictionary"}
    ]
    if not covs:
        return blocks + [
            {"kind": "paragraph", "css_class": "note", "text": "This run produced no table."}
        ]
    problems = rd.coverage_problems(covs)
    if problems:
        blocks.append(
            {"kind": "warning_list", "text": "Undocumented or stale columns:", "entries": problems}
        )
    inner: list[dict] = []
    for cov in covs:
        rows = []
        for name, typ in cov.columns:
            col = cov.entry.column(name) if cov.entry else None
            rows.append(
                {
                    "column": name,
                    "type": col.type if col else "",
                    "stored as": typ,
                    "meaning": col.meaning if col else "UNDOCUMENTED",
                    "source": col.source if col else "",
                }
            )
        for name in cov.absent:
            col = cov.entry.column(name)
            rows.append(
                {
                    "column": name,
                    "type": col.type,
                    "stored as": "(absent from the table)",
                    "meaning": col.meaning,
                    "source": col.source,
                }
            )
        desc = cov.entry.description if cov.entry else "No entry in the data dictionary."
        where = f" (documented in {cov.entry.file})" if cov.entry else ""
        inner += [
            {"kind": "heading", "level": 4, "id": f"dict-{h.anchor(cov.table)}", "text": cov.table},
            {"kind": "paragraph", "css_class": "", "text": desc + where},
            {"kind": "markup", "html": h.table(pd.DataFrame(rows), css_class="data dictionary")},
        ]
    blocks.append(
        {
            "kind": "details",
            "id": "dictionary-tables",
            "summary": f"Columns of the {len(covs)} tables of the run",
            "blocks": inner,
        }
    )
    return blocks


def _numbered(blocks: list[dict], numbers: Numbers) -> list[dict]:
    for b in blocks:
        if b["kind"] == "figure":
            b["number"] = numbers.next_figure()
        elif b["kind"] == "table":
            b["number"] = numbers.next_table()
    return blocks


def appendix_blocks(appendix: list[dict], max_table_rows: int) -> list[dict]:
    """The long tables, each collapsed, after a note on what they show."""
    if not appendix:
        return [{"kind": "paragraph", "css_class": "note", "text": "No raw table in this run."}]
    blocks: list[dict] = [
        {
            "kind": "paragraph",
            "css_class": "note",
            "text": f"Long tables, collapsed (click a title to open); each shows its first "
            f"{max_table_rows:,} rows, the whole table is the file named.",
        }
    ]
    for b in appendix:
        blocks.append(
            {
                "kind": "details",
                "id": f"appendix-{b['anchor']}",
                "summary": b["title"],
                "blocks": [b],
            }
        )
    return blocks


def numbered_sections(body: Blocks, coding_words: list[str]) -> list[tuple[str, str, list]]:
    """The report's sections in order, figures and tables numbered as they appear; an empty
    section says so (RQ1 and RQ2: what to fill and set, when the run has blank sheets)."""
    numbers = Numbers()
    sections = []
    for sid, stitle in layout.SECTIONS:
        blocks = _numbered(body[sid], numbers)
        for b in blocks:
            if b["kind"] == "details":
                _numbered(b["blocks"], numbers)
        if not blocks:
            words = (
                coding_words if sid in ("rq1", "rq2") and coding_words else ["Nothing in this run."]
            )
            blocks = [{"kind": "paragraph", "css_class": "note", "text": t} for t in words]
        sections.append((sid, stitle, blocks))
    return sections


def build_report(
    *,
    figures: Sequence[str],
    specs: Sequence[str],
    tables: Sequence[str],
    facts: str,
    manifests: Sequence[str],
    captions: Sequence[str],
    dictionary: Sequence[str],
    css: str,
    config: Mapping[str, Any],
    synthetic: bool,
    max_table_rows: int,
    key_table_patterns: Sequence[str],
    summary: str,
    figure_categories: Mapping[str, str] | None = None,
    template_dir: str | None = None,
    table_names: Mapping[str, str] | None = None,
) -> str:
    """The whole report as one HTML document (deterministic for the same inputs).

    ``summary`` is the summary table (rule summarize_study): its sentences are placed by
    research question; it is listed with the run's tables (data dictionary). ``facts`` is the
    table of rule describe_outputs: every output's row count and checksum, for the run
    manifest. ``figure_categories`` maps each figure to its registry category, in registry
    order (the figures' order and place); figures without one go to methods and data.
    ``table_names`` maps each table path to its name (``workflow/products.yaml``), which places
    and titles the key tables.
    """
    entries = rd.load_dictionary(dictionary)
    summary = str(summary)
    tables = sorted(set(str(t) for t in [*tables, summary]))
    source = str(config.get("source", ""))
    title = f"{TITLE} ({source}, snapshot {config.get('snapshot')})"
    facts_by = summary_blocks(summary)
    figs = figure_blocks(figures, specs, captions, config, dict(figure_categories or {}))
    tabs = table_blocks(tables, key_table_patterns, entries, max_table_rows, table_names)
    body: Blocks = {sid: [] for sid, _ in layout.SECTIONS}
    body["overview"] += overview_intro(summary, config, synthetic)
    for sid in body:
        body[sid] += facts_by.get(sid, []) + figs.get(sid, [])
        if sid != "appendix":
            body[sid] += tabs.get(sid, [])
    body["methods"] += manifest_blocks(config, manifests, str(facts))
    body["methods"] += dictionary_blocks(tables, entries)
    body["appendix"] += appendix_blocks(tabs.get("appendix", []), max_table_rows)
    # empty RQ1 and RQ2 of a run with blank coding sheets say what to fill and set
    coding = config.get("coding") or {}
    coding_words = coding_guidance(
        sheets_among(tables), coding.get("filled_dir"), coding.get("codebook")
    )
    sections = numbered_sections(body, coding_words)
    return h.page(title, sections, css, synthetic, template_dir)
