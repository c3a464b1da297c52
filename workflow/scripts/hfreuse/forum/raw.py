"""The raw forum snapshot format, shared by the live crawl, the demo generator and the parser.

Layout under ``resources/raw/<snapshot>/forum/`` (the same for a crawl and for the demo)::

    manifest.json                     completion marker of the snapshot (written last)
    listing.json                      completion marker of the listing: settings, counts and the
                                      ids of the selected topics
    categories.json.gz                /categories.json?include_subcategories=true, as served
    latest/page-000000.json.gz        /latest.json?page=N, as served (N from 0 to the empty page)
    latest/catchup-000000.json.gz     /latest.json?page=N read again after the empty page, until
                                      the topics bumped while the listing ran are covered
    latest/category-7-000000.json.gz  /c/{slug}/7.json?page=N of a category /latest hides (muted
                                      by default), as served, and its catch-up pages
    latest/category-7-catchup-000000.json.gz
    topics/000548/548400.json.gz      one topic record (below); the folder is ``id // 1000``
    feed/page-000000.json.gz          feed plan: ``/posts.json`` (the newest posts), as served;
    feed/page-000001.json.gz          ``/posts.json?before=ID`` pages, as served, walking down
                                      from ``feed.first_before`` of the topic state in steps of
                                      :data:`FEED_WINDOW` ids (page k has ID = first_before -
                                      50 (k - 1))
    .listing-state.json               progress of a listing in progress (not a declared output)
    .topics-state.json                progress of a topic crawl in progress (not declared)
    .listing-journal.jsonl            requests since the last save of each progress file
    .topics-journal.jsonl             (see hfreuse.crawl.journal.Journal)
    *.corrupt                         a damaged file moved aside by the crawl and fetched again
    quarantine.json                   topics that still failed after retries: not stored, listed
                                      in the manifest's ``quarantined``, retried by the next run
                                      (see :mod:`hfreuse.crawl.quarantine`)
    .pseudonym_key                    the snapshot's key for author pseudonyms (never published)
    .usernames.json.gz                every username the snapshot knows, indexed by the first
                                      parse shard (hfreuse.forum.names; never published)
    site.json.gz                      /site/basic-info.json: the forum's title (hfreuse.forum.site)

A topic record is ``{"version", "topic_id", "status", "fetched_at", "listed", "topic",
"post_batches"}``: ``status`` is the HTTP status of ``/t/{id}.json`` (200, or 403/404/410 for a
topic that disappeared after the listing, with ``topic`` null), ``listed`` the topic's entry of
the listing as served (what an incremental crawl compares), ``topic`` the ``/t/{id}.json``
response as served, and ``post_batches`` the ``/t/{id}/posts.json?post_ids[]=...`` responses for
the posts beyond the first chunk, in stream order.

A topic the feed plan delivered completely (every post of its ``posts_count``, its first post,
and accepted-answer flags agreeing with the listing) is stored as a record with ``"source":
"feed"``: ``topic`` is then only ``{"id", "post_stream": {"posts", "stream"}}`` holding the
topic's feed items (post objects as the feed served them, in post-number order) and every topic
field comes from ``listed``; ``post_batches`` is empty. The feed pages stay as the raw evidence.

Every file is written atomically, so a file that exists is complete.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..crawl.state import damaged
from ..errors import InputError
from ..io import parse_time, read_json

log = logging.getLogger(__name__)

RECORD_VERSION = 1
POSTS_BATCH = 20  # post ids per /t/{id}/posts.json request (the chunk size Discourse itself uses)
UNAVAILABLE_STATUSES = (403, 404, 410)
KEY_ENV = "HFREUSE_PSEUDONYM_KEY"
PAGE_RE = re.compile(r"^(page|catchup)-(\d{6})\.json\.gz$")
FEED_WINDOW = 50  # post ids per /posts.json?before=ID page (Discourse's window)

# listing fields whose change means a stored topic is stale (a bump, a new post, a move to
# another category, a retitle, pinning, closing, an accepted answer where the listing shows it)
CHANGE_FIELDS = (
    "bumped_at",
    "last_posted_at",
    "posts_count",
    "highest_post_number",
    "category_id",
    "title",
    "pinned",
    "pinned_globally",
    "closed",
    "archived",
    "has_accepted_answer",
)


# --- paths -----------------------------------------------------------------------------------


def manifest_path(forum_dir: str | Path) -> Path:
    return Path(forum_dir) / "manifest.json"


def listing_path(forum_dir: str | Path) -> Path:
    return Path(forum_dir) / "listing.json"


def categories_path(forum_dir: str | Path) -> Path:
    return Path(forum_dir) / "categories.json.gz"


def page_path(forum_dir: str | Path, number: int, kind: str = "page") -> Path:
    if kind not in ("page", "catchup"):
        raise ValueError(f"unknown listing page kind {kind!r}")
    return Path(forum_dir) / "latest" / f"{kind}-{number:06d}.json.gz"


def feed_page_path(forum_dir: str | Path, number: int) -> Path:
    return Path(forum_dir) / "feed" / f"page-{number:06d}.json.gz"


CATEGORY_PAGE_RE = re.compile(r"^category-(\d+)-(catchup-)?(\d{6})\.json\.gz$")


def category_page_path(
    forum_dir: str | Path, category_id: int, number: int, kind: str = "category"
) -> Path:
    if kind not in ("category", "category-catchup"):
        raise ValueError(f"unknown category page kind {kind!r}")
    mid = "catchup-" if kind == "category-catchup" else ""
    return Path(forum_dir) / "latest" / f"category-{int(category_id)}-{mid}{number:06d}.json.gz"


def _stored_pages(forum_dir: str | Path, pattern: re.Pattern, key: Any) -> list[Path]:
    """The stored pages under ``latest/`` whose names match ``pattern`` and get a sort key
    from ``key(match)`` (None: not one of them), in key order."""
    folder = Path(forum_dir) / "latest"
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = pattern.match(p.name)
        k = key(m) if m else None
        if k is not None:
            found.append((k, p))
    return [p for _, p in sorted(found)]


def list_category_pages(forum_dir: str | Path) -> list[Path]:
    """Stored listing pages of the hidden categories, by category, kind and page."""
    return _stored_pages(
        forum_dir,
        CATEGORY_PAGE_RE,
        lambda m: (int(m.group(1)), bool(m.group(2)), int(m.group(3))),
    )


def topic_bucket(topic_id: int) -> str:
    return f"{int(topic_id) // 1000:06d}"


def topic_path(forum_dir: str | Path, topic_id: int) -> Path:
    return Path(forum_dir) / "topics" / topic_bucket(topic_id) / f"{int(topic_id)}.json.gz"


def key_path(forum_dir: str | Path) -> Path:
    return Path(forum_dir) / ".pseudonym_key"


def list_pages(forum_dir: str | Path, kind: str = "page") -> list[Path]:
    """Stored listing pages of one kind, in page order."""
    return _stored_pages(
        forum_dir, PAGE_RE, lambda m: int(m.group(2)) if m.group(1) == kind else None
    )


# --- writing ---------------------------------------------------------------------------------


def dumps_compact(obj: Any) -> bytes:
    import json

    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def write_json_gz(
    path: str | Path, obj: Any, *, atomic: bool = True, durable: bool = True, level: int = 6
) -> None:
    """Write ``obj`` as canonical gzipped JSON; equal objects give equal bytes.

    ``atomic`` writes a temp file and renames it, so the file exists only complete, and
    ``durable`` fsyncs it: a crawl wants both (a response costs a request). The demo generator,
    which rewrites its whole snapshot when it is interrupted, writes in place for speed.
    """
    path = Path(path)
    data = gzip.compress(dumps_compact(obj), compresslevel=level, mtime=0)
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    if not atomic:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


def link_or_copy(src: Path, dst: Path) -> None:
    """Put an immutable raw file of an earlier snapshot into this one (hard link, else a copy)."""
    import shutil

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


# --- reading and checking --------------------------------------------------------------------


def page_topics(doc: Any, where: str) -> list[dict[str, Any]]:
    """The topic entries of a ``/latest.json`` page; anything else raises naming ``where``."""
    topic_list = doc.get("topic_list") if isinstance(doc, dict) else None
    topics = topic_list.get("topics") if isinstance(topic_list, dict) else None
    if not isinstance(topics, list):
        raise InputError(
            f"{where}: expected a Discourse topic list ({{'topic_list': {{'topics'}}}})"
        )
    for i, entry in enumerate(topics):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
            raise InputError(f"{where}: topic {i} of the list has no integer 'id'")
        if not isinstance(entry.get("created_at"), str):
            raise InputError(f"{where}: topic {entry['id']} of the list has no 'created_at'")
    return topics


def check_categories(doc: Any, where: str) -> list[dict[str, Any]]:
    """The categories of a ``/categories.json`` answer, subcategories included, flattened.

    Each category gets ``parent_category_id`` (from the nesting when the answer nests
    ``subcategory_list``, else as served).
    """
    cat_list = doc.get("category_list") if isinstance(doc, dict) else None
    cats = cat_list.get("categories") if isinstance(cat_list, dict) else None
    if not isinstance(cats, list):
        raise InputError(f"{where}: expected {{'category_list': {{'categories': [...]}}}}")
    out: list[dict[str, Any]] = []

    def walk(items: list[Any], parent: int | None) -> None:
        for i, cat in enumerate(items):
            if not isinstance(cat, dict) or not isinstance(cat.get("id"), int):
                raise InputError(f"{where}: category {i} has no integer 'id'")
            flat = dict(cat)
            flat.setdefault("parent_category_id", parent)
            if flat.get("parent_category_id") is None:
                flat["parent_category_id"] = parent
            out.append(flat)
            subs = cat.get("subcategory_list")
            if isinstance(subs, list):
                walk(subs, cat["id"])

    walk(cats, None)
    return out


def check_topic_view(doc: Any, where: str) -> dict[str, Any]:
    """A ``/t/{id}.json`` answer: an object with ``id`` and ``post_stream.{posts,stream}``."""
    stream = doc.get("post_stream") if isinstance(doc, dict) else None
    if not isinstance(stream, dict) or not isinstance(doc.get("id"), int):
        raise InputError(f"{where}: expected a Discourse topic with 'id' and 'post_stream'")
    if not isinstance(stream.get("posts"), list):
        raise InputError(f"{where}: expected a list 'post_stream.posts'")
    if not isinstance(stream.get("stream", []), list):
        raise InputError(f"{where}: expected a list 'post_stream.stream' of post ids")
    _check_post_ids(stream["posts"], where)
    return doc


def check_posts_batch(doc: Any, where: str) -> list[dict[str, Any]]:
    """The posts of a ``/t/{id}/posts.json`` answer."""
    stream = doc.get("post_stream") if isinstance(doc, dict) else None
    posts = stream.get("posts") if isinstance(stream, dict) else None
    if not isinstance(posts, list):
        raise InputError(f"{where}: expected {{'post_stream': {{'posts': [...]}}}}")
    _check_post_ids(posts, where)
    return posts


def check_feed_page(doc: Any, where: str) -> list[dict[str, Any]]:
    """The posts of a ``/posts.json`` feed answer, each with integer ``id``, ``topic_id`` and
    ``post_number``."""
    posts = doc.get("latest_posts") if isinstance(doc, dict) else None
    if not isinstance(posts, list):
        raise InputError(f"{where}: expected a Discourse post feed {{'latest_posts': [...]}}")
    _check_post_ids(posts, where)
    for post in posts:
        for field in ("topic_id", "post_number"):
            if not isinstance(post.get(field), int):
                raise InputError(f"{where}: post {post['id']} has no integer {field!r}")
    return posts


def _check_post_ids(posts: list[Any], where: str) -> None:
    for i, post in enumerate(posts):
        if not isinstance(post, dict) or not isinstance(post.get("id"), int):
            raise InputError(f"{where}: post {i} has no integer 'id'")


def missing_post_ids(topic: dict[str, Any]) -> list[int]:
    """Ids in ``post_stream.stream`` that the topic view did not include, in stream order."""
    have = {p["id"] for p in topic["post_stream"]["posts"]}
    seen: set[int] = set()
    out = []
    for pid in topic["post_stream"].get("stream") or []:
        if isinstance(pid, int) and pid not in have and pid not in seen:
            seen.add(pid)
            out.append(pid)
    return out


def batches(ids: list[int], size: int = POSTS_BATCH) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def read_record(path: str | Path) -> dict[str, Any]:
    """A stored topic record, checked; a damaged one is an error that says how to recover it."""
    try:
        rec = read_json(path)
    except InputError as exc:
        raise damaged(path, exc, "fetch_forum_topics") from exc
    if (
        not isinstance(rec, dict)
        or rec.get("version") != RECORD_VERSION
        or not isinstance(rec.get("topic_id"), int)
        or not isinstance(rec.get("status"), int)
    ):
        raise InputError(f"{path}: expected a topic record of version {RECORD_VERSION}")
    if rec["status"] == 200:
        check_topic_view(rec.get("topic"), str(path))
        for n, batch in enumerate(rec.get("post_batches") or []):
            check_posts_batch(batch, f"{path}, post batch {n}")
    return rec


def read_page(path: str | Path) -> Any:
    """A stored listing page (or ``/categories.json``); a damaged one is an error that says how
    to recover it."""
    try:
        return read_json(path)
    except InputError as exc:
        raise damaged(path, exc, "fetch_forum_listing") from exc


def read_feed_page(path: str | Path) -> Any:
    """A stored feed page (``feed/page-NNNNNN.json.gz``); a damaged one is an error that names
    the rule that fetches it again (the topic crawl walks the feed)."""
    try:
        return read_json(path)
    except InputError as exc:
        raise damaged(path, exc, "fetch_forum_topics") from exc


def _check_stored(paths: list[Path], what: str, marker: Path, rule: str) -> None:
    """Each of ``paths`` (the pages ``marker`` counts) is stored; a missing one is an error that
    names it and the rule that fetches it again."""
    for number, path in enumerate(paths):
        if not path.is_file():
            raise InputError(
                f"{path}: {what} {number} of the {len(paths)} that {marker} counts is not stored. "
                f"Recover it by rerunning its crawl: `snakemake --forcerun {rule}` with the same "
                "configuration (the crawl fetches it again)"
            )


def check_feed_pages(forum_dir: str | Path) -> int:
    """The number of feed pages a complete snapshot's manifest counts (``plan.feed_pages``; 0
    for the per-topic plan), each checked to be stored (:func:`_check_stored`)."""
    forum_dir = Path(forum_dir)
    doc = read_json(manifest_path(forum_dir))
    plan = doc.get("plan") if isinstance(doc, dict) else None
    pages = plan.get("feed_pages") if isinstance(plan, dict) else None
    n = pages if isinstance(pages, int) and plan.get("plan") == "feed" else 0
    paths = [feed_page_path(forum_dir, k) for k in range(n)]
    _check_stored(paths, "feed page", manifest_path(forum_dir), "fetch_forum_topics")
    return n


def check_listing_pages(forum_dir: str | Path, listing: dict[str, Any]) -> None:
    """The listing pages and catch-up pages ``listing`` (listing.json) counts are stored (the
    parse reads their usernames: a page missing would leave names unscrubbed)."""
    for kind, key in (("page", "pages"), ("catchup", "catchup_pages")):
        n = listing.get(key)
        if isinstance(n, int):
            paths = [page_path(forum_dir, k, kind) for k in range(n)]
            what = "listing page" if kind == "page" else "catch-up page"
            _check_stored(paths, what, listing_path(forum_dir), "fetch_forum_listing")


def record_posts(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """All posts of a stored topic (first chunk and batches), once each, in stream order."""
    topic = rec["topic"]
    by_id: dict[int, dict[str, Any]] = {}
    for post in topic["post_stream"]["posts"]:
        by_id.setdefault(post["id"], post)
    for batch in rec.get("post_batches") or []:
        for post in batch["post_stream"]["posts"]:
            by_id.setdefault(post["id"], post)
    order = [pid for pid in topic["post_stream"].get("stream") or [] if pid in by_id]
    rest = sorted(
        set(by_id) - set(order), key=lambda pid: (by_id[pid].get("post_number") or 0, pid)
    )
    seen: set[int] = set()
    out = []
    for pid in order + rest:
        if pid not in seen:
            seen.add(pid)
            out.append(by_id[pid])
    return out


def signature(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What a listing entry says about a topic's state, for change detection."""
    return tuple(entry.get(k) for k in CHANGE_FIELDS)


