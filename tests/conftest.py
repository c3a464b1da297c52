"""Shared fixtures and the test markers.

Helpers, stubs and proxies live in tests/support/ (on pytest's ``pythonpath``). The fixtures here
serve every module: a workflow copy, one finished demo run for the whole session, the stub Hub
and its listing, a second local server for the stub forum, a headless Chromium.

Every test carries exactly one of the markers ``unit``, ``workflow``, ``browser`` and ``slurm``
(pyproject.toml registers them): ``slurm`` and ``workflow`` come from the modules' ``pytestmark``
or from what a test does (it uses a workflow copy or the demo run, or its own code calls
``copy_workflow``/``run_snakemake``), ``browser`` from the ``chromium`` fixture, and ``unit`` is
the rest. A test that runs snakemake some other way sets ``pytest.mark.workflow`` itself.
"""

from __future__ import annotations

import fcntl
import inspect
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from testenv import (  # noqa: E402,F401  (re-exported: tests import them from conftest)
    ROOT,
    SHARED_DATA,
    copy_workflow,
    run_snakemake,
    shared_path,
)

KINDS = ("unit", "workflow", "browser", "slurm")
#: fixtures that make a test a workflow test: they run snakemake in a copy of the workflow
WORKFLOW_FIXTURES = {"workflow_copy", "demo_run", "demo_copy", "paper_run", "paper_copy"}
#: session runs shared by the xdist workers: their tests go to one worker (group = run)
SHARED_RUNS = {"demo_run": "demo_run", "demo_copy": "demo_run", "paper_run": "paper_run",
               "paper_copy": "paper_run"}  # fmt: skip


def _copies_the_workflow(item) -> bool:
    """The test's own code copies the workflow or runs snakemake (through the helpers)."""
    try:
        source = inspect.getsource(item.function)
    except (AttributeError, OSError, TypeError):
        return False
    return "copy_workflow(" in source or "run_snakemake(" in source


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by these markers
def pytest_collection_modifyitems(config, items):
    """Give every test its kind (one marker of KINDS), from the marker its module sets or the
    fixtures it uses; put the tests of the shared demo run on one xdist worker."""
    xdist = config.pluginmanager.hasplugin("xdist")
    wrong = []
    for item in items:
        kinds = [m.name for m in item.iter_markers() if m.name in KINDS]
        fixtures = set(getattr(item, "fixturenames", ()))
        if not kinds:
            if "chromium" in fixtures and not fixtures & WORKFLOW_FIXTURES:
                kind = "browser"
            elif fixtures & WORKFLOW_FIXTURES or _copies_the_workflow(item):
                kind = "workflow"
            else:
                kind = "unit"
            item.add_marker(kind)
        elif len(set(kinds)) > 1:
            wrong.append(f"{item.nodeid}: {sorted(set(kinds))}")
        groups = sorted({SHARED_RUNS[f] for f in fixtures & set(SHARED_RUNS)})
        if xdist and groups:
            item.add_marker(pytest.mark.xdist_group("+".join(groups)))
    if wrong:
        raise pytest.UsageError("tests of more than one kind:\n" + "\n".join(wrong))


# --- workflow runs ---------------------------------------------------------------------------------


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """A fresh copy of the workflow in a temporary directory."""
    return copy_workflow(tmp_path / "wf")


def _shared_run(tmp_path_factory, name: str, *args: str) -> Path:
    """One `snakemake --cores 2 ARGS` run in a copy of the workflow for the whole session, under
    ``<basetemp>/<name>``; under pytest-xdist the workers share it (the first builds it under a
    lock)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    wf = root / name / "wf"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / name / "done"
        if not done.exists():
            if wf.exists():
                shutil.rmtree(wf)
            copy_workflow(wf)
            run_snakemake(wf, "--cores", "2", *args)
            done.write_text("ok\n")
    return wf


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """One `snakemake --cores 2` demo run (the default target) in a copy of the workflow, for the
    whole session: read it, never change it (copy it first with ``demo_copy``)."""
    return _shared_run(tmp_path_factory, "demo-run")


@pytest.fixture(scope="session")
def paper_run(tmp_path_factory) -> Path:
    """One paper run (`--configfile config/paper.yaml`, the default target) on the authors'
    replication package in ``../shared/data/replication`` (skipped without it), for the whole
    session: read it, never change it (copy it first with ``paper_copy``)."""
    package = shared_path("replication")
    return _shared_run(
        tmp_path_factory,
        "paper-run",
        "--configfile",
        "config/paper.yaml",
        "--config",
        f"paper={{replication_dir: {package}}}",
    )


@pytest.fixture
def demo_copy(demo_run: Path, tmp_path: Path) -> Path:
    """A private copy of the finished demo run (results, logs, snakemake's records, times kept),
    for tests that rerun or change it."""
    dest = tmp_path / "wf"
    shutil.copytree(demo_run, dest, symlinks=True)
    return dest


@pytest.fixture
def paper_copy(paper_run: Path, tmp_path: Path) -> Path:
    """A private copy of the finished paper run, for tests that rerun or change it."""
    dest = tmp_path / "wf"
    shutil.copytree(paper_run, dest, symlinks=True)
    return dest


# --- local servers: the stub Hub, a second server for the stub forum -------------------------------


@pytest.fixture
def hub(httpserver):
    """The stub Hub (real recorded models, READMEs, histories of the floored models) on
    pytest-httpserver's server."""
    from hub_stub import StubHub, assign_cards, make_histories, real_models

    models = real_models()
    stub = StubHub(models=models, cards=assign_cards(models), histories=make_histories(models))
    return stub.install(httpserver)


@pytest.fixture
def history_hub(httpserver):
    """The stub Hub with a commit history for every model (the card history samples all)."""
    from hub_stub import StubHub, assign_cards, make_histories, real_models

    models = real_models()
    return StubHub(
        models=models,
        cards=assign_cards(models),
        histories=make_histories(models, only_floored=False),
    ).install(httpserver)


@pytest.fixture
def dense(httpserver):
    """The stub forum with dense post ids (the global post feed walks 50 ids a page)."""
    from forum_stub import DiscourseSite, StubServer

    return StubServer(httpserver, DiscourseSite(post_ids="dense"))


@pytest.fixture
def listed(hub, tmp_path) -> Path:
    """A complete listing of the stub Hub's models (its requests forgotten)."""
    from crawl_support import crawl_hub

    hub_dir = tmp_path / "raw" / "stub-1" / "hub"
    crawl_hub(hub, hub_dir)
    hub.hits.clear()
    return hub_dir


@pytest.fixture
def forum_server():
    """A second local server (the hub stub has pytest-httpserver's own) for the forum stub."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


# --- a real browser --------------------------------------------------------------------------------


TEX_APT_LINE = "apt-get install texlive-latex-base texlive-latex-recommended"


@pytest.fixture(scope="session")
def pdflatex() -> str:
    """Debian's pdflatex; skipped when absent (but required in CI, where .ci/run installs it)."""
    binary = shutil.which("pdflatex")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"pdflatex is required in CI for the LaTeX table tests ({TEX_APT_LINE})")
        pytest.skip(f"Debian's TeX Live is not installed ({TEX_APT_LINE})")
    return binary


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium; skipped when absent (but required in CI, where .ci/run installs it)."""
    from browser import APT_LINE, Chromium, find_chromium

    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium is required in CI for the report browser test ({APT_LINE})")
        pytest.skip(f"Debian's chromium is not installed ({APT_LINE})")
    with Chromium(binary) as browser:
        yield browser
