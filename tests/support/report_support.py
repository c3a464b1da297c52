"""A tiny synthetic run folder with hostile text in it, for the report tests (unit, browser,
study summary)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pandas as pd
from hfreuse.io import write_parquet
from hfreuse.report import manifest as rm
from hfreuse.report.study_summary import summarize_study
from testenv import ROOT

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


def write_file(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path.as_posix()


def table_names() -> dict[str, str]:
    """path -> table name, as workflow/products.yaml declares them (what the rule passes)."""
    import yaml
    from hfreuse.products import check_tables

    doc = yaml.safe_load((ROOT / "workflow/products.yaml").read_text())
    return {p: n for n, p in check_tables(doc, "workflow/products.yaml").items()}


def make_synthetic_run(root: Path) -> dict:
    """A tiny run folder (relative paths, like a workflow's) with hostile text in it.

    Returns the keyword arguments of :func:`build_report`, relative to ``root``.
    """
    root.mkdir(parents=True, exist_ok=True)
    fig = root / "results" / "figures"
    write_file(fig / "alpha.svg", SVG.format(label="alpha"))
    write_file(fig / "alpha.json", json.dumps({"title": {"text": f"Alpha {EVIL}", "subtitle": []}}))
    write_file(fig / "beta.svg", SVG.format(label="beta &lt;b&gt;"))
    write_file(fig / "beta.json", json.dumps({"mark": "bar"}))
    write_file(root / "results/figures/alpha.png", "png")
    write_file(
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
    write_file(
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
    write_file(
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
        write_file(
            raw / f"cards/shard-{k:02d}-of-02.json",
            json.dumps({"shard": f"{k:02d}-of-02", "stats": {"requests": n, "errors": k}}),
        )
    dict_path = write_file(
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
    css = write_file(
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
