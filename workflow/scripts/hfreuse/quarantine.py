"""Temporary, for the merge: the quarantine moved to :mod:`hfreuse.crawl.quarantine`. This module
*is* that one (the same module object, so a test patching ``hfreuse.quarantine.STREAK_LIMIT``
still reaches the crawl), keeping the forum crawl working until it imports from there; the
integrator removes this module after merging."""

import sys

from .crawl import quarantine

sys.modules[__name__] = quarantine
