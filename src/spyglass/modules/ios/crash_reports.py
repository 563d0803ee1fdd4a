"""Crash, jetsam, stackshot and resource reports (.ips): which programs crashed, ran out of memory,
hung or used too much, with their path and bundle, and the processes those reports list.

Reads:   /private/var/mobile/Library/Logs/CrashReporter/**/*.ips (and *.ips.synced, the copy
         marked as sent to a computer) on a filesystem dump, Retired/ and Panics/ included; in
         a sysdiagnose crashes_and_spins/**/*.ips. Two forms share the extension:
         - since iOS 15 ("Interpreting the JSON format of a crash report", Apple developer
           documentation): a one-line JSON header (bug_type, timestamp, os_version, incident_id,
           name, app_name, bundleID, app_version) then a JSON body. A crash (bug_type 309) body
           holds procName, procPath, pid, parentProc, parentPid, bundleInfo.CFBundleIdentifier,
           exception {type, signal, subtype, codes}, termination {namespace, code, indicator,
           reasons}, captureTime, modelCode, osVersion {train, build}, incident. A jetsam event
           (298) body lists processes [{name, pid, states, reason (the killed ones)}] and
           largestProcess; a stackshot (288) and a panic (210) body processByPid
           {pid: {procname, pid}} (log2timeline/plaso ips_plugins; blacktop/ipsw pkg/crashlog).
         - before (bug_type 109 crashes, and still for microstackshot reports such as 202 CPU
           usage and 145 disk writes): the same JSON header, then text "Key: value" lines:
           Incident Identifier, Hardware Model, Process: name [pid], Path, Identifier,
           Parent Process: name [pid], Date/Time, OS Version, Exception Type: EXC_X (SIGY);
           Command, PID, Event, Action taken in microstackshot reports.
         bug_type names follow Apple's OSAnalytics log types (as kept in blacktop/ipsw
         pkg/crashlog/data/log_type.json). Times are "YYYY-MM-DD HH:MM:SS.ff +ZZZZ".
         Process names are the kernel's (procName, jetsam name, stackshot procname), cut short
         by it: a match may be a prefix. The JSON is bounded: size, and nesting checked before
         it is parsed (Python's json has no depth limit of its own).
Yields:  one record per report (record_type "report"), timestamped at capture, with process,
         file_path and app_id observables (and the parent process); one record per process a
         jetsam event, stackshot or panic lists ("jetsam_process", "stackshot_process"), with a
         process observable.
Seen:    iOS 9-18 (text forms before iOS 15, JSON since).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from spyglass.acquisitions.base import IOS_FS, SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.plists import load_plist
from spyglass.records import Record, iso_utc, observables, scalar_field, text_field
from spyglass.timestamps import utc_offset

ARTIFACT = Artifact(
    name="crash_reports",
    description="Crash, jetsam, hang and resource reports (.ips)",
    paths=("/private/var/mobile/Library/Logs/CrashReporter/**/*.ips",
           "/private/var/mobile/Library/Logs/CrashReporter/**/*.ips.synced"),
    extra={SYSDIAGNOSE: ("crashes_and_spins/**/*.ips", "crashes_and_spins/**/*.ips.synced")},
    # A backup holds no crash reports (they are copied off the phone by their own service).
    kinds=frozenset({IOS_FS, SYSDIAGNOSE}),
    os_versions="iOS 9-18",
)

MAX_IPS_BYTES = 32 * 1024 * 1024    # stackshots are the largest (Apple's own limit is 10 MB)
MAX_HEADER_BYTES = 64 * 1024
MAX_JSON_DEPTH = 64                 # real reports nest under 12 levels
MAX_LISTED_PROCESSES = 10_000
MAX_TEXT_LINES = 400                # the text header comes first; threads and images follow
MAX_REASONS = 50

# bug_type -> what the report is (Apple OSAnalytics log types).
REPORT_TYPES = {
    "109": "crash", "309": "crash", "409": "watchdog crash",
    "298": "jetsam", "198": "jetsam",
    "288": "stackshot", "509": "stackshot",
    "210": "panic", "110": "panic",
    "185": "resource limit", "385": "resource limit", "227": "thread limit", "327": "thread limit",
    "202": "cpu usage", "206": "cpu usage", "142": "cpu wakeups", "145": "disk writes",
    "222": "hang", "223": "hang", "228": "hang", "310": "hang",
    "308": "os fault", "187": "sandbox violation", "211": "analytics",
    "151": "forced reset", "183": "software update", "174": "microstackshot",
}

# Keys one of which a report body has (crash, jetsam, stackshot, panic).
BODY_KEYS = ("bug_type", "procName", "procPath", "incident", "captureTime", "exception", "bundleInfo",
             "processes", "largestProcess", "processByPid", "panicString")
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]++")
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})\Z")
_TEXT_KEY = re.compile(r"([A-Za-z][A-Za-z /]{0,30}?):[ \t]+(\S.*)")
# The text header's keys kept (legacy crash reports and microstackshot reports).
TEXT_KEYS = frozenset({
    "Incident Identifier", "CrashReporter Key", "Hardware Model", "Hardware model", "Process", "Path",
    "Identifier", "Version", "Code Type", "Role", "Parent Process", "Parent", "Coalition", "Date/Time",
    "End time", "Launch Time", "OS Version", "Release Type", "Report Version", "Exception Type",
    "Exception Subtype", "Exception Codes", "Termination Reason", "Triggered by Thread", "Command", "PID",
    "Event", "Action taken", "Architecture"})
_NAME_PID = re.compile(r"(.*?)\s*\[(\d{1,10})\]")
_EXCEPTION = re.compile(r"(\S+)(?:\s+\((\S+)\))?")
_TEXT_STOP = ("Thread ", "Binary Images", "Heaviest stack", "Powerstats for", "Backtrace")


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.read_bytes(MAX_IPS_BYTES)
    if not data.strip():
        return
    header, body, form = _read(data, file.source)
    report = _report(header, body, form)
    yield _report_record(report)
    for process in _listed_processes(body, form):
        yield _process_record(report, process)


# -- reading ---------------------------------------------------------------------------------

def _read(data: bytes, source: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(header, body, form): form is "json", "plist", "text" (the body's) or "header only" when
    the body is missing or unreadable (its error then under the body's "_error")."""
    content = data.lstrip()
    first_line, _, rest = content.partition(b"\n")
    header: dict[str, Any] = {}
    body_bytes = content
    if first_line.startswith(b"{"):
        try:
            header = _json_object(first_line, source, "header", MAX_HEADER_BYTES)
            body_bytes = rest
        except EvidenceError:
            # Not a one-line header: the whole file may be one JSON object.
            return {}, _known(_json_object(content, source, "report", MAX_IPS_BYTES), source), "json"
    body_bytes = body_bytes.strip()
    try:
        if body_bytes.startswith(b"{"):
            return header, _json_object(body_bytes, source, "body", MAX_IPS_BYTES), "json"
        if body_bytes.startswith((b"<?xml", b"<plist", b"bplist")):
            body = load_plist(body_bytes, source)
            if not isinstance(body, dict):
                raise EvidenceError(f"{source}: the report body is a plist but not a dictionary")
            return header, body if header else _known(body, source), "plist"
    except EvidenceError as exc:
        if not header:
            raise
        # A readable header still says which program the report is about: kept.
        return header, {"_error": str(exc)}, "header only"
    body = _text_fields(body_bytes)
    if not body:
        if not header:
            raise EvidenceError(f"{source}: not a crash report (no JSON header and no report fields)")
        return header, {}, "header only"
    return header, body, "text"


