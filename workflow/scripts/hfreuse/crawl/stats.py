"""The request counts of a crawl (:class:`Stats`): kept by the client, journaled, stored in
states and manifests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    """What a client did; stored in the crawl manifest."""

    requests: int = 0
    retries: int = 0
    errors: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "errors": self.errors,
            "rate_limited": self.rate_limited,
            "waited_seconds": round(self.waited_seconds, 3),
            "statuses": dict(sorted(self.statuses.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Stats:
        """Stats stored by :meth:`as_dict` (e.g. in a crawl's state file); None gives zeros."""
        stats = cls()
        if data:
            stats.add(data)
        return stats

    def combined(self, other: Stats) -> Stats:
        """A new Stats with the counts of both (earlier runs plus this one)."""
        total = Stats.from_dict(self.as_dict())
        total.add(other.as_dict())
        return total

    def add(self, other: Mapping[str, Any]) -> None:
        """Add counts of an earlier (interrupted) run, so a resumed crawl reports totals."""
        self.requests += int(other.get("requests", 0))
        self.retries += int(other.get("retries", 0))
        self.errors += int(other.get("errors", 0))
        self.rate_limited += int(other.get("rate_limited", 0))
        self.waited_seconds += float(other.get("waited_seconds", 0.0))
        for k, v in dict(other.get("statuses", {})).items():
            self.statuses[k] = self.statuses.get(k, 0) + int(v)
