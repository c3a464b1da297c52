"""A live study before its coders returned their sheets (issue 19, item 7): the terminal and the
report say where the blank sheets are, what to fill and which keys to set, and asking for the
codes without filled sheets ends with one clear line (not a TypeError from the codebook reader).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_workflow
from hfreuse.coding.guidance import check_import_inputs, coding_guidance, sheets_among
from hfreuse.errors import InputError

SHEETS = ["results/coding/sheets/coder1.xlsx", "results/coding/sheets/coder2.xlsx"]


def test_guidance_names_the_sheets_the_columns_and_the_keys():
    words = " ".join(coding_guidance(SHEETS, None, None))
    assert "results/coding/sheets/ (coder1.xlsx, coder2.xlsx)" in words
    assert "code, kind, category, subcategory, notes" in words
    assert "coding.filled_dir and coding.codebook are not set" in words
    assert "set coding.filled_dir to that folder and coding.codebook to the codebook CSV" in words
    assert "workflow/resources/coding/demo_codebook.csv" in words
    # only the key that is missing is named as missing
    assert "coding.codebook is not set" in coding_guidance(SHEETS, "coded/", None)[0]


def test_no_guidance_with_filled_sheets_or_without_a_coding_sample():
    assert coding_guidance(SHEETS, "coded/", "book.csv") == []
    assert coding_guidance([], None, None) == []  # no forum sample: nothing to fill


def test_the_sheets_among_a_runs_tables():
    tables = ["results/coding/sample.parquet", "results/coding/sheets/b.csv", "results/x.csv"]
    assert sheets_among(tables) == ["results/coding/sheets/b.csv"]


def test_import_without_filled_sheets_is_one_clear_error():
    assert check_import_inputs(["coded/coder1.csv"], ["book.csv"]) == "book.csv"
    assert check_import_inputs(["coded/coder1.csv"], "book.csv") == "book.csv"
    assert check_import_inputs(["coded/coder1.csv"], Path("book.csv")) == Path("book.csv")
    with pytest.raises(InputError) as err:
        check_import_inputs([], [], SHEETS)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("no coded topics to import: coding.filled_dir and coding.codebook")
    assert "the blank sheets are in results/coding/sheets/" in message
    with pytest.raises(InputError, match=r"import: coding\.codebook is not set\."):
        check_import_inputs(["coded/coder1.csv"], [])


@pytest.mark.workflow
def test_a_live_forum_crawl_without_filled_sheets(forum_server, tmp_path):
    """Live source on a stub Discourse (real recorded responses): the sheets are written and the
    run's end says what to do with them; asking for the codes then fails with one clear line."""
    from forum_stub import DiscourseSite, StubServer

    forum = StubServer(forum_server, DiscourseSite())
    wf = copy_workflow(tmp_path / "wf")
    overlay = wf / "config" / "stub.yaml"
    overlay.write_text(
        "source: live\nsnapshot: stub-1\n"
        f"forum:\n  base_url: {forum.url}\n"
        "  requests_per_minute: 6000\n  timeout_seconds: 10\n  max_retries: 1\n"
    )
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[var] = "http://127.0.0.1:9"  # a closed port: nothing leaves the machine

    def snakemake(*targets: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *targets]
        cmd += ["--configfile", str(overlay)]
        return subprocess.run(cmd, cwd=wf, env=env, capture_output=True, text=True, timeout=900)

    done = snakemake(*SHEETS)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    guidance = [line for line in done.stderr.splitlines() if line.startswith("coding: ")]
    assert len(guidance) == 3, done.stderr[-3000:]
    assert [line.removeprefix("coding: ") for line in guidance] == coding_guidance(
        SHEETS, None, None
    )
    # said at the end of the run, after the last job
    tail = done.stderr[done.stderr.rindex("steps (100%) done") :]
    assert guidance[0] in tail

    failed = snakemake("results/coding/codes.parquet")
    assert failed.returncode != 0
    out = failed.stdout + failed.stderr
    assert "TypeError" not in out and "Traceback" not in out
    errors = [line for line in out.splitlines() if line.startswith("hfreuse: error")]
    assert errors == [
        "hfreuse: error in rule import_coding: no coded topics to import: coding.filled_dir and "
        "coding.codebook are not set. Fill the coding sheets (the blank sheets are in "
        "results/coding/sheets/), set coding.filled_dir to the folder of the filled "
        "<coder>.xlsx or .csv and coding.codebook to the codebook CSV (like "
        "workflow/resources/coding/demo_codebook.csv), and run again."
    ]