def _known(body: dict[str, Any], source: str) -> dict[str, Any]:
    """A body without a header must look like a report itself."""
    if not any(key in body for key in BODY_KEYS):
        raise EvidenceError(f"{source}: not a crash report (no header, and none of the report's keys)")
    return body


def _json_object(data: bytes, source: str, part: str, limit: int) -> dict[str, Any]:
    if len(data) > limit:
        raise EvidenceError(f"{source}: the {part} is {len(data)} bytes, over the {limit} byte bound")
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise EvidenceError(f"{source}: the {part} JSON is nested {depth} deep, over the bound of {MAX_JSON_DEPTH}")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise EvidenceError(f"{source}: the {part} is not valid JSON ({type(exc).__name__}: {exc})"[:300]) from exc
    if not isinstance(value, dict):
        raise EvidenceError(f"{source}: the {part} is JSON but not an object")
    return value


def json_depth(data: bytes) -> int:
    """How deep brackets nest in `data`, strings left out: computed in C (regex, translate,
    accumulate), so a file of millions of brackets costs no Python loop."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    return max(0, max(accumulate(memoryview(brackets.translate(_DEPTH_STEPS)).cast("b")), default=0))


def _text_fields(data: bytes) -> dict[str, str]:
    """The first "Key: value" of each key in the report's text header."""
    found: dict[str, str] = {}
    text = data[:1024 * 1024].decode("utf-8", errors="replace")
    for count, line in enumerate(text.splitlines()):
        if count >= MAX_TEXT_LINES or line.startswith(_TEXT_STOP):
            break
        match = _TEXT_KEY.match(line[:4096])
        if match and match.group(1) in TEXT_KEYS:
            found.setdefault(match.group(1), match.group(2).strip())
    return found


# -- the report ------------------------------------------------------------------------------

