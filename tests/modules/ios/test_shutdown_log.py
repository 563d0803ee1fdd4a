from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError
from spyglass.modules import Module
from spyglass.modules.ios import shutdown_log
from spyglass.records import Observable, Record
from spyglass.runner import ModuleResult, locate, parse_file, run_module
from tests.builders.ios_fs import FilesystemBuilder, system_version
from tests.builders.shutdown_log import (
    DEVICE_PATH,
    DEVICE_PATH_ROTATED,
    FILECOORDINATIOND,
    IOS26_SYSDIAGNOSE,
    PEGASUS,
    PREDATOR,
    SYSDIAGNOSE_PATH,
    SYSDIAGNOSE_PATH_ROTATED,
    UUID_FILECOORDINATIOND,
    UUID_KERNEL,
    UUID_ROLEXD,
    WHATSAPP,
    Notice,
    Reboot,
    classic_log,
    ios26_log,
    shutdown_log_text,
)
from tests.builders.sysdiagnose import SysdiagnoseBuilder

FS_SOURCE, FS_SOURCE_ROTATED = f"/{DEVICE_PATH}", f"/{DEVICE_PATH_ROTATED}"   # a dump names files by device path
MODULE = Module(shutdown_log.ARTIFACT, shutdown_log.parse, shutdown_log)
JAN_15 = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
FEB_1 = datetime(2024, 2, 1, tzinfo=UTC)
CLASSIC = [  # (record_type, reboot_number, process_name or delay notices): the order records come in
    ("reboot", 1, 0),
    ("client", 2, "filecoordinationd"), ("client", 2, "nfcd"), ("client", 2, "WhatsApp"), ("reboot", 2, 2),
    ("client", 3, "filecoordinationd"), ("client", 3, "rolexd"), ("client", 3, "agentd"), ("client", 3, "helperd"),
    ("reboot", 3, 4),
    ("client", 4, "mediaremoted"), ("client", 4, "MobileMail"), ("client", 4, "rolexd"), ("reboot", 4, 1),
]


def run(path: Path) -> tuple[list[Record], ModuleResult]:
    acquisition = open_acquisition(path)
    result = ModuleResult(MODULE.name, MODULE.artifact.description)
    try:
        return list(run_module(MODULE, acquisition, result)), result
    finally:
        acquisition.close()


def dump(tmp_path: Path, files: dict[str, bytes]) -> Path:
    builder = FilesystemBuilder().add("System/Library/CoreServices/SystemVersion.plist", system_version())
    for path, data in files.items():
        builder.add(path, data)
    return builder.build_folder(tmp_path / "dump")


def sysdiagnose(tmp_path: Path, files: dict[str, bytes], name: str | None = None) -> Path:
    builder = SysdiagnoseBuilder(name=name) if name else SysdiagnoseBuilder()
    for path, data in files.items():
        builder.add(path, data)
    return builder.build_tar(tmp_path)


def parsed(data: bytes, tmp_path: Path) -> list[Record]:
    """The module's records for one shutdown.log in a sysdiagnose, errors raised."""
    acquisition = open_acquisition(sysdiagnose(tmp_path, {SYSDIAGNOSE_PATH: data}))
    try:
        return [r for f in locate(shutdown_log.ARTIFACT, acquisition)
                for r in parse_file(shutdown_log.ARTIFACT, shutdown_log.parse, f)]
    finally:
        acquisition.close()


def shape(records: list[Record]) -> list[tuple]:
    return [(r.fields["record_type"], r.fields["reboot_number"],
             r.fields["process_name"] if r.fields["record_type"] == "client" else r.fields["delay_notices"])
            for r in records]


