"""Raw forum snapshot -> tidy tables: categories, topics and posts.

Posts keep their text as plain text from Discourse's ``cooked`` HTML (standard library
``html.parser``): paragraphs and list items on their own lines, code blocks kept verbatim as text,
quoted posts kept without their "username:" header, link previews (oneboxes) reduced to the
linked URL, image metadata and emoji images dropped. Authors are keyed pseudonyms
(:func:`hfreuse.forum.raw.pseudonym`), and so are the other places a username is recognisable:
every ``@mention`` link (by the name in its ``/u/NAME`` address, whether or not the user posted in
the topic), ``@name`` typed as plain text for the topic's posters, the name of a raw BBCode
``[quote="NAME, post:3, topic:123"]`` header; the ``u=NAME`` parameter of share links
(``.../t/slug/123/4?u=NAME``) is dropped from the URLs kept in the text. So raw usernames do not
reach results/. (A name typed as plain words is not recognisable and stays.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..io import arrow_schema, gc_paused, read_json
from ..shards import check_shard, stable_shard
from . import raw as raw

log = logging.getLogger(__name__)

CATEGORIES_SCHEMA = arrow_schema(
    "category_id:int64 name:string slug:string parent_category_id:int64 topic_count:int64"
    " post_count:int64 topics_in_snapshot:int64"
)
TOPICS_SCHEMA = arrow_schema(
    "topic_id:int64 title:string slug:string category_id:int64 category:string"
    " created_at:timestamp last_posted_at:timestamp posts_count:int64 reply_count:int64"
    " views:int64 like_count:int64 tags:list<string> pinned:bool has_accepted_answer:bool"
    " accepted_post_number:int64"
)
POSTS_SCHEMA = arrow_schema(
    "post_id:int64 topic_id:int64 post_number:int64 created_at:timestamp author:string"
    " author_is_staff:bool is_accepted_answer:bool reply_to_post_number:int64 text:string"
    " text_length:int64"
)

# --- HTML to text ----------------------------------------------------------------------------

BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "hr",
    "aside",
    "details",
    "summary",
    "section",
    "article",
    "header",
    "footer",
}
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "col", "embed"}
SKIP_TAGS = {"script", "style", "svg", "noscript", "template"}
_SPACES = re.compile(r"[ \t\r\f\v\n]+")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)")
# a raw BBCode quote header: [quote="NAME, post:3, topic:123"] (fields after the name optional;
# newer Discourse writes "Full Name, post:3, topic:123, username:NAME")
_BBQUOTE = re.compile(r'\[quote=["\u201c]?([^\]\n"\u201d]*)["\u201d]?\]', re.IGNORECASE)
# the share-link parameter u=NAME of a URL kept in the text (after ? or &)
_URL = re.compile(r"(?:https?://|(?<![^\s(\[<\"'])/t/)[^\s<>\"']+", re.IGNORECASE)
_SHARE_USER = re.compile(r"([?&])u=(?:[\w.%-]*[\w%])?(&?)")


def _mention_name(href: str | None) -> str | None:
    """The username of a mention link's address ``/u/NAME`` (absolute or relative), or None."""
    if not href:
        return None
    parts = [p for p in urlsplit(href).path.split("/") if p]
    if len(parts) >= 2 and parts[-2] == "u":
        return unquote(parts[-1]) or None
    return None


def _bbcode_quote(match: re.Match[str], mention: Any) -> str:
    """A raw ``[quote="..."]`` header with the quoted user's name pseudonymized."""
    fields = [f.strip() for f in match.group(1).split(",")]
    username = next(
        (f.split(":", 1)[1].strip() for f in fields if f.lower().startswith("username:")), None
    )
    name = fields[0] if fields and ":" not in fields[0] else None
    who = username or name
    if not who:
        return match.group(0)
    rest = [
        f for f in fields[1 if name is not None else 0 :] if not f.lower().startswith("username:")
    ]
    return '[quote="' + ", ".join([mention(who), *rest]) + '"]'


