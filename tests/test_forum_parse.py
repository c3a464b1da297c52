"""Parsing raw forum records: HTML to text, pseudonyms, accepted answers, odd fields."""

from __future__ import annotations

import json
import re
from collections import Counter

import pandas as pd
import pytest
from conftest import shared_path
from hfreuse.errors import InputError
from hfreuse.forum import raw as raw
from hfreuse.forum.parse import Pseudonymizer, html_to_text, parse_forum, parse_record
from hfreuse.io import atomic_write_json

KEY = b"unit-test-key-0123456789"


# --- HTML to text ------------------------------------------------------------------------------

COOKED = """<p>Hi <a class="mention" href="/u/John_Doe">@John_Doe</a>, try this:</p>
<pre><code class="lang-python">from transformers import AutoModel
model = AutoModel.from_pretrained(&quot;bert-base-uncased&quot;)

for x in range(3):
    print(x &lt; 2)
</code></pre>
<aside class="quote no-group" data-username="alice" data-post="2" data-topic="5">
<div class="title"><div class="quote-controls"></div>
<img alt="" width="24" height="24" src="/a.png" class="avatar"> alice:</div>
<blockquote><p>It fails with <code>OOM</code> on GPU</p></blockquote></aside>
<ul><li>one</li><li>two &amp; three</li></ul>
<aside class="onebox githubissue" data-onebox-src="https://github.com/x/y/issues/1">
<header class="source"><a href="https://github.com">github.com</a></header>
<article class="onebox-body"><h3>Some issue title</h3><p>preview text</p></article></aside>
<p>Thanks @alice.<br>Mail bob@example.com <img src="/e.png" class="emoji" alt=":smile:"></p>
<div class="lightbox-wrapper"><a class="lightbox" href="x"><img src="y">
<div class="meta"><span class="filename">image</span><span class="informations">2289×1243 123 KB
</span></div></a></div>"""


def test_html_to_text_keeps_code_and_drops_noise():
    text = html_to_text(COOKED, lambda u: f"P[{u.lower()}]", ["alice", "john_doe"])
    assert text.split("\n") == [
        "Hi @P[john_doe], try this:",
        "from transformers import AutoModel",
        'model = AutoModel.from_pretrained("bert-base-uncased")',
        "",
        "for x in range(3):",
        "    print(x < 2)",
        "> It fails with OOM on GPU",
        "one",
        "two & three",
        "https://github.com/x/y/issues/1",
        "Thanks @P[alice].",
        "Mail bob@example.com :smile:",
    ]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (None, ""),
        ("", ""),
        ("plain words", "plain words"),
        ("<p>a <b>bold <i>move</p><p>next", "a bold move\nnext"),  # unclosed tags
        ("<p>x</p><script>alert(1)</script><p>y</p>", "x\ny"),
        ("<p>code <code>a  b</code> inline</p>", "code a b inline"),
        ("<pre>no code tag\n  kept</pre>", "no code tag\n  kept"),
        ("<p>x</p><pre><code>left\n  open", "x\nleft\n  open"),  # cut short: kept
        ('<p>see <a href="https://a.example/m">this', "see this (https://a.example/m)"),
        ("<p>@carol is not a participant</p>", "@carol is not a participant"),
    ],
)
def test_html_to_text_cases(html, text):
    assert html_to_text(html, lambda u: "X", ["alice"]) == text


# --- pseudonyms --------------------------------------------------------------------------------


def test_pseudonyms_are_keyed_stable_and_case_insensitive():
    a = raw.pseudonym(KEY, "Alice")
    assert a == raw.pseudonym(KEY, "alice") == Pseudonymizer(KEY)("ALICE")
    assert a.startswith("user-") and len(a) == 21 and "alice" not in a
    assert a != raw.pseudonym(b"another-key-0123456789", "alice")
    assert a != raw.pseudonym(KEY, "alice2")


def test_key_file_is_created_once_per_snapshot(tmp_path, monkeypatch):
    monkeypatch.delenv(raw.KEY_ENV, raising=False)
    k1 = raw.load_or_create_key(tmp_path / "s1")
    assert raw.load_or_create_key(tmp_path / "s1") == k1  # stable within the snapshot
    assert raw.key_path(tmp_path / "s1").stat().st_mode & 0o777 == 0o600
    assert raw.load_or_create_key(tmp_path / "s2") != k1  # another snapshot, another key
    monkeypatch.setenv(raw.KEY_ENV, "from-the-environment")
    assert raw.load_or_create_key(tmp_path / "s1") == b"from-the-environment"
    assert not raw.key_path(tmp_path / "s3").exists() and raw.load_or_create_key(tmp_path / "s3")
    assert not raw.key_path(tmp_path / "s3").exists()


