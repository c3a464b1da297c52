"""Card history of a sample: the commit where README.md first appeared, and whether the model card
had YAML card data then (the study's "has card data" is today's card, not the card at upload).

For a seeded random sample of the listed models that have a README (:func:`sample_models`),
:func:`crawl_card_history` fetches the commit history at the listed revision (as
:mod:`hfreuse.hub.first_commits` does: ``HfApi.list_repo_commits`` behind the paced client, each
page verified by its :class:`~hfreuse.hub.first_commits.HistoryPages`) and then finds the oldest
commit whose tree holds README.md by bisection over the history, each probe a ``GET`` of
README.md at that commit (``huggingface_hub.hf_hub_url``). A history of n commits costs one
commit page (up to 1,000 commits) and about log2(n) + 1 README resolves. Bisection assumes
README.md stays once added (a README deleted and added again is found at its last addition).

Verification. A history is accepted when its pages are (:class:`CardPages`: no next link back to
a page already served, no error answer after a page of the same history was served) and, as a
whole, its commits are distinct and add up to ``X-Total-Count`` when the Hub sends it (else it
is fetched again, up to :data:`HISTORY_TRIES` times). A probe answers 200 (the text, verified
like the README fetch, and it must name the commit it served: ``X-Repo-Commit`` = the commit,
the body hashing to its ``ETag``) or 404 ``EntryNotFound`` (not there yet); any other answer is
retried with the client's backoff. The probes are verified as a sequence: the listing says
README.md is at the listed revision (the newest commit), so a 404 there is asked again (the
retries) before it is believed (recorded as no README found); and a bisection that ends at
commit f > 0 asks commit f - 1 again: a single wrong answer anywhere in the bisection ends at its
boundary (a 200 wrongly at f, which a 200 must name, or a 404 wrongly at f - 1, which the
confirming probe contradicts), so a contradiction is bisected again, then quarantined.

Failures. A model whose history or probe still fails after the retries (a bare 403 that
persists, an answer failing verification, a reset, a final 5xx) is quarantined
(:mod:`hfreuse.crawl.quarantine`: ``card_history/quarantine.json``, not stored, retried first
by the next run), and the crawl goes on; the crawl fails at its end, naming the quarantine file,
when more than ``crawl.max_failed_share`` of the sample is quarantined, and the streak guard
stops it early when every model fails. A refused token stops it at once.

Layout: ``card_history/manifest.json`` (written last), ``card_history/part-*.jsonl.gz`` (one
record per model: ``model_id, revision, status, error_code, commits, first_index, first_commit,
first_date, probes, text``), ``card_history/state.json`` (request counts),
``card_history/journal.jsonl`` (requests and records since the last part:
:class:`~hfreuse.crawl.journal.Journal`, :class:`~hfreuse.crawl.parts.JournaledParts`).
Resumable: stored (or journaled) models are not asked again, so a kill costs at most the model in
flight; a damaged part is moved aside and its models fetched again. :func:`read_card_history`
checks the records against the manifest's counts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..clients import FetchError, HttpClient, hub_file_url, hub_http_error
from ..crawl.pacing import Pace, token_used
from ..crawl.parts import JournaledParts, finish_shard, quarantined_step, resume_shard
from ..crawl.quarantine import (
    CrawlStopped,
    Quarantine,
    check_max_failed_share,
)
from ..crawl.runner import ShardRun, require_listing, start_shard
from ..crawl.state import damaged
from ..errors import InputError
from ..io import read_json
from . import raw as hub_raw
from .answers import card_answer_problem, decode_text
from .carddata import has_card_data
from .cards import CARD_PACE, readme_revisions
from .first_commits import COMMITS_PAGE, FINAL_STATUSES, HistoryPages, history_bridge
from .previous import origin_fields, taken_over, trace_reusable, with_previous

log = logging.getLogger(__name__)

RULE = "fetch_hub_card_history"  # the rule that writes (and recovers) the card-history files
PART_SIZE = 100
HISTORY_TRIES = 3  # a history that fails as a whole (total, duplicates) is fetched this often
PROBE_STATUSES = (200, *FINAL_STATUSES)


def sample_size(population: int, size: int | None, confidence: float, margin: float,
                proportion: float) -> int:  # fmt: skip
    """``size`` (at most the population), or Cochran's size with the finite-population
    correction, as the coding sample (``coding.confidence``, ``margin``, ``proportion``)."""
    if size is not None:
        return min(int(size), population)
    from ..coding.sample import cochran_sample_size

    return cochran_sample_size(population, confidence, margin, proportion)


def sample_models(model_ids: list[str], n: int, seed: int) -> list[str]:
    """A seeded random sample of ``n`` of ``model_ids`` (sorted ids in, sorted sample out)."""
    ids = sorted(set(model_ids))
    if n >= len(ids):
        return ids
    pick = np.random.default_rng(seed).choice(len(ids), size=n, replace=False)
    return sorted(ids[i] for i in pick)


def history_url(endpoint: str, model_id: str, revision: str) -> str:
    """The first commit page of a model's history (the URL a quarantined model is listed with)."""
    return f"{endpoint.rstrip('/')}/api/models/{model_id}/commits/{revision}"


