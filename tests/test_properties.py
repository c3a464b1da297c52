"""Property-based tests (hypothesis): the response parsers, HTML-to-text with pseudonyms, the
mention matcher and the coding import, each over generated inputs.

Settings are modest (at most 150 examples a property, no deadline) so the file runs in well under
a minute. Generated inputs are real values of the types the code reads (JSON documents, real
``requests.Response`` objects, HTML, sheet files written to disk), never stand-ins of our code.
"""

from __future__ import annotations

import csv
import json
import math
import re
import string
from contextlib import nullcontext

import pandas as pd
import pyarrow as pa
import pytest
import requests
from coding_support import demo_codebook, good_rows, small_sample
from hfreuse.clients import FetchError
from hfreuse.coding.codebook import norm_text
from hfreuse.coding.sheet_import import import_sheets
from hfreuse.coding.sheets import (
    SHEET_COLUMNS,
    read_sheet,
    write_sheet_csv,
    write_sheet_xlsx,
)
from hfreuse.crawl.headers import parse_ratelimit, parse_retry_after
from hfreuse.errors import InputError
from hfreuse.forum import raw
from hfreuse.forum.parse import (
    POSTS_SCHEMA,
    TOPICS_SCHEMA,
    Pseudonymizer,
    html_to_text,
    parse_record,
)
from hfreuse.hub.answers import readme_problem
from hfreuse.hub.listing import next_page_url, page_items
from hfreuse.rq3.mentions import _SUFFIX_RE, MentionMatcher, NaiveMatcher
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from output_search import name_pattern

settings.register_profile(
    "hfreuse",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,  # nothing written into the working tree
)
settings.load_profile("hfreuse")

WHERE = "https://forum.test/t/123.json?page=4"

# --- response parsers: arbitrary JSON gives a value or one error naming the URL ---------------

# keys the parsers look for, so that generated documents come near the expected shapes
KEYS = st.sampled_from(
    [
        "topic_list",
        "topics",
        "id",
        "created_at",
        "post_stream",
        "posts",
        "stream",
        "category_list",
        "categories",
        "subcategory_list",
        "parent_category_id",
        "title",
        "username",
        "cooked",
        "post_number",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(KEYS | st.text(max_size=6), kids, max_size=5)
    ),
    max_leaves=25,
)


def _fails_cleanly(call, where: str = WHERE):
    """The call's result, or None when it raised an InputError naming ``where``."""
    try:
        return call()
    except InputError as exc:
        assert where in str(exc), str(exc)
        return None


@given(JSON)
def test_forum_listing_page_parser_takes_any_json(doc):
    topics = _fails_cleanly(lambda: raw.page_topics(doc, WHERE))
    if topics is not None:
        assert all(isinstance(t["id"], int) and isinstance(t["created_at"], str) for t in topics)


@given(JSON)
def test_forum_categories_parser_takes_any_json(doc):
    cats = _fails_cleanly(lambda: raw.check_categories(doc, WHERE))
    if cats is not None:
        assert all(isinstance(c["id"], int) and "parent_category_id" in c for c in cats)


@given(JSON)
def test_forum_topic_view_and_posts_batch_parsers_take_any_json(doc):
    view = _fails_cleanly(lambda: raw.check_topic_view(doc, WHERE))
    if view is not None:
        assert all(isinstance(p["id"], int) for p in view["post_stream"]["posts"])
        assert isinstance(raw.missing_post_ids(view), list)
    posts = _fails_cleanly(lambda: raw.check_posts_batch(doc, WHERE))
    if posts is not None:
        assert all(isinstance(p["id"], int) for p in posts)


POST_FIELDS = st.fixed_dictionaries(
    {"id": st.integers(1, 10**9)},
    optional={
        "post_number": JSON,
        "username": JSON,
        "cooked": JSON,
        "created_at": JSON,
        "reply_to_post_number": JSON,
        "accepted_answer": JSON,
        "staff": JSON,
        "primary_group_name": JSON,
    },
)
TOPIC_FIELDS = st.fixed_dictionaries(
    {"id": st.integers(1, 10**9), "created_at": st.just("2023-05-01T10:00:00.000Z")},
    optional={
        "title": JSON,
        "slug": JSON,
        "category_id": JSON,
        "posts_count": JSON,
        "views": JSON,
        "tags": JSON,
        "accepted_answer": JSON,
        "last_posted_at": JSON,
        "pinned": JSON,
    },
)


