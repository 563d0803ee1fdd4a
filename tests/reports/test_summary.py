"""The terminal summary at 80 columns: short, the verdict tier, evidence values never cut."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from spyglass.case import write_incidents
from spyglass.detections import Detection
from spyglass.incidents import build_incidents
from spyglass.records import Observable, Record
from spyglass.reports.summary import print_summary
from tests.reports.test_html import CASE, make_case, odd_path, process_match, sms_link

LONG_VALUE = "bun54l2b67.get1tn0w.free247downloads.com.very-long-subdomain-of-an-exploit-server.example.net"


def summary(folder: Path, detections: list[Detection], case: dict | None = None) -> str:
    folder = make_case(folder, CASE if case is None else case, detections)
    write_incidents(folder, build_incidents(detections))
    (folder / "report.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    screen = io.StringIO()
    print_summary(Console(file=screen, width=80, highlight=False), folder)
    return screen.getvalue()


def test_clean_result_is_the_short_form(tmp_path: Path) -> None:
    text = summary(tmp_path / "case", [])
    lines = text.splitlines()
    assert lines[0] == "Phone: iPhone 13 Pro, iOS 16.5, backup of 2024-04-30 20:00 UTC, encrypted"
    assert lines[1] == "Indicators: 1500 from 1 feed"
    assert "No known traces of spyware found \u2014 this does not prove the phone is clean" in text
    flat = " ".join(text.replace("\u2502", " ").split())
    assert ("spyglass read 1 kind of records and compared them with 1500 known spyware traces from 1 list; 1 "
            "other kind was not in this acquisition") in flat
    assert lines[-4:] == [
        "later with updated indicators (spyglass iocs update, then spyglass recheck on ",
        "this case folder).",
        f"Read the report: {tmp_path / 'case' / 'report.html'}",
        f"Case folder: {tmp_path / 'case'}"]
    assert "Where to get help" not in text and "Incidents" not in text and "Findings" not in text
    assert len(lines) <= 18


def test_findings_result_incidents_first_then_the_rest(tmp_path: Path) -> None:
    text = summary(tmp_path / "case", [sms_link(), process_match(), odd_path()])
    flat = " ".join(text.replace("\u2502", " ").split())
    assert ("Traces of known spyware were found (Pegasus): one sign that it ran on this phone, to be confirmed"
            in flat)
    assert ("Findings: 3 (1 critical, 1 high, 1 medium): 2 known spyware traces, 1 suspicious sign; 2 incidents "
            "(1 moderate, 1 weak).") in flat
    lines = text.splitlines()
    # Strongest incident first, each with its evidence value, whole, on one line.
    assert lines.index("  moderate, 2021-07-02 03:04 UTC: Pegasus process 'bh' used the network") \
        < lines.index("  weak, 2021-07-01 10:00 UTC: A known Pegasus link received by SMS or iMessage")
    assert ("    critical bh (Pegasus process; seen in Network use per process; 2021-07-02 03:04 UTC)" in lines)
    assert "    high x.evil.com (Pegasus domain; seen in SMS or iMessage; 2021-07-01 10:00 UTC)" in lines
    assert lines[lines.index("Findings outside any incident (1)") + 1] == "  medium Process ran from a temporary folder"
    assert f"Read the report: {tmp_path / 'case' / 'report.html'}" in lines
    assert "What to do now: Do not reset, restore or update the phone" in text
    assert "Where to get help: Access Now's Digital Security Helpline" in text


def test_evidence_value_never_cut_at_80_columns(tmp_path: Path) -> None:
    record = Record(timestamp=datetime(2021, 7, 1, 10, 0, tzinfo=UTC), timestamp_desc="visited",
                    message="visit", module="safari_history", source="History.db",
                    observables=(Observable("domain", LONG_VALUE),))
    visit = Detection(kind="indicator", severity="high", message=f"Safari: {LONG_VALUE}", record=record,
                      observable=Observable("domain", LONG_VALUE),
                      indicator={"type": "domain", "value": "free247downloads.com", "feed": "f", "malware": "Pegasus"})
    text = summary(tmp_path / "case", [visit])
    assert f"    high {LONG_VALUE} (Pegasus domain; seen in Safari; 2021-07-01 10:00 UTC)" in text.splitlines()
    assert "\u2026" not in text
    assert "Someone tried to reach this phone with known spyware (Pegasus); nothing" in text


def test_context_is_noted_apart_and_heuristic_tier(tmp_path: Path) -> None:
    record = Record(timestamp=None, timestamp_desc="", message="m", module="lockdown", source="x")
    lockdown = Detection(kind="suspicious", severity="info", message="Lockdown Mode is on", record=record)
    text = summary(tmp_path / "case", [lockdown, odd_path()])
    assert "Noted (not a sign against the phone): Lockdown Mode is on" in text.splitlines()
    assert "No known spyware matched, but 1 suspicious sign deserves an expert's look" in text
    assert "Findings: 1 (1 medium): 0 known spyware traces, 1 suspicious sign." in " ".join(text.split())


def test_redirect_chain_said_with_both_domains(tmp_path: Path) -> None:
    from tests.reports.test_html_sections import redirect_pair

    text = summary(tmp_path / "case", redirect_pair())
    lines = text.splitlines()
    heading = lines.index("Redirects between known spyware domains (1)")
    assert lines[heading + 1] == ("  Redirected from http://first-evil.com/a to https://second-evil.net/exploit?id=1: "
                                  "both known Pegasus domains (Safari, 2021-07-01 12:10 UTC)")
