"""Card history of a sample: the commit where README.md first appeared, and whether the model card
had YAML card data then (the study's "has card data" is today's card, not the card at upload).

For a seeded random sample of the listed models that have a README (:func:`sample_models`),
:func:`crawl_card_history` fetches the commit history at the listed revision (as
:mod:`hfreuse.hub.history` does: ``HfApi.list_repo_commits`` behind the paced client) and then
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
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..clients import HttpClient, HubBridge, Progress, hub_file_url, hub_http_error
from ..crawlstate import utc_now
from ..errors import InputError
from ..io import atomic_write_json
from . import raw as hub_raw
from .carddata import has_card_data
from .crawl import (
    CARD_PACE,
    _card_answer_problem,
    _decode_text,
    _manifest,
    _open_card_state,
    _token_used,
    make_client,
    readme_revisions,
)
from .history import (
    COMMITS_PAGE,
    FINAL_STATUSES,
    RecordParts,
    _History,
    commits_request,
    with_limit,
)

log = logging.getLogger(__name__)

_HEADER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*$", re.S | re.M)


def card_data(text: str | None) -> bool | None:
    """Whether a README text has card data (a YAML header that is a non-empty mapping, as the
    Hub's ``cardData``); None without a text. A header that is not valid YAML counts as none."""
    if text is None:
        return None
    m = _HEADER.match(text)
    if not m:
        return False
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and len(data) > 0


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
    token_used = _token_used(client)
    return client.get_checked(
        url,
        lambda r: _card_answer_problem(r, url, commit, token_used),
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
            hi, found, text = mid, mid, _decode_text(resp, resp.url)
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
        text = _decode_text(resp, resp.url)
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
    pace=CARD_PACE,
    client: HttpClient | None = None,
    part_size: int = 100,
    snapshot: str | None = None,
) -> dict[str, Any]:
    """Fetch the card history of the sample into the folder of ``manifest``; returns it."""
    hub_dir, manifest = Path(hub_dir), Path(manifest)
    if not (hub_dir / "manifest.json").exists():
        raise InputError(f"{hub_dir / 'manifest.json'}: missing; the listing crawl is not complete")
    revisions = readme_revisions(hub_dir)
    n = sample_size(len(revisions), size, confidence, margin, proportion)
    mine = sample_models(list(revisions), n, seed)
    folder = manifest.parent
    query = {"endpoint": endpoint.rstrip("/"), "size": n, "seed": seed}
    state = _open_card_state(folder / "state.json", query)
    client = client or make_client(pace)
    parts = RecordParts(folder, state, client, part_size)
    done = parts.done
    if set(done) - set(mine):
        raise InputError(f"{folder}: holds models outside the sample; other settings?")
    todo = [m for m in mine if m not in done]
    log.info("card history: %d of %d models with README sampled, %d to fetch",
             n, len(revisions), len(todo))  # fmt: skip
    state["runs"] = int(state["runs"]) + 1
    hist = _History(_token_used(client))
    bridge = HubBridge(client, endpoint, check=hist.check, record_after_retries=(403,),
                       rewrite=lambda url: with_limit(url, COMMITS_PAGE),
                       allow=commits_request)  # fmt: skip
    progress = Progress("card history", total=n, initial=len(done))
    try:
        with bridge as api:
            for model_id in todo:
                parts.add(
                    _record(bridge, api, hist, client, endpoint, model_id, revisions[model_id])
                )
                progress.update()
    except BaseException:
        parts.flush()
        raise
    state["finished_at"] = state["finished_at"] or utc_now()  # the manifest's crawl_finished_at
    parts.flush()
    statuses = Counter(str(done[m]) for m in mine)
    fields = {"sample": n, "seed": seed, "models_with_readme": len(revisions),
              "statuses": dict(sorted(statuses.items()))}  # fmt: skip
    doc = _manifest(hub_dir, snapshot, fields, state, client, "resolves_per_minute")
    atomic_write_json(manifest, doc)
    return doc


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
