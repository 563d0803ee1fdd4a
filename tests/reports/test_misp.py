"""MISP event, written from case folders built here with Detection and Record objects, and loaded
with PyMISP (MISPEvent.load, no server)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymisp  # a test dependency: installed by the test extras, never skipped

from spyglass.detections import Detection
from spyglass.indicators.misp import load_misp
from spyglass.records import Observable, Record
from spyglass.reports.misp import write_misp

FEED_ID = "indicator--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d"
CASE = {"tool": {"name": "spyglass", "version": "0.1.0"}, "command": "check",
        "started_at": "2024-05-01T09:00:00Z", "finished_at": "2024-05-01T09:02:30Z",
        "acquisition": {"kind": "ios-backup", "path": "/cases/backup", "device": {"udid": "0000-SECRET"}},
        "inputs": {"Manifest.db": {"sha256": "ab" * 32, "size": 123}},
        "feeds": [{"name": "Pegasus (Amnesty)", "source": "https://github.com/AmnestyTech/investigations",
                   "version": "2024-04", "date": "2024-04-20", "sha256": "cd" * 32},
                  {"name": "Predator (local)", "source": "predator.stix2", "version": None, "date": None,
                   "sha256": "ef" * 32}],
        "verdict": "3 indicator matches (Pegasus, Predator)"}


def finding(kind: str, value: str, *, seen: str | None = None, severity: str = "high", malware: str = "Pegasus",
            feed: str = "Pegasus (Amnesty)", module: str = "sms", when: datetime | None = None,
            heuristic: str | None = None) -> Detection:
    seen = seen or value
    record = Record(timestamp=when, timestamp_desc="received", message=f"private text {seen}",
                    fields={"text": "private text"}, observables=(Observable(kind, seen),), module=module,
                    source="HomeDomain/Library/SMS/sms.db")
    if heuristic:
        return Detection(kind="suspicious", severity=severity, message="odd", record=record,
                         observable=Observable(kind, seen), heuristic=heuristic)
    return Detection(kind="indicator", severity=severity, message=f"match {value}", record=record,
                     observable=Observable(kind, seen),
                     indicator={"type": kind, "value": value, "feed": feed, "malware": malware, "id": FEED_ID,
                                "feeds": [feed], "malwares": [malware]})


def make_case(folder: Path, detections: list[Detection]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_text(json.dumps(CASE), encoding="utf-8")
    (folder / "detections.jsonl").write_text("".join(json.dumps(d.to_dict()) + "\n" for d in detections),
                                             encoding="utf-8")
    return folder


def describe_types() -> dict[str, Any]:
    path = Path(os.path.dirname(pymisp.__file__)) / "data" / "describeTypes.json"
    return json.loads(path.read_text(encoding="utf-8"))["result"]


def load(path: Path) -> Any:
    event = pymisp.MISPEvent()
    event.load(path.read_text(encoding="utf-8"))
    return event


def test_write_misp_findings_as_attributes(tmp_path: Path) -> None:
    detections = [
        finding("domain", "evil.com", seen="x.evil.com", when=datetime(2021, 7, 1, 10, 0, tzinfo=UTC)),
        finding("domain", "evil.com", seen="x.evil.com", module="safari_history", severity="critical",
                when=datetime(2021, 7, 3, 8, 0, 0, 500000, tzinfo=UTC)),
        finding("url", "https://evil.com/p"),
        finding("ip", "10.1.2.3"),
        finding("email", "a@evil.com", malware='Pre"dator', feed="Predator (local)"),
        finding("process", "bh", severity="critical", module="datausage"),
        finding("file_path", "/private/var/db/com.apple.xpc.roleaccountd.staging/bh"),
        finding("sha256", "ab" * 32),
        finding("app_id", "com.evil.app"),
        finding("phone", "+15550100000", heuristic="odd_sender", severity="medium"),
        Detection(kind="suspicious", severity="low", message="no value", heuristic="x",
                  record=Record(timestamp=None, timestamp_desc="", message="m")),
    ]
    folder = make_case(tmp_path / "case", detections)
    assert write_misp(folder) == folder / "misp_event.json"
    event = load(folder / "misp_event.json")
    assert event.info == "spyglass: 3 indicator matches (Pegasus, Predator)"
    assert (event.threat_level_id, event.analysis, event.distribution, event.published) == (1, 2, 0, False)
    assert event.date.isoformat() == "2024-05-01"
    found = [(a.type, a.category, a.value, a.to_ids) for a in event.attributes]
    assert found == [
        ("domain", "Network activity", "x.evil.com", True),
        ("email-src", "Payload delivery", "a@evil.com", True),
        ("filename", "Artifacts dropped", "/private/var/db/com.apple.xpc.roleaccountd.staging/bh", True),
        ("filename", "Artifacts dropped", "bh", True),
        ("ip-dst", "Network activity", "10.1.2.3", True),
        ("mobile-application-id", "Payload installation", "com.evil.app", True),
        ("phone-number", "Person", "+15550100000", False),
        ("sha256", "Artifacts dropped", "ab" * 32, True),
        ("url", "Network activity", "https://evil.com/p", True),
        ("link", "External analysis", "https://github.com/AmnestyTech/investigations", False),
        ("text", "External analysis",
         f"Indicators from the feed Predator (local) (sha256 {'ef' * 32})", False),
    ]
    # Every type and category pair is one MISP accepts (describeTypes.json).
    mappings = describe_types()["category_type_mappings"]
    assert all(kind in mappings[category] for kind, category, _, _ in found)
    domain = event.attributes[0]
    assert [tag.name for tag in domain.tags] == ['spyglass:severity="critical"', 'malware:"Pegasus"']
    assert domain.comment == "matched evil.com (domain) in sms, safari_history"
    assert (domain.first_seen, domain.last_seen) == (datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
                                                     datetime(2021, 7, 3, 8, 0, 0, 500000, tzinfo=UTC))
    process = event.attributes[3]
    assert process.comment == "process name: matched bh (process) in datausage"
    assert [tag.name for tag in event.attributes[1].tags] == ['spyglass:severity="high"', "malware:\"Pre'dator\""]
    assert [tag.name for tag in event.attributes[6].tags] == ['spyglass:severity="medium"']
    assert event.attributes[6].comment == "matched heuristic odd_sender in sms"
    assert event.attributes[9].comment.startswith("Indicators from the feed Pegasus (Amnesty) (version 2024-04, ")
    assert event.attributes[10].comment == "source predator.stix2"
    assert [tag.name for tag in event.tags] == [
        'malware:"Pegasus"', "malware:\"Pre'dator\"", 'spyglass:severity="critical"',
        'spyglass:severity="high"', 'spyglass:severity="medium"']
    text = (folder / "misp_event.json").read_text(encoding="utf-8")
    assert "0000-SECRET" not in text and "/cases/backup" not in text and "private text" not in text


def test_write_misp_reads_back_as_a_feed(tmp_path: Path) -> None:
    # spyglass's own MISP feed loader takes the event back: the values found become indicators.
    folder = make_case(tmp_path / "case", [finding("domain", "evil.com", seen="x.evil.com"),
                                           finding("sha256", "ab" * 32)])
    feed = load_misp(write_misp(folder))
    assert sorted((item.type, item.value) for item in feed.indicators) == [
        ("domain", "x.evil.com"), ("sha256", "ab" * 32)]


def test_write_misp_deterministic_and_empty(tmp_path: Path) -> None:
    detections = [finding("domain", "evil.com")]
    first = write_misp(make_case(tmp_path / "one", detections)).read_bytes()
    assert write_misp(make_case(tmp_path / "two", detections)).read_bytes() == first
    out = tmp_path / "empty.json"
    assert write_misp(make_case(tmp_path / "three", []), out) == out
    event = load(out)
    assert (event.attributes, event.tags, event.threat_level_id) == ([], [], 4)
