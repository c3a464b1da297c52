"""bench/bench_scale.py: its scaled overlays are valid configurations and its verdicts hold."""

from __future__ import annotations

import importlib.util
from fractions import Fraction

import jsonschema
import pytest
import yaml
from conftest import ROOT

spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "bench_scale.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def merged(base: dict, overlay: dict) -> dict:
    out = dict(base)
    for key, value in overlay.items():
        out[key] = merged(base.get(key, {}), value) if isinstance(value, dict) else value
    return out


@pytest.mark.parametrize("fraction", ["1/8", "1/4", "1/2", "1"])
def test_scaled_overlays_are_valid_and_scale_the_inputs(fraction):
    defaults = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    scale = yaml.safe_load((ROOT / "config" / "scale.yaml").read_text())
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    f = Fraction(fraction)
    overlay = bench.scaled_overlay(scale, f)
    jsonschema.validate(merged(defaults, overlay), schema)
    assert overlay["demo"]["models"] == 2_000_000 * f
    assert overlay["demo"]["forum_topics"] == 150_000 * f
    assert overlay["hub"]["max_cards"] == 200_000 * f
    # shards and everything else stay; each size is a snapshot of its own
    assert overlay["hub"]["parse_shards"] == scale["hub"]["parse_shards"]
    assert overlay["forum"]["parse_shards"] == scale["forum"]["parse_shards"]
    assert overlay["mentions"]["shards"] == scale["mentions"]["shards"]
    assert (overlay["snapshot"] == "scale-v1") == (f == 1)


def run(fraction: str, process_s: float, parse_s: float, peak: float) -> dict:
    jobs = {
        "generate_demo_hub": [{"s": 10.0, "max_rss": 9000.0}],  # generation: not a target
        "parse_hub_pages": [{"s": parse_s / 2, "max_rss": 100.0}] * 2,
        "parse_hub_models": [{"s": 1.0, "max_rss": peak}],
        "plot_card_share": [{"s": 1.0, "max_rss": 200.0}],
    }
    sizes = {"models": int(2e6 * Fraction(fraction)), "readmes": 1, "topics": 1, "posts": 1}
    return {
        "fraction": Fraction(fraction),
        "generate_s": 5.0,
        "process_s": process_s,
        "process_cpu_s": process_s,
        "others_cpu_s": 0.0,
        "jobs": jobs,
        "sizes": sizes,
    }


def test_report_checks_targets_and_linearity():
    linear = [run("1/4", 30, 10, 500), run("1/2", 50, 20, 900), run("1", 90, 40, 1700)]
    text, ok = bench.report(linear)
    assert ok, text
    assert "processing run 90 s (target <= 600 s: met)" in text
    assert "1700 MB, parse_hub_models" in text  # the generator's 9000 MB is not a processing job
    pages = next(line for line in text.splitlines() if line.startswith("parse_hub_pages"))
    assert "2,000,000 models" in pages and "2.00 2.00" in pages and "1.000" in pages
    assert "linearity: no processing stage" in text

    slow = [run("1/4", 30, 10, 500), run("1/2", 50, 20, 900), run("1", 700, 80, 7000)]
    text, ok = bench.report(slow)
    assert not ok
    assert "target <= 600 s: MISSED" in text and "target <= 6144 MB: MISSED" in text
    assert "Hub parse x3.86 over the last doubling" in text  # (80 + 1) / (20 + 1) s
