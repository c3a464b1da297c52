"""The shared HTTP client: header parsing, pacing, rate limits, retries, errors, progress logs.

Time is the client's own injected clock and sleep (a fake clock that advances when slept on);
HTTP goes to a real local server (pytest-httpserver).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import socket

import pytest
from hfreuse.clients import ConnectionFailed, FetchError, HttpClient, hub_token
from hfreuse.crawl.headers import parse_ratelimit, parse_retry_after
from hfreuse.crawl.progress import CreationEstimate, Progress, ShardsProgress
from hfreuse.crawl.stats import Stats
from werkzeug import Response


class FakeTime:
    """A clock that only moves when slept on; records the sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def fake_client(t: FakeTime, rpm: float = 60.0, **kw) -> HttpClient:
    return HttpClient(rpm, sleep=t.sleep, clock=t.clock, **kw)


# --- header parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1.0), (" 120 ", 120.0), ("0", 0.0), ("2.5", 2.5), ("-3", 0.0), ("", None), (None, None)],
)
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 90, usegmt=True)  # "Tue, 14 Nov 2023 22:14:50 GMT"
    assert later.endswith("GMT")
    assert parse_retry_after(later, now=now) == pytest.approx(90.0)
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon, maybe", now=now) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"api";r=489;t=189', (489, 189.0)),  # IETF structured form, as the Hub sends it
        ('"resolvers";r=0;t=42', (0, 42.0)),
        ("limit=500, remaining=489, reset=189", (489, 189.0)),  # older draft form
        ("limit=500, remaining=0, reset=7", (0, 7.0)),
        ('"api";q=500;w=300', None),  # a policy, not a state
        ("", None),
        (None, None),
    ],
)
def test_parse_ratelimit(value, expected):
    assert parse_ratelimit(value) == expected


# --- pacing and rate limits ---------------------------------------------------------------------


def test_requests_are_paced_to_the_budget(httpserver):
    httpserver.expect_request("/x").respond_with_json({"ok": True})
    t = FakeTime()
    c = fake_client(t, rpm=60.0)  # one request a second
    for _ in range(4):
        assert c.get_json(httpserver.url_for("/x")) == {"ok": True}
    assert t.sleeps == [1.0, 1.0, 1.0]
    assert c.stats.requests == 4 and c.stats.waited_seconds == pytest.approx(3.0)
    # time spent elsewhere counts towards the spacing: no sleep is needed after a long pause
    t.now += 5
    c.get_json(httpserver.url_for("/x"))
    assert t.sleeps == [1.0, 1.0, 1.0]