class CardPages:
    """The pages of one model's history as the card history accepts them: those
    :class:`~hfreuse.hub.first_commits.HistoryPages` accepts (whose error meaning "stop" stops
    the crawl, never quarantines a model), no next link back to a page already served (a Link
    cycle), no error answer once a page of the same history was served (a one-off 404 after
    page 1 is not the model's answer), no 404 without the Hub's ``X-Error-Code`` (an HTML error
    page, not the Hub saying the repository or revision is gone)."""

    def __init__(self, hist: HistoryPages) -> None:
        self.hist = hist
        self.seen: set[str] = set()

    def reset(self) -> None:
        self.hist.reset()
        self.seen = set()

    def check(self, resp: Any) -> str | None:
        status, url = int(resp.status_code), resp.url
        served = self.hist.pages
        if served and status != 200:
            return f"HTTP {status} after {served} page(s) of the same history were served"
        if status == 404 and not resp.headers.get("X-Error-Code"):
            return "HTTP 404 without the Hub's X-Error-Code (not its answer about the model)"
        next_url = resp.links.get("next", {}).get("url") if status == 200 else None
        if next_url and (next_url in self.seen or next_url == url):
            return f"its next link {next_url} repeats a page already served"
        try:
            problem = self.hist.check(resp)
        except CrawlStopped:
            raise
        except FetchError as exc:
            if status != 401:
                raise
            # a refused token refuses every model: the crawl stops, nothing is quarantined
            raise CrawlStopped(str(exc), status=status) from exc
        if problem is None and status == 200:
            self.seen.add(url)
        return problem


def _commits(api: Any, pages: CardPages, model_id: str, revision: str, url: str) -> list[Any]:
    """The verified history of a model, newest first (see the module docstring)."""
    for attempt in range(1, HISTORY_TRIES + 1):
        pages.reset()
        commits = api.list_repo_commits(model_id, revision=revision)
        ids = [c.commit_id for c in commits]
        total = pages.hist.total
        if len(set(ids)) != len(ids):
            problem = f"{len(ids) - len(set(ids))} commits served twice"
        elif total is not None and total != len(ids):
            problem = f"{len(ids)} commits but X-Total-Count says {total}"
        else:
            return commits
        log.warning("GET %s: %s (try %d of %d)", url, problem, attempt, HISTORY_TRIES)
    raise FetchError(f"GET {url}: the history of {model_id}: {problem} "
                     f"(after {HISTORY_TRIES} tries)")  # fmt: skip


