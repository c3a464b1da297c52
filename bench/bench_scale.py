"""Benchmark: the whole workflow at today's Hub and forum size, and its scaling series.

For each fraction (default 1/8, 1/4, 1/2, 1) of the scale overlay ``config/scale.yaml``
(2,000,000 models, 200,000 README texts, 150,000 forum topics with about 600,000 posts), in a
workflow copy of its own outside the repository:

1. generation: the demo source writes the raw snapshot (crawl format), timed on its own;
2. processing: ``snakemake --cores N`` builds every target (parse, mentions, trends, statistics,
   coding, figures, report), timed as a whole;

then reads the ``benchmarks/**/*.tsv`` Snakemake wrote for every job (wall seconds ``s``, peak
resident memory ``max_rss``) and prints, per rule and per stage, the input size, the wall time
at every fraction (shards summed; the slowest shard and the peak at full size), the time ratio per
doubling of the input (linear: about 2 or below, fixed start-up costs make small jobs lower), and
the run totals checked against the targets (processing <= 10 min, every job <= 6 GB). The
generation is shown but not checked: it is not part of a real run (a crawl replaces it), and on a
disk where creating a file costs more in a fuller folder, writing 150,000 topic files grows a
little faster than linearly.

    python3 bench/bench_scale.py                           # the series, in a temporary folder
    python3 bench/bench_scale.py --fractions 1/8,1/4       # a quick look
    python3 bench/bench_scale.py --workdir /tmp/scale --keep --json /tmp/scale/runs.json
    python3 bench/bench_scale.py --from-json /tmp/scale/runs.json   # the tables again
    python3 bench/bench_scale.py --print-overlay 1/4 > config/scale-quarter.yaml

Shard counts stay those of the overlay at every fraction, so each shard's input scales too. The
scaled overlays keep the overlay's snapshot id with the fraction appended (scale-v1-1of4); the
full size keeps it as is. Exit status 1 when the full-size run misses a target or a stage grows
faster than linearly.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from testenv import copy_workflow  # noqa: E402

OVERLAY = ROOT / "config" / "scale.yaml"
MAX_WALL_S = 600  # the whole processing run
MAX_RSS_MB = 6 * 1024  # any job
SUPERLINEAR = 2.3  # a stage whose time grows more than this per doubling is not linear
MIN_SECONDS = 5  # ...among stages that take at least this long at full size

# stage -> its rules, in DAG order; the input each one reads
STAGES = {
    "generate Hub": ["generate_demo_hub"],
    "generate forum": ["generate_demo_forum"],
    "Hub parse": ["parse_hub_pages", "parse_hub_models"],
    "forum parse": ["parse_forum_topics", "parse_forum"],
    "mentions": ["match_model_mentions", "count_model_mentions"],
    "trends": ["count_hub_model_types", "count_card_share"],
    "forum statistics": ["summarize_forum"],
    "coding": [
        "sample_topics_for_coding",
        "simulate_demo_coders",
        "import_coding",
        "measure_agreement",
        "count_taxonomy",
        "count_taxonomy_by_forum_category",
    ],
    "RQ3 statistics": [
        "compute_mention_correlations",
        "compute_model_trends",
        "compute_card_share_trend",
    ],
    "figures": [],  # every plot_* rule
    "report": ["summarize_study", "describe_outputs", "build_report"],
}
GENERATION = {"generate Hub", "generate forum"}
INPUTS = {
    "generate_demo_hub": ("models", "readmes"),
    "parse_hub_pages": ("models",),
    "parse_hub_models": ("models", "readmes"),
    "count_hub_model_types": ("models",),
    "count_card_share": ("models",),
    "generate_demo_forum": ("topics", "posts"),
    "parse_forum_topics": ("topics", "posts"),
    "parse_forum": ("topics", "posts"),
    "summarize_forum": ("topics", "posts"),
    "sample_topics_for_coding": ("topics", "posts"),
    "match_model_mentions": ("posts", "models"),
    "count_model_mentions": ("topics",),
}
SIZE_LABELS = {"models": "models", "readmes": "READMEs", "topics": "topics", "posts": "posts"}


# --- the overlays ----------------------------------------------------------------------------


def parse_fraction(text: str) -> Fraction:
    value = Fraction(text.strip())
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: expected a fraction in (0, 1]")
    return value


def fraction_tag(fraction: Fraction) -> str:
    return "full" if fraction == 1 else f"{fraction.numerator}of{fraction.denominator}"


def scaled_overlay(base: dict, fraction: Fraction) -> dict:
    """The scale overlay at ``fraction`` of its size: models, forum topics and README texts
    scaled, everything else (shards, seed, figure options) kept; its own snapshot id."""
    cfg = yaml.safe_load(yaml.safe_dump(base))
    if fraction != 1:
        cfg["snapshot"] = f"{cfg['snapshot']}-{fraction_tag(fraction)}"
        demo = cfg["demo"]
        demo["models"] = max(100, round(demo["models"] * fraction))
        demo["forum_topics"] = max(50, round(demo["forum_topics"] * fraction))
        if cfg.get("hub", {}).get("max_cards") is not None:
            cfg["hub"]["max_cards"] = round(cfg["hub"]["max_cards"] * fraction)
    return cfg


# --- running ---------------------------------------------------------------------------------


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (Linux /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def snakemake(wf: Path, log: Path, *args: str) -> tuple[float, float, float]:
    """Run snakemake in ``wf`` (output to ``log``): its wall seconds, the CPU seconds it and its
    jobs used, and the CPU seconds the rest of the machine used meanwhile (contention)."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    busy0, ours0 = busy_cpu_seconds(), children_cpu_seconds()
    start = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=wf, stdout=fh, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    ours = children_cpu_seconds() - ours0
    others = max(0.0, busy_cpu_seconds() - busy0 - ours)
    if proc.returncode != 0:
        tail = log.read_text()[-4000:]
        raise SystemExit(f"{' '.join(cmd)} failed in {wf} ({proc.returncode}):\n{tail}")
    return seconds, ours, others


