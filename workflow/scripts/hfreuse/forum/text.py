"""Discourse's ``cooked`` HTML -> plain text (standard library ``html.parser``), keeping what
RQ3 needs (model names are often only in a link's address):

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
* emoji images become their ``:name:``; image metadata is dropped;
* usernames the markup shows become pseudonyms (``mention``): ``@mention`` links (by the name in
  their ``/u/NAME`` address), unlinked mentions ``<span class="mention">@name</span>``, the name
  in the text of a link to a user's page; then the plain text's (:mod:`hfreuse.forum.names`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

from .names import MENTION, known_mentions, mention_name, scrub_text, user_in_path

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
_ABSOLUTE = re.compile(r"https?://[^\s/]", re.IGNORECASE)
_SCHEME = re.compile(r"^(?:https?:)?//(?:www\.)?")
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

    def _skips(self, tag: str, cls: set[str]) -> bool:
        """Whether an element's content is left out: scripts and styles, a quote's header,
        image metadata."""
        return (
            tag in SKIP_TAGS
            or self._in_quote_header(tag)
            or (tag == "div" and "meta" in cls)
            or (
                tag == "div"
                and ("title" in cls or "quote-controls" in cls)
                and any(o.kind == "quote" for o in self.stack)
            )
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = _classes(attrs)
        if self.skip and tag in ("a", "iframe", "video", "source"):
            self._inside_skipped(tag, dict(attrs))
        preview = (bool(cls) or tag in EMBED_TAGS) and _is_preview(tag, cls)
        kind = "preview" if preview else ""
        if tag == "aside" and "quote" in cls:
            kind = "quote"
        skip = preview or self._skips(tag, cls)
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
        elif tag == "span" and "mention" in cls and not self.skip:
            node.kind = "mention"  # an unlinked mention: its "@name" text is pseudonymized
            self.mute += 1
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
                name = mention_name(href)
                if name:
                    self.line.append("@" + self.mention(name))
                    node.kind = "named mention"  # its own text is dropped
            self.mute += 1
            return
        if self.pre or self.mute:
            return
        node.kind = "link"
        self.links += 1
        user = user_in_path(href)
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
            data = MENTION.sub(lambda m: "@" + self.mention(m.group(1)), data)
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
