"""Every documented command works as written (issues 15 and 23), as far as it can run offline.

Each command of README.md and docs/*.md (shell blocks, and `snakemake ...` / `python3 ...` /
`bash ...` spans in prose and tables; see tests/support/readme_commands.py) is one test case: the
files it names exist, and a snakemake command passes a dry run in a fresh copy of the workflow. Dry
runs plan the crawls without fetching anything; every proxy points at a closed local port all the
same. Every relative link of those documents resolves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SHARED_DATA, copy_workflow, shared_path
from readme_commands import (
    Command,
    command_kind,
    doc_files,
    docs_commands,
    heading_slugs,
    link_problems,
    named_files,
    problems,
    readme_commands,
)

README = ROOT / "README.md"
DOCS = doc_files(ROOT)
COMMANDS = docs_commands(DOCS, ROOT)


def _needs_shared_data(command: Command) -> bool:
    """A paper run: its config reads the replication package from ../shared/data."""
    for name in named_files(command):
        path = ROOT / name
        if path.is_file() and path.suffix == ".yaml":
            if (yaml.safe_load(path.read_text()) or {}).get("source") == "paper":
                return True
    return False


@pytest.mark.parametrize("command", COMMANDS, ids=[c.id for c in COMMANDS])
def test_readme_command_works(command, tmp_path):
    if command.kind == "snakemake" and _needs_shared_data(command):
        shared_path("replication")  # skips when only the public archive could be used
    wf = copy_workflow(tmp_path / "wf")
    if SHARED_DATA.exists():  # the layout of a developer's checkout: ../shared/data beside it
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "data").symlink_to(SHARED_DATA, target_is_directory=True)
    found = problems(command, wf)
    assert not found, f"shown at {', '.join(command.places)}:\n" + "\n".join(found)


def test_the_readme_commands_are_found():
    """The extraction sees the commands of every kind the README and docs/ show."""
    texts = [c.text for c in COMMANDS]
    assert len(DOCS) > 5 and all(p.stat().st_size for p in DOCS)
    shown_in = {p.split(":")[0] for c in COMMANDS for p in c.places}
    assert {"README.md", "docs/cluster.md", "docs/performance.md", "docs/hub.md"} <= shown_in
    assert "hf auth login" in texts and "python3 bench/readme_perf.py" in texts
    assert "snakemake --cores 2" in texts  # quickstart, the run-modes table and prose: once
    assert "python3 -m venv .venv" in texts and ". .venv/bin/activate" in texts
    assert "python3 -m pip install -r requirements.txt" in texts
    assert "snakemake --cores 2 --configfile config/config.yaml config/live.yaml" in texts
    assert "snakemake --cores 2 --configfile config/config.yaml config/paper.yaml" in texts
    assert "bash .ci/slurm-setup.sh" in texts and "python3 bench/bench_scale.py" in texts
    crawl = next(c for c in COMMANDS if "config/cluster-crawl.yaml" in c.argv)
    assert crawl.argv[-4:] == ("--resources", "hf_api=1", "hf_resolve=8", "forum_api=1")
    assert "HF_TOKEN=..." in [w for c in COMMANDS for w in c.argv]  # export in a bash block
    assert not [t for t in texts if "#" in t], "comments are dropped"
    assert {c.kind for c in COMMANDS} <= {
        "snakemake",
        "pip",
        "pytest",
        "venv",
        "python-script",
        "bash-script",
        "hf",
        "environment",
    }


def test_the_readme_is_short():
    """Issue 23: the README says what the study is, how to run it and where to read on."""
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 150


def test_every_relative_link_resolves():
    found = [problem for path in DOCS for problem in link_problems(path, ROOT)]
    assert not found, "\n".join(found)


def test_a_broken_link_or_anchor_is_reported(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## The `createdAt` floor\n\n## A\n")
    (tmp_path / "README.md").write_text(
        "[ok](docs/a.md) [ok](docs/a.md#the-createdat-floor) [ok](docs/a.md#a-1) "
        "[web](https://example.org/x.md) ![img](docs/a.md)\n"
        "[gone](docs/b.md) [no anchor](docs/a.md#the-floor) [out](../etc/passwd)\n"
    )
    assert heading_slugs((tmp_path / "docs" / "a.md").read_text()) == {
        "a",
        "the-createdat-floor",
        "a-1",
    }
    assert link_problems(tmp_path / "README.md", tmp_path) == [
        "README.md:2: link docs/b.md: no such file in the repository",
        "README.md:2: link docs/a.md#the-floor: no heading #the-floor in a.md",
        "README.md:2: link ../etc/passwd: no such file in the repository",
    ]


def test_extraction_of_blocks_spans_and_placeholders(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "Run `snakemake --cores 2 --configfile a.yaml` or `snakemake --forcerun <rule>`;\n"
        "| mode | `snakemake --cores 2\n--configfile b.yaml` |\n\n"
        "```bash\nx=1 && snakemake --profile p \\\n  --configfile c.yaml  # a comment\n```\n"
        "```console\n$ bash setup.sh\nsome output\n```\n"
        "```yaml\nkey: `snakemake --cores 9`\n```\n"
        "```sh\nsnakemake --cores 2 --configfile a.yaml\n```\n"
    )
    found = [(c.text, c.lines) for c in readme_commands(readme)]
    assert found == [
        ("snakemake --cores 2 --configfile a.yaml", (1, 17)),
        ("snakemake --cores 2 --configfile b.yaml", (2,)),
        ("x=1", (6,)),
        ("snakemake --profile p --configfile c.yaml", (6,)),
        ("bash setup.sh", (10,)),
    ]
    assert command_kind(("x=1",)) == "unknown"


def test_a_missing_named_file_is_reported(tmp_path):
    """Remove one config file the README names: the checker reports exactly that file, for
    exactly the commands that name it."""
    wf = copy_workflow(tmp_path / "wf")
    (wf / "config" / "live.yaml").unlink()
    reported = {c.text: problems(c, wf, run=False) for c in COMMANDS}
    naming = [c.text for c in COMMANDS if "config/live.yaml" in c.argv]
    assert len(naming) >= 3  # the run-modes table and the two cluster commands
    assert {text for text, found in reported.items() if found} == set(naming)
    for text in naming:
        assert reported[text] == [
            f"config/live.yaml: named by `{text}` but missing from the repository"
        ]
    # and the full check stops there, before any dry run
    live = next(c for c in COMMANDS if c.text == naming[0])
    assert problems(live, wf) == reported[naming[0]]


def test_a_failing_dry_run_is_reported(tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    (wf / "config" / "live.yaml").write_text("hub:\n  max_models: 10\n")
    live = next(c for c in COMMANDS if c.text.endswith("config/config.yaml config/live.yaml"))
    (found,) = problems(live, wf)
    assert re.search(r"hub\.max_models: unknown key .*renamed to hub\.oldest_models", found)


def test_the_cluster_crawl_example_is_the_shipped_overlay():
    """docs/cluster.md shows config/cluster-crawl.yaml: the block means what the file says."""
    text = (ROOT / "docs" / "cluster.md").read_text(encoding="utf-8")
    intro = re.search(r"the overlay\s+`config/cluster-crawl\.yaml`", text).start()
    block = re.search(r"```yaml\n(.*?)```", text[intro:], re.DOTALL).group(1)
    shipped = yaml.safe_load((ROOT / "config" / "cluster-crawl.yaml").read_text())
    assert yaml.safe_load(block) == shipped


def test_pip_commands_name_the_shipped_requirement_files():
    pips = [c for c in COMMANDS if c.kind == "pip"]
    assert sorted(f for c in pips for f in named_files(c)) == [
        "requirements-dev.txt",
        "requirements.txt",
    ]
    assert all(Path(ROOT / f).is_file() for c in pips for f in named_files(c))
