"""Raw forum snapshot -> tidy tables: categories, topics and posts.

The workflow parses static shards of the listed topics (:func:`parse_forum_shard`, rule
parse_forum_topics) and gathers them (:func:`gather_forum`, rule parse_forum);
:func:`parse_forum` is the same two steps in one process (tests, benchmarks), to the same bytes.
A record becomes rows in :mod:`hfreuse.forum.records`, a post's HTML plain text in
:mod:`hfreuse.forum.text`, and usernames pseudonyms in :mod:`hfreuse.forum.names`: every username
the snapshot knows (:func:`hfreuse.forum.names.snapshot_usernames`) is replaced wherever it is
recognisable, so raw usernames do not reach results/.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..io import arrow_schema, gc_paused
from ..shards import check_shard, stable_shard
from . import raw as raw
from .names import NameScrubber, Pseudonymizer, known_mentions, scrub_text, snapshot_usernames
from .records import category_rows, is_staff, parse_record, top_category_names
from .text import html_to_text

__all__ = [
    "CATEGORIES_SCHEMA",
    "POSTS_SCHEMA",
    "TOPICS_SCHEMA",
    "Pseudonymizer",
    "category_rows",
    "category_table",
    "gather_forum",
    "html_to_text",
    "is_staff",
    "known_mentions",
    "listed_topic_ids",
    "parse_forum",
    "parse_forum_shard",
    "parse_record",
    "parse_topics",
    "scrub_text",
    "sort_posts",
    "top_category_names",
    "topic_quarantine",
]

log = logging.getLogger(__name__)

CATEGORIES_SCHEMA = arrow_schema(
    "category_id:int64 name:string slug:string parent_category_id:int64 topic_count:int64"
    " post_count:int64 topics_in_snapshot:int64"
)
TOPICS_SCHEMA = arrow_schema(
    "topic_id:int64 title:string slug:string category_id:int64 category:string"
    " parent_category:string created_at:timestamp last_posted_at:timestamp posts_count:int64 reply_count:int64"
    " views:int64 like_count:int64 tags:list<string> pinned:bool has_accepted_answer:bool"
    " accepted_post_number:int64"
)
POSTS_SCHEMA = arrow_schema(
    "post_id:int64 topic_id:int64 post_number:int64 created_at:timestamp author:string"
    " author_is_staff:bool is_accepted_answer:bool reply_to_post_number:int64 text:string"
    " text_length:int64"
)


def _category_names(forum_dir: Path) -> tuple[list[dict[str, Any]], dict[int, str]]:
    cat_file = raw.categories_path(forum_dir)
    cats = category_rows(raw.read_page(cat_file), str(cat_file))
    return cats, {c["category_id"]: c["name"] for c in cats}


def parse_topics(
    forum_dir: str | Path,
    topic_ids: Iterable[int],
    staff_groups: Iterable[str] = (),
    key: bytes | None = None,
    usernames: Iterable[str] | None = None,
) -> tuple[pa.Table, pa.Table]:
    """``(topics, posts)`` of some topics of a complete snapshot (one shard), sorted by id.

    Topics recorded as unavailable (HTTP 403/404/410 after the listing) are skipped.
    ``usernames`` are replaced wherever they stand as words in the text and titles (by default
    every username the snapshot knows, :func:`hfreuse.forum.names.snapshot_usernames`).
    """
    forum_dir = Path(forum_dir)
    cats, names = _category_names(forum_dir)
    parents = top_category_names(cats)
    pseudo = Pseudonymizer(key if key is not None else raw.load_or_create_key(forum_dir))
    if usernames is None:
        usernames = snapshot_usernames(forum_dir, listed_topic_ids(forum_dir))
    scrubber = NameScrubber(usernames, pseudo)
    groups = frozenset(g.lower() for g in staff_groups)
    topics: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    with gc_paused():  # many row dicts: the collector would make this superlinear
        for rec in raw.iter_records(forum_dir, sorted(set(topic_ids))):
            if rec["status"] != 200:
                continue
            where = str(raw.topic_path(forum_dir, rec["topic_id"]))
            row, prow = parse_record(rec, names, pseudo, groups, where, parents, scrubber)
            topics.append(row)
            posts.extend(prow)
        posts.sort(key=lambda p: (p["topic_id"], p["post_number"] or 0, p["post_id"]))
        return (
            pa.Table.from_pylist(topics, schema=TOPICS_SCHEMA),
            pa.Table.from_pylist(posts, schema=POSTS_SCHEMA),
        )


def category_table(forum_dir: str | Path, topics: pa.Table) -> pa.Table:
    """The categories of the snapshot with their number of topics in ``topics``."""
    cats, names = _category_names(Path(forum_dir))
    per_cat: dict[int, int] = {}
    for cid in topics.column("category_id").to_pylist():
        if cid is not None:
            per_cat[cid] = per_cat.get(cid, 0) + 1
    for cat in cats:
        cat["topics_in_snapshot"] = per_cat.get(cat["category_id"], 0)
    unknown = sorted(c for c in per_cat if c not in names)
    if unknown:
        log.warning(
            "%d topics are in categories not listed by /categories.json (ids %s): category null",
            sum(per_cat[c] for c in unknown),
            ", ".join(map(str, unknown[:20])),
        )
    cats.sort(key=lambda c: c["category_id"])
    return pa.Table.from_pylist(cats, schema=CATEGORIES_SCHEMA)


def topic_quarantine(forum_dir: str | Path) -> pa.Table:
    """The topics the crawl quarantined (listed, still failing after retries, not stored; see
    :mod:`hfreuse.crawl.quarantine`); empty when none."""
    from ..crawl.quarantine import quarantine_path, quarantine_table

    return quarantine_table([quarantine_path(forum_dir)])


def listed_topic_ids(forum_dir: str | Path) -> list[int]:
    """The topic ids of a complete snapshot's listing, sorted, without the quarantined ones
    (listed, but still failing after retries: not in the snapshot)."""
    forum_dir = Path(forum_dir)
    if not raw.manifest_path(forum_dir).exists():
        raise InputError(f"{raw.manifest_path(forum_dir)}: the forum snapshot is not complete")
    listing = raw.read_listing(forum_dir)
    raw.check_listing_pages(forum_dir, listing)  # the pages its listing.json counts
    ids = {int(t) for t in listing["topic_ids"]}
    return sorted(ids - raw.quarantined_topic_ids(forum_dir))


def parse_forum_shard(
    forum_dir: str | Path, k: int, n: int, staff_groups: Iterable[str] = ()
) -> tuple[pa.Table, pa.Table]:
    """``(topics, posts)`` of static shard ``k`` (0-based) of ``n`` of a complete snapshot: the
    listed topics whose stable hash (:func:`hfreuse.shards.stable_shard`) falls in shard k."""
    check_shard("forum parse", k, n)
    ids = [t for t in listed_topic_ids(forum_dir) if stable_shard(t, n) == k]
    log.info("shard %d of %d: %d of the listed topics", k + 1, n, len(ids))
    return parse_topics(forum_dir, ids, staff_groups, raw.load_or_create_key(forum_dir))


def sort_posts(posts: pa.Table) -> pa.Table:
    """Posts in table order: topic, post number (a missing one first), post id; stable."""
    keys = pa.table(
        {
            "topic_id": posts.column("topic_id"),
            "post_number": pc.fill_null(posts.column("post_number"), 0),
            "post_id": posts.column("post_id"),
        }
    )
    order = pc.sort_indices(keys, sort_keys=[(c, "ascending") for c in keys.column_names])
    return posts.take(order).combine_chunks()


def gather_forum(
    forum_dir: str | Path, topic_parts: Iterable[pa.Table], post_parts: Iterable[pa.Table]
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``(categories, topics, posts)`` from the shards' tables: the same tables (and bytes) as
    one :func:`parse_forum` over the whole snapshot."""
    forum_dir = Path(forum_dir)
    topics = pa.concat_tables([t.cast(TOPICS_SCHEMA) for t in topic_parts])
    topics = topics.take(pc.sort_indices(topics.column("topic_id"))).combine_chunks()
    ids = topics.column("topic_id")
    if pc.count_distinct(ids).as_py() != len(ids):
        raise InputError(
            f"{forum_dir}: a topic appears in two parse shards (parts of different shard counts?)"
        )
    posts = sort_posts(pa.concat_tables([p.cast(POSTS_SCHEMA) for p in post_parts]))
    cats = category_table(forum_dir, topics)
    listed = len(listed_topic_ids(forum_dir))
    raw.check_feed_pages(forum_dir)  # the feed walk's raw evidence, as its manifest counts
    if topics.num_rows > listed:
        raise InputError(f"{forum_dir}: the parse shards hold more topics than the listing")
    log.info(
        "gathered %d categories, %d topics (%d unavailable skipped), %d posts",
        cats.num_rows,
        topics.num_rows,
        listed - topics.num_rows,
        posts.num_rows,
    )
    return cats, topics, posts


def parse_forum(
    forum_dir: str | Path, staff_groups: Iterable[str] = (), n_shards: int = 1
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``(categories, topics, posts)`` of a complete raw snapshot: the workflow's own steps in
    one process, each of the ``n_shards`` static shards parsed (:func:`parse_forum_shard`, rule
    parse_forum_topics), then gathered (:func:`gather_forum`, rule parse_forum)."""
    groups = list(staff_groups)
    shards = [parse_forum_shard(forum_dir, k, n_shards, groups) for k in range(n_shards)]
    return gather_forum(forum_dir, [t for t, _ in shards], [p for _, p in shards])
