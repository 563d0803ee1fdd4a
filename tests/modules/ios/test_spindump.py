"""spindump-nosymbols.txt of a sysdiagnose: the processes sampled, their paths, bundles and images."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.check import check
from spyglass.errors import EvidenceError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules.ios import spindump
from spyglass.records import Observable
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.builders.sysdiagnose_artifacts import run_sysdiagnose
from tests.builders.sysdiagnose_more import (
    ACCESSORYD_PATH,
    FOLLOWUP_PATH,
    IMPLANT_DYLIB,
    IMPLANT_PATH,
    IOS15_PROCESSES,
    SECURE_CHAT_PATH,
    SPINDUMP_HEADER_IOS15,
    spindump_txt,
)
from tests.indicators.stix_bundles import related_bundle, write

NAME = "spindump-nosymbols.txt"
SAMPLED_IOS26 = datetime(2025, 11, 23, 0, 36, 24, 11000, tzinfo=UTC)   # 19:36:24.011 -0500


def test_spindump_ios26(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {NAME: spindump_txt()}, spindump)
    assert [r.fields["record_type"] for r in records] == ["process", "process", "process", "report"]
    followup = records[0]
    assert followup.timestamp == datetime(2025, 11, 23, 0, 29, 52, 11000, tzinfo=UTC)   # 392 s before sampling
    assert followup.timestamp_desc == "process started (spindump)"
    assert followup.message == f"Process {FOLLOWUP_PATH} [760] (suspended) as uid 501, parent launchd [1]"
    assert followup.fields == {
        "record_type": "process", "process_name": "AAUIFollowUpExtension", "pid": 760, "state": "suspended",
        "line": 27, "binary_uuid": "6EAD3AFE-1E1F-36F3-B55B-EC1E7E6058E6", "process_path": FOLLOWUP_PATH,
        "bundle_id": "com.apple.AppleAccountUI.AAUIFollowUpExtension", "version": "1.0 (1)",
        "architecture": "arm64e", "sudden_term": None, "runningboard_managed": "Yes", "memory_limit": "400MB",
        "jetsam_priority": "0", "footprint": "4848 KB", "time_since_fork": "392s", "samples": "8 (1-8)",
        "thread_count_reported": "7", "cpu_time": None, "parent_name": "launchd", "ppid": 1,
        "responsible_name": "followupd", "responsible_pid": 543, "uid": 501, "notes": ["Suspended for 8 samples"],
        "thread_count": 1, "image_count": 2, "loaded_images": [], "started_at": "2025-11-23T00:29:52.011000Z",
        "sampled_at": "2025-11-23T00:36:24.011000Z"}
    assert followup.observables == (Observable("process", "AAUIFollowUpExtension"),
                                    Observable("file_path", FOLLOWUP_PATH),
                                    Observable("app_id", "com.apple.AppleAccountUI.AAUIFollowUpExtension"))
    implant = records[1]
    assert (implant.fields["uid"], implant.fields["thread_count"], implant.fields["image_count"]) == (0, 2, 3)
    # Its own binary and libsystem (read-only system folder) are not offered; the dylib from /private/var is.
    assert implant.fields["loaded_images"] == [
        {"name": "libhelper.dylib", "uuid": "1B2C3D4E-5F60-3172-8394-B5C6D7E8F90A", "path": IMPLANT_DYLIB}]
    assert implant.observables == (Observable("process", "bh"), Observable("file_path", IMPLANT_PATH),
                                   Observable("file_path", IMPLANT_DYLIB))
    chat = records[2]
    # A name and path with spaces stay whole.
    assert (chat.fields["process_name"], chat.fields["process_path"], chat.fields["bundle_id"]) == (
        "Secure Chat", SECURE_CHAT_PATH, "com.example.securechat")
    assert (chat.fields["responsible_name"], chat.fields["responsible_pid"]) == ("Secure Chat", 1203)
    report = records[3]
    assert report.timestamp == SAMPLED_IOS26
    assert report.timestamp_desc == "spindump sampling began"
    assert report.message == "Spindump of 3 processes on iPhone16,1, iPhone OS 26.1 (Build 23B85)"
    assert report.fields == {
        "record_type": "report", "sampled_at_raw": "2025-11-22 19:36:24.011 -0500",
        "ended_at_raw": "2025-11-22 19:36:26.009 -0500", "os_version": "iPhone OS 26.1 (Build 23B85)",
        "architecture": "arm64e", "report_version": "67", "data_source": "Stackshots", "duration": "2.00s",
        "steps": "8 (250ms sampling interval)", "hardware_model": "iPhone16,1", "active_cpus": "6",
        "memory_size": "7.50 GB", "time_since_boot": "848s", "sampled_at": "2025-11-23T00:36:24.011000Z",
        "ended_at": "2025-11-23T00:36:26.009000Z", "process_count": 3, "no_samples": False}
    assert report.observables == ()


def test_spindump_ios15(tmp_path: Path) -> None:
    # EC-DIGIT's iOS 15.7.6 sample: no Identifier, Responsible or RunningBoard lines.
    accessoryd, kernel, report = run_sysdiagnose(
        tmp_path, {NAME: spindump_txt(IOS15_PROCESSES, SPINDUMP_HEADER_IOS15)}, spindump)
    assert accessoryd.timestamp == datetime(2023, 5, 24, 20, 25, 54, 759000, tzinfo=UTC)
    assert accessoryd.fields["process_path"] == ACCESSORYD_PATH
    assert (accessoryd.fields["bundle_id"], accessoryd.fields["responsible_name"]) == (None, None)
    assert accessoryd.fields["sudden_term"] == "Tracked (allows idle exit)"
    assert accessoryd.fields["notes"] == ["1 idle work queue thread omitted"]
    assert accessoryd.fields["image_count"] == 3
    assert accessoryd.fields["loaded_images"] == [
        {"name": "dyld", "uuid": "58AB16CE-D7E0-32D3-946D-4F68FB1A4A17", "path": "/cores/dyld"}]
    assert accessoryd.observables == (Observable("process", "accessoryd"), Observable("file_path", ACCESSORYD_PATH),
                                      Observable("file_path", "/cores/dyld"))
    # No Time Since Fork: timestamped with the sampling.
    assert kernel.timestamp == datetime(2023, 5, 24, 20, 29, 15, 759000, tzinfo=UTC)
    assert kernel.timestamp_desc == "process sampled by spindump"
    assert kernel.message == "Process kernel_task [0] as uid 0"
    assert kernel.observables == (Observable("process", "kernel_task"),)
    assert report.fields["os_version"] == "iPhone OS 15.7.6 (Build 19H349)"
    assert report.fields["hardware_model"] == "iPhone9,3"


def test_spindump_matches_process_path_and_library_indicators(tmp_path: Path) -> None:
    feed = write(tmp_path / "feed.stix2", related_bundle([
        "[process:name = 'bh']", f"[file:path = '{IMPLANT_DYLIB}']", "[app:id = 'com.example.securechat']"]))
    archive = SysdiagnoseBuilder().add(NAME, spindump_txt()).build_tar(tmp_path)
    outcome = check(archive, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))
    hits = sorted((d.module, d.observable.type, d.observable.value) for d in outcome.detections if d.kind == "indicator")
    assert hits == [("spindump", "app_id", "com.example.securechat"), ("spindump", "file_path", IMPLANT_DYLIB),
                    ("spindump", "process", "bh")]


def test_spindump_no_samples(tmp_path: Path) -> None:
    # "No samples": the rest of the file is spindump's binary format, not read.
    data = spindump_txt([], trailer="No samples\n\x00\x01binary")
    (report,) = run_sysdiagnose(tmp_path, {NAME: data}, spindump)
    assert (report.fields["no_samples"], report.fields["process_count"]) == (True, 0)
    assert report.message == ("Spindump of 0 processes on iPhone16,1, iPhone OS 26.1 (Build 23B85) "
                              "(no samples: the report holds no process)")


def test_spindump_empty(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {NAME: b""}, spindump) == []


def test_spindump_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"spindump-nosymbols\.txt: not a spindump report"):
        run_sysdiagnose(tmp_path, {NAME: bytes(range(256)) * 4}, spindump)


def test_spindump_hostile_lines(tmp_path: Path) -> None:
    text = ("Date/Time: not a date\n" + "Process: " + " " * 3000 + "[12]\n" + "Parent:           ][ [x]\n"
            "Time Since Fork:  99999999999999999s\nUID: -1\n  Binary Images:\n  0x1 - <00000000-0000-0000-0000-000000000000>\n"
            "Process:          late [13]\n  Binary Images:\n  0x1 - 0x2 x <00000000-0000-0000-0000-000000000000>\n")
    first, second, report = run_sysdiagnose(tmp_path, {NAME: text.encode()}, spindump)
    assert (first.fields["process_name"], first.fields["pid"]) == ("", 12)
    assert (first.fields["parent_name"], first.fields["ppid"], first.fields["uid"]) == ("][ [x]", None, "-1")
    assert (first.timestamp, first.fields["image_count"]) == (None, 0)
    assert second.fields["loaded_images"] == []
    assert second.fields["image_count"] == 1
    assert report.fields["sampled_at"] is None
