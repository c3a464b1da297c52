"""Model mentions in forum topics (RQ3): which model types a topic talks about.

Names
    The model types seen on the Hub (``config.model_type``: ``bert``, ``gpt2``, ``xlm-roberta``,
    ...) plus an alias table (``workflow/resources/model_aliases.csv``: "XLM-R" for
    ``xlm-roberta``, "wav2vec 2.0" for ``wav2vec2``, "distilgpt2" for ``gpt2``, ...). Aliases of
    model types that are not on the Hub are ignored.

Spelling
    Matching is case-insensitive. Inside a name, ``-``, ``_`` and a space are interchangeable and
    optional where the name has one, and between a letter and a digit: ``gpt2`` matches "GPT-2",
    "gpt 2" and "GPT2"; ``xlm-roberta`` matches "XLM-RoBERTa" and "xlm_roberta". Other punctuation
    of an alias is literal ("wav2vec 2.0").

Word boundaries
    A name must not be preceded or followed by a letter or digit, so ``distilbert`` is not
    ``bert`` and "optimizer" is not ``opt``. ``-``, ``_``, ``/``, ``.`` and spaces are boundaries,
    so "bert-base-uncased" and "google/flan-t5-xl" are mentions. Where two names overlap, the
    leftmost, then the longest wins: "xlm-roberta-base" is ``xlm-roberta`` only, not ``roberta``.
    transformers class names count too: a name directly followed by a class suffix
    (``CLASS_SUFFIXES``: "Model", "For...", "Tokenizer", "LMHead", "Processor", ...), optionally
    prefixed by "TF" or "Flax" ("BertForSequenceClassification", "TFGPT2LMHeadModel"), and so
    does a name with a parameter count glued on ("Mistral7b", "llama13b").

Not a mention (:func:`place`, :func:`in_code_statement`; general rules, measured on the
labelled real posts of ``tests/fixtures/mentions``)
    A name inside a whitespace-delimited token that is a web address (``scheme://``, ``www.``,
    ``host.tld/``), except the repository of a Hub or GitHub address
    (``huggingface.co/<owner>/<repo>``, the older ``huggingface.co/<repo>``, ``hf.co``,
    ``github.com/<owner>/<repo>``: it names a model, and counts as written as a model
    identifier); Discourse's shortened link text (a web address cut with "…", whose full
    address follows in parentheses: "play.google.com/store/apps/deta…"); a file path (starting
    with ``/``, ``./``, ``~/``, a drive, with a backslash, ending with ``/``, or more than three
    segments) or a file name with a known extension ("modeling_bert.py", "llama.cpp"); a dotted
    module path ("transformers.models.bert.modeling_bert"); a bare name (not in quotes, not a
    class, checkpoint or Hub path) in a line of code that is an assignment or a call: a
    variable ("t5 = time.time()", "print(t6 - t5)"). "owner/name" and "BERT/RoBERTa" still
    count.

Ambiguous names
    Spellings that are also common words (config ``mentions.ambiguous``: opt, clip, git, led,
    sam, ...; "Segment Anything" for ``sam`` is not ambiguous) count only when corroborated, by
    this rule: the occurrence (1) is written as a model
    identifier: a class name ("OPTForCausalLM", "WhisperProcessor"), a checkpoint name with a
    size or variant suffix (``VARIANT_SUFFIX``: "opt-1.3b", "whisper-large-v2",
    "clip-vit-base-patch32", "sam-vit-huge", "git-base") or a Hub path "owner/name"
    ("openai/whisper", but not "/usr/bin/git"); or
    (2) in the same post (or title), the next word after it, skipping size/variant words
    (``MODIFIER``: "large", "v2", "1.3b", "text", "vision", ...), is one of
    ``mentions.context_after`` ("OPT model", "the CLIP text encoder", "the Whisper API"), or
    the previous word, skipping articles, is one of ``mentions.context_before`` ("fine-tuned
    Whisper"). Once one occurrence in a topic is corroborated, every occurrence of that model
    type in the topic is (one sense per discourse: :meth:`MentionMatcher.accepted`); a topic
    counts once per type either way.

Hub addresses
    A Hub model address in the text (``huggingface.co/<org>/<model>``, the older
    ``huggingface.co/<model>``, also ``hf.co``, with or without scheme, and whatever follows:
    ``/blob/main/config.json``, ``/tree/...``) names the model itself: when the Hub snapshot
    knows that model (case-insensitive id), the topic mentions the model's type, whatever its
    name says ("huggingface.co/sentence-transformers/all-MiniLM-L6-v2" is ``bert``) and without
    the context rule. An address of a model the snapshot does not know adds nothing beyond the
    names in its repository part ("huggingface.co/someone/bert-ner" is ``bert``; see "Not a
    mention"). (The forum text keeps link targets, so a model that is only linked counts.)

Counting
    A topic mentions a model type if its title or any of its posts does; each topic counts once
    per model type, in the month the topic was created.

Speed
    All names are compiled into ONE regular expression (a trie of the names, so that the engine
    tries a handful of branches per word start), run once over each topic. :class:`NaiveMatcher`
    is the reference implementation with one regex per name (the benchmark's baseline); both give
    the same matches by construction and by test.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import months
from ..errors import InputError
from ..months import month_range
from .mention_places import UNIT_SEP, in_code_statement, place

log = logging.getLogger(__name__)

# a gap inside a name: nothing, one optional separator, or literal punctuation of an alias
FLEX = "[-_ ]?"
# transformers class-name suffixes that may directly follow a name (lower case)
CLASS_SUFFIXES = (
    "for",  # BertForMaskedLM, OPTForCausalLM (followed by a letter)
    "model",
    "lmhead",
    "pretrained",
    "tokenizer",
    "ctctokenizer",
    "processor",
    "featureextractor",
    "imageprocessor",
    "textmodel",
    "visionmodel",
    "encodermodel",
    "withlmhead",
    "mtmodel",
)
_SUFFIX_RE = "|".join(
    ("for[a-z]" if s == "for" else re.escape(s))
    for s in sorted(CLASS_SUFFIXES, key=lambda s: (-len(s), s))
)
# a name joined to a size or variant: opt-1.3b, whisper-large-v2, clip-vit-b-32, sam-vit-h
VARIANT_SUFFIX = re.compile(
    r"[-_](?:\d|base|large|small|tiny|medium|huge|mini|xl|xxl|vit|iml|v\d|rn\d)"
)
# words that may stand between an ambiguous name and its context word ("Whisper large-v2 model")
MODIFIER = re.compile(
    r"(?:\d[\d.]*[a-z]?|v\d[\d.]*|base|large|small|tiny|medium|huge|mini|xl|xxl|vit|en|"
    r"text|vision|image|audio|speech|video|multilingual|patch\d+|[bhlm]|\d+[bkm])"
)
# a Hub path "owner/name": the owner stands alone (or right after huggingface.co/, github.com/),
# so "/usr/bin/git" is not one; the name ends the path ("openai/whisper", not "openai/whisper/x")
HUB_PATH_OWNER = re.compile(
    r"(?:^|[\s\"'(\[<=,]|huggingface\.co/|github\.com/)[a-z0-9][a-z0-9_.-]*/$"
)
HUB_PATH_END = re.compile(r"(?:[\s)\]'\",;:!?]|\.(?![a-z0-9]))")
# a Hub address: huggingface.co/<org>/<model> or huggingface.co/<model> (lower-case text)
HUB_URL = re.compile(
    r"(?<![a-z0-9.-])(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/"
    r"([a-z0-9][a-z0-9_.-]*)(?:/([a-z0-9][a-z0-9_.-]*))?"
)
ARTICLES = frozenset({"the", "a", "an", "my", "our", "your", "their", "this", "that", "its"})
WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*[a-z]?")
CONTEXT_CHARS = 120


def skeleton(name: str) -> str:
    """A name reduced to lower-case letters and digits: the key that identifies it."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _gaps(name: str) -> list[tuple[str, str]]:
    """``name`` as (gap before the character, character) pairs; gap is '', FLEX or literal."""
    parts = re.findall(r"[a-z0-9]+|[^a-z0-9]+", name.lower().strip())
    out: list[tuple[str, str]] = []
    pending = ""
    for part in parts:
        if not part[0].isalnum():
            pending = FLEX if set(part) <= set("-_ ") else re.escape(part.strip())
            continue
        for i, ch in enumerate(part):
            if i == 0:
                gap = pending if out else ""
            else:
                gap = FLEX if part[i - 1].isdigit() != ch.isdigit() else ""
            out.append((gap, ch))
        pending = ""
    return out


