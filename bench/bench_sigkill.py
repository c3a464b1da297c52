"""Benchmark: the Hub and forum crawls killed with SIGKILL at seeded random points, then rerun.

Against the test stubs (``tests/support/hub_stub.py``, ``tests/support/forum_stub.py``: real HTTP servers on
127.0.0.1 replaying real recorded responses from ``../shared/data``), run in this process. Each
crawl runs as a separate process (this file with ``--child``, calling the crawl functions the
workflow's fetch scripts call): first once, never killed (the reference), then for each trial:

1. a fresh crawl is started and killed with SIGKILL (its whole process group) when the stub
   serves its request number ``k`` (seeded, uniform over the reference crawl's requests): half of
   the trials kill while that request is being answered (in flight: the crawler never reads the
   answer), the others a seeded 0-30 ms after it was answered (anywhere in the crawler's own work:
   verifying, journaling, writing pages, parts, states);
2. the crawl is run again to completion (as Snakemake would rerun the rule);
3. the raw snapshot (list pages, README parts, categories, listing pages, topic records) and the
   tables built from it (parquet) are compared byte for byte with the reference's (a topic
   record's ``fetched_at``, the time it was fetched, is left out), and the requests the manifests
   record with the requests the stub served during the trial; the items answered more often than
   in the crawl never killed (READMEs, topics, feed pages; for the history kinds, models) are
   counted as fetched again.

The Hub crawl is the listing (``/api/models``, 100 models a page) then README shards (2 shards,
``max_cards`` 300, parts of 40 records); the forum crawl is the listing then the topics; the
``forum-feed`` crawl is the same with ``plan: feed`` against the stub forum with dense post ids
(the listing, then the global post feed ``/posts.json?before=ID``, 50 ids a page). The
``history`` crawl is the Hub listing then the first-commit histories of the floored models
(``crawl_first_commits``, 2 shards, parts of 20 records), the ``card-history`` crawl the listing
then the card history of a seeded sample of 30 models (``crawl_card_history``, parts of 20);
for these a model whose history pages or README probes were answered more often than in the
crawl never killed counts as fetched again.

    python3 bench/bench_sigkill.py                 # every crawl, 20 trials each (about 10 min)
    python3 bench/bench_sigkill.py --crawls forum-feed --trials 20
    python3 bench/bench_sigkill.py --crawls history,card-history --trials 20
    python3 bench/bench_sigkill.py --trials 50 --seed 7

Exit status 1 when a trial's tables or raw files differ, when recorded requests fall short of
those served or exceed them by more than the one request in flight at the kill, or when a README
or topic stored before the kill is fetched again.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
for _p in (SCRIPTS, ROOT / "tests" / "support"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

PAGE = 100
SHARDS = 2
MAX_CARDS = 300
PART = 40
HISTORY_PART = 20  # records a part of the history crawls (the workflow's: 200 and 100)
CARD_SAMPLE = 30  # models of the card-history sample
HUB_KINDS = ("hub", "history", "card-history")
KINDS = ("hub", "forum", "forum-feed", "history", "card-history")  # every crawl of the workflow
RPM = 60000.0  # pacing of 1 ms: the stub is local
KEY = "bench-sigkill-pseudonym-key-0123456789"
# progress and completion markers: they hold times, run counts and request counts
NOT_RAW = {
    ".usernames.json.gz",  # the parse's username index (hfreuse.forum.names)
    ".usernames.lock",
    "state.json",
    "manifest.json",
    "journal.jsonl",
    "listing.json",
    ".listing-state.json",
    ".topics-state.json",
    ".listing-journal.jsonl",
    ".topics-journal.jsonl",
}


# --- the crawl processes ------------------------------------------------------------------------


def child(kind: str, workdir: Path, url: str) -> None:
    """One crawl, resumed where an earlier (killed) run stopped; a finished step is skipped, as
    Snakemake skips a rule whose output exists."""
    from hfreuse.clients import HttpClient

    if kind in HUB_KINDS:
        from crawl_support import EXPAND
        from hfreuse.hub.listing import crawl_models

        hub_dir = workdir / "hub"
        if not (hub_dir / "manifest.json").exists():
            crawl_models(hub_dir, url, EXPAND, PAGE, client=HttpClient(RPM), progress_every=1e9)
        if kind == "history":
            _child_history(hub_dir, url)
        elif kind == "card-history":
            _child_card_history(hub_dir, url)
        else:
            _child_cards(hub_dir, url)
    else:
        from hfreuse.forum.listing import crawl_listing
        from hfreuse.forum.topics import crawl_topics

        forum_dir = workdir / "forum"
        if not (forum_dir / "listing.json").exists():
            crawl_listing(forum_dir, url, client=HttpClient(RPM))
        if not (forum_dir / "manifest.json").exists():
            plan = "feed" if kind == "forum-feed" else "topics"
            crawl_topics(forum_dir, client=HttpClient(RPM), plan=plan)


def _child_cards(hub_dir: Path, url: str) -> None:
    from hfreuse.clients import HttpClient
    from hfreuse.hub.cards import crawl_cards

    for k in range(SHARDS):
        marker = hub_dir / "cards" / f"shard-{k + 1}-of-{SHARDS}.json"
        if not marker.exists():
            crawl_cards(
                hub_dir,
                marker,
                k,
                SHARDS,
                url,
                MAX_CARDS,
                client=HttpClient(RPM),
                part_size=PART,
                progress_every=1e9,
            )


def _child_history(hub_dir: Path, url: str) -> None:
    """The first-commit histories of the floored models, in :data:`SHARDS` shards."""
    from hfreuse.clients import HttpClient
    from hfreuse.hub.first_commits import crawl_first_commits

    for k in range(SHARDS):
        marker = history_marker(hub_dir, k)
        if not marker.exists():
            crawl_first_commits(
                hub_dir, marker, k, SHARDS, url, client=HttpClient(RPM), part_size=HISTORY_PART
            )


def _child_card_history(hub_dir: Path, url: str) -> None:
    """The card history of a seeded sample of :data:`CARD_SAMPLE` models with a README."""
    from hfreuse.clients import HttpClient
    from hfreuse.hub.card_history import crawl_card_history

    manifest = hub_dir / "card_history" / "manifest.json"
    if not manifest.exists():
        crawl_card_history(
            hub_dir,
            manifest,
            url,
            CARD_SAMPLE,
            7,
            # short backoffs: the stub's listed READMEs without a recorded text answer 404, which
            # the crawl asks again with its retries before it believes them
            client=HttpClient(RPM, max_retries=2, backoff_base=0.01, backoff_max=0.1),
            part_size=HISTORY_PART,
        )


def history_marker(hub_dir: Path, k: int) -> Path:
    return hub_dir / "history" / f"shard-{k + 1}-of-{SHARDS}.json"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SCRIPTS), "HFREUSE_PSEUDONYM_KEY": KEY}


def _command(kind: str, workdir: Path, url: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(workdir), url]


def run_crawl(kind: str, workdir: Path, url: str) -> None:
    """Run a crawl process to completion; a failure is an error with its output."""
    proc = subprocess.run(_command(kind, workdir, url), env=_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the {kind} crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


# --- the stubs, with a kill switch ----------------------------------------------------------------


class Killer:
    """Counts the requests the stub serves; SIGKILLs the armed process group at request ``at``."""

    def __init__(self) -> None:
        self.served = 0
        self.lock = threading.Lock()
        self.pgid: int | None = None
        self.at = 0
        self.delay: float | None = None  # None: kill in flight (before the answer is sent)
        self.fired = threading.Event()

    def arm(self, pgid: int, at: int, delay: float | None) -> None:
        with self.lock:
            self.pgid, self.at, self.delay, self.served = pgid, at, delay, 0
            self.fired.clear()

    def disarm(self) -> None:
        with self.lock:
            self.pgid, self.served = None, 0

    def _kill(self, pgid: int) -> None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.fired.set()

    def served_one(self) -> None:
        """Called by the stub for every request it answers, before the answer is sent."""
        with self.lock:
            self.served += 1
            if self.pgid is None or self.served != self.at:
                return
            pgid, delay = self.pgid, self.delay
        if delay is None:
            self._kill(pgid)
        else:
            threading.Timer(delay, self._kill, args=(pgid,)).start()


def hub_stub(server: Any, killer: Killer) -> Any:
    from hub_stub import StubHub, assign_cards, make_histories, real_models

    class KillableHub(StubHub):
        def _log(self, kind, key, request, resp):
            resp = super()._log(kind, key, request, resp)
            killer.served_one()
            return resp

    models = real_models()
    # a history for every model: the first-commit crawl asks for the floored ones', the card
    # history for its sample's
    histories = make_histories(models, only_floored=False)
    return KillableHub(models=models, cards=assign_cards(models), histories=histories).install(
        server
    )


def forum_stub(server: Any, killer: Killer, post_ids: str | None = None) -> Any:
    from forum_stub import DiscourseSite, StubServer

    class KillableForum(StubServer):
        def handle(self, request):
            resp = super().handle(request)
            killer.served_one()
            return resp

    return KillableForum(server, DiscourseSite(post_ids=post_ids))


# --- comparing ----------------------------------------------------------------------------------


def raw_files(snapshot: Path) -> dict[str, bytes]:
    """The raw files of a snapshot (relative path -> bytes), progress files and markers left out;
    a forum topic record without its ``fetched_at``."""
    out = {}
    for path in sorted(snapshot.rglob("*")):
        rel = path.relative_to(snapshot).as_posix()
        if not path.is_file() or path.name in NOT_RAW:
            continue
        if re.fullmatch(r"hub/(cards|history)/shard-[^/]*\.json", rel):
            continue  # a shard marker
        data = path.read_bytes()
        if rel.startswith("forum/topics/"):
            rec = json.loads(gzip.decompress(data))
            rec.pop("fetched_at", None)
            data = json.dumps(rec, sort_keys=True).encode()
        out[rel] = data
    return out


def tables(kind: str, snapshot: Path) -> dict[str, bytes]:
    """The parquet bytes of the tables built from a snapshot."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def parquet(table: pa.Table) -> bytes:
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf, compression="zstd", write_statistics=True)
        return buf.getvalue().to_pybytes()

    if kind == "card-history":
        from hfreuse.hub.card_history import card_history_table, iter_card_history

        recs = list(iter_card_history(snapshot / "hub" / "card_history" / "manifest.json"))
        table = card_history_table(iter(recs), {r["model_id"]: True for r in recs})
        return {"card_history": parquet(pa.Table.from_pandas(table, preserve_index=False))}
    if kind in HUB_KINDS:
        from hfreuse.hub.first_commits import iter_histories
        from hfreuse.hub.parse import card_lengths, first_commits, merge_parts, parse_pages

        hub_dir = snapshot / "hub"
        markers = sorted((hub_dir / "cards").glob("shard-*.json"))
        firsts = first_commits(iter_histories(sorted((hub_dir / "history").glob("shard-*.json"))))
        # as the workflow: parse_hub_pages (one shard), then parse_hub_models
        table = merge_parts([parse_pages(hub_dir, 0, 1)], card_lengths(markers), firsts)
        return {"models": parquet(table)}
    from hfreuse.forum.parse import parse_forum

    cats, topics, posts = parse_forum(snapshot / "forum")
    return {"categories": parquet(cats), "topics": parquet(topics), "posts": parquet(posts)}


