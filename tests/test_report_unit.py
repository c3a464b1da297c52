"""The study report's library (hfreuse.report) and build_report's main() on small inputs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from hfreuse.errors import InputError
from hfreuse.report import dictionary as rd
from hfreuse.report import html as h
from hfreuse.report import manifest as rm
from hfreuse.report.build import build_report
from report_support import CONFIG, EVIL, make_synthetic_run, write_file


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    kwargs = make_synthetic_run(tmp_path / "run")
    monkeypatch.chdir(tmp_path / "run")
    return kwargs


# --- HTML primitives ---


def test_esc_and_format_values():
    assert h.esc(EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert h.esc("a\"b'c&") == "a&quot;b&#x27;c&amp;"
    assert h.format_value(None) == "" and h.format_value(float("nan")) == ""
    assert h.format_value(True) == "true" and h.format_value(3.0) == "3"
    assert h.format_value(["a", "<b>"]) == "a, <b>"
    assert h.format_value(pd.Timestamp("2024-01-02T03:04:05Z")) == "2024-01-02T03:04:05+00:00"


def test_number_and_date_formats_are_consistent():
    """Statistics with 3 significant digits (0.753 next to 0.754, never 0.7544), counts with
    thousands separators (not years or ids), timestamps without microseconds."""
    assert h.format_value(0.123456) == "0.123"
    assert [h.format_value(v) for v in (0.753, 0.7544, 2.5e-07)] == ["0.753", "0.754", "2.5e-07"]
    assert h.format_value(12345) == "12,345" and h.format_value(12345.0) == "12,345"
    assert h.format_value(1234.5678) == "1,235"
    assert h.format_value(2024, grouped=False) == "2024"
    stamp = pd.Timestamp("2024-01-02T03:04:05.123456Z")
    assert h.format_value(stamp) == "2024-01-02T03:04:05+00:00"
    assert h.format_value(pd.Timestamp("2024-01-02")) == "2024-01-02"
    assert h.format_value("2025-06-18T00:00:00.000Z") == "2025-06-18T00:00:00Z"  # manifests
    assert h.format_value("2025-06-18T01:02:03.5+00:00") == "2025-06-18T01:02:03+00:00"
    assert h.format_value("version 1.000") == "version 1.000"  # other text as it is
    df = pd.DataFrame(
        {"year": [2024], "topic_id": [123456], "topics": [123456], "rho": [0.93412], "t": [stamp]}
    )
    cells = h.table_data(df)["rows"][0]
    assert cells == ["2024", "123456", "123,456", "0.934", "2024-01-02T03:04:05+00:00"]


def test_table_escapes_every_cell_and_header_and_truncates():
    df = pd.DataFrame({EVIL: [EVIL, "ok", "x"], "n": [1, 2, 3]})
    out = h.table(df, max_rows=2)
    assert "<script" not in out
    assert out.count("&lt;script&gt;") == 2  # header and cell
    assert '<td class="num">2</td>' in out and '<td class="num">3</td>' not in out
    assert "First 2 of 3 rows." in out
    assert "The table is empty." in h.table(df.head(0))


def test_rst_caption_renders_markup_and_config():
    out = h.rst_to_html(
        'Data of **{{ snakemake.config["snapshot"] }}**, see *caveats*.',
        "x.rst",
        {"snakemake": {"config": {"snapshot": "s1"}}},
    )
    assert "<strong>s1</strong>" in out and "<em>caveats</em>" in out


def test_rst_caption_refuses_raw_html_and_bad_markup():
    with pytest.raises(InputError, match=r"evil\.rst: invalid reStructuredText"):
        h.rst_to_html(".. raw:: html\n\n   <script>alert(1)</script>\n", "evil.rst")
    with pytest.raises(InputError, match=r"bad\.rst: caption template error"):
        h.rst_to_html("{{ snakemake.config['nope'] }}", "bad.rst", {"snakemake": {"config": {}}})
    # text that looks like HTML is shown as text
    assert "&lt;b&gt;" in h.rst_to_html("a <b> tag", "t.rst")


def test_page_marks_every_section_synthetic_only_on_demo():
    sections = [("a", "A", "<p>x</p>"), ("b", "B", "<p>y</p>")]
    demo = h.page("T", sections, "", synthetic=True)
    assert demo.count('class="synthetic-badge"') == 2
    assert 'class="synthetic-banner"' in demo and "<title>[SYNTHETIC DEMO DATA] T</title>" in demo
    real = h.page("T", sections, "", synthetic=False)
    assert "SYNTHETIC" not in real
    assert "Content-Security-Policy" in real and "default-src 'none'" in real


# --- data dictionary ---


def test_dictionary_coverage_names_missing_and_stale_columns(run_dir):
    entries = rd.load_dictionary(run_dir["dictionary"])
    covs = {c.table: c for c in rd.coverage(run_dir["tables"], entries)}
    models = covs["results/hub/models.parquet"]
    assert models.undocumented == [] and models.absent == ["likes"]
    assert covs["results/coding/sample.parquet"].undocumented == ["title", "coder"]
    assert covs["results/forum/topics.parquet"].entry is None
    problems = rd.coverage_problems(covs.values())
    assert any(
        p.startswith("results/coding/sample.parquet: columns not documented")
        and "title, coder" in p
        for p in problems
    )
    assert any("results/hub/models.parquet: documented" in p and "likes" in p for p in problems)
    assert any(p.startswith("results/forum/posts.parquet: no entry") for p in problems)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "results/x.parquet: {columns: [{name: a, type: t, meaning: m, source: s}]}",
            "non-empty 'description'",
        ),
        (
            "results/x.parquet: {description: d, columns: [{name: a, type: t}]}",
            "column 1: expected text fields",
        ),
        ("x.parquet: {description: d, columns: []}", "expected a table path under results/"),
        ("results/x.parquet: [1, 2]", "expected a mapping"),
    ],
)
def test_dictionary_rejects_malformed_entries(tmp_path, text, message):
    path = write_file(tmp_path / "d.yaml", text)
    with pytest.raises(InputError, match=re.escape(message)):
        rd.load_dictionary([path])


def test_repository_dictionary_is_well_formed_and_documents_the_hub_tables():
    files = sorted(str(p) for p in (ROOT / "workflow/report/dictionary").glob("*.yaml"))
    entries = rd.load_dictionary(files)
    models = entries["results/hub/models.parquet"]
    assert [c.name for c in models.columns][:3] == ["model_id", "author", "created_at"]
    for key in (
        "results/trends/hub_model_types_monthly.parquet",
        "results/trends/card_share_monthly.parquet",
    ):
        assert key in entries


# --- manifest ---


def test_manifest_groups_merge_shards_and_sum_counts(run_dir):
    groups = rm.manifest_groups(run_dir["manifests"])
    assert [g.label for g in groups] == [
        "resources/raw/snap-1/hub/manifest.json",
        "resources/raw/snap-1/hub/cards/shard-*-of-*.json (2 files)",
    ]
    by = {g.label: dict(g.rows) for g in groups}
    shards = by["resources/raw/snap-1/hub/cards/shard-*-of-*.json (2 files)"]
    assert shards["stats.requests"] == "total 100 (per file 40 to 60)"
    assert shards["stats.errors"] == "total 1 (per file 0 to 1)"
    hub = by["resources/raw/snap-1/hub/manifest.json"]
    assert hub["stats.requests"] == 120 and hub["library_versions.huggingface_hub"] == "2.4.0"


def test_redact_hides_secret_looking_keys_only():
    out = rm.redact({"hub": {"token": "hf_x", "endpoint": "e", "api_key": None}, "HF_TOKEN": "t"})
    assert out == {
        "hub": {"token": rm.REDACTED, "endpoint": "e", "api_key": None},
        "HF_TOKEN": rm.REDACTED,
    }


def test_file_facts_count_rows_and_hash(run_dir):
    facts = {f["file"]: f for f in rm.file_facts(run_dir["tables"])}
    assert facts["results/hub/models.parquet"]["rows"] == 4
    assert facts["results/stats/reproduction.csv"]["rows"] == 3
    assert len(facts["results/hub/models.parquet"]["sha256"]) == 64


def test_describe_outputs_writes_the_facts_the_manifest_presents(run_dir, tmp_path):
    import describe_outputs

    out = tmp_path / "outputs.parquet"
    describe_outputs.main(outputs=run_dir["tables"][::-1], facts=str(out))
    df = pd.read_parquet(out)
    assert df["file"].tolist() == sorted(run_dir["tables"])  # sorted, whatever the input order
    assert [str(t) for t in df.dtypes] == ["string", "Int64", "Int64", "int64", "string"]
    row = df.set_index("file").loc["results/hub/models.parquet"]
    assert row["rows"] == 4 and len(row["sha256"]) == 64
    html = build_report(**run_dir)
    assert row["sha256"] in html  # the report shows the rule's table, it hashes nothing


# --- summary ---


def facts_lists(html: str) -> list[str]:
    return re.findall(r"<h3>[^<]*</h3><ul class=\"facts\">.*?</ul>", html, flags=re.S)


def test_summary_section_presents_the_summary_table(run_dir):
    """The sentences of results/report/summary.parquet, filled in and escaped, under their
    headings, placed by research question; it reads no other table."""
    out = build_report(**run_dir)
    summary = "".join(facts_lists(out))
    overview = out[out.index('<section id="overview">') : out.index('<section id="rq1">')]
    assert "Every number in the text comes from results/report/summary.parquet" in overview
    assert "<h3>Hub</h3>" in overview
    assert (
        "<li>The Hub snapshot holds 4 models, created from 2022-03-02 to 2024-05-01 (createdAt).</li>"
        in (summary)
    )
    assert (
        "created from 2021-01-01 to 2021-04-01, in 3 categories; the largest are Beginners (2), "
        "&lt;script&gt;alert(1)&lt;/script&gt; (1), Models (1).</li>"
    ) in summary
    assert "move together for 2 (llama, t5) and in opposite directions for 1 (bert)" in summary
    assert "<script" not in summary
    # the summary table is one of the run's tables: row counts and data dictionary
    assert '<td>results/report/summary.parquet</td><td class="num">' in out
    assert 'id="dict-results-report-summary-parquet"' in out


def test_summary_section_only_reads_the_summary_table(run_dir):
    """Without the stage tables the section still shows the same sentences (nothing recomputed)."""
    before = build_report(**run_dir)
    for table in run_dir["tables"]:
        Path(table).unlink()
    after = build_report(**{**run_dir, "tables": []})
    assert facts_lists(before) and facts_lists(after) == facts_lists(before)


# --- the whole report ---


def test_report_has_every_figure_table_and_section_and_escapes_data(run_dir):
    out = build_report(**run_dir)
    # no markup from data: no script element, no injected img with an event handler
    assert "<script" not in out.lower()
    assert "onerror=" not in out.replace("onerror=&quot;", "").replace("onerror=&#34;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    # figures: both embedded, the caption rendered with the config, a missing caption flagged
    assert out.count('<img class="figure"') == 2
    assert 'data-figure="alpha"' in out and 'data-figure="beta"' in out
    assert "<strong>snap-1</strong>" in out and "<em>partial</em>" in out
    assert "No caption: workflow/report/beta.rst is missing." in out
    assert (
        '<span class="label">Figure 1.</span> Alpha &lt;script&gt;alert(1)&lt;/script&gt;</p>'
    ) in out
    # key tables: the coding table (truncated to 3 rows) and the reproduction table
    assert 'id="table-results-coding-sample-parquet"' in out and "First 3 of 5 rows." in out
    assert 'id="table-results-stats-reproduction-csv"' in out
    assert 'id="table-results-hub-models-parquet"' not in out  # not a key table
    # manifest: raw manifests, request counts, versions, row counts, redacted secret
    assert "total 100 (per file 40 to 60)" in out and "https://hub.example.invalid" in out
    assert "<th>pandas</th>" in out and "hf_secret" not in out and rm.REDACTED in out
    assert '<td>results/coding/sample.parquet</td><td class="num">5</td>' in out
    # dictionary: documented, undocumented and absent columns; description escaped
    assert "One row per model &lt;of the snapshot&gt;." in out
    assert "results/forum/topics.parquet: no entry" in out
    assert "(absent from the table)" in out
    # synthetic on every section
    assert out.count('<span class="synthetic-badge">SYNTHETIC DEMO DATA</span>') == 7


def test_report_is_deterministic_and_unmarked_for_real_sources(run_dir):
    assert build_report(**run_dir) == build_report(**run_dir)
    real = build_report(**{**run_dir, "synthetic": False, "config": {**CONFIG, "source": "live"}})
    assert "SYNTHETIC" not in real


def test_report_rejects_a_figure_that_is_not_svg(run_dir):
    Path("results/figures/beta.svg").write_text("not an image")
    with pytest.raises(InputError, match=r"results/figures/beta\.svg: expected an SVG"):
        build_report(**run_dir)


def test_build_report_script_main_writes_the_file(run_dir, tmp_path):
    import build_report as script

    out = tmp_path / "out" / "report.html"
    shutil.rmtree(out.parent, ignore_errors=True)
    script.main(
        figures=run_dir["figures"],
        specs=run_dir["specs"],
        tables=run_dir["tables"],
        facts=run_dir["facts"],
        manifests=run_dir["manifests"],
        captions=run_dir["captions"],
        dictionary=run_dir["dictionary"],
        style="workflow/report/report.css",
        report=str(out),
        config=CONFIG,
        synthetic=True,
        max_table_rows=3,
        key_tables=["results/stats/*"],
        summary=run_dir["summary"],
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "SYNTHETIC DEMO DATA" in text
    assert 'id="table-results-stats-reproduction-csv"' in text
    assert 'id="table-results-coding-sample-parquet"' not in text
