"""The topics of the SYNTHETIC demo forum (:mod:`hfreuse.forum.demo`): :class:`TopicMaker`
draws each topic of the plan (:mod:`hfreuse.forum.demo_plan`) from one seeded RNG in a fixed
order and returns its stored record: the listing entry, ``/t/{id}.json`` with the first chunk of
posts and the further ``posts.json`` batches, as a crawl stores them. Usernames are
``demo_user_0042`` / ``demo_staff_03``.
"""

from __future__ import annotations

import html
import math
import random
from bisect import bisect_right
from datetime import datetime
from itertools import accumulate
from typing import Any

from . import raw as raw
from .demo_plan import (
    CATEGORIES,
    END,
    HOSTILE_TITLES,
    accepted_answer,
    categories_by_month,
    draw_n_posts,
    iso,
    month_index,
    reply_times,
)
from .demo_text import TAGS, paragraphs, question, reply

STAFF = 8


class Users:
    """The demo's users and staff; authors are drawn Zipf-like (a few users write a lot)."""

    def __init__(self, rng: random.Random, n_users: int) -> None:
        self.names = [f"demo_user_{i:04d}" for i in range(1, n_users + 1)]
        # Zipf-like activity: a few users write a lot
        self.cum = list(accumulate(1.0 / (i + 1) ** 0.9 for i in range(n_users)))
        self.rng = rng
        self.staff = [f"demo_staff_{i:02d}" for i in range(1, STAFF + 1)]

    def pick(self) -> tuple[int, str]:
        i = bisect_right(self.cum, self.rng.random() * self.cum[-1])
        i = min(i, len(self.names) - 1)
        return 1000 + i, self.names[i]

    def pick_staff(self) -> tuple[int, str]:
        i = self.rng.randrange(STAFF)
        return 10 + i, self.staff[i]


def _post(
    pid: int,
    tid: int,
    slug: str,
    number: int,
    when: datetime,
    user: tuple[int, str],
    staff: bool,
    cooked: str,
    reply_to: int | None,
    accepted: bool,
    topic_accepted: bool,
) -> dict[str, Any]:
    uid, name = user
    return {
        "id": pid,
        "name": "",
        "username": name,
        "avatar_template": f"/letter_avatar_proxy/v4/letter/d/{uid % 997:03d}/{{size}}.png",
        "created_at": iso(when),
        "cooked": cooked,
        "post_number": number,
        "post_type": 1,
        "updated_at": iso(when),
        "reply_count": 0,
        "reply_to_post_number": reply_to,
        "quote_count": 0,
        "reads": 1 + (pid * 7919) % 90,
        "topic_id": tid,
        "topic_slug": slug,
        "display_username": "",
        "primary_group_name": None,
        "version": 1,
        "moderator": staff,
        "admin": staff and uid < 12,
        "staff": staff,
        "user_id": uid,
        "trust_level": 4 if staff else 1 + uid % 3,
        "hidden": False,
        "deleted_at": None,
        "user_deleted": False,
        "accepted_answer": accepted,
        "topic_accepted_answer": topic_accepted,
    }


def _slug(title: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in title)
    return "-".join(p for p in out.split("-") if p)[:80] or "topic"


def _listing_entry(
    tid: int,
    title: str,
    slug: str,
    created: datetime,
    posts: list[dict[str, Any]],
    asker: tuple[int, str],
    category_id: int,
    pinned: bool,
    pinned_globally: bool,
    accepted_number: int | None,
    stats: tuple[int, int, list[str]],
) -> dict[str, Any]:
    """The topic as ``/latest.json`` lists it."""
    views, likes, tags = stats
    n_posts = len(posts)
    last = posts[-1]["created_at"]
    return {
        "id": tid,
        "title": title,
        "fancy_title": html.escape(title),
        "slug": slug,
        "posts_count": n_posts,
        "reply_count": sum(1 for p in posts if p["reply_to_post_number"] is not None),
        "highest_post_number": n_posts,
        "image_url": None,
        "created_at": iso(created),
        "last_posted_at": last,
        "bumped": True,
        "bumped_at": last,
        "archetype": "regular",
        "unseen": False,
        "pinned": pinned,
        "unpinned": None,
        "visible": True,
        "closed": False,
        "archived": False,
        "bookmarked": None,
        "liked": None,
        "tags": tags,
        "views": views,
        "like_count": likes,
        "has_summary": False,
        "last_poster_username": posts[-1]["username"],
        "category_id": category_id,
        "pinned_globally": pinned_globally,
        "featured_link": None,
        "has_accepted_answer": accepted_number is not None,
        "posters": [
            {"description": "Original Poster", "user_id": asker[0]},
            {"description": "Most Recent Poster", "user_id": posts[-1]["user_id"]},
        ],
    }


