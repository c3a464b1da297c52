"""The test environment, shared by tests, stubs and bench scripts: the repository root, real data
from ../shared/data, copies of the workflow and snakemake runs in them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"

_SKIP_DIRS = {
    ".git",
    ".snakemake",
    "results",
    "logs",
    "benchmarks",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
}


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test when the real data is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"real third-party data {path} is absent (only developers and CI have ../shared)"
        )
    return path


def copy_workflow(dest: Path) -> Path:
    """Copy the workflow (code and config, not results or raw snapshots) to ``dest``."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in _SKIP_DIRS}
        if Path(folder) == ROOT / "resources":
            skip |= {"raw"}
        return skip

    shutil.copytree(ROOT, dest, ignore=ignore)
    (dest / "resources" / "raw").mkdir(parents=True, exist_ok=True)
    return dest


def run_snakemake(
    workdir: Path, *args: str, timeout: float = 900, check: bool = True
) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir``; on failure show its output."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode})\n--- stdout\n{proc.stdout[-6000:]}"
            f"\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def dry_run(
    workdir: Path, *targets: str, configfiles: tuple[str, ...] = (), check: bool = False
) -> subprocess.CompletedProcess:
    """``snakemake -n --cores 1`` of ``targets`` (all by default) in ``workdir``, with these
    ``--configfile`` files if any; by default a failure is returned, not raised."""
    extra = ("--configfile", *configfiles) if configfiles else ()
    return run_snakemake(workdir, *targets, "-n", "--cores", "1", *extra, check=check)


#: a live crawl of the local stubs: fast pacing, short timeouts, one retry
HUB_SETTINGS = {"page_size": 250, "card_shards": 2, "requests_per_minute": 6000}
HUB_SETTINGS |= {"resolves_per_minute": 60000, "timeout_seconds": 10, "max_retries": 1}
FORUM_SETTINGS = {"requests_per_minute": 6000, "timeout_seconds": 10, "max_retries": 1}


def write_live_overlay(
    path: Path, snapshot: str, hub: dict | None = None, forum: dict | None = None
) -> Path:
    """A config overlay for a live run of snapshot ``snapshot`` against the local stub Hub
    (``hub``: its ``endpoint`` and settings that differ from :data:`HUB_SETTINGS`) and the
    stub forum (``forum``: its ``base_url`` and changes to :data:`FORUM_SETTINGS`)."""
    config: dict = {"source": "live", "snapshot": snapshot}
    if hub is not None:
        config["hub"] = {**HUB_SETTINGS, **hub}
    if forum is not None:
        config["forum"] = {**FORUM_SETTINGS, **forum}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def offline_env(**extra: str) -> dict[str, str]:
    """The environment with every proxy variable pointing at a closed local port (only the
    stubs on 127.0.0.1 are reachable: nothing leaves the machine), plus ``extra``."""
    closed = "http://127.0.0.1:9"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[var] = closed
    env.update(extra)
    return env


def forum_table_paths(out: Path) -> dict[str, str]:
    """The outputs of rule parse_forum in folder ``out``, named as its script's arguments."""
    names = ("categories", "topics", "posts", "quarantine", "site")
    return {name: str(out / f"{name}.parquet") for name in names}