# --- records -----------------------------------------------------------------------------------


def post(pid, number, username, cooked="<p>hi</p>", **kw):
    return {
        "id": pid,
        "post_number": number,
        "username": username,
        "created_at": f"2021-05-01T10:{number:02d}:00.000Z",
        "cooked": cooked,
        "staff": False,
        "reply_to_post_number": None,
        **kw,
    }


def record(tid, posts, topic_extra=None, listed_extra=None, batches=None):
    first = posts[:20]
    topic = {
        "id": tid,
        "title": f"Topic {tid}",
        "slug": f"topic-{tid}",
        "category_id": 5,
        "created_at": "2021-05-01T10:00:00.000+02:00",
        "last_posted_at": "2021-05-03T10:00:00.000Z",
        "posts_count": len(posts),
        "reply_count": 0,
        "views": 10,
        "like_count": 1,
        "tags": [],
        "post_stream": {"posts": first, "stream": [p["id"] for p in posts]},
        **(topic_extra or {}),
    }
    listed = {"id": tid, "created_at": topic["created_at"], **(listed_extra or {})}
    return {
        "version": raw.RECORD_VERSION,
        "topic_id": tid,
        "status": 200,
        "fetched_at": "2024-01-01T00:00:00Z",
        "listed": listed,
        "topic": topic,
        "post_batches": batches
        if batches is not None
        else ([{"post_stream": {"posts": posts[20:]}, "id": tid}] if len(posts) > 20 else []),
    }


def test_accepted_answer_from_topic_field_and_from_post_flags():
    pseudo = Pseudonymizer(KEY)
    posts = [post(1, 1, "asker"), post(2, 2, "helper", staff=True), post(3, 3, "asker")]
    rec = record(10, posts, topic_extra={"accepted_answer": {"post_number": 2, "username": "x"}})
    row, prows = parse_record(rec, {5: "Beginners"}, pseudo)
    assert row["has_accepted_answer"] and row["accepted_post_number"] == 2
    assert [p["is_accepted_answer"] for p in prows] == [False, True, False]
    assert [p["author_is_staff"] for p in prows] == [False, True, False]
    assert row["category"] == "Beginners"
    assert str(row["created_at"]) == "2021-05-01 08:00:00+00:00"  # offset converted to UTC

    flagged = [post(1, 1, "a"), post(2, 2, "b"), post(3, 3, "c", accepted_answer=True)]
    row, prows = parse_record(record(11, flagged), {}, pseudo)
    assert row["accepted_post_number"] == 3 and row["category"] is None
    assert [p["is_accepted_answer"] for p in prows] == [False, False, True]

    # the listing alone says "has an accepted answer" (the post itself is not marked)
    row, _ = parse_record(
        record(12, posts[:2], listed_extra={"has_accepted_answer": True}), {}, pseudo
    )
    assert row["has_accepted_answer"] and row["accepted_post_number"] is None


def test_odd_fields_null_last_posted_tag_objects_pinned_in_listing_staff_groups():
    pseudo = Pseudonymizer(KEY)
    posts = [post(1, 1, "a", primary_group_name="HF-Team"), post(2, 2, "b", moderator=True)]
    rec = record(
        13,
        posts,
        topic_extra={
            "last_posted_at": None,
            "tags": [{"id": 1, "name": "t5", "slug": "t5"}, "bert", "bert"],
            "views": None,
        },
        listed_extra={"pinned": True},
    )
    row, prows = parse_record(rec, {}, pseudo, staff_groups=frozenset({"hf-team"}))
    assert row["last_posted_at"] is None
    assert row["tags"] == ["bert", "t5"] and row["views"] == 0 and row["pinned"]
    assert [p["author_is_staff"] for p in prows] == [True, True]
    row, prows = parse_record(rec, {}, pseudo)
    assert [p["author_is_staff"] for p in prows] == [False, True]