def test_ratelimit_remaining_zero_waits_for_the_window(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_json(
        [],
        headers={"RateLimit": '"api";r=0;t=30', "RateLimit-Policy": '"fixed window";q=500;w=300'},
    )
    httpserver.expect_ordered_request("/x").respond_with_json([])
    t = FakeTime()
    c = fake_client(t, rpm=6000.0)
    c.get_json(httpserver.url_for("/x"))
    c.get_json(httpserver.url_for("/x"))
    assert t.sleeps == [30.5]  # the reset time plus a margin, not the 10 ms pacing
    assert c.stats.rate_limited == 0 and c.stats.statuses == {"200": 2}


def test_429_waits_retry_after_then_succeeds(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/x").respond_with_json({"n": 1})
    t = FakeTime()
    c = fake_client(t, rpm=6000.0)
    assert c.get_json(httpserver.url_for("/x")) == {"n": 1}
    assert t.sleeps == [7.5]
    assert c.stats.as_dict() == {
        "requests": 2,
        "retries": 1,
        "errors": 0,
        "rate_limited": 1,
        "waited_seconds": 7.5,
        "statuses": {"200": 1, "429": 1},
    }


def test_429_without_retry_after_uses_discourse_wait_seconds(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_json(
        {"errors": ["slow down"], "extras": {"wait_seconds": 12}}, status=429
    )
    httpserver.expect_ordered_request("/x").respond_with_json({})
    t = FakeTime()
    fake_client(t, rpm=6000.0).get_json(httpserver.url_for("/x"))
    assert t.sleeps == [12.5]


def test_5xx_is_retried_with_exponential_backoff(httpserver):
    for status in (500, 503):
        httpserver.expect_ordered_request("/x").respond_with_data("oops", status=status)
    httpserver.expect_ordered_request("/x").respond_with_json([1])
    t = FakeTime()
    c = fake_client(t, rpm=6000.0)
    assert c.get_json(httpserver.url_for("/x")) == [1]
    assert t.sleeps == [2.0, 4.0]
    assert c.stats.retries == 2 and c.stats.statuses == {"200": 1, "500": 1, "503": 1}


def test_5xx_gives_up_after_max_retries_naming_the_url(httpserver):
    httpserver.expect_request("/x").respond_with_data("down", status=502)
    t = FakeTime()
    c = fake_client(t, rpm=6000.0, max_retries=2)
    with pytest.raises(FetchError, match=r"GET http://.*/x\?page=3: HTTP 502 after 3 tries"):
        c.get(httpserver.url_for("/x"), params={"page": 3})
    assert c.stats.requests == 3 and c.stats.errors == 1 and t.sleeps == [2.0, 4.0]


def _free_port() -> int:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_fails_fast_with_a_clear_error():
    port = _free_port()
    t = FakeTime()
    c = fake_client(t, rpm=6000.0, max_retries=6)
    url = f"http://127.0.0.1:{port}/y"
    with pytest.raises(
        ConnectionFailed,
        match=rf"GET {url}: connection refused \(3 tries\): "
        r"is the endpoint right / is the server up\?",
    ) as err:
        c.get(url)
    assert not err.value.transient  # not a page too heavy to serve
    assert c.stats.statuses == {"ConnectionFailed": 3} and c.stats.retries == 2
    assert t.sleeps == [1.0, 1.0]  # a few quick retries, not the long backoff
    c = fake_client(FakeTime(), rpm=6000.0, max_retries=0)
    with pytest.raises(ConnectionFailed, match=r"\(1 tries\)"):
        c.get(url)


def test_the_hub_listing_does_not_shrink_its_pages_on_a_refused_connection(tmp_path):
    """The Hub listing halves its page size on transient errors only (timeouts, 504):
    a refused connection is a ConnectionFailed, not transient, so it fails at once."""
    from hfreuse.hub.listing import crawl_models

    base = f"http://127.0.0.1:{_free_port()}"
    c = HttpClient(6000.0, max_retries=6, sleep=lambda s: None)
    with pytest.raises(ConnectionFailed, match="connection refused"):
        crawl_models(tmp_path / "hub", base, ["downloads"], 100, client=c)
    state = (tmp_path / "hub" / "state.json").read_text()
    assert '"page_size_reduced"' not in state or '"page_size_reduced": 0' in state
    assert "limit=100" in state and c.stats.requests == 3


def test_a_trickling_server_is_cut_off_at_the_total_deadline():
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):  # one byte every 0.2 s: each read is quick, the whole is not
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slow"
    t = FakeTime()
    c = fake_client(t, rpm=6000.0, timeout=1.0, max_retries=1)
    began = time.monotonic()
    try:
        with pytest.raises(FetchError, match=rf"GET {url}: gave up after 2 tries: .*deadline"):
            c.get(url)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - began < 5  # two tries of about 1 s each, not 20 s
    assert c.stats.statuses == {"DeadlineExceeded": 2} and c.stats.retries == 1


def test_a_timeout_is_retried():
    import threading

    from pytest_httpserver import HTTPServer

    release = threading.Event()

    def slow(request):
        release.wait(5)
        return Response("[]", content_type="application/json")

    server = HTTPServer(host="127.0.0.1", threaded=True)  # the retry must not queue behind
    server.expect_ordered_request("/slow").respond_with_handler(slow)
    server.expect_ordered_request("/slow").respond_with_json(["fast"])
    server.start()
    t = FakeTime()
    c = fake_client(t, rpm=6000.0, timeout=0.3)
    try:
        assert c.get_json(server.url_for("/slow")) == ["fast"]
    finally:
        release.set()
        server.stop()
    assert c.stats.statuses == {"ReadTimeout": 1, "200": 1} and c.stats.retries == 1
    assert t.sleeps == [2.0]


def test_unexpected_status_and_bad_json_fail_naming_the_url(httpserver):
    httpserver.expect_request("/gone").respond_with_data("no such thing", status=404)
    httpserver.expect_request("/html").respond_with_data("<html>not json", status=200)
    c = fake_client(FakeTime(), rpm=6000.0)
    with pytest.raises(FetchError, match=r"/gone: unexpected HTTP 404 \(expected 200\)"):
        c.get(httpserver.url_for("/gone"))
    assert c.get(httpserver.url_for("/gone"), ok_statuses=(200, 404)).status_code == 404
    with pytest.raises(FetchError, match=r"GET http://.*/html: expected a complete JSON body"):
        c.get_json(httpserver.url_for("/html"))


def test_headers_are_sent(httpserver):
    httpserver.expect_request("/h", headers={"Authorization": "Bearer hf_abc"}).respond_with_json(
        {}
    )
    c = fake_client(FakeTime(), headers={"Authorization": "Bearer hf_abc"})
    c.get_json(httpserver.url_for("/h"))
    ua = httpserver.log[0][0].headers["User-Agent"]
    assert ua.startswith("hfreuse/") and "research workflow" in ua and "SANER 2024" in ua


CREDENTIALS = {
    "Authorization": "Bearer hf_secret",
    "Api-Key": "secret-key-4f7a9",
    "Api-Username": "crawler-bot",
}


@pytest.fixture
def two_origins():
    """Two local servers on 127.0.0.1, different ports: two origins."""
    from pytest_httpserver import HTTPServer

    servers = [HTTPServer(host="127.0.0.1", port=0) for _ in range(2)]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.clear()
        if server.is_running():
            server.stop()


def _redirect(location: str) -> Response:
    return Response(status=302, headers={"Location": location})


def test_credentials_are_not_sent_past_a_redirect_to_another_origin(two_origins):
    a, b = two_origins
    a.expect_request("/start").respond_with_response(_redirect(b.url_for("/landing")))
    b.expect_request("/landing").respond_with_json({"ok": True})
    c = fake_client(FakeTime(), headers=CREDENTIALS)
    assert c.get_json(a.url_for("/start")) == {"ok": True}
    sent_a, sent_b = a.log[0][0].headers, b.log[0][0].headers
    for name, value in CREDENTIALS.items():
        assert sent_a.get(name) == value
        assert name not in sent_b, name
    assert sent_b["User-Agent"].startswith("hfreuse/")


def test_credentials_are_kept_on_a_same_origin_redirect(two_origins):
    a, _ = two_origins
    a.expect_request("/start").respond_with_response(_redirect("/landing"))
    a.expect_request("/landing").respond_with_json({"ok": True})
    c = fake_client(FakeTime(), headers=CREDENTIALS)
    assert c.get_json(a.url_for("/start")) == {"ok": True}
    assert [r.path for r, _ in a.log] == ["/start", "/landing"]
    for request, _ in a.log:
        for name, value in CREDENTIALS.items():
            assert request.headers.get(name) == value


@pytest.mark.parametrize(
    ("old", "new", "strip"),
    [
        ("http://h.example/a", "http://h.example:80/b", False),
        ("https://h.example/a", "https://H.example/b", False),
        ("http://h.example/a", "https://h.example/a", True),  # requests keeps auth here
        ("http://h.example:8000/a", "http://h.example:8001/a", True),
        ("https://h.example/a", "https://cdn.h.example/a", True),
    ],
)
def test_origin_is_scheme_host_and_port(old, new, strip):
    from hfreuse.clients import OriginBoundSession

    assert OriginBoundSession().should_strip_auth(old, new) is strip


def test_the_forum_crawl_client_drops_its_api_key_on_a_cross_origin_redirect(
    two_origins, monkeypatch
):
    from hfreuse.forum.crawl_common import make_client

    monkeypatch.setenv("DISCOURSE_API_KEY", "secret-key-4f7a9")
    monkeypatch.setenv("DISCOURSE_API_USERNAME", "crawler-bot")
    a, b = two_origins
    a.expect_request("/latest.json").respond_with_response(_redirect(b.url_for("/latest.json")))
    b.expect_request("/latest.json").respond_with_json({"topic_list": {"topics": []}})
    make_client(60_000).get_json(a.url_for("/latest.json"))
    assert a.log[0][0].headers.get("Api-Key") == "secret-key-4f7a9"
    assert "Api-Key" not in b.log[0][0].headers
    assert "Api-Username" not in b.log[0][0].headers


def test_hub_token_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert hub_token() is None
    monkeypatch.setenv("HF_TOKEN", "")
    assert hub_token() is None
    monkeypatch.setenv("HF_TOKEN", "hf_xyz")
    assert hub_token() == "hf_xyz"


# --- stats and progress -------------------------------------------------------------------------


def test_stats_add_up_over_resumed_runs():
    earlier = Stats(requests=5, retries=1, rate_limited=1, statuses={"200": 4, "429": 1})
    now = Stats(requests=3, errors=1, waited_seconds=1.25, statuses={"200": 2, "503": 1})
    total = Stats.from_dict(earlier.as_dict()).combined(now)
    assert total.as_dict() == {
        "requests": 8,
        "retries": 1,
        "errors": 1,
        "rate_limited": 1,
        "waited_seconds": 1.25,
        "statuses": {"200": 6, "429": 1, "503": 1},
    }
    assert Stats.from_dict(None).as_dict() == Stats().as_dict()


def test_progress_logs_rate_and_eta(caplog):
    t = FakeTime(0.0)
    caplog.set_level(logging.INFO, logger="hfreuse.crawl.progress")
    p = Progress("models", total=1000, every=10.0, clock=t.clock, initial=400)
    t.now = 20.0
    p.update(100)  # 100 items in 20 s this run: 5/s; 500 left -> 100 s
    assert "models: 500/1000 (50.0%), 5.0/s, ETA 0h01m40s" in caplog.text
    t.now = 25.0
    p.update(10)  # within 10 s of the last line: quiet
    assert "510/1000" not in caplog.text
    p.update(0, force=True)
    assert "510/1000" in caplog.text
    q = Progress("pages", clock=t.clock)
    t.now = 35.0
    q.update(20)
    assert re.search(r"pages: 20 done, 2\.0/s", caplog.text)


def test_progress_with_an_estimated_total(caplog):
    t = FakeTime(0.0)
    caplog.set_level(logging.INFO, logger="hfreuse.crawl.progress")
    p = Progress("topics", every=10.0, clock=t.clock, estimated=True)
    t.now = 10.0
    p.set_done(50)  # no estimate yet
    assert "topics: 50 done, 5.0/s" in caplog.text
    t.now = 20.0
    p.set_done(100, estimate=1000)  # 100 in 20 s: 5/s; ~900 left -> ~180 s
    assert "topics: 100/~1000 (10.0%), 5.0/s, ETA ~0h03m00s" in caplog.text
    t.now = 40.0
    p.set_done(1200, force=True)  # an estimate passed: the total is at least what is done
    assert "topics: 1200/~1200 (100.0%), 30.0/s, ETA ~0h00m00s" in caplog.text


def test_creation_estimate_of_a_listing_sorted_by_creation_time(caplog):
    day = 86400.0
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z

    def iso(seconds):
        return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()

    est = CreationEstimate(window=300, clock=lambda: now)
    # the Hub's floor date: many models with one creation time give no pace yet
    est.add([iso(now - 400 * day)] * 100)
    assert est.total(100) is None
    # 100 models a day, up to 10 days ago: 10 more days of them to come
    for page in range(5):
        first = now - 15 * day + page * day
        est.add([iso(first + i * day / 100) for i in range(100)] + [None, "not a date"])
    assert est.pages[0][0] == 100 and len(est.pages) == 3  # the last 300 models only
    # 300 models created over 2.99 days (100 a day), the last 10.01 days ago: 1001 more
    assert est.total(600) == 600 + 1001
    t = FakeTime(0.0)
    caplog.set_level(logging.INFO, logger="hfreuse.crawl.progress")
    p = Progress(
        "hub models", every=0.0, clock=t.clock, timeline=CreationEstimate(clock=lambda: now)
    )
    t.now = 10.0
    p.update(2, created=[iso(now - 2 * day), iso(now - day)])  # 1 a day, 1 day to go
    assert "hub models: 2/~3 (66.7%), 0.2/s, ETA ~0h00m05s" in caplog.text


def test_overall_progress_of_shards_from_their_state_files(tmp_path, caplog):
    t = FakeTime(0.0)
    caplog.set_level(logging.INFO, logger="hfreuse.crawl.progress")
    folders = [tmp_path / f"shard-{k}-of-3" for k in (1, 2, 3)]
    for folder in folders:
        folder.mkdir()
    (folders[1] / "state.json").write_text('{"done": 40}')
    states = [f / "state.json" for f in folders]
    overall = ShardsProgress(
        "cards (all 3)",
        lambda: sorted(tmp_path.glob("*/state.json")),
        states[0],
        total=300,
        own_done=10,
        every=10.0,
        clock=t.clock,
    )
    assert overall.progress.initial == 50  # shard 2's 40 and our 10
    t.now = 5.0
    overall.tick(20)
    assert "cards (all 3)" not in caplog.text  # not due yet
    (folders[2] / "state.json").write_text('{"done": 30}')  # shard 3 started meanwhile
    (states[1]).write_text("{damaged")  # being written: what it said last counts
    t.now = 10.0
    overall.tick(30)  # 30 + 40 + 30 = 100 done, 50 of them in 10 s: 5/s; 200 left -> 40 s
    assert "cards (all 3): 100/300 (33.3%), 5.0/s, ETA 0h00m40s" in caplog.text
