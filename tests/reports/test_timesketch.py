"""Timesketch JSONL, written from case folders built here with Record and Detection objects, and
checked with the field rules of Timesketch's importer library (timesketch_import_client)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from timesketch_import_client import (
    importer,  # a test dependency: installed by the test extras, never skipped
)

from spyglass.case import dumps
from spyglass.cli import main
from spyglass.detections import Detection
from spyglass.records import Observable, Record
from spyglass.reports.timesketch import MAX_FLAT_FIELDS, RECORD_TIMES, flatten, record_times, write_timesketch

FEED_ID = "indicator--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d"
CASE = {"tool": {"name": "spyglass", "version": "0.1.0"}, "command": "check",
        "started_at": "2024-05-01T09:00:00Z", "finished_at": "2024-05-01T09:02:30Z",
        "acquisition": {"kind": "ios-backup", "path": "/cases/backup"}, "modules": {}}
PEGASUS = {"type": "process", "value": "bh", "feed": "Pegasus (Amnesty)", "malware": "Pegasus", "id": FEED_ID,
           "feeds": ["Pegasus (Amnesty)"], "malwares": ["Pegasus"]}

MANIFEST = Record(
    timestamp=datetime(2021, 6, 30, 8, 0, tzinfo=UTC), timestamp_desc="file modified",
    message="file HomeDomain/Library/x.plist",
    fields={"device_path": "/private/var/mobile/Library/x.plist", "kind": "file", "size": 12, "mode": None,
            "modified": "2021-06-30T08:00:00Z", "status_changed": "2021-06-30T09:00:00Z",
            "created": "2021-06-29T07:00:00.250000Z",
            "raw_times": {"modified": 1625040000, "status_changed": 1625043600, "birth": 1624950000.25}},
    observables=(Observable("file_path", "/private/var/mobile/Library/x.plist"),),
    module="manifest", source="Manifest.db")
PROCESS = Record(
    timestamp=datetime(2021, 7, 1, 9, 0, tzinfo=UTC), timestamp_desc="process first used the network",
    message="Process bh (no bundle) used the network, last 2021-07-02T03:04:05Z",
    fields={"record_type": "process", "process_id": 7, "process_name": "bh", "bundle_id": None,
            "first_seen": "2021-07-01T09:00:00Z", "last_seen": "2021-07-02T03:04:05Z"},
    observables=(Observable("process", "bh"),), module="datausage",
    source="WirelessDomain/Library/Databases/DataUsage.sqlite")
SMS = Record(
    timestamp=datetime(2021, 7, 1, 10, 0, tzinfo=UTC), timestamp_desc="message received",
    message="SMS from +15550100000: Your parcel: https://x.evil.com/p",
    fields={"handle": "+15550100000", "is_from_me": False, "text": "Your parcel: https://x.evil.com/p",
            "date": "2021-07-01T10:00:00Z", "date_read": "2021-07-01T10:05:00Z",
            "date_delivered": None, "date_edited": None, "message": "clash", "_truncated": True},
    observables=(Observable("url", "https://x.evil.com/p"),), module="sms", source="HomeDomain/Library/SMS/sms.db")
TIMELESS = Record(timestamp=None, timestamp_desc="", message="account", fields={"name": "x"},
                  module="accounts", source="Accounts3.sqlite")


def findings() -> list[Detection]:
    return [
        Detection(kind="indicator", severity="critical", message="Pegasus process bh", record=PROCESS,
                  observable=Observable("process", "bh"), indicator=PEGASUS),
        Detection(kind="indicator", severity="high", message="SMS link to a Pegasus domain", record=SMS,
                  observable=Observable("domain", "x.evil.com"),
                  indicator={**PEGASUS, "type": "domain", "value": "evil.com"}),
        Detection(kind="suspicious", severity="medium", message="Process seen only once", record=PROCESS,
                  heuristic="rare_process"),
    ]


def make_case(folder: Path, records: list[Record], detections: list[Detection]) -> Path:
    (folder / "records").mkdir(parents=True)
    (folder / "case.json").write_text(json.dumps(CASE), encoding="utf-8")
    modules: dict[str, list[Record]] = {}
    for record in records:
        modules.setdefault(record.module, []).append(record)
    for module, items in modules.items():
        (folder / "records" / f"{module}.jsonl").write_text(
            "".join(dumps(item.to_dict()) + "\n" for item in items), encoding="utf-8")
    (folder / "detections.jsonl").write_text(
        "".join(dumps(item.to_dict()) + "\n" for item in detections), encoding="utf-8")
    return folder


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def assert_importable(rows: list[dict[str, Any]]) -> None:
    """What Timesketch requires of a JSONL line (server: message, datetime, timestamp_desc; `tag` a
    list), and that the importer library's own fixing of a line (ImportStreamer._fix_dict: adds a
    missing message or timestamp_desc, normalises datetime, drops `_` keys) leaves ours unchanged."""
    streamer = importer.ImportStreamer()
    for row in rows:
        assert isinstance(row["message"], str) and isinstance(row["timestamp_desc"], str) and row["timestamp_desc"]
        assert row["datetime"].endswith("+00:00")
        moment = datetime.fromisoformat(row["datetime"])
        assert row["timestamp"] == int(moment.timestamp()) * 1_000_000 + moment.microsecond
        assert all(isinstance(tag, str) for tag in row.get("tag", []))
        assert all(isinstance(value, str) for key, value in row.items() if key not in ("timestamp", "tag"))
        fixed = copy.deepcopy(row)
        streamer._fix_dict(fixed)
        assert fixed == row


def test_write_timesketch_every_time_of_every_record(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "case", [MANIFEST, PROCESS, SMS, TIMELESS], findings())
    assert write_timesketch(folder) == folder / "timeline.jsonl"
    rows = rows_of(folder / "timeline.jsonl")
    assert_importable(rows)
    # Modules in file-name order (datausage, manifest, sms); no row for the record with no time.
    assert [(row["module"], row["datetime"], row["timestamp_desc"]) for row in rows] == [
        ("datausage", "2021-07-01T09:00:00+00:00", "process first used the network"),
        ("datausage", "2021-07-02T03:04:05+00:00", "process last used the network"),
        ("manifest", "2021-06-30T08:00:00+00:00", "file modified"),
        ("manifest", "2021-06-30T09:00:00+00:00", "file status changed"),
        ("manifest", "2021-06-29T07:00:00.250000+00:00", "file created"),
        ("sms", "2021-07-01T10:00:00+00:00", "message received"),
        ("sms", "2021-07-01T10:05:00+00:00", "message read"),
    ]
    assert rows[4]["timestamp"] == 1624950000250000
    assert rows[2] == {
        "message": "file HomeDomain/Library/x.plist", "datetime": "2021-06-30T08:00:00+00:00",
        "timestamp": 1625040000000000, "timestamp_desc": "file modified", "module": "manifest",
        "source": "Manifest.db", "device_path": "/private/var/mobile/Library/x.plist", "kind": "file",
        "size": "12", "modified": "2021-06-30T08:00:00Z", "status_changed": "2021-06-30T09:00:00Z",
        "created": "2021-06-29T07:00:00.250000Z", "raw_times.modified": "1625040000",
        "raw_times.status_changed": "1625043600", "raw_times.birth": "1624950000.25"}
    # Both rows of a finding's record carry the finding, the most severe first.
    for row in rows[:2]:
        assert {key: row[key] for key in ("tag", "severity", "indicator", "feed", "finding", "heuristic")} == {
            "tag": ["spyglass", "critical", "Pegasus"], "severity": "critical", "indicator": "bh (process)",
            "feed": "Pegasus (Amnesty)", "finding": "Pegasus process bh; Process seen only once",
            "heuristic": "rare_process"}
    assert rows[1]["process_id"] == "7" and "bundle_id" not in rows[1]
    sms = rows[6]
    assert sms["tag"] == ["spyglass", "high", "Pegasus"] and sms["indicator"] == "evil.com (domain)"
    # Field names the row uses itself, and `_` names the importer would drop, are kept apart.
    assert sms["message"] == "SMS from +15550100000: Your parcel: https://x.evil.com/p"
    assert sms["record.message"] == "clash" and sms["record._truncated"] == "true"
    assert sms["is_from_me"] == "false" and "_truncated" not in sms
    assert "tag" not in rows[3] and "severity" not in rows[3]


def test_write_timesketch_finding_without_records_file(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "case", [], findings()[:1])
    out = tmp_path / "elsewhere.jsonl"
    assert write_timesketch(folder, out) == out
    rows = rows_of(out)
    assert_importable(rows)
    assert [(row["datetime"], row["timestamp_desc"], row["severity"]) for row in rows] == [
        ("2021-07-01T09:00:00+00:00", "process first used the network", "critical"),
        ("2021-07-02T03:04:05+00:00", "process last used the network", "critical")]
    assert not (folder / "timeline.jsonl").exists()


def test_write_timesketch_times_only_in_fields(tmp_path: Path) -> None:
    files = Record(timestamp=None, timestamp_desc="", message="File /data/local/tmp/x",
                   fields={"file_path": "/data/local/tmp/x", "modified": None, "accessed": "2023-01-02T03:04:05Z",
                           "changed": "not a time"}, module="android_files", source="files.json")
    usage = Record(timestamp=datetime(2021, 7, 2, 3, 4, 5, tzinfo=UTC), timestamp_desc="process last used the network",
                   message="Process x", fields={"first_seen": None, "last_seen": "2021-07-02T03:04:05Z"},
                   module="netusage", source="netusage.sqlite")
    rows = rows_of(write_timesketch(make_case(tmp_path / "case", [files, usage], [])))
    assert_importable(rows)
    assert [(row["module"], row["datetime"], row["timestamp_desc"]) for row in rows] == [
        ("android_files", "2023-01-02T03:04:05+00:00", "file accessed"),
        ("netusage", "2021-07-02T03:04:05+00:00", "process last used the network")]


def test_flatten_bounded() -> None:
    flat = flatten({"items": [{"a": index} for index in range(MAX_FLAT_FIELDS + 5)], "long": "x" * 5000})
    assert len(flat) == MAX_FLAT_FIELDS + 1 and flat["fields_truncated"] == "true"
    assert flat["items.0.a"] == "0" and f"items.{MAX_FLAT_FIELDS - 1}.a" in flat
    assert flatten({"long": "x" * 5000})["long"] == "x" * 4096
    assert flatten({"": 1, "timestamp": 2, "n": {"deep": {"er": True}}}) == {
        "record.": "1", "record.timestamp": "2", "n.deep.er": "true"}


def test_record_times_table_names_fields_modules_write() -> None:
    # The table is declarative: each entry names a module and fields its records hold.
    assert set(RECORD_TIMES) == {"manifest", "android_files", "android_fs_timeline", "datausage", "netusage",
                                 "sms", "android_sms"}
    assert ("date_read", "message read") in RECORD_TIMES["sms"]
    assert ("date_delivered", "message delivered") in RECORD_TIMES["sms"]


def test_record_times_one_row_per_distinct_moment() -> None:
    # A file written once: its modified, status changed and created times are one moment.
    once = copy.deepcopy(MANIFEST)
    once.fields.update(status_changed="2021-06-30T08:00:00Z", created="2021-06-30T10:00:00+02:00",
                       accessed="2021-06-30T09:00:00Z", born="2021-06-30T08:00:00Z")
    assert record_times(once) == [
        (datetime(2021, 6, 30, 8, 0, tzinfo=UTC), "file modified; file status changed; file created"),
        (datetime(2021, 6, 30, 9, 0, tzinfo=UTC), "file accessed")]
    # Distinct moments keep a row each, the record's own first.
    assert record_times(MANIFEST) == [
        (datetime(2021, 6, 30, 8, 0, tzinfo=UTC), "file modified"),
        (datetime(2021, 6, 30, 9, 0, tzinfo=UTC), "file status changed"),
        (datetime(2021, 6, 29, 7, 0, 0, 250000, tzinfo=UTC), "file created")]
    untimed = Record(timestamp=None, timestamp_desc="", message="m", module="manifest",
                     fields={"modified": "not a time", "created": 17})
    assert record_times(untimed) == []


def test_report_command_writes_chosen_formats(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "case", [MANIFEST, PROCESS, SMS], findings())
    result = CliRunner().invoke(main, ["report", str(folder), "--format", "timesketch", "--format", "misp"])
    assert result.exit_code == 0, result.output   # written (exit status 1 is check's: findings)
    assert f"Timesketch timeline: {folder / 'timeline.jsonl'}" in result.output.replace("\n", "")
    assert (folder / "timeline.jsonl").exists() and (folder / "misp_event.json").exists()
    assert not (folder / "report.html").exists() and not (folder / "sightings.stix2").exists()
    stix = tmp_path / "s.stix2"
    result = CliRunner().invoke(main, ["report", str(folder), "--stix-file", str(stix)])
    assert result.exit_code == 0 and stix.exists() and not (folder / "report.html").exists()