def assert_classic(records: list[Record], source: str) -> None:
    assert shape(records) == CLASSIC
    assert {r.source for r in records} == {source}
    assert all(r.module == "shutdown_log" for r in records)
    whatsapp = records[3]
    assert whatsapp.timestamp == JAN_15
    assert whatsapp.timestamp_desc == "shutdown: client still running"
    assert whatsapp.fields["process_path"] == WHATSAPP
    assert whatsapp.observables == (Observable("process", "WhatsApp"), Observable("file_path", WHATSAPP))
    first = records[0]
    assert first.timestamp == datetime(2024, 1, 5, tzinfo=UTC)
    assert first.timestamp_desc == "shutdown (reboot)"
    assert first.message == "Reboot at 2024-01-05T00:00:00Z: no process held it up"
    assert first.fields == {
        "record_type": "reboot", "reboot_number": 1, "reboot_time": "2024-01-05T00:00:00Z",
        "raw_reboot_time": "1704412800", "closed": True, "delay_notices": 0, "longest_delay": None,
        "delaying_clients": 0, "clients_not_kept": 0, "damaged_lines": 0, "first_line": 1, "last_line": 1,
        "only_reboot": False}
    rolexd = records[6]
    assert rolexd.timestamp == FEB_1
    assert rolexd.message == (f"rolexd (pid 2143, {PEGASUS}) was still running 3.06 s into the shutdown at "
                              "2024-02-01T00:00:00Z")
    assert rolexd.fields == {
        "record_type": "client", "reboot_number": 3, "reboot_time": "2024-02-01T00:00:00Z", "pid": 2143,
        "client": PEGASUS, "process_path": PEGASUS, "process_name": "rolexd", "binary_uuid": None,
        "delay": 3.06, "times_listed": 4, "line": 11}
    assert rolexd.observables == (Observable("process", "rolexd"), Observable("file_path", PEGASUS))
    assert records[7].fields["process_path"] == PREDATOR
    assert (records[7].fields["delay"], records[7].fields["times_listed"]) == (1.02, 2)
    delayed = records[9]
    assert delayed.timestamp == FEB_1
    assert delayed.message == "Reboot at 2024-02-01T00:00:00Z: held up 4 times, up to 3.06 s, by 4 processes"
    assert {k: delayed.fields[k] for k in ("delay_notices", "longest_delay", "delaying_clients", "first_line",
                                           "last_line", "only_reboot")} == {
        "delay_notices": 4, "longest_delay": 3.06, "delaying_clients": 4, "first_line": 9, "last_line": 21,
        "only_reboot": False}


def test_shutdown_log_filesystem_dump(tmp_path):
    records, result = run(dump(tmp_path, {DEVICE_PATH: classic_log()}))
    assert (result.status, result.errors, result.files) == ("ok", [], [FS_SOURCE])
    assert_classic(records, FS_SOURCE)


def test_shutdown_log_sysdiagnose_archive(tmp_path):
    records, result = run(sysdiagnose(tmp_path, {SYSDIAGNOSE_PATH: classic_log()}))
    assert (result.status, result.errors, result.files) == ("ok", [], [SYSDIAGNOSE_PATH])
    assert_classic(records, SYSDIAGNOSE_PATH)