def _topic_view(
    entry: dict[str, Any],
    posts: list[dict[str, Any]],
    asker: tuple[int, str],
    accepted_number: int | None,
) -> dict[str, Any]:
    """The topic as ``/t/{id}.json`` serves it (the first chunk of posts)."""
    n_posts = len(posts)
    topic = {
        "id": entry["id"],
        "title": entry["title"],
        "fancy_title": entry["fancy_title"],
        "slug": entry["slug"],
        "posts_count": n_posts,
        "created_at": entry["created_at"],
        "last_posted_at": entry["last_posted_at"],
        "views": entry["views"],
        "reply_count": entry["reply_count"],
        "like_count": entry["like_count"],
        "highest_post_number": n_posts,
        "visible": True,
        "closed": False,
        "archived": False,
        "archetype": "regular",
        "category_id": entry["category_id"],
        "tags": entry["tags"],
        "pinned": entry["pinned"],
        "pinned_globally": entry["pinned_globally"],
        "user_id": asker[0],
        "word_count": sum(len(p["cooked"].split()) for p in posts),
        "deleted_at": None,
        "details": {"created_by": {"id": asker[0], "username": asker[1]}},
        "post_stream": {
            "posts": posts[: raw.POSTS_BATCH],
            "stream": [p["id"] for p in posts],
        },
    }
    if accepted_number is not None:
        ap = posts[accepted_number - 1]
        topic["accepted_answer"] = {
            "post_number": accepted_number,
            "username": ap["username"],
            "name": "",
            "excerpt": ap["cooked"][:120],
        }
    return topic


