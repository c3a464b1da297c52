"""What the forum's crawl phases share: the paced client, a phase's progress file and request
journal, and the checks of an answer (:mod:`hfreuse.forum.listing`, :mod:`hfreuse.forum.topics`).

A phase's progress (``.{phase}-state.json``) is saved with the requests of earlier runs plus this
run's; every request is journaled before it is sent (``.{phase}-journal.jsonl``,
:class:`hfreuse.crawl.journal.Journal`), so the counts after a kill equal the requests the forum
answered, plus at most the one in flight. Network access goes only through
:class:`hfreuse.clients.HttpClient`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ..clients import FetchError, HttpClient, discourse_auth_headers, library_versions
from ..crawl.journal import Journal
from ..crawl.progress import Progress
from ..crawl.quarantine import Quarantine, quarantinable
from ..crawl.state import load_state, utc_now
from ..errors import InputError
from ..io import atomic_write_json

T = TypeVar("T")

STATE_VERSION = 1
STATE_EVERY_SECONDS = 5.0  # the topic phase saves its progress at most this often


def make_client(
    requests_per_minute: float, timeout: float = 60.0, max_retries: int = 6
) -> HttpClient:
    """A paced client for a Discourse forum, with ``Api-Key``/``Api-Username`` when set."""
    return HttpClient(
        requests_per_minute,
        headers=discourse_auth_headers(),
        timeout=timeout,
        max_retries=max_retries,
    )


def check_answer(fn: Callable[[Any, str], Any], doc: Any, url: str) -> Any:
    """``fn(doc, "GET url")`` (a check of :mod:`hfreuse.forum.raw`), its InputError raised as
    a FetchError (a server's answer, not our input)."""
    try:
        return fn(doc, f"GET {url}")
    except InputError as exc:
        raise FetchError(str(exc)) from exc


def json_body(resp: Any, where: str) -> Any:
    """The JSON of an answer; a body cut short (or not JSON) is a FetchError naming ``where``."""
    try:
        return resp.json()
    except ValueError as exc:
        raise FetchError(
            f"GET {where}: expected a complete JSON body, got {len(resp.content)} bytes "
            f"that do not parse ({exc})"
        ) from exc


def load_phase_state(path: Path, settings: Mapping[str, Any]) -> dict[str, Any] | None:
    """The progress of a phase in progress, or None; refuses progress made with other settings."""
    return load_state(path, STATE_VERSION, "settings", settings)


def new_phase_state(settings: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """The progress of a phase that starts: its settings, start time, ``fields``, no request."""
    return {
        "version": STATE_VERSION,
        "settings": settings,
        "started_at": utc_now(),
        **fields,
        "stats": {},
    }


class PhaseState:
    """The progress file of a crawl phase, saved with the requests of earlier runs plus this
    run's; every request is journaled in between (:class:`~hfreuse.crawl.journal.Journal`)."""

    def __init__(
        self, path: Path, state: dict[str, Any], client: HttpClient, journal: Journal
    ) -> None:
        self.path, self.state, self.client, self.journal = path, state, client, journal

    def requests(self) -> dict[str, Any]:
        return self.journal.total()

    def save(self) -> None:
        """Save the progress with the request counts so far, then empty the journal."""
        atomic_write_json(self.path, {**self.state, "stats": self.requests()})
        self.journal.reset()


def open_journal(forum_dir: Path, phase: str, state: dict[str, Any]) -> Journal:
    """The request journal of a phase; the state's counts become the journal's on resume when
    it counts more (the requests since the state's last save)."""
    journal = Journal(forum_dir / f".{phase}-journal.jsonl")
    state["stats"] = journal.resumed_stats(state.get("stats"))
    return journal


def fetch_each(
    items: Iterable[T],
    fetch: Callable[[T], None],
    failed_url: Callable[[T, FetchError], str],
    quarantine: Quarantine,
    phase: PhaseState,
    progress: Progress,
) -> None:
    """``fetch`` (fetch and store) each item; one still failing after the client's retries (a
    quarantinable FetchError) goes to ``quarantine`` under ``str(item)``, with the URL
    ``failed_url`` names, and the run goes on; one fetched leaves it. The phase's progress is
    saved every :data:`STATE_EVERY_SECONDS`, and when the run stops on an error (a rerun resumes
    with this run's counts)."""
    last_save = time.monotonic()
    for item in items:
        try:
            fetch(item)
        except FetchError as exc:
            try:
                if not quarantinable(exc):
                    raise
                quarantine.add(str(item), failed_url(item, exc), exc)
            except BaseException:  # stop: keep this run's counts (a rerun resumes)
                phase.save()
                raise
        else:
            quarantine.succeeded()
            if quarantine.discard([str(item)]):
                quarantine.save()
        progress.update()
        if time.monotonic() - last_save >= STATE_EVERY_SECONDS:
            phase.save()
            last_save = time.monotonic()


def provenance(client: HttpClient) -> dict[str, Any]:
    """The manifest's last fields: whether the crawl sent an API key, the library versions."""
    return {
        "authenticated": "Api-Key" in client.session.headers,
        "library_versions": library_versions(),
    }
