"""Crash, jetsam, stackshot and resource reports (.ips) from a sysdiagnose and a filesystem dump."""

from __future__ import annotations

import json
import plistlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.check import check
from spyglass.errors import EvidenceError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules.ios import crash_reports
from spyglass.records import Observable
from tests.builders.ios_fs import FilesystemBuilder, system_version
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.builders.sysdiagnose_artifacts import (
    CRASH_PATH,
    crash_body,
    crash_header,
    crash_ips,
    ips,
    jetsam_ips,
    legacy_crash_ips,
    microstackshot_ips,
    ps_txt,
    run_on,
    run_sysdiagnose,
    sources_on,
    stackshot_ips,
)
from tests.indicators.stix_bundles import related_bundle, write

CRASH = "crashes_and_spins/ShareExtension-2024-01-25-192526.ips"


def test_crash_reports_json_crash(tmp_path: Path) -> None:
    [record] = run_sysdiagnose(tmp_path, {CRASH: crash_ips()}, crash_reports)
    assert record.timestamp == datetime(2024, 1, 26, 0, 25, 25, 799000, tzinfo=UTC)
    assert record.message == "Crash report for ShareExtension (com.tinyspeck.chatlyio.share): EXC_CRASH (SIGABRT)"
    fields = record.fields
    assert fields["record_type"] == "report"
    assert fields["report_type"] == "crash"
    assert fields["bug_type"] == "309"
    assert fields["process_name"] == "ShareExtension"
    assert fields["process_path"] == CRASH_PATH
    assert fields["pid"] == 748
    assert fields["bundle_id"] == "com.tinyspeck.chatlyio.share"
    assert fields["app_version"] == "23.08.20"
    assert fields["parent_process_name"] == "launchd"
    assert fields["parent_pid"] == 1
    assert fields["user_id"] == 501
    assert fields["exception_type"] == "EXC_CRASH"
    assert fields["exception_signal"] == "SIGABRT"
    assert fields["termination_namespace"] == "SIGNAL"
    assert fields["termination_code"] == 6
    assert fields["termination_indicator"] == "Abort trap: 6"
    assert fields["incident_id"] == "F71CCC53-3A83-4BA7-88A4-09303932E28A"
    assert fields["os_version"] == "iPhone OS 17.1.2 (21B101)"
    assert fields["model"] == "iPhone11,8"
    assert fields["captured_at"] == "2024-01-26T00:25:25.799000Z"
    assert fields["form"] == "json"
    assert record.observables == (Observable("process", "ShareExtension"), Observable("file_path", CRASH_PATH),
                                  Observable("app_id", "com.tinyspeck.chatlyio.share"),
                                  Observable("process", "launchd"))


def test_crash_reports_termination_reasons_kept(tmp_path: Path) -> None:
    body = crash_body(termination={"code": 2343432205, "namespace": "FRONTBOARD",
                                   "reasons": ["<RBSTerminateContext| domain:10 code:0x8BADF00D>", 7, None]})
    [record] = run_sysdiagnose(tmp_path, {CRASH: ips(crash_header(), body)}, crash_reports)
    assert record.fields["termination_reasons"] == ["<RBSTerminateContext| domain:10 code:0x8BADF00D>"]
    assert record.fields["termination_code"] == 2343432205


def test_crash_reports_ios13_text_crash(tmp_path: Path) -> None:
    [record] = run_sysdiagnose(tmp_path, {"crashes_and_spins/cyqp-2020-07-29-013907.ips": legacy_crash_ips()},
                               crash_reports)
    path = "/private/var/containers/Bundle/Application/DDD157FD-8945-4E3E-86A5-80AD5393E958/cyqp.app/cyqp"
    assert record.timestamp == datetime(2020, 7, 28, 17, 39, 7, 82500, tzinfo=UTC)
    assert record.message == "Crash report for cyqp (qipai.guangxichangyou.com): EXC_BAD_ACCESS (SIGSEGV)"
    fields = record.fields
    assert (fields["bug_type"], fields["report_type"], fields["form"]) == ("109", "crash", "text")
    assert (fields["process_name"], fields["pid"], fields["process_path"]) == ("cyqp", 424, path)
    assert (fields["parent_process_name"], fields["parent_pid"]) == ("launchd", 1)
    assert fields["bundle_id"] == "qipai.guangxichangyou.com"
    assert fields["model"] == "iPhone9,4"
    assert fields["termination_indicator"] == "Namespace SIGNAL, Code 0xb"
    assert "exception_codes" not in fields
    assert record.observables == (Observable("process", "cyqp"), Observable("file_path", path),
                                  Observable("app_id", "qipai.guangxichangyou.com"), Observable("process", "launchd"))


