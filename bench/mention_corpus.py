"""The real forum posts of the mention fixture, as the workflow's matcher sees them.

Every topic with post text under ``../shared/data/forum/`` (see its README), each post's
Discourse ``cooked`` HTML turned into plain text by the workflow's own conversion
(:func:`hfreuse.forum.parse.html_to_text`), each topic's title as post 0:

* ``openai-2023``: ``output.json``, 163 community.openai.com topics (titles and posts);
* ``discourse-feed``: ``posts.json`` and the ``t_*_posts*.json`` / ``t_*_post_*.json`` pages
  (discuss.criticalfallibilism.com; a post seen on several pages counts once);
* ``discourse-api-fixtures``: the posts of ``topic.json``, ``post.json``, ``topic_posts.json``;
* ``hf-research-topics``: ``topics.json``, 300 HF forum titles (no post text; titles only).

Also the model types of the fixture: the Hub model types of the paper's replication package
(``Hub_Model_Types_Over_Time_Created.csv`` and the forum mentions table) and the
``config.model_type`` of the real Hub API responses in ``hub/stalnaker-2024/model_data``.
"""

from __future__ import annotations

import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from hfreuse.forum import parse  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FORUM = DATA / "forum"
PAPER = DATA / "replication" / "Replication Package" / "Mined Data"
FIXTURE = ROOT / "tests" / "fixtures" / "mentions"


def html_to_text(cooked: str | None) -> str:
    """The workflow's conversion, every @mention and user address named ``user`` (the
    fixture keeps no usernames)."""
    return parse.html_to_text(cooked, lambda name: "user")


@dataclass(frozen=True)
class Unit:
    """One text the matcher reads: a topic's title (post 0) or one post's plain text."""

    source: str
    topic: int
    post: int
    text: str


def _posts(doc: dict) -> list[dict]:
    if "latest_posts" in doc:
        return doc["latest_posts"]
    if "post_stream" in doc:
        return doc["post_stream"].get("posts", [])
    return [doc] if "cooked" in doc else []


def units(data: Path = DATA) -> list[Unit]:
    """Every title and post of the real forum data, in a stable order."""
    forum = data / "forum"
    out: dict[tuple[str, int, int], str] = {}

    def add(source: str, topic, post, text: str | None) -> None:
        if text and text.strip():
            out.setdefault((source, int(topic), int(post)), text)

    for t in json.loads((forum / "openai-2023" / "output.json").read_text()):
        add("openai-2023", t["id"], 0, t.get("title"))
        for p in t.get("post_comments", []):
            add("openai-2023", t["id"], p["post_number"], html_to_text(p.get("cooked")))
    for path in sorted((forum / "discourse-feed").glob("*.json")):
        doc = json.loads(path.read_text())
        if "title" in doc and "id" in doc:
            add("discourse-feed", doc["id"], 0, doc["title"])
        for p in _posts(doc):
            add("discourse-feed", p["topic_id"], 0, p.get("topic_title"))
            add("discourse-feed", p["topic_id"], p["post_number"], html_to_text(p.get("cooked")))
    fixtures = forum / "discourse-api-fixtures" / "spec" / "fixtures"
    for name in ("topic.json", "post.json", "topic_posts.json"):
        doc = json.loads((fixtures / name).read_text())
        for p in _posts(doc):
            add(
                "discourse-api-fixtures", p["topic_id"], p["post_number"], html_to_text(p["cooked"])
            )
        if name == "topic.json":
            add("discourse-api-fixtures", doc["id"], 0, doc.get("title"))
    for t in json.loads((forum / "hf-research-topics" / "topics.json").read_text()):
        topic = int(t["Link"].rstrip("/").rsplit("/", 1)[-1])
        add("hf-research-topics", topic, 0, t["Topic"])
    return [Unit(s, t, p, text) for (s, t, p), text in sorted(out.items())]


