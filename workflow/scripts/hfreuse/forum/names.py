"""Forum usernames out of text: keyed pseudonyms and every place a name can stand.

Authors are keyed pseudonyms (:func:`hfreuse.forum.raw.pseudonym`), and so is every username the
text holds where it is recognisable:

* in the markup (:mod:`hfreuse.forum.text`): ``@mention`` links (by the ``/u/NAME`` address),
  unlinked mentions ``<span class="mention">@name</span>``, links to a user's page;
* in the plain text (:func:`scrub_text`): raw BBCode ``[quote="NAME, post:3, topic:123"]``
  headers, user addresses ``.../u/NAME`` (and ``/users/NAME``, avatars), share links' ``u=NAME``;
* as a word (:class:`NameScrubber`): every username the snapshot knows
  (:func:`snapshot_usernames`: authors, participants, mentioned users, ``reply_to_user``,
  accepted-answer users, listing users, unlinked mentions) wherever it stands as a whole word
  (case-insensitive; a word is a run of letters, digits, ``_``, ``.`` and ``-``), in posts and
  titles.

Names that are also ordinary words. A username shorter than :data:`MIN_FREE_NAME` characters, one
made of digits only, or one in :data:`COMMON_WORDS` (common English and forum words, Hub model
types and other model and library names: ``thanks``, ``model``, ``bert``, ``gpt2``, ...) is
replaced only in a name position: after ``@``, after a greeting or thanks (``Hi NAME``,
``Thanks, NAME!``, ``cc NAME``; not a word of the phrase, :data:`PHRASE_WORDS`: "Hi all", "Thanks
for") and as a home folder of a file path (``C:\\Users\\NAME\\``, ``/home/NAME/``,
``/Users/NAME/``). Every other known name is replaced anywhere it stands as a
word, in web addresses too (``github.com/NAME/repo``, ``huggingface.co/NAME/model``: the same
person's handle elsewhere). So a user called ``bert`` does not turn the model type "bert" into a
pseudonym, and the mention matcher (which matches model types) still sees every model name.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import raw as raw

log = logging.getLogger(__name__)

Mention = Callable[[str], str]

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)")
# a raw BBCode quote header: [quote="NAME, post:3, topic:123"] (fields after the name optional;
# newer Discourse writes "Full Name, post:3, topic:123, username:NAME")
_BBQUOTE = re.compile(r'\[quote=["\u201c]?([^\]\n"\u201d]*)["\u201d]?\]', re.IGNORECASE)
# a URL kept in the text (and relative topic and user addresses)
_URL = re.compile(r"(?:https?://|(?<![^\s(\[<\"'])/[tu]/)[^\s<>\"')]+", re.IGNORECASE)
# the share-link parameter u=NAME of a URL kept in the text (after ? or &)
_SHARE_USER = re.compile(r"([?&])u=(?:[\w.%-]*[\w%])?(&?)")
# path segments followed by a username (after how many segments): /u/NAME, /users/NAME,
# /user_avatar/HOST/NAME/48/1_2.png
USER_SEGMENTS = {"u": 1, "users": 1, "user_avatar": 2}
_USER_PATH = re.compile(r"/(?:u|users|user_avatar)/")
# an unlinked mention in cooked HTML (a name Discourse could not link)
SPAN_MENTION = re.compile(r'<span class="mention">@([^<\s]+)</span>')

# --- names as words --------------------------------------------------------------------------

MIN_FREE_NAME = 4
# a word: letters, digits, "_", "." and "-", starting and ending with a letter or digit
_WORD = re.compile(r"\w(?:[\w.-]*\w)?")
# what stands right before a name in a name position (checked on the text before the word)
_NAME_BEFORE = re.compile(
    r"(?:@|\b(?:thanks|thank\s+you|thx|ty|cheers|hi|hello|hey|dear|welcome|cc|ping)"
    r"[\s,:!]*\s|[\\/](?:users|home)[\\/])$",
    re.IGNORECASE,
)
_BEFORE_CHARS = 24
# words that go on a greeting or thanks ("Hi all", "Thanks for", "Thanks again"): after one, a
# user called so is not meant (after "@" and in a path it is)
PHRASE_WORDS = frozenset(
    "a again all and anyway everybody everyone folks for friends guys in much so the there to"
    " very you".split()
)
COMMON_WORDS = frozenset(
    word
    for line in Path(__file__).with_name("common_words.txt").read_text(encoding="utf-8").split("\n")
    if not line.startswith("#")
    for word in line.split()
)


def free_name(name: str) -> bool:
    """Whether a (lower-case) username is replaced anywhere, not only in a name position: long
    enough, not only digits, and not an ordinary word or model name."""
    return (
        len(name) >= MIN_FREE_NAME
        and not name.replace(".", "").replace("-", "").replace("_", "").isdigit()
        and name not in COMMON_WORDS
        and name not in PHRASE_WORDS
    )


class NameScrubber:
    """Replaces known usernames standing as words by their pseudonyms (one pass over the words
    of a text, one set lookup per word; no regular expression per user)."""

    def __init__(self, usernames: Iterable[str], mention: Mention) -> None:
        self.known = frozenset(u.lower() for u in usernames if u and u.strip())
        self.free = frozenset(n for n in self.known if free_name(n))
        self.mention = mention

    def __call__(self, text: str) -> str:
        if not text or not self.known:
            return text
        if not self.known.intersection(w.lower() for w in _WORD.findall(text)):
            return text
        return _WORD.sub(lambda m: self._word(m, text), text)

    def _word(self, m: re.Match[str], text: str) -> str:
        word = m.group(0)
        low = word.lower()
        if low not in self.known:
            return word
        if low in self.free:
            return self.mention(word)
        start = m.start()
        before = _NAME_BEFORE.search(text, max(0, start - _BEFORE_CHARS), start)
        if before is None or (before.group(0)[-1].isspace() and low in PHRASE_WORDS):
            return word
        return self.mention(word)


# --- names in markup and addresses -----------------------------------------------------------


def user_in_path(href: str | None) -> tuple[str, str, str] | None:
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


def mention_name(href: str | None) -> str | None:
    """The username of a mention link's address ``/u/NAME`` (absolute or relative), or None."""
    found = user_in_path(href)
    return found[0] if found else None