def read_benchmarks(wf: Path) -> dict[str, list[dict[str, float]]]:
    """rule -> one {s, max_rss} per job (the last line of each benchmark file)."""
    jobs: dict[str, list[dict[str, float]]] = {}
    folder = wf / "benchmarks"
    for path in sorted(folder.rglob("*.tsv")):
        rel = path.relative_to(folder)
        rule = rel.parts[0].removesuffix(".tsv")
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if not rows:
            continue

        def num(value: str) -> float:
            return float(value) if value not in ("", "NA", "-") else 0.0

        jobs.setdefault(rule, []).append(
            {"s": num(rows[-1]["s"]), "max_rss": num(rows[-1]["max_rss"])}
        )
    return jobs


def input_sizes(wf: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    results = wf / "results"
    card = pq.read_table(results / "hub" / "models.parquet", columns=["card_length"])
    return {
        "models": card.num_rows,
        "readmes": card.num_rows - card.column("card_length").null_count,
        "topics": pq.read_metadata(results / "forum" / "topics.parquet").num_rows,
        "posts": pq.read_metadata(results / "forum" / "posts.parquet").num_rows,
        "mentions": pq.read_metadata(results / "mentions" / "topic_mentions.parquet").num_rows,
    }


def machine_facts(cores: int) -> dict:
    """What the numbers were measured on: the machine, Python, the cores given to Snakemake,
    and the load average when the run started (other work on the machine slows a run)."""
    import platform

    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "cores": cores,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def run_fraction(workdir: Path, fraction: Fraction, base: dict, cores: int, keep: bool) -> dict:
    tag = fraction_tag(fraction)
    wf = workdir / tag
    if wf.exists():
        shutil.rmtree(wf)
    copy_workflow(wf)
    cfg = scaled_overlay(base, fraction)
    overlay = wf / "config" / f"scale-{tag}.yaml"
    overlay.write_text(yaml.safe_dump(cfg, sort_keys=False))
    raw = f"resources/raw/{cfg['snapshot']}"
    common = ["--cores", str(cores), "--configfile", str(overlay.relative_to(wf))]
    print(f"[{tag}] generating {cfg['snapshot']} in {wf} ...", file=sys.stderr, flush=True)
    gen_s, _, _ = snakemake(
        wf,
        wf / "bench-generate.log",
        *common,
        "--",
        f"{raw}/hub/manifest.json",
        f"{raw}/forum/manifest.json",
    )
    print(f"[{tag}] generated in {gen_s:.0f} s; processing ...", file=sys.stderr, flush=True)
    machine = machine_facts(cores)
    run_s, cpu_s, others_s = snakemake(wf, wf / "bench-process.log", *common)
    print(f"[{tag}] processed in {run_s:.0f} s", file=sys.stderr, flush=True)
    out = {
        "fraction": fraction,
        "tag": tag,
        "generate_s": gen_s,
        "process_s": run_s,
        "process_cpu_s": cpu_s,
        "others_cpu_s": others_s,
        "machine": machine,
        "jobs": read_benchmarks(wf),
        "sizes": input_sizes(wf),
    }
    if not keep:
        shutil.rmtree(wf / "resources" / "raw", ignore_errors=True)
    return out


# --- the report ------------------------------------------------------------------------------


def stage_of(rule: str) -> str:
    if rule.startswith("plot_"):
        return "figures"
    for stage, rules in STAGES.items():
        if rule in rules:
            return stage
    return "other"


def doubling_ratios(fractions: list[Fraction], seconds: list[float]) -> list[float | None]:
    """Time ratio per doubling of the input between consecutive sizes of the series."""
    out: list[float | None] = []
    for f0, s0, f1, s1 in zip(fractions, seconds, fractions[1:], seconds[1:], strict=False):
        if s0 <= 0 or s1 <= 0:
            out.append(None)
        else:
            out.append((s1 / s0) ** (1 / math.log2(float(f1 / f0))))
    return out


def linear_fit(fractions: list[Fraction], seconds: list[float]) -> tuple[float, float, float]:
    """Least squares ``seconds = fixed + per_full * fraction``: (fixed, per_full, R^2)."""
    x = [float(f) for f in fractions]
    n = len(x)
    mx, my = sum(x) / n, sum(seconds) / n
    sxx = sum((a - mx) ** 2 for a in x)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, seconds, strict=True))
    slope = sxy / sxx if sxx else 0.0
    fixed = my - slope * mx
    ss_tot = sum((b - my) ** 2 for b in seconds)
    ss_res = sum((b - fixed - slope * a) ** 2 for a, b in zip(x, seconds, strict=True))
    return fixed, slope, (1 - ss_res / ss_tot) if ss_tot else 1.0


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_ratios(ratios: list[float | None]) -> str:
    return " ".join("-" if r is None else f"{r:.2f}" for r in ratios) or "-"


