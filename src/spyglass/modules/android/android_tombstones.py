"""Native crash reports (tombstones): which program crashed, how, and when.

Reads:   /data/tombstones/tombstone_NN, in a bug report FS/data/tombstones/ (and tombstones/ in
         an androidqf folder). Text tombstones (debuggerd, every version) open with a line of
         `*** *** ***` and then `Build fingerprint: '...'`, `ABI: 'arm64'`, `Timestamp:
         2023-04-12 12:32:40.518290770+0200` (Android 10+; with its UTC offset), `Cmdline: ...`,
         `pid: N, tid: N, name: THREAD  >>> COMMAND <<<`, `uid: N`, `signal 11 (SIGSEGV), code 1
         (SEGV_MAPERR), fault addr ...`, `Cause: ...`, `Abort message: '...'`. Android 12+ also
         writes tombstone_NN.pb, the same crash as a protobuf (AOSP system/core
         debuggerd/proto/tombstone.proto): build_fingerprint 2, revision 3, timestamp 4, pid 5,
         tid 6, uid 7, selinux_label 8, command_line 9, signal_info 10 {number 1, name 2, code 3,
         code_name 4}, abort_message 14, causes 15 {human_readable 1}, threads 16 (map entries
         {key 1, value 2: Thread {id 1, name 2}}), process_uptime 20; read here with a small
         bounded wire-format reader, nothing else of it. A text tombstone with a .pb beside it
         is left to the .pb, so one crash is one record.
Yields:  one record per tombstone, timestamped with the crash (UTC) when it says when:
         `process_name`, `process_path`, `pid`, `tid`, `uid`, `thread_name`, `signal`,
         `signal_code`, `cause`, `abort_message`, `build_fingerprint`, `command_line`, `form`;
         observables process, file_path, app_id for an app.
Seen:    Android 8-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from spyglass.acquisitions.base import ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.records import Record, observables, text_field
from spyglass.timestamps import local_to_utc, utc_offset

ARTIFACT = Artifact(
    name="android_tombstones",
    description="Native crash reports (tombstones)",
    platform="android",
    paths=("/data/tombstones/tombstone_*",),
    extra={ANDROIDQF: ("tombstones/tombstone_*",)},
    os_versions="Android 8-16",
)

DELIMITER = "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"
MAX_TOMBSTONE_BYTES = 64 * 1024 * 1024
_HEADER_LINES = 200
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?([+-]\d\d:?\d\d)?$")
_PID_LINE = re.compile(r"^pid: (\d+), tid: (\d+), name: (.*?)\s+>>> (.*) <<<")
_SIGNAL = re.compile(r"^signal (-?\d+) \(([^)]*)\), code (-?\d+) \(([^)]*)\)")
_APP_ID = re.compile(r"^[A-Za-z][\w]*(\.[A-Za-z_][\w]*)+$")
_TEXT_KEYS = {"Build fingerprint": "build_fingerprint", "Revision": "revision", "ABI": "abi",
              "Timestamp": "timestamp", "Cmdline": "cmdline", "uid": "uid", "Cause": "cause",
              "Abort message": "abort_message", "Process uptime": "process_uptime"}


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.read_bytes(MAX_TOMBSTONE_BYTES)
    if not data:
        return
    if file.source.endswith(".pb"):
        yield _record(_protobuf(data, file.source), "protobuf")
        return
    if file.acquisition.companion(file, ".pb") is not None:
        return
    yield _record(_text(data, file.source), "text")


def _text(data: bytes, source: str) -> dict[str, Any]:
    lines = data[:1024 * 1024].decode("utf-8", errors="replace").splitlines()
    if DELIMITER not in (line.strip() for line in lines[:20]):
        raise EvidenceError(f"{source}: not a tombstone (no *** *** *** line)")
    start = next(i for i, line in enumerate(lines) if line.strip() == DELIMITER)
    found: dict[str, Any] = {}
    for line in lines[start + 1:start + 1 + _HEADER_LINES]:
        line = line.strip()[:65536]
        if match := _PID_LINE.match(line):
            found.update(pid=int(match.group(1)), tid=int(match.group(2)), thread_name=match.group(3),
                         command=match.group(4))
        elif match := _SIGNAL.match(line):
            found.update(signal=f"{match.group(2)} ({match.group(1)})", signal_code=f"{match.group(4)} ({match.group(3)})")
        elif line.startswith("backtrace:") or line == DELIMITER:
            break
        else:
            key, colon, value = line.partition(": ")
            if colon and key in _TEXT_KEYS:
                found.setdefault(_TEXT_KEYS[key], value.strip().strip("'"))
    uid = found.get("uid")
    found["uid"] = int(uid) if isinstance(uid, str) and uid.isdigit() and len(uid) < 12 else None
    found["command_line"] = [found.pop("cmdline")] if "cmdline" in found else []
    return found


def _record(found: dict[str, Any], form: str) -> Record:
    command = found.get("command") or (found["command_line"][0] if found.get("command_line") else "")
    program = command.split(" ", 1)[0]
    path = program if program.startswith("/") else None
    process_name = PurePosixPath(program).name if path else program or None
    package = (process_name or "").split(":", 1)[0]
    app_id = package if path is None and _APP_ID.match(package) else None
    raw_time = found.get("timestamp")
    crashed_at = _crash_time(raw_time)
    fields = {
        "process_name": process_name,
        "process_path": path,
        "pid": found.get("pid"),
        "tid": found.get("tid"),
        "uid": found.get("uid"),
        "thread_name": found.get("thread_name"),
        "signal": found.get("signal"),
        "signal_code": found.get("signal_code"),
        "cause": found.get("cause"),
        "abort_message": found.get("abort_message"),
        "build_fingerprint": found.get("build_fingerprint"),
        "command_line": found.get("command_line", []),
        "selinux_label": found.get("selinux_label"),
        "crash_time_raw": raw_time,
        "form": form,
    }
    what = found.get("signal") or "a crash"
    return Record(
        timestamp=crashed_at,
        timestamp_desc="native crash" if crashed_at else "",
        message=f"{process_name or 'A program'} crashed with {what}",
        fields=fields,
        observables=observables(("process", process_name), ("file_path", path), ("app_id", app_id)),
    )


def _crash_time(text: Any) -> datetime | None:
    """debuggerd's local time with its UTC offset; without an offset the zone is unknown."""
    match = _TIMESTAMP.match(text.strip()) if isinstance(text, str) else None
    if match is None or match.group(4) is None:
        return None
    day, clock, fraction, offset = match.groups()
    try:
        local = datetime.fromisoformat(f"{day}T{clock}.{(fraction or '0')[:6].ljust(6, '0')}")
    except ValueError:
        return None
    return local_to_utc(local, utc_offset(offset))


