"""The only network code of the project: a paced, retrying HTTP client for the Hub and Discourse.

Only this module may import ``requests`` or ``huggingface_hub`` (a test enforces it). It paces
requests to a per-minute budget, honours ``429`` responses (``Retry-After``, Discourse's
``extras.wait_seconds``) and the Hub's ``RateLimit`` headers, retries 5xx answers, timeouts and
broken connections with exponential backoff, and counts what it did for the crawl manifest.
Secrets (``HF_TOKEN``, Discourse API keys) are read from the environment here and nowhere else;
they are sent as headers and never logged or stored. What needs no network (request counts,
header parsing, progress lines) lives in :mod:`hfreuse.crawl` (``stats``, ``headers``,
``progress``).
"""

from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests
import urllib3.exceptions

from . import __version__
from .crawl.headers import (
    SECRET_HEADERS,
    encode_dot_segments,
    parse_ratelimit,
    parse_retry_after,
    url_origin,
)
from .crawl.stats import Stats
from .errors import InputError

log = logging.getLogger(__name__)

USER_AGENT = (
    f"hfreuse/{__version__} (research workflow reproducing SANER 2024 'Deep Learning Model Reuse "
    f"in the HuggingFace Community'; python-requests/{requests.__version__}; "
    f"{platform.python_implementation()} {platform.python_version()})"
)

CONNECT_RETRIES = 2  # refused connections / unknown hosts: a few quick tries, then fail
CONNECT_RETRY_DELAY = 1.0
BODY_CHUNK = 65536
# urllib3's errors while reading a body -> the requests exception requests itself would raise
BODY_ERRORS = {
    urllib3.exceptions.ProtocolError: requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.DecodeError: requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ReadTimeoutError: requests.exceptions.ReadTimeout,
    urllib3.exceptions.SSLError: requests.exceptions.SSLError,
}
RETRY_STATUSES = {500, 502, 503, 504, 520, 522, 524}
TIMEOUT_STATUSES = {504, 524}  # the server gave up computing the answer: a smaller one may pass
# Transport failures worth another try: timeouts, refused or reset connections, bodies cut off
# mid-transfer.
_RETRY_EXCEPTIONS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class FetchError(InputError):
    """A request failed for good (after retries) or the server's answer was not what was expected.

    ``transient`` is true when the request kept timing out (client timeout, 504): the same data
    may still come in smaller requests (e.g. a smaller page). ``status`` is the HTTP status of
    the last answer (None without one) and ``tries`` the requests sent, when known.
    """

    def __init__(
        self,
        message: str,
        transient: bool = False,
        status: int | None = None,
        tries: int | None = None,
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.status = status
        self.tries = tries


class ConnectionFailed(FetchError):
    """The server could not be reached at all (connection refused, host name not resolved).

    Not transient: a smaller request would fail the same way (the Hub listing must not shrink
    its page size on it).
    """

    def __init__(self, message: str, tries: int | None = None) -> None:
        super().__init__(message, transient=False, tries=tries)


class DeadlineExceeded(requests.Timeout):
    """A response took longer than the client's total timeout (e.g. a body trickled slowly)."""


def _unreachable(exc: Exception) -> str | None:
    """Why a connection could not be opened at all ("connection refused", "host name not
    resolved"), or None when ``exc`` is another failure (timeouts, resets, cut-off bodies)."""
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.Timeout):
        return None
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "host name not resolved"
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "connection refused"
    return None


def library_versions() -> dict[str, str]:
    """Versions of the network libraries, for the crawl manifest."""
    import huggingface_hub

    return {
        "hfreuse": __version__,
        "requests": requests.__version__,
        "huggingface_hub": huggingface_hub.__version__,
        "python": platform.python_version(),
    }


def hub_token() -> str | None:
    """The Hub token, or None for anonymous access: ``huggingface_hub.get_token()``, so
    ``HF_TOKEN`` from the environment or else the token stored by ``hf auth login``."""
    import huggingface_hub

    return huggingface_hub.get_token() or None


