"""A local Discourse stub for the forum tests, replaying real responses from ../shared/data/forum.

The site is built from real, recorded Discourse answers (never copied into the repository):

* ``openai-2023/sample.json``: a real ``/latest.json`` page of community.openai.com. Its 30 topic
  entries are listed verbatim and its page skeleton (``users``, ``topic_list`` keys) is reused
  for every listing page. Their ``/t/{id}.json`` views are built from the entry's fields and real
  post objects of ``output.json`` (re-homed: new ids, this topic's id and post numbers), as many
  as the entry's ``posts_count`` says, so topics of 40, 50 and 70 posts need further batches.
  The two entries with ``has_accepted_answer`` get an accepted post (one written by staff).
* ``openai-2023/output.json``: 163 real topics with their real posts (``post_comments`` wrapped
  as ``post_stream.posts``); the four whose ``posts_count`` exceeds the recorded 20 posts are
  completed with re-homed real posts. They have no category in the recording: they are spread
  over the three categories of the fixture ``categories.json``. One of them gets a null
  ``last_posted_at`` (an edge case Discourse produces), marked below.
* ``discourse-api-fixtures``: ``categories.json`` served as ``/categories.json``; ``topic.json``
  (a real pinned topic, id 57, dates with a -05:00 offset) served verbatim as ``/t/57.json`` and
  listed first, as a pinned entry shaped like the fixture ``latest.json``'s pinned entry.

Listing pages hold 30 topics, pinned first then by ``bumped_at`` descending, with
``more_topics_url`` on full pages, and an empty page after the last. ``/t/{id}.json`` holds the
first 20 posts and the whole ``stream``; ``/t/{id}/posts.json?post_ids[]=..`` serves the rest.
Every request is logged; ``fail()`` queues canned answers (429, 502, truncated JSON) for a URL.

The global post feed ``/posts.json?before=ID`` (the posts among the 50 ids at or below ID, newest
first; without ``before`` the newest window) serves the site's posts as feed items shaped like
the real feed page ``discourse-feed/posts.json`` of discuss.criticalfallibilism.com: each post
with the topic fields the real feed adds (``topic_title``, ``category_id``, ``raw``,
``excerpt``...; the recorded feed carries the same ``cooked`` as the topic view). The recorded
post ids of the site are far apart (real ids of community.openai.com, and the re-homed posts
from 90,000,001): ``DiscourseSite(post_ids="dense")`` numbers every post 1, 2, 3... in creation
order (a forum whose ids are nearly all visible posts), ``post_ids="sparse"`` every
:data:`SPARSE_STEP`-th id (a forum with many private messages or deleted posts); both also make
the pinned fixture topic's listing entry agree with its topic view (``reply_count``), as a real
server's would.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from testenv import shared_path
from werkzeug.wrappers import Request, Response

PER_PAGE = 30
CHUNK = 20
NULL_LAST_POSTED = 548270  # the output.json topic whose last_posted_at is set to null
STAFF_ACCEPTED = 540540  # sample topic whose accepted answer is written by staff
LATE_ACCEPTED = 484098  # sample topic whose accepted answer is post 33 (in a later batch)
PINNED = 57
FEED_WINDOW = 50
SPARSE_STEP = 40  # ids per post on the sparse variant


def _load(*parts: str) -> Any:
    with open(shared_path("forum", *parts), encoding="utf-8") as fh:
        return json.load(fh)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


class DiscourseSite:
    """The state of a stub forum: categories, listing entries and full topics (all posts)."""

    def __init__(self, post_ids: str | None = None, muted: tuple[int, ...] = ()) -> None:
        self.id_step = 1
        # the site's title for /site/basic-info.json; None: the stub does not answer it (404),
        # as a forum that hides it, and the study names the forum by its host
        self.title: str | None = None
        self.muted = set(muted)  # categories muted by default: left out of /latest
        self.feed_hidden: set[int] = set()  # post ids the feed does not show (e.g. whispers)
        sample = _load("openai-2023", "sample.json")
        output = _load("openai-2023", "output.json")
        fixtures = ("discourse-api-fixtures", "spec", "fixtures")
        self.categories = _load(*fixtures, "categories.json")
        pinned_view = _load(*fixtures, "topic.json")
        latest_fixture = _load(*fixtures, "latest.json")
        self.skeleton = {k: v for k, v in sample.items() if k != "topic_list"}
        self.list_skeleton = {
            k: v for k, v in sample["topic_list"].items() if k not in ("topics", "more_topics_url")
        }
        self.pool = [p for t in output for p in t["post_comments"]]
        self._next_post_id = 90_000_000
        self._pool_at = 0
        self.entries: dict[int, dict[str, Any]] = {}
        self.topics: dict[int, dict[str, Any]] = {}  # post_stream.posts holds ALL posts
        self.fixed_view: dict[int, dict[str, Any]] = {}  # served verbatim

        cat_ids = [c["id"] for c in self.categories["category_list"]["categories"]]
        for t in output:
            topic = {k: v for k, v in t.items() if k != "post_comments"}
            topic["category_id"] = cat_ids[t["id"] % len(cat_ids)]
            posts = [copy.deepcopy(p) for p in t["post_comments"]]
            posts += self._clones(t["id"], t["slug"], len(posts), t["posts_count"] - len(posts))
            if t["id"] == NULL_LAST_POSTED:
                topic["last_posted_at"] = None
            self._add(topic, posts, self._entry_from_topic(topic, posts))

        users = {u["id"]: u for u in sample["users"]}
        staff_posts = [p for p in self.pool if p.get("staff")]
        for entry in sample["topic_list"]["topics"]:
            topic = {
                k: entry.get(k)
                for k in (
                    "id",
                    "title",
                    "fancy_title",
                    "slug",
                    "posts_count",
                    "created_at",
                    "views",
                    "reply_count",
                    "like_count",
                    "last_posted_at",
                    "visible",
                    "closed",
                    "archived",
                    "archetype",
                    "category_id",
                    "tags",
                    "pinned",
                    "pinned_globally",
                    "highest_post_number",
                )
            }
            posts = self._clones(entry["id"], entry["slug"], 0, entry["posts_count"])
            op = next(
                (p["user_id"] for p in entry["posters"] if "Original" in p["description"]), None
            )
            if op in users:
                posts[0]["username"] = users[op]["username"]
                posts[0]["user_id"] = op
            self._spread_dates(posts, entry["created_at"], entry["last_posted_at"])
            if entry.get("has_accepted_answer"):
                number = 2 if entry["id"] != LATE_ACCEPTED else 33
                if entry["id"] == STAFF_ACCEPTED:
                    staff = copy.deepcopy(staff_posts[0])
                    keep = {k: posts[number - 1][k] for k in ("id", "post_number", "created_at")}
                    posts[number - 1] = {**staff, **keep, "topic_id": entry["id"]}
                self._accept(topic, posts, number)
            self._add(topic, posts, copy.deepcopy(entry))

        # the real pinned topic of the fixtures, served verbatim
        pinned_entry = copy.deepcopy(latest_fixture["topic_list"]["topics"][0])
        for k in ("id", "title", "fancy_title", "slug", "posts_count", "created_at", "views"):
            pinned_entry[k] = pinned_view[k]
        pinned_entry["last_posted_at"] = pinned_view["last_posted_at"]
        pinned_entry["bumped_at"] = pinned_view["last_posted_at"]
        pinned_entry["category_id"] = pinned_view["category_id"]
        pinned_entry["pinned"] = True
        self.entries[PINNED] = pinned_entry
        self.fixed_view[PINNED] = pinned_view
        feed_item = _load("discourse-feed", "posts.json")["latest_posts"][0]
        self.feed_template = {
            k: feed_item[k] for k in ("raw", "excerpt", "truncated", "topic_html_title")
        }
        for cat in self.categories["category_list"]["categories"]:
            if cat["id"] in self.muted:
                cat["notification_level"] = 0
        if post_ids is not None:
            self.renumber({"dense": 1, "sparse": SPARSE_STEP}[post_ids])
            pinned_entry["reply_count"] = pinned_view["reply_count"]

    def basic_info(self) -> dict[str, Any]:
        """``/site/basic-info.json`` in the shape of Discourse's API description (title,
        description, logos, mobile logo, ...): the site's fields beside its ``title``."""
        return {
            "logo_url": None,
            "logo_small_url": None,
            "apple_touch_icon_url": None,
            "favicon_url": None,
            "title": self.title,
            "description": f"{self.title}: a stub Discourse forum replaying recorded answers",
            "header_primary_color": "333333",
            "header_background_color": "ffffff",
            "login_required": False,
            "locale": "en",
            "include_in_discourse_discover": False,
            "mobile_logo_url": None,
        }

    def renumber(self, step: int) -> None:
        """Number every post ``step``, ``2 step``... in creation order (ties: topic, number)."""
        every = [(t, p) for t in self.entries for p in self.all_posts(t)]
        every.sort(key=lambda tp: (tp[1]["created_at"], tp[0], tp[1]["post_number"]))
        for i, (_, post) in enumerate(every, start=1):
            post["id"] = i * step
        for tid in self.entries:
            view = self.fixed_view.get(tid) or self.topics[tid]
            view["post_stream"]["stream"] = [p["id"] for p in view["post_stream"]["posts"]]
        self.id_step = step
        self._next_post_id = len(every) * step

    # --- building ---

    def _clones(self, tid: int, slug: str, start: int, n: int) -> list[dict[str, Any]]:
        """``n`` real posts from the pool, re-homed as posts start+1.. of topic ``tid``."""
        out = []
        for i in range(n):
            post = copy.deepcopy(self.pool[self._pool_at % len(self.pool)])
            self._pool_at += 1
            self._next_post_id += self.id_step
            post.update(
                id=self._next_post_id,
                topic_id=tid,
                topic_slug=slug,
                post_number=start + i + 1,
                accepted_answer=False,
                reply_to_post_number=None,
            )
            out.append(post)
        return out

    @staticmethod
    def _spread_dates(posts: list[dict[str, Any]], first: str, last: str | None) -> None:
        t0 = datetime.fromisoformat(first.replace("Z", "+00:00"))
        t1 = datetime.fromisoformat((last or first).replace("Z", "+00:00"))
        n = len(posts)
        for i, post in enumerate(posts):
            post["created_at"] = iso(t0 + (t1 - t0) * (i / max(n - 1, 1)))

    @staticmethod
    def _accept(topic: dict[str, Any], posts: list[dict[str, Any]], number: int) -> None:
        for p in posts:
            p["accepted_answer"] = p["post_number"] == number
            p["topic_accepted_answer"] = True
        ap = posts[number - 1]
        topic["accepted_answer"] = {
            "post_number": number,
            "username": ap["username"],
            "name": ap.get("name"),
            "excerpt": ap["cooked"][:100],
        }
        topic["has_accepted_answer"] = True

    @staticmethod
    def _entry_from_topic(topic: dict[str, Any], posts: list[dict[str, Any]]) -> dict[str, Any]:
        last = topic.get("last_posted_at") or posts[-1]["created_at"]
        return {
            "id": topic["id"],
            "title": topic["title"],
            "fancy_title": topic["title"],
            "slug": topic["slug"],
            "posts_count": topic["posts_count"],
            "reply_count": topic["reply_count"],
            "highest_post_number": topic["highest_post_number"],
            "image_url": topic.get("image_url"),
            "created_at": topic["created_at"],
            "last_posted_at": topic.get("last_posted_at"),
            "bumped": True,
            "bumped_at": last,
            "archetype": topic["archetype"],
            "unseen": False,
            "pinned": False,
            "unpinned": None,
            "visible": topic["visible"],
            "closed": topic["closed"],
            "archived": topic["archived"],
            "bookmarked": None,
            "liked": None,
            "tags": topic["tags"],
            "views": topic["views"],
            "like_count": topic["like_count"],
            "has_summary": False,
            "last_poster_username": posts[-1]["username"],
            "category_id": topic["category_id"],
            "pinned_globally": False,
            "featured_link": None,
            "has_accepted_answer": any(p.get("accepted_answer") for p in posts),
            "posters": [],
        }

    def _add(self, topic: dict[str, Any], posts: list[dict[str, Any]], entry: dict[str, Any]):
        topic = dict(topic)
        topic["post_stream"] = {"posts": posts, "stream": [p["id"] for p in posts]}
        self.topics[topic["id"]] = topic
        self.entries[topic["id"]] = entry

    # --- changes (for the incremental crawl) ---

    def add_posts(self, tid: int, n: int, when: datetime) -> None:
        """``n`` new posts in topic ``tid`` at ``when``: the topic is bumped."""
        topic = self.topics[tid]
        posts = topic["post_stream"]["posts"]
        new = self._clones(tid, topic["slug"], len(posts), n)
        for post in new:
            post["created_at"] = iso(when)
        posts.extend(new)
        topic["post_stream"]["stream"] = [p["id"] for p in posts]
        topic["posts_count"] = topic["highest_post_number"] = len(posts)
        topic["last_posted_at"] = iso(when)
        entry = self.entries[tid]
        entry.update(
            posts_count=len(posts),
            highest_post_number=len(posts),
            last_posted_at=iso(when),
            bumped_at=iso(when),
        )

    def accept_quietly(self, tid: int, number: int) -> None:
        """Mark an accepted answer the way Discourse does: no bump, the listing unchanged."""
        self._accept(self.topics[tid], self.topics[tid]["post_stream"]["posts"], number)

    def edit_quietly(self, tid: int, number: int, cooked: str) -> None:
        """Edit a post: no bump, the listing unchanged."""
        self.topics[tid]["post_stream"]["posts"][number - 1]["cooked"] = cooked

    def move(self, tid: int, category_id: int) -> None:
        """Move a topic to another category (no bump; the listing shows the new category)."""
        self.topics[tid]["category_id"] = category_id
        self.entries[tid]["category_id"] = category_id

    def new_topic(self, like: int, tid: int, when: datetime) -> None:
        """A new topic ``tid`` created at ``when``, with the posts of topic ``like`` re-homed."""
        src = self.topics[like]
        posts = self._clones(tid, src["slug"], 0, len(src["post_stream"]["posts"]))
        for post in posts:
            post["created_at"] = iso(when)
        topic = {k: v for k, v in src.items() if k not in ("post_stream", "accepted_answer")}
        topic.update(
            id=tid, created_at=iso(when), last_posted_at=iso(when), title="New: " + src["title"]
        )
        self._add(topic, posts, self._entry_from_topic(topic, posts))

    # --- answers ---

    def ordered(self) -> list[dict[str, Any]]:
        pinned = [e for e in self.entries.values() if e.get("pinned")]
        rest = [e for e in self.entries.values() if not e.get("pinned")]
        rest.sort(key=lambda e: (e.get("bumped_at") or "", e["id"]), reverse=True)
        return sorted(pinned, key=lambda e: e["id"]) + rest

    def latest(self, page: int, category: int | None = None) -> dict[str, Any]:
        """Page ``page`` of ``/latest.json`` (without the muted categories), or of the
        category listing ``/c/{slug}/{category}.json``."""
        if category is None:
            shown = [e for e in self.ordered() if e.get("category_id") not in self.muted]
        else:
            shown = [e for e in self.ordered() if e.get("category_id") == category]
        chunk = shown[page * PER_PAGE : (page + 1) * PER_PAGE]
        topic_list = dict(self.list_skeleton)
        topic_list["topics"] = copy.deepcopy(chunk)
        if len(chunk) == PER_PAGE:
            where = "/latest" if category is None else f"/c/{category}"
            topic_list["more_topics_url"] = f"{where}?no_definitions=true&page={page + 1}"
        return {**copy.deepcopy(self.skeleton), "topic_list": topic_list}

    def view(self, tid: int) -> dict[str, Any] | None:
        if tid in self.fixed_view:
            return copy.deepcopy(self.fixed_view[tid])
        topic = self.topics.get(tid)
        if topic is None:
            return None
        out = copy.deepcopy(topic)
        out["post_stream"]["posts"] = out["post_stream"]["posts"][:CHUNK]
        return out

    def posts(self, tid: int, ids: list[int]) -> dict[str, Any]:
        wanted = set(ids)
        posts = [p for p in self.topics[tid]["post_stream"]["posts"] if p["id"] in wanted]
        return {"post_stream": {"posts": copy.deepcopy(posts)}, "id": tid}

    def all_posts(self, tid: int) -> list[dict[str, Any]]:
        if tid in self.fixed_view:
            return self.fixed_view[tid]["post_stream"]["posts"]
        return self.topics[tid]["post_stream"]["posts"]

    def feed(self, before: int | None) -> dict[str, Any]:
        """``/posts.json?before=ID``: the posts among ids ID-49..ID, newest first, as the real
        feed serves them (the topic fields added; the listing's posts_count)."""
        items = []
        for tid, entry in self.entries.items():
            for post in self.all_posts(tid):
                items.append((post, tid, entry))
        top = max(p["id"] for p, _, _ in items) if before is None else before
        out = []
        for post, tid, entry in items:
            if top - FEED_WINDOW < post["id"] <= top and post["id"] not in self.feed_hidden:
                item = {**self.feed_template, **copy.deepcopy(post)}
                item.update(
                    topic_id=tid,
                    topic_title=entry["title"],
                    topic_html_title=entry["title"],
                    topic_slug=entry["slug"],
                    category_id=entry["category_id"],
                    posts_count=entry["posts_count"],
                )
                out.append(item)
        out.sort(key=lambda p: p["id"], reverse=True)
        return {"latest_posts": out}

    def feed_pages(self, lowest: int = 1) -> int:
        """Feed pages from the newest post id down to ``lowest``: the walk's bound."""
        newest = max(p["id"] for t in self.entries for p in self.all_posts(t))
        return -(-(newest - lowest + 1) // FEED_WINDOW)

    def expected_requests(self) -> dict[str, int]:
        """Requests of one complete crawl: the bound the crawler must meet exactly."""
        n = len(self.entries)
        pages = -(-n // PER_PAGE) + 1  # the pages with topics, then the empty page
        batches = sum(-(-max(len(self.all_posts(t)) - CHUNK, 0) // CHUNK) for t in self.entries)
        return {
            "categories": 1,
            "site": 1,
            "pages": pages,
            "catchup": 1,
            "topics": n,
            "batches": batches,
            "total": 2 + pages + 1 + n + batches,
        }


class StubServer:
    """Serves a :class:`DiscourseSite` through pytest-httpserver and logs every request."""

    def __init__(self, httpserver, site: DiscourseSite) -> None:
        self.site = site
        self.httpserver = httpserver
        self.log: list[tuple[str, str]] = []  # (key, query string)
        self.headers: list[dict[str, str]] = []  # request headers, in order
        self.faults: dict[str, list[Response]] = {}
        self.unavailable: set[int] = set()
        httpserver.expect_request(re.compile(r"^/.*")).respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.httpserver.url_for("").rstrip("/")

    def fail(self, key: str, *responses: Response) -> None:
        """Answer the next requests of ``key`` (e.g. ``/t/5.json``, ``/latest.json?page=2``)."""
        self.faults.setdefault(key, []).extend(responses)

    def count(self, prefix: str = "") -> int:
        return sum(1 for key, _ in self.log if key.startswith(prefix))

    def counts(self) -> Counter:
        return Counter(key for key, _ in self.log)

    def topic_requests(self) -> list[int]:
        return [int(m.group(1)) for k, _ in self.log if (m := re.fullmatch(r"/t/(\d+)\.json", k))]

    def handle(self, request: Request) -> Response:
        path = request.path
        key = path
        if path == "/latest.json":
            key = f"/latest.json?page={int(request.args.get('page', 0))}"
        cat = re.fullmatch(r"/c/[^/]+/(\d+)\.json", path)
        if cat:
            key = f"{path}?page={int(request.args.get('page', 0))}"
        if path == "/posts.json" and "before" in request.args:
            key = f"/posts.json?before={request.args['before']}"
        self.log.append((key, request.query_string.decode()))
        self.headers.append(dict(request.headers))
        queued = self.faults.get(key)
        if queued:
            return queued.pop(0)
        if path == "/categories.json":
            return _json(self.site.categories)
        if path == "/site/basic-info.json" and self.site.title is not None:
            return _json(self.site.basic_info())
        if cat:
            return _json(self.site.latest(int(request.args.get("page", 0)), int(cat.group(1))))
        if path == "/posts.json":
            before = request.args.get("before")
            return _json(self.site.feed(int(before) if before is not None else None))
        if path == "/latest.json":
            return _json(self.site.latest(int(request.args.get("page", 0))))
        m = re.fullmatch(r"/t/(\d+)\.json", path)
        if m:
            tid = int(m.group(1))
            view = None if tid in self.unavailable else self.site.view(tid)
            if view is None:
                return _json({"errors": ["The requested URL or resource could not be found."]}, 404)
            return _json(view)
        m = re.fullmatch(r"/t/(\d+)/posts\.json", path)
        if m:
            ids = [int(i) for i in request.args.getlist("post_ids[]")]
            return _json(self.site.posts(int(m.group(1)), ids))
        return _json({"errors": ["not found"]}, 404)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def rate_limited(retry_after: int = 7) -> Response:
    """A real-shaped Discourse 429: text/plain body, Retry-After and the error-code header."""
    return Response(
        "You’ve performed this action too many times. Please wait 7 seconds before trying again.",
        status=429,
        headers={
            "Retry-After": str(retry_after),
            "Discourse-Rate-Limit-Error-Code": "ip_10_secs_limit",
        },
        content_type="text/plain; charset=utf-8",
    )


def bad_gateway() -> Response:
    return Response(
        "<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, content_type="text/html"
    )


def truncated(body: Any) -> Response:
    text = json.dumps(body)
    return Response(text[: len(text) // 2], status=200, content_type="application/json")


def now_utc() -> datetime:
    return datetime.now(UTC)


def days_ago(days: float) -> datetime:
    return now_utc() - timedelta(days=days)
