"""The workflow on a real (single-node) Slurm cluster through snakemake-executor-plugin-slurm.

`.ci/slurm-setup.sh` installs and starts the cluster (CI runs it first). Every run here goes
through `--profile profiles/slurm`: rule jobs are sbatch jobs that re-read the workflow copy from
the shared filesystem (/tmp on one node). The results must be byte-identical to a local run's:
the demo (its scatter-gather parses up to a figure), and a live crawl of a stub Hub on 127.0.0.1
(real recorded responses) with the README fetch shards once on the submitting host (the default)
and once as Slurm jobs (cluster.fetch_cards_on_nodes).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import copy_workflow, run_snakemake

pytestmark = pytest.mark.slurm

CARD_SHARDS = 2
CARD_JOBS = 2  # README fetch jobs at once: each paces at 1/2 of the budget
# Short status polling for short jobs (the profile's 20 s suits a real cluster's long jobs): a
# job here takes 7-9 s, and the plugin adds 10 s to the wait after a poll that finds none done.
SLURM_ARGS = ("--profile", "profiles/slurm", "--slurm-init-seconds-before-status-checks", "10")
SUBMITTED_RE = re.compile(r"submitted with SLURM jobid \d+ \(log: \S*/slurm_logs/rule_(\w+?)/")
LOCAL_JOB_RE = re.compile(r"^localrule (\w+):$", re.M)
HISTORY_SHARDS = 2
HUB_TABLES = (
    "results/hub/models.parquet",
    "results/trends/hub_model_types_monthly.parquet",
    "results/trends/card_share_monthly.parquet",
)
# The demo on Slurm: both halves' scatter-gather parses (the demo snapshots generated, the pages
# parsed in shards, gathered) and the Hub trends (10 jobs). The other rules are plain script
# rules like these; the whole study on the 2-core CI node would take minutes of sbatch round
# trips for no new path.
DEMO_TARGETS = (*HUB_TABLES, "results/forum/topics.parquet")


def cluster_problem() -> str | None:
    """Why the Slurm tests cannot run here, or None when a node is up."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "no Slurm client here (sinfo/sbatch); `bash .ci/slurm-setup.sh` installs a node"
    try:
        proc = subprocess.run(
            ["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        return "sinfo timed out: slurmctld is not answering"
    if proc.returncode != 0:
        return f"Slurm is not up (sinfo: {proc.stderr.strip()}); run `bash .ci/slurm-setup.sh`"
    states = proc.stdout.split()  # a '*' suffix: the node does not answer
    if not any(s in ("idle", "mix", "alloc", "comp") for s in states):
        return f"no Slurm node is up (node states: {states or 'none'})"
    return None


@pytest.fixture(scope="module", autouse=True)
def cluster():
    problem = cluster_problem()
    if problem and os.environ.get("HFREUSE_REQUIRE_SLURM") == "1":  # CI: a missing cluster fails
        pytest.fail(problem)
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """One copy of the workflow that every run of this module clones: same code on both sides."""
    return copy_workflow(tmp_path_factory.mktemp("slurm") / "pristine")


def clone(pristine: Path, dest: Path) -> Path:
    shutil.copytree(pristine, dest)
    return dest


def digests(wf: Path, paths) -> dict[str, str]:
    return {p: hashlib.sha256((wf / p).read_bytes()).hexdigest() for p in paths}


def result_files(wf: Path) -> list[str]:
    """Every file under results/ but the HTML report (it embeds the run's logs and times)."""
    return sorted(
        str(p.relative_to(wf))
        for p in (wf / "results").rglob("*")
        if p.is_file() and p.name != "report.html"
    )


def slurm_rules(stdout: str) -> list[str]:
    """Rule names of the jobs that the run submitted with sbatch, one entry per job."""
    return sorted(SUBMITTED_RE.findall(stdout))


def local_rules(stdout: str) -> set[str]:
    return set(LOCAL_JOB_RE.findall(stdout))


# --- the demo ------------------------------------------------------------------------------------


def write_overlay(wf: Path, name: str, cfg: dict) -> str:
    (wf / name).write_text(yaml.safe_dump(cfg, sort_keys=True))
    return name


def test_demo_on_slurm_is_identical_to_the_local_run(pristine, tmp_path):
    overlay = {"hub": {"card_shards": CARD_SHARDS}}
    local = clone(pristine, tmp_path / "local")
    cfg = ["--configfile", "config/config.yaml", write_overlay(local, "shards.yaml", overlay)]
    ran = run_snakemake(local, *DEMO_TARGETS, "--cores", "2", *cfg)
    jobs = sorted(LOCAL_JOB_RE.findall(ran.stdout + ran.stderr))  # one entry per job

    wf = clone(pristine, tmp_path / "slurm")
    write_overlay(wf, "shards.yaml", overlay)
    proc = run_snakemake(wf, *DEMO_TARGETS, *SLURM_ARGS, *cfg)
    out = proc.stdout + proc.stderr

    # every job of the local run ran as a Slurm job, none on this host
    assert len(jobs) >= len(DEMO_TARGETS) + 6, jobs
    assert {"parse_hub_pages", "parse_forum_topics"} <= set(jobs), jobs  # the scatter steps
    assert slurm_rules(out) == jobs, out[-3000:]
    assert not local_rules(out), out[-3000:]
    snapshot = yaml.safe_load((wf / "config/config.yaml").read_text())["snapshot"]
    shards = sorted((wf / "resources/raw" / snapshot / "hub/cards").glob("shard-*.json"))
    assert len(shards) == CARD_SHARDS
    # the same files, byte for byte
    files = result_files(local)
    assert set(HUB_TABLES) <= set(files)
    assert result_files(wf) == files
    assert digests(wf, files) == digests(local, files)


# --- a live crawl of the stub Hub ----------------------------------------------------------------


@pytest.fixture(scope="module")
def stub_hub():
    """The stub Hub (tests/support/hub_stub.py) on 127.0.0.1 for the whole module: Slurm jobs reach it."""
    from hub_stub import StubHub, assign_cards, make_histories, real_models
    from pytest_httpserver import HTTPServer

    models = real_models()
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    hub = StubHub(models=models, cards=assign_cards(models), histories=make_histories(models))
    hub.install(server)
    yield hub
    server.clear()
    if server.is_running():
        server.stop()


def live_overlay(hub, on_nodes: bool) -> dict:
    return {
        "source": "live",
        "snapshot": "stub-1",
        "hub": {
            "endpoint": hub.base_url,
            "oldest_models": 1500,
            "page_size": 500,
            "card_shards": CARD_SHARDS,
            "history_shards": HISTORY_SHARDS,
            "max_cards": 300,
            "requests_per_minute": 30000,
            "resolves_per_minute": 60000,
            "timeout_seconds": 20,
            "max_retries": 2,
        },
        "cluster": {"fetch_cards_on_nodes": on_nodes, "card_jobs": CARD_JOBS},
    }


def run_live(wf: Path, hub, on_nodes: bool, *executor_args: str):
    name = write_overlay(wf, "stub.yaml", live_overlay(hub, on_nodes))
    caps = ("--resources", "hf_api=1", f"hf_resolve={CARD_JOBS}", "forum_api=1")
    return run_snakemake(
        wf, *HUB_TABLES, *executor_args, *caps, "--configfile", "config/config.yaml", name
    )


@pytest.fixture(scope="module")
def local_crawl(stub_hub, pristine, tmp_path_factory):
    """The reference: the same crawl and parse, all on this host."""
    wf = clone(pristine, tmp_path_factory.mktemp("slurm-live") / "local")
    run_live(wf, stub_hub, False, "--cores", "2")
    return wf


@pytest.mark.parametrize("on_nodes", [False, True], ids=["fetch-local", "fetch-on-slurm"])
def test_live_crawl_on_slurm_is_identical_to_the_local_run(
    stub_hub, pristine, local_crawl, tmp_path, on_nodes
):
    wf = clone(pristine, tmp_path / "slurm")
    before = stub_hub.count("card")
    proc = run_live(wf, stub_hub, on_nodes, *SLURM_ARGS)
    out = proc.stdout + proc.stderr

    # the listing crawl runs on this host, the README shards where configured, the rest on Slurm
    submitted = slurm_rules(out)
    on_host = {"fetch_hub_models"} | (
        set() if on_nodes else {"fetch_hub_cards", "fetch_hub_history"}
    )
    assert local_rules(out) == on_host, out[-3000:]
    assert submitted.count("fetch_hub_cards") == (CARD_SHARDS if on_nodes else 0)
    # the commit histories of the floored models go where the README shards go
    assert submitted.count("fetch_hub_history") == (HISTORY_SHARDS if on_nodes else 0)
    assert {"parse_hub_models", "count_hub_model_types", "count_card_share"} <= set(submitted)
    # every shard fetched its READMEs from the stub, none twice, at its share of the budget
    markers = [
        yaml.safe_load(m.read_text())
        for m in sorted((wf / "resources/raw/stub-1/hub/cards").glob("shard-*.json"))
    ]
    assert len(markers) == CARD_SHARDS
    assert sum(m["cards"] for m in markers) == 300
    # a 404 on a listed README is asked twice (230 of the 300 here: 530 requests)
    not_found = sum(m["not_found"] for m in markers)
    assert sum(m["stats"]["requests"] for m in markers) == stub_hub.count("card") - before
    assert stub_hub.count("card") - before == 300 + not_found == 530
    assert {m["resolves_per_minute"] for m in markers} == {60000 / CARD_JOBS}
    assert digests(wf, HUB_TABLES) == digests(local_crawl, HUB_TABLES)
