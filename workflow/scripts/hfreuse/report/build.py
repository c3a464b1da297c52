"""The study report: one self-contained HTML file built from whatever this run produced.

Nothing here knows the list of figures or tables: figures are the SVG files it is given (with the
Vega-Lite spec beside each for its title and a caption ``workflow/report/<figure>.rst``), tables
are the parquet/CSV files it is given, manifests the raw snapshot manifests of the run.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from . import dictionary as rd
from . import html as h
from . import manifest as rm
from .summary import summary_topics

TITLE = "Deep Learning Model Reuse in the HuggingFace Community: study report"
PAPER = (
    "Rerun of Taraghi, Dorcelus, Foundjem, Tambon and Khomh, \u201cDeep Learning Model Reuse in "
    "the HuggingFace Community: Challenges, Benefit and Trends\u201d, SANER 2024 (arXiv 2401.13177)."
)
SOURCES = {
    "demo": "the embedded demo snapshot (generated, synthetic)",
    "live": "a crawl of the live HuggingFace Hub and forum",
    "paper": "the authors' replication package",
}


def _stem(path: str) -> str:
    return Path(path).stem


def figure_title(spec_path: str | None, default: str) -> str:
    """The chart's title from its Vega-Lite spec (``default`` when it has none)."""
    if not spec_path:
        return default
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    title = spec.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else default


def figures_section(
    figures: Sequence[str], specs: Sequence[str], captions: Sequence[str], config: Mapping
) -> str:
    spec_by = {_stem(s): s for s in specs}
    caption_by = {_stem(c): c for c in captions}
    context = {"snakemake": {"config": config}}
    parts = []
    if not figures:
        return '<p class="note">This run produced no figure.</p>'
    for svg in sorted(figures):
        name = _stem(svg)
        title = figure_title(spec_by.get(name), name)
        if name in caption_by:
            text = Path(caption_by[name]).read_text(encoding="utf-8")
            caption = h.rst_to_html(text, caption_by[name], context)
        else:
            caption = (
                f'<p class="warning">No caption: workflow/report/{h.esc(name)}.rst is missing.</p>'
            )
        parts.append(
            f'<figure id="fig-{h.anchor(name)}" data-figure="{h.esc(name)}">'
            f"<h3>{h.esc(title)}</h3>{h.svg_img(svg, title)}"
            f'<figcaption>{caption}<p class="files">Files: {h.esc(svg)} (also .html, .png, '
            f".json beside it)</p></figcaption></figure>"
        )
    return "\n".join(parts)


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


def tables_section(
    tables: Sequence[str], patterns: Sequence[str], entries: Mapping[str, rd.Entry], max_rows: int
) -> str:
    keys = key_tables(tables, patterns)
    if not keys:
        return '<p class="note">No key table (statistics, taxonomy, agreement) in this run.</p>'
    parts = []
    for path in keys:
        df, total = read_head(path, max_rows)
        entry = rd.entry_for(path, entries)
        desc = f"<p>{h.esc(entry.description)}</p>" if entry else ""
        parts.append(
            f'<div class="table-block" id="table-{h.anchor(path)}"><h3>{h.esc(path)}</h3>{desc}'
            f"{h.table(df, max_rows=max_rows, total_rows=total)}</div>"
        )
    return "\n".join(parts)


def summary_section(summary: str, config: Mapping, synthetic: bool) -> str:
    """The sentences of the summary table (rule summarize_study), by section."""
    source = str(config.get("source", ""))
    intro = (
        f"<p>{h.esc(PAPER)} This run read {h.esc(SOURCES.get(source, source))} "
        f"(source <code>{h.esc(source)}</code>, snapshot <code>{h.esc(config.get('snapshot'))}"
        f"</code>). Every number below comes from <code>{h.esc(summary)}</code>, which rule "
        "summarize_study wrote from this run's tables.</p>"
    )
    if synthetic:
        intro += (
            '<p class="warning">These numbers describe SYNTHETIC demo data: they show that the '
            "workflow runs, not what HuggingFace looks like.</p>"
        )
    topics = summary_topics(summary)
    if not topics:
        return intro + '<p class="note">This run produced no table to summarise.</p>'
    body = "".join(
        f"<h3>{h.esc(t.title)}</h3><ul>{''.join(f'<li>{h.esc(s)}</li>' for s in t.sentences)}</ul>"
        for t in topics
    )
    return intro + body


