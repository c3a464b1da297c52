"""The micro-benchmark of the hot parse helpers runs, and the helpers import nothing per call."""

from __future__ import annotations

import ast
import inspect
import json
import sys

from conftest import ROOT


def test_benchmark_runs_and_writes_every_helper(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_parse_helpers as bench

    out = tmp_path / "parse.json"
    assert bench.main(["--number", "20", "--repeat", "1", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [r["helper"] for r in doc["results"]] == list(bench.cases())
    assert all(r["us_per_call"] > 0 for r in doc["results"])


def test_hot_helpers_import_nothing_per_call():
    """An import statement inside a helper runs on every call (4.5 us instead of 0.9 us for
    parse_time over 5 million calls of a full-size run)."""
    from hfreuse import io, shards
    from hfreuse.forum import parse as forum_parse
    from hfreuse.hub import parse as hub_parse

    for func in (io.parse_time, shards.stable_shard, hub_parse.model_row, forum_parse.html_to_text):
        tree = ast.parse(inspect.getsource(func).lstrip())
        imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        assert imports == [], f"{func.__module__}.{func.__name__} imports on every call"