def recorded_requests(kind: str, snapshot: Path) -> int:
    """The requests the manifests of a snapshot record."""
    from hfreuse.io import read_json

    if kind in HUB_KINDS:
        hub_dir = snapshot / "hub"
        total = read_json(hub_dir / "manifest.json")["stats"]["requests"]
        markers = [*(hub_dir / "cards").glob("shard-*.json")]
        markers += [*(hub_dir / "history").glob("shard-*.json")]
        markers += [*(hub_dir / "card_history").glob("manifest.json")]
        for marker in sorted(markers):
            total += read_json(marker)["stats"]["requests"]
        return total
    return read_json(snapshot / "forum" / "manifest.json")["requests"]["requests"]


def served_keys(kind: str, stub: Any, since: int) -> Counter:
    """How often each README (Hub), history page or README probe at a commit (history kinds),
    topic (forum) or feed page (forum-feed) was answered since log entry ``since``."""
    if kind == "hub":
        keys = [h.key for h in stub.hits[since:] if h.kind == "card"]
    elif kind in HUB_KINDS:  # the model of a history page or of a README probe at a commit
        keys = [
            h.key if h.kind == "card" else h.key[0]
            for h in stub.hits[since:]
            if h.kind in ("commits", "card")
        ]
    elif kind == "forum-feed":
        keys = [k for k, _ in stub.log[since:] if k.startswith("/posts.json")]
    else:
        keys = [k for k, _ in stub.log[since:] if re.fullmatch(r"/t/\d+\.json", k)]
    return Counter(keys)