def last_activity(entry: dict[str, Any], where: str) -> datetime:
    """The latest of a listing entry's ``bumped_at``/``last_posted_at``/``created_at``."""
    times = [parse_time(entry.get(k), where) for k in ("bumped_at", "last_posted_at", "created_at")]
    known = [t for t in times if t is not None]
    if not known:
        raise InputError(f"{where}: topic {entry.get('id')} has no date")
    return max(known)


def in_window(created: datetime, start: str | None, end: str | None) -> bool:
    """Whether a creation time falls within ``start``..``end`` (inclusive dates, UTC)."""
    day = created.date()
    if start is not None and day < date.fromisoformat(start):
        return False
    return not (end is not None and day > date.fromisoformat(end))


def listed_entries(forum_dir: str | Path) -> dict[int, dict[str, Any]]:
    """Every topic entry of the stored listing pages, the most recently bumped one per topic."""
    entries: dict[int, dict[str, Any]] = {}
    pages = list_pages(forum_dir, "page") + list_pages(forum_dir, "catchup")
    for page in pages + list_category_pages(forum_dir):
        for entry in page_topics(read_page(page), str(page)):
            old = entries.get(entry["id"])
            if old is None or (entry.get("bumped_at") or "") > (old.get("bumped_at") or ""):
                entries[entry["id"]] = entry
    return entries


