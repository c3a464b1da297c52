"""The quarantine of a crawl: items that still fail after the client's retries.

A README (Hub card shard) or a topic (forum) whose answer still fails after the retries (a
final 5xx, a bare 403 that persists, the total deadline, a reset connection, an answer that
fails verification: HTML, a body that does not hash to its ETag, JSON cut short, a post batch
served empty) does not stop the crawl: it is recorded in the quarantine file beside the crawl's
state (``quarantine.json``: item, URL, reason, status, attempts, first and last failure), it is
not stored, and the crawl goes on. The next run retries every quarantined item first; an item
that then succeeds leaves the quarantine.

At the end, if quarantined / attempted exceeds ``crawl.max_failed_share`` (default 0) the job
fails with one error naming the count, the share, the limit and the quarantine file, after
everything else was stored (a rerun resumes and retries them); otherwise a warning is logged
and the manifest lists them.

:data:`STREAK_LIMIT` items quarantined in a row (none fetched between them) stop the crawl
(:class:`CrawlStopped`, naming the last reason): the server fails every request, and each
further item would only cost all its retries. Items that got no answer at all (every try timed
out, hit the total deadline or lost its connection) stop it sooner, after
:data:`NO_ANSWER_STREAK_LIMIT` in a row: each costs all its retries times the full timeout.

Errors that mean "stop everything" are never quarantined (:func:`quarantinable`): a token or
anonymous access refused (:class:`CrawlStopped`), the server unreachable
(:class:`~hfreuse.clients.ConnectionFailed`), a final 401/407 (credentials refused) or 429 (a
rate limit that never lifts), and any
error that is not a :class:`~hfreuse.clients.FetchError` (a full disk, a read-only file system).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..clients import ConnectionFailed, FetchError
from ..errors import InputError
from ..io import arrow_schema, atomic_write_json, parse_time, read_json
from .state import utc_now

log = logging.getLogger(__name__)

FILE_NAME = "quarantine.json"
VERSION = 1
REASON_CHARS = 500  # a reason longer than this is cut (bodies are not quoted in full)

#: The quarantine tables ``results/hub/quarantine.parquet`` and ``results/forum/quarantine.parquet``.
SCHEMA = arrow_schema(
    "item:string url:string reason:string status:int64 attempts:int64"
    " first_failed:timestamp last_failed:timestamp"
)

#: Items quarantined in a row (none fetched between them) that stop the crawl: the server fails
#: every request (down for long, a captive portal), and each item would cost all its retries.
STREAK_LIMIT = 20

#: Items in a row that got no answer at all (timeouts, the total deadline, resets: a transient
#: :class:`~hfreuse.clients.FetchError` without a status) that stop the crawl: with the default
#: timeout and retries each such item costs minutes, so a server that hangs on every request
#: is given up after a few of them instead of :data:`STREAK_LIMIT`.
NO_ANSWER_STREAK_LIMIT = 3

#: Final statuses that would answer every request the same way: credentials refused (401, 407),
#: a rate limit that did not lift after the client's waits (429).
STOP_STATUSES = (401, 407, 429)

# the server's body quoted at the end of an "unexpected HTTP" message: not kept in the reason
_BODY_QUOTE = re.compile(r"(unexpected HTTP \d+ \(expected [^)]*\)): .*$", re.DOTALL)


class CrawlStopped(FetchError):
    """An answer meaning every further request would fail too (a refused token): the crawl stops
    at once and nothing is quarantined."""


def quarantinable(exc: BaseException) -> bool:
    """Whether ``exc``, raised while fetching one item, fails that item only."""
    if not isinstance(exc, FetchError) or isinstance(exc, CrawlStopped | ConnectionFailed):
        return False
    return getattr(exc, "status", None) not in STOP_STATUSES


def reason_of(exc: BaseException) -> str:
    """The reason stored for a failed item: the error's message, without a quoted server body."""
    text = _BODY_QUOTE.sub(r"\1", str(exc))
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."


def quarantine_path(folder: str | Path) -> Path:
    """The quarantine file of a crawl whose state lives in ``folder``."""
    return Path(folder) / FILE_NAME