def test_shutdown_log_ios26_rotated_uuid_paths(tmp_path):
    # iOS 26 names the file shutdown.0.log and ends each client path with the binary's UUID.
    records, result = run(sysdiagnose(tmp_path, {SYSDIAGNOSE_PATH_ROTATED: ios26_log(with_spyware=True)},
                                      IOS26_SYSDIAGNOSE))
    assert (result.status, result.errors, result.files) == ("ok", [], [SYSDIAGNOSE_PATH_ROTATED])
    assert shape(records) == [("client", 1, "filecoordinationd"), ("client", 1, "kernel"), ("client", 1, "rolexd"),
                              ("reboot", 1, 2)]
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    filecoordinationd, kernel, rolexd, reboot = records
    assert filecoordinationd.fields == {
        "record_type": "client", "reboot_number": 1, "reboot_time": "2026-01-01T00:00:00Z", "pid": 153,
        "client": f"{FILECOORDINATIOND}/{UUID_FILECOORDINATIOND}", "process_path": FILECOORDINATIOND,
        "process_name": "filecoordinationd", "binary_uuid": UUID_FILECOORDINATIOND, "delay": 1.77,
        "times_listed": 2, "line": 2}
    assert (kernel.fields["pid"], kernel.fields["process_path"], kernel.fields["binary_uuid"]) == (
        0, "/kernel", UUID_KERNEL)
    assert rolexd.timestamp == moment
    assert rolexd.fields["binary_uuid"] == UUID_ROLEXD
    assert rolexd.observables == (Observable("process", "rolexd"), Observable("file_path", PEGASUS))
    assert reboot.timestamp == moment
    assert reboot.message == ("Reboot at 2026-01-01T00:00:00Z: held up 2 times, up to 1.77 s, by 3 processes; "
                              "the only reboot this log records")
    assert reboot.fields["only_reboot"] is True


def test_shutdown_log_rotated_copy_beside_current_in_dump(tmp_path):
    records, result = run(dump(tmp_path, {DEVICE_PATH: classic_log(), DEVICE_PATH_ROTATED: ios26_log()}))
    assert (result.status, result.errors, result.files) == ("ok", [], [FS_SOURCE, FS_SOURCE_ROTATED])
    rotated = [r for r in records if r.source == FS_SOURCE_ROTATED]
    assert shape(rotated) == [("client", 1, "filecoordinationd"), ("client", 1, "kernel"), ("reboot", 1, 2)]
    assert len(records) == len(CLASSIC) + 3


def test_shutdown_log_ends_without_sigterm(tmp_path):
    # Clients after the last SIGTERM line belong to a shutdown whose time was never written.
    data = classic_log() + shutdown_log_text([Reboot([Notice(0.5, [(301, "/private/var/tmp/late")])])])
    records = parsed(data, tmp_path)
    assert shape(records)[-2:] == [("client", 5, "late"), ("reboot", 5, 1)]
    late, reboot = records[-2:]
    assert late.timestamp is None
    assert late.message == "late (pid 301, /private/var/tmp/late) was still running 0.5 s into the shutdown " \
                           "whose time was not recorded"
    assert (late.fields["reboot_time"], late.fields["delay"]) == (None, 0.5)
    assert reboot.timestamp is None
    assert reboot.message == ("Shutdown with no recorded time (the log ends inside it): held up 1 time, up to "
                              "0.5 s, by 1 process")
    assert {k: reboot.fields[k] for k in ("closed", "raw_reboot_time", "first_line", "last_line", "only_reboot")} == {
        "closed": False, "raw_reboot_time": None, "first_line": 27, "last_line": 28, "only_reboot": False}


def test_shutdown_log_without_any_sigterm_is_one_undated_reboot(tmp_path):
    records = parsed(shutdown_log_text([Reboot([Notice(1.0, [(5, FILECOORDINATIOND)])])]), tmp_path)
    assert shape(records) == [("client", 1, "filecoordinationd"), ("reboot", 1, 1)]
    assert records[1].fields["only_reboot"] is True
    assert records[1].message.endswith("; the only reboot this log records")