def served_again(keys: Counter, reference: Counter) -> int:
    """The items (READMEs, models of the history kinds, topics, feed pages) a killed and rerun
    crawl was answered for more often than the crawl never killed (a probe a crawl asks twice
    by design, e.g. to confirm a boundary, is not a refetch)."""
    return sum(1 for k, n in keys.items() if n > reference.get(k, 1))


def _log_size(kind: str, stub: Any) -> int:
    return len(stub.hits) if kind in HUB_KINDS else len(stub.log)


# --- trials -------------------------------------------------------------------------------------


@dataclass
class Trial:
    kill_at: int
    in_flight: bool
    killed: bool  # the process died of the kill (not finished before it)
    tables_identical: bool
    raw_identical: bool
    recorded: int
    served: int
    refetched: int  # items fetched again (see the module docstring)
    raw_differs: tuple[str, ...] = ()  # the raw files that differ from the unkilled crawl's

    @property
    def ok(self) -> bool:
        return (
            self.tables_identical
            and self.raw_identical
            and 0 <= self.recorded - self.served <= 1
            and self.refetched <= 1
        )


@dataclass
class Result:
    kind: str
    reference_requests: int
    trials: list[Trial] = field(default_factory=list)


def run_trials(kind: str, n: int, seed: int, workdir: Path) -> Result:
    """``n`` kill-and-rerun trials of one crawl (``"hub"``, ``"forum"``, ``"forum-feed"``,
    ``"history"`` or ``"card-history"``) against its stub."""
    from pytest_httpserver import HTTPServer

    os.environ["HFREUSE_PSEUDONYM_KEY"] = KEY  # the children's key: the same pseudonyms
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rng = random.Random(f"{seed}-{kind}")
    killer = Killer()
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        if kind in HUB_KINDS:
            stub = hub_stub(server, killer)
        else:
            stub = forum_stub(server, killer, "dense" if kind == "forum-feed" else None)
        url = stub.base_url if kind in HUB_KINDS else stub.url
        reference = workdir / kind / "reference"
        since = _log_size(kind, stub)
        run_crawl(kind, reference, url)
        ref_keys = served_keys(kind, stub, since)
        result = Result(kind, killer.served)
        ref_raw, ref_tables = raw_files(reference), tables(kind, reference)
        for i in range(n):
            result.trials.append(
                _trial(
                    kind,
                    url,
                    stub,
                    killer,
                    rng,
                    workdir / kind / f"trial-{i}",
                    ref_raw,
                    ref_tables,
                    result.reference_requests,
                    ref_keys,
                )
            )
            shutil.rmtree(workdir / kind / f"trial-{i}")
        return result
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def _trial(
    kind: str,
    url: str,
    stub: Any,
    killer: Killer,
    rng: random.Random,
    snapshot: Path,
    ref_raw: dict[str, bytes],
    ref_tables: dict[str, bytes],
    total: int,
    ref_keys: Counter,
) -> Trial:
    at = rng.randint(1, total)
    delay = None if rng.random() < 0.5 else rng.uniform(0.0, 0.03)
    since = _log_size(kind, stub)
    proc = subprocess.Popen(
        _command(kind, snapshot, url),
        env=_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killer.arm(proc.pid, at, delay)
    code = proc.wait()
    killer.fired.wait(1.0 if code == -signal.SIGKILL else 0.05)
    killer.disarm()
    time.sleep(0.05)  # let the stub finish an answer to the dead process
    run_crawl(kind, snapshot, url)
    served = _log_size(kind, stub) - since
    raw = raw_files(snapshot)
    differs = tuple(sorted(k for k in set(raw) | set(ref_raw) if raw.get(k) != ref_raw.get(k)))
    return Trial(
        kill_at=at,
        in_flight=delay is None,
        killed=code == -signal.SIGKILL,
        tables_identical=tables(kind, snapshot) == ref_tables,
        raw_identical=not differs,
        recorded=recorded_requests(kind, snapshot),
        served=served,
        refetched=served_again(served_keys(kind, stub, since), ref_keys),
        raw_differs=differs,
    )


# --- report -------------------------------------------------------------------------------------


def report(results: list[Result]) -> str:
    head = (
        "| crawl | requests (one crawl) | trials | killed | tables identical | raw identical "
        "| requests recorded | requests served | recorded - served (per trial) "
        "| items fetched again |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in results:
        t = r.trials
        diffs = Counter(x.recorded - x.served for x in t)
        lines.append(
            f"| {r.kind} | {r.reference_requests} | {len(t)} | {sum(x.killed for x in t)} "
            f"| {sum(x.tables_identical for x in t)} | {sum(x.raw_identical for x in t)} "
            f"| {sum(x.recorded for x in t)} | {sum(x.served for x in t)} "
            f"| {', '.join(f'{d:+d}: {c}' for d, c in sorted(diffs.items()))} "
            f"| {sum(x.refetched for x in t)} (max {max((x.refetched for x in t), default=0)}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials per crawl (default 20)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--crawls",
        default=",".join(KINDS),
        help=f"comma-separated, of {', '.join(KINDS)} (default: all)",
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DIR", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), args.child[2])
        return 0
    unknown = sorted(set(args.crawls.split(",")) - set(KINDS))
    if unknown:
        parser.error(
            f"--crawls: unknown {', '.join(unknown)} (expected some of {', '.join(KINDS)})"
        )
    with tempfile.TemporaryDirectory(prefix="bench-sigkill-") as tmp:
        results = []
        for kind in args.crawls.split(","):
            start = time.monotonic()
            results.append(run_trials(kind, args.trials, args.seed, Path(tmp)))
            print(f"{kind}: {args.trials} trials in {time.monotonic() - start:.0f} s", flush=True)
    print(report(results))
    bad = [(r.kind, i, t) for r in results for i, t in enumerate(r.trials) if not t.ok]
    for kind, i, t in bad:
        print(f"FAILED {kind} trial {i}: {t}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