def _wrap(body: str) -> str:
    """The common frame of the one-pass and per-name patterns: boundaries, prefix, suffix."""
    return (
        r"[^a-z0-9](?P<tf>tf|flax)?(?P<name>"
        + body
        + r")(?:(?P<cls>"
        + _SUFFIX_RE
        + r")|(?P<size>\d+(?:\.\d+)?[bm])(?![a-z0-9])|(?![a-z0-9]))"
    )


@dataclass
class _Node:
    # (gap kind, character) -> child; gap kind is "sep" (nothing or an optional separator) or
    # the escaped literal punctuation of an alias
    children: dict[tuple[str, str], _Node] = field(default_factory=dict)
    flex: dict[tuple[str, str], bool] = field(default_factory=dict)
    terminal: bool = False

    def edge_regex(self, key: tuple[str, str]) -> str:
        kind, ch = key
        gap = kind if kind != "sep" else (FLEX if self.flex[key] else "")
        return gap + re.escape(ch)


def _edge_key(gap: str, ch: str) -> tuple[str, str]:
    return ("sep" if gap in ("", FLEX) else gap, ch)


def _trie_regex(node: _Node) -> str:
    alts = [node.edge_regex(key) + _trie_regex(child) for key, child in node.children.items()]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if node.terminal:
        # greedy optional: the longest name is tried first, shorter ones on backtracking
        return "(?:" + body + ")?" if len(alts) == 1 else body + "?"
    return body