def _strip_share_user(url: str) -> str:
    """``url`` without its ``u`` query parameter (Discourse's share-link username)."""
    if "u=" not in url:
        return url

    def drop(m: re.Match[str]) -> str:
        return m.group(1) if m.group(2) else ""

    head, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hsep, frag = rest.partition("#")
    query = _SHARE_USER.sub(drop, "?" + query)
    query = "" if query == "?" else query
    return head + query + hsep + frag


def scrub_text(text: str, mention: Any) -> str:
    """Usernames out of plain text: raw BBCode quote headers and share-link ``u=`` parameters."""
    if "[quote" in text.lower():
        text = _BBQUOTE.sub(lambda m: _bbcode_quote(m, mention), text)
    if "u=" in text:
        text = _URL.sub(lambda m: _strip_share_user(m.group(0)), text)
    return text


def _classes(attrs: list[tuple[str, str | None]]) -> set[str]:
    for name, value in attrs:
        if name == "class" and value:
            return set(value.split())
    return set()


class _TextExtractor(HTMLParser):
    """Collects text: blocks as lines, ``<pre>`` verbatim, noise elements skipped."""

    def __init__(self, mention: Any) -> None:
        super().__init__(convert_charrefs=True)
        self.mention = mention
        self.out: list[str] = []
        self.line: list[str] = []
        self.stack: list[tuple[str, bool, set[str]]] = []  # (tag, skipping, classes)
        self.skip = 0
        self.pre = 0
        self.mention_depth = 0  # inside a mention link (its text replaced by the pseudonym)

    def _flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.line)).strip()
        if text:
            self.out.append(text)
        self.line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = _classes(attrs)
        in_quote = any(t == "aside" and "quote" in c for t, _, c in self.stack)
        # directly in a quote, everything but the quoted text is its "NAME:" header
        in_quote_header = (
            bool(self.stack)
            and self.stack[-1][0] == "aside"
            and "quote" in self.stack[-1][2]
            and tag != "blockquote"
        )
        onebox = tag == "aside" and "onebox" in cls
        skip = (
            tag in SKIP_TAGS
            or onebox
            or in_quote_header
            or (tag == "div" and "meta" in cls)
            or (tag == "div" and in_quote and ("title" in cls or "quote-controls" in cls))
        )
        if onebox and not self.skip:
            src = dict(attrs).get("data-onebox-src")
            if src:
                self._flush()
                self.out.append(src)
        if tag in VOID_TAGS:
            if tag in ("br", "hr") and not self.skip:
                if self.pre:
                    self.line.append("\n")
                else:
                    self._flush()
            return
        if tag in BLOCK_TAGS and not self.pre and not self.skip:
            self._flush()
        if tag == "pre" and not self.skip:
            self.pre += 1
        if tag == "a" and "mention" in cls and not self.skip:
            if not self.mention_depth:
                name = _mention_name(dict(attrs).get("href"))
                if name:
                    self.line.append("@" + self.mention(name))
                    cls = cls | {"\0named"}  # its own text is dropped
            self.mention_depth += 1
        self.stack.append((tag, skip, cls))
        if skip:
            self.skip += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        # close up to the matching open tag (tolerates unclosed inner tags)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                break
        else:
            return
        while len(self.stack) > i:
            open_tag, skipping, _ = self.stack.pop()
            if skipping:
                self.skip -= 1
            if open_tag == "pre" and not self.skip and self.pre:
                self.pre -= 1
                code = "".join(self.line).strip("\n")
                self.line = []
                if code.strip():
                    self.out.append(code)
            elif open_tag == "a" and self.mention_depth and not self.skip:
                self.mention_depth -= 1
            elif open_tag in BLOCK_TAGS and not self.pre and not self.skip:
                self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.stack and self.stack[-1][0] == "aside" and "quote" in self.stack[-1][2]:
            return  # text directly in a quote: its header
        if self.mention_depth:
            if any(t == "a" and "\0named" in c for t, _, c in self.stack):
                return  # the mention's name came from its address
            data = _MENTION.sub(lambda m: "@" + self.mention(m.group(1)), data)
        self.line.append(data)

    def text(self) -> str:
        if self.pre:
            code = "".join(self.line).strip("\n")
            if code.strip():
                self.out.append(code)
            self.line = []
        else:
            self._flush()
        return "\n".join(self.out)


