"""taskinfo.txt of a sysdiagnose: every task (process) the kernel held when it was taken, with its
pid, unique id, run time, memory and thread count.

Reads:   in a sysdiagnose taskinfo.txt. Plain text: a first line "num tasks: <N>", then one block
         per task, blank lines between them (EC-DIGIT-CSIRC/sysdiagnose parsers/taskinfo.py, and
         tests/test_tabbasedhierarchy.py, which quotes a real block):
           process: "launchd" [1] [unique ID: 1]
           architecture: arm64
           coalition (type 0) ID: 1
           suspend count: 0
           virtual bytes: 389.03 GB; phys_footprint bytes: 12.23 MB; phys_footprint lifetime maximum bytes: 12.36 MB
           run time: 216 s
           requested policy               (sub-blocks of tab-indented "key: value" lines)
           ios-application: NO
           pid suspended: NO
           threads:
           <tab>thread ID: 0x338 / 824    (then that thread's tab-indented lines, one block a thread)
         A task's own lines start in the first column, its policies' and threads' with a tab. The
         name is the one between quotes, as the kernel keeps it (no path: a kernel name can be
         cut short, so an indicator may match a prefix). Coalition type 0 is the resource
         coalition, type 1 the jetsam one (XNU's COALITION_TYPE_RESOURCE, _JETSAM). Values are
         read by key, so a release that prints fewer or more lines reads the same.
Yields:  one record per task, timestamped when it started (the file's time less its run time) or,
         without a run time, when the list was written (the file's time); process observable and
         process_name. One summary record: the task count the header declares and how many
         blocks were read (the header is counted at another moment than the blocks are printed,
         so a few may differ, as EC-DIGIT notes).
Seen:    iOS 12-18 (EC-DIGIT's tests require the file in every one of their sysdiagnoses).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="taskinfo",
    description="Tasks the kernel held when the sysdiagnose was taken (taskinfo.txt)",
    extra={SYSDIAGNOSE: ("taskinfo.txt",)},
    os_versions="iOS 12-18",
)

MAX_SCAN_CHARS = 4096          # of a line, before any pattern is tried on it
MAX_VALUE_CHARS = 1024
MAX_DETAILS = 100              # other keys of a task kept (real blocks have about 30)
MAX_RUN_SECONDS = 100 * 365 * 86400
_HEADER = re.compile(r"num tasks:\s*(\d{1,9})\s*\Z")
_PROCESS = re.compile(r'process:\s*"(.*)"\s*\[(\d{1,10})\](?:\s*\[unique ID:\s*(\d{1,20})\])?')
_KEY = re.compile(r"([^:]{1,81}):(.*)")
_SECONDS = re.compile(r"(\d{1,15})(?:\.\d+)?\s*s\b")
# taskinfo key -> record field; the YES/NO ones become booleans.
KEYS = {
    "architecture": "architecture", "coalition (type 0) ID": "coalition_resource_id",
    "coalition (type 1) ID": "coalition_jetsam_id", "suspend count": "suspend_count",
    "default sched policy": "sched_policy", "dirty tracking": "dirty_tracking",
    "adaptive daemon": "adaptive_daemon", "boosts": "boosts",
}
FLAGS = {"ios-application": "ios_application", "ios-appledaemon": "apple_daemon", "pid suspended": "pid_suspended",
         "imp_donor": "importance_donor", "imp_receiver": "importance_receiver"}
# "virtual bytes: X; phys_footprint bytes: Y; phys_footprint lifetime maximum bytes: Z" on one line.
MEMORY = {"virtual bytes": "virtual_size", "phys_footprint bytes": "footprint",
          "phys_footprint lifetime maximum bytes": "footprint_lifetime_max"}


@dataclass
class _Task:
    name: str
    pid: int
    unique_id: int | None
    line: int
    values: dict[str, str] = field(default_factory=dict)
    threads: int = 0


def parse(file: EvidenceFile) -> Iterator[Record]:
    listed_at = unix_time(file.meta.get("modified"))
    declared: int | None = None
    task: _Task | None = None
    blocks = 0
    text = False
    for number, raw in enumerate(file.lines(), 1):
        line = raw[:MAX_SCAN_CHARS]
        if not line.strip():
            continue
        text = True
        if task is None and declared is None and (header := _HEADER.match(line.strip())):
            declared = int(header.group(1))
            continue
        found = _PROCESS.match(line)
        if found:
            if task is not None:
                yield _record(task, listed_at)
            unique = found.group(3)
            task = _Task(found.group(1)[:MAX_VALUE_CHARS], int(found.group(2)), int(unique) if unique else None, number)
            blocks += 1
        elif task is not None:
            if line.startswith("\t"):
                # One line a thread starts its block; the policy sub-blocks are indented too.
                task.threads += line.startswith("\tthread ID:")
            elif (key := _KEY.match(line.strip())) and len(task.values) < MAX_DETAILS:
                task.values.setdefault(key.group(1).strip(), key.group(2).strip()[:MAX_VALUE_CHARS])
    if task is not None:
        yield _record(task, listed_at)
    if not text:
        return
    if declared is None and not blocks:
        raise EvidenceError(f"{file.source}: not a taskinfo listing (no \"num tasks\" line and no process block)")
    difference = f" ({blocks} blocks read)" if declared is not None and declared != blocks else ""
    yield Record(
        timestamp=listed_at,
        timestamp_desc="task list written",
        message=f"Task list: {declared if declared is not None else blocks} tasks{difference}",
        fields={"record_type": "summary", "declared_tasks": declared, "listed_tasks": blocks,
                "listed_at": iso_utc(listed_at)},
    )


def _record(task: _Task, listed_at: datetime | None) -> Record:
    values = dict(task.values)
    fields: dict[str, Any] = {"record_type": "task", "process_name": task.name, "pid": task.pid,
                              "unique_id": task.unique_id, "line": task.line}
    run_time = _seconds(values.pop("run time", None))
    for key, name in KEYS.items():
        value = values.pop(key, None)
        fields[name] = _integer(value) if name.endswith(("_id", "_count")) else value
    for key, name in FLAGS.items():
        fields[name] = _yes(values.pop(key, None))
    memory = _memory(values.pop("virtual bytes", None))
    for key, name in MEMORY.items():
        fields[name] = memory.get(key)
    fields["thread_count"] = task.threads
    fields["run_time_seconds"] = run_time
    started = _before(listed_at, run_time)
    fields["started_at"] = iso_utc(started)
    fields["listed_at"] = iso_utc(listed_at)
    fields["details"] = values
    suspended = ", suspended" if fields["pid_suspended"] else ""
    running = f", running {run_time} s" if run_time is not None else ""
    return Record(
        timestamp=started or listed_at,
        timestamp_desc="process started (taskinfo)" if started else "task list written",
        message=f"Task {task.name} [{task.pid}]{running}, {task.threads} thread{'s' if task.threads != 1 else ''}"
                f"{suspended}",
        fields=fields,
        observables=observables(("process", task.name)),
    )


def _seconds(value: str | None) -> int | None:
    found = _SECONDS.match(value or "")
    return int(found.group(1)) if found and int(found.group(1)) <= MAX_RUN_SECONDS else None


def _yes(value: str | None) -> bool | None:
    """A YES/NO value ("NO (boosted: NO)" reads NO); None when absent or neither."""
    word = value.split(None, 1)[0].upper() if value and value.split() else None
    return {"YES": True, "NO": False}.get(word) if word else None


def _memory(value: str | None) -> dict[str, str]:
    """The parts of the "virtual bytes: ...; phys_footprint bytes: ..." line, by name."""
    if value is None:
        return {}
    parts: dict[str, str] = {}
    for part in ("virtual bytes: " + value).split(";"):
        key, colon, amount = part.partition(":")
        if colon and amount.strip():
            parts.setdefault(key.strip(), amount.strip())
    return parts


def _integer(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.isdigit() and len(value) <= 20 else value


def _before(moment: datetime | None, seconds: int | None) -> datetime | None:
    if moment is None or seconds is None:
        return None
    try:
        return moment - timedelta(seconds=seconds)
    except OverflowError:
        return None