def _report(header: dict[str, Any], body: dict[str, Any], form: str) -> dict[str, Any]:
    """The report's facts, from whichever of header and body holds them."""
    if form == "text":
        return _text_report(header, body)
    if form == "header only":
        return {**_text_report(header, {}), "form": form, "body_error": _text(body.get("_error"))}
    bug_type = _bug_type(header.get("bug_type")) or _bug_type(body.get("bug_type"))
    bundle_info = _dict(body.get("bundleInfo"))
    exception = _dict(body.get("exception"))
    termination = _dict(body.get("termination"))
    os_version = _dict(body.get("osVersion"))
    train, build = _text(os_version.get("train")), _text(os_version.get("build"))
    reasons = termination.get("reasons")
    processes = body.get("processes")
    report = {
        "bug_type": bug_type,
        "incident_id": _text(header.get("incident_id")) or _text(body.get("incident")),
        "os_version": _text(header.get("os_version")) or (f"{train} ({build})" if train and build else train)
                      or _text(body.get("build")),
        "model": _text(body.get("modelCode")) or _text(body.get("product")),
        "process_name": _text(body.get("procName")) or (_text(header.get("name")) if bug_type not in _LISTS else None),
        "process_path": _text(body.get("procPath")),
        "pid": _int(body.get("pid")),
        "bundle_id": _text(header.get("bundleID")) or _text(bundle_info.get("CFBundleIdentifier")),
        "app_name": _text(header.get("app_name")),
        "app_version": _text(header.get("app_version")) or _text(bundle_info.get("CFBundleShortVersionString")),
        "parent_process_name": _text(body.get("parentProc")),
        "parent_pid": _int(body.get("parentPid")),
        "user_id": _int(body.get("userID")),
        "exception_type": _text(exception.get("type")),
        "exception_signal": _text(exception.get("signal")),
        "exception_subtype": _text(exception.get("subtype")),
        "exception_codes": _text(exception.get("codes")),
        "termination_namespace": _text(termination.get("namespace")),
        "termination_code": scalar_field(termination.get("code")),
        "termination_indicator": _text(termination.get("indicator")),
        "termination_reasons": [_text(r) for r in reasons[:MAX_REASONS] if _text(r)]
                               if isinstance(reasons, list) else None,
        "reason": _text(body.get("reason")) or _text(body.get("panicString"), 4096),
        "largest_process": _text(body.get("largestProcess")),
        "process_count": len(processes) if isinstance(processes, list) else None,
        "captured_at_raw": _text(body.get("captureTime")) or _text(header.get("timestamp"))
                           or _text(body.get("date")),
        "form": form,
    }
    report["captured_at"] = (_ips_time(body.get("captureTime")) or _ips_time(header.get("timestamp"))
                             or _ips_time(body.get("date")))
    if isinstance(processes, list):
        killed = [{"name": _text(p.get("name")), "pid": _int(p.get("pid")), "reason": _text(p.get("reason"))}
                  for p in processes[:MAX_LISTED_PROCESSES] if isinstance(p, dict) and _text(p.get("reason"))]
        report["killed_processes"] = killed[:100] or None
    return report


def _text_report(header: dict[str, Any], text: dict[str, str]) -> dict[str, Any]:
    process_name, pid = _name_pid(text.get("Process"))
    parent_name, parent_pid = _name_pid(text.get("Parent Process") or text.get("Parent"))
    exception_type, exception_signal = None, None
    if text.get("Exception Type"):
        match = _EXCEPTION.match(text["Exception Type"])
        if match:
            exception_type, exception_signal = match.group(1), match.group(2)
    bug_type = _bug_type(header.get("bug_type"))
    raw_time = text.get("Date/Time") or _text(header.get("timestamp"))
    return {
        "bug_type": bug_type,
        "incident_id": _text(header.get("incident_id")) or text.get("Incident Identifier"),
        "os_version": _text(header.get("os_version")) or text.get("OS Version"),
        "model": text.get("Hardware Model") or text.get("Hardware model"),
        "process_name": process_name or text.get("Command") or _text(header.get("name")),
        "process_path": text.get("Path"),
        "pid": pid if pid is not None else _int(text.get("PID")),
        "bundle_id": _text(header.get("bundleID")) or text.get("Identifier"),
        "app_name": _text(header.get("app_name")),
        "app_version": _text(header.get("app_version")) or text.get("Version"),
        "parent_process_name": parent_name,
        "parent_pid": parent_pid,
        "exception_type": exception_type,
        "exception_signal": exception_signal,
        "exception_codes": text.get("Exception Codes"),
        "termination_indicator": text.get("Termination Reason"),
        "event": text.get("Event"),
        "action_taken": text.get("Action taken"),
        "captured_at_raw": raw_time,
        "captured_at": _ips_time(text.get("Date/Time")) or _ips_time(header.get("timestamp")),
        "form": "text",
    }