def iter_records(forum_dir: str | Path, topic_ids: Iterable[int]) -> Iterator[dict[str, Any]]:
    """The stored records of ``topic_ids``; a missing one means an incomplete snapshot."""
    for tid in topic_ids:
        path = topic_path(forum_dir, tid)
        if not path.exists():
            raise InputError(
                f"{path}: topic {tid} is listed in {listing_path(forum_dir)} but not stored "
                "(incomplete snapshot). Recover it by rerunning its crawl: `snakemake --forcerun "
                "fetch_forum_topics` with the same configuration"
            )
        yield read_record(path)


def quarantined_topic_ids(forum_dir: str | Path) -> set[int]:
    """The topics a complete snapshot's manifest lists as quarantined (listed, not stored)."""
    path = manifest_path(forum_dir)
    doc = read_json(path) if path.exists() else {}
    ids = doc.get("quarantined") if isinstance(doc, dict) else None
    return {int(t) for t in ids or []}


def read_listing(forum_dir: str | Path) -> dict[str, Any]:
    path = listing_path(forum_dir)
    if not path.exists():
        raise InputError(f"{path}: no listing (the forum listing has not completed)")
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("topic_ids"), list):
        raise InputError(f"{path}: expected a listing with a list 'topic_ids'")
    return doc


# --- pseudonyms ------------------------------------------------------------------------------


def load_or_create_key(forum_dir: str | Path) -> bytes:
    """The pseudonym key: ``$HFREUSE_PSEUDONYM_KEY`` if set, else the snapshot's own key file.

    The key file is created once per snapshot (random, 32 bytes, hex) with an exclusive create,
    so concurrent jobs agree on it; it lives beside the raw snapshot and never under results/.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = key_path(forum_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            log.info("created the pseudonym key %s (keep it private)", path)
    text = path.read_text().strip()
    if len(text) < 16:
        raise InputError(f"{path}: expected a pseudonym key of at least 16 characters")
    return text.encode("utf-8")


def write_key(forum_dir: str | Path, key_text: str) -> None:
    """Store a given key (the demo's, derived from its seed) as the snapshot's key."""
    path = key_path(forum_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key_text + "\n")


def pseudonym(key: bytes, username: str) -> str:
    """A stable keyed pseudonym of a Discourse username (usernames are case-insensitive)."""
    digest = hmac.new(key, username.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"user-{digest[:16]}"