def test_crash_reports_ios16_disk_writes_report(tmp_path: Path) -> None:
    [record] = run_sysdiagnose(tmp_path, {"crashes_and_spins/afcd_2023-06-27-022733.diskwrites_resource.ips":
                                          microstackshot_ips()}, crash_reports)
    fields = record.fields
    assert (fields["bug_type"], fields["report_type"]) == ("145", "disk writes")
    assert (fields["process_name"], fields["pid"], fields["process_path"]) == ("afcd", 299, "/usr/libexec/afcd")
    assert fields["event"] == "disk writes"
    assert fields["action_taken"] == "Read"
    assert fields["os_version"] == "iPhone OS 16.5 (20F66)"
    assert fields["parent_process_name"] == "UNKNOWN"
    assert record.timestamp == datetime(2023, 6, 27, 9, 16, 30, 865000, tzinfo=UTC)
    assert record.message == "Disk writes report for afcd: disk writes"
    # "UNKNOWN [1]" names no program.
    assert record.observables == (Observable("process", "afcd"), Observable("file_path", "/usr/libexec/afcd"))


def test_crash_reports_jetsam_lists_processes(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {"crashes_and_spins/JetsamEvent-2022-07-10-011815.ips": jetsam_ips()},
                              crash_reports)
    assert [r.fields["record_type"] for r in records] == ["report", "jetsam_process", "jetsam_process",
                                                          "jetsam_process"]
    report = records[0]
    assert report.timestamp == datetime(2022, 7, 9, 17, 18, 15, 510000, tzinfo=UTC)
    assert report.message == "Jetsam (out of memory) event: 3 processes listed, largest WeChat"
    assert report.fields["report_type"] == "jetsam"
    assert report.fields["model"] == "iPhone13,2"
    assert report.fields["killed_processes"] == [{"name": "WeChat", "pid": 4021, "reason": "per-process-limit"}]
    assert "process_name" not in report.fields
    assert report.observables == ()
    killed = records[2]
    assert killed.fields == {"record_type": "jetsam_process", "process_name": "WeChat", "pid": 4021,
                             "reason": "per-process-limit", "states": ["frontmost", "resume"],
                             "uuid": "0d8a3c1b-6c0e-3d6f-9a43-0b1c2d3e4f50", "report_type": "jetsam",
                             "bug_type": "298", "incident_id": "893A5949-F274-434F-938F-96DF562C9486"}
    assert killed.message == "Process WeChat [4021] killed by jetsam (per-process-limit)"
    assert records[3].observables == (Observable("process", "bh"),)
    assert records[3].message == "Process bh [2143] listed in a jetsam report"
    assert records[3].timestamp == report.timestamp


def test_crash_reports_stackshot_lists_processes(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {"crashes_and_spins/stacks-2024-05-02-080001.ips": stackshot_ips()},
                              crash_reports)
    assert [(r.fields["record_type"], r.fields.get("process_name"), r.fields.get("pid")) for r in records] == [
        ("report", None, None), ("stackshot_process", "launchd", 1), ("stackshot_process", "roleaccountd", 612)]
    assert records[0].fields["reason"] == "stackshot taken on request"
    assert records[0].fields["report_type"] == "stackshot"
    assert records[2].observables == (Observable("process", "roleaccountd"),)


