"""Verification of the Hub's answers shared by the crawls that fetch README.md (the README shards
of :mod:`hfreuse.hub.cards`, the probes of :mod:`hfreuse.hub.card_history`) and by every crawl
that meets a refused token.

A README answered 200 is the file asked for only if it is not an HTML page (``text/html``, or a
body opening with ``<!DOCTYPE html`` / ``<html``: a captive portal or an error page); when the
Hub sends the file's git blob id as ``ETag`` (40 hex digits; 64 for the sha256 of an LFS file)
the body must hash to it (a body cut short is caught even with a matching ``Content-Length``),
and ``X-Repo-Commit`` must be the commit asked for (when a commit id was asked for, not
``main``). A bare 403 (no ``X-Error-Code``) is the Hub's front refusing for now: retried. A 401
refuses the token (or anonymous access), except anonymously with ``X-Error-Code``
``GatedRepo`` / ``RepoNotFound`` (a repository gone private or deleted): the crawl stops at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from ..crawl.quarantine import CrawlStopped

log = logging.getLogger(__name__)

ANONYMOUS_401_CODES = ("GatedRepo", "RepoNotFound")
_HEX = re.compile(r"^[0-9a-f]+$")


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of a file's bytes (what the Hub sends as ``ETag`` for a non-LFS file)."""
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


def _etag(value: str | None) -> str | None:
    """An ``ETag`` header's value without ``W/`` and quotes, lower case; None when absent."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"').lower()


def readme_problem(resp: Any, revision: str) -> str | None:
    """Why a 200 answer is not the README.md asked for at ``revision``, or None."""
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    head = resp.content[:64].lstrip().lower()
    if ctype == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        return f"HTTP 200 but an HTML page ({ctype or 'no Content-Type'}), not README.md"
    etag = _etag(resp.headers.get("ETag"))
    if etag and _HEX.match(etag) and len(etag) in (40, 64):
        digest = git_blob_sha1(resp.content) if len(etag) == 40 else None
        digest = digest or hashlib.sha256(resp.content).hexdigest()
        if digest != etag:
            return (
                f"the body ({len(resp.content)} bytes) does not hash to its ETag {etag} "
                f"(got {digest}): cut short or altered"
            )
    commit = resp.headers.get("X-Repo-Commit")
    if commit and _HEX.match(revision) and len(revision) == 40 and commit.lower() != revision:
        return f"X-Repo-Commit {commit} is not the commit asked for ({revision})"
    return None


def token_refused(resp: Any, url: str, token_used: bool, kept: str) -> CrawlStopped:
    """The error of a 401 that refuses the token (or anonymous access): it would refuse every
    request, so the crawl stops at once (``kept``: what was fetched so far, e.g. "READMEs")."""
    code = resp.headers.get("X-Error-Code")
    refused = (
        "the token was refused; check HF_TOKEN"
        if token_used
        else "anonymous access was refused; set HF_TOKEN"
    )
    return CrawlStopped(
        f"GET {url}: HTTP 401 Unauthorized ({code or 'no X-Error-Code'}): {refused}. "
        f"The {kept} fetched so far are kept; rerun to resume",
        status=401,
    )


def card_answer_problem(resp: Any, url: str, revision: str, token_used: bool) -> str | None:
    """None when the card answer can be recorded; a problem to retry; a 401 raises."""
    status = int(resp.status_code)
    code = resp.headers.get("X-Error-Code")
    if status == 401 and (token_used or code not in ANONYMOUS_401_CODES):
        raise token_refused(resp, url, token_used, "READMEs")
    if status == 403 and not code:
        return "HTTP 403 without the Hub's X-Error-Code (its front refusing for now)"
    if status == 200:
        return readme_problem(resp, revision)
    return None


def decode_text(resp: Any, url: str) -> str:
    """A README's text: its UTF-8 bytes decoded, undecodable bytes replaced (with a warning)."""
    try:
        return resp.content.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("GET %s: README is not valid UTF-8; undecodable bytes replaced", url)
        return resp.content.decode("utf-8", errors="replace")