def test_posts_of_batches_come_in_stream_order_once_each():
    posts = [post(100 + i, i + 1, f"u{i % 3}") for i in range(45)]
    rec = record(14, posts)
    rec["post_batches"] = [
        {"post_stream": {"posts": posts[40:]}, "id": 14},
        {"post_stream": {"posts": posts[20:40] + posts[:2]}, "id": 14},  # overlaps: kept once
    ]
    _, prows = parse_record(rec, {}, Pseudonymizer(KEY))
    assert [p["post_number"] for p in prows] == list(range(1, 46))


def test_categories_with_subcategories():
    doc = {
        "category_list": {
            "categories": [
                {
                    "id": 1,
                    "name": "Models",
                    "slug": "models",
                    "topic_count": 4,
                    "subcategory_list": [{"id": 7, "name": "Model cards", "slug": "cards"}],
                },
                {"id": 2, "name": "Spaces", "slug": "spaces", "parent_category_id": None},
            ]
        }
    }
    flat = raw.check_categories(doc, "x")
    assert [(c["id"], c["parent_category_id"]) for c in flat] == [(1, None), (7, 1), (2, None)]
    with pytest.raises(InputError, match="categories.json: expected"):
        raw.check_categories({"categories": []}, "categories.json")


def write_snapshot(forum, records, categories=None):
    raw.write_json_gz(
        raw.categories_path(forum), categories or {"category_list": {"categories": []}}
    )
    for rec in records:
        raw.write_json_gz(raw.topic_path(forum, rec["topic_id"]), rec)
    atomic_write_json(raw.listing_path(forum), {"topic_ids": [r["topic_id"] for r in records]})
    atomic_write_json(raw.manifest_path(forum), {"synthetic": True})


def test_incomplete_snapshots_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, KEY.decode())
    forum = tmp_path / "forum"
    write_snapshot(forum, [record(20, [post(1, 1, "a")]), record(21, [post(2, 1, "b")])])
    assert parse_forum(forum)[1].num_rows == 2
    raw.topic_path(forum, 21).unlink()
    with pytest.raises(InputError, match=r"21\.json\.gz: topic 21 is listed"):
        parse_forum(forum)
    raw.manifest_path(forum).unlink()
    with pytest.raises(InputError, match="not complete"):
        parse_forum(forum)


def test_a_damaged_record_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, KEY.decode())
    forum = tmp_path / "forum"
    write_snapshot(forum, [record(30, [post(1, 1, "a")])])
    path = raw.topic_path(forum, 30)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(InputError, match=r"30\.json\.gz"):
        parse_forum(forum)


# --- real posts of the OpenAI forum ---------------------------------------------------------------


def test_real_openai_posts_raw_usernames_never_reach_the_tables(tmp_path, monkeypatch):
    monkeypatch.setenv(raw.KEY_ENV, KEY.decode())
    topics = json.loads(shared_path("forum", "openai-2023", "output.json").read_text())
    records = []
    for t in topics:
        records.append(_openai_record(t))
    forum = tmp_path / "forum"
    write_snapshot(forum, records)
    _, topic_table, post_table = parse_forum(forum)
    posts = post_table.to_pandas()
    assert len(posts) == 554 and topic_table.num_rows == 163
    usernames = {p["username"] for t in topics for p in t["post_comments"]}
    assert posts["author"].nunique() == len({u.lower() for u in usernames})
    assert posts["author"].str.fullmatch(r"user-[0-9a-f]{16}").all()
    # no raw username as an author, nor as an @mention in a text
    assert not set(posts["author"]) & usernames
    for name in usernames:
        assert not posts["text"].str.contains(f"@{name}", case=False, regex=False).any(), name
    mention_posts = sum(
        '<a class="mention"' in p["cooked"] for t in topics for p in t["post_comments"]
    )
    assert mention_posts and posts["text"].str.contains("@user-").sum() >= mention_posts
    # code blocks are kept, HTML is gone, image metadata dropped
    with_code = [p["id"] for t in topics for p in t["post_comments"] if "<pre>" in p["cooked"]]
    texts = posts.set_index("post_id")["text"]
    assert with_code and all("\n" in texts[i] for i in with_code)
    prose = texts.drop(with_code)  # (code blocks may hold markup as text, e.g. JSX)
    assert not prose.str.contains(r"</?(?:p|div|pre|code|a|img|br)\b", regex=True).any()
    assert texts.str.contains("<div", regex=False).sum() == 1  # the JSX of post 732395
    assert not texts.str.contains("2289×1243").any()
    assert (posts["text_length"] == posts["text"].str.len()).all()
    assert posts["is_accepted_answer"].sum() == 14
    assert posts["author_is_staff"].sum() == 2
    assert pd.api.types.is_datetime64_any_dtype(posts["created_at"])


