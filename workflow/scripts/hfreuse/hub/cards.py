"""The README shards of a crawled Hub listing: :func:`crawl_cards` fetches ``README.md`` of the
models whose file list has one, for one static shard (stable hash of the model id), on the
shard-runner skeleton of :mod:`hfreuse.crawl.runner` and the journaled part files of
:mod:`hfreuse.crawl.parts`.

Each verified record is appended to the shard's journal (fsync'd), then goes to part files of a
few hundred records; the models already in part files or in the journal are skipped on resume,
so a kill loses at most the README in flight, and the parts come out as those of a crawl never
killed. The shard marker is written last. Every request is journaled before it is sent
(:class:`hfreuse.crawl.journal.Journal`), so the counts after a kill equal the requests the
server answered, plus at most the one in flight. A part found damaged (or missing) on resume is
moved aside (``*.corrupt``) and fetched again into place.

A README answered 200 is stored only if it is the file asked for (:mod:`hfreuse.hub.answers`:
not an HTML page, hashing to its ``ETag``, from the commit asked for); such an answer is fetched
again with the client's retries.

A README that still fails after the retries (such an answer, a final 5xx, a bare 403 that
persists, the total deadline, a reset) is quarantined (:mod:`hfreuse.crawl.quarantine`):
recorded in the shard's ``quarantine.json`` with the reason, not stored, and retried first by
the next run; the shard fails at its end when more than ``crawl.max_failed_share`` of its
READMEs are quarantined.

Statuses. A 404 is asked once more (at the client's pace, without a backoff; counted and journaled
like every request) and recorded as "no README" (final) only when the second answer is a 404 too:
the listing lists README.md, so a first 404 may be a wrong answer; a 200 on the second ask is
stored as any other. Recorded at once without text (final): 410, 451, a 403 that carries the Hub's
own ``X-Error-Code`` (gated, disabled repository), and, for an anonymous crawl only, a 401 with
``X-Error-Code`` ``GatedRepo`` / ``RepoNotFound`` (a repository gone private or deleted since the
listing). A bare 403 is the Hub's front (Cloudflare) refusing for now: it is retried with backoff
like a 5xx and quarantined if it persists after the retries. Any other 401 means the token (or
anonymous access) was refused: it would refuse every model, so the crawl stops at once with a clear
error, keeping the READMEs already fetched (a rerun resumes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..clients import HttpClient
from ..crawl.pacing import Pace, token_used
from ..crawl.parts import JournaledParts, finish_shard, quarantined_step, resume_shard
from ..crawl.progress import ShardsProgress
from ..crawl.quarantine import Quarantine, check_max_failed_share
from ..crawl.runner import ShardRun, require_listing, start_shard
from ..errors import InputError
from ..shards import check_shard, stable_shard
from . import raw as hub_raw
from .answers import card_answer_problem, decode_text
from .previous import card_reusable, origin_fields, taken_over, with_previous

log = logging.getLogger(__name__)

PART_SIZE = 250  # README records per part file
# README answers recorded rather than fatal (text null): a missing file, and the rare repository
# that is gated, disabled or blocked; one odd model must not stop a crawl of millions.
CARD_STATUSES = (200, 401, 403, 404, 410, 451)
FINAL_CARD_STATUSES = (404, 410, 451)  # recorded as answered (see the module docstring)
CARD_PACE = Pace(550.0)  # the card crawl's default (README resolves are cheap)
# a README the listing lists is believed missing once this many answers in a row say 404: one
# wrong 404 must not drop a card; a third ask would cost one more request for every README
# really gone since the listing, for a fault that then repeats on consecutive answers
NOT_FOUND_ASKS = 2


def _segment(segment: str) -> str:
    """One percent-encoded path segment; the dot segments ``.`` and ``..`` encoded too."""
    if segment in (".", ".."):
        return segment.replace(".", "%2E")
    return quote(segment, safe="")


def card_url(endpoint: str, model_id: str, revision: str) -> str:
    """``<endpoint>/<model_id>/resolve/<revision>/README.md``, each path segment of the model id
    percent-encoded (a ``.`` or ``..`` segment as ``%2E`` / ``%2E%2E``, so that no client or
    server resolves it into another path)."""
    path = "/".join(_segment(s) for s in model_id.split("/"))
    return f"{endpoint.rstrip('/')}/{path}/resolve/{_segment(revision)}/README.md"


def readme_revisions(hub_dir: str | Path) -> dict[str, str]:
    """``model_id -> revision`` (the listed ``sha``, else ``main``) of models that list README.md."""
    revisions: dict[str, str] = {}
    for item in hub_raw.iter_models(hub_dir):
        if hub_raw.has_readme(item):
            revisions[item["id"]] = item.get("sha") or "main"
    return revisions


def shard_models(revisions: Mapping[str, str], k: int, n: int, max_cards: int | None) -> list[str]:
    """The README models of shard ``k`` of ``n``: the selected sample, then the shard's
    stable-hash slice."""
    selected = hub_raw.select_card_models(list(revisions), max_cards)
    return sorted(m for m in selected if stable_shard(m, n) == k)


def _check_card_settings(shard: int, n_shards: int, max_cards: int | None) -> None:
    check_shard("card", shard, n_shards)
    if max_cards is not None and max_cards < 0:
        raise InputError(f"hub.max_cards: expected a number >= 0 or null, got {max_cards}")


def _fetch_card(client: HttpClient, endpoint: str, model_id: str, revision: str) -> dict[str, Any]:
    """The README record of one model: its verified text on HTTP 200, else the status alone."""
    url = card_url(endpoint, model_id, revision)
    sends_token = token_used(client)

    def ask() -> Any:
        return client.get_checked(
            url,
            lambda r: card_answer_problem(r, url, revision, sends_token),
            ok_statuses=CARD_STATUSES,
        )

    resp = ask()
    for _ in range(NOT_FOUND_ASKS - 1):
        if int(resp.status_code) != 404:
            break
        # the listing lists README.md: a 404 is asked again (journaled and counted like every
        # request, at the client's pace) before it is believed
        log.debug("GET %s: HTTP 404 for a README.md the listing lists; asked again", url)
        resp = ask()
    status = int(resp.status_code)
    text = decode_text(resp, url) if status == 200 else None
    if status not in (200, 404):
        log.warning("GET %s: HTTP %d; recorded without text", url, status)
    return {"model_id": model_id, "revision": revision, "status": status, "text": text}


def _overall(
    folder: Path, state_path: Path, n_shards: int, total: int, kept: int, every: float
) -> ShardsProgress | None:
    """One progress line over all card shards (from their state files), when there are several."""
    if n_shards <= 1:
        return None
    return ShardsProgress(
        f"card shards (all {n_shards})",
        lambda: sorted(folder.parent.glob("*/state.json")),
        state_path,
        total,
        kept,
        every=every,
    )


def _fetch_cards(
    run: ShardRun,
    parts: JournaledParts,
    endpoint: str,
    todo: Mapping[str, str],
    quarantine: Quarantine,
    progress_every: float,
    overall: ShardsProgress | None = None,
    reused: Mapping[str, dict[str, Any]] | None = None,
) -> None:
    """Fetch the READMEs of ``todo`` (model id -> revision) into ``parts``, or take over the
    record of ``reused`` (from the previous snapshot, journaled like a fetched one); a README
    that still fails after the retries goes to ``quarantine`` and the crawl goes on (one that is
    fetched, and journaled, leaves it). Whatever happens, what was fetched (journaled) and this
    run's counts are kept."""
    reused = reused or {}

    def fetch(m: str) -> dict[str, Any]:
        if m in reused:
            rec = reused[m]
            return {k: rec.get(k) for k in ("model_id", "revision", "status", "text")}
        return _fetch_card(run.client, endpoint, m, todo[m])

    step = quarantined_step(
        fetch,
        lambda m: card_url(endpoint, m, todo[m]),
        parts,
        quarantine,
    )

    def tick() -> None:
        if overall is not None:
            overall.tick(len(parts.done) + len(parts.buffer))

    progress = run.progress(len(parts.mine), len(parts.kept), progress_every)
    # parts.save: this run's counts; the records fetched stay in the journal
    run.loop(todo, step, progress, keep=parts.save, tick=tick)
    run.mark_finished()
    parts.flush()
    if overall is not None:
        overall.tick(len(parts.done), force=True)


