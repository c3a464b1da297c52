"""Client set-up and pacing of a Hub crawl: how fast it asks (:class:`Pace`), the paced client
it asks with (:func:`hub_client`, authenticated when a token is set) and what a manifest says
of them (:func:`token_used`, :func:`per_minute`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..clients import HttpClient, hub_token


@dataclass(frozen=True)
class Pace:
    """How a crawl sends its requests: at most ``per_minute`` a minute, ``timeout`` seconds each,
    a failed one retried up to ``max_retries`` times."""

    per_minute: float
    timeout: float = 60.0
    max_retries: int = 6


def auth_headers() -> dict[str, str]:
    """``Authorization: Bearer <token>`` when a Hub token is set (:func:`hfreuse.clients.hub_token`),
    else nothing."""
    token = hub_token()
    return {"Authorization": f"Bearer {token}"} if token else {}


def hub_client(pace: Pace, accept: str | None = None) -> HttpClient:
    """A client for the Hub paced by ``pace``, authenticated when a token is set."""
    headers = auth_headers()
    if accept:
        headers["Accept"] = accept
    return HttpClient(
        pace.per_minute, headers=headers, timeout=pace.timeout, max_retries=pace.max_retries
    )


def token_used(client: HttpClient) -> bool:
    """Whether ``client`` sends a token (recorded in manifests; the token never is)."""
    return "Authorization" in client.session.headers


def per_minute(client: HttpClient) -> float:
    """The requests a minute ``client`` is paced to (recorded in manifests)."""
    return round(60.0 / client.interval, 3)
