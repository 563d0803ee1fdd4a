"""App installation log: which apps were installed, updated and removed, when, from where, and
who asked (MobileInstallation's installd).

Reads:   /private/var/installd/Library/Logs/MobileInstallation/mobile_installation.log* on a
         filesystem dump; in a sysdiagnose logs/MobileInstallation/mobile_installation.log*.
         One entry per line, "Mon Apr  7 06:13:50 2025 [234] <notice> (0x16b48f000)
         -[MIInstaller performInstallationWithError:]: message" (weekday, month, space-padded
         day, time, year, installd's pid, level, thread, the method, the message); lines without
         that prefix continue the entry above. Messages read (as logged on iOS 12-18; iLEAPP
         scripts/artifacts/mobileInstall.py, EC-DIGIT-CSIRC/sysdiagnose utils/multilinelog.py,
         an iOS 16 sysdiagnose quoted in a public FCSC 2025 write-up):
           Installing <MIInstallableBundle ID=<id>; Version=<v>, ShortVersion=<v>>
           Install Successful for (<Placeholder|Customer|System|...>:<id>) [Distributor: ...]
           Install Failed for (<type>:<id>)
           Install of "<id>" type <type> (LSInstallType = ..., Domain: ...) requested by <client>
           Made container live for <id> at <path>
           Data container for <id> is now at <path>
           Uninstalling identifier <id>
           Destroying container <id> with persona <uuid> at <path> (before: "Destroying
             container with identifier <id> at <path>")
           Attempting Delta patch update of <id> from <path>
           main: Reboot detected
         Times are the phone's local time with no zone. In a sysdiagnose the zone of the
         sysdiagnose's own name (its UTC offset when taken) is applied, which is an hour off for
         entries on the other side of a daylight-saving change; elsewhere the local time is
         taken as UTC and the record says so (time_zone_known false).
Yields:  one record per install, update, container, uninstall and reboot entry, timestamped at
         the entry; app_id and file_path observables, and for a requested install the
         requesting program (process observable, process_name).
Seen:    iOS 12-18.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from spyglass.acquisitions.base import IOS_FS, SYSDIAGNOSE, EvidenceFile
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="mobile_installation",
    description="App installs, updates and removals (mobile_installation.log)",
    paths=("/private/var/installd/Library/Logs/MobileInstallation/mobile_installation.log*",),
    extra={SYSDIAGNOSE: ("logs/MobileInstallation/mobile_installation.log*",)},
    # installd's folder is in no backup domain.
    kinds=frozenset({IOS_FS, SYSDIAGNOSE}),
    os_versions="iOS 12-18",
)

MAX_ENTRY_CHARS = 64 * 1024
MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_LINE = re.compile(r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) \[(\d{1,10})\] "
                   r"<([A-Za-z]{1,20})> \((0x[0-9A-Fa-f]{1,16})\) (.*)")
_METHOD = re.compile(r"([-+]\[[^\]]{1,300}\]): (.*)", re.DOTALL)
_ID = r"([A-Za-z0-9][A-Za-z0-9._-]{0,254})"
_PATH = r"(/.*)"   # to the end of the line; stripped and cut after
# (event, pattern, names of the groups in order)
EVENTS = (
    ("install_started", re.compile(rf"Installing <MIInstallableBundle ID={_ID}; Version=([^,>]{{0,64}}), "
                                   r"ShortVersion=([^>]{0,64})>"), ("bundle_id", "version", "short_version")),
    ("install_succeeded", re.compile(rf"Install Successful for \((?:(\w{{1,32}}):)?{_ID}\)"
                                     r"(?: \[Distributor: ([^\]]{0,256})\])?"), ("install_type", "bundle_id",
                                                                                 "distributor")),
    ("install_failed", re.compile(rf"Install Failed for \((?:(\w{{1,32}}):)?{_ID}\)"), ("install_type", "bundle_id")),
    ("install_requested", re.compile(rf'Install of "{_ID}" type (\S{{1,32}}) \(.{{0,256}}?\) requested by '
                                     r"(\S{1,256})(?: \(pid (\d{1,10}))?"), ("bundle_id", "install_type",
                                                                              "requested_by", "requester_pid")),
    ("container_created", re.compile(rf"Made container live for {_ID} at {_PATH}\Z"), ("bundle_id", "path")),
    ("data_container_moved", re.compile(rf"Data container for {_ID} is now at {_PATH}\Z"), ("bundle_id", "path")),
    ("uninstall", re.compile(rf"Uninstalling identifier {_ID}"), ("bundle_id",)),
    ("container_destroyed", re.compile(rf"Destroying container (?:with identifier )?{_ID}"
                                       rf"(?: with persona (\S{{1,64}}))? at {_PATH}\Z"), ("bundle_id", "persona", "path")),
    ("delta_patch", re.compile(rf"Attempting Delta patch update of {_ID} from {_PATH}\Z"), ("bundle_id", "path")),
    ("reboot", re.compile(r"Reboot detected"), ()),
)
DESCRIPTIONS = {
    "install_started": "Installing", "install_succeeded": "Installed", "install_failed": "Install failed for",
    "install_requested": "Install requested of", "container_created": "Container made live for",
    "data_container_moved": "Data container moved for", "uninstall": "Uninstalling",
    "container_destroyed": "Container destroyed of", "delta_patch": "Delta update of",
}


def parse(file: EvidenceFile) -> Iterator[Record]:
    offset = _sysdiagnose_offset(file)
    entry: tuple[re.Match[str], list[str]] | None = None
    for line in file.lines():
        found = _LINE.match(line)
        if found:
            if entry is not None and (record := _record(*entry, offset)) is not None:
                yield record
            entry = (found, [found.group(10)])
        elif entry is not None and sum(map(len, entry[1])) < MAX_ENTRY_CHARS:
            entry[1].append(line)
    if entry is not None and (record := _record(*entry, offset)) is not None:
        yield record


def _record(line: re.Match[str], parts: list[str], offset: timedelta | None) -> Record | None:
    message = "\n".join(parts)[:MAX_ENTRY_CHARS]
    method_match = _METHOD.match(message)
    method, text = (method_match.group(1), method_match.group(2)) if method_match else (None, message)
    recognised = _event(text.split("\n", 1)[0])
    if recognised is None:
        return None
    event, values = recognised
    if values.get("path"):
        values["path"] = values["path"].strip()[:4096]
    for key in ("version", "short_version"):
        if values.get(key) == "(null)":
            values[key] = None
    if values.get("requester_pid"):
        values["requester_pid"] = int(values["requester_pid"])
    month, day, hour, minute, second, year = line.group(1, 2, 3, 4, 5, 6)
    local_time = f"{year}-{MONTHS.get(month, 0):02d}-{int(day):02d} {hour}:{minute}:{second}"
    moment = _moment(year, month, day, hour, minute, second, offset)
    fields: dict[str, Any] = {"record_type": "install_event", "event": event, **values,
                              "logged_at": iso_utc(moment), "local_time": local_time, "time_zone_known": offset is not None,
                              "utc_offset": _offset_text(offset), "installd_pid": int(line.group(7)),
                              "level": line.group(8), "method": method, "message": message}
    requester = values.get("requested_by")
    if requester:
        fields["process_name"] = requester
    bundle_id, path = values.get("bundle_id"), values.get("path")
    if event == "reboot":
        summary = "Reboot detected by the installer"
    else:
        summary = f"{DESCRIPTIONS[event]} {bundle_id}"
        if values.get("short_version") or values.get("version"):
            summary += f" version {values.get('short_version') or '?'} ({values.get('version') or '?'})"
        if values.get("install_type"):
            summary += f" ({values['install_type']})"
        if requester:
            summary += f" by {requester}"
        if path:
            summary += f" at {path}"
    return Record(
        timestamp=moment,
        timestamp_desc="app installation log entry",
        message=summary,
        fields=fields,
        observables=observables(("app_id", bundle_id), ("file_path", path), ("process", requester)),
    )


def _event(text: str) -> tuple[str, dict[str, Any]] | None:
    """The entry's event and its values, None for the many entries that are not one."""
    for event, pattern, names in EVENTS:
        found = pattern.search(text)
        if found:
            return event, dict(zip(names, found.groups(), strict=True))
    return None


def _sysdiagnose_offset(file: EvidenceFile) -> timedelta | None:
    """The UTC offset the phone had when the sysdiagnose holding this file was taken."""
    if file.acquisition.kind != SYSDIAGNOSE:
        return None
    taken = file.acquisition.device.get("sysdiagnose_date")
    if not isinstance(taken, str):
        return None
    try:
        return datetime.fromisoformat(taken).utcoffset()
    except ValueError:
        return None


def _moment(year: str, month: str, day: str, hour: str, minute: str, second: str,
            offset: timedelta | None) -> datetime | None:
    try:
        local = datetime(int(year), MONTHS[month], int(day), int(hour), int(minute), int(second),
                         tzinfo=timezone(offset) if offset is not None else UTC)
    except (KeyError, ValueError):
        return None
    moment = local.astimezone(UTC)
    return moment if 1990 <= moment.year < 2100 else None


def _offset_text(offset: timedelta | None) -> str | None:
    if offset is None:
        return None
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

