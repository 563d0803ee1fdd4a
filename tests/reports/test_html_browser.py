"""The HTML report in a real browser (Debian's chromium, headless): what a person sees, what a
printout holds, that nothing is fetched and that a script planted in the evidence never runs.

Screenshots (1280 and 390 px wide) and the printed PDF are saved under the test's temporary
folder for a person to look at. CI installs chromium; elsewhere the test says how to get it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from spyglass.detections import Detection
from spyglass.records import Observable, Record
from spyglass.reports.html import write_html
from tests.reports.test_html import CASE, make_case, process_match

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
if BROWSER is None and os.environ.get("CI"):
    raise RuntimeError("CI must install Debian's chromium (apt-get install chromium) for the browser tests")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="needs Debian's chromium: apt-get install chromium")

PLANTED_SCRIPT = "<script>document.title='pwned';document.body.innerHTML='pwned'</script>"
EVIDENCE = "https://bun54l2b67.get1tn0w.free247downloads.com:30495/0kapvg3dhu"


def browser(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    # As the machine's note says: no sandbox as root, no GPU, no background networking of its own.
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND"]
    return subprocess.run([BROWSER, *flags, *args], capture_output=True, text=True, timeout=120, check=False)


def hostile_case(folder: Path) -> Path:
    body = f"Your parcel {PLANTED_SCRIPT} {EVIDENCE}"
    record = Record(timestamp=datetime(2021, 7, 1, 10, 0, tzinfo=UTC), timestamp_desc="received", message=body,
                    fields={"text": body, "handle": "+15550100000"}, observables=(Observable("url", EVIDENCE),),
                    module="sms", source="HomeDomain/Library/SMS/sms.db")
    detection = Detection(kind="indicator", severity="high", message="SMS link to a Pegasus domain", record=record,
                          observable=Observable("domain", "bun54l2b67.get1tn0w.free247downloads.com"),
                          indicator={"type": "domain", "value": "free247downloads.com", "feed": "Pegasus (Amnesty)",
                                     "malware": "Pegasus", "id": "indicator--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d"})
    case = make_case(folder, CASE, [detection, process_match()])
    write_html(case)
    return case / "report.html"


def test_report_in_a_real_browser(tmp_path: Path) -> None:
    report = hostile_case(tmp_path / "case")
    dom = browser("--dump-dom", report.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout      # the DOM after the browser ran whatever the page would run
    assert "<title>pwned</title>" not in page and "<body>pwned</body>" not in page
    assert "&lt;script&gt;document.title=" in page          # the planted script is text on the page
    assert '<section class="verdict danger" id="verdict">' in page
    assert EVIDENCE in page                                  # the evidence value, whole
    # What to do comes right after the verdict, before the findings.
    assert page.index('id="verdict"') < page.index('id="next"') < page.index("<article")


def test_report_screenshots_and_print(tmp_path: Path) -> None:
    report = hostile_case(tmp_path / "case")
    import html

    # A window is never narrower than 500 px in headless chromium: the phone width is shown in a
    # frame of 390 px (the report unchanged inside it, under its own CSP).
    phone = report.with_name("phone.html")
    phone.write_text('<!DOCTYPE html><html><body style="margin:0"><iframe width="390" height="2400" '
                     f'style="border:0" srcdoc="{html.escape(report.read_text(encoding="utf-8"), quote=True)}">'
                     "</iframe></body></html>", encoding="utf-8")
    for width, page, window in ((1280, report, 1280), (390, phone, 500)):
        shot = tmp_path / f"report-{width}.png"
        done = browser(f"--screenshot={shot}", f"--window-size={window},2400", page.as_uri(),
                       profile=tmp_path / f"profile-{width}")
        assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]
    pdf = tmp_path / "report.pdf"
    done = browser(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri(), profile=tmp_path / "profile-pdf")
    assert done.returncode == 0 and pdf.read_bytes().startswith(b"%PDF"), done.stderr[-2000:]
    # The printout holds the evidence inside the (closed) record details, not only the summaries.
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "+15550100000" in "".join(text.split())   # the sender, shown only in the record details


# Measured by a probe page that holds the report, unchanged and under its own CSP (which forbids
# scripts), in an iframe as wide as a phone; the probe's script measures the frame from outside.
# (Headless chromium does not make a window narrower than 500 px, a frame it does.)
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="report" width="{width}" height="2400" style="border:0" srcdoc="{report}"></iframe>
<pre id="probe"></pre><script>
const frame = document.getElementById('report');
function measure() {{
  const doc = frame.contentDocument, win = frame.contentWindow;
  const lines = (cell) => {{ const range = doc.createRange(); range.selectNodeContents(cell);
    return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size; }};
  const visible = () => [...doc.querySelectorAll('table.analyst tbody tr')]
    .filter(row => win.getComputedStyle(row).display !== 'none').length;
  const result = {{width: win.innerWidth, scroll: doc.documentElement.scrollWidth, body: doc.body.scrollWidth,
    when: Math.max(...[...doc.querySelectorAll('td.when, span.when')].map(lines)),
    num: Math.max(...[...doc.querySelectorAll('td.num')].map(lines)),
    when_cells: doc.querySelectorAll('td.when, span.when').length, rows: visible(),
    narrowest: Math.min(...[...doc.querySelectorAll('td')].filter(c => c.offsetParent && !c.closest('.scroll table.analyst'))
      .map(c => Math.round(c.getBoundingClientRect().width))),
    ran: doc.title === 'pwned' ? 1 : 0}};
  const box = [...doc.querySelectorAll('.filters label')].find(l => l.textContent.trim() === 'sms');
  box.querySelector('input').checked = false;
  result.rows_without_sms = visible();
  document.getElementById('probe').textContent = 'PROBE' + JSON.stringify(result) + 'PROBE';
}}
if (frame.contentDocument && frame.contentDocument.readyState === 'complete' && frame.contentDocument.body
    && frame.contentDocument.body.childElementCount) measure(); else frame.onload = measure;
</script></body></html>"""


