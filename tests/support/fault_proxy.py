"""A fault-injecting HTTP proxy on 127.0.0.1, put in front of the test stubs (hub_stub, forum_stub).

A real server (threaded ``http.server``, HTTP/1.0, one connection per request) that forwards each
GET to the upstream stub with ``http.client`` and answers with the upstream's status, headers and
bytes; the upstream's base URL in ``Link`` and ``Location`` headers is rewritten to the proxy's
own, so a crawler pointed at the proxy stays on it. A :class:`Rule` picks requests (a regular
expression searched in the request target, the ``nth`` matching request on, ``count`` of them, or
every one from then on) and the :class:`Fault` to answer them with instead: a status of its own,
a connection reset mid-body, a hang, a trickle, a body cut short with a matching
``Content-Length``, an altered body or header, a redirect (to the same host or to a second
listener on 127.0.0.2, another origin), a stale copy of an earlier answer, a listener closed
(connection refused). Every request is logged with the listener it reached and its headers.

Nothing here is our crawler's code: the crawlers run unchanged against ``proxy.base``.
"""

from __future__ import annotations

import http.client
import http.server
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

HOP_HEADERS = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "date",
    "server",
}
MOVED = "/__moved__"  # a redirected request comes back under this prefix
HOLD_SECONDS = 60.0  # longest a hang or trickle holds a connection before giving up itself


@dataclass
class Answer:
    """An HTTP answer: status, headers (in order, repeated names allowed) and body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def with_header(self, name: str, value: str | None) -> Answer:
        """A copy with header ``name`` set to ``value`` (removed when None)."""
        headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            headers.append((name, value))
        return Answer(self.status, headers, self.body)


@dataclass
class Seen:
    """One request the proxy received."""

    listener: str  # "main" or "other" (the second origin)
    target: str  # path and query as sent
    headers: dict[str, str]
    fault: str | None  # the fault that answered it, if any


class Fault:
    """How a picked request is answered. ``serve`` writes the answer (or not) on ``handler``."""

    name = "fault"

    def serve(self, handler: _Handler, rule: Rule) -> None:
        raise NotImplementedError


class Status(Fault):
    """An answer of the proxy's own, the upstream not asked (429, 5xx, 401, 403, ...)."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.name = f"HTTP {status}"
        self.answer = Answer(status, list((headers or {}).items()), body)

    def serve(self, handler: _Handler, rule: Rule) -> None:
        handler.send_answer(self.answer)


class Transform(Fault):
    """The upstream's answer, changed by ``fn`` (body, headers or both)."""

    def __init__(self, name: str, fn: Callable[[Answer, Rule], Answer]):
        self.name = name
        self.fn = fn

    def serve(self, handler: _Handler, rule: Rule) -> None:
        handler.send_answer(self.fn(handler.forward(), rule))


