"""The study report in a real browser: headless Chromium (the harness: tests/support/browser.py)."""

from __future__ import annotations

from browser import PROBE_JS, check_report_visit, pdf_page_count, print_report


def test_harness_sees_external_requests_console_errors_and_dialogs(chromium, tmp_path):
    """The checks can fail: a page that calls out, logs an error and opens an alert is caught
    (the outside request is failed by the browser before it leaves)."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/pixel.png'>"
        "<script>console.error('boom'); alert('hi');</script></body></html>"
    )
    visit = chromium.visit(page, "document.images.length", settle=0.5)
    assert visit.external_requests == ["http://127.0.0.1:9/pixel.png"]
    assert visit.blocked == ["http://127.0.0.1:9/pixel.png"]
    assert "boom" in visit.console_errors
    assert visit.dialogs == ["hi"]
    assert visit.probe == 1


def test_hostile_report_renders_as_text_in_the_browser(chromium, tmp_path, monkeypatch):
    from hfreuse.report.build import build_report
    from report_support import EVIL, EVIL_IMG, make_synthetic_run

    kwargs = make_synthetic_run(tmp_path / "run")
    monkeypatch.chdir(tmp_path / "run")
    out = tmp_path / "run" / "results" / "report.html"
    out.write_text(build_report(**kwargs), encoding="utf-8")
    visit = chromium.visit(out, PROBE_JS)
    check_report_visit(visit, ["alpha", "beta"], synthetic=True)
    assert EVIL in visit.probe["bodyText"] and EVIL_IMG in visit.probe["bodyText"]


def test_print_checks_can_fail(chromium, tmp_path):
    """The print harness sees a table wider than the page and counts the pages of a long one."""
    wide = "".join(f"<td>{'x' * 40}{i}</td>" for i in range(12))
    page = tmp_path / "wide.html"
    page.write_text(
        "<!DOCTYPE html><html><body>"
        + "<p>line</p>" * 400
        + f"<div id='wide'><table><tr>{wide}</tr></table></div></body></html>"
    )
    pdf, probe = print_report(chromium, page)
    assert pdf.startswith(b"%PDF") and pdf_page_count(pdf) >= 5
    assert [o["id"] for o in probe["overflowing"]] == ["wide"]


def test_hostile_report_prints_without_overflow(chromium, tmp_path, monkeypatch):
    """The report's print CSS wraps long cells (a table of hostile text, a wide path): no table
    is wider than the printed page."""
    from hfreuse.report.build import build_report
    from report_support import make_synthetic_run

    kwargs = make_synthetic_run(tmp_path / "run")
    monkeypatch.chdir(tmp_path / "run")
    out = tmp_path / "run" / "results" / "report.html"
    out.write_text(build_report(**kwargs), encoding="utf-8")
    pdf, probe = print_report(chromium, out)
    assert probe["tables"] > 0 and probe["overflowing"] == []
    assert 1 <= pdf_page_count(pdf) <= 10