_LISTS = {"298", "198", "288", "509", "210", "110"}   # reports of many processes, not of one


def _report_record(report: dict[str, Any]) -> Record:
    bug_type = report.get("bug_type")
    report_type = REPORT_TYPES.get(bug_type or "", f"bug type {bug_type}" if bug_type else "report")
    name, path, bundle_id = report.get("process_name"), report.get("process_path"), report.get("bundle_id")
    fields = {"record_type": "report", "report_type": report_type,
              **{key: value for key, value in report.items() if key != "captured_at" and value is not None}}
    fields["captured_at"] = iso_utc(report.get("captured_at"))
    who = name or report.get("app_name") or "the system"
    if bundle_id and bundle_id != name:
        who += f" ({bundle_id})"
    what = report.get("exception_type") or ""
    if report.get("exception_signal"):
        what += f" ({report['exception_signal']})"
    if report_type == "jetsam":
        message = (f"Jetsam (out of memory) event: {report.get('process_count') or 0} processes listed, "
                   f"largest {report.get('largest_process') or 'unknown'}")
    elif report.get("event"):
        message = f"{report_type.capitalize()} report for {who}: {report['event']}"
    else:
        message = f"{report_type.capitalize()} report for {who}" + (f": {what}" if what else "")
    parent = report.get("parent_process_name")
    return Record(
        timestamp=report.get("captured_at"),
        timestamp_desc=f"{report_type} report captured",
        message=message,
        fields=fields,
        observables=observables(("process", name), ("file_path", path), ("app_id", bundle_id),
                                ("process", parent if parent != "UNKNOWN" else None)),
    )


def _listed_processes(body: dict[str, Any], form: str) -> Iterator[dict[str, Any]]:
    """The processes a jetsam event, stackshot or panic lists (by name and pid)."""
    if form not in ("json", "plist"):
        return
    processes = body.get("processes")
    if isinstance(processes, list):
        for entry in processes[:MAX_LISTED_PROCESSES]:
            if isinstance(entry, dict) and _text(entry.get("name")):
                states = entry.get("states")
                yield {"record_type": "jetsam_process", "process_name": _text(entry.get("name")),
                       "pid": _int(entry.get("pid")), "reason": _text(entry.get("reason")),
                       "states": [s for s in states[:20] if isinstance(s, str)] if isinstance(states, list) else None,
                       "uuid": _text(entry.get("uuid"))}
    by_pid = body.get("processByPid")
    if isinstance(by_pid, dict):
        for count, entry in enumerate(by_pid.values()):
            if count >= MAX_LISTED_PROCESSES:
                break
            if isinstance(entry, dict) and _text(entry.get("procname")):
                yield {"record_type": "stackshot_process", "process_name": _text(entry.get("procname")),
                       "pid": _int(entry.get("pid")), "user_id": _int(entry.get("userID"))}


def _process_record(report: dict[str, Any], process: dict[str, Any]) -> Record:
    bug_type = report.get("bug_type")
    report_type = REPORT_TYPES.get(bug_type or "", f"bug type {bug_type}" if bug_type else "report")
    fields = {**{key: value for key, value in process.items() if value is not None},
              "report_type": report_type, "bug_type": bug_type, "incident_id": report.get("incident_id")}
    name = process["process_name"]
    if process.get("reason"):
        message = f"Process {name} [{process.get('pid')}] killed by jetsam ({process['reason']})"
    else:
        message = f"Process {name} [{process.get('pid')}] listed in a {report_type} report"
    return Record(
        timestamp=report.get("captured_at"),
        timestamp_desc=f"{report_type} report captured",
        message=message,
        fields=fields,
        observables=observables(("process", name)),
    )


# -- values ----------------------------------------------------------------------------------

def _ips_time(value: Any) -> datetime | None:
    """"2021-12-08 14:17:31.5754 -0500" as UTC; None for anything else (no zone: not a time)."""
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip()[:64])
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zone = match.group(7) or "0", match.group(8)
    tz = utc_offset(zone)
    if tz is None:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, int(fraction[:6].ljust(6, "0")), tzinfo=tz)
    except ValueError:
        return None
    moment = moment.astimezone(UTC)
    return moment if 1990 <= moment.year < 2100 else None


def _bug_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value < 100_000 else None
    text = _text(value, 32)
    return text.strip() if text and text.strip() else None


def _name_pid(value: str | None) -> tuple[str | None, int | None]:
    if not value:
        return None, None
    match = _NAME_PID.fullmatch(value)
    if match:
        return (match.group(1) or None), int(match.group(2))
    return value, None


def _text(value: Any, limit: int = 1024) -> str | None:
    text = text_field(value, limit)
    return text if text else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(1 << 63) <= value < (1 << 63) else None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 19:
        return int(value.strip())
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