def load_aliases(path: str | Path) -> pd.DataFrame:
    """The alias table: CSV with columns alias, model_type, note ('#' starts a comment line)."""
    path = Path(path)
    try:
        df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: expected a CSV alias table: {exc}") from exc
    missing = {"alias", "model_type"} - set(df.columns)
    if missing:
        raise InputError(f"{path}: expected columns alias, model_type (missing {sorted(missing)})")
    df = df.assign(alias=df["alias"].str.strip(), model_type=df["model_type"].str.strip())
    for row, (alias, mtype) in enumerate(zip(df["alias"], df["model_type"], strict=True), 2):
        if not skeleton(alias) or not skeleton(mtype):
            raise InputError(f"{path}, row {row}: alias and model_type must contain letters")
    dup = df[df.duplicated("alias", keep=False)]
    if len(dup):
        raise InputError(f"{path}: alias {dup['alias'].iloc[0]!r} is listed twice")
    return df[["alias", "model_type"]].reset_index(drop=True)


@dataclass(frozen=True)
class Match:
    model_type: str
    start: int  # of the name in the (lower-case, padded) text
    end: int
    strong: bool  # written as a model identifier (class name, checkpoint, Hub path)
    ambiguous: bool  # spelled like one of the ambiguous words


class MentionMatcher:
    """All names in one compiled pattern; :meth:`topic_types` gives a topic's model types.

    ``names`` are model types in priority order (when two types reduce to the same letters and
    digits, e.g. ``xlm-roberta`` and ``xlm_roberta``, mentions go to the first); ``aliases``
    maps alias -> model type (aliases of types not in ``names`` are ignored); ``hub_models``
    maps Hub model id -> model type (models of types not in ``names`` are ignored).
    """

    def __init__(
        self,
        names: Sequence[str],
        aliases: dict[str, str] | None = None,
        ambiguous: Iterable[str] = (),
        context_after: Iterable[str] = (),
        context_before: Iterable[str] = (),
        hub_models: Mapping[str, str] | None = None,
    ) -> None:
        self.types = sorted({str(n) for n in names if skeleton(str(n))})
        self.by_skeleton: dict[str, str] = {}
        spellings: dict[str, str] = {}  # spelling -> model type
        for name in names:
            key = skeleton(str(name))
            if not key:
                continue
            if key in self.by_skeleton and self.by_skeleton[key] != name:
                log.warning(
                    "model types %r and %r are spelled alike: mentions go to %r",
                    self.by_skeleton[key],
                    name,
                    self.by_skeleton[key],
                )
                continue
            self.by_skeleton[key] = str(name)
            spellings[str(name).lower()] = str(name)
        known = set(self.by_skeleton.values())
        for alias, mtype in sorted((aliases or {}).items()):
            if mtype not in known:
                continue
            key = skeleton(alias)
            if self.by_skeleton.get(key, mtype) != mtype:
                raise InputError(
                    f"alias {alias!r} -> {mtype!r} is spelled like model type "
                    f"{self.by_skeleton[key]!r}: remove it from the alias table"
                )
            self.by_skeleton[key] = mtype
            spellings[alias.lower()] = mtype
        self.spellings = dict(sorted(spellings.items()))
        # ambiguity belongs to a spelling: "sam" is ambiguous, "Segment Anything" is not
        self.ambiguous = frozenset(skeleton(a) for a in ambiguous)
        self.context_after = frozenset(skeleton(w) for w in context_after)
        self.context_before = frozenset(skeleton(w) for w in context_before)
        self.root = self._trie()
        self.pattern = re.compile(_wrap(_trie_regex(self.root))) if self.root.children else None
        # Hub model id (lower case) -> model type, for the types of this run (look-alikes
        # resolved like their names)
        self.hub_models: dict[str, str] = {}
        for model_id, mtype in (hub_models or {}).items():
            if isinstance(model_id, str) and isinstance(mtype, str):
                resolved = self.by_skeleton.get(skeleton(mtype))
                if resolved is not None and skeleton(resolved) == skeleton(mtype):
                    self.hub_models[model_id.lower()] = resolved

    def _trie(self) -> _Node:
        """The trie of all spellings; where any spelling allows a separator, every spelling
        through the same edge does, so sibling branches never match the same text."""
        root = _Node()
        for spelling in self.spellings:
            node = root
            for gap, ch in _gaps(spelling):
                key = _edge_key(gap, ch)
                node.flex[key] = node.flex.get(key, False) or gap == FLEX
                node = node.children.setdefault(key, _Node())
            node.terminal = True
        return root

    def spelling_regex(self, spelling: str) -> str:
        """The regex of one spelling as the trie resolves it (without boundaries)."""
        node, parts = self.root, []
        for gap, ch in _gaps(spelling):
            key = _edge_key(gap, ch)
            parts.append(node.edge_regex(key))
            node = node.children[key]
        return "".join(parts)

    # -- matching -------------------------------------------------------------------------
    @staticmethod
    def prepare(units: Iterable[str | None]) -> str:
        """The lower-case text of a topic (title and posts), padded, units kept apart."""
        texts = (u if isinstance(u, str) else "" for u in units)  # None, NaN: empty
        return " " + f" {UNIT_SEP} ".join(texts).lower() + " "

    def _match(self, text: str, m: re.Match) -> Match | None:
        mtype = self.by_skeleton.get(skeleton(m.group("name")))
        if mtype is None:  # cannot happen: every spelling is in the table
            raise AssertionError(m.group("name"))
        cls = m.group("cls") is not None
        if m.group("tf") and not cls:
            return None  # "tf"/"flax" glued to a name is only a class-name prefix
        start, end = m.start("name"), m.end("name")
        strong = (
            cls
            or m.group("size") is not None
            or VARIANT_SUFFIX.match(text, end) is not None
            or (
                text[start - 1] == "/"
                and HUB_PATH_END.match(text, end) is not None
                and HUB_PATH_OWNER.search(text, max(0, start - 80), start) is not None
            )
        )
        where = place(text, start, end)
        if where == "other" or (not strong and not where and in_code_statement(text, start, end)):
            return None
        strong = strong or where == "repo"
        return Match(mtype, start, end, strong, skeleton(m.group("name")) in self.ambiguous)

    def matches(self, text: str) -> list[Match]:
        """Every match in a prepared text (leftmost, then longest; before the context rule)."""
        if self.pattern is None:
            return []
        out = []
        for m in self.pattern.finditer(text):
            hit = self._match(text, m)
            if hit is not None:
                out.append(hit)
        return out

    def corroborated(self, text: str, hit: Match) -> bool:
        """The context rule for ambiguous names (see the module docstring)."""
        if hit.strong or not hit.ambiguous:
            return True
        after = text[hit.end : hit.end + CONTEXT_CHARS].split(UNIT_SEP, 1)[0]
        for word in WORD.findall(after)[:4]:
            if skeleton(word) in self.context_after:
                return True
            if not MODIFIER.fullmatch(word):
                break
        before = text[max(0, hit.start - CONTEXT_CHARS) : hit.start].rsplit(UNIT_SEP, 1)[-1]
        words = WORD.findall(before)
        i = len(words) - 1
        while i >= 0 and words[i] in ARTICLES and i >= len(words) - 2:
            i -= 1
        if i < 0:
            return False
        # "fine-tuned" is two words: also try the word joined to the one before it
        return skeleton(words[i]) in self.context_before or (
            i > 0 and skeleton(words[i - 1] + words[i]) in self.context_before
        )

    def accepted(self, text: str, hits: Iterable[Match]) -> list[Match]:
        """The ``hits`` that count: corroborated ones, and every hit of a model type that the
        same text (a topic) corroborates somewhere (one sense per discourse)."""
        hits = list(hits)
        ok = [self.corroborated(text, h) for h in hits]
        sure = {h.model_type for h, good in zip(hits, ok, strict=True) if good}
        return [h for h, good in zip(hits, ok, strict=True) if good or h.model_type in sure]

    def accept(self, text: str, hits: Iterable[Match]) -> set[str]:
        """The types of the corroborated ``hits`` and of the Hub model addresses in ``text``."""
        return {h.model_type for h in hits if self.corroborated(text, h)} | self.url_types(text)

    def url_types(self, text: str) -> set[str]:
        """Types of the models the snapshot knows whose Hub address is in a prepared text."""
        if not self.hub_models or ("huggingface.co/" not in text and "hf.co/" not in text):
            return set()
        out = set()
        for m in HUB_URL.finditer(text):
            owner, name = m.group(1), m.group(2)
            # the longest id first ("openai/whisper-large"), then an older one-part id ("gpt2");
            # a sentence's full stop is not part of an id
            for key in ([f"{owner}/{name}"] if name else []) + [owner]:
                mtype = self.hub_models.get(key) or self.hub_models.get(key.rstrip("."))
                if mtype is not None:
                    out.add(mtype)
                    break
        return out

    def topic_types(self, units: Iterable[str | None]) -> set[str]:
        """Model types a topic mentions (title and posts), each once."""
        text = self.prepare(units)
        return self.accept(text, self.matches(text))