def model_types(data: Path = DATA) -> list[str]:
    """The fixture's model types: the paper's Hub and forum tables and the real Hub configs."""
    import pandas as pd

    names: set[str] = set()
    for csv in (
        PAPER / "Model Hub" / "Hub_Model_Types_Over_Time_Created.csv",
        PAPER / "Discussion Forums" / "Forums_Model_Mentions_Over_Time.csv",
    ):
        csv = data / csv.relative_to(DATA)
        names |= set(pd.read_csv(csv).iloc[:, 0].dropna().astype(str))
    names.discard("SUM")
    for z in sorted((data / "hub" / "stalnaker-2024" / "model_data").glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            for n in zf.namelist():
                if not n.endswith(".json"):
                    continue
                try:
                    doc = json.loads(zf.read(n))
                except ValueError:
                    continue
                mtype = (
                    (doc.get("config") or {}).get("model_type") if isinstance(doc, dict) else None
                )
                if isinstance(mtype, str) and mtype.strip():
                    names.add(mtype)
    return sorted(names)


def fixture_matcher(data: Path = DATA):
    """The matcher as the workflow configures it (config/config.yaml: aliases, ambiguous
    names, context words) over the fixture's model types (no Hub snapshot: names only)."""
    import yaml
    from hfreuse.rq3.mentions import MentionMatcher, load_aliases

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["mentions"]
    table = load_aliases(ROOT / config["aliases"])
    return MentionMatcher(
        model_types(data),
        dict(zip(table["alias"], table["model_type"], strict=True)),
        config["ambiguous"],
        config["context_after"],
        config["context_before"],
    )


def topics(data: Path = DATA) -> dict[tuple[str, int], list[Unit]]:
    """The units grouped by (source, topic), title first, then posts in order."""
    out: dict[tuple[str, int], list[Unit]] = {}
    for u in units(data):
        out.setdefault((u.source, u.topic), []).append(u)
    return out


def topic_hits(matcher, group: list[Unit]) -> dict[tuple[int, int, int, str], bool]:
    """Every match of ``matcher`` in one topic, as the workflow runs it (title and posts in
    one text): (post, start, end, model type) in the post's own text -> whether it counts."""
    prepared = matcher.prepare([u.text for u in group])
    hits = matcher.matches(prepared)
    ok = {(h.start, h.end) for h in matcher.accepted(prepared, hits)}
    # where each unit starts in the prepared text: " " + unit + " \x00 " + unit ...
    starts, at = [], 1
    for u in group:
        if len(u.text.lower()) != len(u.text):
            raise ValueError(f"{u.source} topic {u.topic} post {u.post}: lower case changes length")
        starts.append(at)
        at += len(u.text) + 3
    out = {}
    for h in hits:
        i = max(k for k, s in enumerate(starts) if s <= h.start)
        key = (group[i].post, h.start - starts[i], h.end - starts[i], h.model_type)
        out[key] = (h.start, h.end) in ok
    return out


def usernames(data: Path = DATA) -> set[str]:
    """Every username and display name in the raw forum data (kept out of the fixture)."""
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key in ("username", "name", "display_username"):
                value = node.get(key)
                if isinstance(value, str) and len(value.strip()) >= 3:
                    names.add(value.strip())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((data / "forum").rglob("*.json")):
        walk(json.loads(path.read_text()))
    return names


LABELS = FIXTURE / "labels.csv"


@dataclass
class Quality:
    """Precision and recall of a matcher on the labelled fixture (occurrences and topics)."""

    labelled: int  # rows of the fixture
    mentions: int  # rows labelled mention
    predicted: int  # spans the matcher counts
    true_positive: int
    unlabelled: list[tuple]  # predicted spans the fixture does not have (counted as wrong)
    false_positive: list[tuple]
    false_negative: list[tuple]
    topics_true: int
    topics_predicted: int
    topics_both: int

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.mentions if self.mentions else 1.0

    @property
    def topic_precision(self) -> float:
        return self.topics_both / self.topics_predicted if self.topics_predicted else 1.0

    @property
    def topic_recall(self) -> float:
        return self.topics_both / self.topics_true if self.topics_true else 1.0


def read_labels(path: Path = LABELS):
    """The fixture: one row per candidate span, label ``mention`` or ``no``."""
    import pandas as pd

    df = pd.read_csv(path, dtype={"source": str, "text": str, "model_type": str, "label": str})
    bad = df[~df["label"].isin(["mention", "no"])]
    if len(bad):
        raise ValueError(f"{path}, row {bad.index[0] + 2}: label must be 'mention' or 'no'")
    return df


def evaluate(matcher, path: Path = LABELS, data: Path = DATA) -> Quality:
    """Run ``matcher`` over every topic of the real data, as the workflow does, and compare
    the spans it counts with the labels. Each fixture row's span must still hold its word in
    the converted text (else the conversion changed: relabel)."""
    labels = read_labels(path)
    groups = topics(data)
    texts = {(u.source, u.topic, u.post): u.text for g in groups.values() for u in g}
    truth, labelled = set(), set()
    for r in labels.itertuples():
        where = (r.source, int(r.topic), int(r.post))
        text = texts.get(where)
        if text is None or text[r.start : r.end].lower() != str(r.text).lower():
            raise ValueError(
                f"{path}: {r.source} topic {r.topic} post {r.post} [{r.start}:{r.end}] is not "
                f"{r.text!r} in the converted text (did the HTML-to-text conversion change?)"
            )
        key = (*where, int(r.start), int(r.end), r.model_type)
        labelled.add(key)
        if r.label == "mention":
            truth.add(key)
    predicted = set()
    for (source, topic), group in groups.items():
        for (post, start, end, mtype), ok in topic_hits(matcher, group).items():
            if ok:
                predicted.add((source, topic, post, start, end, mtype))

    def topic_types(keys):
        return {(k[0], k[1], k[5]) for k in keys}

    t_true, t_pred = topic_types(truth), topic_types(predicted)
    return Quality(
        labelled=len(labels),
        mentions=len(truth),
        predicted=len(predicted),
        true_positive=len(predicted & truth),
        unlabelled=sorted(predicted - labelled),
        false_positive=sorted(predicted - truth),
        false_negative=sorted(truth - predicted),
        topics_true=len(t_true),
        topics_predicted=len(t_pred),
        topics_both=len(t_true & t_pred),
    )
