from __future__ import annotations

import plistlib
from datetime import UTC, datetime

import pytest

from spyglass.check import check
from spyglass.errors import EvidenceError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules.ios import analytics
from spyglass.records import Observable
from tests.builders.ios_netusage import (
    ANALYTICS_DAY,
    ANALYTICS_FOLDER,
    ANALYTICS_SCHEMA_IOS11,
    ANALYTICS_SCHEMA_IOS26,
    NOTE,
    analytics_db,
    analytics_event,
    analytics_row,
    analytics_rows,
    dump,
    parse_dump,
    run_dump,
    unix_seconds,
)
from tests.indicators.stix_bundles import related_bundle, write

NETWORKING = f"{ANALYTICS_FOLDER}/networking_analytics.db"
ROLEACCOUNTD = "/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd"


def test_analytics_normal(tmp_path):
    records = parse_dump(dump().add(NETWORKING, analytics_db()), tmp_path / "dump", analytics)
    assert [(r.fields["table"], r.fields["row_id"], r.fields["event_class"]) for r in records] == [
        ("hard_failures", 1, "hard failure"), ("soft_failures", 7, "soft failure"), ("notes", 3, "note")]
    tls = records[0]
    assert tls.timestamp == ANALYTICS_DAY
    assert {key: tls.fields[key] for key in ("database", "event_type", "event_time", "build", "product", "model_id",
                                              "error_domain", "error_code", "process_name", "process_path",
                                              "hosts", "data_error", "event_cut")} == {
        "database": "networking_analytics", "event_type": "TLSConnectionFailure", "event_time": "2021-09-14T08:30:00Z",
        "build": "19A346", "product": "iPhone OS", "model_id": "iPhone13,2", "error_domain": "NSOSStatusErrorDomain",
        "error_code": -9807, "process_name": "bh", "process_path": ROLEACCOUNTD, "hosts": ["bulb.example-cdn.net"],
        "data_error": None, "event_cut": False}
    assert tls.fields["event"]["peer"] == {"executablePath": ROLEACCOUNTD}
    assert tls.observables == (Observable("domain", "bulb.example-cdn.net"), Observable("process", "bh"),
                               Observable("file_path", ROLEACCOUNTD), Observable("process", "roleaccountd"))
    assert tls.message == ("networking_analytics hard failure: TLSConnectionFailure, process bh, roleaccountd, "
                           "host bulb.example-cdn.net")
    soft = records[1]
    assert soft.observables == (Observable("app_id", "com.example.reader"),
                                Observable("url", "https://tracker.example.org/a?b=1"))
    assert (soft.fields["process_name"], soft.fields["hosts"]) == (None, [])
    assert (records[2].fields["build"], records[2].observables) == ("19A404", ())


def test_analytics_ios11_all_events(tmp_path):
    # SFAnalyticsLogger (iOS 11) wrote every event to all_events too, with its Splunk topic and
    # no OS version keys.
    event = plistlib.dumps({"topic": "KeySyncTopic", "eventType": "CKKSSyncFailure", "eventClass": 1,
                            "eventTime": unix_seconds(ANALYTICS_DAY) * 1000, "peerName": "10.1.2.3"},
                           fmt=plistlib.FMT_BINARY)
    rows = {"hard_failures": [analytics_row(1, ANALYTICS_DAY, event)], "all_events": [analytics_row(1, ANALYTICS_DAY, event)]}
    builder = dump("11.4", "15F79").add(f"{ANALYTICS_FOLDER}/ckks_analytics.db", analytics_db(rows, ANALYTICS_SCHEMA_IOS11))
    records = parse_dump(builder, tmp_path / "dump", analytics)
    assert [(r.fields["database"], r.fields["table"]) for r in records] == [
        ("ckks_analytics", "hard_failures"), ("ckks_analytics", "all_events")]
    assert records[1].fields["event"]["topic"] == "KeySyncTopic"
    assert records[1].fields["build"] is None
    assert records[1].observables == (Observable("ip", "10.1.2.3"),)
    assert records[1].fields["hosts"] == ["10.1.2.3"]


