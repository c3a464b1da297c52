"""The README's main job: the whole demo study, end to end, in a temporary copy."""

from __future__ import annotations

import hashlib
import re
import shutil
import time

import pandas as pd
import pytest
import yaml
from conftest import run_snakemake

pytestmark = pytest.mark.workflow


def _planned_rules(stdout: str) -> set[str]:
    """Rule names of the 'Job stats' table of a dry run."""
    m = re.search(r"Job stats:\njob\s+count\n-+\s+-+\n(.*?)\n\s*total", stdout, flags=re.S)
    if not m:
        return set()
    return {line.split()[0] for line in m.group(1).splitlines() if line.strip()}


def _digests(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_demo_produces_the_hub_tables(demo_run):
    wf = demo_run
    cfg = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    models = pd.read_parquet(wf / "results/hub/models.parquet")
    assert len(models) == cfg["demo"]["models"] and models["model_id"].is_unique
    assert 0.4 < models["has_card_data"].mean() < 0.6
    assert models["created_at_floored"].any()
    monthly = pd.read_parquet(wf / "results/trends/hub_model_types_monthly.parquet")
    assert monthly["models"].sum() == models["model_type"].notna().sum()
    n_types, n_months = monthly["model_type"].nunique(), monthly["month"].nunique()
    assert len(monthly) == n_types * n_months  # the full grid
    share = pd.read_parquet(wf / "results/trends/card_share_monthly.parquet")
    assert share["models"].sum() == len(models)
    assert share["partial_month"].sum() == 1 and share["partial_month"].iloc[-1]
    for fig in ("hub_model_types", "card_share"):
        for ext in ("html", "svg", "png", "json"):
            assert (wf / f"results/figures/{fig}.{ext}").stat().st_size > 0
        assert "SYNTHETIC" in (wf / f"results/figures/{fig}.json").read_text()
        assert (wf / f"results/figures/{fig}.png").read_bytes()[:4] == b"\x89PNG"
    assert (wf / "logs").is_dir() and any((wf / "benchmarks").rglob("*.tsv"))


def test_demo_dates_floored_models_by_their_first_commit(demo_run):
    wf = demo_run
    models = pd.read_parquet(wf / "results/hub/models.parquet")
    sources = models["created_at_source"].value_counts()
    assert sources["first_commit"] > 0.9 * models["created_at_floored"].sum()
    # the monthly model types have no floor spike: 2022-03 is like its neighbours
    monthly = pd.read_parquet(wf / "results/trends/hub_model_types_monthly.parquet")
    per_month = monthly.groupby("month")[["models", "models_floored"]].sum()
    dated = per_month["models"] - per_month["models_floored"]
    assert dated["2022-03"] < 1.5 * max(dated["2022-02"], dated["2022-04"])
    # what stays at the floor: the models whose history could not date them (flagged)
    unresolved = models["model_type"].notna() & (models["created_at_source"] == "unresolved")
    assert per_month["models_floored"].sum() == unresolved.sum() < 0.05 * sources["first_commit"]
    assert per_month.index.min() < "2020-01"
    table = pd.read_parquet(wf / "results/stats/date_sensitivity.parquet")
    key = table.set_index(["statistic", "subject", "measure"])
    assert key.loc[("models", "all", "dated_by_first_commit"), "true"] == sources["first_commit"]
    months = key.loc[("shared_months", "all", "n_months")]
    assert months["true"] > months["api"]
    summary = pd.read_parquet(wf / "results/report/summary.parquet")
    fact = summary[
        (summary["section"] == "true_dates") & (summary["key"] == "dated_by_first_commit")
    ]
    assert fact["value"].tolist() == [sources["first_commit"]]
    report = (wf / "results/report.html").read_text(encoding="utf-8")
    assert "dated by their first commit" in report and "date_sensitivity.parquet" in report


def test_rerun_has_nothing_to_do(demo_copy):
    wf = demo_copy
    t0 = time.monotonic()
    proc = run_snakemake(wf, "--cores", "2")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    assert time.monotonic() - t0 < 30


def test_figure_option_reruns_only_figures(demo_run, tmp_path):
    wf = demo_run
    overlay = tmp_path / "figures-overlay.yaml"
    overlay.write_text("figures:\n  top_n: 3\n  width: 500\n  height: 300\n")
    proc = run_snakemake(
        wf, "--cores", "2", "-n", "--configfile", "config/config.yaml", str(overlay)
    )
    planned = _planned_rules(proc.stdout)
    assert planned, proc.stdout
    # the figures, the summary (its top-N lists follow figures.top_n), the outputs' checksums
    # and the report over them
    others = {"all", "build_report", "summarize_study", "describe_outputs"}
    assert all(r.startswith("plot_") or r in others for r in planned), planned
    assert "plot_hub_model_types" in planned


def test_outputs_are_byte_identical_when_rebuilt(demo_run, demo_copy):
    wf = demo_copy
    before = _digests(demo_run / "results")
    shutil.rmtree(wf / "results")
    shutil.rmtree(wf / "resources" / "raw")
    run_snakemake(wf, "--cores", "2")
    assert _digests(wf / "results") == before