def discourse_auth_headers() -> dict[str, str]:
    """Optional Discourse API credentials from ``DISCOURSE_API_KEY`` / ``DISCOURSE_API_USERNAME``."""
    key = os.environ.get("DISCOURSE_API_KEY")
    user = os.environ.get("DISCOURSE_API_USERNAME")
    if key and user:
        return {"Api-Key": key, "Api-Username": user}
    return {}


class OriginBoundSession(requests.Session):
    """A :class:`requests.Session` that never carries a credential header to another origin.

    requests strips only ``Authorization`` on a redirect to another host (and keeps it on an
    http -> https upgrade); here every header in ``secret_headers`` (case-insensitive) is dropped
    as soon as a redirect leaves the scheme, host or port of the previous request, and kept on
    same-origin redirects.
    """

    def __init__(self, secret_headers: Iterable[str] = SECRET_HEADERS) -> None:
        super().__init__()
        self.secret_headers = frozenset(h.lower() for h in secret_headers)

    def should_strip_auth(self, old_url: str, new_url: str) -> bool:
        return url_origin(old_url) != url_origin(new_url)

    def rebuild_auth(self, prepared_request, response) -> None:
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in list(prepared_request.headers):
                if name.lower() in self.secret_headers:
                    del prepared_request.headers[name]
        super().rebuild_auth(prepared_request, response)


