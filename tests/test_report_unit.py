"""The study report's library (hfreuse.report) and build_report's main() on small inputs."""

from __future__ import annotations

import json
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
from hfreuse.report.summary import summarise

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
    taxonomy.to_parquet(root / "results/coding/taxonomy.parquet", index=False)
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
        "claim,paper_value,computed_value,criterion,holds\n"
        f'"Forum mentions and hub uploads correlate {EVIL}.",0.70,0.68,rho >= 0.6,True\n'
        '"Card share has not increased.",not increased,tau = -0.01,no increase,True\n'
        '"BERT uploads rise while topics decline.",yes,no,both trends,False\n',
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
    return {
        "figures": ["results/figures/alpha.svg", "results/figures/beta.svg"],
        "specs": ["results/figures/alpha.json", "results/figures/beta.json"],
        "tables": tables,
        "others": ["results/figures/alpha.png"],
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
    assert h.format_value(0.123456) == "0.1235"
    assert h.format_value(["a", "<b>"]) == "a, <b>"
    assert h.format_value(pd.Timestamp("2024-01-02T03:04:05Z")) == "2024-01-02T03:04:05+00:00"


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


# --- summary ---


def test_summary_numbers_from_the_tables(run_dir):
    topics = {t.title: t.sentences for t in summarise(run_dir["tables"])}
    hub = " ".join(topics["Hub"])
    assert "4 models, created from 2022-03-02 to 2024-05-01" in hub
    assert "3 of them (75.0%) declare a model type" in hub and "2 (50.0%) have card data" in hub
    assert "1 models (25.0%) carry the Hub's createdAt floor" in hub
    types = " ".join(topics["Model types on the Hub"])
    assert "2 model types; the 2 largest are bert (8), gpt2 (3)" in types
    assert "The last month (2023-02) is partial" in types
    cards = " ".join(topics["Documentation: card data"])
    assert "9 of 20 models (45.0%)" in cards
    assert "2022: 25.0% of 4; 2023: 50.0% of 6" in cards  # 2023-02 is partial: left out
    # the forum stage's headline table is there: the forum topic gives the period and categories
    assert topics["Forum"] == (
        "The forum snapshot holds 4 topics created from 2021-01-01 to 2021-04-01, in 3 "
        f"categories; the largest are Beginners (2), {EVIL} (1), Models (1).",
    )
    assert topics["Headline numbers of the stages"] == (
        "Forum (results/forum/summary.parquet): topics: 4; share of topics without reply: 33.3%; "
        "mean posts per topic: 1.75; authors: n/a.",
    )
    assert topics["Reproduction of the paper's claims"] == (
        "2 of 3 claims of the paper hold in this run.",
        f"Forum mentions and hub uploads correlate {EVIL}. Paper: 0.70. This run: 0.68 "
        "(criterion: rho >= 0.6): holds.",
        "Card share has not increased. Paper: not increased. This run: tau = -0.01 "
        "(criterion: no increase): holds.",
        "BERT uploads rise while topics decline. Paper: yes. This run: no "
        "(criterion: both trends): does not hold.",
    )
    assert topics["Taxonomy of challenges and benefits"] == (
        "Benefits: 1 categories, 5 coded instances; the most frequent are Expert Opinion (5, 100.0%) "
        "(results/coding/taxonomy.parquet).",
        "Challenges: 3 categories, 12 coded instances; the most frequent are Model Usage (6, 50.0%), "
        "Memory (3, 25.0%), Training (3, 25.0%) (results/coding/taxonomy.parquet).",
    )
    assert topics["Root causes of accepted answers"] == (
        "Root causes of 8 coded accepted answers, by group: user-related (7, 87.5%), "
        "HF-related (1, 12.5%) (results/coding/root_cause_counts.parquet).",
    )
    assert topics["Agreement between coders"] == (
        "Challenges, category level: Cohen's kappa (ann & bob) 0.712; Krippendorff's alpha 0.7, "
        "over 40 double-coded topics.",
    )
    assert topics["RQ3: forum mentions vs hub uploads"] == (
        "Total forum topics vs total hub uploads per model type (all models, months 2022-04 to "
        "2025-05): Spearman rho = 0.61, p = 0.0004, n = 33 model types.",
        "Total forum topics vs total hub uploads per model type (major models, months 2022-04 to "
        "2025-05): Spearman rho = 0.72, p = 0.00031, n = 20 model types.",
        "Month by month, per model type (4 types): forum topics and hub uploads move together for "
        "2 (llama, t5) and in opposite directions for 1 (bert) (Spearman, Benjamini-Hochberg "
        "adjusted p < 0.05).",
        "Trend over time of forum counts per model type: declining 1, no trend 1, rising 1.",
        "Trend over time of hub counts per model type: rising 3.",
        "1 model types have declining forum discussion but rising hub uploads: bert.",
    )
    assert topics["RQ3: documentation trend"] == (
        "Share of new models with card data over time over 38 months (2022-04 to 2025-05): "
        "Mann-Kendall tau = -0.0128, p = 0.92, Sen slope -4e-05 per month; increase: no.",
        "Before vs from 2022-12 (Mann-Whitney): median monthly share 0.493 (8 months) vs 0.505 "
        "(30 months), p = 0.12.",
    )
    assert topics["Other statistics"] == (
        "monthly spearman: 4 rows, rho from -0.2 to 0.9 (median 0.3); 2 with p_adjusted < 0.05.",
        "totals spearman (all models): rho = 0.701, p = 0.00012, n = 25.",
    )


def test_forum_summary_is_computed_when_the_stage_has_no_headline_table(run_dir):
    paths = [p for p in run_dir["tables"] if p != "results/forum/summary.parquet"]
    forum = " ".join({t.title: t.sentences for t in summarise(paths)}["Forum"])
    assert "1 of 3 unpinned topics (33.3%) have no reply" in forum
    assert "2 (50.0%) have an accepted answer" in forum
    assert (
        "7 posts. Of the 2 accepted answers, 1 (50.0%) were written by HuggingFace staff" in forum
    )


def test_summary_skips_absent_tables_and_notes_changed_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/trends").mkdir(parents=True)
    pd.DataFrame({"month": ["2023-01"], "models": [3]}).to_parquet(
        "results/trends/card_share_monthly.parquet"
    )
    topics = summarise(["results/trends/card_share_monthly.parquet"])
    assert [t.title for t in topics] == ["Documentation: card data"]
    assert topics[0].sentences[0].startswith("Not summarised: results/trends/card_share_monthly")
    assert "models_with_card_data" in topics[0].sentences[0]
    assert summarise([]) == []


# --- the whole report ---


def test_report_has_every_figure_table_and_section_and_escapes_data(run_dir):
    out = build_report(**run_dir)
    # no markup from data: no script element, no injected img with an event handler
    assert "<script" not in out.lower()
    assert "onerror=" not in out.replace("onerror=&quot;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    # figures: both embedded, the caption rendered with the config, a missing caption flagged
    assert out.count('<img class="figure"') == 2
    assert 'data-figure="alpha"' in out and 'data-figure="beta"' in out
    assert "<strong>snap-1</strong>" in out and "<em>partial</em>" in out
    assert "No caption: workflow/report/beta.rst is missing." in out
    assert "<h3>Alpha &lt;script&gt;alert(1)&lt;/script&gt;</h3>" in out
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
    assert out.count('<span class="synthetic-badge">SYNTHETIC DEMO DATA</span>') == 5


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
        others=run_dir["others"],
        manifests=run_dir["manifests"],
        captions=run_dir["captions"],
        dictionary=run_dir["dictionary"],
        style="workflow/report/report.css",
        report=str(out),
        config=CONFIG,
        synthetic=True,
        max_table_rows=3,
        key_tables=["results/stats/*"],
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "SYNTHETIC DEMO DATA" in text
    assert 'id="table-results-stats-reproduction-csv"' in text
    assert 'id="table-results-coding-sample-parquet"' not in text