# --- usernames beyond the posters (issue 11) -------------------------------------------------------

# real-shaped cooked HTML: a mention of a user who did not post (the openai-2023 snapshot's form),
# a quote with its "NAME:" header (the discourse-feed form), an unrendered BBCode quote, share links
PRIVACY_COOKED = """<p>Thanks <a class="mention" href="/u/ronaldgruckus">@RonaldGRuckus</a> and \
<a class="mention" href="/u/zoë_k">@zoë_k</a>, see \
https://discuss.huggingface.co/t/some-slug/123/4?u=Share_User.</p>
<aside class="quote no-group" data-username="anonymous105" data-post="28" data-topic="2144">
<div class="title">
<div class="quote-controls"></div>
<img alt="" width="24" height="24" src="https://discuss.example/letter_avatar_proxy/v4/letter/a/8797f3/48.png" \
class="avatar"> anonymous105:</div>
<blockquote>
<p>Is <em>We the Living</em> also short?</p>
</blockquote>
</aside>
<p>[quote="QuoteUser, post:3, topic:123"]<br>unrendered<br>[/quote]</p>
<aside class="onebox allowlistedgeneric" \
data-onebox-src="https://discuss.huggingface.co/t/other/77/2?u=onebox_user">
<header class="source"><a href="https://discuss.huggingface.co/t/other/77">hf</a></header></aside>
<pre><code>[quote="Code Person, post:1, topic:9, username:code_user"]
curl "https://x.example/api?a=1&amp;u=code_user2&amp;b=2"</code></pre>"""


def test_usernames_of_non_posters_quotes_and_share_links_do_not_reach_the_text():
    pseudo = Pseudonymizer(KEY)
    posts = [post(1, 1, "asker"), post(2, 2, "helper", cooked=PRIVACY_COOKED)]
    _, prows = parse_record(record(40, posts), {}, pseudo)
    text = prows[1]["text"]
    for name in [
        "ronaldgruckus",
        "zoë_k",
        "share_user",
        "anonymous105",
        "quoteuser",
        "onebox_user",
        "code person",
        "code_user",
    ]:
        assert name not in text.lower(), (name, text)
    assert text.split("\n") == [
        f"Thanks @{pseudo('RonaldGRuckus')} and @{pseudo('zoë_k')}, see"
        " https://discuss.huggingface.co/t/some-slug/123/4.",
        "> Is We the Living also short?",
        f'[quote="{pseudo("QuoteUser")}, post:3, topic:123"]',
        "unrendered",
        "[/quote]",
        "https://discuss.huggingface.co/t/other/77/2",
        f'[quote="{pseudo("code_user")}, post:1, topic:9"]',
        'curl "https://x.example/api?a=1&b=2"',
    ]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # the mention's name is the one of its address, not of its (display) text
        ('<p><a class="mention" href="/u/carol">@Carol</a> hi</p>', "@X[carol] hi"),
        ('<p><a class="mention" href="https://f.example/u/dave">@dave</a></p>', "@X[dave]"),
        # a quote header that is not in a div.title is dropped too
        (
            '<aside class="quote" data-username="eve">eve: <span>eve</span><blockquote>b</blockquote>'
            "</aside>",
            "> b",
        ),
        ("<p>[quote=frank]x[/quote]</p>", '[quote="X[frank]"]x[/quote]'),
        (
            "<p>https://f.example/t/s/1?u=gina&amp;x=1 https://f.example/t/s/1?x=1&amp;u=gina</p>",
            "https://f.example/t/s/1?x=1 https://f.example/t/s/1?x=1",
        ),
        (
            "<p>https://f.example/search?menu=1 /t/s/1/2?u=hal</p>",
            "https://f.example/search?menu=1 /t/s/1/2",
        ),
    ],
)
def test_usernames_out_of_text_cases(html, text):
    assert html_to_text(html, lambda u: f"X[{u.lower()}]", []) == text


