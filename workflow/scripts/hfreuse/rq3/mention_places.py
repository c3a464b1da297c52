"""Where a name stands in a text, for the mention matcher (:mod:`hfreuse.rq3.mentions`): inside
a web address (and whether in a repository part of a Hub or GitHub address), in Discourse's
shortened link text, in a file path, file name or dotted module path, or as a bare name in a line of
code. Pure functions on the prepared text of a topic (units joined by :data:`UNIT_SEP`)."""

from __future__ import annotations

import re

UNIT_SEP = "\x00"  # joins the title and posts of a topic: context never crosses it
# where a match is not a mention: inside a web address (other than the repository of a Hub or
# GitHub address), a file path or file name, a dotted module path, or a bare name in a code
# statement (see "Not a mention" in the module docstring)
URL_START = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/)")
REPO_URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?(huggingface\.co|hf\.co|github\.com)/"
    r"([^/?#\s()\[\]<>\"']+)(?:/([^/?#\s()\[\]<>\"']+))?"
)
# first path segments of huggingface.co that are not a model's owner (or older one-part id)
HUB_NOT_OWNER = frozenset(
    "datasets spaces docs blog papers learn tasks api models organizations settings join login "
    "pricing new collections posts chat transformers search course enterprise".split()
)
FILE_EXT = (
    "py|pyc|ipynb|json|jsonl|txt|csv|tsv|md|rst|yaml|yml|toml|cfg|ini|sh|bat|ps1|js|ts|html|"
    "cpp|cc|c|h|hpp|cu|rs|go|java|kt|swift|rb|bin|pt|pth|ckpt|safetensors|onnx|h5|pb|tflite|"
    "gguf|ggml|pkl|pickle|npy|npz|zip|tar|gz|tgz|whl|exe|dll|so|log|wav|mp3|flac|mp4|png|jpe?g|"
    "gif|pdf|parquet|arrow|lock"
)
TOKEN_PUNCT = "()[]{}<>\"'`,;:!?*“”‘’«»"
FILE_NAME = re.compile(r"[\w.+-]*\.(?:" + FILE_EXT + r")")
MODULE_PATH = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*){2,}")
PATH_START = re.compile(r"(?:/|\./|\.\./|~/|[a-z]:\\)")
# a statement of code on its own line: an assignment ("t5 = time.time()", "x += 1") or a
# call ("print(t6 - t5)"); prose lines and code comments are not statements
CODE_LINE = re.compile(
    r"[\s>]*(?:[a-z_][\w.]*(?:\[[^\]\n]*\])?\s*[-+*/%]?=(?!=)\s*\S[^\n]*"
    r"|[a-z_][\w.]*\([^\n]*\)\s*;?\s*)"
)
CODE_LINE_CHARS = 300  # a longer line is not a statement of code
SPECIAL = re.compile(r"[/\\….]")
QUOTES = frozenset("'\"`")
SPACE = re.compile(r"\s")


def token_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The whitespace-delimited token around ``text[start:end]`` (its start and end)."""
    ts = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start), text.rfind("\t", 0, start))
    m = SPACE.search(text, end)
    return ts + 1, m.start() if m else len(text)


def in_repo_segment(url: str, start: int, end: int) -> bool:
    """``url[start:end]`` lies in the repository part of a Hub or GitHub address:
    ``huggingface.co/<owner>/<repo>`` (or the older ``huggingface.co/<repo>``), ``hf.co/...``,
    ``github.com/<owner>/<repo>``; whatever follows the repository does not count."""
    m = REPO_URL.match(url)
    if m is None:
        return False
    host, owner = m.group(1), m.group(2)
    if m.group(3) is not None:
        if host != "github.com" and owner in HUB_NOT_OWNER:
            return False
        return m.start(3) <= start and end <= m.end(3)
    return (
        host != "github.com"
        and owner not in HUB_NOT_OWNER
        and m.start(2) <= start
        and end <= m.end(2)
    )


def place(text: str, start: int, end: int) -> str:
    """Where the name at ``text[start:end]`` (lower case) stands: ``"repo"`` in the repository
    of a Hub or GitHub address (it names a model), ``"other"`` inside something else (another
    part of a web address, Discourse's shortened link text ``…``, a file path or file name, a
    dotted module path), else ``""`` (words)."""
    ts, te = token_span(text, start, end)
    if SPECIAL.search(text, ts, te) is None:
        return ""  # a plain word: no address, path, file or module
    token = text[ts:te]
    lead = len(token) - len(token.lstrip(TOKEN_PUNCT))
    core = token.strip(TOKEN_PUNCT).rstrip(".")
    s, e = start - ts - lead, end - ts - lead  # the name's place in core
    if "/" in core or "\\" in core or "…" in core:
        url = URL_START.search(core)
        if url is not None and url.start() <= s:
            if "…" in core[e:]:
                return "other"  # a shortened link text: the full address follows it
            rest = core[url.start() :]
            return "repo" if in_repo_segment(rest, s - url.start(), e - url.start()) else "other"
        if PATH_START.match(core) or "\\" in core or core.endswith("/"):
            return "other"
        segments = core.split("/")
        if len(segments) > 3 or FILE_NAME.fullmatch(segments[-1]):
            return "other"
    elif FILE_NAME.fullmatch(core) or MODULE_PATH.fullmatch(core):
        return "other"
    return ""


def in_code_statement(text: str, start: int, end: int) -> bool:
    """The name at ``text[start:end]`` is a bare word (not in quotes) in a line of code that is
    a statement (an assignment or a call): a variable ("t5 = time.time()")."""
    if text[start - 1] in QUOTES and text[end] in QUOTES:
        return False
    lo, hi = max(0, start - CODE_LINE_CHARS), min(len(text), end + CODE_LINE_CHARS)
    ls = max(text.rfind("\n", lo, start), text.rfind(UNIT_SEP, lo, start)) + 1
    if ls == 0 and lo > 0:
        return False  # a line this long is prose
    ends = [at for at in (text.find("\n", end, hi), text.find(UNIT_SEP, end, hi)) if at != -1]
    if not ends and hi < len(text):
        return False
    return CODE_LINE.fullmatch(text, ls, min(ends) if ends else hi) is not None
