"""List every candidate model mention in the real forum posts, for labelling by hand.

A candidate is (1) every match of the mention matcher (before and after its context rule) and
(2) every other case-insensitive occurrence of a model type's name or alias anywhere in the text
(separators optional as the matcher allows: inside words, URLs, paths and code too). The output
is a CSV to read and label (tests/fixtures/mentions/RULES.md); the labels are NOT made here.

    python3 bench/mention_candidates.py > /tmp/candidates.csv
    python3 bench/mention_candidates.py --summary

Strata: ``hit`` (the matcher accepts it), ``rejected`` (matched, but the context rule or the
URL/path rule drops it), ``boundary`` (a whole word the matcher does not match), ``glued``
(letters or digits glued on a side: inside a longer word).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from hfreuse.rq3.mentions import MentionMatcher  # noqa: E402
from mention_corpus import fixture_matcher, topic_hits, topics, usernames  # noqa: E402

CONTEXT = 22  # characters either side in the snippet (a snippet is at most ~60 characters)
_MENTION = re.compile(r"@[\w.%-]+")
_HANDLE = re.compile(r"\b[A-Za-z]+\d{3,}\b")


def masker():
    """A function that hides usernames in a piece of text: the raw data's usernames and
    display names, @names and handle-like words (letters then 3+ digits)."""
    names = sorted(usernames(), key=len, reverse=True)
    known = re.compile(
        r"(?<![\w])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w])", re.IGNORECASE
    )
    lower = {n.lower() for n in names}

    def mask(s: str, word: str | None = None) -> str:
        if word is not None:  # is the word around a span a username?
            return "user" if _HANDLE.fullmatch(word) or word.lower() in lower else word
        return _HANDLE.sub("user", _MENTION.sub("@user", known.sub("user", s)))

    return mask


def snippet(text: str, start: int, end: int, mask) -> str:
    """The words around a span (usernames masked), on one line."""
    ws = start - len(re.search(r"\w*$", text[:start]).group(0))
    we = end + len(re.match(r"\w*", text[end:]).group(0))
    if mask("", text[ws:we]) != text[ws:we]:
        return "[" + text[start:end] + "] (inside a username)"
    left = mask(text[max(0, start - CONTEXT) : start])
    right = mask(text[end : end + CONTEXT])
    return (left + "[" + text[start:end] + "]" + right).replace("\n", " ⏎ ")


def occurrence_patterns(matcher: MentionMatcher) -> list[tuple[str, re.Pattern[str]]]:
    """(model type, pattern without boundaries) of every spelling."""
    return [
        (mtype, re.compile("(?=(" + matcher.spelling_regex(spelling) + "))"))
        for spelling, mtype in matcher.spellings.items()
    ]


def candidates(matcher: MentionMatcher):
    pats = occurrence_patterns(matcher)
    for group in topics().values():
        hits = topic_hits(matcher, group)
        for u in group:
            low = u.text.lower()
            seen = set()
            for (post, start, end, mtype), ok in sorted(hits.items()):
                if post == u.post:
                    seen.add((start, end, mtype))
                    yield u, start, end, mtype, "hit" if ok else "rejected"
            for mtype, pat in pats:
                for m in pat.finditer(low):
                    start, end = m.start(1), m.end(1)
                    if (start, end, mtype) in seen:
                        continue
                    seen.add((start, end, mtype))
                    glued = (start > 0 and low[start - 1].isalnum()) or (
                        end < len(low) and low[end].isalnum()
                    )
                    yield u, start, end, mtype, "glued" if glued else "boundary"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--summary", action="store_true", help="counts per stratum and type only")
    args = ap.parse_args(argv)
    matcher = fixture_matcher()
    rows = list(candidates(matcher))
    if args.summary:
        print(Counter(r[4] for r in rows))
        for stratum in ("hit", "rejected", "boundary", "glued"):
            c = Counter(r[3] for r in rows if r[4] == stratum)
            print(stratum, sum(c.values()), c.most_common(40))
        return 0
    mask = masker()
    w = csv.writer(sys.stdout)
    w.writerow(
        ["source", "topic", "post", "start", "end", "text", "model_type", "stratum", "context"]
    )
    for u, start, end, mtype, stratum in rows:
        w.writerow(
            [
                u.source,
                u.topic,
                u.post,
                start,
                end,
                u.text[start:end],
                mtype,
                stratum,
                snippet(u.text, start, end, mask),
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
