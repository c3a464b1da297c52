"""Demo only: simulated coders who fill the coding sheets of the demo sample (SYNTHETIC).

Each sampled topic gets a latent "true" coding drawn from the codebook: one or two challenges
(weighted towards the categories that fit its forum category), benefits when it has replies, and
a root cause when it has an accepted answer. Every simulated coder then copies that coding with
independent, seeded mistakes: with probability ``error_rate`` a code moves to another subcategory
of its category (60 %) or to another category of the same kind (40 %), and a secondary code is
sometimes left out. Agreement between the simulated coders is therefore realistic but not perfect.
Random draws are seeded per (seed, coder, topic), so the result does not depend on row order.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .sheets import SHEET_COLUMNS

# Relative weights of the demo's challenge and benefit categories (a rough, invented shape:
# a few large categories and a long tail), and forum-category hints that favour a category.
_CATEGORY_WEIGHT_BY_ORDER = [14, 12, 11, 9, 8, 8, 7, 7, 6, 4, 4, 3, 2, 1.5, 1.2, 1, 1]
_BENEFIT_WEIGHT_BY_ORDER = [50, 27, 15, 3, 3, 2]
_FORUM_HINTS = {
    "dataset": "Dataset Acquisition & Usage",
    "token": "Training Pipeline",
    "space": "Spaces",
    "gradio": "External Platforms & Libraries",
    "sagemaker": "External Platforms & Libraries",
    "amazon": "External Platforms & Libraries",
    "course": "Tutorial & Documentation",
    "inference": "Inference & Deployment",
    "accelerate": "Memory & Performance",
    "beginner": "Onboarding",
    "model": "Model Usage and Understanding",
    "transformer": "Model Usage and Understanding",
}
_ROOT_GROUP_WEIGHTS = {"User-related": 58, "HF-related": 35, "External platforms": 4, "Other": 3}


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, *parts))).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


Taxonomy = dict[str, dict[str, list[str | None]]]  # kind -> category -> subcategories


def taxonomy_of(codebook: pd.DataFrame) -> Taxonomy:
    """kind -> category -> subcategories (None for a category without any), in codebook order."""
    out: Taxonomy = {}
    ordered = codebook.sort_values(["kind", "category_order", "subcategory_order"])
    for r in ordered.itertuples(index=False):
        sub = r.subcategory if pd.notna(r.subcategory) else None
        out.setdefault(r.kind, {}).setdefault(r.category, []).append(sub)
    return out


def _pick(rng: np.random.Generator, items: list, weights: list[float]) -> object:
    w = np.asarray(weights, dtype=float)
    return items[int(rng.choice(len(items), p=w / w.sum()))]


def _weights(categories: list[str], base: list[float], hint: str | None) -> list[float]:
    w = [base[i] if i < len(base) else 1.0 for i in range(len(categories))]
    if hint in categories:
        w[categories.index(hint)] += sum(w) * 0.25
    return w


def true_codes(topic: dict, tax: Taxonomy, seed: int) -> list[tuple[str, str, str | None]]:
    """The latent coding of one topic: (kind, category, subcategory) triples."""
    rng = _rng(seed, "truth", int(topic["topic_id"]))
    forum = topic.get("forum_category")
    forum = forum.casefold() if isinstance(forum, str) else ""
    hint = next((cat for key, cat in _FORUM_HINTS.items() if key in forum), None)
    out: list[tuple[str, str, str | None]] = []
    ch = tax["challenge"]
    cats = list(ch)
    n_ch = 0 if rng.random() < 0.06 else (2 if rng.random() < 0.2 else 1)
    for _ in range(n_ch):
        cat = _pick(rng, cats, _weights(cats, _CATEGORY_WEIGHT_BY_ORDER, hint))
        out.append(("challenge", cat, _pick(rng, ch[cat], [1.0] * len(ch[cat]))))
    be = tax["benefit"]
    bcats = list(be)
    if n_ch == 0:
        cat = bcats[4] if len(bcats) > 4 and rng.random() < 0.6 else bcats[min(3, len(bcats) - 1)]
        out.append(("benefit", cat, _pick(rng, be[cat], [1.0] * len(be[cat]))))
    elif int(topic["posts_count"]) > 1 and rng.random() < 0.85:
        weights = list(_BENEFIT_WEIGHT_BY_ORDER)
        if bool(topic["has_accepted_answer"]):
            weights[0] *= 2
        cat = _pick(rng, bcats, _weights(bcats, weights, None))
        out.append(("benefit", cat, _pick(rng, be[cat], [1.0] * len(be[cat]))))
        if rng.random() < 0.3 and len(bcats) > 2:
            out.append(("benefit", bcats[2], _pick(rng, be[bcats[2]], [1.0] * len(be[bcats[2]]))))
    if bool(topic["has_accepted_answer"]) and n_ch:
        rc = tax["root_cause"]
        groups = list(rc)
        group = _pick(rng, groups, [_ROOT_GROUP_WEIGHTS.get(g, 1.0) for g in groups])
        out.append(("root_cause", group, _pick(rng, rc[group], [1.0] * len(rc[group]))))
    return out


def coder_codes(
    truth: list[tuple[str, str, str | None]],
    tax: Taxonomy,
    coder: str,
    topic_id: int,
    seed: int,
    error_rate: float,
) -> list[tuple[str, str, str | None]]:
    """One simulated coder's version of the latent coding (with seeded mistakes)."""
    rng = _rng(seed, "coder", coder, topic_id)
    out = []
    for i, (kind, cat, sub) in enumerate(truth):
        leaves = tax[kind]
        if i > 0 and rng.random() < error_rate / 4:
            continue  # a secondary code left out
        if rng.random() < error_rate:
            if rng.random() < 0.6 and len(leaves[cat]) > 1:
                sub = _pick(
                    rng, [s for s in leaves[cat] if s != sub], [1.0] * (len(leaves[cat]) - 1)
                )
            else:
                others = [c for c in leaves if c != cat]
                if others:
                    cat = _pick(rng, others, [1.0] * len(others))
                    sub = _pick(rng, leaves[cat], [1.0] * len(leaves[cat]))
        if (kind, cat, sub) not in out:  # a mistake may repeat a code: written once
            out.append((kind, cat, sub))
    if truth and not out:
        out.append(truth[0])
    return out


def fill_sheet(
    sheet: pd.DataFrame,
    sample: pd.DataFrame,
    codebook: pd.DataFrame,
    coder: str,
    seed: int,
    error_rate: float,
) -> pd.DataFrame:
    """The filled sheet of one simulated coder: one row per code, context columns copied."""
    topics = {int(t["topic_id"]): t for t in sample.to_dict("records")}
    tax = taxonomy_of(codebook)
    rows = []
    for r in sheet.to_dict("records"):
        topic_id = int(r["topic_id"])
        topic = topics[topic_id]
        truth = true_codes(topic, tax, seed)
        codes = coder_codes(truth, tax, coder, topic_id, seed, error_rate)
        title = str(topic["title"] or "")[:60]
        for kind, cat, sub in codes:
            label = sub or cat
            rows.append(
                {
                    **r,
                    "code": f"{label}: {title}",
                    "kind": kind,
                    "category": cat,
                    "subcategory": sub or "",
                    "notes": "",
                }
            )
    return pd.DataFrame(rows, columns=SHEET_COLUMNS)
