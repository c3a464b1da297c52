"""One stored topic record -> its topic row and post rows; category rows.

Authors are keyed pseudonyms; the posts' text and the title hold no username the snapshot knows
(:mod:`hfreuse.forum.names`).
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import InputError
from . import raw as raw
from .names import NameScrubber, Pseudonymizer, known_mentions, record_usernames
from .text import html_to_text

log = logging.getLogger(__name__)

INT64 = 2**63


def _int(value: Any, where: str, field: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not -INT64 <= value < INT64
        or value != value  # NaN
    ):
        raise InputError(f"{where}: expected a number in '{field}', got {value!r}")
    return int(value)


def _text(value: Any, where: str, field: str) -> str:
    """A text field of the server's answer ('' when absent or null)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{where}: expected text in '{field}', got {value!r}")
    return value


def _tags(value: Any) -> list[str]:
    """Topic tags: strings, or objects with a ``name`` (newer Discourse)."""
    out = []
    for tag in value or []:
        if isinstance(tag, str):
            out.append(tag)
        elif isinstance(tag, dict) and isinstance(tag.get("name"), str):
            out.append(tag["name"])
    return sorted(set(out))


def is_staff(post: dict[str, Any], staff_groups: frozenset[str]) -> bool:
    """Discourse's staff flag (admins and moderators), or a primary group counted as staff."""
    if post.get("staff") or post.get("admin") or post.get("moderator"):
        return True
    group = post.get("primary_group_name")
    return isinstance(group, str) and group.lower() in staff_groups