class NaiveMatcher:
    """The reference: the same names and rules, but one regex per spelling, run one by one.

    Overlaps between names are resolved after the fact (leftmost, then longest), exactly like
    the one-pass pattern does while scanning. Used by the benchmark and the tests only.
    """

    def __init__(self, matcher: MentionMatcher) -> None:
        self.matcher = matcher
        self.patterns = [re.compile(_wrap(matcher.spelling_regex(s))) for s in matcher.spellings]

    def matches(self, text: str) -> list[Match]:
        spans = []
        for pattern in self.patterns:
            for m in pattern.finditer(text):
                spans.append((m.start(), -m.end(), m))
        spans.sort(key=lambda s: (s[0], s[1]))
        out, taken_to = [], -1
        for start, _neg_end, m in spans:
            if start < taken_to:
                continue
            taken_to = m.end()
            hit = self.matcher._match(text, m)
            if hit is not None:
                out.append(hit)
        return out

    def topic_types(self, units: Iterable[str | None]) -> set[str]:
        text = self.matcher.prepare(units)
        return self.matcher.accept(text, self.matches(text))


# -- topics, shards and months ----------------------------------------------------------------


def names_by_frequency(model_types: pd.Series) -> list[str]:
    """Distinct model types, most frequent first, ties by name (the priority of look-alikes)."""
    counts = model_types.dropna().astype(str).value_counts()
    counts = counts.rename_axis("model_type").reset_index(name="n")
    counts = counts.sort_values(["n", "model_type"], ascending=[False, True], kind="mergesort")
    return counts["model_type"].tolist()


