"""spindump-nosymbols.txt of a sysdiagnose: every process sampled while it was taken, with its
executable path, bundle identifier, parent, user and the images it had loaded.

Reads:   in a sysdiagnose spindump-nosymbols.txt. Plain text: a header of "Key: value" lines
         (Date/Time "2023-05-24 13:29:15.759 -0700", End time, OS Version, Architecture, Report
         Version, Data Source, Duration, Steps, Hardware model...), lines of dashes, then one
         section per process (EC-DIGIT-CSIRC/sysdiagnose parsers/spindumpnosymbols.py and
         tests/test_parsers_spindumpnosymbols.py, iOS 15.7.6; AutismIsForDorks/
         ios-sysdiagnose-reference artifacts/spindump.md, iOS 26.1):
           Process:          AAUIFollowUpExtension [760] (suspended)
           UUID:             6EAD3AFE-1E1F-36F3-B55B-EC1E7E6058E6
           Path:             /System/Library/PrivateFrameworks/AppleAccountUI.framework/PlugIns/...
           Identifier:       com.apple.AppleAccountUI.AAUIFollowUpExtension     (iOS 16 on)
           Parent:           launchd [1]
           Responsible:      followupd [543]                                    (iOS 16 on)
           UID:              501
           Time Since Fork:  392s
           Num samples:      8 (1-8)
             Thread 0x42d1    DispatchQueue "com.apple.main-thread"(1)    8 samples (1-8) ...
             Binary Images:
                    0x1027f4000 -        ???  accessoryd  <BDBDD550-...>  /System/Library/.../accessoryd
         A process's keys come before its first "Thread 0x" line; its images follow "Binary
         Images:", each "start - end name <UUID> path". "No samples" or "Spindump binary format"
         ends the text part (the rest is binary). Identifier is the bundle identifier.
Yields:  one record per process, timestamped when it started (Date/Time less Time Since Fork) or,
         without that, when the sampling began; observables process (the name), file_path (its
         Path and the images it loaded from outside the read-only system folders /System and
         /usr/lib, where an implant cannot be written) and app_id (Identifier). One record for
         the report itself (OS, model, how many processes), timestamped when sampling began.
Seen:    iOS 15-26 (the two sources above); the format is older than both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import utc_offset

ARTIFACT = Artifact(
    name="spindump",
    description="Processes sampled by the sysdiagnose's spindump (spindump-nosymbols.txt)",
    extra={SYSDIAGNOSE: ("spindump-nosymbols.txt",)},
    os_versions="iOS 15-26",
)

MAX_SCAN_CHARS = 4096          # of a line, before any pattern is tried on it
MAX_VALUE_CHARS = 1024
MAX_KEYS = 100
MAX_IMAGES = 200               # kept per process (images past it are counted)
MAX_NOTES = 20
MAX_FORK_SECONDS = 100 * 365 * 86400
SYSTEM_FOLDERS = ("/System/", "/usr/lib/")
_PID = re.compile(r"\[(\d{1,10})\]")
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9 /()._-]{0,40}?):\s+(\S.*)")
_PID_AT_END = re.compile(r"\[(\d{1,10})\]\s*\Z")
_UUID = re.compile(r"<([0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})>")
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*([+-])(\d{2})(\d{2})")
_SECONDS = re.compile(r"(\d{1,15})(?:\.\d+)?\s*s\b")
STOP = ("No samples", "Spindump binary format")
# spindump key -> record field
HEADER_KEYS = {"Date/Time": "sampled_at_raw", "End time": "ended_at_raw", "OS Version": "os_version",
               "Architecture": "architecture", "Report Version": "report_version", "Data Source": "data_source",
               "Duration": "duration", "Steps": "steps", "Hardware model": "hardware_model",
               "Active cpus": "active_cpus", "Memory size": "memory_size", "Time Since Boot": "time_since_boot"}
PROCESS_KEYS = {"UUID": "binary_uuid", "Path": "process_path", "Identifier": "bundle_id", "Version": "version",
                "Architecture": "architecture", "Sudden Term": "sudden_term", "RunningBoard Mgd": "runningboard_managed",
                "Memory Limit": "memory_limit", "Jetsam Priority": "jetsam_priority", "Footprint": "footprint",
                "Time Since Fork": "time_since_fork", "Num samples": "samples", "Num threads": "thread_count_reported",
                "CPU Time": "cpu_time"}


@dataclass
class _Process:
    name: str
    pid: int
    state: str | None
    line: int
    values: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    images_not_kept: int = 0
    threads: int = 0
    part: str = "keys"          # keys, threads, images


def parse(file: EvidenceFile) -> Iterator[Record]:
    header: dict[str, str] = {}
    sampled_at: datetime | None = None
    process: _Process | None = None
    count = 0
    text = no_samples = False
    for number, raw in enumerate(file.lines(), 1):
        line = raw[:MAX_SCAN_CHARS].strip()
        if not line:
            continue
        text = True
        if line in STOP:
            no_samples = line == STOP[0]
            break
        # "Process:  name [pid] (state)": searched, not matched whole, so a hostile line costs one pass.
        found = _PID.search(line, len("Process:")) if raw.startswith("Process:") else None
        if found:
            if process is None:
                sampled_at = _time(header.get("Date/Time"))
            else:
                yield _record(process, sampled_at)
            name = line[len("Process:"):found.start()].strip()[:MAX_VALUE_CHARS]
            state = line[found.end():].strip("() \t")[:MAX_VALUE_CHARS] or None
            process = _Process(name, int(found.group(1)), state, number)
            count += 1
        elif process is None:
            if (key := _KEY.match(line)) and len(header) < MAX_KEYS:
                header.setdefault(key.group(1), key.group(2).strip()[:MAX_VALUE_CHARS])
        else:
            _read_line(process, line)
    if process is None:
        sampled_at = _time(header.get("Date/Time"))
    else:
        yield _record(process, sampled_at)
    if not text:
        return
    if "Date/Time" not in header and not count:
        raise EvidenceError(f"{file.source}: not a spindump report (no Date/Time line and no Process: section)")
    yield _report(header, sampled_at, count, no_samples)


def _read_line(process: _Process, line: str) -> None:
    if line.startswith("Thread 0x"):
        process.threads += 1
        process.part = "threads"
    elif line == "Binary Images:":
        process.part = "images"
    elif process.part == "images":
        image = _image(line)
        if image is not None and len(process.images) < MAX_IMAGES:
            process.images.append(image)
        elif image is not None:
            process.images_not_kept += 1
    elif process.part == "keys" and (key := _KEY.match(line)):
        name, value = key.group(1), key.group(2).strip()[:MAX_VALUE_CHARS]
        if name == "Note":
            if len(process.notes) < MAX_NOTES:
                process.notes.append(value)
        elif len(process.values) < MAX_KEYS:
            process.values.setdefault(name, value)


def _image(line: str) -> dict[str, str | None] | None:
    """One "0x1027f4000 - 0x102ca3fff  name  <UUID>  /path" line; None for anything else."""
    found = _UUID.search(line)
    if not found:
        return None
    left = line[:found.start()].split()
    if len(left) < 4 or not left[0].lstrip("*").startswith("0x") or left[1] != "-":
        return None
    return {"name": " ".join(left[3:])[:MAX_VALUE_CHARS], "uuid": found.group(1).upper(),
            "path": line[found.end():].strip()[:MAX_VALUE_CHARS] or None}


def _record(process: _Process, sampled_at: datetime | None) -> Record:
    values = process.values
    fields: dict[str, Any] = {"record_type": "process", "process_name": process.name, "pid": process.pid,
                              "state": process.state, "line": process.line}
    for key, name in PROCESS_KEYS.items():
        fields[name] = values.get(key)
    parent, ppid = _name_pid(values.get("Parent"))
    responsible, responsible_pid = _name_pid(values.get("Responsible"))
    uid = values.get("UID")
    fields.update(parent_name=parent, ppid=ppid, responsible_name=responsible, responsible_pid=responsible_pid,
                  uid=int(uid) if uid and uid.isdigit() and len(uid) <= 10 else uid,
                  notes=process.notes, thread_count=process.threads, image_count=len(process.images)
                  + process.images_not_kept)
    path = fields["process_path"]
    outside = [image for image in process.images
               if image["path"] and image["path"] != path and not image["path"].startswith(SYSTEM_FOLDERS)]
    fields["loaded_images"] = outside
    fork = _SECONDS.match(values.get("Time Since Fork") or "")
    seconds = int(fork.group(1)) if fork and int(fork.group(1)) <= MAX_FORK_SECONDS else None
    started = sampled_at - timedelta(seconds=seconds) if sampled_at is not None and seconds is not None else None
    fields["started_at"] = iso_utc(started)
    fields["sampled_at"] = iso_utc(sampled_at)
    who = f" as uid {fields['uid']}" if fields["uid"] is not None else ""
    parent_text = f", parent {parent} [{ppid}]" if parent else ""
    state = f" ({process.state})" if process.state else ""
    return Record(
        timestamp=started or sampled_at,
        timestamp_desc="process started (spindump)" if started else "process sampled by spindump",
        message=f"Process {path or process.name} [{process.pid}]{state}{who}{parent_text}",
        fields=fields,
        observables=observables(("process", process.name), ("file_path", path), ("app_id", fields["bundle_id"]),
                                *(("file_path", image["path"]) for image in outside)),
    )


def _report(header: dict[str, str], sampled_at: datetime | None, count: int, no_samples: bool) -> Record:
    fields: dict[str, Any] = {"record_type": "report"}
    for key, name in HEADER_KEYS.items():
        fields[name] = header.get(key)
    fields.update(sampled_at=iso_utc(sampled_at), ended_at=iso_utc(_time(header.get("End time"))),
                  process_count=count, no_samples=no_samples)
    what = ", ".join(part for part in (fields["hardware_model"], fields["os_version"]) if part)
    return Record(
        timestamp=sampled_at,
        timestamp_desc="spindump sampling began",
        message=f"Spindump of {count} processes" + (f" on {what}" if what else "")
                + (" (no samples: the report holds no process)" if no_samples else ""),
        fields=fields,
    )


def _name_pid(value: str | None) -> tuple[str | None, int | None]:
    found = _PID_AT_END.search(value or "")
    if not found:
        return value, None
    return value[:found.start()].strip() or None, int(found.group(1))


def _time(value: str | None) -> datetime | None:
    found = _TIME.match(value or "")
    if not found:
        return None
    year, month, day, hour, minute, second, fraction, sign, zone_hours, zone_minutes = found.groups()
    tz = utc_offset(f"{sign}{zone_hours}{zone_minutes}")
    if tz is None:
        return None
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          int((fraction or "0").ljust(6, "0")[:6]), tzinfo=tz)
    except ValueError:
        return None
    moment = moment.astimezone(UTC)
    return moment if 1990 <= moment.year < 2100 else None