def measure(report: Path, width: int, profile: Path) -> dict[str, int]:
    import html
    import json
    import re

    probe = report.with_name("probe.html")
    probe.write_text(PROBE.format(width=width, report=html.escape(report.read_text(encoding="utf-8"), quote=True)),
                     encoding="utf-8")
    dom = browser("--dump-dom", "--virtual-time-budget=5000", probe.as_uri(), profile=profile)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"PROBE(\{.*?\})PROBE", dom.stdout)
    assert found, dom.stdout[-2000:]
    return json.loads(found.group(1))


def test_report_layout_at_phone_width(tmp_path: Path) -> None:
    report = hostile_case(tmp_path / "case")
    result = measure(report, 390, tmp_path / "profile")
    assert result["width"] == 390
    # Nothing makes the page wider than the phone: wide tables scroll inside their own box.
    assert result["scroll"] <= 390 and result["body"] <= 390
    # Every timestamp and every count stays on one line (was split mid-digit in the feed table).
    assert result["when_cells"] >= 5
    assert (result["when"], result["num"]) == (1, 1)
    # And no column of the owner's tables is squeezed to a sliver.
    assert result["narrowest"] >= 40
    # The analyst's filters work without a script of the report's: unticking "sms" hides its row.
    assert (result["rows"], result["rows_without_sms"]) == (2, 1)
    assert result["ran"] == 0      # the script planted in the SMS did not run in the frame either


# The browser's own background services (updates, accounts, time), which no page asks for.
BROWSER_SERVICES = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")
PLANTED_IMAGE = '<img src="http://planted-image.invalid/x.png"><link rel="stylesheet" href="https://planted-css.invalid/a.css">'


def requested_urls(page: Path, tmp_path: Path) -> set[str]:
    """Every URL the browser asked for while loading `page`, from its own network log."""
    import json

    log = tmp_path / f"{page.stem}-netlog.json"
    result = browser(f"--log-net-log={log}", "--dump-dom", page.as_uri(), profile=tmp_path / f"{page.stem}-profile")
    assert result.returncode == 0, result.stderr[-2000:]
    urls: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "url" and isinstance(item, str):
                    urls.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(log.read_text(encoding="utf-8")).get("events", []))
    from urllib.parse import urlsplit
    return {url for url in urls if not (urlsplit(url).hostname or "").endswith(BROWSER_SERVICES)}


def test_report_makes_no_request(tmp_path: Path) -> None:
    body = f"Your parcel {PLANTED_IMAGE} {EVIDENCE}"
    record = Record(timestamp=datetime(2021, 7, 1, 10, 0, tzinfo=UTC), timestamp_desc="received", message=body,
                    fields={"text": body}, observables=(Observable("url", EVIDENCE),), module="sms",
                    source="HomeDomain/Library/SMS/sms.db")
    detection = Detection(kind="indicator", severity="high", message="SMS link to a Pegasus domain", record=record,
                          observable=Observable("url", EVIDENCE),
                          indicator={"type": "domain", "value": "free247downloads.com", "feed": "Pegasus (Amnesty)",
                                     "malware": "Pegasus", "id": "indicator--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d"})
    case = make_case(tmp_path / "case", CASE, [detection])
    write_html(case)
    assert "planted-image.invalid" in (case / "report.html").read_text(encoding="utf-8")   # shown, as text
    assert requested_urls(case / "report.html", tmp_path) == set()
    # The same log sees a page's request: a page that does load the image asks for it.
    control = tmp_path / "control.html"
    control.write_text(f"<html><body>{PLANTED_IMAGE}</body></html>", encoding="utf-8")
    assert "http://planted-image.invalid/x.png" in requested_urls(control, tmp_path)
