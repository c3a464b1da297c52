"""The coding sample: Cochran's sample size, a seeded (optionally stratified) draw, coder assignment.

The study coded 455 of about 11 k forum topics: Cochran's sample size for a proportion at 95 %
confidence and a 4.5 % margin of error, with the finite-population correction.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from ..errors import InputError

SAMPLE_COLUMNS = [
    "topic_id",
    "sample_order",
    "stratum",
    "forum_category",
    "title",
    "url",
    "created_at",
    "posts_count",
    "has_accepted_answer",
    "excerpt",
    "coders",
    "double_coded",
]


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: 1.959964 for 95 % confidence."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def cochran_n0(confidence: float, margin: float, proportion: float = 0.5) -> float:
    """Cochran's sample size for an infinite population: z^2 p (1 - p) / e^2."""
    if not 0 < margin < 1:
        raise ValueError(f"margin must be in (0, 1), not {margin}")
    z = z_value(confidence)
    return z * z * proportion * (1 - proportion) / (margin * margin)


def cochran_sample_size(
    population: int, confidence: float, margin: float, proportion: float = 0.5
) -> int:
    """Cochran's sample size with the finite-population correction n0 / (1 + (n0 - 1) / N),
    rounded up (never more than the population)."""
    if population <= 0:
        return 0
    n0 = cochran_n0(confidence, margin, proportion)
    n = n0 / (1 + (n0 - 1) / population)
    return min(population, math.ceil(n - 1e-9))


@dataclass(frozen=True)
class SampleDesign:
    population: int
    sample_size: int
    method: str  # "cochran" or "fixed"
    confidence: float
    margin: float
    proportion: float
    stratified: bool
    overlap: float
    double_coded: int
    coders: int
    seed: int

    def as_frame(self) -> pd.DataFrame:
        z = z_value(self.confidence)
        n0 = cochran_n0(self.confidence, self.margin, self.proportion)
        row = {
            "population": self.population,
            "sample_size": self.sample_size,
            "method": self.method,
            "confidence": self.confidence,
            "margin": self.margin,
            "proportion": self.proportion,
            "z": z,
            "n0": n0,
            "stratified": self.stratified,
            "overlap": self.overlap,
            "double_coded": self.double_coded,
            "coders": self.coders,
            "seed": self.seed,
        }
        return pd.DataFrame([row]).astype(
            {
                "population": "int64",
                "sample_size": "int64",
                "double_coded": "int64",
                "coders": "int64",
                "seed": "int64",
            }
        )


def allocate(stratum_sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of ``n`` over strata, largest remainder (ties: larger stratum,
    then name), never more than a stratum holds."""
    total = sum(stratum_sizes.values())
    if n > total:
        raise ValueError(f"cannot draw {n} of {total}")
    quotas = {s: n * size / total for s, size in stratum_sizes.items()}
    alloc = {s: min(stratum_sizes[s], math.floor(q)) for s, q in quotas.items()}
    order = sorted(
        stratum_sizes, key=lambda s: (-(quotas[s] - math.floor(quotas[s])), -stratum_sizes[s], s)
    )
    left = n - sum(alloc.values())
    while left > 0:
        for s in order:
            if left and alloc[s] < stratum_sizes[s]:
                alloc[s] += 1
                left -= 1
    return alloc


def first_post_excerpts(posts: pd.DataFrame, max_chars: int) -> pd.Series:
    """The first post's text per topic, whitespace collapsed, cut at a word boundary."""
    first = posts[posts["post_number"] == 1].sort_values(["topic_id", "post_id"])
    first = first.drop_duplicates("topic_id")
    return pd.Series(
        [excerpt(t, max_chars) for t in first["text"]], index=first["topic_id"].astype("int64")
    )


def excerpt(text: object, max_chars: int) -> str:
    if not isinstance(text, str):
        return ""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars].rsplit(" ", 1)[0]
    return (cut or text[:max_chars]).rstrip() + " …"


