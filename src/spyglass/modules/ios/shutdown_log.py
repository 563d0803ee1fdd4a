"""shutdown.log: the processes that were still running, and held the phone up, at each reboot.

Reads:   /private/var/db/diagnostics/shutdown.log and its rotated copies shutdown.<N>.log (a
         full-filesystem dump; never in a backup); in a sysdiagnose
         system_logs.logarchive/Extra/shutdown.log and shutdown.<N>.log. Plain text, one entry a
         line (sources: Kaspersky, "A lightweight method to detect potential iOS malware",
         securelist.com 2024, and its iShutdown scripts; mvt-project/mvt PR #196 and
         src/mvt/ios/modules/fs/shutdownlog.py; EC-DIGIT-CSIRC/sysdiagnose
         parsers/shutdownlogs.py; abrignoni/iLEAPP scripts/artifacts/sysShutdown.py):
           After 1.26s, these clients are still here:
                   remaining client pid: 153 (/usr/sbin/filecoordinationd)
           SIGTERM: [1717261200] All buffers flushed
         While the phone shuts down, each "After N s" notice lists the processes ("clients")
         still delaying it; the "SIGTERM: [<Unix seconds>]" line closes that reboot, so the
         clients above it belong to it (as every parser above reads them). Clients after the
         last SIGTERM line belong to a reboot whose time was never written. The client is named
         by its executable path, often followed by a component that is the binary's UUID
         (".../mptbd/42286BD8-3758-3B85-B19F-6E1FDB2CB030" in Kaspersky's iShutdown README,
         2021 Pegasus case; "/usr/sbin/filecoordinationd/<UUID>" on iOS 26.5.2, mvt-project/mvt
         issue #830): that component is split off into `binary_uuid`. iOS 26.2 and later also
         name the file shutdown.0.log (EC-DIGIT-CSIRC/sysdiagnose commit b15afdd, mvt PR #834,
         iLEAPP PR #1465). Not confirmed: that iOS 26 keeps only the last reboot; a real iOS
         26.5.2 shutdown.0.log held 50 (iAnonymous3000/tracescan VALIDATION.md), so each reboot
         record says whether it is the only one its file holds (`only_reboot`).
Yields:  one record per client of each reboot, timestamped with the reboot ("shutdown: client
         still running": pid, client as logged, process_path, process_name, the longest delay
         it was listed under); observables process and file_path. One record per reboot
         ("shutdown (reboot)": how many notices, the longest delay, how many clients). Damaged
         lines are counted per reboot; a file with text but no line of this format is an error.
Seen:    iOS 12 to 26.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from spyglass.acquisitions.base import IOS_FS, SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="shutdown_log",
    description="Processes that delayed a reboot (shutdown.log)",
    paths=("/private/var/db/diagnostics/shutdown.log", "/private/var/db/diagnostics/shutdown.*.log"),
    extra={SYSDIAGNOSE: ("system_logs.logarchive/Extra/shutdown.log",
                         "system_logs.logarchive/Extra/shutdown.*.log")},
    kinds=frozenset({IOS_FS, SYSDIAGNOSE}),   # a backup never holds it (MVT docs/ios/records.md)
    os_versions="iOS 12-26",
)

# Searched, not anchored: spacing and indentation vary, and a damaged line may carry a prefix.
SIGTERM = re.compile(r"SIGTERM\s*:", re.IGNORECASE)
SIGTERM_TIME = re.compile(r"\[\s*(\d{1,20})\s*\]|@\s*(\d{1,20})")   # MVT also reads "@<seconds>"
NOTICE = re.compile(r"After\s+(\d{1,9}(?:\.\d{1,9})?)\s*s\s*,\s*these clients are still here", re.IGNORECASE)
# Greedy to the last ")": an app's path may itself hold parentheses.
CLIENT = re.compile(r"remaining client pid\s*:\s*(\d{1,10})\s*\((.*)\)", re.IGNORECASE)
KEYWORDS = ("sigterm", "remaining client", "clients are still here")
BINARY_UUID = re.compile(r"/([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$")
# Real reboots list a few dozen clients at most; a bound keeps a hostile file's one endless
# reboot from filling memory (those beyond it are counted, not kept).
MAX_CLIENTS_PER_REBOOT = 10_000
ONLY = "; the only reboot this log records"


@dataclass
class _Client:
    pid: int
    client: str
    line: int
    delay: float | None
    times_listed: int = 1


@dataclass
class _Reboot:
    number: int
    first_line: int
    clients: dict[tuple[int, str], _Client] = field(default_factory=dict)
    notices: int = 0
    longest_delay: float | None = None
    delay: float | None = None            # the notice the next client lines are listed under
    clients_not_kept: int = 0
    damaged_lines: int = 0

    @property
    def empty(self) -> bool:
        return not (self.clients or self.notices or self.clients_not_kept or self.damaged_lines)


def parse(file: EvidenceFile) -> Iterator[Record]:
    reboot = _Reboot(number=1, first_line=1)
    first: Record | None = None     # the first reboot's record, held until a second reboot shows up
    recognised = text = False
    number = 0
    for number, line in enumerate(file.lines(), 1):
        if not line.strip():
            continue
        text = True
        notice = NOTICE.search(line)
        if notice:
            recognised = True
            reboot.notices += 1
            reboot.delay = float(notice.group(1))
            reboot.longest_delay = max(reboot.delay, reboot.longest_delay or 0.0)
        client = CLIENT.search(line)
        if client:
            recognised = True
            _listed(reboot, int(client.group(1)), client.group(2), number)
        if SIGTERM.search(line):
            recognised = True
            stamp = SIGTERM_TIME.search(line)
            raw = (stamp.group(1) or stamp.group(2)) if stamp else None
            moment = unix_time(int(raw)) if raw else None
            if first is not None:
                yield _not_only(first)
                first = None
            yield from _client_records(reboot, moment)
            record = _reboot_record(reboot, number, moment, raw, closed=True)
            if reboot.number == 1:
                first = record
            else:
                yield _not_only(record)
            reboot = _Reboot(number=reboot.number + 1, first_line=number + 1)
        elif not (notice or client) and any(word in line.lower() for word in KEYWORDS):
            reboot.damaged_lines += 1
    if text and not recognised:
        raise EvidenceError(f"{file.source}: not a shutdown log (no SIGTERM, delay notice or remaining-client line)")
    if not reboot.empty:
        # The log ends inside a shutdown: its clients have no reboot time.
        if first is not None:
            yield _not_only(first)
            first = None
        yield from _client_records(reboot, None)
        record = _reboot_record(reboot, number, None, None, closed=False)
        yield record if reboot.number == 1 else _not_only(record)
    if first is not None:
        yield first


def _not_only(record: Record) -> Record:
    """A reboot's record once a second reboot is known: it is not the log's only one."""
    return Record(record.timestamp, record.timestamp_desc, record.message.removesuffix(ONLY),
                  {**record.fields, "only_reboot": False})


def _listed(reboot: _Reboot, pid: int, client: str, line: int) -> None:
    key = (pid, client)
    seen = reboot.clients.get(key)
    if seen is not None:
        seen.times_listed += 1
        if reboot.delay is not None:
            seen.delay = max(reboot.delay, seen.delay or 0.0)
    elif len(reboot.clients) < MAX_CLIENTS_PER_REBOOT:
        reboot.clients[key] = _Client(pid, client, line, reboot.delay)
    else:
        reboot.clients_not_kept += 1


def _client_records(reboot: _Reboot, moment: datetime | None) -> Iterator[Record]:
    when = iso_utc(moment)
    for item in reboot.clients.values():
        executable, binary_uuid = split_binary_uuid(item.client.strip())
        name = process_name(executable)
        process_path = executable if "/" in executable else None   # a bare name is no path
        delay = f"{item.delay:g} s into" if item.delay is not None else "during"
        yield Record(
            timestamp=moment,
            timestamp_desc="shutdown: client still running",
            message=f"{name or '(no name)'} (pid {item.pid}, {process_path or item.client}) was still running "
                    f"{delay} the shutdown {f'at {when}' if when else 'whose time was not recorded'}",
            fields={
                "record_type": "client",
                "reboot_number": reboot.number,
                "reboot_time": when,
                "pid": item.pid,
                "client": item.client,
                "process_path": process_path,
                "process_name": name,
                "binary_uuid": binary_uuid,
                "delay": item.delay,
                "times_listed": item.times_listed,
                "line": item.line,
            },
            observables=observables(("process", name), ("file_path", process_path)),
        )


def _reboot_record(reboot: _Reboot, last_line: int, moment: datetime | None, raw: str | None, *,
                   closed: bool) -> Record:
    when = iso_utc(moment)
    clients = len(reboot.clients) + reboot.clients_not_kept
    processes = f"{clients} process{'es' if clients != 1 else ''}"
    if reboot.notices:
        held_up = (f"held up {reboot.notices} time{'s' if reboot.notices != 1 else ''}, up to "
                   f"{reboot.longest_delay:g} s, by {processes}")
    elif clients:
        held_up = f"{processes} still running (no delay notice)"
    else:
        held_up = "no process held it up"
    what = f"Reboot at {when}" if when else ("Reboot with an unreadable time" if closed else
                                             "Shutdown with no recorded time (the log ends inside it)")
    return Record(
        timestamp=moment,
        timestamp_desc="shutdown (reboot)",
        message=f"{what}: {held_up}{ONLY}",
        fields={
            "record_type": "reboot",
            "reboot_number": reboot.number,
            "reboot_time": when,
            "raw_reboot_time": raw,
            "closed": closed,
            "delay_notices": reboot.notices,
            "longest_delay": reboot.longest_delay,
            "delaying_clients": clients,
            "clients_not_kept": reboot.clients_not_kept,
            "damaged_lines": reboot.damaged_lines,
            "first_line": reboot.first_line,
            "last_line": last_line,
            "only_reboot": True,
        },
    )


def split_binary_uuid(client: str) -> tuple[str, str | None]:
    """The executable path of a client as logged, and the binary's UUID when a last path
    component holds it ("/usr/sbin/filecoordinationd/EBFB3E7F-..." on iOS 26)."""
    found = BINARY_UUID.search(client)
    if found and found.start() > 0:
        return client[:found.start()], found.group(1)
    return client, None


def process_name(process_path: str) -> str | None:
    name = process_path.rstrip("/").rsplit("/", 1)[-1].strip()
    return name or None
