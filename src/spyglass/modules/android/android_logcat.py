"""Logcat: the lines of Android's log buffers that name what spyware leaves behind.

Reads:   androidqf's logcat.txt (`logcat -d -b all "*:V"`) and logcat_old.txt (`logcat -L -b all`:
         the buffers kept from before the last reboot, written when the phone has them; androidqf
         modules/logcat.go); a bug report's dumpstate sections that run logcat ("------ SYSTEM LOG
         (logcat -v threadtime -v printable -v uid -d *:v) ------", EVENT LOG, RADIO LOG, STATS
         LOG, LAST LOGCAT, ...: AOSP dumpstate.cpp), each up to its "------ 0.600s was the duration
         of 'SYSTEM LOG' ------" line. For an androidqf that collected a bug report, the nested
         dumpstate only when androidqf has no logcat.txt of its own: it holds the same buffers,
         dumped minutes apart, and every line would be counted twice.
Format:  AOSP liblog logprint.cpp (android_log_formatLogLine), threadtime, logcat's default since
         Android 7: "MM-DD HH:MM:SS.mmm  PID  TID L TAG     : message". `-v year` puts "YYYY-"
         first; `-v usec` / `-v nsec` print 6 or 9 digits; `-v zone` appends " +hhmm"; `-v epoch`
         prints the seconds since 1970 in place of the date; `-v uid` puts the uid (a name of at
         most 5 characters, or the number) before the PID. Times are the phone's local time, UTC
         with `-v UTC` (said in a dumpstate section's command). "--------- beginning of main"
         lines name the buffer the following lines come from.
Yields:  one record per line that carries a spyware-relevant observable, at most MAX_LOG_RECORDS per
         file (past that, the file is reported read only so far):
         - event "process_start": ActivityManager "Start proc PID:PROCESS/USER for TYPE {COMPONENT}"
           (Android 7+), "Start proc PROCESS for TYPE COMPONENT: pid=PID uid=UID" (older), and the
           events buffer's am_proc_start [user,pid,uid,process,type,component] (event-log-tags
           30014); fields process_name, pid, uid, process_type, component; observables process and
           the app id (app_id);
         - event "package": lines of the PackageManager / PackageInstaller / PackageInstallerSession
           tags, and any line naming `pm install`, that name an app id (package:NAME, pkg=NAME,
           "package NAME", packageName=NAME) or an APK path; observables app_id, file_path;
         - event "network": any other line holding a URL, a domain or a public IP address. A domain
           written like a package name (com.example.app reads as the domain example.app) or like a
           file (libart.so, /path/x.zip) is left out; private addresses too; phone numbers and
           e-mail addresses are not kept (the radio log is full of them, and they are not spyware's).
         Each record is timestamped in UTC when the line's year and zone are known: from the line
         (-v year, -v zone, -v epoch), else from the acquisition facts (`acquired_at_local` for the
         year: a month after the acquisition's month is the previous year; `timezone` for the
         zone). Otherwise the timestamp is None and `local_time` keeps the time as written, with
         `time_note` saying why.
Seen:    Android 7-16.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from spyglass.acquisitions.base import ANDROID_BUGREPORT, ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError, NotPresent
from spyglass.extract import extract
from spyglass.limits import MAX_LOG_RECORDS
from spyglass.modules import Artifact
from spyglass.records import Observable, Record, observables
from spyglass.timestamps import local_to_utc, named_zone, utc_offset

DUMPSTATE_NAMES = ("bugreport-*.txt", "dumpstate-*.txt", "dumpstate.txt")
NESTED = "bugreport.zip/"
ARTIFACT = Artifact(
    name="android_logcat",
    description="Log lines naming started processes, installed packages, URLs and domains",
    platform="android",
    extra={ANDROIDQF: ("logcat.txt", "logcat_old.txt", *(NESTED + name for name in DUMPSTATE_NAMES)),
           ANDROID_BUGREPORT: DUMPSTATE_NAMES},
    os_versions="Android 7-16",
)
MAX_MESSAGE_CHARS = 16 * 1024  # a log entry holds 4068 bytes at most (LOGGER_ENTRY_MAX_PAYLOAD);
                               # `-v printable` escapes may grow it
MAX_NAMES = 32                 # app ids and paths kept from one line

_LINE = re.compile(
    r"\s{0,32}(?:(?P<epoch>\d{9,12})|(?:(?P<year>\d{4})-)?(?P<month>\d\d)-(?P<day>\d\d) "
    r"(?P<clock>\d\d:\d\d:\d\d))\.(?P<fraction>\d{3,9})(?: (?P<zone>[+-]\d{4}))?"
    r"\s{1,16}(?:(?P<uid>[\w.\-]{1,12})\s{1,16})?(?P<pid>\d{1,10})\s{1,16}(?P<tid>\d{1,10})\s"
    r"(?P<level>[VDIWEFAS]) (?P<tag>[^:]{0,256}):(?: |$)(?P<message>.*)")
_SECTION = re.compile(r"------ (?P<title>[^()]{1,200}) \((?P<command>logcat[^)]{0,500})\) ------$")
_UTC_OPTION = re.compile(r"-v\s+utc\b", re.IGNORECASE)
_BUFFER = re.compile(r"--------- (?:beginning of|switch to) (\w{1,32})")
_START_PROC = re.compile(r"Start proc (?P<pid>\d{1,10}):(?P<process>[^\s/]{1,256})/(?P<user>\S{1,64})"
                         r"(?: for (?P<type>[\w -]{1,40}?) \{?(?P<component>[^\s{}]{1,512})\}?(?=\s|$))?")
_START_PROC_OLD = re.compile(r"Start proc (?P<process>[^\s/]{1,256}) for (?P<type>[\w -]{1,40}?) "
                             r"(?P<component>\S{1,512}): pid=(?P<pid>\d{1,10}) uid=(?P<uid>\d{1,10})")
_NAME = r"[A-Za-z][A-Za-z0-9_]{0,127}(?:\.[A-Za-z0-9_]{1,128}){1,32}"
_PACKAGE_NAMES = re.compile(rf"(?:package:|\bpkg=|\b[Pp]ackage(?:Name)?[ =:]\s?)({_NAME})")
# A path token starts only where a run of path characters starts and is consumed possessively:
# one pass over the message, whatever it holds.
_PATH_TOKEN = re.compile(r"(?<![\w.~=+\-/])/[\w.~=+\-/]{1,1024}+")
_APP_ID = re.compile(_NAME)
PACKAGE_TAGS = frozenset({"PackageManager", "PackageInstaller", "PackageInstallerSession"})
PROCESS_TAGS = frozenset({"ActivityManager", "ActivityTaskManager"})
# First labels of Java package names; a host name hardly ever begins with one.
PACKAGE_ROOTS = frozenset({"com", "org", "net", "android", "androidx", "io", "edu", "gov", "de", "me"})
# Top-level domains that are also file endings seen in logs (shared libraries, archives, scripts).
FILE_ENDINGS = frozenset({"so", "zip", "sh", "py", "mov", "apk", "jar", "dex", "odex", "json", "xml"})
KEPT = frozenset({"url", "domain", "ip"})


@dataclass(slots=True)
class _Clock:
    """What turns a line's time into UTC: the acquisition's local date (for the year) and zone."""

    reference: datetime | None
    zone: tzinfo | None
    zone_name: str | None


def parse(file: EvidenceFile) -> Iterator[Record]:
    name = file.source.rsplit("/", 1)[-1]
    plain = name.startswith("logcat")
    if file.source.startswith(NESTED) and file.acquisition.named("logcat.txt"):
        raise NotPresent(f"{file.source}: androidqf's own logcat.txt holds the same buffers")
    clock = _clock(file.acquisition.facts)
    count = 0
    section: str | None = None
    command = ""
    buffer: str | None = None
    inside = plain
    seen_logcat = seen_section = seen_other = False
    for number, line in enumerate(file.lines(), 1):
        if not plain:
            if line.startswith("------ ") and line.endswith(" ------"):
                opened = _SECTION.match(line)
                inside, buffer = opened is not None, None
                seen_section = seen_section or inside
                section, command = (opened.group("title"), opened.group("command")) if opened else (None, "")
                continue
            if not inside:
                continue
        if line.startswith("--------- "):
            if marker := _BUFFER.match(line):
                buffer = marker.group(1)
            continue
        match = _LINE.match(line)
        if match is None:
            seen_other = seen_other or bool(line.strip())
            continue
        seen_logcat = True
        record = _record(match, number, buffer, section, command, clock)
        if record is None:
            continue
        count += 1
        if count > MAX_LOG_RECORDS:
            raise EvidenceError(f"{file.source}: more than {MAX_LOG_RECORDS} log lines with observables; the rest not read")
        yield record
    if plain and seen_other and not seen_logcat:
        raise EvidenceError(f"{file.source}: not logcat output (no log line)")
    if not plain and not seen_section:
        raise NotPresent(f"{file.source}: no logcat section")


def _clock(facts: Any) -> _Clock:
    facts = facts if isinstance(facts, dict) else {}
    reference = None
    local = facts.get("acquired_at_local")
    if isinstance(local, str):
        try:
            reference = datetime.strptime(local[:19], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            reference = None
    if reference is None and isinstance(facts.get("acquired_at"), str):
        try:   # UTC only: its date gives the year all the same (a day off at most)
            reference = datetime.fromisoformat(facts["acquired_at"].replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            reference = None
    name = facts.get("timezone") if isinstance(facts.get("timezone"), str) else None
    zone = named_zone(name)
    return _Clock(reference, zone, name if zone is not None else None)


def _moment(match: re.Match[str], command: str, clock: _Clock) -> tuple[datetime | None, str | None, str | None, str | None]:
    """(UTC time, local time as written, the zone used, why there is no UTC time)."""
    fraction = match.group("fraction")
    micro = int(fraction[:6].ljust(6, "0"))
    if match.group("epoch"):
        try:
            moment = datetime.fromtimestamp(int(match.group("epoch")), UTC) + timedelta(microseconds=micro)
        except (OverflowError, ValueError, OSError):
            return None, None, "UTC", "not a valid time"
        return moment, None, "UTC", None
    month, day = int(match.group("month")), int(match.group("day"))
    year = int(match.group("year")) if match.group("year") else None
    if year is None and clock.reference is not None:
        year = clock.reference.year - (1 if month > clock.reference.month else 0)
    written = f"{match.group('month')}-{match.group('day')} {match.group('clock')}.{fraction}"
    local_text = f"{year:04d}-{written}" if year is not None else written
    zone: tzinfo | None
    if offset := match.group("zone"):
        zone, zone_name = utc_offset(offset), offset
        if zone is None:        # "+9999": no place on Earth
            return None, local_text, offset, "not a valid time zone offset"
    elif _UTC_OPTION.search(command):
        zone, zone_name = UTC, "UTC"
    else:
        zone, zone_name = clock.zone, clock.zone_name
    if year is None:
        return None, local_text, zone_name, "the year is unknown (no acquisition time)"
    if zone is None:
        return None, local_text, None, "the phone's local time; its time zone is unknown"
    hour, minute, second = (int(part) for part in match.group("clock").split(":"))
    try:
        local = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None, local_text, zone_name, "not a valid date"
    moment = local_to_utc(local, zone)
    return moment, local_text, zone_name, None if moment is not None else "not a plausible date (1990-2100)"


def _record(match: re.Match[str], number: int, buffer: str | None, section: str | None, command: str,
            clock: _Clock) -> Record | None:
    tag = match.group("tag").strip()
    message = match.group("message")[:MAX_MESSAGE_CHARS]
    extra: dict[str, Any] = {}
    found: list[Observable | tuple[str, Any]] = []
    if start := _process_start(tag, message):
        event = "process_start"
        extra, found = start
    elif tag in PACKAGE_TAGS or "pm install" in message:
        names = list(dict.fromkeys(_PACKAGE_NAMES.findall(message)))[:MAX_NAMES]
        paths = list(dict.fromkeys(path for path in _PATH_TOKEN.findall(message) if path.endswith(".apk")))[:MAX_NAMES]
        if not names and not paths:
            return _network(match, message, tag, number, buffer, section, command, clock)
        event = "package"
        extra = {"package_names": names, "apk_paths": paths}
        found = [*(("app_id", name) for name in names), *(("file_path", path) for path in paths)]
    else:
        return _network(match, message, tag, number, buffer, section, command, clock)
    return _build(event, match, message, tag, number, buffer, section, command, clock, extra,
                  [*found, *_network_observables(message)])


def _network(match: re.Match[str], message: str, tag: str, number: int, buffer: str | None, section: str | None,
             command: str, clock: _Clock) -> Record | None:
    if "." not in message:
        return None
    found = _network_observables(message)
    if not found:
        return None
    return _build("network", match, message, tag, number, buffer, section, command, clock, {}, found)


def _process_start(tag: str, message: str) -> tuple[dict[str, Any], list[Any]] | None:
    if tag == "am_proc_start":
        parts = message.strip().removeprefix("[").removesuffix("]").split(",", 5)
        if len(parts) != 6 or not parts[1].strip().isdigit():   # [user,pid,uid,...] since Android 4.2
            return None
        _user, pid, uid, process, kind = (part.strip() for part in parts[:5])
        component = parts[5].strip().strip("{}") or None
        user = None
    elif tag in PROCESS_TAGS and "Start proc " in message:
        start = _START_PROC.search(message) or _START_PROC_OLD.search(message)
        if start is None:
            return None
        pid, process, kind, component = start.group("pid"), start.group("process"), start.group("type"), start.group("component")
        uid = start.groupdict().get("uid")
        user = start.groupdict().get("user")
    else:
        return None
    if not process:
        return None
    app_id = process.split(":", 1)[0]
    owner = component.split("/", 1)[0] if component and "/" in component else None
    fields = {"process_name": process, "pid": int(pid) if pid.isdigit() else None,
              "uid": int(uid) if uid and uid.isdigit() else None, "user": user, "process_type": kind,
              "component": component, "package_name": app_id if _APP_ID.fullmatch(app_id) else None}
    found = [("process", process)]
    found += [("app_id", name) for name in (app_id, owner) if name and _APP_ID.fullmatch(name)]
    return fields, found


def _network_observables(message: str) -> list[Observable]:
    kept = []
    for observable in extract(message):
        if observable.type not in KEPT:
            continue
        if observable.type == "domain":
            labels = observable.value.split(".")
            if (labels[0] in PACKAGE_ROOTS or labels[-1] in FILE_ENDINGS or f"/{observable.value}" in message
                    or f"{observable.value}/" in message):
                continue
        if observable.type == "ip":
            try:
                if not ipaddress.ip_address(observable.value).is_global:
                    continue
            except ValueError:
                continue
        kept.append(observable)
    return kept


def _build(event: str, match: re.Match[str], message: str, tag: str, number: int, buffer: str | None,
           section: str | None, command: str, clock: _Clock, extra: dict[str, Any],
           found: list[Any]) -> Record:
    moment, local_text, zone_name, note = _moment(match, command, clock)
    uid = match.group("uid")
    fields = {
        "event": event, "tag": tag, "level": match.group("level"),
        "log_pid": int(match.group("pid")), "log_tid": int(match.group("tid")),
        "log_uid": uid, "message": message, "buffer": buffer, "section": section, "line": number,
        "local_time": local_text, "time_zone": zone_name, "time_note": note, **extra,
    }
    if event == "process_start":
        headline = f"Process {extra['process_name']} started" + (
            f" for {extra['process_type']}" if extra.get("process_type") else "")
    elif event == "package":
        named = ", ".join(extra["package_names"][:3] or extra["apk_paths"][:3])
        headline = f"Package log line ({tag}) naming {named}"
    else:
        headline = f"Log line ({tag}) naming {', '.join(o.value for o in found[:3])}"
    return Record(timestamp=moment, timestamp_desc="logged" if moment else "",
                  message=f"{headline}: {message[:300]}", fields=fields, observables=observables(*found))
