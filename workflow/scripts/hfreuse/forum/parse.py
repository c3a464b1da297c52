"""Raw forum snapshot -> tidy tables: categories, topics and posts.

Posts keep their text as plain text from Discourse's ``cooked`` HTML (standard library
``html.parser``), keeping what RQ3 needs (model names are often only in a link's address):

* paragraphs and list items on their own lines, code blocks kept verbatim as text;
* a web link keeps its target: ``text (url)`` when its text is not its address (with or
  without scheme, ``www.`` or a final ``/``), the URL alone when it has no text (an image's
  lightbox excepted); relative links (topics, anchors, uploads) keep their text;
* every link preview and embed is reduced to its URL on its own line: oneboxes of any
  generation (``data-onebox-src``; older ones without it by the address of their first link),
  inline oneboxes (a title the server fetched), lazy videos (``lazyYT``,
  ``lazy-video-container``), iframes, videos and uploaded-video placeholders;
* quoted text is marked as a quote, each line starting ``> `` (``> > `` when nested), without the
  quote's "username:" header; a quote of another topic starts with that topic's URL;
* emoji images become their ``:name:``; image metadata is dropped.

Authors are keyed pseudonyms (:func:`hfreuse.forum.raw.pseudonym`), and so are the other places a
username is recognisable: every ``@mention`` link (by the name in its ``/u/NAME`` address, whether
or not the user posted in the topic), ``@name`` typed as plain text for the topic's posters, the
name of a raw BBCode ``[quote="NAME, post:3, topic:123"]`` header, the NAME of every user address
``.../u/NAME`` kept in the text (and the name in the text of a link to it), ``@name`` of a
poster in the topic's title; the ``u=NAME`` parameter of share links
(``.../t/slug/123/4?u=NAME``) is dropped from the URLs kept in the text.
So raw usernames do not reach results/. (A name typed as plain words is not recognisable and
stays.)
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..io import arrow_schema, gc_paused
from ..shards import check_shard, stable_shard
from . import raw as raw

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
_URL = re.compile(r"(?:https?://|(?<![^\s(\[<\"'])/[tu]/)[^\s<>\"')]+", re.IGNORECASE)
_SHARE_USER = re.compile(r"([?&])u=(?:[\w.%-]*[\w%])?(&?)")
_ABSOLUTE = re.compile(r"https?://[^\s/]", re.IGNORECASE)
_SCHEME = re.compile(r"^(?:https?:)?//(?:www\.)?")
# path segments followed by a username (after how many segments): /u/NAME, /users/NAME,
# /user_avatar/HOST/NAME/48/1_2.png
USER_SEGMENTS = {"u": 1, "users": 1, "user_avatar": 2}
_USER_PATH = re.compile(r"/(?:u|users|user_avatar)/")
EMBED_TAGS = ("iframe", "video", "audio")
# classes of link previews and embeds (besides any "*-onebox" but the inline one)
PREVIEW_CLASSES = frozenset(
    {
        "onebox",
        "onebox-result",
        "lazyYT",
        "lazy-video-container",
        "video-container",
        "video-placeholder-container",
        "video-onebox",
    }
)


def _user_in_path(href: str | None) -> tuple[str, str, str] | None:
    """``(name, segments before it, raw segment)`` of the username in a user address
    (absolute or relative): ``.../u/NAME[/...]``, ``.../users/NAME`` (older Discourse) or an
    avatar ``.../user_avatar/HOST/NAME/...``."""
    if not href or not _USER_PATH.search(href):
        return None
    parts = urlsplit(href).path.split("/")
    for i, part in enumerate(parts):
        skip = USER_SEGMENTS.get(part)
        if skip and i + skip < len(parts) and parts[i + skip]:
            return unquote(parts[i + skip]), "/".join(parts[i : i + skip]), parts[i + skip]
    return None


def _mention_name(href: str | None) -> str | None:
    """The username of a mention link's address ``/u/NAME`` (absolute or relative), or None."""
    found = _user_in_path(href)
    return found[0] if found else None


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


def _scrub_url(url: str, mention: Any) -> str:
    """A URL kept in the text without usernames: no share-link ``u=NAME``, and the NAME of a
    user address (``.../u/NAME``, ``.../users/NAME``, ``.../user_avatar/HOST/NAME/...``)
    pseudonymized."""
    url = _strip_share_user(url)
    user = _user_in_path(url.partition("?")[0].partition("#")[0])
    if user:
        name, before, segment = user
        url = url.replace(f"/{before}/{segment}", f"/{before}/{mention(name)}", 1)
    return url


