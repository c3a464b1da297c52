"""The study's products (``workflow/products.yaml``): product -> table name -> path, each table
declared once, and the study's two halves (the Hub and the forum) in terms of products.

A live run may crawl one half only (config ``crawl.halves``); such a study builds every table
and figure its half allows, and :func:`other_half_sentence` says what the other half would add.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InputError

#: the halves of the study and the products that need each (a product of both halves needs
#: both: forum mentions next to Hub uploads)
HALF_PRODUCTS = {
    "hub": ("hub_trends", "hub_models"),
    "forum": ("forum", "coding_sample", "coded", "agreement"),
    "both": ("mention_trends", "mentions"),
}
HALVES = ("hub", "forum")

#: what each half adds to a study that lacks it (the report's words)
HALF_ADDS = {
    "hub": (
        "the Hub half (crawl.halves: hub) would add the models table, Hub uploads per model type "
        "and the share of models with card data (RQ3), and with the forum the mentions of each "
        "model type next to its Hub uploads: their correlation and trends"
    ),
    "forum": (
        "the forum half (crawl.halves: forum) would add the forum's topics and posts, the "
        "coding sample and the coded challenges and benefits (RQ1, RQ2), and with the Hub the "
        "mentions of each model type next to its Hub uploads: their correlation and trends"
    ),
}


def check_tables(products: Any, path: str) -> dict[str, str]:
    """Every table of the products, name -> path, in file order.

    Raises :class:`InputError` naming ``path`` and the product for a product that is not a
    mapping of table name -> path, or a table name or path declared twice.
    """
    if not isinstance(products, Mapping) or not products:
        raise InputError(f"{path}: expected a mapping of product -> table name -> path")
    tables: dict[str, str] = {}
    for product, entries in products.items():
        if not isinstance(entries, Mapping) or not entries:
            raise InputError(f"{path}: product {product!r}: expected a mapping of name -> path")
        for name, table in entries.items():
            if not isinstance(table, str) or not table:
                raise InputError(f"{path}: product {product!r}: {name!r}: expected a path")
            if name in tables:
                raise InputError(f"{path}: product {product!r}: table name {name!r} twice")
            if table in tables.values():
                raise InputError(f"{path}: product {product!r}: {table} declared twice")
            tables[str(name)] = table
    return tables


def halves_products(halves: Iterable[str], coded: bool) -> list[str]:
    """The products a live study of these halves provides (``coded``: the coders' filled
    sheets are configured, so the coded tables and their agreement come too)."""
    chosen = set(halves)
    unknown = chosen - set(HALVES)
    if unknown or not chosen:
        raise InputError(f"crawl.halves: {sorted(chosen)}: expected one or both of {HALVES}")
    out: list[str] = []
    if "hub" in chosen:
        out += ["hub_trends", "hub_models"]
    if "forum" in chosen:
        out += ["forum", "coding_sample"] + (["coded", "agreement"] if coded else [])
    if chosen == set(HALVES):
        out += ["mention_trends", "mentions"]
    return out


def study_halves(provided: Iterable[str]) -> list[str]:
    """The halves a study holds, from the products it provides: a product of both halves
    means both (the paper's matrices), a product of one half that half."""
    have = set(provided)
    if have & set(HALF_PRODUCTS["both"]):
        return list(HALVES)
    return [h for h in HALVES if have & set(HALF_PRODUCTS[h])]


def other_half_sentence(provided: Iterable[str]) -> str | None:
    """The report's sentence on what the missing half of a half study would add, from the
    products the study provides; None for a study of both halves (or of none)."""
    halves = study_halves(provided)
    if len(halves) != 1:
        return None
    (have,) = halves
    (missing,) = [h for h in HALVES if h != have]
    name = {"hub": "the Hub", "forum": "the forum"}
    return (
        f"This study crawled {name[have]} only: every table and figure of that half is here; "
        f"{HALF_ADDS[missing]}."
    )