def test_crash_reports_on_filesystem_dump(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    dump.add("System/Library/CoreServices/SystemVersion.plist", system_version("17.1.2", "21B101"))
    base = "private/var/mobile/Library/Logs/CrashReporter"
    dump.add(f"{base}/ShareExtension-2024-01-25-192526.ips", crash_ips())
    dump.add(f"{base}/Retired/JetsamEvent-2022-07-10-011815.ips.synced", jetsam_ips())
    dump.add(f"{base}/DiagnosticLogs/sysdiagnose/notes.txt", b"not a report")
    path = dump.build_tar(tmp_path / "dump.tar.gz")
    assert sources_on(path, crash_reports) == [f"/{base}/ShareExtension-2024-01-25-192526.ips",
                                               f"/{base}/Retired/JetsamEvent-2022-07-10-011815.ips.synced"]
    records = run_on(path, crash_reports)
    assert [r.fields["report_type"] for r in records if r.fields["record_type"] == "report"] == ["crash", "jetsam"]
    assert records[0].fields["process_path"] == CRASH_PATH


def test_crash_reports_whole_file_json(tmp_path: Path) -> None:
    # No header line: the report is one pretty-printed JSON object.
    data = json.dumps(crash_body(bug_type="309"), indent=2).encode()
    [record] = run_sysdiagnose(tmp_path, {CRASH: data}, crash_reports)
    assert (record.fields["bug_type"], record.fields["process_name"]) == ("309", "ShareExtension")


def test_crash_reports_plist_body(tmp_path: Path) -> None:
    body = plistlib.dumps({"procName": "locationd", "procPath": "/usr/libexec/locationd", "pid": 88,
                           "captureTime": "2019-03-02 10:00:00.00 +0000"})
    data = json.dumps({"bug_type": "109", "name": "locationd"}).encode() + b"\n" + body
    [record] = run_sysdiagnose(tmp_path, {CRASH: data}, crash_reports)
    assert (record.fields["form"], record.fields["process_name"], record.fields["process_path"],
            record.fields["pid"]) == ("plist", "locationd", "/usr/libexec/locationd", 88)
    assert record.timestamp == datetime(2019, 3, 2, 10, 0, tzinfo=UTC)


def test_crash_reports_headerless_json_must_be_a_report(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"\.ips: not a crash report \(no header, and none of the report's keys\)"):
        run_sysdiagnose(tmp_path, {CRASH: b'{\n  "some": "thing"\n}'}, crash_reports)


def test_crash_reports_empty(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {CRASH: b"", "crashes_and_spins/b.ips": b" \n\n"}, crash_reports) == []


def test_crash_reports_missing(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {"ps.txt": b"USER PID COMMAND\n"}, crash_reports) == []


def test_crash_reports_corrupt_random(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"ShareExtension-2024-01-25-192526\.ips: not a crash report"):
        run_sysdiagnose(tmp_path, {CRASH: bytes(range(256)) * 8}, crash_reports)


def test_crash_reports_corrupt_json(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"\.ips: the report is not valid JSON"):
        run_sysdiagnose(tmp_path, {CRASH: b'{"bug_type": "309", "procName": \n "trunc'}, crash_reports)


def test_crash_reports_nesting_refused_before_parsing(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(EvidenceError, match=r"\.ips: the report JSON is nested 100001 deep, over the bound of 64"):
        run_sysdiagnose(tmp_path, {CRASH: b"{\n" + deep}, crash_reports)


def test_crash_reports_corrupt_body_keeps_header(tmp_path: Path) -> None:
    data = (json.dumps(crash_header()) + "\n" + "{" * 70 + "}" * 70).encode()
    [record] = run_sysdiagnose(tmp_path, {CRASH: data}, crash_reports)
    assert record.fields["form"] == "header only"
    assert record.fields["process_name"] == "ShareExtension"
    assert record.fields["bundle_id"] == "com.tinyspeck.chatlyio.share"
    assert "nested 70 deep" in record.fields["body_error"]
    assert record.timestamp == datetime(2024, 1, 26, 0, 25, 26, tzinfo=UTC)


def test_crash_reports_hostile_values(tmp_path: Path) -> None:
    body = crash_body(procName=["not", "text"], pid="12x", exception="EXC", termination={"reasons": "x"},
                      captureTime="2024-13-45 99:99:99 +0000", bundleInfo=7, processes={"a": 1},
                      processByPid=[1, 2])
    header = crash_header(bug_type=True, timestamp="yesterday", bundleID={"x": 1}, name=None)
    [record] = run_sysdiagnose(tmp_path, {CRASH: ips(header, body)}, crash_reports)
    assert record.timestamp is None
    fields = record.fields
    assert "process_name" not in fields and "pid" not in fields and "bundle_id" not in fields
    assert fields["bug_type"] == "309"   # the header's is not text: the body's is taken
    assert fields["process_path"] == CRASH_PATH


def test_json_depth() -> None:
    assert crash_reports.json_depth(b'{"a": [1, {"b": "[[[[{{{{"}], "c": "\\"]]]"}') == 3
    assert crash_reports.json_depth(b"") == 0
    assert crash_reports.json_depth(b"]]]][") == 0   # unbalanced: json.loads refuses it


def test_crash_reports_and_ps_match_a_process_indicator(tmp_path: Path) -> None:
    feed = write(tmp_path / "feed.stix2", related_bundle(["[process:name = 'bh']"]))
    archive = (SysdiagnoseBuilder().add("ps.txt", ps_txt())
               .add("crashes_and_spins/JetsamEvent-2022-07-10-011815.ips", jetsam_ips()).build_tar(tmp_path))
    outcome = check(archive, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))
    hits = sorted((d.module, d.observable.type, d.observable.value) for d in outcome.detections if d.kind == "indicator")
    assert hits == [("crash_reports", "process", "bh"), ("ps", "process", "bh")]
    statuses = {name: module["status"] for name, module in outcome.case["modules"].items()}
    assert (statuses["ps"], statuses["crash_reports"]) == ("ok", "ok")