def test_a_stale_accepted_flag_on_an_older_post_is_not_credited():
    pseudo = Pseudonymizer(KEY)
    posts = [
        post(1, 1, "asker"),
        post(2, 2, "old_helper", accepted_answer=True),  # stale flag
        post(3, 3, "helper", accepted_answer=True),
    ]
    rec = record(41, posts, topic_extra={"accepted_answer": {"post_number": 3, "username": "x"}})
    row, prows = parse_record(rec, {}, pseudo)
    assert row["accepted_post_number"] == 3
    assert [p["is_accepted_answer"] for p in prows] == [False, False, True]
    # without the topic's own answer, one post only (the first flagged) is the accepted answer
    del rec["topic"]["accepted_answer"]
    row, prows = parse_record(rec, {}, pseudo)
    assert row["accepted_post_number"] == 2
    assert [p["is_accepted_answer"] for p in prows] == [False, True, False]


# --- links, previews, quotes and emoji (issue 13) --------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # a link keeps its target when its text is not its address
        (
            '<p>I used <a href="https://huggingface.co/openai/whisper-large-v2">this one</a>.</p>',
            "I used this one (https://huggingface.co/openai/whisper-large-v2).",
        ),
        # ... and is written once when it is (with or without scheme, www., final slash)
        (
            '<p><a href="https://huggingface.co/gpt2/">huggingface.co/gpt2</a> and '
            '<a href="http://www.x.example">x.example</a></p>',
            "huggingface.co/gpt2 and x.example",
        ),
        # a link without text: its address; an image's lightbox: nothing
        (
            '<p><a href="https://colab.research.google.com/x"><img src="/badge.svg"></a> '
            '<a class="lightbox" href="https://cdn.example/i.png"><img src="/i.png"></a></p>',
            "https://colab.research.google.com/x",
        ),
        # relative links (topics, categories, uploads, anchors) keep their text only
        ('<p><a href="/t/slug/12">that topic</a> <a href="#fn1">[1]</a></p>', "that topic [1]"),
        # an inline onebox is a title the server fetched: its URL alone
        (
            '<p>see <a href="https://github.com/x/y/issues/3" class="inline-onebox">Crash on '
            "load · Issue #3 · x/y</a> too</p>",
            "see https://github.com/x/y/issues/3 too",
        ),
        # an older onebox without data-onebox-src: the address of its first link
        (
            '<aside class="onebox whitelistedgeneric"><header class="source"><img '
            'src="/icon.png" class="site-icon"><a href="https://huggingface.co/bert-base-uncased"'
            ' target="_blank">huggingface.co</a></header><article class="onebox-body"><h3>'
            '<a href="https://huggingface.co/bert-base-uncased">bert-base-uncased · Hugging Face'
            "</a></h3><p>We're on a journey</p></article></aside><p>after</p>",
            "https://huggingface.co/bert-base-uncased\nafter",
        ),
        # a still older one: a div.onebox-result naming its source
        (
            '<div class="onebox-result" data-onebox-src="https://arxiv.org/abs/1810.04805">'
            '<div class="source"><a href="https://arxiv.org">arxiv.org</a></div>'
            '<div class="onebox-result-body"><h3>BERT</h3></div></div>',
            "https://arxiv.org/abs/1810.04805",
        ),
        # video embeds: lazyYT (old), lazy-video-container (new), an iframe, an uploaded video
        (
            '<p>watch</p><div class="lazyYT" data-youtube-id="dQw4w9WgXcQ" data-width="480" '
            'data-height="270" data-parameters="feature=oembed"></div>',
            "watch\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        (
            '<div class="youtube-onebox lazy-video-container" data-video-id="abc" '
            'data-provider-name="youtube"><a href="https://www.youtube.com/watch?v=abc&amp;t=5s">'
            '<img class="youtube-thumbnail" src="/t.jpg" title="A talk"></a></div>',
            "https://www.youtube.com/watch?v=abc&t=5s",
        ),
        (
            '<p><iframe src="//www.youtube.com/embed/xyz" width="480"></iframe></p>',
            "https://www.youtube.com/embed/xyz",
        ),
        (
            '<div class="video-placeholder-container" data-video-src="/uploads/default/v.mp4">'
            '</div><div class="onebox video-onebox"><video><source src="https://v.example/'
            'a.mp4"></video></div>',
            "/uploads/default/v.mp4\nhttps://v.example/a.mp4",
        ),
        # quotes are marked, nested ones twice
        (
            "<p>before</p><blockquote><p>outer</p><blockquote><p>inner</p></blockquote></blockquote>"
            "<p>after</p>",
            "before\n> outer\n> > inner\nafter",
        ),
        (
            '<aside class="quote"><div class="title">bob:</div><blockquote><p>a</p><pre><code>x=1\n'
            "\ny=2</code></pre></blockquote></aside>",
            "> a\n> x=1\n>\n> y=2",
        ),
        # a quote of another topic starts with its URL (the link of the quote's header); a
        # preview in a quote gives its own URL
        (
            '<aside class="quote" data-username="kim" data-post="38" data-topic="80485">'
            '<div class="title"><div class="quote-controls"></div><img class="avatar" '
            'src="/a.png"><a href="https://f.example/t/intro/80485/38">Introducing APIs</a>'
            '</div><blockquote><p>code</p><aside class="onebox"><header><a '
            'href="https://x.example/a">x</a></header></aside></blockquote></aside>',
            "> https://f.example/t/intro/80485/38\n> code\n> https://x.example/a",
        ),
        # emoji become :name: (title, alt without colons, or the image's file name)
        (
            '<p>fork <img src="/e/fork_and_knife.png?v=12" title=":fork_and_knife:" '
            'class="emoji" alt=":fork_and_knife:">. ok <img class="emoji" alt="slight_smile" '
            'src="/s.png"> <img class="emoji only-emoji" src="/images/emoji/twitter/+1.png"></p>',
            "fork :fork_and_knife:. ok :slight_smile: :+1:",
        ),
    ],
)
def test_links_previews_quotes_and_emoji(html, text):
    assert html_to_text(html, lambda u: f"X[{u.lower()}]", []) == text