class HttpClient:
    """A paced GET client with retries.

    ``requests_per_minute`` is this client's share of the API's budget: requests are spaced at
    least ``60 / requests_per_minute`` seconds apart. ``ok_statuses`` are returned to the caller
    (e.g. 404 for a model without README); anything else that is not retryable raises
    :class:`FetchError` naming the URL. ``headers`` are credentials (with ``Authorization``,
    ``Api-Key``, ``Api-Username``): a redirect to another origin gets none of them.
    """

    def __init__(
        self,
        requests_per_minute: float,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        max_retries: int = 6,
        backoff_base: float = 2.0,
        backoff_max: float = 300.0,
        max_wait: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self.interval = 60.0 / float(requests_per_minute)
        self.timeout, self.max_retries, self.max_wait = timeout, max_retries, max_wait
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._sleep, self._clock, self._next_at = sleep, clock, 0.0
        self.stats = Stats()
        # called with "sent" just before each request goes out (it is counted already) and with
        # "answered" once its outcome is counted: a crawl journals its request counts there
        self.observer: Callable[[str], None] | None = None
        # ``headers`` are credentials: never sent past a redirect to another origin
        self.session = OriginBoundSession(SECRET_HEADERS | {h.lower() for h in headers or {}})
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if headers:
            self.session.headers.update(headers)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.stats.waited_seconds += seconds
            self._sleep(seconds)

    def _pace(self) -> None:
        now = self._clock()
        if now < self._next_at:
            self._wait(self._next_at - now)
        self._next_at = max(self._clock(), self._next_at) + self.interval

    def _observe(self, event: str) -> None:
        if self.observer is not None:
            self.observer(event)

    def _count(self, status: str) -> None:
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))

    def _send(
        self,
        url: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        """One GET, its body read within ``timeout`` seconds in all (requests' own timeout
        bounds each read, not the whole answer: a server trickling bytes would hang the crawl).

        requests decodes ``%2E`` (an unreserved character) in the prepared URL, which
        turns an encoded ``%2E%2E`` path segment (a model id's ``..``) back into a dot segment
        that a server resolves into another path: such segments are re-encoded before sending."""
        deadline = time.monotonic() + self.timeout
        if "%2e" not in url.lower():
            resp = self.session.get(
                url, params=params, timeout=self.timeout, headers=headers, stream=True
            )
        else:
            prep = self.session.prepare_request(
                requests.Request("GET", url, params=params, headers=headers)
            )
            prep.url = encode_dot_segments(prep.url or url)
            settings = self.session.merge_environment_settings(prep.url, {}, True, None, None)
            resp = self.session.send(prep, timeout=self.timeout, **settings)
        self._read_body(resp, deadline)
        return resp

    def _read_body(self, resp: requests.Response, deadline: float) -> None:
        """Read the whole body into ``resp`` (as requests would), or raise
        :class:`DeadlineExceeded` once ``deadline`` has passed."""
        chunks = []
        try:
            while True:
                if time.monotonic() > deadline:
                    raise DeadlineExceeded(
                        f"total deadline of {self.timeout:g}s exceeded after "
                        f"{sum(map(len, chunks))} bytes of the body"
                    )
                chunk = resp.raw.read1(BODY_CHUNK, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
        except tuple(BODY_ERRORS) as exc:
            resp.close()
            mapped = next(new for old, new in BODY_ERRORS.items() if isinstance(exc, old))
            raise mapped(exc) from exc
        except DeadlineExceeded:
            resp.close()
            raise
        resp._content = b"".join(chunks)
        resp._content_consumed = True
        resp.raw.release_conn()

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """GET ``url`` (paced, counted, observed) until an answer in ``ok_statuses``: a transport
        failure (:meth:`_transport_failed`) or another status (:meth:`_status_failed`) is
        retried or raises :class:`FetchError` naming the URL."""
        attempt = 0
        while True:
            self._pace()
            self.stats.requests += 1
            self._observe("sent")
            try:
                resp = self._send(url, params, headers)
            except _RETRY_EXCEPTIONS as exc:
                attempt = self._transport_failed(url, exc, attempt + 1)
                continue
            self._count(str(resp.status_code))
            self._observe("answered")
            self._respect_ratelimit(resp)
            if resp.status_code in ok_statuses:
                return resp
            attempt = self._status_failed(resp, attempt, ok_statuses)

    def _transport_failed(self, url: str, exc: Exception, attempt: int) -> int:
        """Count the ``attempt``-th failure to get an answer and wait before the next try;
        raise :class:`ConnectionFailed` (the server unreachable) or :class:`FetchError` once
        the tries are used up. Called inside the ``except`` clause (the error's context)."""
        why = _unreachable(exc)
        self._count("ConnectionFailed" if why else type(exc).__name__)
        self._observe("answered")
        if why:
            if attempt > min(CONNECT_RETRIES, self.max_retries):
                self.stats.errors += 1
                raise ConnectionFailed(
                    f"GET {url}: {why} ({attempt} tries): is the endpoint right / "
                    f"is the server up? ({exc})",
                    tries=attempt,
                ) from exc
            log.warning("GET %s: %s; retry %d", url, why, attempt)
            self.stats.retries += 1
            self._wait(CONNECT_RETRY_DELAY)
            return attempt
        if attempt > self.max_retries:
            self.stats.errors += 1
            raise FetchError(
                f"GET {url}: gave up after {attempt} tries: {exc}",
                transient=True,
                tries=attempt,
            ) from exc
        delay = self._backoff(attempt)
        log.warning("GET %s: %s; retry %d in %.1fs", url, type(exc).__name__, attempt, delay)
        self.stats.retries += 1
        self._wait(delay)
        return attempt

    def _status_failed(
        self, resp: requests.Response, attempt: int, ok_statuses: tuple[int, ...]
    ) -> int:
        """An answer outside ``ok_statuses``: a 429 waits as told, a retryable status backs off
        (both return the tries so far); any other raises :class:`FetchError`."""
        if resp.status_code == 429:
            self.stats.rate_limited += 1
            delay = self._retry_after(resp)
            attempt += 1
            if attempt > self.max_retries + 4:
                self.stats.errors += 1
                raise FetchError(
                    f"GET {resp.url}: still rate limited (429) after {attempt} tries",
                    status=429,
                    tries=attempt,
                )
            log.warning("GET %s: 429 rate limited; waiting %.1fs", resp.url, delay)
        elif resp.status_code in RETRY_STATUSES:
            attempt += 1
            if attempt > self.max_retries:
                self.stats.errors += 1
                raise FetchError(
                    f"GET {resp.url}: HTTP {resp.status_code} after {attempt} tries",
                    transient=resp.status_code in TIMEOUT_STATUSES,
                    status=resp.status_code,
                    tries=attempt,
                )
            retry_after = parse_retry_after(resp.headers.get("Retry-After")) or 0
            delay = min(self.max_wait, max(self._backoff(attempt), retry_after))
            log.warning(
                "GET %s: HTTP %d; retry %d in %.1fs", resp.url, resp.status_code, attempt, delay
            )
        else:
            self.stats.errors += 1
            raise FetchError(
                f"GET {resp.url}: unexpected HTTP {resp.status_code} "
                f"(expected {', '.join(map(str, ok_statuses))}): {resp.text[:200]!r}",
                status=resp.status_code,
                tries=attempt + 1,
            )
        self.stats.retries += 1
        self._wait(delay)
        return attempt

    def _retry_after(self, resp: requests.Response) -> float:
        delay = parse_retry_after(resp.headers.get("Retry-After"))
        if delay is None and "json" in resp.headers.get("Content-Type", ""):
            try:
                delay = float(resp.json().get("extras", {}).get("wait_seconds"))
            except (ValueError, TypeError, AttributeError):
                delay = None
        if delay is None:
            rl = parse_ratelimit(resp.headers.get("RateLimit"))
            delay = rl[1] if rl else 60.0
        return min(self.max_wait, delay + 0.5)

    def _respect_ratelimit(self, resp: requests.Response) -> None:
        rl = parse_ratelimit(resp.headers.get("RateLimit"))
        if rl and rl[0] <= 0 and resp.status_code != 429:
            delay = min(self.max_wait, rl[1] + 0.5)
            log.info("rate-limit window used up; waiting %.1fs for the next one", delay)
            self._next_at = max(self._next_at, self._clock() + delay)

    def get_checked(
        self,
        url: str,
        check: Callable[[requests.Response], str | None],
        ok_statuses: tuple[int, ...] = (200,),
        record_after_retries: tuple[int, ...] = (),
    ) -> requests.Response:
        """``get(url)`` until ``check(response)`` finds nothing wrong (None).

        A response ``check`` objects to is fetched again up to ``max_retries`` times with the
        client's backoff; then a FetchError names the URL and the problem, unless its status is
        in ``record_after_retries`` (that last response is returned). ``check`` may raise to
        stop at once.
        """
        tries = 0
        while True:
            resp = self.get(url, ok_statuses=ok_statuses)
            tries += 1
            problem = check(resp)
            if problem is None:
                return resp
            if tries > self.max_retries:
                if resp.status_code in record_after_retries:
                    return resp
                self.stats.errors += 1
                raise FetchError(
                    f"GET {url}: {problem} (after {tries} tries)",
                    status=resp.status_code,
                    tries=tries,
                )
            delay = self._backoff(tries)
            log.warning("GET %s: %s; retry %d in %.1fs", url, problem, tries, delay)
            self.stats.retries += 1
            self._wait(delay)

    def get_json(self, url: str, params: Any = None) -> Any:
        """GET and decode JSON; a body that is not complete JSON raises FetchError naming the URL."""
        resp = self.get(url, params=params)
        try:
            return resp.json()
        except ValueError as exc:
            raise FetchError(
                f"GET {resp.url}: expected a complete JSON body, got {len(resp.content)} bytes "
                f"that do not parse ({exc})"
            ) from exc

    def get_bytes(self, url: str, accept: str = "application/octet-stream, */*") -> bytes:
        """GET a binary file (e.g. a repository archive, following redirects): its bytes."""
        return self.get(url, headers={"Accept": accept}).content


# --- huggingface_hub behind the paced client ------------------------------------------------


class HubBridge:
    """Runs ``huggingface_hub`` calls with every request sent by a paced :class:`HttpClient`.

    Inside ``with HubBridge(client) as api:`` the library's client factory
    (``huggingface_hub.set_client_factory``) yields an httpx client whose transport hands each GET
    to ``client`` (pacing, budget, ``RateLimit`` and 429 handling, retries, statistics). ``api``
    is an ``HfApi`` sending no token of its own: ``client``'s headers carry it, origin-bound.
    ``check(response)`` verifies each answer (see :meth:`HttpClient.get_checked`); ``rewrite``
    may adjust a URL before it is sent (e.g. ask for larger pages); ``body(response)`` gives the
    body handed to the library (default: as served; e.g. dates the library's own parser would
    refuse, normalised once ``check`` accepted them). Statuses in ``ok_statuses``
    go back to the library, which raises its typed errors (``RepositoryNotFoundError``, ...).
    A request to another origin than ``endpoint``, or one ``allow(url)`` rejects, is refused
    unsent: huggingface_hub 2.x makes best-effort look-ups of its own (an agent registry at
    ``<HF_ENDPOINT>/api/agent-harnesses``) that would spend the crawl's budget or, in a test,
    reach the internet.
    """

    def __init__(
        self,
        client: HttpClient,
        endpoint: str,
        *,
        check: Callable[[requests.Response], str | None] = lambda resp: None,
        rewrite: Callable[[str], str] = lambda url: url,
        allow: Callable[[str], bool] = lambda url: True,
        ok_statuses: tuple[int, ...] = (200, 401, 403, 404, 410, 451),
        record_after_retries: tuple[int, ...] = (),
        body: Callable[[requests.Response], bytes] = lambda resp: resp.content,
    ) -> None:
        self.client, self.endpoint = client, endpoint.rstrip("/")
        self.check, self.rewrite, self.allow, self.body = check, rewrite, allow, body
        self.ok_statuses, self.record_after_retries = ok_statuses, record_after_retries
        self.last: requests.Response | None = None  # the last answer handed to the library

    def send(self, method: str, url: str) -> requests.Response:
        if method != "GET":
            raise FetchError(f"{method} {url}: only GET requests go through the paced client")
        if url_origin(url) != url_origin(self.endpoint) or not self.allow(url):
            # e.g. the library's own best-effort look-ups (agent registry): never sent
            raise FetchError(f"GET {url}: not a request of this crawl on {self.endpoint}; not sent")
        resp = self.client.get_checked(
            self.rewrite(url),
            self.check,
            ok_statuses=self.ok_statuses,
            record_after_retries=self.record_after_retries,
        )
        self.last = resp
        return resp

    def __enter__(self) -> Any:
        import httpx2
        import huggingface_hub
        from huggingface_hub.utils import _http

        bridge = self
        # the body is already decoded and read: httpx must neither decode it nor trust a length
        dropped = {"content-encoding", "content-length", "transfer-encoding"}

        class _Transport(httpx2.BaseTransport):
            def handle_request(self, request: httpx2.Request) -> httpx2.Response:
                resp = bridge.send(request.method, str(request.url))
                headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in dropped]
                return httpx2.Response(
                    resp.status_code, headers=headers, content=bridge.body(resp), request=request
                )

        self._previous = getattr(_http, "_GLOBAL_CLIENT_FACTORY", _http.default_client_factory)
        huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=_Transport()))
        return huggingface_hub.HfApi(endpoint=self.endpoint, token=False)

    def __exit__(self, *exc: Any) -> None:
        import huggingface_hub

        huggingface_hub.set_client_factory(self._previous)


def hub_file_url(endpoint: str, repo_id: str, filename: str, revision: str) -> str:
    """The URL of ``filename`` of model ``repo_id`` at ``revision`` (``huggingface_hub.hf_hub_url``)."""
    import huggingface_hub

    return huggingface_hub.hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)


def hub_http_error(exc: BaseException) -> tuple[int, str | None] | None:
    """``(status, X-Error-Code)`` of a ``huggingface_hub`` HTTP error, or None for any other
    exception (the library's errors carry the response they were raised on)."""
    import huggingface_hub.errors

    if not isinstance(exc, huggingface_hub.errors.HfHubHTTPError) or exc.response is None:
        return None
    return int(exc.response.status_code), exc.response.headers.get("X-Error-Code")


def hub_id_refused(exc: BaseException) -> bool:
    """Whether ``exc`` is ``huggingface_hub`` refusing a repository id before any request."""
    import huggingface_hub.errors

    return isinstance(exc, huggingface_hub.errors.HFValidationError)