@given(TOPIC_FIELDS, st.lists(POST_FIELDS, max_size=4, unique_by=lambda p: p["id"]))
def test_topic_record_parser_takes_any_field_values(topic, posts):
    """A topic view that passed the crawl's check, with any JSON in its fields: rows, or one
    InputError naming the record (never a TypeError, KeyError ...)."""
    topic = {**topic, "post_stream": {"posts": posts, "stream": [p["id"] for p in posts]}}
    rec = {"topic": raw.check_topic_view(topic, WHERE), "listed": {}}
    got = _fails_cleanly(
        lambda: parse_record(rec, {}, Pseudonymizer(b"k" * 32), frozenset(), WHERE)
    )
    if got is not None:
        row, post_rows = got
        # the rows fit the tables' schemas
        pa.Table.from_pylist([row], schema=TOPICS_SCHEMA)
        pa.Table.from_pylist(post_rows, schema=POSTS_SCHEMA)
        assert isinstance(row["title"], str) and isinstance(row["slug"], str)
        assert all(isinstance(r["text"], str) for r in post_rows)
        assert all(r["author"] is None or r["author"].startswith("user-") for r in post_rows)


def _response(body: bytes, headers: dict[str, str] | None = None, url: str = WHERE):
    resp = requests.Response()
    resp.status_code = 200
    resp._content = body
    resp.headers.update(headers or {})
    resp.url = url
    resp.encoding = "utf-8"
    return resp


HUB_URL = "https://hub.test/api/models?sort=createdAt&limit=100&cursor=abc"


@given(JSON | st.lists(st.dictionaries(KEYS | st.just("modelId"), JSON, max_size=3), max_size=4))
def test_hub_listing_page_parser_takes_any_json(doc):
    items = _fails_cleanly(
        lambda: page_items(_response(json.dumps(doc).encode()), HUB_URL), HUB_URL
    )
    if items is not None:
        assert all(isinstance(i["id"], str) for i in items)


@given(st.binary(max_size=64))
def test_hub_listing_page_parser_takes_any_bytes(body):
    expect_error = _not_a_model_list(body)
    with pytest.raises(FetchError, match=re.escape(HUB_URL)) if expect_error else nullcontext():
        page_items(_response(body), HUB_URL)


def _not_a_model_list(body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except ValueError:
        return True
    return not (
        isinstance(doc, list)
        and all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in doc)
    )


HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@given(
    HEADER_TEXT
    | st.builds(
        lambda u, r: f'<{u}>; rel="{r}"', HEADER_TEXT, st.sampled_from(["next", "prev", "last"])
    )
)
def test_hub_link_header_gives_a_next_url_or_a_clear_error(link):
    resp = _response(b"[]", {"Link": link})
    nxt = _fails_cleanly(lambda: next_page_url(resp, HUB_URL), HUB_URL)
    assert nxt is None or (isinstance(nxt, str) and nxt != HUB_URL)


@given(
    st.binary(max_size=80),
    st.dictionaries(
        st.sampled_from(["Content-Type", "ETag", "X-Repo-Commit"]), HEADER_TEXT, max_size=3
    ),
    st.sampled_from(["main", "a" * 40, "0123456789abcdef0123456789abcdef01234567"]) | HEADER_TEXT,
)
def test_readme_check_never_raises(body, headers, revision):
    problem = readme_problem(_response(body, headers), revision)
    assert problem is None or (isinstance(problem, str) and problem)


@given(st.text(max_size=40))
@example("inf")
@example("1e400")
@example("-5")
@example("Wed, 21 Oct 2015 07:28:00 GMT")
@example("Wed, 21 Oct 99999 07:28:00 GMT")
def test_retry_after_is_a_finite_wait_or_none(value):
    got = parse_retry_after(value, now=1_700_000_000.0)
    assert got is None or (math.isfinite(got) and got >= 0)


