"""The HTML report, rendered from case folders written here with Detection and Record objects."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from spyglass.detections import Detection
from spyglass.records import Observable, Record
from spyglass.reports.html import MAX_FINDINGS_SHOWN, render_html, write_html

FEED_ID = "indicator--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d"
CASE = {
    "tool": {"name": "spyglass", "version": "0.1.0"}, "command": "check",
    "started_at": "2024-05-01T09:00:00Z", "finished_at": "2024-05-01T09:02:30Z",
    "acquisition": {"kind": "ios-backup", "path": "/cases/backup", "encrypted": True,
                    "device": {"name": "Amal's iPhone", "model": "iPhone14,2", "os": "iOS",
                               "os_version": "16.5", "build": "20F66", "serial": "F2LX1234",
                               "udid": "00008030-001A2B3C4D5E802E", "backup_date": "2024-04-30T20:00:00Z"},
                    "notes": []},
    "inputs": {"Manifest.db": {"sha256": "ab" * 32, "size": 123}},
    "feeds": [{"name": "Pegasus (Amnesty)", "source": "pegasus.stix2", "version": "2024-04",
               "date": "2024-04-20", "sha256": "cd" * 32, "count": 1500, "counts": {"domain": 1400},
               "skipped": 0}],
    "modules": {"sms": {"status": "ok", "records": 12, "files": ["HomeDomain/Library/SMS/sms.db"],
                        "message": None, "description": "SMS and iMessage"},
                "datausage": {"status": "not present", "records": 0, "files": [], "message": None,
                              "description": "Network use per process"}},
    "heuristics": {"odd_process_path": {"status": "ok", "findings": 0, "message": None,
                                        "description": "Processes running from unusual paths"}},
    "findings": {"total": 2, "by_severity": {"critical": 1, "high": 1}, "by_kind": {"indicator": 2}},
    "verdict": "2 indicator matches (Pegasus)", "warnings": ["Manifest lists 3 files that are missing"],
    "history": [],
}


def sms_link(message: str = "SMS link to a Pegasus domain", body: str = "Your parcel: https://x.evil.com/p",
             when: datetime | None = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)) -> Detection:
    record = Record(timestamp=when, timestamp_desc="received", message=body,
                    fields={"text": body, "handle": "+15550100000"},
                    observables=(Observable("url", "https://x.evil.com/p"),),
                    module="sms", source="HomeDomain/Library/SMS/sms.db")
    return Detection(kind="indicator", severity="high", message=message, record=record,
                     observable=Observable("domain", "x.evil.com"),
                     indicator={"type": "domain", "value": "evil.com", "feed": "Pegasus (Amnesty)",
                                "malware": "Pegasus", "id": FEED_ID})


def process_match() -> Detection:
    record = Record(timestamp=datetime(2021, 7, 2, 3, 4, 5, tzinfo=UTC), timestamp_desc="last seen",
                    message="Process bh", fields={"process_name": "bh"},
                    observables=(Observable("process", "bh"),), module="datausage",
                    source="WirelessDomain/Library/Databases/DataUsage.sqlite")
    return Detection(kind="indicator", severity="critical", message="Pegasus process bh", record=record,
                     observable=Observable("process", "bh"),
                     indicator={"type": "process", "value": "bh", "feed": "Pegasus (Amnesty)",
                                "malware": "Pegasus", "id": FEED_ID})


def odd_path() -> Detection:
    record = Record(timestamp=None, timestamp_desc="", message="Process /private/var/tmp/x at shutdown",
                    module="shutdown_log", source="sysdiagnose/shutdown.log")
    return Detection(kind="suspicious", severity="medium", message="Process ran from a temporary folder",
                     record=record, heuristic="odd_process_path")


def make_case(folder: Path, case: dict[str, Any], detections: list[Detection] | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_text(json.dumps(case), encoding="utf-8")
    if detections is not None:
        lines = [json.dumps(detection.to_dict(), ensure_ascii=False) for detection in detections]
        (folder / "detections.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def test_render_html_indicators(tmp_path: Path) -> None:
    page = render_html(make_case(tmp_path / "out", CASE, [sms_link(), process_match()]))
    assert page.startswith("<!DOCTYPE html>")
    # A process that ran (datausage) joined to a link: execution traces, the red verdict.
    assert ('<section class="verdict danger" id="verdict"><h2>Traces of known spyware were found (Pegasus): '
            "one sign that it ran on this phone, to be confirmed</h2>") in page
    assert "<p>The phone&#x27;s records hold one trace of Pegasus running or installed" in page
    assert "The traces found belong to: <strong>Pegasus</strong>." in page
    assert "<p>Findings: 2 (1 critical, 1 high): 2 known spyware traces, 0 suspicious signs.</p>" in page
    assert '<p class="muted">Strength of the evidence: execution traces.</p>' in page
    # Most severe first: the process (critical) before the SMS link (high).
    assert page.index("Pegasus process bh") < page.index("SMS link to a Pegasus domain")
    assert ('<h3><span class="badge critical">critical</span>Known spyware trace: Pegasus process bh</h3>'
            in page)
    assert "<dt>When</dt><dd>2021-07-01 10:00:00 UTC</dd><dt>Found in</dt><dd>SMS and iMessage (sms)</dd>" in page
    assert "<dt>Found in</dt><dd>datausage</dd>" not in page
    assert "<dt>Found in</dt><dd>Network use per process (datausage)</dd>" in page
    assert "<dt>Value seen</dt><dd>x.evil.com (domain)</dd>" in page
    assert "<dt>Known trace</dt><dd>evil.com (domain)</dd>" in page
    assert "A program with the name of a known spyware component ran on this phone" in page
    assert "A message contained a link to a server known to deliver spyware." in page
    assert "<details><summary>Record details</summary>" in page
    assert "&quot;handle&quot;: &quot;+15550100000&quot;" in page
    # The model as its owner knows it; the identifier beside it for an expert.
    assert "<dt>Phone</dt><dd>Amal&#x27;s iPhone \u2014 iPhone 13 Pro</dd><dt>Model identifier</dt><dd>iPhone14,2</dd>" in page
    assert "<title>Spyware check report \u2014 Amal&#x27;s iPhone \u2014 iPhone 13 Pro</title>" in page
    assert "<dt>System</dt><dd>iOS 16.5 (build 20F66)</dd>" in page
    assert "<dt>Backup or copy made</dt><dd>2024-04-30 20:00:00 UTC</dd>" in page
    assert "<dt>Encrypted</dt><dd>yes</dd>" in page
    # Dates and counts are kept on one line; fingerprints may break anywhere.
    assert (f'<td>Pegasus (Amnesty)</td><td>2024-04</td><td class="when">2024-04-20</td><td class="num">1500</td>'
            f'<td class="hash">{"cd" * 32}</td>') in page
    assert ('<td>sms</td><td>SMS and iMessage</td><td class="status-ok">ok</td><td class="num">12</td>'
            '<td class="path">HomeDomain/Library/SMS/sms.db</td><td></td>') in page
    assert '<td class="status-not-present">not present</td>' in page
    assert f'<td>Manifest.db</td><td class="hash">{"ab" * 32}</td><td class="num">123</td>' in page
    assert "<li>Manifest lists 3 files that are missing</li>" in page
    assert "help@accessnow.org" in page and "Do not reset, restore or update the phone" in page


def test_render_html_hostile_evidence_escaped(tmp_path: Path) -> None:
    hostile = sms_link(message='<script>alert(1)</script>',
                       body='"onmouseover=alert(1) x="\u202egnp.exe <img src=x onerror=alert(2)>')
    case = json.loads(json.dumps(CASE))
    case["acquisition"]["device"]["name"] = "</title><script>alert(3)</script>"
    case["modules"]["sms"]["message"] = "<b onclick=alert(4)>"
    case["feeds"][0]["name"] = "javascript:alert(5)"
    page = render_html(make_case(tmp_path / "out", case, [hostile]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;onmouseover=alert(1) x=&quot;&lt;U+202E&gt;gnp.exe &lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert "&lt;b onclick=alert(4)&gt;" in page
    for forbidden in ("<script", '"onmouseover', "<img", "<b onclick", "\u202e", "<link", "@import", "url("):
        assert forbidden not in page
    # The only links are the report's own, to its own sections: never one made from evidence.
    assert set(re.findall(r"href=\"([^\"]*)\"", page)) <= {"#analyst", "#finding-1", "#incident-1"}
    assert page.count("href=") == len(re.findall(r"href=\"#(?:analyst|finding-\d+|incident-\d+)\"", page))
    # Nothing in the document may load anything: the only tags are the report's own.
    tags = set(re.findall(r"<([a-zA-Z0-9]+)", page))
    assert tags <= {"html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "h4",
                    "p", "section", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tr",
                    "th", "td", "br", "article", "span", "strong", "details", "summary", "pre", "footer",
                    "a", "div", "fieldset", "legend", "label", "input", "svg", "rect", "line", "circle", "text"}
    assert "default-src 'none'; style-src 'unsafe-inline'" in page


def test_render_html_no_findings(tmp_path: Path) -> None:
    case = dict(CASE, findings={"total": 0, "by_severity": {}, "by_kind": {}}, verdict="No findings")
    page = render_html(make_case(tmp_path / "out", case, []))
    assert ('<section class="verdict clean" id="verdict"><h2>No known traces of spyware found \u2014 this does '
            "not prove the phone is clean</h2>") in page
    # What was and was not checked, said with the all-clear.
    assert ("<p>spyglass read 1 kind of records and compared them with 1500 known spyware traces from 1 list; "
            "1 other kind was not in this acquisition (apps or features the phone does not use or does not "
            "copy).</p>") in page
    assert 'id="overview"' not in page and 'id="analyst"' not in page
    assert '<section id="findings"><h2>Findings, most serious first</h2>\n<p>None.</p></section>' in page
    assert "<article" not in page
    assert "Keep the phone&#x27;s system and apps up to date" in page


def test_render_html_suspicious_only(tmp_path: Path) -> None:
    page = render_html(make_case(tmp_path / "out", CASE, [odd_path()]))
    assert ('<section class="verdict warning" id="verdict"><h2>No known spyware matched, but 1 suspicious sign '
            "deserves an expert&#x27;s look</h2>") in page
    assert "spyglass found patterns that spyware has shown before" in page
    assert ('<h3><span class="badge medium">medium</span>Suspicious sign: Process ran from a temporary '
            "folder</h3>") in page
    assert "<dt>When</dt><dd>time unknown</dd>" in page
    assert "<dt>Check</dt><dd>odd_process_path</dd>" in page
    assert "This is not a match with known spyware but a pattern" in page


def test_render_html_missing_keys(tmp_path: Path) -> None:
    page = render_html(make_case(tmp_path / "out", {"modules": {"sms": {"status": "error",
                                                                         "message": "database is locked"}}},
                                 None))
    assert "<title>Spyware check report \u2014 unknown phone</title>" in page
    assert '<section class="verdict clean" id="verdict">' in page
    assert ("<li>This check is incomplete: 1 check could not read its files (sms); case.json says why.</li>"
            in page)

    assert "<li>No lists of known spyware traces were used: only general checks" in page
    assert '<td class="status-error">error</td><td class="num"></td><td class="path"></td><td>database is locked</td>' in page
    assert 'id="inputs"' not in page and 'id="warnings"' not in page


def test_render_html_files_missing_from_the_backup(tmp_path: Path) -> None:
    # A file the backup lists but lacks is the backup's gap, said as such, with what to do.
    page = render_html(make_case(tmp_path / "out", {
        "acquisition": {"kind": "ios-backup"},
        "modules": {"sms": {"status": "missing", "message": "listed in Manifest.db but missing from the backup"},
                    "tcc": {"status": "missing"}}}, None))
    assert ("<li>This check is incomplete: files that 2 checks read are missing from the backup (sms, tcc), so "
            "what they hold could not be looked at. Make a new, encrypted backup and check that one.</li>") in page


def test_render_html_large_case_capped(tmp_path: Path) -> None:
    detections = [sms_link(message=f"link {number}") for number in range(MAX_FINDINGS_SHOWN + 500)]
    page = render_html(make_case(tmp_path / "out", CASE, detections))
    assert page.count("<article") == MAX_FINDINGS_SHOWN
    assert "<p><strong>500 more findings are not shown here.</strong> All 2500 are in detections.jsonl" in page


def test_render_html_long_values_cut(tmp_path: Path) -> None:
    page = render_html(make_case(tmp_path / "out", CASE, [sms_link(message="A" * 10_000)]))
    assert "A" * 2000 + "\u2026 (8000 more characters)" in page
    assert "A" * 2001 not in page


def test_write_html_paths(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "out", CASE, [])
    assert write_html(folder) == folder / "report.html"
    assert (folder / "report.html").read_text(encoding="utf-8") == render_html(folder)
    elsewhere = tmp_path / "elsewhere.html"
    assert write_html(folder, elsewhere) == elsewhere
    assert elsewhere.read_text(encoding="utf-8") == render_html(folder)


def test_render_html_not_a_case(tmp_path: Path) -> None:
    from spyglass.errors import SpyglassError
    with pytest.raises(SpyglassError):
        render_html(tmp_path)


def test_render_html_repeated_findings_grouped(tmp_path: Path) -> None:
    detections = [sms_link(when=datetime(2021, 7, day, 10, 0, tzinfo=UTC)) for day in (3, 1, 2)] + [process_match()]
    page = render_html(make_case(tmp_path / "out", CASE, detections))
    assert page.count("<article") == 2
    assert "3 times (details below are of the first)" in page
    assert "2021-07-01 10:00:00 UTC to 2021-07-03 10:00:00 UTC" in page


def test_html_says_what_the_input_hashes_are_of(tmp_path: Path) -> None:
    case = dict(CASE, inputs={"Manifest.db": {"sha256": "ab" * 32, "size": 4096}})
    page = write_html(make_case(tmp_path / "enc", case, [])).read_text(encoding="utf-8")
    assert "each fingerprint is of the file as stored, encrypted, so it matches the backup on disk" in page
    plain = dict(case, acquisition=dict(CASE["acquisition"], encrypted=False))
    page = write_html(make_case(tmp_path / "plain", plain, [])).read_text(encoding="utf-8")
    assert "as stored, encrypted" not in page
    assert "each is of a file's bytes as read from the acquisition" in page
