"""Card history of a sample: the commit where README.md first appeared, and whether the model card
had YAML card data then (the study's "has card data" is today's card, not the card at upload).

For a seeded random sample of the listed models that have a README (:func:`sample_models`),
:func:`crawl_card_history` fetches the commit history at the listed revision (as
:mod:`hfreuse.hub.first_commits` does: ``HfApi.list_repo_commits`` behind the paced client) and then
finds the oldest commit whose tree holds README.md by bisection over the history, each probe a
``GET`` of README.md at that commit (``huggingface_hub.hf_hub_url``): 200 (the text, verified like
the README fetch: ETag = git blob id, ``X-Repo-Commit`` = the commit) or 404 (not there yet).
A history of n commits costs one commit page (up to 1,000 commits) and about log2(n) + 1 README
resolves. Bisection assumes README.md stays once added (a README deleted and added again is found
at its last addition).

Layout: ``card_history/manifest.json`` (written last), ``card_history/part-*.jsonl.gz`` (one
record per model: ``model_id, revision, status, error_code, commits, first_index, first_commit,
first_date, probes, text``), ``card_history/state.json`` (request counts). Resumable: stored
models are not asked again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..clients import HttpClient, hub_file_url, hub_http_error
from ..crawl.pacing import Pace, token_used
from ..crawl.runner import check_stored, require_listing, start_shard
from . import raw as hub_raw
from .answers import card_answer_problem, decode_text
from .carddata import has_card_data
from .cards import CARD_PACE, readme_revisions
from .first_commits import FINAL_STATUSES, RecordParts, history_bridge

log = logging.getLogger(__name__)


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


def _probe(client: HttpClient, endpoint: str, model_id: str, commit: str) -> Any:
    """README.md at ``commit``: the verified answer (200, 404 or a final status)."""
    url = hub_file_url(endpoint, model_id, "README.md", commit)
    sends_token = token_used(client)
    return client.get_checked(
        url,
        lambda r: card_answer_problem(r, url, commit, sends_token),
        ok_statuses=(200, *FINAL_STATUSES),
        record_after_retries=(403,),
    )


def first_readme(client: HttpClient, endpoint: str, model_id: str, commits: list[str]) -> dict:
    """Bisect ``commits`` (oldest first) for the first holding README.md (see the module
    docstring): ``first_index`` (None when even the newest has none), its text, the probes."""
    lo, hi, probes, text, found = 0, len(commits) - 1, 0, None, None
    while lo < hi:
        mid = (lo + hi) // 2
        resp = _probe(client, endpoint, model_id, commits[mid])
        probes += 1
        if resp.status_code == 200:
            hi, found, text = mid, mid, decode_text(resp, resp.url)
        elif resp.status_code == 404:
            lo = mid + 1
        else:
            return {"first_index": None, "text": None, "probes": probes,
                    "readme_status": int(resp.status_code)}  # fmt: skip
    if found != hi:  # the answer was never probed (e.g. README only in the newest commit)
        resp = _probe(client, endpoint, model_id, commits[hi])
        probes += 1
        if resp.status_code != 200:
            return {"first_index": None, "text": None, "probes": probes,
                    "readme_status": int(resp.status_code)}  # fmt: skip
        text = decode_text(resp, resp.url)
    return {"first_index": hi, "text": text, "probes": probes, "readme_status": 200}


def _record(bridge, api, hist, client, endpoint, model_id, revision) -> dict[str, Any]:
    rec: dict[str, Any] = {"model_id": model_id, "revision": revision, "error_code": None}
    hist.reset()
    try:
        commits = api.list_repo_commits(model_id, revision=revision)
    except Exception as exc:
        answer = hub_http_error(exc)
        if answer is None or answer[0] not in FINAL_STATUSES:
            raise
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
    part_size: int = 100,
    snapshot: str | None = None,
) -> dict[str, Any]:
    """Fetch the card history of the sample into the folder of ``manifest``; returns it."""
    hub_dir, manifest = Path(hub_dir), Path(manifest)
    require_listing(hub_dir)
    revisions = readme_revisions(hub_dir)
    n = sample_size(len(revisions), size, confidence, margin, proportion)
    mine = sample_models(list(revisions), n, seed)
    query = {"endpoint": endpoint.rstrip("/"), "size": n, "seed": seed}
    run = start_shard("card history", manifest.parent, query, client, pace)
    parts = RecordParts(run.folder, run.state, run.client, part_size)
    check_stored(run.folder, parts.done, mine, "card histories")
    todo = [m for m in mine if m not in parts.done]
    log.info("card history: %d of %d models with README sampled, %d to fetch",
             n, len(revisions), len(todo))  # fmt: skip
    progress = run.progress(n, len(parts.done))
    bridge, hist = history_bridge(run.client, endpoint)

    def step(model_id: str) -> None:
        parts.add(_record(bridge, api, hist, run.client, endpoint, model_id, revisions[model_id]))

    with bridge as api:
        run.loop(todo, step, progress, keep=parts.flush)
    run.mark_finished()  # the manifest's crawl_finished_at
    parts.flush()
    statuses = Counter(str(parts.done[m]) for m in mine)
    fields = {"sample": n, "seed": seed, "models_with_readme": len(revisions),
              "statuses": dict(sorted(statuses.items()))}  # fmt: skip
    return run.finish(manifest, hub_dir, snapshot, fields, "resolves_per_minute")


def iter_card_history(manifest: str | Path) -> Iterator[dict[str, Any]]:
    return hub_raw.iter_cards(Path(manifest).parent)


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