def test_user_addresses_in_kept_links_are_pseudonymized():
    html = (
        '<p><a href="https://discuss.huggingface.co/u/Grace_H/summary">Grace_H\'s summary</a> '
        '<a href="/u/heidi">heidi</a> https://discuss.huggingface.co/u/ivan and '
        '<a href="https://discuss.huggingface.co/t/s/5/2?u=judy">a reply</a></p>'
        '<p><a href="https://f.example/users/Kate_K/activity">older profile</a> '
        '<a href="https://f.example/user_avatar/f.example/leo/120/7_2.png"><img src="/a.png"></a>'
        "</p>"
    )
    text = html_to_text(html, lambda u: f"X[{u.lower()}]", [])
    assert text == (
        "X[grace_h]'s summary (https://discuss.huggingface.co/u/X[grace_h]/summary) X[heidi] "
        "https://discuss.huggingface.co/u/X[ivan] and a reply "
        "(https://discuss.huggingface.co/t/s/5/2)\n"
        "older profile (https://f.example/users/X[kate_k]/activity) "
        "https://f.example/user_avatar/f.example/X[leo]/120/7_2.png"
    )


def test_counts_of_links_previews_and_emoji():
    counts: Counter[str] = Counter()
    html_to_text(COOKED, None, [], counts)
    html_to_text(
        '<p><a href="https://a.example/x">x</a> <a href="http://b.example">b.example'
        '</a><div class="lazyYT"></div></p>',
        None,
        [],
        counts,
    )
    assert dict(counts) == {
        "previews": 1,
        "emoji": 1,
        "links kept": 1,
        "links as typed": 1,
        "previews without URL": 1,
    }


