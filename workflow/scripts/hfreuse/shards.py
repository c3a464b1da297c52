"""Static shards: items assigned by a stable hash of their key (never the salted ``hash()``).

One assignment for every sharded stage: Hub models by model id, forum topics by topic id (the
forum parse and the mention matching use the same topic shards).
"""

from __future__ import annotations

import hashlib

from .errors import InputError


def stable_hash(key: int | str) -> int:
    """A stable 64-bit hash of a key: SHA-256 of its text (an integer as its decimal digits)."""
    text = key if isinstance(key, str) else str(int(key))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def stable_shard(key: int | str, n_shards: int) -> int:
    """The shard (0 to ``n_shards`` - 1) of a key."""
    return stable_hash(key) % n_shards


def check_shard(what: str, k: int, n: int) -> None:
    """A shard index ``k`` (0-based) of ``n`` shards must satisfy ``0 <= k < n``."""
    if not 0 <= k < n:
        raise InputError(f"{what} shard {k} of {n}: expected 0 <= index < count")
