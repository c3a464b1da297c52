"""The fault matrix of issue 11, printed: fault x crawler -> outcome, as a Markdown table.

Every fault of ``tests/support/fault_cases.py`` is injected by a real proxy (``tests/support/fault_proxy.py``) in
front of the stub Hub and the stub Discourse forum, which replay real recorded responses from
``../shared/data``; the seven crawlers (Hub listing, Hub READMEs, forum listing, forum topics,
forum feed walk, first-commit histories, card history) run unchanged against it and each cell is judged against a clean crawl through the same proxy:

    IDENTICAL     raw snapshot and parsed tables equal the clean crawl's
    CLEAR ERROR   stopped with one of our errors naming the URL (its first line is shown)
    SILENT        ended without error, data differ from the clean crawl (what differs is shown)
    HANG          still running after the wall-clock limit
    (and UNCLEAR ERROR, LEAK, HALF-WRITTEN, NOT INJECTED: see tests/support/fault_cases.py)

    python3 bench/fault_matrix.py                   # the table
    python3 bench/fault_matrix.py --only 403        # the faults whose name contains "403"
    python3 bench/fault_matrix.py --crawler history # the columns whose name contains "history"
    python3 bench/fault_matrix.py --json out.json   # also every cell as JSON

Exit status 1 when a cell is neither IDENTICAL nor CLEAR ERROR.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "support"), str(ROOT / "workflow" / "scripts")]

import fault_cases as fc  # noqa: E402


def cell_text(matrix: fc.Matrix, outcome: fc.Outcome) -> str:
    text = outcome.verdict
    if outcome.detail:
        text += ": " + matrix.short(outcome.detail, 90).replace("|", "\\|")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the faults whose name contains this text")
    parser.add_argument("--crawler", help="run only the crawlers whose name contains this text")
    parser.add_argument("--json", type=Path, help="also write every cell to this JSON file")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # the crawlers' retry warnings: the table says it all

    start = time.monotonic()
    try:
        matrix = fc.Matrix()
    except BaseException as exc:  # pytest.skip from conftest.shared_path: no real data
        if type(exc).__name__ == "Skipped":
            print(f"skipped: {exc}")
            return 0
        raise
    setup = time.monotonic() - start
    results: dict[tuple[str, str], fc.Outcome] = {}
    try:
        for fault, crawler in fc.cells():
            if args.only and args.only not in fault:
                continue
            if args.crawler and args.crawler not in crawler:
                continue
            results[fault, crawler] = matrix.run_cell(fault, crawler)
            print(".", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        names = [c.name for c in fc.CRAWLERS if any(k[1] == c.name for k in results)]
        print("| fault | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for case in fc.CASES:
            if not any((case.name, c) in results for c in names):
                continue
            row = [
                cell_text(matrix, results[case.name, c]) if (case.name, c) in results else "n/a"
                for c in names
            ]
            print(f"| {case.name} | " + " | ".join(row) + " |")
        verdicts: dict[str, int] = {}
        for outcome in results.values():
            verdicts[outcome.verdict] = verdicts.get(outcome.verdict, 0) + 1
        slowest = max(results.items(), key=lambda kv: kv[1].seconds, default=None)
        print()
        print(
            f"{len(results)} cells: "
            + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
            + f"; setup (stubs, proxies, clean crawls) {setup:.1f}s, cells "
            f"{sum(o.seconds for o in results.values()):.1f}s, total "
            f"{time.monotonic() - start:.1f}s"
            + (
                f"; slowest cell {slowest[1].seconds:.1f}s ({slowest[0][0]} x {slowest[0][1]})"
                if slowest
                else ""
            )
        )
        if args.json:
            args.json.write_text(
                json.dumps(
                    [
                        {
                            "fault": f,
                            "crawler": c,
                            "verdict": o.verdict,
                            "detail": matrix.short(o.detail, 1000),
                            "seconds": round(o.seconds, 2),
                            "requests": o.requests,
                            "injected": o.injected,
                        }
                        for (f, c), o in results.items()
                    ],
                    indent=1,
                    ensure_ascii=False,
                )
                + "\n"
            )
    finally:
        matrix.close()
    return 0 if all(o.good for o in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