@given(st.text(max_size=60))
@example('"api";r=0;t=' + "9" * 400)
@example("limit=500, remaining=489, reset=189")
def test_ratelimit_header_is_a_finite_window_or_none(value):
    got = parse_ratelimit(value)
    if got is not None:
        remaining, reset = got
        assert remaining >= 0 and math.isfinite(reset) and reset >= 0


# --- HTML to text: no raw username survives, and the text is deterministic --------------------

USERNAME = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{1,10}[A-Za-z0-9_]\Z").filter(
    lambda u: ".." not in u and not re.fullmatch(r"[\d.]+", u)
)
FILLER = st.text(alphabet=string.ascii_letters + " ,;!?", max_size=20)


def _positions(user: str, topic: int) -> list[str]:
    """Every place of a post's HTML where Discourse puts a username."""
    return [
        f'<p>Hi <a class="mention" href="/u/{user}">@{user}</a>, thanks</p>',
        f'<p><a class="mention" href="https://forum.test/u/{user.lower()}">@{user}</a></p>',
        f'<aside class="quote no-group" data-username="{user}" data-post="2" data-topic="{topic}">'
        f'<div class="title"><div class="quote-controls"></div>'
        f'<img alt="" width="24" height="24" src="/user_avatar/forum.test/{user.lower()}/48/1_2.png"'
        f' class="avatar"> {user}:</div><blockquote><p>quoted words</p></blockquote></aside>',
        f'<p>[quote="{user}, post:3, topic:{topic}"]</p>',
        f'<p>[quote="Some Name, post:3, topic:{topic}, username:{user}"]</p>',
        f'<p><a href="https://forum.test/t/some-slug/{topic}/4?u={user}">'
        f"https://forum.test/t/some-slug/{topic}/4?u={user}</a></p>",
        f"<p>see https://forum.test/t/some-slug/{topic}/4?page=2&u={user}#post</p>",
        f'<aside class="onebox" data-onebox-src="https://forum.test/t/x/{topic}/2?u={user}">'
        f"<header>forum.test</header><article><h3>{user} wrote</h3></article></aside>",
        f"<p>@{user} did you try it?</p>",
        f"<pre><code>ping @{user}</code></pre>",
        f'<p>profile: <a href="https://forum.test/u/{user}/summary">'
        f"https://forum.test/u/{user}/summary</a></p>",
    ]


@given(
    st.lists(USERNAME, min_size=1, max_size=4, unique_by=str.lower),
    st.lists(FILLER, min_size=1, max_size=3),
    st.randoms(use_true_random=False),
)
def test_html_to_text_keeps_no_raw_username_and_is_deterministic(users, filler, rnd):
    pseudo = Pseudonymizer(b"a test key of 32 bytes, fixed...")
    names = name_pattern(users)
    # names that are words of the page itself ("ping", "thanks") or of the filler are not leaks
    page = [p for p in _positions("Qx9", 123)] + [f"<p>{f}</p>" for f in filler]
    assume(not names.search(html_to_text("\n".join(page), pseudo, ["Qx9"])))
    parts = [p for u in users for p in _positions(u, 123)] + [f"<p>{f}</p>" for f in filler]
    rnd.shuffle(parts)
    html = "\n".join(parts)
    text = html_to_text(html, pseudo, users)
    assert text == html_to_text(html, Pseudonymizer(pseudo.key), users)  # deterministic
    assert [m.group(0) for m in names.finditer(text)] == [], text
    for user in users:
        assert "@" + pseudo(user) in text  # the mentions are still there, pseudonymous


@given(st.lists(USERNAME, min_size=1, max_size=3, unique_by=str.lower))
def test_pseudonyms_ignore_case_and_differ_between_users(users):
    pseudo = Pseudonymizer(b"another key of at least 16 bytes")
    names = {pseudo(u) for u in users}
    assert len(names) == len(users)
    assert all(pseudo(u.upper()) == pseudo(u.lower()) == pseudo(f" {u} ") for u in users)


# --- mention matcher --------------------------------------------------------------------------

NAME = st.from_regex(r"\A[a-z][a-z0-9]{2,7}\Z")
TEXT = st.text(alphabet=string.ascii_letters + string.digits + " .,;:!?()[]'\"\n", max_size=40)
BOUNDARY = st.sampled_from([" ", "\n", "(", ")", ",", ".", "-", "_", "/", '"', "'", ""])


