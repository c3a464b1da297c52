"""The browser harness of the report tests: headless Chromium (Debian's ``chromium`` package).

The harness opens a local HTML file and records what happens; :func:`print_report` prints it.

Talks the Chrome DevTools protocol over ``--remote-debugging-pipe`` (file descriptors 3 and 4,
NUL-terminated JSON), so it needs no Python dependency. Every request the page makes is paused
through the Fetch domain: file:, data: and about: requests continue, anything else is failed
before it leaves the machine and recorded.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--remote-debugging-pipe",
]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageVisit:
    url: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    loaded: bool = False
    probe: Any = None

    @property
    def console_errors(self) -> list[str]:
        return [
            str(m.get("text"))
            for m in self.console
            if m.get("level") in ("error", "assert") or m.get("type") in ("error", "assert")
        ]

    @property
    def external_requests(self) -> list[str]:
        return sorted({u for u in self.requests + self.blocked if not u.startswith(LOCAL_SCHEMES)})


class Chromium:
    """A headless Chromium driven over the DevTools pipe."""

    def __init__(self, binary: str, timeout: float = 30.0):
        self.timeout = timeout
        self._id = 0
        self._buf = b""
        self._replies: dict[int, dict[str, Any]] = {}
        self._visit: tuple[PageVisit, str] | None = None
        self._profile = tempfile.mkdtemp(prefix="hfreuse-chromium-")
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()

        def place_fds() -> None:  # runs in the child: the pipe ends become fds 3 and 4
            read_end, write_end = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=place_fds,
            pass_fds=(3, 4),  # kept open after place_fds
        )
        os.close(to_child_r)
        os.close(from_child_w)

    # --- protocol ---
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from chromium in time")
            ready, _, _ = select.select([self._from_child_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_child_r, 1 << 16)
            if not chunk:
                raise RuntimeError(f"chromium closed the pipe (exit {self.proc.poll()})")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def _pump(self, deadline: float) -> None:
        """Read one message: a reply is stored by id, an event goes to the active visit."""
        msg = self._read_message(deadline)
        if "id" in msg:
            self._replies[msg["id"]] = msg
        elif self._visit is not None:
            self._record(msg, *self._visit)

    def post(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        """Send a command without waiting for its reply."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child_w, json.dumps(msg).encode() + b"\0")
        return self._id

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and wait for its result (events meanwhile go to the active visit)."""
        msg_id = self.post(method, params, session)
        deadline = time.monotonic() + self.timeout
        while msg_id not in self._replies:
            self._pump(deadline)
        reply = self._replies.pop(msg_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait(self, seconds: float) -> None:
        """Handle events for ``seconds``."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._pump(deadline)
        except TimeoutError:
            pass

    # --- a page visit ---
    def visit(self, path: Path, probe_js: str, settle: float = 1.0) -> PageVisit:
        """Load ``path``, record requests, console messages, exceptions and dialogs, then
        evaluate ``probe_js`` (an expression returning JSON-able data)."""
        url = path.resolve().as_uri()
        visit = PageVisit(url=url)
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self._visit = (visit, session)
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable", session=session)
            self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=session)
            self.send("Page.navigate", {"url": url}, session=session)
            deadline = time.monotonic() + self.timeout
            while not visit.loaded and time.monotonic() < deadline:
                self.wait(0.1)
            self.wait(settle)
            result = self.send(
                "Runtime.evaluate", {"expression": probe_js, "returnByValue": True}, session
            )
            self.wait(0.2)
        finally:
            self._visit = None
        visit.probe = result.get("result", {}).get("value")
        if "exceptionDetails" in result:
            visit.exceptions.append(f"probe: {result['exceptionDetails']}")
        self.send("Target.closeTarget", {"targetId": target})
        return visit

    def _record(self, ev: dict[str, Any], visit: PageVisit, session: str) -> None:
        method, params = ev.get("method"), ev.get("params", {})
        if ev.get("sessionId") not in (None, session):
            return
        if method == "Page.loadEventFired":
            visit.loaded = True
        elif method == "Network.requestWillBeSent":
            visit.requests.append(params["request"]["url"][:120])
        elif method == "Fetch.requestPaused":
            url = params["request"]["url"]
            if url.startswith(LOCAL_SCHEMES):
                self.post("Fetch.continueRequest", {"requestId": params["requestId"]}, session)
            else:
                visit.blocked.append(url)
                self.post(
                    "Fetch.failRequest",
                    {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                    session,
                )
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            visit.console.append({"type": params.get("type"), "text": text})
        elif method == "Log.entryAdded":
            entry = params["entry"]
            visit.console.append({"level": entry.get("level"), "text": entry.get("text")})
        elif method == "Runtime.exceptionThrown":
            visit.exceptions.append(str(params.get("exceptionDetails", {}).get("text")))
        elif method == "Page.javascriptDialogOpening":
            visit.dialogs.append(str(params.get("message")))
            self.post("Page.handleJavaScriptDialog", {"accept": True}, session)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_child_w, self._from_child_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: What the report tests read from the loaded page.
PROBE_JS = """(() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });  // the appendix too
  const imgs = [...document.querySelectorAll('figure img.figure')];
  return {
    title: document.title,
    figures: imgs.map(i => ({
      name: i.closest('figure').dataset.figure,
      complete: i.complete,
      width: i.naturalWidth,
      height: i.naturalHeight,
      shownWidth: i.getBoundingClientRect().width,
    })),
    scripts: document.querySelectorAll('script').length,
    sections: [...document.querySelectorAll('main > section')].map(s => ({
      id: s.id,
      badge: !!s.querySelector('h2 .synthetic-badge'),
    })),
    banner: (document.querySelector('.synthetic-banner') || {}).textContent || null,
    bodyText: document.body.innerText,
  };
})()"""


APT_LINE = "apt-get install -y chromium"


def check_report_visit(visit: PageVisit, figures: list[str], synthetic: bool) -> None:
    """The report rendered: every figure loaded, no error, no script, no request off the machine."""
    probe = visit.probe
    assert visit.loaded, "the report never fired its load event"
    assert visit.external_requests == [], f"requests leaving the machine: {visit.external_requests}"
    assert visit.console_errors == [], f"console errors: {visit.console_errors}"
    assert visit.exceptions == [] and visit.dialogs == []
    assert probe["scripts"] == 0
    shown = {f["name"]: f for f in probe["figures"]}
    assert sorted(shown) == sorted(figures)
    for name, fig in shown.items():
        assert fig["complete"] and fig["width"] > 0 and fig["height"] > 0, (
            f"figure {name} not drawn"
        )
        assert fig["shownWidth"] > 50, f"figure {name} is not visible"
    ids = [s["id"] for s in probe["sections"]]
    assert ids == ["claims", "overview", "rq1", "rq2", "rq3", "methods", "appendix"]
    if synthetic:
        assert probe["banner"] and probe["banner"].startswith("SYNTHETIC DEMO DATA")
        assert all(s["badge"] for s in probe["sections"]), probe["sections"]
        assert probe["title"].startswith("[SYNTHETIC DEMO DATA]")


# --- print: the report as a PDF (page count) and its tables in the printed layout ---

#: What the print test reads from the page laid out for print (A4, the report's @page margins):
#: every table shown (closed <details> hide theirs) that is wider than its box or than the page.
OVERFLOW_JS = """(() => {
  const page = document.documentElement.clientWidth;
  const out = [];
  for (const t of document.querySelectorAll('table')) {
    if (!t.offsetParent) continue;  // not laid out: inside a closed <details>
    const box = t.parentElement.getBoundingClientRect();
    const r = t.getBoundingClientRect();
    if (r.right > page + 1 || t.scrollWidth > Math.ceil(box.width) + 1) {
      const block = t.closest('[id]');
      out.push({id: block ? block.id : '?', width: Math.round(r.width), page: page});
    }
  }
  return {overflowing: out, tables: document.querySelectorAll('table').length};
})()"""
#: A4 minus the report's @page margins (12 mm each side), in CSS pixels (96 per inch)
A4_PRINT_WIDTH = round((210 - 24) / 25.4 * 96)


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF written by Chromium (its /Pages tree root carries /Count)."""
    import re

    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    if not counts:
        raise AssertionError("no /Pages tree with /Count in the PDF")
    return max(counts)


def print_report(browser: Chromium, path: Path) -> tuple[bytes, Any]:
    """The page printed to PDF by Chromium (A4, backgrounds, the page's own @page size) and the
    overflow probe run on the print layout at the printable width."""
    import base64

    url = path.resolve().as_uri()
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    visit = PageVisit(url=url)
    browser._visit = (visit, session)
    try:
        for domain in ("Page", "Runtime"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": url}, session=session)
        deadline = time.monotonic() + browser.timeout
        while not visit.loaded and time.monotonic() < deadline:
            browser.wait(0.1)
        browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": A4_PRINT_WIDTH, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        probe = browser.send(
            "Runtime.evaluate", {"expression": OVERFLOW_JS, "returnByValue": True}, session
        )["result"]["value"]
        browser.send("Emulation.clearDeviceMetricsOverride", session=session)
        pdf = browser.send(
            "Page.printToPDF",
            {"printBackground": True, "preferCSSPageSize": True},
            session=session,
        )["data"]
    finally:
        browser._visit = None
    browser.send("Target.closeTarget", {"targetId": target})
    return base64.b64decode(pdf), probe