def scrub_text(text: str, mention: Any) -> str:
    """Usernames out of plain text: raw BBCode quote headers, share-link ``u=`` parameters and
    user addresses (``/u/NAME``, ...) of the URLs."""
    if "[quote" in text.lower():
        text = _BBQUOTE.sub(lambda m: _bbcode_quote(m, mention), text)
    if "u=" in text or "/u" in text:
        text = _URL.sub(lambda m: _scrub_url(m.group(0), mention), text)
    return text


def _classes(attrs: list[tuple[str, str | None]]) -> set[str]:
    for name, value in attrs:
        if name == "class" and value:
            return set(value.split())
    return set()


def _is_preview(tag: str, cls: set[str]) -> bool:
    """A link preview or embed: a onebox (any generation, ``aside`` or ``div``), a lazy video
    (``lazyYT``, ``lazy-video-container``), a video player or an ``iframe``/``video``/``audio``.
    Not an inline onebox nor an ``a.onebox`` (links, kept as links)."""
    if tag in EMBED_TAGS:
        return True
    if tag == "a":
        return False
    return any(
        c in PREVIEW_CLASSES or (c.endswith("-onebox") and c != "inline-onebox") for c in cls
    )


def _preview_url(attrs: dict[str, str | None]) -> tuple[str | None, str | None]:
    """``(url, fallback)`` of a preview element: the URL it names itself, or else the URL of
    the video it names by id (used when no address is found inside it)."""
    for name in ("data-onebox-src", "data-video-src", "src"):
        value = (attrs.get(name) or "").strip()
        if value:
            return _absolute(value) or value, None
    video = attrs.get("data-youtube-id")
    if not video and (attrs.get("data-provider-name") or "").lower() == "youtube":
        video = attrs.get("data-video-id")
    return None, f"https://www.youtube.com/watch?v={video}" if video else None


def _absolute(href: str | None) -> str | None:
    """``href`` when it is an absolute web address (``http(s)://``, ``//host``), else None."""
    if not href:
        return None
    href = href.strip()
    if href.startswith("//"):
        return "https:" + href
    return href if _ABSOLUTE.match(href) else None


def _same_address(text: str, url: str) -> bool:
    """The link text is its address (maybe without scheme, ``www.``, a final ``/``)."""

    def norm(s: str) -> str:
        s = _SCHEME.sub("", unquote(s.strip()).lower())
        return s.rstrip("/")

    return norm(text) == norm(url)


def _emoji(attrs: dict[str, str | None]) -> str:
    """``:name:`` of an emoji image (its title or alt text, else its file name)."""
    name = (attrs.get("title") or attrs.get("alt") or "").strip().strip(":")
    if not name:
        name = urlsplit(attrs.get("src") or "").path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f":{name}:" if name else ""


class _Open:
    """An open element: its tag, classes, whether it starts skipping, and what it is."""

    __slots__ = ("tag", "cls", "skip", "kind", "url", "text", "fallback", "user")

    def __init__(self, tag: str, cls: set[str], skip: bool, kind: str = "") -> None:
        self.tag, self.cls, self.skip, self.kind = tag, cls, skip, kind
        self.url: str | None = None  # of a link or a preview
        self.text: list[str] = []  # a link's own text
        self.fallback: str | None = None  # a preview's URL when none is found inside it
        self.user: tuple[str, str] | None = None  # a link to a user's page: (name, pseudonym)


