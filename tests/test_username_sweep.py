"""The username sweep (issue 11): every username of the forum stub, served in every place a
Discourse answer can hold a username, must not reach any output file of a live run.

The stub (:class:`SweepSite`, a variant of :class:`forum_stub.DiscourseSite`) first renames every
user of the real recorded data to an unmistakable username (``Zq007Leak``, ``zq.008.leak``,
``zq_009-leak``, ``ZQ-010_LEAK``: mixed case, dots, hyphens, underscores), everywhere the data
holds a username (fields, ``/u/NAME`` links, mention text, quote headers, avatar addresses), so a
search cannot mistake an ordinary word for a leak. Then every post gets every other position
(:data:`POSITIONS`: links, quotes, share links, addresses, and the name as plain words: unlinked
mentions, thanks-lines, greetings, file paths) for one user, cycling through all of them, so every
username appears in every position. The real workflow runs in live mode over it (the crawls against the local stubs, then the
whole default target), and every file under results/ is searched (:mod:`output_search`: parquet
cells, XLSX cells, PNG text chunks, CSV, HTML, JSON, SVG, ...) for any of the usernames.
"""

from __future__ import annotations

import copy
import gzip
import re
import struct
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import copy_workflow
from forum_stub import DiscourseSite, StubServer
from output_search import search_outputs
from testenv import offline_env, write_live_overlay

HOST = "community.openai.com"
FORMS = ("Zq{n:03d}Leak", "zq.{n:03d}.leak", "zq_{n:03d}-leak", "ZQ-{n:03d}_LEAK")
USER_FIELDS = ("username", "display_username", "last_poster_username", "name")
# real usernames in the recorded HTML: mention links and their text, quote asides, avatars
_HREF_USER = re.compile(r"(/u/)([\w.-]+)")
_MENTION_TEXT = re.compile(r'(<a class="mention"[^>]*>@)([^<]+)(</a>)')
_DATA_USER = re.compile(r'(data-username=")([^"]+)(")')
_AVATAR_USER = re.compile(r"(/user_avatar/[^/\"]+/)([^/\"]+)(/)")
_QUOTE_HEADER = re.compile(r'(class="avatar"\s*/?>\s*)([\w.-]+)(:)')

# every place a post's HTML can hold a username: (name, HTML); {u} the user, {U} lower case,
# {t} the topic id, {s} the topic slug
POSITIONS = {
    "mention link": '<p>Thanks <a class="mention" href="/u/{U}">@{u}</a>!</p>',
    "absolute mention link": f'<p><a class="mention" href="https://{HOST}/u/{{U}}">@{{u}}</a></p>',
    "quote aside": (
        '<aside class="quote no-group" data-username="{u}" data-post="1" data-topic="{t}">'
        '<div class="title"><div class="quote-controls"></div>'
        f'<img alt="" width="24" height="24" src="https://{HOST}/user_avatar/{HOST}/{{U}}/48/1_2.png"'
        ' class="avatar"> {u}:</div><blockquote><p>as quoted</p></blockquote></aside>'
    ),
    "bbcode quote": '<p>[quote="{u}, post:1, topic:{t}"]</p>',
    "bbcode quote, username field": '<p>[quote="Some Person, post:1, topic:{t}, username:{u}"]</p>',
    "share link": f'<p><a href="https://{HOST}/t/{{s}}/{{t}}/1?u={{u}}">https://{HOST}/t/{{s}}/{{t}}/1?u={{u}}</a></p>',
    "share link, relative": "<p>see /t/{s}/{t}/1?page=2&u={u} there</p>",
    "onebox share link": (
        f'<aside class="onebox" data-onebox-src="https://{HOST}/t/{{s}}/{{t}}/1?u={{u}}">'
        "<header>forum</header><article><h3>a topic</h3></article></aside>"
    ),
    "profile link text": f'<p><a href="https://{HOST}/u/{{U}}/summary">https://{HOST}/u/{{U}}/summary</a></p>',
    "profile link, relative": "<p>(/u/{u}/activity)</p>",
    "profile link href": f'<p><a href="https://{HOST}/u/{{U}}">their profile</a></p>',
    "avatar address text": f"<p>https://{HOST}/user_avatar/{HOST}/{{U}}/120/5_2.png</p>",
    "avatar image": f'<p><img src="https://{HOST}/user_avatar/{HOST}/{{U}}/48/1_2.png" alt="{{u}}"></p>',
    # names as plain words (issue 19): Discourse's unlinked mention, thanks, greetings, paths
    "unlinked mention": '<p>as <span class="mention">@{u}</span> said</p>',
    "thanks-line": "<p>Many thanks {u}</p><p>Thanks, {U}!</p>",
    "greeting": "<p>Hi {u}, welcome</p>",
    "file path": (
        "<pre><code>C:\\Users\\{u}\\AppData\\Local\\run.py\n"
        "/home/{U}/.cache/huggingface/hub</code></pre>"
    ),
    "plain name": "<p>the script {u} posted works</p>",
    "link address": '<p><a href="https://github.com/{u}/repo">my repo</a></p>',
}


