"""Micro-benchmark: the per-record helpers the Hub and forum parses call millions of times.

A full-size run calls them about 5 million times (2,000,000 models with two timestamps each,
600,000 posts with theirs, topics, shard hashes), so a microsecond per call is seconds of CPU.
A post's text is ``html_to_text`` then the scrub of the snapshot's usernames (100,000 known
names: one set lookup per word, whatever their number).
Each helper runs on realistic inputs (a real-shaped Hub model object, a Discourse post's cooked
HTML, ISO timestamps as the Hub and Discourse write them), best of ``--repeat`` rounds of
``--number`` calls, and the result is printed per call:

    python3 bench/bench_parse_helpers.py                 # the table
    python3 bench/bench_parse_helpers.py --json out.json # also as JSON

Exit status 1 when a helper is slower than its ceiling (``--check``): ``parse_time`` must stay
under 2 us a call (an import inside the function made it 4.5 us; 0.9 us without).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from hfreuse.forum.names import NameScrubber, Pseudonymizer  # noqa: E402
from hfreuse.forum.text import html_to_text  # noqa: E402
from hfreuse.hub.parse import model_row  # noqa: E402
from hfreuse.io import parse_time  # noqa: E402
from hfreuse.shards import stable_shard  # noqa: E402

MODEL = {
    "id": "google-bert/bert-base-uncased",
    "author": "google-bert",
    "createdAt": "2022-03-02T23:29:04.000Z",
    "lastModified": "2024-02-19T11:06:12.000Z",
    "config": {"model_type": "bert", "architectures": ["BertForMaskedLM"]},
    "cardData": {"language": "en", "license": "apache-2.0"},
    "pipeline_tag": "fill-mask",
    "library_name": "transformers",
    "downloads": 51234567,
    "likes": 1890,
    "tags": ["transformers", "pytorch", "bert", "fill-mask", "en", "license:apache-2.0"],
    "siblings": [{"rfilename": n} for n in ("README.md", "config.json", "model.safetensors")],
    "sha": "86b5e0934494bd15c9632b12f734a8a67f723594",
}
COOKED = (
    '<p>I fine-tuned <a href="https://huggingface.co/openai/whisper-small">whisper small</a> '
    "with the <code>Seq2SeqTrainer</code> but the loss is <strong>nan</strong> after 200 steps. "
    '<a class="mention" href="/u/someone">@someone</a> any idea?</p>\n'
    '<pre><code class="lang-python">trainer = Seq2SeqTrainer(model=model, args=args)\n'
    "trainer.train()\n</code></pre>\n<p>Thanks!</p>"
)
# the usernames a full-size snapshot knows (about 100,000), one of them named in the post
KNOWN_NAMES = [f"member_{i:06d}" for i in range(100_000)] + ["someone", "fine_tuner7"]
NAMED = COOKED.replace("<p>Thanks!</p>", "<p>Thanks fine_tuner7!</p>")
CEILINGS_US = {"parse_time (Hub)": 2.0, "parse_time (Discourse)": 2.0}


def cases() -> dict[str, object]:
    pseudonym = Pseudonymizer(b"bench-key")
    names = NameScrubber(KNOWN_NAMES, pseudonym)  # the parse's scrubber of the snapshot's names
    return {
        "parse_time (Hub)": lambda: parse_time("2023-12-03T17:50:30.047Z", "bench"),
        "parse_time (Discourse)": lambda: parse_time("2023-12-03T17:50:30.047+00:00", "bench"),
        "stable_shard (topic id)": lambda: stable_shard(123456, 8),
        "stable_shard (model id)": lambda: stable_shard("google-bert/bert-base-uncased", 64),
        "pseudonym (memoized)": lambda: pseudonym("SomeUser"),
        "model_row (one Hub model)": lambda: model_row(MODEL, "bench"),
        "html_to_text (one post)": lambda: html_to_text(COOKED),
        "html_to_text + name scrub (one post)": lambda: names(html_to_text(COOKED, pseudonym)),
        "html_to_text + name scrub (a name)": lambda: names(html_to_text(NAMED, pseudonym)),
    }


def measure(number: int, repeat: int) -> list[dict[str, object]]:
    rows = []
    for name, call in cases().items():
        best = min(timeit.repeat(call, number=number, repeat=repeat)) / number
        rows.append({"helper": name, "us_per_call": round(best * 1e6, 3), "calls": number})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--number", type=int, default=20_000, help="calls per round")
    ap.add_argument("--repeat", type=int, default=5, help="rounds (the best is kept)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--check", action="store_true", help="exit 1 above a helper's ceiling")
    args = ap.parse_args(argv)
    rows = measure(args.number, args.repeat)
    width = max(len(r["helper"]) for r in rows)
    print(f"{'helper':<{width}}  us/call  (best of {args.repeat} x {args.number:,} calls)")
    for r in rows:
        print(f"{r['helper']:<{width}}  {r['us_per_call']:7.2f}")
    if args.json:
        doc = {
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            "number": args.number,
            "repeat": args.repeat,
            "results": rows,
        }
        args.json.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    slow = [r for r in rows if r["us_per_call"] > CEILINGS_US.get(r["helper"], float("inf"))]
    for r in slow:
        print(f"SLOW: {r['helper']} {r['us_per_call']} us > {CEILINGS_US[r['helper']]} us")
    return 1 if args.check and slow else 0


if __name__ == "__main__":
    sys.exit(main())
