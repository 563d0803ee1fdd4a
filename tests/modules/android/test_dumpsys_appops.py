from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_appops
from spyglass.records import Observable
from spyglass.runner import locate, parse_file
from tests.builders.android import AndroidQFBuilder
from tests.builders.dumpsys_text import (
    APPOPS,
    APPOPS_9,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)


def test_dumpsys_appops_normal_bugreport_with_zone(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_appops, dumpstate(section("appops", APPOPS)))
    assert [(r.fields["package_name"], r.fields["op"], r.fields["mode"]) for r in records] == [
        ("com.sec.factory.camera", "RECORD_AUDIO", "allow"), ("com.sec.factory.camera", "RUN_IN_BACKGROUND", "allow"),
        ("com.spy.helper", "READ_SMS", "allow"), ("com.spy.helper", "WRITE_SMS", "ignore"),
        ("com.spy.helper", "COARSE_LOCATION", "allow")]
    read_sms = records[2]
    # The latest of the per-state lines, local time in Europe/Paris (UTC+2 in June).
    assert read_sms.fields == {
        "package_name": "com.spy.helper", "uid": "u0a103", "op": "READ_SMS", "mode": "allow", "access_state": "fg-s",
        "last_access_local": "2024-06-01 09:15:00.000", "last_access_ago": "-2h47m11s0ms",
        "last_reject_local": None, "last_reject_ago": None,
        "last_access": "2024-06-01T07:15:00Z", "last_reject": None}
    assert read_sms.timestamp == datetime(2024, 6, 1, 7, 15, tzinfo=UTC)
    assert read_sms.timestamp_desc == "last access"
    assert read_sms.observables == (Observable("app_id", "com.spy.helper"),)
    assert records[3].fields["last_reject"] == "2024-05-19T20:02:52.054000Z"
    assert records[3].timestamp_desc == "last rejected"


def test_dumpsys_appops_androidqf_keeps_local_time(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_appops, dumpsys_txt(section("appops", APPOPS)))
    assert len(qf) == 5
    assert qf[2].fields["last_access"] is None
    assert qf[2].fields["last_access_local"] == "2024-06-01 09:15:00.000"
    assert qf[2].timestamp is None


def test_dumpsys_appops_androidqf_zone_from_getprop_makes_utc(tmp_path):
    # androidqf's dumpsys.txt names no zone; its getprop.txt does, and the acquisition's fact is used.
    folder = (AndroidQFBuilder().add("dumpsys.txt", dumpsys_txt(section("appops", APPOPS)))
              .add("getprop.txt", b"[persist.sys.timezone]: [Europe/Paris]\n[ro.build.version.sdk]: [34]\n")
              .build_folder(tmp_path / "qf"))
    acquisition = open_acquisition(folder)
    assert acquisition.facts["timezone"] == "Europe/Paris"
    records = [r for f in locate(dumpsys_appops.ARTIFACT, acquisition)
               for r in parse_file(dumpsys_appops.ARTIFACT, dumpsys_appops.parse, f)]
    assert records[2].fields["last_access"] == "2024-06-01T07:15:00Z"
    assert records[2].timestamp == datetime(2024, 6, 1, 7, 15, tzinfo=UTC)
    acquisition.close()


def test_dumpsys_appops_android9_relative_times(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_appops, dumpstate(section("appops", APPOPS_9)))
    # Footer: 2024-06-01 12:02:11 local; READ_SMS 1d2h3m before, CAMERA refused 5m before.
    assert [(r.fields["op"], r.fields["mode"], r.fields["last_access"], r.fields["last_reject"],
             r.fields["last_access_ago"], r.fields["last_reject_ago"]) for r in records] == [
        ("READ_SMS", "allow", "2024-05-31T07:59:11Z", None, "+1d2h3m", None),
        ("CAMERA", "ignore", None, "2024-06-01T09:57:11Z", None, "+5m")]
    qf = from_androidqf(tmp_path, dumpsys_appops, dumpsys_txt(section("appops", APPOPS_9, ended=None)))
    assert [(r.fields["last_access_local"], r.fields["last_access_ago"]) for r in qf] == [
        (None, "+1d2h3m"), (None, None)]


def test_dumpsys_appops_empty_section(tmp_path):
    assert from_androidqf(tmp_path, dumpsys_appops, dumpsys_txt(section("appops", "Current AppOps Service state:"))) == []


def test_dumpsys_appops_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section"):
        from_bugreport(tmp_path, dumpsys_appops, b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    body = "  Uid \x00:\n    Package \xff\xfe:\n      READ_SMS (allow):\n          Access: [x] 9999-99-99 99:99:99.999 (-1s)\n"
    records = from_bugreport(tmp_path, dumpsys_appops, dumpstate(section("appops", body)))
    assert [(r.fields["op"], r.fields["last_access"], r.fields["last_access_local"]) for r in records] == [
        ("READ_SMS", None, "9999-99-99 99:99:99.999")]
