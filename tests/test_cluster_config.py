"""Cluster settings without a cluster: the README budget split and its resource cap (dry runs)."""

from __future__ import annotations

import pytest
import yaml
from conftest import run_snakemake

pytestmark = pytest.mark.workflow

TARGET = "results/hub/models.parquet"


def dry_run(wf, card_jobs: int, *caps: str):
    overlay = {"cluster": {"card_jobs": card_jobs, "fetch_cards_on_nodes": True}}
    (wf / "cluster.yaml").write_text(yaml.safe_dump(overlay))
    return run_snakemake(
        wf,
        TARGET,
        "-n",
        *caps,
        "--configfile",
        "config/config.yaml",
        "config/live.yaml",
        "cluster.yaml",
        check=False,
    )


def test_card_jobs_and_the_resolve_cap_must_agree(workflow_copy):
    # the default caps (profiles/default: hf_resolve 1) fit card_jobs 1
    assert dry_run(workflow_copy, 1).returncode == 0
    # 4 card jobs at once at the pace meant for one would need 4 quotas: refused, naming the fix
    proc = dry_run(workflow_copy, 1, "--resources", "hf_api=1", "hf_resolve=4", "forum_api=1")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "cluster.card_jobs is 1" in out and "--resources hf_resolve=1" in out
    # ...and so is no cap at all (every shard could run at once)
    proc = dry_run(workflow_copy, 2, "--workflow-profile", "none", "--cores", "2")
    assert proc.returncode != 0 and "hf_resolve is not capped" in proc.stdout + proc.stderr
    # 4 jobs at a quarter of the pace each, capped at 4: accepted (fewer at once is fine too)
    caps = ("--resources", "hf_api=1", "hf_resolve=4", "forum_api=1")
    assert dry_run(workflow_copy, 4, *caps).returncode == 0
    assert dry_run(workflow_copy, 8, *caps).returncode == 0