def _post_batches(tid: int, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The posts beyond the first chunk, as ``/t/{id}/posts.json`` batches."""
    return [
        {"post_stream": {"posts": posts[i : i + raw.POSTS_BATCH]}, "id": tid}
        for i in range(raw.POSTS_BATCH, len(posts), raw.POSTS_BATCH)
    ]


class TopicMaker:
    """Makes the topics of the plan one by one, drawing from one seeded RNG in a fixed order."""

    def __init__(
        self, rng: random.Random, users: Users, mu: float, n_topics: int, hostile: bool = False
    ) -> None:
        self.rng, self.users, self.mu = rng, users, mu
        self.hostile = hostile
        self.questions = 0
        self.cache: dict[int, Any] = {}
        self.month_cats = categories_by_month()
        self.id_step = max(1, 150_000 // n_topics)
        self.tid = 0
        self.pid = 0

    def make(self, created: datetime, kind: str, extra: Any, crawl: str) -> dict[str, Any]:
        """The stored record of the next topic (its listing entry under ``listed``)."""
        rng = self.rng
        self.tid += rng.randint(1, 2 * self.id_step - 1) if self.id_step > 1 else 1
        tid = self.tid
        month = month_index(created.strftime("%Y-%m"))
        pinned_globally = kind == "announce"
        pinned = kind != "regular"
        cat, title, n_posts, mention_share = self._kind(kind, extra, month)
        category_id, category = cat[0], cat[1]
        asker = self.users.pick_staff() if pinned else self.users.pick()
        if kind == "regular":
            title, first = question(rng, category, mention_share, month, self.cache)
            self.questions += 1
            if self.hostile and self.questions % 5 == 1:
                pick = (self.questions // 5) % len(HOSTILE_TITLES)
                title = f"{HOSTILE_TITLES[pick]} {title}"
        else:
            first = paragraphs(
                [f"{html.escape(title)}. Please read the guidelines before posting."]
            )
        slug = _slug(title)
        times = reply_times(rng, created, n_posts)
        accepted_number, accepted_kind = accepted_answer(rng, kind, n_posts)
        posts = self._posts(
            tid,
            slug,
            times,
            asker,
            pinned,
            first,
            month,
            mention_share,
            accepted_number,
            accepted_kind,
        )
        entry = _listing_entry(
            tid,
            title,
            slug,
            created,
            posts,
            asker,
            category_id,
            pinned,
            pinned_globally,
            accepted_number,
            self._stats(created, n_posts),
        )
        return {
            "version": raw.RECORD_VERSION,
            "topic_id": tid,
            "status": 200,
            "fetched_at": crawl,
            "listed": entry,
            "topic": _topic_view(entry, posts, asker, accepted_number),
            "post_batches": _post_batches(tid, posts),
        }

    def _kind(self, kind: str, extra: Any, month: int) -> tuple[tuple, str | None, int, float]:
        """``(category, title, posts, mention share)``; a question's title comes later."""
        rng = self.rng
        if kind == "about":
            cat = extra
            return cat, f"About the {cat[1]} category", 1, 0.0
        if kind == "announce":
            cat = CATEGORIES[0] if extra == 0 else next(c for c in CATEGORIES if c[1] == "Hub")
            title = ["Welcome to the forum: read this first", "New forum guidelines"][extra]
            return cat, title, 8 + rng.randint(0, 30), 0.1
        cats, cum = self.month_cats[month]
        cat = cats[bisect_right(cum, rng.random() * cum[-1])]
        return cat, None, draw_n_posts(rng, self.mu), cat[5]

    def _posts(
        self,
        tid: int,
        slug: str,
        times: list[datetime],
        asker: tuple[int, str],
        pinned: bool,
        first: str,
        month: int,
        mention_share: float,
        accepted_number: int | None,
        accepted_kind: str | None,
    ) -> list[dict[str, Any]]:
        """The posts of a topic: the first by the asker, then replies by staff, the asker and
        other users (the accepted answer by its chosen kind of author)."""
        rng, users = self.rng, self.users
        posts: list[dict[str, Any]] = []
        for number in range(1, len(times) + 1):
            self.pid += 1
            if number == 1:
                author, staff = asker, pinned
                cooked = first
                reply_to = None
            else:
                if number == accepted_number:
                    who = accepted_kind
                else:
                    r = rng.random()
                    who = "staff" if r < 0.12 else ("asker" if r < 0.4 else "other")
                if who == "staff":
                    author, staff = users.pick_staff(), True
                elif who == "asker":
                    author, staff = asker, pinned
                else:
                    author, staff = users.pick(), False
                mention = posts[-1]["username"] if posts else None
                cooked = reply(rng, month, self.cache, mention_share, mention)
                reply_to = number - 1 if rng.random() < 0.3 else None
            posts.append(
                _post(
                    self.pid,
                    tid,
                    slug,
                    number,
                    times[number - 1],
                    author,
                    staff,
                    cooked,
                    reply_to,
                    number == accepted_number,
                    accepted_number is not None,
                )
            )
        return posts

    def _stats(self, created: datetime, n_posts: int) -> tuple[int, int, list[str]]:
        """``(views, likes, tags)`` of a topic."""
        rng = self.rng
        age_days = max((END - created).days, 1)
        views = int(rng.lognormvariate(math.log(40 + 4 * math.sqrt(age_days)), 0.8)) + n_posts
        likes = sum(int(rng.random() < 0.25) for _ in range(n_posts))
        tags = sorted(set(rng.sample(TAGS, rng.randint(1, 2)))) if rng.random() < 0.15 else []
        return views, likes, tags