def test_shutdown_log_odd_spacing_damage_and_bad_bytes(tmp_path):
    data = (b"After   2.5 s ,these clients are still here:\n"
            b"remaining client pid:77(/usr/libexec/odd)\n"
            b"  remaining client pid: 78 (/Applications/App (Beta).app/App (Beta))  \n"
            b"\t\tremaining client pid: 79 (/private/var/tmp/\xff\xfeagent)\n"
            b"\t\tremaining client pid: twelve (/private/var/tmp/x)\n"
            b"After ?s, these clients are still here:\n"
            b"\x00\x01 garbage line\n"
            b"  SIGTERM :[1700000000]\n"
            b"\t\tremaining client pid: 80 (/usr/libexec/nfcd)\n"
            b"SIGTERM: [not a time] All buffers flushed\r\n")
    records = parsed(data, tmp_path)
    assert shape(records) == [("client", 1, "odd"), ("client", 1, "App (Beta)"), ("client", 1, "\ufffd\ufffdagent"),
                              ("reboot", 1, 1), ("client", 2, "nfcd"), ("reboot", 2, 0)]
    assert records[1].fields["process_path"] == "/Applications/App (Beta).app/App (Beta)"
    assert records[2].fields["process_path"] == "/private/var/tmp/\ufffd\ufffdagent"
    assert records[0].timestamp == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert (records[0].fields["delay"], records[3].fields["longest_delay"]) == (2.5, 2.5)
    assert records[3].fields["damaged_lines"] == 2
    second = records[5]
    assert second.timestamp is None
    assert second.message == "Reboot with an unreadable time: 1 process still running (no delay notice)"
    assert {k: second.fields[k] for k in ("closed", "raw_reboot_time", "delaying_clients")} == {
        "closed": True, "raw_reboot_time": None, "delaying_clients": 1}
    assert records[4].fields["delay"] is None


def test_shutdown_log_client_without_path(tmp_path):
    records = parsed(b"remaining client pid: 12 (kernel_task)\nSIGTERM: [1700000000]\n", tmp_path)
    assert (records[0].fields["process_path"], records[0].fields["process_name"]) == (None, "kernel_task")
    assert records[0].observables == (Observable("process", "kernel_task"),)


def test_shutdown_log_clients_per_reboot_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(shutdown_log, "MAX_CLIENTS_PER_REBOOT", 2)
    records = parsed(shutdown_log_text([Reboot([Notice(1.0, [(n, f"/usr/libexec/d{n}") for n in range(5)])], 1700000000)]),
                     tmp_path)
    assert shape(records) == [("client", 1, "d0"), ("client", 1, "d1"), ("reboot", 1, 1)]
    assert (records[2].fields["delaying_clients"], records[2].fields["clients_not_kept"]) == (5, 3)


@pytest.mark.parametrize("data", [b"", b"\n \n\t\n"], ids=["empty", "blank"])
def test_shutdown_log_empty(tmp_path, data):
    records, result = run(sysdiagnose(tmp_path, {SYSDIAGNOSE_PATH: data}))
    assert (records, result.status, result.errors) == ([], "ok", [])


def test_shutdown_log_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"^system_logs\.logarchive/Extra/shutdown\.log: not a shutdown log"):
        parsed(bytes(range(256)) * 16, tmp_path)
    records, result = run(dump(tmp_path, {DEVICE_PATH: b"\x89PNG\r\n\x1a\n" + bytes(200)}))
    assert records == []
    assert (result.status, result.errors) == ("error", [f"{FS_SOURCE}: not a shutdown log (no SIGTERM, delay "
                                                        "notice or remaining-client line)"])


def test_shutdown_log_missing(tmp_path):
    records, result = run(sysdiagnose(tmp_path, {"ps.txt": b"USER PID\n"}))
    assert (records, result.status) == ([], "not present")


def test_split_binary_uuid():
    assert shutdown_log.split_binary_uuid(f"/usr/libexec/x/{UUID_KERNEL.lower()}") == (
        "/usr/libexec/x", UUID_KERNEL.lower())
    assert shutdown_log.split_binary_uuid(f"/{UUID_KERNEL}") == (f"/{UUID_KERNEL}", None)
    assert shutdown_log.split_binary_uuid(f"/a/{UUID_KERNEL}/b") == (f"/a/{UUID_KERNEL}/b", None)


def test_shutdown_log_not_read_from_backups():
    # shutdown.log is never backed up: the module runs on dumps and sysdiagnoses only.
    assert shutdown_log.ARTIFACT.kinds == frozenset({"ios-fs", "sysdiagnose"})