class _TextExtractor(HTMLParser):
    """Collects text: blocks as lines, ``<pre>`` verbatim, quotes marked, links with their
    targets, previews as their URL, noise elements skipped."""

    def __init__(self, mention: Any) -> None:
        super().__init__(convert_charrefs=True)
        self.mention = mention
        self.out: list[str] = []
        self.line: list[str] = []
        self.stack: list[_Open] = []
        self.skip = 0
        self.pre = 0
        self.quote = 0  # depth of quotes (blockquote elements)
        self.mute = 0  # inside an element whose own text is replaced (mention, inline onebox)
        self.links = 0  # open links (that collect their own text)
        self.counts: Counter[str] = Counter()

    def _emit(self, text: str) -> None:
        if self.quote:
            mark = "> " * self.quote
            text = "\n".join(mark + line if line else mark.rstrip() for line in text.split("\n"))
        self.out.append(text)

    def _flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.line)).strip()
        if text:
            self._emit(text)
        self.line = []

    def _in_quote_header(self, tag: str) -> bool:
        # directly in a quote, everything but the quoted text is its "NAME:" header
        top = self.stack[-1] if self.stack else None
        return top is not None and top.kind == "quote" and tag != "blockquote"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = _classes(attrs)
        if self.skip and tag in ("a", "iframe", "video", "source"):
            self._inside_skipped(tag, dict(attrs))
        preview = (bool(cls) or tag in EMBED_TAGS) and _is_preview(tag, cls)
        kind = "preview" if preview else ""
        if tag == "aside" and "quote" in cls:
            kind = "quote"
        skip = (
            tag in SKIP_TAGS
            or preview
            or self._in_quote_header(tag)
            or (tag == "div" and "meta" in cls)
            or (
                tag == "div"
                and ("title" in cls or "quote-controls" in cls)
                and any(o.kind == "quote" for o in self.stack)
            )
        )
        if tag == "img" and "emoji" in cls and not self.skip and not self.mute:
            self._add(_emoji(dict(attrs)))
            self.counts["emoji"] += 1
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
        if tag == "blockquote" and not self.skip and not self.pre:
            self.quote += 1
            kind = kind or "blockquote"
            if self.stack and self.stack[-1].kind == "quote" and self.stack[-1].url:
                self._emit(self.stack[-1].url)  # the quoted topic, from the quote's header
                self.counts["quote sources"] += 1
        node = _Open(tag, cls, skip, kind)
        if preview and not self.skip:
            node.url, node.fallback = _preview_url(dict(attrs))
        if tag == "a" and not self.skip:
            self._open_link(node, dict(attrs))
        self.stack.append(node)
        if skip:
            self.skip += 1

    def _inside_skipped(self, tag: str, attrs: dict[str, str | None]) -> None:
        """The first address inside a preview that did not name its URL (the outermost
        preview: the one that gives the URL), or the link of a quote's header (the quoted
        topic, when another topic is quoted)."""
        for i, node in enumerate(self.stack):
            if node.skip:  # the outermost element skipped
                if node.kind == "preview":
                    target = node
                elif i and self.stack[i - 1].kind == "quote" and tag == "a":
                    target = self.stack[i - 1]
                else:
                    return
                if target.url is None:
                    target.url = _absolute(attrs.get("href" if tag == "a" else "src"))
                return

    def _open_link(self, node: _Open, attrs: dict[str, str | None]) -> None:
        href = attrs.get("href")
        if "mention" in node.cls:
            node.kind = "mention"
            if not self.mute:
                name = _mention_name(href)
                if name:
                    self.line.append("@" + self.mention(name))
                    node.kind = "named mention"  # its own text is dropped
            self.mute += 1
            return
        if self.pre or self.mute:
            return
        node.kind = "link"
        self.links += 1
        user = _user_in_path(href)
        if user:  # a link to a user's page (or avatar): the name in its text too
            node.user = (user[0], self.mention(user[0]))
        node.url = _absolute(href)
        if node.url and "inline-onebox" in node.cls:
            node.kind = "inline onebox"  # a title the server fetched: the URL alone
            self.mute += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        # close up to the matching open tag (tolerates unclosed inner tags)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                break
        else:
            return
        while len(self.stack) > i:
            self._close(self.stack.pop())

    def _close(self, node: _Open) -> None:
        if node.skip:
            self.skip -= 1
        if self.skip:
            return
        if node.kind == "preview":
            self._flush()
            url = node.url or node.fallback  # an address found inside, else the video's
            if url:
                self._emit(url)
                self.counts["previews"] += 1
            else:
                self.counts["previews without URL"] += 1
        elif node.tag == "pre" and self.pre:
            self.pre -= 1
            code = "".join(self.line).strip("\n")
            self.line = []
            if code.strip():
                self._emit(code)
        elif node.kind in ("mention", "named mention"):
            self.mute -= 1
        elif node.kind == "inline onebox":
            self.mute -= 1
            self.line.append(node.url or "")
            self.counts["previews"] += 1
        elif node.kind == "link":
            self.links -= 1
            self._close_link(node)
        elif node.tag in BLOCK_TAGS and not self.pre:
            self._flush()
            if node.kind == "blockquote":
                self.quote -= 1

    def _close_link(self, node: _Open) -> None:
        """``text (url)`` for a web link whose text is not its address; the URL alone for a
        link without text (but an image's lightbox)."""
        if not node.url:
            return
        text = _SPACES.sub(" ", "".join(node.text)).strip()
        if not text:
            if "lightbox" not in node.cls:
                self.line.append(" " + node.url + " ")
                self.counts["links kept"] += 1
        elif not _same_address(text, node.url):
            self.line.append(" (" + node.url + ")")
            self.counts["links kept"] += 1
        else:
            self.counts["links as typed"] += 1

    def _add(self, data: str) -> None:
        """Text of the line (and of the links it is in)."""
        for node in self.stack if self.links else ():
            if node.kind == "link":
                if node.user:
                    name = r"(?<!\w)" + re.escape(node.user[0]) + r"(?!\w)"
                    data = re.sub(name, node.user[1], data, flags=re.IGNORECASE)
                node.text.append(data)
        self.line.append(data)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.stack and self.stack[-1].kind == "quote":
            return  # text directly in a quote: its header
        if self.mute:
            if any(o.kind in ("named mention", "inline onebox") for o in self.stack):
                return  # the mention's name came from its address; an onebox's title
            data = _MENTION.sub(lambda m: "@" + self.mention(m.group(1)), data)
        self._add(data)

    def text(self) -> str:
        while self.stack:  # elements left open: closed as at their end tag
            self._close(self.stack.pop())
        self._flush()
        return "\n".join(self.out)


