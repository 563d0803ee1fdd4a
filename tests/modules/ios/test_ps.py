"""ps.txt and ps_thread.txt of a sysdiagnose: the running processes with their command lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import ps
from spyglass.records import Observable
from tests.builders.sysdiagnose_artifacts import (
    PS_COLUMNS_IOS15,
    ps_thread_txt,
    ps_txt,
    run_sysdiagnose,
)

WRITTEN = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)   # the builders' file time
SECURE_CHAT = "/private/var/containers/Bundle/Application/2A4C7A6B-0F13-4E77-9B52-6E0F2A9B3C11/Secure Chat.app/Secure Chat"


def test_ps_ios16_columns(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {"ps.txt": ps_txt()}, ps)
    assert [r.fields["process_name"] for r in records] == ["launchd", "SpringBoard", "xpcproxy", "bh", "Secure Chat"]
    springboard = records[1]
    assert springboard.timestamp == WRITTEN
    assert springboard.fields == {
        "record_type": "process", "line": 3, "user": "mobile", "uid": 501, "persona": "1000", "pid": 235, "ppid": 1,
        "flags": "4004", "cpu_percent": 0.3, "memory_percent": 1.2, "priority": "31", "nice": 0,
        "virtual_size": 408215040, "resident_size": 38560, "wait_channel": "-", "tty": "??", "state": "Ss",
        "started": "Tue09PM", "cpu_time": "0:41.33",
        "command": "/System/Library/CoreServices/SpringBoard.app/SpringBoard", "process_name": "SpringBoard",
        "process_path": "/System/Library/CoreServices/SpringBoard.app/SpringBoard", "arguments": None,
        "listed_at": "2021-07-01T10:00:00Z"}
    assert springboard.message == ("Process /System/Library/CoreServices/SpringBoard.app/SpringBoard [235] running "
                                   "as mobile, parent 1")
    assert springboard.observables == (
        Observable("process", "SpringBoard"),
        Observable("file_path", "/System/Library/CoreServices/SpringBoard.app/SpringBoard"))
    xpcproxy = records[2]
    assert (xpcproxy.fields["process_path"], xpcproxy.fields["arguments"]) == (
        "/usr/libexec/xpcproxy", "com.apple.example.service")
    assert records[3].observables == (Observable("process", "bh"),
                                      Observable("file_path", "/private/var/db/com.apple.xpc.roleaccountd.staging/bh"))
    # An app's path keeps the spaces of its bundle and executable names.
    assert records[4].fields["process_path"] == SECURE_CHAT
    assert records[4].fields["arguments"] is None
    assert records[4].observables == (Observable("process", "Secure Chat"), Observable("file_path", SECURE_CHAT))


def test_ps_ios15_columns(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {"ps.txt": ps_txt(columns=PS_COLUMNS_IOS15)}, ps)
    assert len(records) == 5
    launchd = records[0].fields
    assert "persona" not in launchd and "flags" not in launchd
    assert (launchd["user"], launchd["uid"], launchd["pid"], launchd["ppid"], launchd["process_path"]) == (
        "root", 0, 1, 0, "/sbin/launchd")
    assert (launchd["started"], launchd["cpu_time"], launchd["state"]) == ("Tue09PM", "0:00.00", "?s")


def test_ps_thread_counts_threads(tmp_path: Path) -> None:
    data = ps_thread_txt([("root", "1", "/sbin/launchd", ["Ss", "S", "S"]),
                          ("mobile", "235", "/System/Library/CoreServices/SpringBoard.app/SpringBoard", ["Ss"]),
                          ("root", "999", "/private/var/db/com.apple.xpc.roleaccountd.staging/bh -d", ["Ss", "S"])])
    records = run_sysdiagnose(tmp_path, {"ps_thread.txt": data}, ps)
    assert [(r.fields["pid"], r.fields["process_name"], r.fields["thread_count"]) for r in records] == [
        (1, "launchd", 3), (235, "SpringBoard", 1), (999, "bh", 2)]
    assert records[2].fields["arguments"] == "-d"
    assert records[2].fields["user_time"] == "0:00.20"
    assert records[0].message == "Process /sbin/launchd [1] running as root, 3 threads"


def test_ps_both_files_read(tmp_path: Path) -> None:
    data = ps_thread_txt([("root", "1", "/sbin/launchd", ["Ss"])])
    records = run_sysdiagnose(tmp_path, {"ps.txt": ps_txt(), "ps_thread.txt": data}, ps)
    assert len(records) == 6


def test_ps_unparsed_line_kept(tmp_path: Path) -> None:
    data = ps_txt() + b"garbage that is not a row\n"
    records = run_sysdiagnose(tmp_path, {"ps.txt": data}, ps)
    assert records[-1].fields == {"record_type": "unparsed_line", "line": 7, "raw_line": "garbage that is not a row"}
    assert records[-1].observables == ()


@pytest.mark.parametrize(("command", "expected"), [
    ("/sbin/launchd", ("/sbin/launchd", "launchd", None)),
    ("/usr/libexec/xpcproxy com.apple.x --flag", ("/usr/libexec/xpcproxy", "xpcproxy", "com.apple.x --flag")),
    ("/Applications/My App.app/My App -psn 1", ("/Applications/My App.app/My App", "My App", "-psn 1")),
    ("/Applications/Foo Bar.app/foobar --x", ("/Applications/Foo Bar.app/foobar", "foobar", "--x")),
    ("/usr/libexec/tool --open /Applications/X.app/X", ("/usr/libexec/tool", "tool", "--open /Applications/X.app/X")),
    ("kernel_task", (None, "kernel_task", None)),
    ("(launchd)", (None, "(launchd)", None)),
    ("", (None, None, None)),
])
def test_ps_split_command(command: str, expected: tuple) -> None:
    assert ps.split_command(command) == expected


def test_ps_empty(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {"ps.txt": b"", "ps_thread.txt": b"\n\n"}, ps) == []


def test_ps_header_only(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {"ps.txt": ps_txt(rows=[])}, ps) == []


def test_ps_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"ps\.txt: not a ps listing"):
        run_sysdiagnose(tmp_path, {"ps.txt": bytes(range(256)) * 4}, ps)


def test_ps_missing(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {"remotectl_dumpstate.txt": b"Local device\n"}, ps) == []