def html_to_text(html: str | None, mention: Any = None, usernames: Iterable[str] = ()) -> str:
    """Plain text of a post's ``cooked`` HTML.

    ``mention(username) -> str`` replaces the names of ``@mention`` links, taken from the link's
    ``/u/NAME`` address (default: keep). ``@name`` written in plain text is replaced too when
    ``name`` is one of ``usernames`` (case-insensitive). The names of raw BBCode
    ``[quote="NAME, ..."]`` headers are replaced, and share links lose their ``u=NAME``.
    """
    if not html:
        return ""
    mention = mention or (lambda name: name)
    parser = _TextExtractor(mention)
    parser.feed(html)
    parser.close()
    text = parser.text()
    known = {u.lower() for u in usernames}
    if known:
        text = _MENTION.sub(
            lambda m: "@" + mention(m.group(1)) if m.group(1).lower() in known else m.group(0),
            text,
        )
    return scrub_text(text, mention)


# --- rows ------------------------------------------------------------------------------------


def _int(value: Any, where: str, field: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: expected a number in '{field}', got {value!r}")
    return int(value)


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
    return bool(group) and group.lower() in staff_groups


class Pseudonymizer:
    """Keyed pseudonyms, memoized (one HMAC per distinct username)."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._memo: dict[str, str] = {}

    def __call__(self, username: str) -> str:
        low = username.strip().lower()
        got = self._memo.get(low)
        if got is None:
            got = self._memo[low] = raw.pseudonym(self.key, low)
        return got


def parse_record(
    rec: dict[str, Any],
    categories: dict[int, str],
    pseudo: Pseudonymizer,
    staff_groups: frozenset[str] = frozenset(),
    where: str = "",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One topic row and its post rows from a stored topic record (status 200)."""
    topic = rec["topic"]
    listed = rec.get("listed") or {}
    tid = topic["id"]
    where = where or f"topic {tid}"

    def pick(field: str) -> Any:
        value = topic.get(field)
        return listed.get(field) if value is None else value

    posts = raw.record_posts(rec)
    usernames = [p["username"] for p in posts if isinstance(p.get("username"), str)]
    accepted_number = _accepted_post_number(topic, posts, where)
    has_accepted = bool(
        accepted_number is not None
        or topic.get("has_accepted_answer")
        or listed.get("has_accepted_answer")
    )
    category_id = _int(pick("category_id"), where, "category_id")
    created = raw.parse_time(pick("created_at"), f"{where}, created_at")
    if created is None:
        raise InputError(f"{where}: topic {tid} has no created_at")
    topic_row = {
        "topic_id": tid,
        "title": pick("title") or "",
        "slug": pick("slug") or "",
        "category_id": category_id,
        "category": categories.get(category_id) if category_id is not None else None,
        "created_at": created,
        "last_posted_at": raw.parse_time(pick("last_posted_at"), f"{where}, last_posted_at"),
        "posts_count": _int(pick("posts_count"), where, "posts_count", len(posts)),
        "reply_count": _int(pick("reply_count"), where, "reply_count", 0),
        "views": _int(pick("views"), where, "views", 0),
        "like_count": _int(pick("like_count"), where, "like_count", 0),
        "tags": _tags(pick("tags")),
        "pinned": bool(
            topic.get("pinned")
            or topic.get("pinned_globally")
            or listed.get("pinned")
            or listed.get("pinned_globally")
        ),
        "has_accepted_answer": has_accepted,
        "accepted_post_number": accepted_number,
    }
    post_rows = [
        _post_row(post, tid, where, pseudo, usernames, staff_groups, accepted_number)
        for post in posts
    ]
    return topic_row, post_rows


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
    usernames: list[str],
    staff_groups: frozenset[str],
    accepted_number: int | None,
) -> dict[str, Any]:
    """One post row: plain text with pseudonymized mentions, pseudonymous author."""
    pw = f"{where}, post {post['id']}"
    number = _int(post.get("post_number"), pw, "post_number")
    username = post.get("username")
    text = html_to_text(post.get("cooked"), pseudo, usernames)
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


