from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import os_update_history
from tests.builders.ios_netusage import (
    ANALYTICS_DAY,
    ANALYTICS_FOLDER,
    ANALYTICS_SCHEMA_IOS11,
    JOURNAL_FOLDER,
    RESTORE_LOG,
    analytics_db,
    analytics_event,
    analytics_journal,
    analytics_row,
    analytics_rows,
    dump,
    parse_dump,
    restore_log,
    run_dump,
    update_event,
)

JOURNAL = f"{JOURNAL_FOLDER}/Analytics-Journal-Never-2021-10-02-091105.0002.ips"
OCT_5 = datetime(2021, 10, 5, 3, 13, 2, tzinfo=UTC)


def _one(record):
    fields = record.fields
    return (fields["build"], fields["os_version"], fields["major_version"], fields["first_seen"], fields["last_seen"],
            fields["sightings"], fields["seen_in"], fields["updated_from"])


def test_os_update_history_journal(tmp_path):
    builder = dump().add(JOURNAL, analytics_journal("iPhone OS 15.0 (19A346)", "2021-10-02 09:11:05.00 +0200"))
    [record] = parse_dump(builder, tmp_path / "dump", os_update_history)
    assert record.timestamp == datetime(2021, 10, 2, 7, 11, 5, tzinfo=UTC)
    assert _one(record) == ("19A346", "15.0", 15, "2021-10-02T07:11:05Z", "2021-10-02T07:11:05Z", 1,
                            "analytics journal", None)
    assert record.fields["product"] == "iPhone OS"
    assert record.message == "iOS 15.0 (build 19A346) seen in the analytics journal from 2021-10-02T07:11:05Z"


def test_os_update_history_journals_each_file(tmp_path):
    builder = (dump()
               .add(f"{JOURNAL_FOLDER}/Analytics-Journal-Never-2021-09-01-010000.ips",
                    analytics_journal("iPhone OS 14.8 (18H17)", "2021-09-01 01:00:00.50 -0400"))
               .add(JOURNAL, analytics_journal("iPhone OS 15.0 (19A346)", "2021-10-02 09:11:05.00 +0200")))
    records, result = run_dump(builder, tmp_path / "dump", os_update_history)
    assert result.status == "ok"
    assert [(r.fields["build"], r.timestamp) for r in records] == [
        ("18H17", datetime(2021, 9, 1, 5, 0, 0, 500000, tzinfo=UTC)),
        ("19A346", datetime(2021, 10, 2, 7, 11, 5, tzinfo=UTC))]
    assert records[0].fields["major_version"] == 14


def test_os_update_history_ios26_build_numbers(tmp_path):
    # iOS 26 builds start at 23 (iOS 18 was 22): the major version follows Apple's jump.
    builder = dump("26.1", "23B85").add(JOURNAL, analytics_journal("iPhone OS 26.1 (23B85)", "2025-11-20 10:00:00.00 +0000"))
    [record] = parse_dump(builder, tmp_path / "dump", os_update_history)
    assert (record.fields["os_version"], record.fields["major_version"]) == ("26.1", 26)


def test_os_update_history_restore_log(tmp_path):
    later = datetime(2021, 10, 27, 2, 0, tzinfo=UTC)
    log = restore_log([update_event("18H17", "19A346", OCT_5), update_event("19A346", "19B74", later)])
    records = parse_dump(dump().add(RESTORE_LOG, log), tmp_path / "dump", os_update_history)
    assert [_one(r) for r in records] == [
        ("18H17", None, 14, "2021-10-05T03:13:02Z", "2021-10-05T03:13:02Z", 1, "software update log", None),
        ("19A346", None, 15, "2021-10-05T03:13:02Z", "2021-10-27T02:00:00Z", 2, "software update log", "18H17"),
        ("19B74", None, 15, "2021-10-27T02:00:00Z", "2021-10-27T02:00:00Z", 1, "software update log", "19A346")]
    assert records[1].fields["update_event"] == "OTA Update Complete"
    assert records[1].message == ("iOS 15 (build 19A346) seen in the software update log from 2021-10-05T03:13:02Z "
                                  "to 2021-10-27T02:00:00Z, updated from build 18H17")


