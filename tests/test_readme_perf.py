"""The documented performance numbers (docs/performance.md) come from the saved benchmark results,
never typed by hand."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


@pytest.fixture(scope="module")
def perf():
    import readme_perf

    return readme_perf


def test_the_performance_block_is_generated_from_the_saved_results(perf):
    assert perf.main(["--check"]) == 0, "run: python3 bench/readme_perf.py"
    block = perf.render()
    assert "| full | 2,000,000 |" in block and "parse_time (Hub)" in block
    assert block in (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert "bench:begin" not in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_changed_measurement_changes_the_block(perf, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(ROOT / "bench" / "results", results)
    before = perf.render(results)
    path = sorted(results.glob("scale-*.json"))[0]
    runs = json.loads(path.read_text())
    runs[-1]["process_s"] += 1000
    path.write_text(json.dumps(runs))
    after = perf.render(results)
    assert after != before and "bench:begin" in after