def _category_names(forum_dir: Path) -> tuple[list[dict[str, Any]], dict[int, str]]:
    cat_file = raw.categories_path(forum_dir)
    cats = category_rows(read_json(cat_file), str(cat_file))
    return cats, {c["category_id"]: c["name"] for c in cats}


def parse_topics(
    forum_dir: str | Path,
    topic_ids: Iterable[int],
    staff_groups: Iterable[str] = (),
    key: bytes | None = None,
) -> tuple[pa.Table, pa.Table]:
    """``(topics, posts)`` of some topics of a complete snapshot (one shard), sorted by id.

    Topics recorded as unavailable (HTTP 403/404/410 after the listing) are skipped.
    """
    forum_dir = Path(forum_dir)
    _, names = _category_names(forum_dir)
    pseudo = Pseudonymizer(key if key is not None else raw.load_or_create_key(forum_dir))
    groups = frozenset(g.lower() for g in staff_groups)
    topics: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    with gc_paused():  # many row dicts: the collector would make this superlinear
        for rec in raw.iter_records(forum_dir, sorted(set(topic_ids))):
            if rec["status"] != 200:
                continue
            where = str(raw.topic_path(forum_dir, rec["topic_id"]))
            row, prow = parse_record(rec, names, pseudo, groups, where)
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
    :mod:`hfreuse.quarantine`); empty when none."""
    from ..quarantine import quarantine_path, quarantine_table

    return quarantine_table([quarantine_path(forum_dir)])


def listed_topic_ids(forum_dir: str | Path) -> list[int]:
    """The topic ids of a complete snapshot's listing, sorted, without the quarantined ones
    (listed, but still failing after retries: not in the snapshot)."""
    forum_dir = Path(forum_dir)
    if not raw.manifest_path(forum_dir).exists():
        raise InputError(f"{raw.manifest_path(forum_dir)}: the forum snapshot is not complete")
    ids = {int(t) for t in raw.read_listing(forum_dir)["topic_ids"]}
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


PER_PROCESS_MIN = 5000  # below this many topics a process pool costs more than it saves


def parse_forum(
    forum_dir: str | Path,
    staff_groups: Iterable[str] = (),
    processes: int = 1,
    min_per_process: int = PER_PROCESS_MIN,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``(categories, topics, posts)`` of a complete raw snapshot, sorted by id.

    With ``processes`` > 1 and a large snapshot, contiguous ranges of topic ids are parsed in
    parallel processes; the tables are the same either way. (The workflow parses static shards
    instead, :func:`parse_forum_shard` then :func:`gather_forum`, to the same bytes.)
    """
    forum_dir = Path(forum_dir)
    if not raw.manifest_path(forum_dir).exists():
        raise InputError(f"{raw.manifest_path(forum_dir)}: the forum snapshot is not complete")
    ids = listed_topic_ids(forum_dir)
    key = raw.load_or_create_key(forum_dir)
    groups = list(staff_groups)
    n = max(1, min(int(processes), len(ids) // max(1, min_per_process)))
    if n == 1:
        topics, posts = parse_topics(forum_dir, ids, groups, key)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        size = -(-len(ids) // n)
        chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(
                pool.map(
                    parse_topics,
                    [forum_dir] * len(chunks),
                    chunks,
                    [groups] * len(chunks),
                    [key] * len(chunks),
                )
            )
        topics = pa.concat_tables([t for t, _ in parts]).combine_chunks()
        posts = pa.concat_tables([p for _, p in parts]).combine_chunks()
    cats = category_table(forum_dir, topics)
    log.info(
        "parsed %d categories, %d topics (%d unavailable skipped), %d posts",
        cats.num_rows,
        topics.num_rows,
        len(ids) - topics.num_rows,
        posts.num_rows,
    )
    return cats, topics, posts