def topic_mentions(
    topics: pd.DataFrame, posts: pd.DataFrame, matcher: MentionMatcher
) -> pd.DataFrame:
    """(topic_id, model_type) for every topic of ``topics`` and type it mentions, sorted.

    ``topics`` needs topic_id and title; ``posts`` topic_id, post_number and text (posts of
    other topics are ignored). A chunk of topics can be matched on its own (shards).
    """
    for name, df, cols in (
        ("topics", topics, ["topic_id", "title"]),
        ("posts", posts, ["topic_id", "post_number", "text"]),
    ):
        missing = set(cols) - set(df.columns)
        if missing:
            raise InputError(f"{name} table: expected columns {cols} (missing {sorted(missing)})")
    posts = posts[posts["topic_id"].isin(topics["topic_id"])]
    posts = posts.sort_values(["topic_id", "post_number"], kind="mergesort")
    texts = posts.groupby("topic_id", sort=True)["text"].agg(list).to_dict()
    rows = []
    for topic_id, title in zip(topics["topic_id"], topics["title"], strict=True):
        units = [title, *texts.get(topic_id, [])]
        for mtype in matcher.topic_types(units):
            rows.append((int(topic_id), mtype))
    out = pd.DataFrame(rows, columns=["topic_id", "model_type"])
    out["topic_id"] = out["topic_id"].astype("int64")
    out["model_type"] = out["model_type"].astype("string")
    return out.sort_values(["topic_id", "model_type"], kind="mergesort").reset_index(drop=True)