def sentinels(n: int) -> list[str]:
    return [FORMS[i % len(FORMS)].format(n=i) for i in range(n)]


def _user(name: str) -> dict[str, Any]:
    return {
        "id": 7,
        "username": name,
        "name": name,
        "avatar_template": f"/user_avatar/{HOST}/{name.lower()}/{{size}}/1_2.png",
    }


class SweepSite(DiscourseSite):
    """The real stub forum with every user renamed and every username position filled."""

    def __init__(self) -> None:
        super().__init__()
        self.rename = self._renames()
        self.names = sorted(set(self.rename.values()))
        for doc in (self.skeleton, self.entries, self.topics, self.fixed_view):
            self._rename_all(doc)
        self.served: dict[str, set[str]] = {}  # position -> usernames put there
        all_topics = [*self.topics.values(), *self.fixed_view.values()]
        k = 0
        for topic in all_topics:
            posts = topic["post_stream"]["posts"]
            posters = sorted({p["username"] for p in posts})
            for post in posts:
                user = self.names[k % len(self.names)]
                k += 1
                self._fill(topic, post, user)
            # plain "@name" of the topic's posters (recognisable because they posted here)
            posts[0]["cooked"] += "".join(
                f"<p>@{p} said so</p><pre><code>ping @{p}</code></pre>" for p in posters
            )
            self._mark("plain @name of a poster", *posters)
            # a title naming a poster
            topic["title"] = f"{topic['title']} (cc @{posters[0]}, thanks {posters[-1]})"
            self._mark("title @name of a poster", posters[0])
            self._mark("title name of a poster", posters[-1])
            topic["details"] = {
                "created_by": _user(posts[0]["username"]),
                "last_poster": _user(posts[-1]["username"]),
                "participants": [_user(p) for p in posters],
            }
            self._mark("topic details", *posters)
            if isinstance(topic.get("accepted_answer"), dict):
                self._mark("accepted_answer", topic["accepted_answer"]["username"])
            entry = self.entries.get(topic["id"])
            if entry is not None:
                entry["title"] = entry["fancy_title"] = topic["title"]
                entry["last_poster_username"] = posts[-1]["username"]
                self._mark("listing last_poster_username", posts[-1]["username"])
        self.skeleton["users"] = [_user(n) | {"id": 10_000 + i} for i, n in enumerate(self.names)]
        self._mark("listing users", *self.names)
        assert k >= len(self.names), "fewer posts than users: not every position gets every user"

    # --- renaming the recorded users ---

    def _renames(self) -> dict[str, str]:
        """Lower-case real username -> sentinel, for every username the recorded data holds."""
        found: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in ("username", "display_username", "last_poster_username"):
                        if isinstance(item, str) and item:
                            found.add(item.lower())
                    elif key == "cooked" and isinstance(item, str):
                        for rx in (_HREF_USER, _DATA_USER, _AVATAR_USER):
                            found.update(m.group(2).lower() for m in rx.finditer(item))
                    else:
                        walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        for doc in (self.skeleton, self.entries, self.topics, self.fixed_view):
            walk(doc)
        names = sorted(found)
        return dict(zip(names, sentinels(len(names)), strict=True))

    def _new(self, name: str) -> str:
        return self.rename.get(name.lower(), name)

    def _rename_html(self, html: str) -> str:
        html = _HREF_USER.sub(lambda m: m.group(1) + self._new(m.group(2)).lower(), html)
        html = _MENTION_TEXT.sub(lambda m: m.group(1) + self._new(m.group(2)) + m.group(3), html)
        for rx in (_DATA_USER, _AVATAR_USER, _QUOTE_HEADER):
            html = rx.sub(lambda m: m.group(1) + self._new(m.group(2)) + m.group(3), html)
        return html

    def _rename_all(self, value: Any) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in list(items):
            if isinstance(item, dict | list):
                self._rename_all(item)
            elif not isinstance(item, str):
                continue
            elif key in USER_FIELDS:
                value[key] = self._new(item)
            elif key == "cooked":
                value[key] = self._rename_html(item)
            elif key == "avatar_template":
                value[key] = _AVATAR_USER.sub(
                    lambda m: m.group(1) + self._new(m.group(2)).lower() + m.group(3), item
                )

    # --- filling every position ---

    def _mark(self, position: str, *users: str) -> None:
        self.served.setdefault(position, set()).update(users)

    def _fill(self, topic: dict[str, Any], post: dict[str, Any], user: str) -> None:
        values = {"u": user, "U": user.lower(), "t": topic["id"], "s": topic.get("slug") or "x"}
        post["cooked"] += "\n" + "\n".join(p.format(**values) for p in POSITIONS.values())
        for position in POSITIONS:
            self._mark(position, user)
        post["name"] = post["display_username"] = post["username"]
        post["reply_to_user"] = _user(user)
        post["mentioned_users"] = [_user(user)]
        post["user_title"] = f"friend of @{user}"
        post["avatar_template"] = f"/user_avatar/{HOST}/{post['username'].lower()}/{{size}}/1.png"
        for position in ("reply_to_user", "mentioned_users", "user_title"):
            self._mark(position, user)
        self._mark("post author username, name, avatar", post["username"])


