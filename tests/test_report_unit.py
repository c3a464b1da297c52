"""The study report's library (hfreuse.report) and build_report's main() on small inputs."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from hfreuse.errors import InputError
from hfreuse.io import write_parquet
from hfreuse.report import dictionary as rd
from hfreuse.report import html as h
from hfreuse.report import manifest as rm
from hfreuse.report.build import build_report
from hfreuse.report.study_summary import summarize_study

EVIL = "<script>alert(1)</script>"
EVIL_IMG = '<img src=x onerror="alert(2)">'
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">'
    '<rect width="120" height="60" fill="#4c78a8"/><text x="4" y="30">{label}</text></svg>'
)
CONFIG = {
    "source": "demo",
    "snapshot": "snap-1",
    "hub": {"endpoint": "https://hub.example.invalid", "card_shards": 2, "token": "hf_secret"},
    "report": {"max_table_rows": 3},
}


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path.as_posix()


def table_names() -> dict[str, str]:
    """path -> table name, as workflow/products.yaml declares them (what the rule passes)."""
    import yaml
    from conftest import ROOT
    from hfreuse.products import check_tables

    doc = yaml.safe_load((ROOT / "workflow/products.yaml").read_text())
    return {p: n for n, p in check_tables(doc, "workflow/products.yaml").items()}


def make_synthetic_run(root: Path) -> dict:
    """A tiny run folder (relative paths, like a workflow's) with hostile text in it.

    Returns the keyword arguments of :func:`build_report`, relative to ``root``.
    """
    root.mkdir(parents=True, exist_ok=True)
    fig = root / "results" / "figures"
    _write(fig / "alpha.svg", SVG.format(label="alpha"))
    _write(fig / "alpha.json", json.dumps({"title": {"text": f"Alpha {EVIL}", "subtitle": []}}))
    _write(fig / "beta.svg", SVG.format(label="beta &lt;b&gt;"))
    _write(fig / "beta.json", json.dumps({"mark": "bar"}))
    _write(root / "results/figures/alpha.png", "png")
    _write(
        root / "workflow/report/alpha.rst",
        'Alpha caption for snapshot **{{ snakemake.config["snapshot"] }}**.\n\n'
        "Caveat: the last month is *partial*.\n",
    )
    models = pd.DataFrame(
        {
            "model_id": ["a/m1", "a/m2", "b/m3", "c/m4"],
            "model_type": ["bert", "bert", None, "gpt2"],
            "has_card_data": [True, False, True, False],
            "created_at": pd.to_datetime(
                [
                    "2022-03-02T23:29:04Z",
                    "2023-01-05T00:00:00Z",
                    "2023-02-01T00:00:00Z",
                    "2024-05-01T00:00:00Z",
                ]
            ),
            "created_at_floored": [True, False, False, False],
            "created_at_source": ["unresolved", "api", "api", "api"],
            "created_at_reason": ["repository gone (deleted or private)", None, None, None],
        }
    )
    (root / "results/hub").mkdir(parents=True, exist_ok=True)
    models.to_parquet(root / "results/hub/models.parquet", index=False)
    types = pd.DataFrame(
        {
            "model_type": ["bert", "bert", "gpt2", "gpt2"],
            "month": ["2023-01", "2023-02", "2023-01", "2023-02"],
            "models": [5, 3, 1, 2],
            "models_floored": pd.array([0, 0, 0, 0], dtype="Int64"),
            "partial_month": [False, True, False, True],
        }
    )
    (root / "results/trends").mkdir(parents=True, exist_ok=True)
    types.to_parquet(root / "results/trends/hub_model_types_monthly.parquet", index=False)
    share = pd.DataFrame(
        {
            "month": ["2022-12", "2023-01", "2023-02"],
            "models": [4, 6, 10],
            "models_with_card_data": [1, 3, 5],
            "share": [0.25, 0.5, 0.5],
            "models_floored": pd.array([0, 0, 0], dtype="Int64"),
            "floor_month": [False, False, False],
            "partial_month": [False, False, True],
        }
    )
    share.to_parquet(root / "results/trends/card_share_monthly.parquet", index=False)
    topics = pd.DataFrame(
        {
            "topic_id": [1, 2, 3, 4],
            "title": [EVIL, "Fine-tuning BERT", EVIL_IMG, "Where & why?"],
            "category": ["Beginners", "Beginners", "Models", EVIL],
            "created_at": pd.to_datetime(
                ["2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01"], utc=True
            ),
            "posts_count": [1, 3, 2, 1],
            "has_accepted_answer": [False, True, True, False],
            "pinned": [False, False, False, True],
        }
    )
    (root / "results/forum").mkdir(parents=True, exist_ok=True)
    topics.to_parquet(root / "results/forum/topics.parquet", index=False)
    posts = pd.DataFrame(
        {
            "post_id": [10, 11, 12, 20, 21, 30, 40],
            "is_accepted_answer": [False, False, True, False, True, False, False],
            "author_is_staff": [False, True, True, False, False, False, False],
        }
    )
    posts.to_parquet(root / "results/forum/posts.parquet", index=False)
    pd.DataFrame(
        {
            "category": ["Beginners", "Beginners", "Models", EVIL],
            "month": ["2021-01", "2021-02", "2021-03", "2021-04"],
            "topics": [1, 1, 1, 1],
        }
    ).to_parquet(root / "results/forum/topics_per_category_monthly.parquet", index=False)
    pd.DataFrame(
        {
            "metric": ["topics", "share_topics_without_reply", "mean_posts_per_topic", "authors"],
            "value": [4.0, 1 / 3, 1.75, float("nan")],
        }
    ).to_parquet(root / "results/forum/summary.parquet", index=False)
    sample = pd.DataFrame(
        {"topic_id": range(1, 6), "title": [EVIL, EVIL_IMG, "t3", "t4", "t5"], "coder": ["ann"] * 5}
    )
    (root / "results/coding").mkdir(parents=True, exist_ok=True)
    sample.to_parquet(root / "results/coding/sample.parquet", index=False)
    taxonomy = pd.DataFrame(
        {
            "kind": ["challenge"] * 4 + ["benefit"] * 2,
            "level": ["category", "subcategory", "category", "category", "category", "category"],
            "category": [
                "Model Usage",
                "Model Usage",
                "Memory",
                "Training",
                "Expert Opinion",
                "Thanks",
            ],
            "subcategory": [None, "loading", None, None, None, None],
            "count": pd.array([6, 4, 3, 3, 5, None], dtype="Int64"),
        }
    )
    taxonomy["share"] = pd.array([6 / 12, 4 / 6, 3 / 12, 3 / 12, 1.0, None], dtype="Float64")
    taxonomy.to_parquet(root / "results/coding/taxonomy_counts.parquet", index=False)
    taxonomy.to_parquet(root / "results/coding/published_counts.parquet", index=False)
    pd.DataFrame(
        {
            "challenge_category": ["Memory", "Memory", "Training"],
            "root_cause_group": ["user-related", "HF-related", "user-related"],
            "root_cause": ["wrong batch size", "bug", "wrong lr"],
            "count": [3, 1, 4],
        }
    ).to_parquet(root / "results/coding/root_cause_counts.parquet", index=False)
    agreement = pd.DataFrame(
        {
            "kind": ["challenge", "challenge"],
            "level": ["category", "category"],
            "measure": ["cohen_kappa", "krippendorff_alpha"],
            "pair": ["ann & bob", "all coders"],
            "coders": [2, 2],
            "units": [40, 40],
            "value": [0.712345, 0.70],
        }
    )
    agreement.to_parquet(root / "results/coding/agreement.parquet", index=False)
    (root / "results/stats").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"scope": ["all models"], "rho": [0.7012], "p": [0.00012], "n": [25]}).to_parquet(
        root / "results/stats/totals_spearman.parquet", index=False
    )
    pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "t5", "llama"],
            "rho": [0.9, -0.2, 0.5, 0.1],
            "p_adjusted": [0.001, 0.4, 0.03, 0.8],
        }
    ).to_parquet(root / "results/stats/monthly_spearman.parquet", index=False)
    _write(
        root / "results/stats/reproduction.csv",
        "claim,scope,test,paper_value,computed_value,p_value,criterion,verdict\n"
        f'"Forum mentions and hub uploads correlate {EVIL}.",major,Spearman,0.70,0.68,0.001,'
        "rho >= 0.6,supported\n"
        '"Card share has not increased.",all,Mann-Kendall,not increased,tau = -0.01,0.5,'
        "no increase,inconclusive\n"
        '"BERT uploads rise while topics decline.",bert,Mann-Kendall,yes,no,,both trends,'
        "contradicted\n",
    )
    stats = root / "results/stats"
    pd.DataFrame(
        {
            "scope": ["all", "major"],
            "n_models": [33, 20],
            "rho": [0.61, 0.72],
            "p_value": [0.0004, 0.00031],
            "first_month": ["2022-04", "2022-04"],
            "last_month": ["2025-05", "2025-05"],
        }
    ).to_parquet(stats / "totals_correlation.parquet", index=False)
    pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "llama", "t5"],
            "rho": [-0.5, -0.1, 0.9, 0.4],
            "p_adjusted": [0.01, 0.5, 0.001, 0.049],
        }
    ).to_parquet(stats / "monthly_correlation.parquet", index=False)
    pd.DataFrame(
        {
            "model_type": ["bert", "llama", "t5", "bert", "llama", "t5"],
            "source": ["forum"] * 3 + ["hub"] * 3,
            "direction": ["declining", "rising", "no trend", "rising", "rising", "rising"],
        }
    ).to_parquet(stats / "model_trends.parquet", index=False)
    pd.DataFrame({"model_type": ["bert"], "forum_tau": [-0.3]}).to_parquet(
        stats / "declining_rising.parquet", index=False
    )
    pd.DataFrame(
        {
            "test": ["mann_kendall", "mann_whitney"],
            "p_value": [0.92, 0.125],
            "tau": [-0.0128, None],
            "sen_slope": [-0.00004, None],
            "increase": [False, False],
            "split_month": [None, "2022-12"],
            "n_before": pd.array([None, 8], dtype="Int64"),
            "n_after": pd.array([None, 30], dtype="Int64"),
            "median_before": [None, 0.4926],
            "median_after": [None, 0.5051],
            "n_months": [38, 38],
            "first_month": ["2022-04", "2022-04"],
            "last_month": ["2025-05", "2025-05"],
            "min_models_per_month": [30, 30],
            "n_months_few_models": [3, 3],
        }
    ).to_parquet(stats / "card_share_trend.parquet", index=False)
    raw = root / "resources/raw/snap-1/hub"
    _write(
        raw / "manifest.json",
        json.dumps(
            {
                "endpoint": "https://hub.example.invalid",
                "crawl_started_at": "2024-07-01T00:00:00Z",
                "stats": {"requests": 120, "retries": 2, "errors": 0},
                "library_versions": {"huggingface_hub": "2.4.0"},
            }
        ),
    )
    for k, n in ((0, 40), (1, 60)):
        _write(
            raw / f"cards/shard-{k:02d}-of-02.json",
            json.dumps({"shard": f"{k:02d}-of-02", "stats": {"requests": n, "errors": k}}),
        )
    dict_path = _write(
        root / "workflow/report/dictionary/test.yaml",
        "results/hub/models.parquet:\n"
        "  description: One row per model <of the snapshot>.\n"
        "  columns:\n"
        "    - {name: model_id, type: string, meaning: repository id, source: id}\n"
        "    - {name: model_type, type: string, meaning: transformers type, source: config.model_type}\n"
        "    - {name: has_card_data, type: bool, meaning: card data, source: cardData}\n"
        "    - {name: created_at, type: timestamp, meaning: creation date, source: createdAt}\n"
        "    - {name: created_at_floored, type: bool, meaning: floored, source: derived}\n"
        "    - {name: created_at_source, type: string, meaning: dated by, source: derived}\n"
        "    - {name: created_at_reason, type: string, meaning: why undated, source: derived}\n"
        "    - {name: likes, type: int64, meaning: likes, source: likes}\n"
        "results/coding/*.parquet:\n"
        "  description: Coding tables.\n"
        "  columns:\n"
        "    - {name: topic_id, type: int64, meaning: topic, source: Discourse topic id}\n",
    )
    css = _write(
        root / "workflow/report/report.css", (ROOT / "workflow/report/report.css").read_text()
    )
    tables = sorted(
        p.relative_to(root).as_posix()
        for p in (root / "results").rglob("*")
        if p.suffix in (".parquet", ".csv")
    )
    summary = "results/report/summary.parquet"
    (root / "results/report").mkdir(parents=True, exist_ok=True)
    with contextlib.chdir(root):
        names = table_names()
        by_name = {names[t]: t for t in tables if t in names}
        summarize_study(by_name, alpha=0.05, top_n=3).to_parquet(summary, index=False)
    facts = "results/report/outputs.parquet"
    outputs = [*tables, summary, "results/figures/alpha.png", "results/figures/alpha.svg"]
    with contextlib.chdir(root):
        write_parquet(rm.output_facts(outputs), facts, sort_by=["file"])
    return {
        "summary": summary,
        "figures": ["results/figures/alpha.svg", "results/figures/beta.svg"],
        "specs": ["results/figures/alpha.json", "results/figures/beta.json"],
        "tables": tables,
        "facts": facts,
        "manifests": sorted(
            p.relative_to(root).as_posix() for p in (root / "resources").rglob("*.json")
        ),
        "captions": ["workflow/report/alpha.rst"],
        "dictionary": [Path(dict_path).relative_to(root).as_posix()],
        "css": Path(css).read_text(),
        "config": CONFIG,
        "synthetic": True,
        "max_table_rows": 3,
        "key_table_patterns": ["results/coding/*.parquet", "results/stats/*"],
    }


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
    path = _write(tmp_path / "d.yaml", text)
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
    assert out.count('<span class="synthetic-badge">SYNTHETIC DEMO DATA</span>') == 6


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
