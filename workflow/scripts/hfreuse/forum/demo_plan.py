"""The calendar and the plan of the SYNTHETIC demo forum (:mod:`hfreuse.forum.demo`): its
categories (like the real ones, each opening at its real time), the months topics are created
in (a quick start, strong growth through 2021-2023, then a plateau), the length of a topic (37 %
single posts, a lognormal tail) and its accepted answer, and the names :data:`HOSTILE_CATEGORIES`
and :data:`HOSTILE_TITLES` served with ``demo.hostile_names``.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

START = datetime(2020, 7, 1, tzinfo=UTC)
END = datetime(2025, 6, 18, tzinfo=UTC)  # the demo "crawl" date, as the Hub demo's

# (category id, name, slug, first month, relative weight, share of topics that mention a model)
CATEGORIES: list[tuple[int, str, str, str, float, float]] = [
    (1, "Site Feedback", "site-feedback", "2020-07", 0.6, 0.05),
    (5, "Beginners", "beginners", "2020-07", 30.0, 0.55),
    (6, "Intermediate", "intermediate", "2020-07", 7.0, 0.6),
    (7, "Research", "research", "2020-07", 3.0, 0.5),
    (9, "Transformers", "transformers", "2020-07", 18.0, 0.75),
    (10, "Datasets", "datasets", "2020-07", 5.0, 0.15),
    (11, "Tokenizers", "tokenizers", "2020-07", 2.0, 0.5),
    (13, "Models", "models", "2020-08", 8.0, 0.85),
    (14, "Show and Tell", "show-and-tell", "2020-09", 1.2, 0.4),
    (15, "Uncategorized", "uncategorized", "2020-07", 0.5, 0.3),
    (16, "Community Calls", "community-calls", "2021-01", 0.3, 0.3),
    (17, "Hub", "hub", "2021-01", 2.0, 0.2),
    (18, "Amazon SageMaker", "sagemaker", "2021-03", 2.0, 0.5),
    (19, "Accelerate", "accelerate", "2021-04", 1.5, 0.35),
    (20, "Course", "course", "2021-06", 2.0, 0.4),
    (21, "Flax/JAX Projects", "flax-jax-projects", "2021-06", 1.0, 0.5),
    (22, "Optimum", "optimum", "2021-09", 0.8, 0.5),
    (23, "Spaces", "spaces", "2021-10", 6.0, 0.15),
    (24, "Gradio", "gradio", "2021-10", 3.0, 0.15),
    (25, "AutoTrain", "autotrain", "2022-03", 1.0, 0.4),
    (26, "Diffusers", "diffusers", "2022-08", 4.0, 0.2),
    (27, "Inference Endpoints", "inference-endpoints", "2022-10", 1.5, 0.4),
]
MODEL_CATEGORIES = {"Beginners", "Intermediate", "Transformers", "Models", "Research"}
# demo.hostile_names: category names served instead (by id) and titles put before every fifth
# question's title (script and formula injection, like hfreuse.hub.demo.HOSTILE_MODEL_TYPES)
HOSTILE_CATEGORIES = {
    9: "</script><script>window.__pwned='category';document.title='PWNED category'</script>",
    13: "\"><img src=x onerror=window.__pwned='cat-img';document.title='PWNED-cat-img'>",
    23: "=cmd|' /C calc'!A0",
    10: "@SUM(1+1)*cmd|' /C calc'!A0",
    26: "+cmd|' /C notepad'!A0",
    24: "-2+3+cmd|' /C calc'!A0",
}
HOSTILE_TITLES = [
    "</script><script>window.__pwned='title';document.title='PWNED title'</script>",
    "\"><img src=x onerror=window.__pwned='title-img';document.title='PWNED-title-img'>",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.invalid","click")',
]


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def month_index(ym: str) -> int:
    y, m = map(int, ym.split("-"))
    return (y - START.year) * 12 + (m - START.month)


def month_start(index: int) -> datetime:
    y, m = divmod(START.month - 1 + index, 12)
    return datetime(START.year + y, m + 1, 1, tzinfo=UTC)


N_MONTHS = month_index(END.strftime("%Y-%m")) + 1


def month_weights() -> list[float]:
    """Topics per month: a quick start, strong growth through 2021-2023, then a plateau."""
    out = []
    for i in range(N_MONTHS):
        w = 1.0 + 6.0 / (1.0 + math.exp(-(i - 17) / 6.0))
        if i == N_MONTHS - 1:  # the crawl ends mid-month
            w *= (END - month_start(i)).total_seconds() / (
                (month_start(i + 1) - month_start(i)).total_seconds()
            )
        out.append(w)
    return out


SINGLE_POST_SHARE = 0.37
MAX_POSTS = 400


def draw_n_posts(rng: random.Random, mu: float) -> int:
    """Posts of a topic: 37 % single posts, else 2 + floor(lognormal(mu, 1)), at most 400."""
    if rng.random() < SINGLE_POST_SHARE:
        return 1
    return min(2 + int(rng.lognormvariate(mu, 1.0)), MAX_POSTS)


def mean_posts(mu: float) -> float:
    def cdf(x: float) -> float:  # P(lognormal(mu, 1) < x)
        return 0.5 * (1 + math.erf((math.log(x) - mu) / math.sqrt(2))) if x > 0 else 0.0

    replied = sum(
        min(2 + k, MAX_POSTS) * (cdf(k + 1) - cdf(k)) for k in range(MAX_POSTS)
    ) + MAX_POSTS * (1 - cdf(MAX_POSTS))
    return SINGLE_POST_SHARE + (1 - SINGLE_POST_SHARE) * replied


def solve_mu(mean: float) -> float:
    """The ``mu`` of :func:`draw_n_posts` that gives ``mean`` posts per topic (bisection)."""
    lo, hi = -6.0, 6.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mean_posts(mid) < mean else (lo, mid)
    return (lo + hi) / 2


def categories_by_month() -> list[tuple[list[tuple], list[float]]]:
    """Per month: the open categories and their cumulative weights (category of a topic)."""
    month_cats = []
    for m in range(N_MONTHS):
        open_cats = [c for c in CATEGORIES if month_index(c[3]) <= m]
        month_cats.append((open_cats, list(accumulate(c[4] for c in open_cats))))
    return month_cats


def plan_topics(rng: random.Random, n_topics: int) -> list[tuple[datetime, str, Any]]:
    """``(created, kind, extra)`` of every topic in creation order: regular questions (extra:
    month index), one pinned "About the X category" per category (extra: the category) and two
    global announcements (extra: 0 or 1)."""
    mw = list(accumulate(month_weights()))
    n_special = len(CATEGORIES) + 2
    n_regular = n_topics - n_special
    months = sorted(bisect_right(mw, rng.random() * mw[-1]) for _ in range(n_regular))
    plan: list[tuple[datetime, str, Any]] = []
    for m in months:
        start = month_start(m)
        span = (min(month_start(m + 1), END) - start).total_seconds()
        plan.append((start + timedelta(seconds=rng.random() * span), "regular", m))
    for cat in CATEGORIES:  # "About the X category": pinned, opened with the category
        plan.append((month_start(month_index(cat[3])) + timedelta(hours=9), "about", cat))
    plan.append((datetime(2021, 3, 15, 16, tzinfo=UTC), "announce", 0))
    plan.append((datetime(2023, 5, 2, 15, tzinfo=UTC), "announce", 1))
    plan.sort(key=lambda p: p[0])
    return plan


def reply_times(rng: random.Random, created: datetime, n_posts: int) -> list[datetime]:
    """Post times: gaps of minutes to days, never past the crawl date."""
    times = [created]
    for _ in range(n_posts - 1):
        gap = rng.expovariate(1.0 / 20.0) if rng.random() < 0.8 else rng.expovariate(1 / 400)
        times.append(min(times[-1] + timedelta(hours=gap), END - timedelta(minutes=1)))
    return times


def accepted_answer(rng: random.Random, kind: str, n_posts: int) -> tuple[int | None, str | None]:
    """``(post number, author kind)`` of the accepted answer of a question, or ``(None, None)``."""
    if kind == "regular" and n_posts >= 2 and rng.random() < 0.2:
        accepted_number = rng.randint(2, min(n_posts, 6))
        r = rng.random()
        return accepted_number, "staff" if r < 0.35 else ("asker" if r < 0.47 else "other")
    return None, None
