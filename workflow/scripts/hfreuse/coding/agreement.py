"""Inter-coder agreement on the double-coded topics: Cohen's kappa, Krippendorff's alpha, % agreement.

Implemented here (no third-party agreement package) and tested against values computed by hand.

The unit of agreement is a (topic, kind) pair coded by two or more coders. Because a coder may give a
topic several codes, a coder's value for a unit is the *set* of categories (or category/subcategory
pairs at ``level="subcategory"``) of that kind the coder assigned to the topic, taken as one nominal
value: two coders agree on a unit when they assigned exactly the same categories. A coder assigned to
a topic who gave it no code of that kind contributes the value ``(none)``, so "challenge versus no
challenge" counts as disagreement.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Hashable, Sequence

import pandas as pd

NONE_LABEL = "(none)"
ALL_CODERS = "all coders"
MEASURES = ("cohen_kappa", "krippendorff_alpha", "percent_agreement")


def percent_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Share of units on which two coders gave the same value (NaN without units)."""
    if len(a) != len(b):
        raise ValueError("the two coders must rate the same units")
    if not a:
        return math.nan
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa of two coders over the same units: (p_o - p_e) / (1 - p_e).

    p_o is the observed agreement, p_e the agreement expected from each coder's own marginal
    distribution. NaN when undefined (no units, or p_e = 1: both coders used one and the same value
    throughout, so chance alone explains all agreement).
    """
    n = len(a)
    if n != len(b):
        raise ValueError("the two coders must rate the same units")
    if n == 0:
        return math.nan
    p_o = percent_agreement(a, b)
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[v] * cb[v] for v in ca) / (n * n)
    if math.isclose(p_e, 1.0):
        return math.nan
    return (p_o - p_e) / (1.0 - p_e)


def krippendorff_alpha_nominal(units: Sequence[Sequence[Hashable | None]]) -> float:
    """Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    ``units`` holds one sequence of values per unit (one entry per coder, ``None`` when that coder
    did not rate the unit). Computed from the coincidence matrix: each unit with m >= 2 values adds
    1 / (m - 1) for every ordered pair of its values; with n_c the marginal of value c and n the
    number of pairable values, alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k.
    NaN when undefined (fewer than two pairable values, or a single value used throughout).
    """
    o: Counter = Counter()
    for unit in units:
        values = [v for v in unit if v is not None]
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[(values[i], values[j])] += 1.0 / (m - 1)
    n_c: Counter = Counter()
    for (c, _k), w in o.items():
        n_c[c] += w
    n = sum(n_c.values())
    if n < 2:
        return math.nan
    observed = sum(w for (c, k), w in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if expected == 0:
        return math.nan
    return 1.0 - (n - 1.0) * observed / expected


def unit_values(codes: pd.DataFrame, sample: pd.DataFrame, kind: str, level: str) -> pd.DataFrame:
    """Per double-coded topic and assigned coder, that coder's nominal value for ``kind``.

    ``codes`` has coder, topic_id, kind, category, subcategory; ``sample`` has topic_id, coders
    (list of assigned coders). Returns columns topic_id, coder, value.
    """
    if level not in ("category", "subcategory"):
        raise ValueError(f"level must be category or subcategory, not {level!r}")
    double = sample[sample["coders"].map(len) >= 2]
    assigned = [
        (int(t), str(c))
        for t, cs in zip(double["topic_id"], double["coders"], strict=True)
        for c in cs
    ]
    sub = codes[codes["kind"] == kind]
    labels: dict[tuple[int, str], set[str]] = {}
    for row in sub.itertuples(index=False):
        if level == "category":
            label = str(row.category)
        else:
            label = f"{row.category} / {row.subcategory if pd.notna(row.subcategory) else '-'}"
        labels.setdefault((int(row.topic_id), str(row.coder)), set()).add(label)
    rows = [
        {
            "topic_id": t,
            "coder": c,
            "value": " + ".join(sorted(labels[(t, c)])) if (t, c) in labels else NONE_LABEL,
        }
        for t, c in assigned
    ]
    return pd.DataFrame(rows, columns=["topic_id", "coder", "value"])


AGREEMENT_TYPES = {
    "kind": "str",
    "level": "str",
    "measure": "str",
    "pair": "str",
    "coders": "int64",
    "units": "int64",
    "value": "float64",
}


def _pair_rows(wide: pd.DataFrame, kind: str, level: str) -> list[tuple]:
    """Cohen's kappa and percent agreement of each pair of coders over the units both rated."""
    rows = []
    for ca, cb in itertools.combinations(sorted(wide.columns), 2):
        both = wide[[ca, cb]].dropna()
        a, b = list(both[ca]), list(both[cb])
        if not a:
            continue
        pair = f"{ca} & {cb}"
        for measure, value in (
            ("cohen_kappa", cohen_kappa(a, b)),
            ("percent_agreement", percent_agreement(a, b)),
        ):
            rows.append((kind, level, measure, pair, 2, len(a), value))
    return rows


def _all_coder_rows(wide: pd.DataFrame, kind: str, level: str) -> list[tuple]:
    """Krippendorff's alpha and mean pairwise agreement over all coders, on the units with
    two or more values (none without such a unit)."""
    coders = sorted(wide.columns)
    units = [
        [None if pd.isna(v) else v for v in unit] for unit in wide[coders].itertuples(index=False)
    ]
    pairable = sum(1 for u in units if sum(v is not None for v in u) >= 2)
    if not pairable:
        return []
    head = (kind, level)
    return [
        (*head, "krippendorff_alpha", ALL_CODERS, len(coders), pairable,
         krippendorff_alpha_nominal(units)),
        (*head, "percent_agreement", ALL_CODERS, len(coders), pairable,
         _mean_pairwise_agreement(units)),
    ]  # fmt: skip


def agreement_table(
    codes: pd.DataFrame,
    sample: pd.DataFrame,
    kinds: Sequence[str] = ("challenge", "benefit"),
    levels: Sequence[str] = ("category", "subcategory"),
) -> pd.DataFrame:
    """Agreement per kind and level: kappa and % agreement per coder pair, alpha over all coders.

    Columns: kind, level, measure, pair ("a & b" or "all coders"), coders (number of coders),
    units (units rated by the pair, or units with two or more values for alpha), value.
    """
    rows = []
    for kind in kinds:
        for level in levels:
            vals = unit_values(codes, sample, kind, level)
            wide = vals.pivot(index="topic_id", columns="coder", values="value")
            rows += _pair_rows(wide, kind, level) + _all_coder_rows(wide, kind, level)
    out = pd.DataFrame(rows, columns=list(AGREEMENT_TYPES))
    return out.astype(AGREEMENT_TYPES)


def _mean_pairwise_agreement(units: Sequence[Sequence[Hashable | None]]) -> float:
    """Share of agreeing coder pairs among all pairs of values within units (each unit weighted
    by its number of pairs)."""
    agree = total = 0
    for unit in units:
        values = [v for v in unit if v is not None]
        for x, y in itertools.combinations(values, 2):
            total += 1
            agree += x == y
    return agree / total if total else math.nan
