"""The skeleton every shard crawl of the Hub runs (README shards, first commits, card history):
load the state, resume, loop over the items, verify and store each, finish with the marker.

A shard crawl reads the complete listing (:func:`require_listing`), then opens its state (resumed,
or new and bound to the crawl's settings: :func:`open_state`) and its client (:func:`start_shard`);
the crawl itself selects its models, resumes from its part files (:func:`check_stored`), loops
over the models left (:meth:`ShardRun.loop`: whatever stops the loop, what was fetched is kept
first) and writes its marker last (:meth:`ShardRun.finish`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clients import HttpClient
from ..errors import InputError
from ..io import atomic_write_json
from .manifest import crawl_manifest
from .pacing import Pace, hub_client
from .progress import Progress
from .state import load_state, utc_now
from .stats import Stats

STATE_VERSION = 1
STATE_FILE = "state.json"


def require_listing(hub_dir: Path) -> None:
    """A shard crawl reads the listing in ``hub_dir``: it must be complete (its manifest)."""
    if not (hub_dir / "manifest.json").exists():
        raise InputError(f"{hub_dir / 'manifest.json'}: missing; the listing crawl is not complete")


def open_state(
    path: Path, query: Mapping[str, Any], renamed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The state of the crawl in progress at ``path`` (refused when made with another
    ``query``: :func:`hfreuse.crawl.state.load_state`), or a fresh one bound to ``query``."""
    return load_state(path, STATE_VERSION, "query", query, renamed=renamed) or {
        "version": STATE_VERSION,
        "query": query,
        "runs": 0,
        "stats": Stats().as_dict(),
        "started_at": utc_now(),
        "finished_at": None,
    }


def check_stored(folder: Path, stored: Iterable[str], mine: Collection[str], what: str) -> None:
    """The models stored in ``folder`` must be among the selected ones (``mine``); else the
    snapshot was crawled with other settings (``what``: the records, e.g. "READMEs")."""
    stray = sorted(set(stored) - set(mine))
    if stray:
        raise InputError(
            f"{folder}: holds {what} of models outside this crawl's selection (e.g. "
            f"{stray[0]}); the snapshot was crawled with other settings"
        )


@dataclass
class ShardRun:
    """One run of a shard crawl: its progress label, folder, state and client."""

    label: str
    folder: Path
    state: dict[str, Any]
    client: HttpClient

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    def progress(self, total: int, done: int, every: float = 10.0) -> Progress:
        """Count this run and start its progress line (``done``: items stored by earlier runs)."""
        self.state["runs"] = int(self.state["runs"]) + 1
        return Progress(self.label, total=total, every=every, initial=done)

    def loop(
        self,
        items: Iterable[Any],
        step: Callable[[Any], None],
        progress: Progress,
        keep: Callable[[], None],
        tick: Callable[[], None] | None = None,
    ) -> None:
        """``step(item)`` (fetch, verify, store) for each item, the progress line after each;
        whatever stops the loop (an error, a kill), ``keep()`` saves what was fetched first."""
        try:
            for item in items:
                step(item)
                progress.update()
                if tick is not None:
                    tick()
        except BaseException:
            keep()
            raise

    def mark_finished(self) -> None:
        """Record when the crawl first got to the end of its items."""
        if not self.state["finished_at"]:
            self.state["finished_at"] = utc_now()

    def finish(
        self,
        marker: Path,
        hub_dir: Path,
        snapshot: str | None,
        fields: Mapping[str, Any],
        pace_key: str,
    ) -> dict[str, Any]:
        """Write the marker (:func:`crawl_manifest` of ``fields``) last; returns it."""
        doc = crawl_manifest(hub_dir, snapshot, fields, self.state, self.client, pace_key)
        atomic_write_json(marker, doc)
        return doc


def start_shard(
    label: str,
    folder: Path,
    query: Mapping[str, Any],
    client: HttpClient | None,
    pace: Pace,
    accept: str | None = None,
) -> ShardRun:
    """The start-up of a shard crawl (once its listing is known complete:
    :func:`require_listing`): the state opened (resumed, or new and bound to ``query``) and the
    client (``client``, else one paced by ``pace``)."""
    state = open_state(folder / STATE_FILE, query)
    return ShardRun(label, folder, state, client or hub_client(pace, accept))