def _probe(client: HttpClient, endpoint: str, model_id: str, commit: str, listed: bool) -> Any:
    """README.md at ``commit``: the verified answer, 200 (naming the commit), 404
    ``EntryNotFound`` or a final status with the Hub's ``X-Error-Code``; ``listed``: the newest
    commit, where the listing has README.md, so a 404 there is asked again before it is
    believed. Anything else still failing after the retries raises FetchError."""
    url = hub_file_url(endpoint, model_id, "README.md", commit)
    sends_token = token_used(client)

    def check(resp: Any) -> str | None:
        problem = card_answer_problem(resp, url, commit, sends_token)
        status, code = int(resp.status_code), resp.headers.get("X-Error-Code")
        if problem is None and status == 200:
            missing = [h for h in ("X-Repo-Commit", "ETag") if not resp.headers.get(h)]
            if missing:
                problem = f"HTTP 200 without {' and '.join(missing)}: not verifiable"
        elif problem is None and status == 404 and code != "EntryNotFound":
            problem = f"HTTP 404 ({code or 'no X-Error-Code'}), not an answer about README.md"
        elif problem is None and status == 404 and listed:
            problem = "HTTP 404 at the listed revision, whose file list has README.md"
        return problem

    resp = client.get_checked(
        url, check, ok_statuses=PROBE_STATUSES, record_after_retries=(404,) if listed else ()
    )
    if resp.status_code == 404 and resp.headers.get("X-Error-Code") != "EntryNotFound":
        raise FetchError(f"GET {url}: HTTP 404 without EntryNotFound after retries", status=404)
    return resp


def first_readme(client: HttpClient, endpoint: str, model_id: str, commits: list[str]) -> dict:
    """The first of ``commits`` (oldest first) holding README.md, by bisection, confirmed (see
    the module docstring): ``first_index`` (None when even the newest has none), its text, the
    probes of the bisection. A bisection contradicted by its confirming probe is done again (up
    to :data:`HISTORY_TRIES` times), then FetchError."""
    for attempt in range(1, HISTORY_TRIES + 1):
        found = _bisect(client, endpoint, model_id, commits)
        first = found["first_index"]
        if not first:  # None (no README found) or 0 (no commit before it)
            return found
        before = _probe(client, endpoint, model_id, commits[first - 1], False)
        if before.status_code == 404:
            return found
        log.warning("%s: README.md at commit %d of %d answered HTTP %d, after HTTP 404 (try %d "
                    "of %d)", model_id, first - 1, len(commits), before.status_code, attempt,
                    HISTORY_TRIES)  # fmt: skip
    url = hub_file_url(endpoint, model_id, "README.md", commits[first - 1])
    raise FetchError(
        f"GET {url}: README.md answered 404 there during the bisection, then HTTP "
        f"{before.status_code} (after {HISTORY_TRIES} tries): the probes contradict each other"
    )


def _bisect(client: HttpClient, endpoint: str, model_id: str, commits: list[str]) -> dict:
    """One bisection of ``commits`` for the first holding README.md."""
    lo, hi, probes, text, found = 0, len(commits) - 1, 0, None, None
    newest = len(commits) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        resp = _probe(client, endpoint, model_id, commits[mid], mid == newest)
        probes += 1
        if resp.status_code == 200:
            hi, found, text = mid, mid, decode_text(resp, resp.url)
        elif resp.status_code == 404:
            lo = mid + 1
        else:
            return {"first_index": None, "text": None, "probes": probes,
                    "readme_status": int(resp.status_code)}  # fmt: skip
    if found != hi:  # the answer was never probed (e.g. README only in the newest commit)
        resp = _probe(client, endpoint, model_id, commits[hi], hi == newest)
        probes += 1
        if resp.status_code != 200:
            return {"first_index": None, "text": None, "probes": probes,
                    "readme_status": int(resp.status_code)}  # fmt: skip
        text = decode_text(resp, resp.url)
    return {"first_index": hi, "text": text, "probes": probes, "readme_status": 200}