def manifest_section(config: Mapping, manifests: Sequence[str], facts: str) -> str:
    """The run, its raw manifests, library versions, the configuration (secrets redacted) and the
    outputs' row counts and checksums (the table ``facts`` of rule describe_outputs)."""
    parts = [
        "<h3>Run</h3>",
        h.kv_table([("source", config.get("source")), ("snapshot", config.get("snapshot"))]),
        "<h3>Raw snapshot manifests</h3>",
    ]
    groups = rm.manifest_groups(manifests)
    if not groups:
        parts.append(
            '<p class="note">This source has no raw snapshot manifest (the paper source starts '
            "from the replication package; see paper.replication_dir in the configuration).</p>"
        )
    for g in groups:
        parts.append(f"<h4>{h.esc(g.label)}</h4>{h.kv_table(g.rows)}")
    parts += [
        "<h3>Library versions (report build)</h3>",
        h.kv_table(rm.library_versions()),
        "<h3>Configuration (secrets redacted)</h3>",
        h.kv_table(rm.flatten(rm.redact(config))),
        "<h3>Outputs: row counts and checksums</h3>",
        h.table(
            pd.read_parquet(facts, columns=list(rm.FACT_TYPES)),
            css_class="data files",
        ),
    ]
    return "\n".join(parts)


def dictionary_section(tables: Sequence[str], entries: Mapping[str, rd.Entry]) -> str:
    covs = rd.coverage(tables, entries)
    if not covs:
        return '<p class="note">This run produced no table.</p>'
    parts = []
    problems = rd.coverage_problems(covs)
    if problems:
        parts.append(
            '<div class="warning"><p>Undocumented or stale columns:</p><ul>'
            + "".join(f"<li>{h.esc(p)}</li>" for p in problems)
            + "</ul></div>"
        )
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
        desc = h.esc(cov.entry.description) if cov.entry else "No entry in the data dictionary."
        where = f" (documented in {h.esc(cov.entry.file)})" if cov.entry else ""
        parts.append(
            f'<div class="table-block" id="dict-{h.anchor(cov.table)}"><h3>{h.esc(cov.table)}</h3>'
            f"<p>{desc}{where}</p>{h.table(pd.DataFrame(rows), css_class='data dictionary')}</div>"
        )
    return "\n".join(parts)


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
) -> str:
    """The whole report as one HTML document (deterministic for the same inputs).

    ``summary`` is the summary table (rule summarize_study): the summary section presents its
    rows; it is listed with the run's tables (data dictionary). ``facts`` is the table of rule
    describe_outputs: every output's row count and checksum, for the run manifest.
    """
    entries = rd.load_dictionary(dictionary)
    summary = str(summary)
    tables = sorted(set(str(t) for t in [*tables, summary]))
    source = str(config.get("source", ""))
    title = f"{TITLE} ({source}, snapshot {config.get('snapshot')})"
    sections = [
        ("summary", "Summary of findings", summary_section(summary, config, synthetic)),
        ("figures", "Figures", figures_section(figures, specs, captions, config)),
        (
            "tables",
            "Key tables",
            tables_section(tables, key_table_patterns, entries, max_table_rows),
        ),
        ("manifest", "Run manifest", manifest_section(config, manifests, str(facts))),
        ("dictionary", "Data dictionary", dictionary_section(tables, entries)),
    ]
    return h.page(title, sections, css, synthetic)