# -- the protobuf form: a bounded reader of the fields named in the docstring ------------------

_MAX_FIELDS = 1_000_000


def _protobuf(data: bytes, source: str) -> dict[str, Any]:
    top = _fields(data, source)
    found: dict[str, Any] = {"command_line": []}
    threads: dict[int, str] = {}
    for number, value in top:
        if number in (2, 3, 4, 8, 14) and isinstance(value, bytes):
            key = {2: "build_fingerprint", 3: "revision", 4: "timestamp", 8: "selinux_label", 14: "abort_message"}[number]
            found[key] = text_field(value, 65536)
        elif number in (5, 6, 7, 20) and isinstance(value, int):
            found[{5: "pid", 6: "tid", 7: "uid", 20: "process_uptime"}[number]] = value & 0xFFFFFFFF
        elif number == 9 and isinstance(value, bytes) and len(found["command_line"]) < 64:
            found["command_line"].append(text_field(value, 4096))
        elif number == 10 and isinstance(value, bytes):
            signal = dict(_fields(value, source))
            found["signal"] = f"{_text_of(signal.get(2))} ({_int32(signal.get(1, 0))})"
            found["signal_code"] = f"{_text_of(signal.get(4))} ({_int32(signal.get(3, 0))})"
        elif number == 15 and isinstance(value, bytes) and "cause" not in found:
            cause = dict(_fields(value, source)).get(1)
            if isinstance(cause, bytes):
                found["cause"] = text_field(cause, 65536)
        elif number == 16 and isinstance(value, bytes) and len(threads) < 4096:
            thread = dict(_fields(value, source)).get(2)
            if isinstance(thread, bytes):
                thread_fields = dict(_fields(thread, source))
                if isinstance(thread_fields.get(1), int) and isinstance(thread_fields.get(2), bytes):
                    threads[thread_fields[1] & 0xFFFFFFFF] = text_field(thread_fields[2], 4096)
    if not any(key in found for key in ("pid", "build_fingerprint", "timestamp")):
        raise EvidenceError(f"{source}: not a tombstone protobuf (no pid, build fingerprint or timestamp)")
    found["thread_name"] = threads.get(found.get("tid", -1))
    return found


def _fields(data: bytes, source: str) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one message: varints as ints, length-delimited as
    bytes (not looked into), fixed 32/64-bit as ints."""
    fields: list[tuple[int, int | bytes]] = []
    position, end = 0, len(data)
    while position < end:
        if len(fields) >= _MAX_FIELDS:
            raise EvidenceError(f"{source}: more than {_MAX_FIELDS} protobuf fields in one message")
        key, position = _varint(data, position, source)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise EvidenceError(f"{source}: not a protobuf (field number 0 at byte {position})")
        if wire == 0:
            value, position = _varint(data, position, source)
        elif wire == 2:
            length, position = _varint(data, position, source)
            if position + length > end:
                raise EvidenceError(f"{source}: truncated protobuf (a field runs past the end)")
            value, position = data[position:position + length], position + length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if position + size > end:
                raise EvidenceError(f"{source}: truncated protobuf (a field runs past the end)")
            value, position = int.from_bytes(data[position:position + size], "little"), position + size
        else:
            raise EvidenceError(f"{source}: not a protobuf (wire type {wire} at byte {position})")
        fields.append((number, value))
    return fields


def _varint(data: bytes, position: int, source: str) -> tuple[int, int]:
    value = 0
    for shift in range(0, 70, 7):
        if position >= len(data):
            raise EvidenceError(f"{source}: truncated protobuf (a varint runs past the end)")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value & 0xFFFFFFFFFFFFFFFF, position
    raise EvidenceError(f"{source}: not a protobuf (a varint longer than 10 bytes)")


def _int32(value: Any) -> int | None:
    if not isinstance(value, int):
        return None
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _text_of(value: Any) -> str | None:
    return text_field(value, 256) if isinstance(value, bytes) else None