class Quarantine:
    """The quarantine file of one crawl (a README shard or the forum's topic phase)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.items: dict[str, dict[str, Any]] = {}
        self.streak = 0  # items quarantined in a row by this run
        self.no_answer_streak = 0  # of which the last ones that got no answer at all
        if self.path.exists():
            doc = read_json(self.path)
            items = doc.get("items") if isinstance(doc, dict) else None
            if not isinstance(items, list) or not all(
                isinstance(r, dict) and isinstance(r.get("item"), str) for r in items
            ):
                raise InputError(
                    f"{self.path}: expected a quarantine file {{'version', 'items': [{{'item', "
                    "'url', 'reason', 'status', 'attempts', 'first_failed', 'last_failed'}]}"
                )
            self.items = {r["item"]: r for r in items}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item: object) -> bool:
        return item in self.items

    def ids(self) -> list[str]:
        return list(self.items)

    def add(self, item: str, url: str, exc: BaseException, attempts: int | None = None) -> None:
        """Record (or update) a failed item and save the file; the :data:`STREAK_LIMIT`-th item
        in a row raises :class:`CrawlStopped` (after saving)."""
        now = utc_now()
        old = self.items.get(item, {})
        tries = attempts if attempts is not None else getattr(exc, "tries", None) or 1
        self.items[item] = {
            "item": item,
            "url": url,
            "reason": reason_of(exc),
            "status": getattr(exc, "status", None),
            "attempts": int(old.get("attempts", 0)) + int(tries),
            "first_failed": old.get("first_failed", now),
            "last_failed": now,
        }
        log.warning("%s: quarantined (%s)", item, self.items[item]["reason"])
        self.save()
        self.streak += 1
        no_answer = bool(getattr(exc, "transient", False)) and self.items[item]["status"] is None
        self.no_answer_streak = self.no_answer_streak + 1 if no_answer else 0
        if self.no_answer_streak >= NO_ANSWER_STREAK_LIMIT:
            raise CrawlStopped(
                f"{self.no_answer_streak} items in a row got no answer after retries (the last, "
                f"{item}: {self.items[item]['reason']}); the server seems to hang on every "
                f"request, so the crawl stops here. Everything fetched is stored and the failed "
                f"items are listed in {self.path}: rerun later to retry them first"
            )
        if self.streak >= STREAK_LIMIT:
            raise CrawlStopped(
                f"{self.streak} items in a row still failed after retries (the last, {item}: "
                f"{self.items[item]['reason']}); the server seems to fail every request, so the "
                f"crawl stops here. Everything fetched is stored and the failed items are listed "
                f"in {self.path}: rerun later to retry them first"
            )

    def succeeded(self) -> None:
        """An item was fetched: it ends a streak of failures (it leaves the quarantine by
        :meth:`discard` once it is stored)."""
        self.streak = self.no_answer_streak = 0

    def discard(self, items: Iterable[str]) -> int:
        """Take ``items`` (fetched since, or no longer wanted) out; returns how many were in."""
        gone = [i for i in items if self.items.pop(i, None) is not None]
        return len(gone)

    def save(self) -> None:
        """Write the file atomically (removing it when the quarantine is empty)."""
        if self.items:
            atomic_write_json(self.path, {"version": VERSION, "items": list(self.items.values())})
        elif self.path.exists():
            self.path.unlink()

    def check_share(self, attempted: int, limit: float, what: str) -> None:
        """Fail when the quarantined share of ``attempted`` items is above ``limit``; else warn.

        ``what`` names the crawl and its items (e.g. ``"card shard 1 of 4: READMEs"``)."""
        if not self.items:
            return
        share = len(self.items) / max(attempted, 1)
        shown = ", ".join(list(self.items)[:5]) + (", ..." if len(self.items) > 5 else "")
        crawl, _, items = what.partition(": ")
        if share > limit:
            raise InputError(
                f"{crawl}: {len(self.items)} of {attempted} {items} ({share:.2%}) still fail "
                f"after retries, above crawl.max_failed_share {limit:g} ({limit:.2%}); each is "
                f"listed with its reason in {self.path} ({shown}). Everything else is stored: "
                "rerun to retry them first (or raise crawl.max_failed_share to accept them)"
            )
        log.warning(
            "%s: %d of %d %s (%.2f%%) still fail after retries, within crawl.max_failed_share "
            "%g; they are left out of the snapshot and listed in %s (%s)",
            crawl,
            len(self.items),
            attempted,
            items,
            100.0 * share,
            limit,
            self.path,
            shown,
        )


def check_max_failed_share(value: Any) -> float:
    """``crawl.max_failed_share`` as a float in 0..1, or an InputError naming the key."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = float("nan")
    if not 0.0 <= share <= 1.0:
        raise InputError(f"crawl.max_failed_share: expected a share from 0 to 1, got {value!r}")
    return share


def quarantine_table(paths: Iterable[str | Path]) -> pa.Table:
    """The rows of the quarantine files that exist among ``paths``, sorted by item (empty, with
    the schema, when there are none)."""
    rows: list[dict[str, Any]] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        for rec in Quarantine(path).items.values():
            where = f"{path}, item {rec['item']}"
            rows.append(
                {
                    "item": rec["item"],
                    "url": rec.get("url"),
                    "reason": rec.get("reason"),
                    "status": rec.get("status"),
                    "attempts": rec.get("attempts"),
                    "first_failed": parse_time(rec.get("first_failed"), f"{where}: first_failed"),
                    "last_failed": parse_time(rec.get("last_failed"), f"{where}: last_failed"),
                }
            )
    rows.sort(key=lambda r: r["item"])
    return pa.Table.from_pylist(rows, schema=SCHEMA)