def _bbcode_quote(match: re.Match[str], mention: Mention) -> str:
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


def _scrub_url(url: str, mention: Mention) -> str:
    """A URL kept in the text without usernames: no share-link ``u=NAME``, and the NAME of a
    user address (``.../u/NAME``, ``.../users/NAME``, ``.../user_avatar/HOST/NAME/...``)
    pseudonymized."""
    url = _strip_share_user(url)
    user = user_in_path(url.partition("?")[0].partition("#")[0])
    if user:
        name, before, segment = user
        url = url.replace(f"/{before}/{segment}", f"/{before}/{mention(name)}", 1)
    return url


def scrub_text(text: str, mention: Mention) -> str:
    """Usernames out of plain text: raw BBCode quote headers, share-link ``u=`` parameters and
    user addresses (``/u/NAME``, ...) of the URLs."""
    if "[quote" in text.lower():
        text = _BBQUOTE.sub(lambda m: _bbcode_quote(m, mention), text)
    if "u=" in text or "/u" in text:
        text = _URL.sub(lambda m: _scrub_url(m.group(0), mention), text)
    return text


def known_mentions(text: str, mention: Mention, usernames: Iterable[str]) -> str:
    """``text`` with ``@name`` replaced by ``@`` + ``mention(name)`` where ``name`` is one of
    ``usernames`` (case-insensitive)."""
    known = {u.lower() for u in usernames}
    if not known or "@" not in text:
        return text
    return MENTION.sub(
        lambda m: "@" + mention(m.group(1)) if m.group(1).lower() in known else m.group(0), text
    )


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


# --- the usernames a snapshot knows ----------------------------------------------------------


def _user_names(value: Any) -> Iterable[str]:
    """The ``username`` of a user object, or of each of a list of them."""
    for user in value if isinstance(value, list) else [value]:
        if isinstance(user, dict) and isinstance(user.get("username"), str):
            yield user["username"]


