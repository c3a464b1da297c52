"""The coding stage end to end in a workflow copy: the paper source on the real replication
package, the download fallback (dry run), and the demo with a corrupted coding sheet."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from conftest import ROOT, run_snakemake, shared_path
from testenv import dry_run

pytestmark = pytest.mark.workflow

TAXONOMY = "results/coding/taxonomy_counts.parquet"

FIGURES = [
    "challenges_sunburst",
    "benefits_sunburst",
    "root_causes_sunburst",
    "challenges_bar",
    "benefits_bar",
    "root_causes_by_challenge",
]
PAPER_TABLES = [
    "codebook",
    "codes",
    "root_causes",
    "published_counts",
    "taxonomy_counts",
    "root_cause_counts",
]


def _check_dictionary(results):
    """Every coding table is documented, with its columns in order."""
    doc = yaml.safe_load((ROOT / "workflow/report/dictionary/coding.yaml").read_text())
    tables = sorted((results / "coding").glob("*.parquet"))
    assert tables
    for path in tables:
        key = f"results/coding/{path.name}"
        assert key in doc, f"{key} is not in the data dictionary"
        assert list(pd.read_parquet(path).columns) == [c["name"] for c in doc[key]["columns"]]


def _overlay(wf, text):
    path = wf / "overlay.yaml"
    path.write_text(text)
    return str(path)


def test_paper_run_builds_taxonomy_tables_and_figures(paper_copy):
    workflow_copy = paper_copy  # a copy of the session's paper run (conftest)
    overlay = _overlay(workflow_copy, f"paper:\n  replication_dir: {shared_path('replication')}\n")
    res = workflow_copy / "results"
    counts = pd.read_parquet(res / "coding/taxonomy_counts.parquet")
    cats = counts[counts["level"] == "category"]
    assert cats.groupby("kind")["count"].sum().to_dict() == {"benefit": 514, "challenge": 737}
    assert len(pd.read_parquet(res / "coding/codes.parquet")) == 1183
    assert pd.read_parquet(res / "coding/root_cause_counts.parquet")["count"].sum() == 72
    spec = json.loads((res / "figures/challenges_sunburst.json").read_text())
    arcs = next(iter(spec["datasets"].values()))
    assert sum(1 for a in arcs if a["ring"] == "inner") == 17
    assert sum(1 for a in arcs if a["ring"] == "outer") == 0  # no subcategory counts: no arcs
    notes = spec["title"]["subtitle"]
    assert "subcategory counts are not published: outer ring not drawn" in notes
    for f in FIGURES:
        assert (res / f"figures/{f}.png").stat().st_size > 10_000
    _check_dictionary(res)
    # same inputs, byte-identical tables
    before = {t: (res / f"coding/{t}.parquet").read_bytes() for t in PAPER_TABLES}
    run_snakemake(
        workflow_copy,
        *[f"results/coding/{t}.parquet" for t in PAPER_TABLES],
        "--cores",
        "2",
        "--configfile",
        "config/paper.yaml",
        overlay,
        "--forcerun",
        "import_paper_coding",
    )
    assert {t: (res / f"coding/{t}.parquet").read_bytes() for t in PAPER_TABLES} == before


def test_paper_without_package_folder_plans_the_download(workflow_copy):
    overlay = _overlay(workflow_copy, "paper:\n  replication_dir: /nonexistent/replication\n")
    proc = dry_run(workflow_copy, TAXONOMY, configfiles=("config/paper.yaml", overlay), check=True)
    assert "fetch_replication_package" in proc.stdout
    assert "import_paper_coding" in proc.stdout
    off = _overlay(
        workflow_copy, "paper:\n  replication_dir: /nonexistent/replication\n  download: false\n"
    )
    proc = dry_run(workflow_copy, TAXONOMY, configfiles=("config/paper.yaml", off))
    assert proc.returncode != 0
    assert "/nonexistent/replication/Replication Package/Codebooks/Challenges.csv" in (
        proc.stdout + proc.stderr
    )


def test_demo_coding_and_a_corrupted_sheet(demo_copy):
    targets = [
        "results/coding/agreement.parquet",
        "results/coding/taxonomy_counts.parquet",
        "results/coding/taxonomy_by_forum_category.parquet",
        "results/figures/challenges_sunburst.json",
    ]
    run_snakemake(demo_copy, *targets, "--cores", "2")
    res = demo_copy / "results/coding"
    sample = pd.read_parquet(res / "sample.parquet")
    design = pd.read_parquet(res / "sample_design.parquet").iloc[0]
    assert len(sample) == design["sample_size"] and design["method"] == "cochran"
    assert sample["double_coded"].sum() == design["double_coded"] > 0
    for coder in ("coder1", "coder2"):
        assert (res / f"sheets/{coder}.csv").exists() and (res / f"sheets/{coder}.xlsx").exists()
    agree = pd.read_parquet(res / "agreement.parquet").set_index(
        ["kind", "level", "measure", "pair"]
    )["value"]
    kappa = agree["challenge", "category", "cohen_kappa", "coder1 & coder2"]
    alpha = agree["challenge", "category", "krippendorff_alpha", "all coders"]
    assert 0.4 < kappa < 0.95 and abs(kappa - alpha) < 0.05
    counts = pd.read_parquet(res / "taxonomy_counts.parquet")
    assert (
        counts[(counts["level"] == "category") & (counts["kind"] == "challenge")][
            "category"
        ].nunique()
        == 17
    )
    # corrupt coder1's filled sheet: two bad rows; the import fails naming both, writes nothing
    filled = demo_copy / "resources/raw/demo-v1/coding/filled/coder1.csv"
    df = pd.read_csv(filled, dtype=str, keep_default_na=False)
    df.loc[0, "category"] = "Not A Category"
    df.loc[3, "code"] = ""
    df.to_csv(filled, index=False)
    proc = run_snakemake(demo_copy, "results/coding/codes.parquet", "--cores", "1", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "2 problem(s) in the coding sheets; nothing was imported" in out
    assert "coder1.csv, row 2: category 'Not A Category': expected a" in out
    assert "coder1.csv, row 5: code '': expected a non-empty code" in out
    assert not (res / "codes.parquet").exists()