def crawl_cards(
    hub_dir: str | Path,
    marker: str | Path,
    shard: int,
    n_shards: int,
    endpoint: str,
    max_cards: int | None = None,
    *,
    previous_snapshot: str | None = None,
    pace: Pace = CARD_PACE,
    client: HttpClient | None = None,
    part_size: int = PART_SIZE,
    snapshot: str | None = None,
    progress_every: float = 10.0,
    max_failed_share: float = 0.0,
) -> dict[str, Any]:
    """Fetch the README texts of card shard ``shard`` (0-based) of ``n_shards``; returns the
    shard marker.

    Needs the complete listing (``manifest.json``) in ``hub_dir``. Resumes from the part files in
    the folder beside ``marker``; writes ``marker`` last. A README that still fails after the
    retries is quarantined (``quarantine.json`` beside the parts; :mod:`hfreuse.crawl.quarantine`)
    and retried first by the next run; when more than ``max_failed_share`` of the shard's
    READMEs are quarantined at the end, the shard fails (everything else stored) without a
    marker, else the marker lists them. With ``previous_snapshot`` the unchanged READMEs are
    taken over from it (:mod:`hfreuse.hub.previous`) and the marker says how many.
    """
    hub_dir, marker_path = Path(hub_dir), Path(marker)
    _check_card_settings(shard, n_shards, max_cards)
    max_failed_share = check_max_failed_share(max_failed_share)
    require_listing(hub_dir)
    query = with_previous({"endpoint": endpoint.rstrip("/"), "shard": shard, "shards": n_shards,
                           "max_cards": max_cards}, previous_snapshot)  # fmt: skip
    label, folder = f"card shard {shard + 1} of {n_shards}", hub_raw.shard_dir(marker_path)
    run = start_shard(label, folder, query, client, pace, accept="text/plain, */*")
    revisions = readme_revisions(hub_dir)
    mine = shard_models(revisions, shard, n_shards, max_cards)
    parts, quarantine, todo = resume_shard(run, mine, part_size, "READMEs", marker_path)
    reused = taken_over(hub_dir, previous_snapshot, "cards", shard, n_shards,
                        {m: revisions[m] for m in mine}, card_reusable)  # fmt: skip
    log.info(
        "%s: %d of %d models with README selected, %d already stored, %d to fetch "
        "(%d quarantined by an earlier run, retried first)",
        label, len(mine), len(revisions), len(parts.kept), len(todo), len(quarantine),
    )  # fmt: skip
    selected = len(hub_raw.select_card_models(list(revisions), max_cards))
    overall = _overall(folder, run.state_path, n_shards, selected, len(parts.kept), progress_every)
    with parts.journal.recording(run.client, run.state["stats"]):
        todo_revisions = {m: revisions[m] for m in todo}
        _fetch_cards(run, parts, endpoint, todo_revisions, quarantine, progress_every, overall,
                     reused)  # fmt: skip
    fields = _marker_fields(query, len(revisions), len(mine),
                            origin_fields(previous_snapshot, reused))  # fmt: skip
    return finish_shard(
        run, parts, quarantine, marker_path, hub_dir, snapshot, what="READMEs", fields=fields,
        pace_key="resolves_per_minute", max_failed_share=max_failed_share,
    )  # fmt: skip


def _marker_fields(
    query: Mapping[str, Any], listed: int, cards: int, origin: Mapping[str, Any]
) -> Callable[[Mapping[str, int]], dict[str, Any]]:
    """The README shard's own marker fields, of its stored statuses (``listed``: the models
    whose file list has README.md; ``cards``: the shard's selected models)."""

    def fields(statuses: Mapping[str, int]) -> dict[str, Any]:
        return {
            **{k: query[k] for k in ("shard", "shards", "endpoint", "max_cards")},
            "models_with_readme": listed,
            "cards": cards,
            "fetched": statuses.get("200", 0),
            "not_found": statuses.get("404", 0),
            "card_statuses": dict(sorted(statuses.items())),
            **origin,
        }

    return fields