def test_os_update_history_restore_log_hostile_lines(tmp_path):
    log = restore_log([update_event("18H17", "../../etc", OCT_5)]) + (
        b'x data = {"events": [{"originalOSVersion": "19A346"'   # cut short
        b'\nx data = {"events": {"not": "a list"}}\nx data = [1, 2]\n'
        b'x data = {"events": [7, {"currentOSVersion": 19}, {"currentOSVersion": "19B74", "eventTime": "soon"}]}\n')
    records = parse_dump(dump().add(RESTORE_LOG, log), tmp_path / "dump", os_update_history)
    assert [(r.fields["build"], r.fields["first_seen"]) for r in records] == [
        ("18H17", "2021-10-05T03:13:02Z"), ("19B74", None)]


def test_os_update_history_analytics_builds(tmp_path):
    records = parse_dump(dump().add(f"{ANALYTICS_FOLDER}/networking_analytics.db", analytics_db()),
                         tmp_path / "dump", os_update_history)
    assert [_one(r) for r in records] == [
        ("19A346", None, 15, "2021-09-14T08:30:00Z", "2021-09-14T08:45:00Z", 2, "security analytics events", None),
        ("19A404", None, 15, "2021-09-14T09:30:00Z", "2021-09-14T09:30:00Z", 1, "security analytics events", None)]
    assert records[0].fields["product"] == "iPhone OS"


def test_os_update_history_ios11_analytics_without_builds(tmp_path):
    # SFAnalyticsLogger (iOS 11) events carry no build: nothing to say.
    rows = {"all_events": [analytics_row(1, ANALYTICS_DAY, analytics_event("X", ANALYTICS_DAY, build=None))]}
    builder = dump("11.4", "15F79").add(f"{ANALYTICS_FOLDER}/ckks_analytics.db", analytics_db(rows, ANALYTICS_SCHEMA_IOS11))
    assert parse_dump(builder, tmp_path / "dump", os_update_history) == []


def test_os_update_history_analytics_bad_rows_skipped(tmp_path):
    rows = analytics_rows()
    rows["hard_failures"] += [analytics_row(2, ANALYTICS_DAY, b"garbage"),
                              analytics_row(3, datetime(2021, 1, 1, tzinfo=UTC),
                                            analytics_event("X", ANALYTICS_DAY, build="<script>"))]
    records = parse_dump(dump().add(f"{ANALYTICS_FOLDER}/networking_analytics.db", analytics_db(rows)),
                         tmp_path / "dump", os_update_history)
    assert [r.fields["build"] for r in records] == ["19A346", "19A404"]


def test_os_update_history_empty(tmp_path):
    builder = (dump().add(RESTORE_LOG, b"")
               .add(f"{ANALYTICS_FOLDER}/networking_analytics.db", analytics_db({})))
    records, result = run_dump(builder, tmp_path / "dump", os_update_history)
    assert (records, result.status, result.errors) == ([], "ok", [])


def test_os_update_history_corrupt_journal(tmp_path):
    builder = dump().add(JOURNAL, b"\x00\xffnot json\n")
    with pytest.raises(EvidenceError, match=r"Analytics-Journal-Never-2021-10-02-091105\.0002\.ips: "
                                            r"the first line is not a JSON header"):
        parse_dump(builder, tmp_path / "dump", os_update_history)


def test_os_update_history_journal_without_version(tmp_path):
    builder = dump().add(JOURNAL, b'{"bug_type":"211","timestamp":"2021-10-02 09:11:05.00 +0200"}\n')
    with pytest.raises(EvidenceError, match=r"\.ips: no OS version in the header \(None\)"):
        parse_dump(builder, tmp_path / "dump", os_update_history)


def test_os_update_history_corrupt_analytics_database(tmp_path):
    builder = dump().add(f"{ANALYTICS_FOLDER}/networking_analytics.db", b"SQLite format 3\x00\xff\xff" + b"\x00" * 90)
    with pytest.raises(EvidenceError, match=r"networking_analytics\.db: corrupt SQLite database"):
        parse_dump(builder, tmp_path / "dump", os_update_history)