def _context_free(text: str, names: list[str]) -> bool:
    low = " " + text.lower() + " "
    return not any(re.search(rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])", low) for n in names)


@given(NAME, TEXT, TEXT, BOUNDARY, BOUNDARY, st.sampled_from([str.lower, str.upper, str.title]))
def test_a_name_between_word_boundaries_is_found(name, before, after, left, right, case):
    assume(_context_free(before + after, [name]))
    left = left if left or not before or not before[-1].isalnum() else " "
    right = right if right or not after or not after[0].isalnum() else " "
    text = f"{before}{left}{case(name)}{right}{after}"
    # not inside a path, file name, module path or code statement (tested on their own)
    line = (
        text[: len(before) + len(left)].rsplit("\n", 1)[-1]
        + name
        + (right + after).split("\n", 1)[0]
    )
    # the whitespace-delimited token the name stands in
    at = len(before) + len(left)
    start = max(text.rfind(c, 0, at) for c in " \n") + 1
    ends = [i for i in (text.find(c, at + len(name)) for c in " \n") if i >= 0]
    word = text[start : min(ends) if ends else len(text)]
    assume("/" not in word and not re.search(r"[a-z0-9_]\.[a-z]", word.lower()))
    assume(not re.fullmatch(r"\s*[A-Za-z_][\w.]*\(.*\)\s*;?\s*", line))
    matcher = MentionMatcher([name, "bert"])
    assert name in matcher.topic_types([text])
    assert NaiveMatcher(matcher).topic_types([text]) == matcher.topic_types([text])


LETTERS = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=4)


@given(NAME, LETTERS, LETTERS)
def test_a_name_inside_a_longer_word_is_not_found(name, head, tail):
    """Letters or digits glued on either side make another word (a class-name suffix such as
    "Model" and a size such as "7b" are the exceptions, tested elsewhere)."""
    assume(not re.match("(?:" + _SUFFIX_RE + ")", tail.lower()))
    assume(not re.fullmatch(r"\d+[bm]", tail.lower()))  # a size glued on: "mistral7b"
    matcher = MentionMatcher([name])
    assert matcher.topic_types([f"{head}{name}{tail}"]) == set()
    assert matcher.topic_types([f"{head}{name}"]) == set()
    assert matcher.topic_types([f"{name}{tail}"]) == set()
    assert matcher.topic_types([f"{head} {name}{tail}"]) == set()


@given(st.lists(NAME, min_size=2, max_size=5, unique=True), st.randoms(use_true_random=False))
def test_matches_do_not_depend_on_the_order_of_names_or_units(names, rnd):
    units = [f"I used {n} yesterday" for n in names]
    m1 = MentionMatcher(names)
    shuffled = list(names)
    rnd.shuffle(shuffled)
    m2 = MentionMatcher(shuffled)
    rnd.shuffle(units)
    found = m1.topic_types(units)
    assert found == m2.topic_types(units) == m1.topic_types(list(reversed(units)))
    assert set(names) == found  # each name written alone is found, and nothing else


# --- coding sheets: export -> fill -> import round trip; bad cells named ----------------------

TITLE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
) | st.sampled_from(
    [
        "=cmd|' /C calc'!A0",
        "+1",
        "-2+3",
        "@SUM(1)",
        "'=already quoted",
        '"><img src=x onerror=alert(1)>',
        "</script><script>alert(1)</script>",
        "Ünïcödé 模型 🤗",
        "line one\nline two",
    ]
)
CODE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=25
).filter(lambda s: s.strip())


@pytest.fixture(scope="module")
def sample():
    return small_sample()


@pytest.fixture(scope="module")
def codebook():
    return demo_codebook()