def test_real_posts_keep_every_link_target_preview_and_emoji():
    """The real posts of the OpenAI forum and the discourse-feed pages: every user link whose
    text is not its address keeps its target, every preview its URL, every emoji its name."""
    import html as html_lib
    import re

    topics = json.loads(shared_path("forum", "openai-2023", "output.json").read_text())
    cooked = [p["cooked"] for t in topics for p in t["post_comments"]]
    feed = json.loads(shared_path("forum", "discourse-feed", "posts.json").read_text())
    cooked += [p["cooked"] for p in feed["latest_posts"]]
    link = re.compile(r'<a href="(https?://[^"]+)" rel="noopener[^"]*">([^<]+)</a>')
    onebox = re.compile(r'data-onebox-src="([^"]+)"')
    emoji = re.compile(r'<img [^>]*class="emoji[^"]*" alt=":?([^":]+):?"')
    seen = {"links": 0, "previews": 0, "emoji": 0}

    def norm(address):
        return re.sub(r"^(?:https?://)?(?:www\.)?", "", address.lower()).rstrip("/")

    for html in cooked:
        text = html_to_text(html, lambda u: "X")
        for url, label in link.findall(html):
            url, label = html_lib.unescape(url), html_lib.unescape(label).strip()
            if norm(url) != norm(label):
                assert f"{label} ({url})" in text, (url, text)
                seen["links"] += 1
        for url in onebox.findall(html):
            assert html_lib.unescape(url) in text.split("\n") or any(
                line.endswith(" " + html_lib.unescape(url)) for line in text.split("\n")
            ), (url, text)
            seen["previews"] += 1
        for name in emoji.findall(html):
            assert f":{name}:" in text
            seen["emoji"] += 1
    assert min(seen.values()) >= 10, seen


# --- usernames standing as words (issue 19) --------------------------------------------------------

# the positions a username stands in as plain words: an unlinked mention (Discourse writes one when
# it cannot link the name: a user of no account or one that cannot be mentioned), thanks-lines,
# greetings, home folders of file paths, a link's address, a title
WORDS_COOKED = r"""<p>As <span class="mention">@Zq007Leak</span> wrote, and <span class="mention">@outsider_9</span> too.</p>
<p>Many thanks zq.008.leak</p>
<p>Thanks, ZQ-010_LEAK!</p>
<p>Hi Zq007Leak, the file is in</p>
<pre><code>C:\Users\zq_009-leak\AppData\Local\huggingface
/home/zq.008.leak/.cache/huggingface/hub</code></pre>
<p>see <a href="https://github.com/Zq007Leak/repo">my repo</a></p>"""
WORD_NAMES = ["Zq007Leak", "zq.008.leak", "zq_009-leak", "ZQ-010_LEAK", "outsider_9"]


def test_usernames_standing_as_words_become_pseudonyms():
    pseudo = Pseudonymizer(KEY)
    posts = [
        post(1, 1, "Zq007Leak"),
        post(
            2,
            2,
            "zq.008.leak",
            cooked=WORDS_COOKED,
            reply_to_user={"username": "zq_009-leak"},
            mentioned_users=[{"username": "ZQ-010_LEAK"}],
        ),
    ]
    rec = record(41, posts, {"title": "Error in the script of Zq007Leak"})
    row, prows = parse_record(rec, {}, pseudo)
    p = {n: pseudo(n) for n in WORD_NAMES}
    assert prows[1]["text"].split("\n") == [
        f"As @{p['Zq007Leak']} wrote, and @{p['outsider_9']} too.",
        f"Many thanks {p['zq.008.leak']}",
        f"Thanks, {p['ZQ-010_LEAK']}!",
        f"Hi {p['Zq007Leak']}, the file is in",
        rf"C:\Users\{p['zq_009-leak']}\AppData\Local\huggingface",
        f"/home/{p['zq.008.leak']}/.cache/huggingface/hub",
        f"see my repo (https://github.com/{p['Zq007Leak']}/repo)",
    ]
    assert row["title"] == f"Error in the script of {p['Zq007Leak']}"


def test_names_that_are_words_are_replaced_only_in_name_positions():
    """A user called "bert", "model", "thanks" or "man" keeps the words (the model type) in the
    text; the names are replaced after @, a greeting or thanks (but the phrase's own words: "Hi
    all"), and in a home folder."""
    pseudo = Pseudonymizer(KEY)
    cooked = (
        "<p>I fine-tuned bert and the model, thanks! A bert-base model.</p>"
        "<p>Thanks bert, and @model too. Hi thanks.</p><p>Thanks man.</p>"
        "<pre><code>/Users/model/x.py</code></pre>"
        "<p>Hi all, thanks everyone. @all</p>"
    )
    users = ("bert", "model", "thanks", "Man", "all", "everyone")
    posts = [post(i, i, u) for i, u in enumerate(users, 1)]
    posts.append(post(10, 10, "asker", cooked=cooked))
    _, prows = parse_record(record(42, posts), {}, pseudo)
    assert prows[-1]["text"].split("\n") == [
        "I fine-tuned bert and the model, thanks! A bert-base model.",
        f"Thanks {pseudo('bert')}, and @{pseudo('model')} too. Hi {pseudo('thanks')}.",
        f"Thanks {pseudo('man')}.",
        f"/Users/{pseudo('model')}/x.py",
        f"Hi all, thanks everyone. @{pseudo('all')}",
    ]