def _record(
    api: Any, pages: CardPages, client: HttpClient, endpoint: str, model_id: str, revision: str
) -> dict[str, Any]:
    """The card-history record of one model; FetchError when it still fails after retries."""
    rec: dict[str, Any] = {"model_id": model_id, "revision": revision, "error_code": None}
    url = history_url(endpoint, model_id, revision)
    try:
        commits = _commits(api, pages, model_id, revision, url)
    except Exception as exc:
        answer = hub_http_error(exc)
        if answer is None or answer[0] not in FINAL_STATUSES:
            raise
        if answer == (403, None):  # the Hub's front still refusing after the retries
            raise FetchError(
                f"GET {url}: HTTP 403 without the Hub's X-Error-Code after retries", status=403
            ) from exc
        return rec | {"status": answer[0], "error_code": answer[1], "commits": None,
                      "first_index": None, "first_commit": None, "first_date": None,
                      "probes": 0, "readme_status": None, "text": None}  # fmt: skip
    oldest_first = commits[::-1]
    found = first_readme(client, endpoint, model_id, [c.commit_id for c in oldest_first])
    first = oldest_first[found["first_index"]] if found["first_index"] is not None else None
    return rec | {
        "status": 200,
        "commits": len(commits),
        "first_commit": first.commit_id if first else None,
        "first_date": first.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        if first
        else None,
        **found,
    }


def crawl_card_history(
    hub_dir: str | Path,
    manifest: str | Path,
    endpoint: str,
    size: int | None,
    seed: int,
    *,
    confidence: float = 0.95,
    margin: float = 0.045,
    proportion: float = 0.5,
    pace: Pace = CARD_PACE,
    client: HttpClient | None = None,
    part_size: int = PART_SIZE,
    snapshot: str | None = None,
    max_failed_share: float = 0.0,
    page_size: int = COMMITS_PAGE,
    previous_snapshot: str | None = None,
) -> dict[str, Any]:
    """Fetch the card history of the sample into the folder of ``manifest``; returns it
    (``page_size``: commits asked a page, as :func:`~hfreuse.hub.first_commits.history_bridge`).

    A model that still fails after the retries is quarantined (``quarantine.json`` beside the
    parts) and retried first by the next run; when more than ``max_failed_share`` of the sample
    is quarantined at the end, the crawl fails naming the file (everything else stored). With
    ``previous_snapshot`` a sampled model it traced at the same listed sha keeps its trace."""
    hub_dir, manifest = Path(hub_dir), Path(manifest)
    max_failed_share = check_max_failed_share(max_failed_share)
    require_listing(hub_dir)
    revisions = readme_revisions(hub_dir)
    n = sample_size(len(revisions), size, confidence, margin, proportion)
    mine = sample_models(list(revisions), n, seed)
    query = with_previous({"endpoint": endpoint.rstrip("/"), "size": n, "seed": seed},
                          previous_snapshot)  # fmt: skip
    run = start_shard("card history", manifest.parent, query, client, pace)
    parts, quarantine, todo = resume_shard(run, mine, part_size, "card histories")
    log.info("card history: %d of %d models with README sampled, %d stored, %d to fetch "
             "(%d quarantined by an earlier run, retried first)",
             n, len(revisions), len(parts.kept), len(todo), len(quarantine))  # fmt: skip
    reused = taken_over(hub_dir, previous_snapshot, "card_history", 0, 1,
                        {m: revisions[m] for m in mine}, trace_reusable)  # fmt: skip
    progress = run.progress(n, len(parts.kept))
    bridge, hist = history_bridge(run.client, endpoint, page_size)
    pages = CardPages(hist)
    bridge.check = pages.check

    step = quarantined_step(  # a trace taken over, else fetched
        lambda m: reused.get(m) or _record(api, pages, run.client, endpoint, m, revisions[m]),
        lambda m: history_url(endpoint, m, revisions[m]), parts, quarantine)  # fmt: skip

    with parts.journal.recording(run.client, run.state["stats"]), bridge as api:
        run.loop(todo, step, progress, keep=parts.save)
        run.mark_finished()  # the manifest's crawl_finished_at
        parts.flush()
    return _finish(run, parts, quarantine, manifest, hub_dir, snapshot, len(revisions),
                   (n, seed, max_failed_share), origin_fields(previous_snapshot, reused))  # fmt: skip