# --- the search itself can find a name in every kind of file -----------------------------


def _png_with_text(path: Path, key: str, text: str) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", key.encode() + b"\0" + text.encode())
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def test_the_search_finds_a_name_in_every_kind_of_output(tmp_path):
    from openpyxl import Workbook

    name = "Zq042Leak"
    pq.write_table(
        pa.table({"id": [1, 2], "tags": [["a"], ["b", "x zq042leak y"]]}), tmp_path / "t.parquet"
    )
    wb = Workbook()
    wb.active.title = "coding"
    wb.active.append(["title"])
    wb.active.append([f"hello @{name}"])
    wb.save(tmp_path / "s.xlsx")
    _png_with_text(tmp_path / "f.png", "Title", f"by {name}")
    (tmp_path / "c.csv").write_text(f"a,b\n1,{name.upper()}\n")
    (tmp_path / "p.svg").write_text(f"<svg><text>{name}</text></svg>")
    (tmp_path / "clean.json").write_text('{"a": "Zq042LeakX zq042leak_b xzq042leak"}')
    found = search_outputs(tmp_path, [name])
    assert any(f.startswith("t.parquet: column 'tags', row 1") for f in found), found
    assert any(f.startswith("s.xlsx: sheet 'coding' cell A2") for f in found), found
    assert any(f.startswith("f.png: PNG tEXt chunk") for f in found), found
    assert any(f.startswith("c.csv: text line 2") for f in found), found
    assert any(f.startswith("p.svg: text line 1") for f in found), found
    assert not any(f.startswith("clean.json") for f in found), found  # longer words are others


# --- the sweep -------------------------------------------------------------------------------


@pytest.mark.workflow
def test_no_username_served_anywhere_reaches_results(httpserver, forum_server, tmp_path):
    from hub_stub import StubHub, assign_cards, real_models

    site = SweepSite()
    # every user in every position of a post; the per-topic positions hold the topics' posters
    every = set(site.names)
    for position in [*POSITIONS, "reply_to_user", "mentioned_users", "user_title"]:
        assert site.served[position] == every, position
    assert site.served["listing users"] == every
    assert len(site.served) == len(POSITIONS) + 11
    served_names = {
        p["username"] for t in site.topics.values() for p in t["post_stream"]["posts"]
    } | {u["username"] for u in site.skeleton["users"]}
    assert served_names <= every

    models = real_models()
    hub = StubHub(models=models, cards=assign_cards(models)).install(httpserver)
    forum = StubServer(forum_server, site)
    wf = copy_workflow(tmp_path / "wf")
    stubs = {"hub": {"endpoint": hub.base_url, "max_cards": 100}, "forum": {"base_url": forum.url}}
    overlay = write_live_overlay(wf / "config" / "sweep.yaml", "sweep-1", **stubs)
    env = offline_env()
    env.pop("HFREUSE_PSEUDONYM_KEY", None)
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(overlay)]
    proc = subprocess.run(cmd, cwd=wf, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    # the raw snapshot holds the names (the crawl stored what was served) ...
    raw = b"".join(
        gzip.decompress(p.read_bytes())
        for p in sorted((wf / "resources/raw/sweep-1/forum/topics").rglob("*.json.gz"))
    ).decode()
    assert all(n in raw for n in site.names[:20])
    # ... and no output holds any of them
    results = sorted(p for p in (wf / "results").rglob("*") if p.is_file())
    assert {p.suffix for p in results} >= {".parquet", ".html", ".json", ".svg", ".png"}
    found = search_outputs(wf / "results", site.names)
    assert found == [], _summary(found)


def _summary(found: list[str]) -> str:
    """Where raw usernames were found: counts per file and column (or line), then examples."""
    places = Counter(re.sub(r"(, row \d+| line \d+): .*$", "", f) for f in found)
    lines = [f"{n:6d}  {place}" for place, n in places.most_common()]
    return f"{len(found)} raw usernames under results/:\n" + "\n".join(lines + found[:20])


def test_sweep_site_renames_every_recorded_user():
    """The variant itself: no recorded username is left in a username field or link."""
    site = SweepSite()
    real = set(site.rename)
    leftovers = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("username", "display_username", "last_poster_username"):
                    if isinstance(item, str) and item.lower() in real:
                        leftovers.append(f"{where}.{key}={item}")
                elif key == "cooked" and isinstance(item, str):
                    for rx in (_HREF_USER, _DATA_USER, _AVATAR_USER):
                        leftovers.extend(
                            f"{where}.cooked:{m.group(2)}"
                            for m in rx.finditer(item)
                            if m.group(2).lower() in real
                        )
                else:
                    walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")

    for name, doc in (
        ("topics", site.topics),
        ("entries", site.entries),
        ("pinned", site.fixed_view),
    ):
        walk(copy.deepcopy(doc), name)
    walk(site.skeleton, "listing")
    assert leftovers == []
    assert len(site.names) == len(real) > 200
