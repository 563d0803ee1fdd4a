"""Running processes: what was running on the phone when androidqf ran.

Reads:   androidqf processes.txt, the output of `adb shell ps -A` (androidqf modules/processes.go).
         Toybox ps (Android 8+) prints `USER PID PPID VSZ RSS WCHAN ADDR S NAME`, with a LABEL
         column first under `-Z` and WCHAN sometimes blank; toolbox ps (Android 7 and older)
         prints `USER PID PPID VSIZE RSS WCHAN PC NAME` but writes the state letter before NAME
         without a header for it. The columns are therefore read from both ends: user, pid, ppid
         from the left, state and name from the right. Kernel threads are named in brackets.
         When androidqf ran its on-phone collector it wrote the processes as JSON instead (a list
         of {pid, uid, ppid, filename, context, command_line, cwd, ...}, android-collector
         cmd/ps.go): processes.json since 2023, processes.txt holding that JSON before.
Yields:  one record per process, without a timestamp: `process_name`, `process_path` (when the
         name is a path), `pid`, `ppid`, `user` or `uid`, `label` (SELinux context); observables
         process, file_path, and app_id for an app's process (`com.example.app:remote` gives
         com.example.app).
Seen:    Android 6-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.android._json import json_list
from spyglass.records import Record, observables, scalar_field, text_field

ARTIFACT = Artifact(
    name="android_processes",
    description="Running processes (androidqf processes.txt / processes.json)",
    platform="android",
    extra={ANDROIDQF: ("processes.txt", "processes.json", "ps.txt")},
    os_versions="Android 6-16",
)

_APP_ID = re.compile(r"^[A-Za-z][\w]*(\.[A-Za-z_][\w]*)+$")
_MAX_ARGS = 64


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.read_bytes(MAX_PLIST_BYTES)
    if data.lstrip()[:1] == b"[":
        yield from _collector(file, data)
        return
    lines = data.decode("utf-8", errors="replace").splitlines()
    header = next((line for line in lines if line.strip()), None)
    if header is None:
        return
    columns = header.split()
    if "PID" not in columns or "USER" not in columns:
        raise EvidenceError(f"{file.source}: not ps output (no USER and PID header)")
    labelled = columns[0] == "LABEL"
    for line in lines[lines.index(header) + 1:]:
        tokens = line.split()
        label = tokens.pop(0) if labelled and tokens else None
        if len(tokens) < 5 or not tokens[1].isdigit():
            continue
        name = tokens[-1]
        state = tokens[-2] if len(tokens) >= 6 and len(tokens[-2]) == 1 and tokens[-2].isalpha() else None
        yield _record(name, pid=int(tokens[1]), ppid=_int(tokens[2]), user=tokens[0], uid=None, label=label,
                      extra={"state": state})


def _collector(file: EvidenceFile, data: bytes) -> Iterator[Record]:
    processes = json_list(data, file.source, "processes")
    if processes is None:
        raise EvidenceError(f"{file.source}: expected a list of processes")
    for process in processes:
        if not isinstance(process, dict):
            continue
        arguments = process.get("command_line")
        arguments = [text_field(a, 4096) for a in arguments[:_MAX_ARGS] if isinstance(a, str)] \
            if isinstance(arguments, list) else []
        # /proc/<pid>/stat's comm, read with %s: "(init)", cut at 15 characters by the kernel.
        comm = (text_field(process.get("filename"), 4096) or "").strip("()")
        name = arguments[0] if arguments else comm
        if not name:
            continue
        yield _record(name, pid=_int(process.get("pid")), ppid=_int(process.get("ppid")), user=None,
                      uid=_int(process.get("uid")), label=text_field(process.get("context"), 4096) or None,
                      extra={"comm": comm or None, "command_line": arguments,
                             "cwd": text_field(process.get("cwd"), 4096) or None,
                             "state": scalar_field(process.get("state"), 16)})


def _record(name: str, *, pid: int | None, ppid: int | None, user: str | None, uid: int | None,
            label: str | None, extra: dict[str, Any]) -> Record:
    kernel_thread = name.startswith("[") and name.endswith("]")
    name = name.strip("[]") if kernel_thread else name
    path = name if name.startswith("/") else None
    process_name = name.rsplit("/", 1)[-1] if path else name
    package = process_name.split(":", 1)[0]
    app_id = package if path is None and not kernel_thread and _APP_ID.match(package) else None
    fields = {"process_name": process_name, "process_path": path, "pid": pid, "ppid": ppid,
              "user": user, "uid": uid, "label": label, "kernel_thread": kernel_thread, **extra}
    return Record(
        timestamp=None,
        timestamp_desc="",
        message=f"Process {process_name} (pid {pid})",
        fields=fields,
        observables=observables(("process", process_name), ("file_path", path), ("app_id", app_id)),
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(1 << 63) <= value < 1 << 63 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 20:
        return int(value)
    return None