def _as_stored(text: str, fmt: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "xlsx":
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text.strip()


@settings(max_examples=40)
@given(
    st.lists(TITLE, min_size=1, max_size=6),
    st.lists(CODE, min_size=1, max_size=6),
    st.sampled_from(["csv", "xlsx"]),
)
def test_sheet_round_trip_keeps_titles_and_codes(
    tmp_path_factory, sample, codebook, titles, codes, fmt
):
    folder = tmp_path_factory.mktemp("sheets")
    sample = sample.copy()
    sample["title"] = [titles[i % len(titles)] for i in range(len(sample))]
    sheets = {}
    for coder in ("ann", "bob"):
        rows = good_rows(sample, coder)
        for i, r in enumerate(rows):
            r["code"] = codes[i % len(codes)]
        frame = pd.DataFrame(rows, columns=SHEET_COLUMNS)
        path = folder / f"{coder}.{fmt}"
        (write_sheet_csv(frame, path) if fmt == "csv" else write_sheet_xlsx(frame, coder, path))
        sheets[coder] = path
        header, read = read_sheet(path)
        assert header == SHEET_COLUMNS
        # every title and code comes back as written (outer spaces aside; line breaks as line
        # feeds; in XLSX, control characters as U+FFFD)
        assert [c["title"] for _, c in read] == [_as_stored(r["title"], fmt) for r in rows]
        assert [c["code"] for _, c in read] == [_as_stored(r["code"], fmt) for r in rows]
    imported, _ = import_sheets(sheets, sample, codebook)
    expected = sorted(
        norm_text(codes[j % len(codes)])
        for coder in ("ann", "bob")
        for j in range(len(good_rows(sample, coder)))
    )
    assert sorted(imported["code"]) == expected


KINDS = ("challenge", "benefit", "root_cause")


def _bad_value(column: str, value: str, sample: pd.DataFrame, codebook: pd.DataFrame) -> bool:
    """Whether ``value`` is wrong in ``column`` whatever the rest of the row says."""
    key = norm_text(value).casefold()
    if column == "code":
        return key == ""
    if column == "topic_id":
        return not value.strip().isdigit() or int(value) not in set(sample["topic_id"])
    if column == "kind":
        return key.replace(" ", "_").replace("-", "_") not in KINDS
    names = {norm_text(v).casefold() for c in ("category", "subcategory") for v in codebook[c]}
    return key not in names


@settings(max_examples=60)
@given(
    st.sampled_from(["topic_id", "kind", "category", "subcategory", "code"]),
    st.text(max_size=12) | st.sampled_from(["", "  ", "=1+1", "999999999", "-3", "challenge!"]),
    st.integers(0, 10**6),
)
def test_one_bad_cell_gives_one_error_naming_file_and_row(
    tmp_path_factory, sample, codebook, column, value, pick
):
    assume(_bad_value(column, value, sample, codebook))
    folder = tmp_path_factory.mktemp("bad")
    sheets = {}
    for coder in ("ann", "bob"):
        rows = good_rows(sample, coder)
        if coder == "ann":
            i = pick % len(rows)
            if column == "subcategory" and not rows[i]["subcategory"]:
                column = "category"  # a category without subcategories: spoil the category
            rows[i][column] = value
            bad_row = i + 2
        sheets[coder] = folder / f"{coder}.csv"
        with open(sheets[coder], "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(SHEET_COLUMNS)
            w.writerows([[str(r.get(c, "")) for c in SHEET_COLUMNS] for r in rows])
    with pytest.raises(InputError) as err:
        import_sheets(sheets, sample, codebook)
    message = str(err.value)
    assert f"{sheets['ann']}, row {bad_row}: {column}" in message, message
    assert str(sheets["bob"]) not in message  # the good sheet is not blamed


@given(st.lists(USERNAME, min_size=1, max_size=4, unique_by=str.lower), FILLER)
def test_a_title_naming_a_poster_names_them_by_pseudonym(users, words):
    assume(not any(u.lower() in words.lower() for u in users))
    posts = [{"id": i + 1, "post_number": i + 1, "username": u} for i, u in enumerate(users)]
    title = f"{words} @{users[-1].upper()} and @{users[0]}?"
    topic = {
        "id": 5,
        "created_at": "2023-05-01T10:00:00.000Z",
        "title": title,
        "post_stream": {"posts": posts, "stream": [p["id"] for p in posts]},
    }
    pseudo = Pseudonymizer(b"a title key, at least 16 bytes")
    row, _ = parse_record({"topic": topic, "listed": {}}, {}, pseudo, frozenset(), WHERE)
    assert row["title"] == f"{words} @{pseudo(users[-1])} and @{pseudo(users[0])}?"