def test_analytics_ios26_rockwell(tmp_path):
    # iOS 26's rockwell rows: the event name in its own column, no id.
    rows = analytics_rows()
    rows["rockwell"] = [{"event_type": "com.apple.security.rockwell.sample", "timestamp": unix_seconds(ANALYTICS_DAY),
                         "data": plistlib.dumps({"executable": "imagent"}, fmt=plistlib.FMT_BINARY)}]
    builder = dump("26.1", "23B85").add(NETWORKING, analytics_db(rows, ANALYTICS_SCHEMA_IOS26))
    records = parse_dump(builder, tmp_path / "dump", analytics)
    rockwell = records[-1]
    assert (rockwell.fields["table"], rockwell.fields["row_id"]) == ("rockwell", None)
    assert rockwell.fields["event_type"] == "com.apple.security.rockwell.sample"
    assert rockwell.fields["event_class"] is None
    assert rockwell.timestamp == ANALYTICS_DAY
    assert rockwell.observables == (Observable("process", "imagent"),)


def test_analytics_unreadable_row_kept(tmp_path):
    rows = analytics_rows()
    rows["hard_failures"].append(analytics_row(2, ANALYTICS_DAY, b"bplist00\x00garbage"))
    rows["hard_failures"].append(analytics_row(3, ANALYTICS_DAY, None))
    records = parse_dump(dump().add(NETWORKING, analytics_db(rows)), tmp_path / "dump", analytics)
    bad, empty = records[1], records[2]
    assert bad.fields["data_error"].startswith("hard_failures row 2: not a valid plist")
    assert (bad.fields["event"], bad.observables, bad.timestamp) == (None, (), ANALYTICS_DAY)
    assert empty.fields["data_error"] == "no event data"
    assert len(records) == 5


def test_analytics_event_time_when_row_time_missing(tmp_path):
    rows = {"hard_failures": [{"id": 1, "timestamp": None,
                               "data": analytics_event("X", datetime(2022, 3, 1, 12, tzinfo=UTC), NOTE)}]}
    records = parse_dump(dump().add(NETWORKING, analytics_db(rows)), tmp_path / "dump", analytics)
    assert records[0].timestamp == datetime(2022, 3, 1, 12, tzinfo=UTC)


def test_analytics_hostile_event_bounded(tmp_path):
    # One shared list referenced from every key of a big dictionary: copied within the bound.
    shared = ["bh"] * 100
    event = plistlib.dumps({f"process{n}": shared for n in range(100)}, fmt=plistlib.FMT_BINARY)
    rows = {"hard_failures": [analytics_row(1, ANALYTICS_DAY, event)]}
    [record] = parse_dump(dump().add(NETWORKING, analytics_db(rows)), tmp_path / "dump", analytics)
    assert record.fields["event_cut"] is True
    assert record.observables == ()   # "process0" is not a process key


def test_analytics_empty(tmp_path):
    assert parse_dump(dump().add(NETWORKING, analytics_db({})), tmp_path / "dump", analytics) == []


def test_analytics_corrupt(tmp_path):
    builder = dump().add(NETWORKING, b"SQLite format 3\x00\xff\xff" + b"\x00" * 90)
    with pytest.raises(EvidenceError, match=r"networking_analytics\.db: corrupt SQLite database"):
        parse_dump(builder, tmp_path / "dump", analytics)


def test_analytics_other_database_not_present(tmp_path):
    other = analytics_db({}, "CREATE TABLE properties (key TEXT PRIMARY KEY, value TEXT);")
    records, result = run_dump(dump().add(f"{ANALYTICS_FOLDER}/other.db", other), tmp_path / "dump", analytics)
    assert (records, result.status) == ([], "not present")


def test_analytics_process_indicator_matched_in_check(tmp_path):
    feed = write(tmp_path / "pegasus.stix2", related_bundle(["[process:name = 'roleaccountd']"]))
    path = dump().add(NETWORKING, analytics_db()).build_folder(tmp_path / "dump")
    outcome = check(path, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))
    hits = [(d.module, d.observable) for d in outcome.detections if d.indicator]
    assert hits == [("analytics", Observable("process", "roleaccountd"))]