def parse_record(
    rec: dict[str, Any],
    categories: dict[int, str],
    pseudo: Pseudonymizer,
    staff_groups: frozenset[str] = frozenset(),
    where: str = "",
    parents: dict[int, str] | None = None,
    names: NameScrubber | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One topic row and its post rows from a stored topic record (status 200).

    ``parents`` maps a category id to the name of its top-level category (a subcategory rolls
    up into it; a top-level category is its own), by default ``categories``. ``names`` replaces
    the usernames standing as words in the text and title: by default those of the record
    (:func:`hfreuse.forum.names.record_usernames`); the parse passes the snapshot's."""
    topic = rec["topic"]
    where = where or f"topic {topic['id']}"
    posts = raw.record_posts(rec)
    usernames = [p["username"] for p in posts if isinstance(p.get("username"), str)]
    if names is None:
        names = NameScrubber(record_usernames(rec), pseudo)
    accepted_number = _accepted_post_number(topic, posts, where)
    topic_row = _topic_row(rec, categories, parents, where, (len(posts), accepted_number))
    # a title naming a poster ("... @name") names them by pseudonym, as the posts do
    topic_row["title"] = names(known_mentions(topic_row["title"], pseudo, usernames))
    post_rows = [
        _post_row(
            post, topic["id"], where, pseudo, (usernames, names), staff_groups, accepted_number
        )
        for post in posts
    ]
    return topic_row, post_rows


def _topic_row(
    rec: dict[str, Any],
    categories: dict[int, str],
    parents: dict[int, str] | None,
    where: str,
    counts: tuple[int, int | None],
) -> dict[str, Any]:
    """The topic row of a record (its title as served): the topic view's fields, else the
    listing entry's."""
    topic, listed = rec["topic"], rec.get("listed") or {}
    n_posts, accepted_number = counts

    def pick(field: str) -> Any:
        value = topic.get(field)
        return listed.get(field) if value is None else value

    category_id = _int(pick("category_id"), where, "category_id")
    created = raw.parse_time(pick("created_at"), f"{where}, created_at")
    if created is None:
        raise InputError(f"{where}: topic {topic['id']} has no created_at")
    parents = parents if parents is not None else categories
    return {
        "topic_id": topic["id"],
        "title": _text(pick("title"), where, "title"),
        "slug": _text(pick("slug"), where, "slug"),
        "category_id": category_id,
        "category": categories.get(category_id) if category_id is not None else None,
        "parent_category": parents.get(category_id) if category_id is not None else None,
        "created_at": created,
        "last_posted_at": raw.parse_time(pick("last_posted_at"), f"{where}, last_posted_at"),
        "posts_count": _int(pick("posts_count"), where, "posts_count", n_posts),
        "reply_count": _int(pick("reply_count"), where, "reply_count", 0),
        "views": _int(pick("views"), where, "views", 0),
        "like_count": _int(pick("like_count"), where, "like_count", 0),
        "tags": _tags(pick("tags")),
        "pinned": any(topic.get(f) or listed.get(f) for f in ("pinned", "pinned_globally")),
        "has_accepted_answer": bool(
            accepted_number is not None
            or topic.get("has_accepted_answer")
            or listed.get("has_accepted_answer")
        ),
        "accepted_post_number": accepted_number,
    }


def _accepted_post_number(
    topic: dict[str, Any], posts: list[dict[str, Any]], where: str
) -> int | None:
    """The accepted answer's post number: the one the topic names (its ``accepted_answer``),
    else the post flagged ``accepted_answer`` (the first when several are: a stale flag)."""
    accepted = topic.get("accepted_answer")
    accepted_number = None
    if isinstance(accepted, dict) and accepted.get("post_number") is not None:
        accepted_number = _int(accepted.get("post_number"), where, "accepted_answer.post_number")
    if accepted_number is None:
        flagged = [p.get("post_number") for p in posts if p.get("accepted_answer") is True]
        if len(flagged) > 1:
            log.warning("%s: posts %s are all flagged as the accepted answer", where, flagged)
        if flagged and flagged[0] is not None:
            accepted_number = _int(flagged[0], where, "post_number")
    return accepted_number


def _post_row(
    post: dict[str, Any],
    tid: int,
    where: str,
    pseudo: Pseudonymizer,
    users: tuple[list[str], NameScrubber],
    staff_groups: frozenset[str],
    accepted_number: int | None,
) -> dict[str, Any]:
    """One post row: plain text with pseudonymized mentions, pseudonymous author."""
    pw = f"{where}, post {post['id']}"
    number = _int(post.get("post_number"), pw, "post_number")
    username = post.get("username")
    usernames, names = users
    text = names(html_to_text(_text(post.get("cooked"), pw, "cooked"), pseudo, usernames))
    return {
        "post_id": post["id"],
        "topic_id": tid,
        "post_number": number,
        "created_at": raw.parse_time(post.get("created_at"), f"{pw}, created_at"),
        "author": pseudo(username) if isinstance(username, str) and username else None,
        "author_is_staff": is_staff(post, staff_groups),
        # the topic's accepted answer decides (a post's own flag may be stale): one post at most
        "is_accepted_answer": accepted_number is not None and number == accepted_number,
        "reply_to_post_number": _int(post.get("reply_to_post_number"), pw, "reply_to_post_number"),
        "text": text,
        "text_length": len(text),
    }


def category_rows(doc: Any, where: str) -> list[dict[str, Any]]:
    rows = []
    for cat in raw.check_categories(doc, where):
        cw = f"{where}, category {cat['id']}"
        rows.append(
            {
                "category_id": cat["id"],
                "name": cat.get("name") or "",
                "slug": cat.get("slug") or "",
                "parent_category_id": _int(cat.get("parent_category_id"), cw, "parent_category_id"),
                "topic_count": _int(cat.get("topic_count"), cw, "topic_count"),
                "post_count": _int(cat.get("post_count"), cw, "post_count"),
            }
        )
    return rows


def top_category_names(cats: list[dict[str, Any]]) -> dict[int, str]:
    """Each category's top-level category name: its own for a top-level category, else that of
    the root of its parents (a parent missing from /categories.json ends the climb there)."""
    by_id = {c["category_id"]: c for c in cats}
    out = {}
    for cat in cats:
        top, seen = cat, {cat["category_id"]}
        while top.get("parent_category_id") in by_id and top["parent_category_id"] not in seen:
            top = by_id[top["parent_category_id"]]
            seen.add(top["category_id"])
        out[cat["category_id"]] = top["name"]
    return out