def html_to_text(
    html: str | None,
    mention: Any = None,
    usernames: Iterable[str] = (),
    counts: Counter[str] | None = None,
) -> str:
    """Plain text of a post's ``cooked`` HTML.

    ``mention(username) -> str`` replaces the names of ``@mention`` links, taken from the link's
    ``/u/NAME`` address (default: keep). ``@name`` written in plain text is replaced too when
    ``name`` is one of ``usernames`` (case-insensitive). The names of raw BBCode
    ``[quote="NAME, ..."]`` headers and of user addresses ``/u/NAME`` are replaced, and share
    links lose their ``u=NAME``. ``counts`` (optional) adds up the links kept with their
    target, the previews reduced to their URL and the emoji.
    """
    if not html:
        return ""
    mention = mention or (lambda name: name)
    parser = _TextExtractor(mention)
    parser.feed(html)
    parser.close()
    text = parser.text()
    if counts is not None:
        counts.update(parser.counts)
    text = known_mentions(text, mention, usernames)
    return scrub_text(text, mention)


def known_mentions(text: str, mention: Any, usernames: Iterable[str]) -> str:
    """``text`` with ``@name`` replaced by ``@`` + ``mention(name)`` where ``name`` is one of
    ``usernames`` (case-insensitive)."""
    known = {u.lower() for u in usernames}
    if not known or "@" not in text:
        return text
    return _MENTION.sub(
        lambda m: "@" + mention(m.group(1)) if m.group(1).lower() in known else m.group(0), text
    )


# --- rows ------------------------------------------------------------------------------------


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
    parents: dict[int, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One topic row and its post rows from a stored topic record (status 200).

    ``parents`` maps a category id to the name of its top-level category (a subcategory rolls
    up into it; a top-level category is its own), by default ``categories``."""
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
        # a title naming a poster ("... @name") names them by pseudonym, as the posts do
        "title": known_mentions(_text(pick("title"), where, "title"), pseudo, usernames),
        "slug": _text(pick("slug"), where, "slug"),
        "category_id": category_id,
        "category": categories.get(category_id) if category_id is not None else None,
        "parent_category": (
            (parents if parents is not None else categories).get(category_id)
            if category_id is not None
            else None
        ),
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
    text = html_to_text(_text(post.get("cooked"), pw, "cooked"), pseudo, usernames)
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
    cats = category_rows(raw.read_page(cat_file), str(cat_file))
    return cats, {c["category_id"]: c["name"] for c in cats}


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
    cats, names = _category_names(forum_dir)
    parents = top_category_names(cats)
    pseudo = Pseudonymizer(key if key is not None else raw.load_or_create_key(forum_dir))
    groups = frozenset(g.lower() for g in staff_groups)
    topics: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    with gc_paused():  # many row dicts: the collector would make this superlinear
        for rec in raw.iter_records(forum_dir, sorted(set(topic_ids))):
            if rec["status"] != 200:
                continue
            where = str(raw.topic_path(forum_dir, rec["topic_id"]))
            row, prow = parse_record(rec, names, pseudo, groups, where, parents)
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
