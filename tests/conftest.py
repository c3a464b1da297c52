"""Shared test helpers: the repository root, real data from ../shared/data, workflow copies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """A fresh copy of the workflow in a temporary directory."""
    return copy_workflow(tmp_path / "wf")