def test_every_username_of_the_snapshot_is_replaced_in_every_topic(tmp_path, monkeypatch):
    """A user who posted in another topic, one known only from the listing, one mentioned
    unlinked elsewhere: their names are replaced in every topic (the snapshot's username index,
    built once and rebuilt when the snapshot changes)."""
    monkeypatch.setenv(raw.KEY_ENV, KEY.decode())
    forum = tmp_path / "forum"
    other = post(2, 1, "Other_Poster7", cooked='<p><span class="mention">@Far_Away3</span></p>')
    text = "<p>Thanks Other_Poster7 and Listed_Only5, and far_away3 too</p>"
    write_snapshot(forum, [record(50, [post(1, 1, "asker", cooked=text)]), record(51, [other])])
    listing = {"users": [{"id": 3, "username": "Listed_Only5"}], "topic_list": {"topics": []}}
    raw.write_json_gz(raw.page_path(forum, 0), listing)
    pseudo = Pseudonymizer(KEY)
    posts = parse_forum(forum)[2].to_pylist()
    assert posts[0]["text"] == (
        f"Thanks {pseudo('Other_Poster7')} and {pseudo('Listed_Only5')},"
        f" and {pseudo('far_away3')} too"
    )
    assert posts[1]["text"] == f"@{pseudo('Far_Away3')}"
    assert parse_forum(forum, n_shards=2)[2].to_pylist() == posts

    from hfreuse.forum.names import snapshot_usernames, usernames_path

    assert usernames_path(forum).exists()
    assert snapshot_usernames(forum, [50, 51]) >= {"other_poster7", "listed_only5", "far_away3"}
    atomic_write_json(raw.manifest_path(forum), {"synthetic": "changed"})
    raw.write_json_gz(raw.page_path(forum, 0), {"users": [], "topic_list": {"topics": []}})
    assert "listed_only5" not in snapshot_usernames(forum, [50, 51])


def test_real_openai_posts_hold_no_username_of_the_snapshot_as_a_word(tmp_path, monkeypatch):
    """The real posts name users in plain text (``Thanks @_j``, ``Hello @sps``, a GitHub or
    Twitter handle that is the poster's username): none stays."""
    from output_search import name_pattern

    monkeypatch.setenv(raw.KEY_ENV, KEY.decode())
    topics = json.loads(shared_path("forum", "openai-2023", "output.json").read_text())
    records = [_openai_record(t) for t in topics]
    write_snapshot(tmp_path / "forum", records)
    _, topic_table, post_table = parse_forum(tmp_path / "forum")
    usernames = {p["username"].lower() for t in topics for p in t["post_comments"]}
    texts = post_table.column("text").to_pylist() + topic_table.column("title").to_pylist()
    # names that are no words (a digit or "_" in them) anywhere; every name in a name position
    anywhere = name_pattern(n for n in usernames if len(n) >= 4 and re.search(r"[\d_]", n))
    assert [m.group(0) for t in texts for m in anywhere.finditer(t)] == []
    positional = name_pattern(usernames)
    after = re.compile(r"(?:@|\b(?:thanks|hi|hello|hey|welcome),?\s)$", re.IGNORECASE)
    hits = [
        m.group(0)
        for t in texts
        for m in positional.finditer(t)
        if after.search(t[max(0, m.start() - 10) : m.start()])
    ]
    assert hits == []


def _openai_record(t):
    posts = t["post_comments"]
    view = {k: v for k, v in t.items() if k != "post_comments"}
    view["post_stream"] = {"posts": posts, "stream": [p["id"] for p in posts]}
    return {
        "version": raw.RECORD_VERSION,
        "topic_id": t["id"],
        "status": 200,
        "fetched_at": "2023-12-08T00:00:00Z",
        "listed": {"id": t["id"], "created_at": t["created_at"]},
        "topic": view,
        "post_batches": [],
    }