class Truncate(Fault):
    """The upstream's body cut to half, with a ``Content-Length`` that matches the cut body."""

    name = "truncated body"

    def serve(self, handler: _Handler, rule: Rule) -> None:
        answer = handler.forward()
        handler.send_answer(
            Answer(answer.status, answer.headers, answer.body[: len(answer.body) // 2])
        )


class Reset(Fault):
    """Status line, headers (the full ``Content-Length``) and half the body, then a TCP reset."""

    name = "reset mid-body"

    def serve(self, handler: _Handler, rule: Rule) -> None:
        answer = handler.forward()
        handler.send_head(answer, len(answer.body))
        handler.wfile.write(answer.body[: len(answer.body) // 2])
        handler.wfile.flush()
        handler.abort()


class Hang(Fault):
    """The request read, then nothing sent until the proxy is released (or HOLD_SECONDS)."""

    name = "hang"

    def serve(self, handler: _Handler, rule: Rule) -> None:
        handler.proxy.released.wait(HOLD_SECONDS)
        handler.abort()


class Trickle(Fault):
    """The upstream's answer, its body sent one byte every ``interval`` seconds."""

    name = "trickle"

    def __init__(self, interval: float = 1.0):
        self.interval = interval

    def serve(self, handler: _Handler, rule: Rule) -> None:
        answer = handler.forward()
        handler.send_head(answer, len(answer.body))
        start = time.monotonic()
        try:
            for i in range(len(answer.body)):
                handler.wfile.write(answer.body[i : i + 1])
                handler.wfile.flush()
                if handler.proxy.released.wait(self.interval):
                    break
                if time.monotonic() - start > HOLD_SECONDS:
                    break
        except OSError:
            pass  # the client gave up
        handler.abort()


class Redirect(Fault):
    """``302`` to the same target under :data:`MOVED`, on this origin or on the other listener."""

    def __init__(self, cross: bool):
        self.cross = cross
        self.name = "redirect to another host" if cross else "redirect on the same host"

    def serve(self, handler: _Handler, rule: Rule) -> None:
        base = handler.proxy.other_base if self.cross else handler.proxy.base
        handler.send_answer(Answer(302, [("Location", base + MOVED + handler.path)], b""))


class Stale(Fault):
    """The answer served for the previous matching request again (a cache serving a stale copy)."""

    name = "stale copy"

    def serve(self, handler: _Handler, rule: Rule) -> None:
        handler.send_answer(rule.answers[-1] if rule.answers else handler.forward())


class Refuse(Fault):
    """This connection reset, and the proxy's listeners closed for ``down`` seconds (None: until
    :meth:`FaultProxy.reset`): the next connections are refused."""

    def __init__(self, down: float | None = None):
        self.down = down
        self.name = "connection refused" if down is None else f"refused for {down:g}s"

    def serve(self, handler: _Handler, rule: Rule) -> None:
        handler.proxy.close_listeners(self.down)
        handler.abort()


@dataclass
class Rule:
    """Answer the ``nth`` request whose target matches ``pattern`` and the next ``count - 1``
    with ``fault`` (``count`` None: every matching request from the nth on)."""

    pattern: str
    fault: Fault
    nth: int = 1
    count: int | None = 1
    seen: int = 0
    applied: int = 0
    answers: list[Answer] = field(default_factory=list)  # upstream answers of matching requests
    target: str = ""  # the target of the request being faulted (what a Transform may read)

    def take(self, target: str) -> bool | None:
        """True: fault this request; False: it matches, forward it; None: it does not match."""
        if not re.search(self.pattern, target):
            return None
        self.seen += 1
        if self.seen < self.nth:
            return False
        if self.count is not None and self.applied >= self.count:
            return False
        self.applied += 1
        self.target = target
        return True


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    proxy: FaultProxy
    listener: str

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.proxy.handle(self)

    def forward(self) -> Answer:
        """The upstream's answer to this request (redirect prefix removed)."""
        return self.proxy.forward(self.upstream_target(), dict(self.headers))

    def upstream_target(self) -> str:
        return self.path[len(MOVED) :] if self.path.startswith(MOVED) else self.path

    def send_head(self, answer: Answer, length: int) -> None:
        self.send_response_only(answer.status)
        for name, value in answer.headers:
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, self.proxy.rewrite(value))
        self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()

    def send_answer(self, answer: Answer) -> None:
        self.send_head(answer, len(answer.body))
        self.wfile.write(answer.body)
        self.wfile.flush()

    def abort(self) -> None:
        """Close this connection with a TCP reset (SO_LINGER 0), no more bytes sent."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultProxy:
    """The proxy: ``base`` (127.0.0.1) forwards to ``upstream``; ``other_base`` (127.0.0.2, the
    same proxy) stands for another host that a redirect may send the client to."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream.rstrip("/"))
        self.upstream = upstream.rstrip("/")
        host = parts.hostname or "127.0.0.1"
        self._upstream_addr = ("127.0.0.1" if host == "localhost" else host, parts.port or 80)
        # the upstream's base as the stubs write it in absolute links
        self._upstream_bases = {
            self.upstream,
            f"http://localhost:{parts.port}",
            f"http://127.0.0.1:{parts.port}",
        }
        self.rules: list[Rule] = []
        self.log: list[Seen] = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._servers: dict[str, _Server] = {}
        self._ports = {"main": 0, "other": 0}
        self._hosts = {"main": "127.0.0.1", "other": "127.0.0.2"}
        self._reopen_timer: threading.Timer | None = None
        self._open()
        self.base = f"http://127.0.0.1:{self._ports['main']}"
        self.other_base = f"http://127.0.0.2:{self._ports['other']}"

    # --- listeners ---------------------------------------------------------------------------

    def _open(self) -> None:
        for name in ("main", "other"):
            handler = type(f"_Handler_{name}", (_Handler,), {"proxy": self, "listener": name})
            for attempt in range(50):  # the port of a closed listener may take a moment
                try:
                    server = _Server((self._hosts[name], self._ports[name]), handler)
                    break
                except OSError:
                    if attempt == 49 or not self._ports[name]:
                        raise
                    time.sleep(0.02)
            self._ports[name] = server.server_address[1]
            self._servers[name] = server
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def _close(self) -> None:
        servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.shutdown()
            server.server_close()

    def close_listeners(self, down: float | None) -> None:
        """Stop listening (connections refused); reopen after ``down`` seconds unless None."""
        with self._lock:
            if not self._servers:
                return
            self._close()
            if down is not None:
                self._reopen_timer = threading.Timer(down, self._reopen)
                self._reopen_timer.daemon = True
                self._reopen_timer.start()

    def _reopen(self) -> None:
        with self._lock:
            if not self._servers:
                self._open()

    @property
    def listening(self) -> bool:
        return bool(self._servers)

    # --- rules -------------------------------------------------------------------------------

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def reset(self) -> None:
        """No rules, an empty log, hung connections let go, listeners open again."""
        self.released.set()
        if self._reopen_timer is not None:
            self._reopen_timer.cancel()
            self._reopen_timer = None
        with self._lock:
            self.rules = []
            self.log = []
        self._reopen()
        self.released.clear()

    def release(self) -> None:
        """Let hung and trickling connections go."""
        self.released.set()

    def seen(self, listener: str | None = None) -> list[Seen]:
        return [s for s in self.log if listener is None or s.listener == listener]

    # --- serving -----------------------------------------------------------------------------

    def rewrite(self, value: str) -> str:
        for upstream in self._upstream_bases:
            value = value.replace(upstream, self.base)
        return value

    def forward(self, target: str, headers: dict[str, str]) -> Answer:
        conn = http.client.HTTPConnection(*self._upstream_addr, timeout=30)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in HOP_HEADERS}
            sent["Host"] = f"localhost:{self._upstream_addr[1]}"
            conn.request("GET", target, headers=sent)
            resp = conn.getresponse()
            return Answer(resp.status, list(resp.getheaders()), resp.read())
        finally:
            conn.close()

    def handle(self, handler: _Handler) -> None:
        target = handler.upstream_target()
        picked: tuple[Rule, bool] | None = None
        with self._lock:
            if not handler.path.startswith(MOVED):  # the rest of a redirected request
                for rule in self.rules:
                    taken = rule.take(target)
                    if taken is not None:
                        picked = (rule, taken)
                        break
            fault = picked[0].fault if picked and picked[1] else None
            self.log.append(
                Seen(handler.listener, handler.path, dict(handler.headers), fault and fault.name)
            )
        if fault is not None:
            fault.serve(handler, picked[0])
            return
        answer = handler.forward()
        if picked:
            picked[0].answers.append(answer)
        handler.send_answer(answer)

    def stop(self) -> None:
        self.release()
        if self._reopen_timer is not None:
            self._reopen_timer.cancel()
        self._close()
