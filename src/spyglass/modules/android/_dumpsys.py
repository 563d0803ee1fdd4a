"""The shared dumpsys section splitter: one reader for androidqf's dumpsys.txt and a bug report's
dumpstate text, which hold the same sections.

Format (AOSP frameworks/native/cmds/dumpsys/dumpsys.cpp, writeDumpHeader / writeDumpFooter; seen
in MVT's tests/artifacts/androidqf/dumpsys.txt and android_data/bugreport/dumpstate.txt): every
service's dump opens with a line of 79 dashes and "DUMP OF SERVICE <name>:" (dumpstate's priority
passes write "DUMP OF SERVICE CRITICAL <name>:" / "HIGH <name>:"), and closes with
"--------- 0.053s was the duration of dumpsys <name>, ending at: 2022-03-29 23:14:27" (the
device's local time). A bug report's dumpstate also holds getprop output
("[persist.sys.timezone]: [Europe/Paris]") before its dumpsys passes: the zone that turns the
local times printed by services into UTC. androidqf's dumpsys.txt has no zone: times stay local.

The file is read once, line by line (each line already cut by `EvidenceFile.lines`); only the
sections asked for are kept, each bounded in lines and characters, and a section cut short
(a truncated file, no footer) is still given, marked `complete=False`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spyglass.acquisitions.base import ANDROID_BUGREPORT, ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError, NotPresent

# Where the dumpsys text is in each kind: androidqf names it; a bug report's main_entry.txt
# names bugreport-<device>-<build>-<date>.txt (older reports: dumpstate-<date>.txt, or plain
# dumpstate.txt, as in MVT's own test bug report).
DUMPSYS_FILES = {ANDROIDQF: ("dumpsys.txt",), ANDROID_BUGREPORT: ("bugreport-*.txt", "dumpstate-*.txt", "dumpstate.txt")}

SEPARATOR = "-" * 79
HEADER = "DUMP OF SERVICE "
PRIORITIES = frozenset({"CRITICAL", "HIGH", "NORMAL"})
FOOTER = re.compile(r"-{9} [\d.]+s was the duration of dumpsys (\S+), ending at: "
                    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
TIMEZONE = re.compile(r"\[persist\.sys\.timezone\]: \[([A-Za-z0-9_+\-/]{1,64})\]")
MAX_SECTION_LINES = 1_000_000
MAX_SECTION_CHARS = 64 * 1024 * 1024
MAX_SECTIONS = 64            # occurrences of the asked-for services kept from one file
MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class Section:
    """One service's dump: its lines (header and footer left out)."""

    service: str
    lines: list[str]
    ended_at: str | None     # the footer's local time, "2022-03-29 23:14:27"
    timezone: str | None     # persist.sys.timezone seen before the section, if any
    complete: bool           # its footer or the next section's separator was seen
    truncated: bool          # cut at MAX_SECTION_LINES / MAX_SECTION_CHARS


def service_name(line: str) -> str | None:
    """The service a "DUMP OF SERVICE [PRIORITY] <name>:" line opens, else None."""
    if not line.startswith(HEADER) or not line.endswith(":"):
        return None
    name = line[len(HEADER):-1].strip()
    priority, _, rest = name.partition(" ")
    if rest and priority in PRIORITIES:
        name = rest.strip()
    if not name or len(name) > MAX_NAME_CHARS or " " in name:
        return None
    return name


def sections(file: EvidenceFile, services: Collection[str]) -> Iterator[Section]:
    """Every section of `services` in `file`, in file order.

    EvidenceError when the file holds no "DUMP OF SERVICE" section at all (not dumpsys output);
    NotPresent when it holds sections, none of them one asked for."""
    wanted = frozenset(services)
    timezone: str | None = None
    current: str | None = None
    lines: list[str] = []
    chars = 0
    truncated = False
    headers = found = 0

    def close(ended_at: str | None, complete: bool) -> Section:
        return Section(current or "", lines, ended_at, timezone, complete, truncated)

    for line in file.lines():
        name = service_name(line) if line.startswith(HEADER) else None
        if name is not None:
            headers += 1
            if current is not None:
                found += 1
                yield close(None, True)
            current, lines, chars, truncated = None, [], 0, False
            if name in wanted and found < MAX_SECTIONS:
                current = name
            continue
        if line.startswith("---------"):
            footer = FOOTER.match(line)
            if footer or line == SEPARATOR:
                if current is not None:
                    found += 1
                    yield close(footer.group(2) if footer else None, True)
                current = None
                continue
        if current is None:
            if timezone is None and line.startswith("[persist.sys.timezone]"):
                match = TIMEZONE.match(line)
                timezone = match.group(1) if match else None
            continue
        if truncated:
            continue
        if len(lines) >= MAX_SECTION_LINES or chars + len(line) > MAX_SECTION_CHARS:
            truncated = True
            continue
        lines.append(line)
        chars += len(line)
    if current is not None:
        found += 1
        yield close(None, False)
    if not headers:
        raise EvidenceError(f"{file.source}: no 'DUMP OF SERVICE' section: not dumpsys output")
    if not found:
        raise NotPresent(f"{file.source}: no dumpsys section of {', '.join(sorted(wanted))}")


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def local_time(text: str | None, fmt: str, timezone: str | None) -> datetime | None:
    """A local time as a service printed it, in UTC when the device's zone is known, else None."""
    tz = zone(timezone)
    if tz is None or not text:
        return None
    try:
        moment = datetime.strptime(text, fmt)
    except ValueError:
        return None
    if not 1990 <= moment.year < 2100:
        return None
    return moment.replace(tzinfo=tz).astimezone(UTC)


DURATION = re.compile(r"([+-]?)((?:\d{1,9}(?:d|h|ms|m|s))+)$")
_UNIT = re.compile(r"(\d{1,9})(ms|d|h|m|s)")
_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def duration(text: str) -> timedelta | None:
    """An Android TimeUtils.formatDuration text ("+1d2h3m4s5ms", "-4h50m23s772ms") as a positive
    timedelta (the sign is the caller's to read), None when it is not one."""
    match = DURATION.match(text.strip())
    if not match:
        return None
    seconds = sum(int(number) * _SECONDS[unit] for number, unit in _UNIT.findall(match.group(2)))
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        return None


def package_of(component: str) -> str | None:
    """The package of a flattened component ("com.a/.Svc", "ComponentInfo{com.a/com.a.Svc}")."""
    package, slash, _ = component.removeprefix("ComponentInfo{").rstrip("}").partition("/")
    package = package.strip()
    return package if slash and _PACKAGE.fullmatch(package) else None


def component_text(component: str) -> str:
    """A component as ComponentName.flattenToString writes it: "com.a/.Svc" (the short form
    dumps print) and "ComponentInfo{com.a/com.a.Svc}" both become "com.a/com.a.Svc", so one
    component reads the same in every section."""
    text = component.strip().removeprefix("ComponentInfo{").removesuffix("}").strip()
    package, slash, name = text.partition("/")
    if slash and name.startswith("."):
        return f"{package}/{package}{name}"
    return text


_PACKAGE = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
