"""The manifest of a crawl (a listing's ``manifest.json``, a shard's marker): written last, the
only file a workflow declares."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..clients import HttpClient, library_versions
from .pacing import per_minute, token_used


def crawl_manifest(
    hub_dir: Path,
    snapshot: str | None,
    fields: Mapping[str, Any],
    state: Mapping[str, Any],
    client: HttpClient,
    pace_key: str,
) -> dict[str, Any]:
    """A crawl's manifest: the snapshot (default: the name of ``hub_dir``'s parent) and source,
    the crawl's own ``fields``, then request statistics, runs, the pace (under ``pace_key``),
    whether a token was sent, start and end times and library versions."""
    return {
        "snapshot": snapshot or hub_dir.parent.name,
        "source": "live",
        **fields,
        "stats": state["stats"],
        "runs": state["runs"],
        pace_key: per_minute(client),
        "token_used": token_used(client),
        "crawl_started_at": state["started_at"],
        "crawl_finished_at": state["finished_at"],
        "library_versions": library_versions(),
    }
