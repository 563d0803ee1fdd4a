"""android_logcat: androidqf's logcat.txt / logcat_old.txt, a bug report's logcat sections, and
the nested bug report androidqf collected; formats from AOSP liblog logprint.cpp (threadtime,
-v year / zone / epoch / uid) and dumpstate.cpp's section titles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules import Module
from spyglass.modules.android import android_logcat
from spyglass.records import Observable, Record
from spyglass.runner import ModuleResult, run_module
from tests.builders.android import (
    GETPROP,
    LOGCAT_OLDER,
    LOGCAT_THREADTIME,
    AndroidQFBuilder,
    BugreportBuilder,
    bugreport_bytes,
    dumpstate_logcat,
    logcat_line,
)
from tests.builders.androidqf_artifacts import run, sources

PARIS = GETPROP + b"[persist.sys.timezone]: [Europe/Paris]\n"
START = ("Start proc 4567:com.example.spy/u0a234 for service "
         "{com.example.spy/com.example.spy.SyncService}")


def _qf(logcat: str, getprop: bytes = PARIS, name: str = "logcat.txt") -> AndroidQFBuilder:
    return AndroidQFBuilder().add("getprop.txt", getprop).add(name, logcat.encode())


def test_android_logcat_androidqf_normal(tmp_path):
    records = run(android_logcat, _qf(LOGCAT_THREADTIME), tmp_path)
    assert [(r.fields["event"], r.fields["tag"], r.fields["buffer"]) for r in records] == [
        ("network", "chromium", "main"),
        ("process_start", "ActivityManager", "system"),
        ("package", "PackageManager", "system"),
        ("process_start", "am_proc_start", "events")]
    link, start, install, event = records
    # Local time in Europe/Paris (UTC+2 in summer); the year from acquisition.json's 2024-06-01.
    assert link.timestamp == datetime(2024, 5, 31, 21, 58, 1, 120000, tzinfo=UTC)
    assert link.observables == (Observable("url", "https://evil.example.net/a?b=1"),)
    assert (link.fields["local_time"], link.fields["time_zone"], link.fields["time_note"]) == (
        "2024-05-31 23:58:01.120", "Europe/Paris", None)
    assert start.fields == {
        "event": "process_start", "tag": "ActivityManager", "level": "I", "log_pid": 1402, "log_tid": 1460,
        "log_uid": None, "message": START, "buffer": "system", "section": None, "line": 5,
        "local_time": "2024-06-01 11:59:01.345", "time_zone": "Europe/Paris", "time_note": None,
        "process_name": "com.example.spy", "pid": 4567, "uid": None, "user": "u0a234", "process_type": "service",
        "component": "com.example.spy/com.example.spy.SyncService", "package_name": "com.example.spy"}
    assert start.timestamp == datetime(2024, 6, 1, 9, 59, 1, 345000, tzinfo=UTC)
    assert start.timestamp_desc == "logged"
    assert start.observables == (Observable("process", "com.example.spy"), Observable("app_id", "com.example.spy"))
    assert install.fields["package_names"] == ["com.example.spy"]
    assert install.observables == (Observable("app_id", "com.example.spy"),)
    assert (event.fields["pid"], event.fields["uid"], event.fields["process_type"]) == (4567, 10234, "service")


def test_android_logcat_older_wording_year_zone_uid(tmp_path):
    # Android 8: "Start proc NAME for TYPE COMPONENT: pid= uid=", printed with -v year -v zone -v uid.
    records = run(android_logcat, _qf(LOGCAT_OLDER, name="logcat_old.txt"), tmp_path)
    start, install = records
    assert start.timestamp == datetime(2019, 12, 31, 22, 59, 59, 999000, tzinfo=UTC)
    assert (start.fields["process_name"], start.fields["pid"], start.fields["uid"], start.fields["log_uid"],
            start.fields["component"], start.fields["time_zone"]) == (
        "com.example.old:remote", 3210, 10099, "1000", "com.example.old/.Receiver", "+0100")
    assert start.observables == (Observable("process", "com.example.old:remote"), Observable("app_id", "com.example.old"))
    assert install.fields["apk_paths"] == ["/data/local/tmp/payload.apk"]
    assert install.observables == (Observable("file_path", "/data/local/tmp/payload.apk"),)


def test_android_logcat_epoch_and_year_rollover(tmp_path):
    text = (logcat_line("      1717236000.250", 900, 901, "I", "ActivityManager", START)
            + logcat_line("12-31 23:00:00.000", 900, 901, "W", "WebView", "fetch http://203.0.113.9/x"))
    qf = _qf(text)
    qf.files["acquisition.json"] = b'{"started": "2025-01-02T08:00:00.123456789Z", "completed": "0001-01-01T00:00:00Z"}'
    epoch, december = run(android_logcat, qf, tmp_path)
    assert epoch.timestamp == datetime(2024, 6, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert (epoch.fields["local_time"], epoch.fields["time_zone"]) == (None, "UTC")
    # A December line in a January acquisition is from the year before.
    assert december.fields["local_time"] == "2024-12-31 23:00:00.000"
    assert december.timestamp == datetime(2024, 12, 31, 22, tzinfo=UTC)
    assert december.observables == (Observable("url", "http://203.0.113.9/x"),)


def test_android_logcat_without_zone_or_year(tmp_path):
    line = logcat_line("06-01 11:59:01.345", 1402, 1460, "I", "ActivityManager", START)
    [no_zone] = run(android_logcat, _qf(line, getprop=GETPROP), tmp_path / "a")
    assert no_zone.timestamp is None and no_zone.timestamp_desc == ""
    assert (no_zone.fields["local_time"], no_zone.fields["time_note"]) == (
        "2024-06-01 11:59:01.345", "the phone's local time; its time zone is unknown")
    qf = _qf(line)
    del qf.files["acquisition.json"]
    [no_year] = run(android_logcat, qf, tmp_path / "b")
    assert (no_year.timestamp, no_year.fields["local_time"], no_year.fields["time_note"]) == (
        None, "06-01 11:59:01.345", "the year is unknown (no acquisition time)")


def test_android_logcat_bugreport_sections(tmp_path):
    system = (logcat_line("06-01 11:59:01.345", 1402, 1460, "I", "ActivityManager", START, uid="1000")
              + logcat_line("06-01 11:59:05.000", 2222, 2230, "D", "OkHttp", "--> GET https://c2.example.org/beacon",
                            uid="10234")
              + logcat_line("06-01 11:59:06.000", 2222, 2230, "D", "Resolver", "lookup com.example.app done",
                            uid="10234"))
    events = logcat_line("06-01 11:59:01.340", 1402, 1460, "I", "am_proc_start",
                         "[0,4567,10234,com.example.spy,service,{com.example.spy/com.example.spy.SyncService}]",
                         uid="1000")
    records = run(android_logcat, BugreportBuilder(dumpstate=dumpstate_logcat(system, events)), tmp_path)
    assert [(r.fields["section"], r.fields["event"], r.fields["log_uid"]) for r in records] == [
        ("SYSTEM LOG", "process_start", "1000"), ("SYSTEM LOG", "network", "10234"),
        ("EVENT LOG", "process_start", "1000")]
    # The header's 2024-06-01 gives the year, persist.sys.timezone the zone; the package name
    # written like a domain (com.example.app) and the NETWORK DEV INFO section are left out.
    assert records[0].timestamp == datetime(2024, 6, 1, 9, 59, 1, 345000, tzinfo=UTC)
    assert records[1].observables == (Observable("url", "https://c2.example.org/beacon"),)


def test_android_logcat_bugreport_utc_section(tmp_path):
    system = logcat_line("06-01 11:59:01.345", 1402, 1460, "I", "ActivityManager", START, uid="1000")
    [record] = run(android_logcat, BugreportBuilder(dumpstate=dumpstate_logcat(system, utc=True, timezone=None)),
                   tmp_path)
    assert (record.timestamp, record.fields["time_zone"]) == (datetime(2024, 6, 1, 11, 59, 1, 345000, tzinfo=UTC), "UTC")


def test_android_logcat_nested_bugreport_only_without_own_logcat(tmp_path):
    system = logcat_line("06-01 11:59:01.345", 1402, 1460, "I", "ActivityManager", START, uid="1000")
    nested = bugreport_bytes(BugreportBuilder(dumpstate=dumpstate_logcat(system)), tmp_path / "report")
    name = "bugreport.zip/bugreport-panther-UQ1A.240205.004-2024-06-01-10-00-00.txt"
    alone = AndroidQFBuilder().add("getprop.txt", PARIS).add("bugreport.zip", nested)
    assert sources(android_logcat, alone, tmp_path / "a") == [name]
    [record] = run(android_logcat, alone, tmp_path / "a2")
    assert (record.fields["section"], record.timestamp) == ("SYSTEM LOG", datetime(2024, 6, 1, 9, 59, 1, 345000, tzinfo=UTC))
    # With androidqf's own logcat.txt, the nested dumpstate's copy of the same buffers is not read.
    both = _qf(LOGCAT_THREADTIME).add("bugreport.zip", nested)
    records, result = _through_runner(both, tmp_path / "b")
    assert {r.source for r in records} == {"logcat.txt"}
    assert (result.status, result.files, result.errors) == ("ok", ["logcat.txt"], [])


def _through_runner(builder: AndroidQFBuilder, where: Path) -> tuple[list[Record], ModuleResult]:
    acquisition = open_acquisition(builder.build_folder(where))
    result = ModuleResult("android_logcat", "")
    try:
        return list(run_module(Module(android_logcat.ARTIFACT, android_logcat.parse, android_logcat),
                               acquisition, result)), result
    finally:
        acquisition.close()


def test_android_logcat_empty(tmp_path):
    assert run(android_logcat, _qf(""), tmp_path / "a") == []
    assert run(android_logcat, _qf("--------- beginning of main\n"), tmp_path / "b") == []


def test_android_logcat_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"^logcat\.txt: not logcat output \(no log line\)$"):
        run(android_logcat, _qf("\x00\x01 not a log\nat all\n"), tmp_path)


def test_android_logcat_dumpstate_without_logcat(tmp_path):
    with pytest.raises(NotPresent, match=r"no logcat section"):
        run(android_logcat, BugreportBuilder(), tmp_path)


def test_android_logcat_huge_line_and_record_bound(tmp_path, monkeypatch):
    # A 10 MB line is cut (EvidenceFile.lines, MAX_LINE_CHARS) and its message at MAX_MESSAGE_CHARS.
    huge = logcat_line("06-01 11:59:01.345", 1, 1, "I", "chromium", "https://evil.example.net/" + "a" * 10_000_000)
    [record] = run(android_logcat, _qf(huge), tmp_path / "a")
    assert len(record.fields["message"]) == android_logcat.MAX_MESSAGE_CHARS
    monkeypatch.setattr(android_logcat, "MAX_LOG_RECORDS", 2)
    many = "".join(logcat_line("06-01 11:59:01.345", 1, 1, "I", "chromium", f"https://x{n}.example.net/")
                   for n in range(5))
    with pytest.raises(EvidenceError, match=r"^logcat\.txt: more than 2 log lines with observables; the rest not read$"):
        run(android_logcat, _qf(many), tmp_path / "b")


def test_android_logcat_impossible_times_kept_without_timestamp(tmp_path):
    text = "".join(logcat_line(when, 1, 1, "I", "chromium", "see https://evil.example.net/")
                   for when in ("02-30 10:00:00.000", "9999-12-31 23:59:59.000 -1400", "06-01 10:00:00.000 +9999",
                                "   999999999999.000", "13-01 99:99:99.000"))
    records = run(android_logcat, _qf(text), tmp_path)
    assert [(r.timestamp, r.fields["local_time"], r.fields["time_note"]) for r in records] == [
        (None, "2024-02-30 10:00:00.000", "not a valid date"),
        (None, "9999-12-31 23:59:59.000", "not a plausible date (1990-2100)"),
        (None, "2024-06-01 10:00:00.000", "not a valid time zone offset"),
        (None, None, "not a valid time"),
        (None, "2023-13-01 99:99:99.000", "not a valid date")]


def test_android_logcat_android9_dumpstate_and_last_logcat(tmp_path):
    # Android 9's dumpstate ran logcat without -v uid; Android 10+ adds LAST LOGCAT (logcat -L).
    line = logcat_line("06-01 11:59:01.345", 1402, 1460, "I", "ActivityManager", START)
    text = dumpstate_logcat(line).decode().replace(" -v uid", "") + (
        "------ LAST LOGCAT (logcat -L -b all -v threadtime -v printable -v uid -d *:v) ------\n"
        + logcat_line("05-30 08:00:00.000", 1402, 1460, "I", "ActivityManager", START, uid="1000")
        + "------ 0.200s was the duration of 'LAST LOGCAT' ------\n")
    records = run(android_logcat, BugreportBuilder(dumpstate=text.encode()), tmp_path)
    assert [(r.fields["section"], r.fields["log_uid"], r.timestamp) for r in records] == [
        ("SYSTEM LOG", None, datetime(2024, 6, 1, 9, 59, 1, 345000, tzinfo=UTC)),
        ("LAST LOGCAT", "1000", datetime(2024, 5, 30, 6, tzinfo=UTC))]