def month_of(ts: pd.Series) -> pd.Series:
    """``YYYY-MM`` (UTC, string dtype) of timestamps that may be naive (read as UTC) or text."""
    return months.month_of(pd.to_datetime(ts, utc=True)).astype("string")


def mentions_monthly(
    mentions: pd.DataFrame,
    topics: pd.DataFrame,
    model_types: Iterable[str],
    start_month: str | None = None,
    end_month: str | None = None,
) -> pd.DataFrame:
    """Topics per model type and month of topic creation: the full type x month grid.

    The months run from the first to the last month of topic creation of the forum snapshot
    (or ``start_month``/``end_month``); months without topics are 0. The snapshot's last month
    is partial (the crawl cut it short) and flagged.
    """
    if "created_at" not in topics.columns:
        raise InputError("topics table: expected a created_at column")
    month = pd.Series(month_of(topics["created_at"]).to_numpy(), index=topics["topic_id"])
    known = month.dropna()
    last_month = known.max() if len(known) else None
    first = start_month or (known.min() if len(known) else None)
    last = end_month or last_month
    months = month_range(first, last) if first and last else []
    types = sorted(set(model_types))
    df = mentions.assign(month=mentions["topic_id"].map(month))
    df = df[df["month"].isin(months) & df["model_type"].isin(types)]
    grid = pd.MultiIndex.from_product([types, months], names=["model_type", "month"])
    counts = (
        df.drop_duplicates(["topic_id", "model_type"])
        .groupby(["model_type", "month"])
        .size()
        .reindex(grid, fill_value=0)
    )
    out = counts.rename("topics").astype("int64").reset_index()
    out["model_type"] = out["model_type"].astype("string")
    out["month"] = out["month"].astype("string")
    out["partial_month"] = (out["month"] == last_month).astype(bool)
    return out.sort_values(["model_type", "month"], kind="mergesort").reset_index(drop=True)