def _finish(
    run: ShardRun,
    parts: JournaledParts,
    quarantine: Quarantine,
    manifest: Path,
    hub_dir: Path,
    snapshot: str | None,
    listed: int,
    settings: tuple[int, int, float],
    origin: Mapping[str, Any],
) -> dict[str, Any]:
    """Check the sample is complete (within ``max_failed_share``), then write the manifest."""
    n, seed, max_failed_share = settings

    def fields(statuses: Mapping[str, int]) -> dict[str, Any]:
        return {"sample": n, "seed": seed, "models_with_readme": listed,
                "statuses": dict(sorted(statuses.items())), **origin}  # fmt: skip

    return finish_shard(
        run, parts, quarantine, manifest, hub_dir, snapshot, what="models", fields=fields,
        pace_key="resolves_per_minute", max_failed_share=max_failed_share,
    )  # fmt: skip


def iter_card_history(manifest: str | Path) -> Iterator[dict[str, Any]]:
    """The card-history records beside ``manifest``; a damaged part is an error naming the
    file and the rule that recovers it."""
    for part in hub_raw.list_parts(Path(manifest).parent):
        try:
            records = hub_raw.read_part(part)
        except InputError as exc:
            raise damaged(part, exc, RULE) from exc
        yield from records


def read_card_history(manifest: str | Path) -> list[dict[str, Any]]:
    """The card-history records, checked against the manifest's counts (the sample less the
    quarantined models; the statuses and part files when it lists them): a part missing or
    altered since the crawl is an error naming the folder and the rule that recovers it."""
    manifest = Path(manifest)
    doc = read_json(manifest)
    records = list(iter_card_history(manifest))
    ids = {r["model_id"] for r in records}
    expected = int(doc.get("sample", 0)) - len(doc.get("quarantined") or [])
    statuses = dict(Counter(str(int(r["status"])) for r in records))
    n_parts = len(hub_raw.list_parts(manifest.parent))
    found = f"{len(records)} records ({len(ids)} models) in {n_parts} part files"
    wanted = f"{expected} records"
    bad = len(ids) != len(records) or len(records) != expected
    if "statuses" in doc and statuses != {k: v for k, v in doc["statuses"].items() if v}:
        bad, wanted = True, f"{wanted} with statuses {doc['statuses']}"
    if "parts" in doc and int(doc["parts"]) != n_parts:
        bad, wanted = True, f"{wanted} in {doc['parts']} part files"
    if bad:
        raise InputError(
            f"{manifest.parent}: read {found}, but {manifest} says {wanted}: a part file is "
            f"missing or altered since the crawl. Recover it by rerunning its crawl: "
            f"`snakemake --forcerun {RULE}` with the same configuration (it fetches the missing "
            "models again; a demo snapshot is rebuilt by forcing its generate_demo_* rule)"
        )
    return records


CARD_HISTORY_COLUMNS = [
    "model_id", "status", "commits", "readme_first_index", "readme_first_commit",
    "readme_first_date", "card_data_at_first_readme", "has_card_data_today", "probes",
]  # fmt: skip


def card_history_table(records: Iterator[Mapping[str, Any]], today: Mapping[str, bool]):
    """results/hub/card_history.parquet: one row per sampled model (see the data dictionary)."""
    import pandas as pd

    rows = [
        {
            "model_id": r["model_id"],
            "status": int(r["status"]),
            "commits": r.get("commits"),
            "readme_first_index": r.get("first_index"),
            "readme_first_commit": r.get("first_commit"),
            "readme_first_date": r.get("first_date"),
            "card_data_at_first_readme": has_card_data(r.get("text")),
            "has_card_data_today": today.get(r["model_id"]),
            "probes": r.get("probes"),
        }
        for r in records
    ]
    df = pd.DataFrame(rows, columns=CARD_HISTORY_COLUMNS)
    df["readme_first_date"] = pd.to_datetime(df["readme_first_date"], utc=True)
    for col in ("commits", "readme_first_index", "probes"):
        df[col] = df[col].astype("Int64")
    for col in ("card_data_at_first_readme", "has_card_data_today"):
        df[col] = df[col].astype("boolean")
    for col in ("model_id", "readme_first_commit"):
        df[col] = df[col].astype("string")
    df["status"] = df["status"].astype("int64")
    return df.sort_values("model_id", kind="mergesort").reset_index(drop=True)
