"""Pure helpers on URLs and HTTP headers shared by the paced client and the crawls: origins
(credentials never cross them), dot segments, ``Retry-After`` and ``RateLimit``."""

from __future__ import annotations

import email.utils
import math
import re
import time
from urllib.parse import urlsplit, urlunsplit

#: Credential headers, sent only to the origin (scheme, host, port) of the request that set them.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "api-username"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a URL, the port filled in for http and https."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None
    when it is neither (``inf``, ``nan`` and other non-finite numbers included)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


_RL_PARAM = re.compile(r";\s*([a-z]+)\s*=\s*(\d+)")


def parse_ratelimit(value: str | None) -> tuple[int, float] | None:
    """``(remaining, seconds_to_reset)`` from an IETF ``RateLimit`` header.

    Both the structured form (``"api";r=489;t=189``) and the older
    ``limit=500, remaining=489, reset=189`` form are understood.
    """
    if not value:
        return None
    params = dict(_RL_PARAM.findall(value))
    old = dict(re.findall(r"([a-z]+)\s*=\s*(\d+)", value))
    if "r" in params and "t" in params:
        remaining, reset = int(params["r"]), float(params["t"])
    elif "remaining" in old and "reset" in old:
        remaining, reset = int(old["remaining"]), float(old["reset"])
    else:
        return None
    return (remaining, reset) if math.isfinite(reset) else None  # 400 digits: not a window


def encode_dot_segments(url: str) -> str:
    """``url`` with its path segments ``.`` and ``..`` percent-encoded (``%2E``, ``%2E%2E``)."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if not any(seg in (".", "..") for seg in segments):
        return url
    path = "/".join(seg.replace(".", "%2E") if seg in (".", "..") else seg for seg in segments)
    return urlunsplit(parts._replace(path=path))