def table(header: list[str], rows: list[list[str]], left: set[int]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        cells = [
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def peak_job(jobs: dict[str, list[dict[str, float]]], generation: bool) -> tuple[str, float]:
    """The rule with the largest peak memory among the processing (or generation) jobs."""
    found = [
        (rule, max(j["max_rss"] for j in rule_jobs))
        for rule, rule_jobs in jobs.items()
        if (stage_of(rule) in GENERATION) == generation
    ]
    return max(found, key=lambda x: x[1], default=("-", 0.0))


def report(runs: list[dict]) -> tuple[str, bool]:
    """The printed tables and whether the largest (full-size) run meets the targets."""
    runs = sorted(runs, key=lambda r: r["fraction"])
    fractions = [r["fraction"] for r in runs]
    last = runs[-1]
    tags = [str(f) for f in fractions]
    lines = [
        "Runs: wall seconds of the generation (timed apart) and of the processing run; CPU seconds",
        "of the processing run and of the other processes on the machine meanwhile (contention);",
        "the largest peak memory (max_rss) of one job.",
    ]
    rows = []
    for r in runs:
        sz = r["sizes"]
        gen_rule, gen_peak = peak_job(r["jobs"], generation=True)
        rule, peak = peak_job(r["jobs"], generation=False)
        rows.append(
            [
                str(r["fraction"]),
                fmt_int(sz["models"]),
                fmt_int(sz["readmes"]),
                fmt_int(sz["topics"]),
                fmt_int(sz["posts"]),
                f"{r['generate_s']:.0f}",
                f"{gen_peak:.0f}",
                f"{r['process_s']:.0f}",
                f"{r['process_cpu_s']:.0f}",
                f"{r['others_cpu_s']:.0f}",
                f"{peak:.0f} {rule}",
            ]
        )
    header = ["size", "models", "READMEs", "topics", "posts", "generate s", "gen. peak MB"]
    header += ["process s", "its CPU s", "others CPU s", "process peak MB (job)"]
    lines.append(table(header, rows, {10}))
    if len(runs) > 1:
        ratios = doubling_ratios(fractions, [r["process_s"] for r in runs])
        lines.append(f"processing run, time ratio per doubling: {fmt_ratios(ratios)}")

    stage_index = {stage: i for i, stage in enumerate(STAGES)}
    rules = sorted(
        {rule for r in runs for rule in r["jobs"]},
        key=lambda rule: (stage_index.get(stage_of(rule), 99), rule),
    )

    def seconds(r: dict, names: list[str]) -> float:
        return sum(j["s"] for name in names for j in r["jobs"].get(name, []))

    def input_text(names: list[str]) -> str:
        kinds: list[str] = []
        for name in names:
            kinds += [k for k in INPUTS.get(name, ()) if k not in kinds]
        sizes = last["sizes"]
        return ", ".join(f"{fmt_int(sizes[k])} {SIZE_LABELS[k]}" for k in kinds) or "-"

    def row(label: str, names: list[str]) -> tuple[list[str], list[float | None], float]:
        jobs_full = [j for name in names for j in last["jobs"].get(name, [])]
        secs = [seconds(r, names) for r in runs]
        ratios = doubling_ratios(fractions, secs)
        # a fit of a flat series (start-up costs only) says nothing
        grows = len(runs) > 2 and secs[-1] >= MIN_SECONDS and secs[-1] >= 2 * secs[0]
        r2 = linear_fit(fractions, secs)[2] if grows else float("nan")
        cells = [
            label,
            str(len(jobs_full)),
            input_text(names),
            *(f"{s:.1f}" for s in secs),
            f"{max((j['s'] for j in jobs_full), default=0):.1f}",
            f"{max((j['max_rss'] for j in jobs_full), default=0):.0f}",
            fmt_ratios(ratios),
            "-" if math.isnan(r2) else f"{r2:.3f}",
        ]
        return cells, ratios, secs[-1]

    header = ["", "jobs", f"input at {tags[-1]}", *(f"s @{t}" for t in tags)]
    header += ["max job s", "peak MB", "x per doubling", "R2 linear"]
    lines += [
        "",
        "Per rule: s = wall seconds of its jobs, shards summed (jobs run 2 at a time, so a stage",
        "takes about half that); max job s and peak MB (max_rss) at the largest size; time ratio",
        "per doubling of the input (linear: 2 or less; start-up costs make small jobs lower) and",
        f"R2 of a straight-line fit of s against the size (stages that grow to {MIN_SECONDS} s or more).",
        table(["rule", *header[1:]], [row(rule, [rule])[0] for rule in rules], {0, 2}),
    ]
    stage_rows, superlinear = [], []
    for stage, names in STAGES.items():
        members = [r for r in rules if stage_of(r) == stage] if stage == "figures" else names
        members = [m for m in members if any(m in r["jobs"] for r in runs)]
        if not members:
            continue
        cells, ratios, full_s = row(stage, members)
        stage_rows.append(cells)
        worst = ratios[-1] if ratios else None
        processing = stage not in GENERATION  # the targets are the processing run's
        if processing and worst is not None and worst > SUPERLINEAR and full_s >= MIN_SECONDS:
            superlinear.append(f"{stage} x{worst:.2f} over the last doubling")
    lines += ["", "Per stage", table(["stage", *header[1:]], stage_rows, {0, 2}), ""]

    ok = True
    if last["fraction"] == 1:
        rule, peak = peak_job(last["jobs"], generation=False)
        wall_ok, peak_ok = last["process_s"] <= MAX_WALL_S, peak <= MAX_RSS_MB
        ok = wall_ok and peak_ok
        lines.append(
            f"full size: processing run {last['process_s']:.0f} s (target <= {MAX_WALL_S} s: "
            f"{'met' if wall_ok else 'MISSED'}); largest job peak {peak:.0f} MB, {rule} "
            f"(target <= {MAX_RSS_MB} MB: {'met' if peak_ok else 'MISSED'})"
        )
    if len(runs) > 1:
        lines.append(
            "linearity: "
            + (
                "; ".join(superlinear)
                if superlinear
                else f"no processing stage of >= {MIN_SECONDS} s grows more than x{SUPERLINEAR} "
                "over the last doubling"
            )
        )
        ok = ok and not superlinear
    return "\n".join(lines), ok


def save_runs(runs: list[dict], path: Path) -> None:
    data = [{**r, "fraction": str(r["fraction"])} for r in runs]
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def load_runs(path: Path) -> list[dict]:
    return [{**r, "fraction": Fraction(r["fraction"])} for r in json.loads(path.read_text())]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fractions", default="1/8,1/4,1/2,1", help="default: 1/8,1/4,1/2,1")
    ap.add_argument("--workdir", type=Path, help="for the workflow copies (default: a temp folder)")
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the raw snapshots (else deleted after each size) and the temporary workdir",
    )
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--overlay", type=Path, default=OVERLAY, help="the full-size overlay")
    ap.add_argument("--json", type=Path, help="also save the measurements to this file")
    ap.add_argument("--from-json", type=Path, help="print the tables of saved measurements")
    ap.add_argument(
        "--print-overlay",
        type=parse_fraction,
        metavar="FRACTION",
        help="print the overlay at FRACTION of the full size and exit",
    )
    args = ap.parse_args(argv)
    base = yaml.safe_load(args.overlay.read_text())
    if args.print_overlay is not None:
        sys.stdout.write(yaml.safe_dump(scaled_overlay(base, args.print_overlay), sort_keys=False))
        return 0
    if args.from_json:
        text, ok = report(load_runs(args.from_json))
        print(text)
        return 0 if ok else 1
    fractions = sorted({parse_fraction(f) for f in args.fractions.split(",") if f.strip()})
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hfreuse-scale-"))
    if workdir.resolve().is_relative_to(ROOT):
        raise SystemExit(f"--workdir {workdir}: must be outside the repository {ROOT}")
    workdir.mkdir(parents=True, exist_ok=True)
    runs = []
    try:
        for fraction in fractions:
            runs.append(run_fraction(workdir, fraction, base, args.cores, args.keep))
            if args.json:
                save_runs(runs, args.json)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text, ok = report(runs)
    print(text)
    if args.keep:
        print(f"\nworkflow copies kept under {workdir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