def record_usernames(rec: dict[str, Any]) -> set[str]:
    """Every username a stored topic record holds: authors, ``reply_to_user``, mentioned users,
    unlinked mentions, the topic's participants, creator, last poster and accepted answer."""
    names: set[str] = set()
    topic = rec.get("topic") if rec.get("status") == 200 else None
    if not isinstance(topic, dict):
        return names
    for post in raw.record_posts(rec):
        if isinstance(post.get("username"), str):
            names.add(post["username"])
        names.update(_user_names(post.get("reply_to_user")))
        names.update(_user_names(post.get("mentioned_users")))
        cooked = post.get("cooked")
        if isinstance(cooked, str) and 'class="mention"' in cooked:
            names.update(m.group(1) for m in SPAN_MENTION.finditer(cooked))
    details = topic.get("details")
    if isinstance(details, dict):
        for field in ("created_by", "last_poster", "participants"):
            names.update(_user_names(details.get(field)))
    names.update(_user_names(topic.get("accepted_answer")))
    listed = rec.get("listed")
    if isinstance(listed, dict) and isinstance(listed.get("last_poster_username"), str):
        names.add(listed["last_poster_username"])
    return {n for n in names if n.strip()}


def listing_usernames(forum_dir: str | Path) -> set[str]:
    """The usernames of the stored listing pages (their ``users`` and last posters)."""
    names: set[str] = set()
    pages = raw.list_pages(forum_dir, "page") + raw.list_pages(forum_dir, "catchup")
    for page in pages + raw.list_category_pages(forum_dir):
        doc = raw.read_page(page)
        if not isinstance(doc, dict):
            continue
        names.update(_user_names(doc.get("users")))
        for entry in raw.page_topics(doc, str(page)):
            if isinstance(entry.get("last_poster_username"), str):
                names.add(entry["last_poster_username"])
    return {n for n in names if n.strip()}


def collect_usernames(forum_dir: str | Path, topic_ids: Iterable[int]) -> list[str]:
    """Every username of the listing and of the records of ``topic_ids``, lower case, sorted."""
    names = listing_usernames(forum_dir)
    for rec in raw.iter_records(forum_dir, topic_ids):
        names.update(record_usernames(rec))
    return sorted({n.strip().lower() for n in names})


def usernames_path(forum_dir: str | Path) -> Path:
    """The snapshot's username index (beside the raw snapshot, like its key; never published)."""
    return Path(forum_dir) / ".usernames.json.gz"


def snapshot_usernames(forum_dir: str | Path, topic_ids: list[int]) -> frozenset[str]:
    """Every username the complete snapshot knows (lower case), for ``topic_ids`` its listed
    topics: built once per snapshot by the first parse shard (under a lock) and kept in
    :func:`usernames_path`, stamped with the manifest (a rewritten snapshot rebuilds it)."""
    forum_dir = Path(forum_dir)
    manifest = raw.manifest_path(forum_dir)
    # the manifest's bytes and time: a rewritten snapshot (a new crawl, a regenerated demo)
    # rewrites its manifest
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    stamp = f"{digest}:{manifest.stat().st_mtime_ns}"
    path = usernames_path(forum_dir)
    try:
        lock = open(forum_dir / ".usernames.lock", "a")  # noqa: SIM115 (held below)
    except OSError as exc:  # a read-only snapshot: no index kept, every shard reads the names
        log.warning("%s: cannot keep the username index (%s); collecting the names", path, exc)
        return frozenset(collect_usernames(forum_dir, topic_ids))
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = _read_index(path, stamp)
        if cached is not None:
            return cached
        names = collect_usernames(forum_dir, topic_ids)
        raw.write_json_gz(path, {"manifest": stamp, "usernames": names})
        log.info("indexed the %d usernames of the snapshot in %s", len(names), path)
        return frozenset(names)


def _read_index(path: Path, stamp: str) -> frozenset[str] | None:
    """The usernames of the index at ``path`` if it belongs to the snapshot ``stamp``."""
    if not path.exists():
        return None
    try:
        doc = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError):
        log.warning("%s: damaged username index, rebuilt", path)
        return None
    if not isinstance(doc, dict) or doc.get("manifest") != stamp:
        return None
    names = doc.get("usernames")
    return frozenset(names) if isinstance(names, list) else None