def assign_coders(n: int, coders: list[str], overlap: float) -> tuple[list[list[str]], int]:
    """Coders of each of ``n`` topics (in sample order): the first round(overlap * n) topics go
    to a pair of coders (pairs in rotation, first coder = primary), the others to one coder in
    rotation. Returns the lists and the number of double-coded topics."""
    if not coders:
        raise InputError("coding.coders: expected at least one coder")
    pairs = [(a, b) for i, a in enumerate(coders) for b in coders[i + 1 :]]
    n_double = math.floor(overlap * n + 0.5) if pairs else 0
    out: list[list[str]] = []
    for i in range(n):
        if i < n_double:
            a, b = pairs[i % len(pairs)]
            out.append([a, b] if (i // len(pairs)) % 2 == 0 else [b, a])
        else:
            out.append([coders[(i - n_double) % len(coders)]])
    return out, n_double


def topic_url(template: str, slug: object, topic_id: int) -> str:
    """A topic's address: the slug percent-encoded (no ``/``, ``?``, ``#`` or space of a slug
    changes the address's path or query)."""
    slug = slug if isinstance(slug, str) and slug else "topic"
    return template.format(slug=quote(slug, safe=""), topic_id=topic_id)


TOPIC_COLUMNS = {
    "topic_id",
    "title",
    "slug",
    "category",
    "created_at",
    "posts_count",
    "pinned",
    "has_accepted_answer",
}


def _population(topics: pd.DataFrame, exclude_pinned: bool) -> pd.DataFrame:
    """The topics to sample from, one row per topic id in id order (pinned ones left out)."""
    missing = TOPIC_COLUMNS - set(topics.columns)
    if missing:
        raise InputError(f"topics table: missing columns {sorted(missing)}")
    pop = topics.sort_values("topic_id", kind="mergesort").drop_duplicates("topic_id")
    if exclude_pinned:
        pop = pop[~pop["pinned"].fillna(False).astype(bool)]
    return pop.reset_index(drop=True)


def _pick(rng: np.random.Generator, strata: pd.Series, n: int, stratified: bool) -> np.ndarray:
    """Sorted row positions of ``n`` topics: allocated to the strata, or a simple random sample."""
    if stratified:
        sizes = strata.value_counts().to_dict()
        alloc = allocate({str(k): int(v) for k, v in sizes.items()}, n)
        picked = []
        for s in sorted(alloc):
            idx = np.flatnonzero((strata == s).to_numpy())
            if alloc[s]:
                picked.extend(rng.choice(idx, size=alloc[s], replace=False).tolist())
        return np.array(sorted(picked), dtype=int)
    return np.sort(rng.choice(len(strata), size=n, replace=False)) if n else np.array([], int)


def _size(
    population: int, sample_size: int | None, confidence: float, margin: float, proportion: float
) -> tuple[int, str]:
    """The sample size and how it was chosen: Cochran's (``sample_size`` None) or fixed."""
    if sample_size is None:
        return cochran_sample_size(population, confidence, margin, proportion), "cochran"
    return min(int(sample_size), population), "fixed"


def _sample_table(
    chosen: pd.DataFrame,
    stratum: Any,
    assigned: list,
    excerpts: dict[int, str],
    url_template: str,
) -> pd.DataFrame:
    """The sample's rows in sample order (``chosen``: the drawn topics)."""
    ids = chosen["topic_id"].astype("int64")
    sample = pd.DataFrame(
        {
            "topic_id": ids,
            "sample_order": np.arange(1, len(chosen) + 1, dtype="int64"),
            "stratum": stratum,
            "forum_category": chosen["category"].astype("string"),
            "title": chosen["title"].astype("string"),
            "url": [
                topic_url(url_template, s, int(t)) for s, t in zip(chosen["slug"], ids, strict=True)
            ],
            "created_at": pd.to_datetime(chosen["created_at"], utc=True),
            "posts_count": chosen["posts_count"].astype("int64"),
            "has_accepted_answer": chosen["has_accepted_answer"].fillna(False).astype(bool),
            "excerpt": [excerpts.get(int(t), "") for t in ids],
            "coders": assigned,
            "double_coded": [len(c) > 1 for c in assigned],
        }
    )
    sample["stratum"] = sample["stratum"].astype("string")
    return sample


def draw_sample(
    topics: pd.DataFrame,
    posts: pd.DataFrame,
    *,
    seed: int,
    sample_size: int | None,
    confidence: float,
    margin: float,
    proportion: float,
    stratify_by_category: bool,
    exclude_pinned: bool,
    coders: list[str],
    overlap: float,
    excerpt_chars: int,
    url_template: str,
) -> tuple[pd.DataFrame, SampleDesign]:
    """Draw the coding sample from the forum tables (contract of results/forum/*.parquet)."""
    pop = _population(topics, exclude_pinned)
    population = len(pop)
    n, method = _size(population, sample_size, confidence, margin, proportion)
    rng = np.random.default_rng(seed)
    strata = pop["category"].fillna("(no category)").astype(str)
    picked = _pick(rng, strata, n, stratify_by_category)
    order = rng.permutation(len(picked))
    chosen = pop.iloc[picked[order]].reset_index(drop=True)
    assigned, n_double = assign_coders(len(chosen), list(coders), overlap)
    stratum = strata.iloc[picked[order]].to_numpy() if stratify_by_category else "all"
    excerpts = first_post_excerpts(posts, excerpt_chars)
    sample = _sample_table(chosen, stratum, assigned, excerpts, url_template)
    design = SampleDesign(
        population=population,
        sample_size=len(sample),
        method=method,
        confidence=confidence,
        margin=margin,
        proportion=proportion,
        stratified=stratify_by_category,
        overlap=overlap,
        double_coded=n_double,
        coders=len(coders),
        seed=seed,
    )
    return sample[SAMPLE_COLUMNS], design
