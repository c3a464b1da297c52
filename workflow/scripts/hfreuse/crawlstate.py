"""Temporary, for the merge: the crawl state moved to :mod:`hfreuse.crawl` (``state``,
``journal``, ``progress``). This re-export keeps the forum crawl working until it imports from
there; the integrator removes this module after merging."""

from .crawl.journal import INTERRUPTED, Journal, stats_since  # noqa: F401
from .crawl.progress import ShardsProgress  # noqa: F401
from .crawl.state import (  # noqa: F401
    CORRUPT_SUFFIX,
    damaged,
    load_state,
    move_aside,
    remove_stale_temps,
    utc_now,
)
