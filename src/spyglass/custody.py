"""Custody windows: everything an acquisition records while the phone was out of its owner's hands.

`--custody "2024-10-03T09:00+02:00..2024-10-03T18:30+02:00"` (check, recheck, report) names a span
of time, each end an ISO 8601 time with its UTC offset (`Z` for UTC); a time without one is
refused, since the phone's zone and the reader's may differ. From the case folder alone (the
stored records, streamed once, and detections.jsonl) it writes OUT/custody.json:

- `events`: every time of every record in the span (its own timestamp and the other times the
  Timesketch time table declares), from every module, sorted, each with a `category` when it is
  one a custody question asks about (CATEGORIES: unlocks and the lock screen, USB and adb,
  apps installed, updated or removed with the installer when known, accessibility, device
  administrators, profiles and certificates, reboots, processes first seen, files written in
  system folders) and the ids of the findings made from its record. At most MAX_EVENTS: the
  categorised ones first, then the rest; `events_left_out` says how many did not fit.
- `undated`: what the acquisition shows of those categories with no time at all (accessibility
  services and device administrators enabled, debugging keys trusted, profiles): the state when
  the acquisition was made, which cannot be placed in or out of the span.
- `findings`: the findings with a time in the span.
- `coverage`: per module, its earliest and latest record time against the span: `covers` (its
  records begin before the span and end after it), `partly` (they overlap it), `before` (they
  end before it starts), `after` (a log that starts after it: it could not have seen the span),
  `no times` (records, none with a time), `no records`, or the module's status when it could not
  be read; `latest_only` when every time it keeps is a "last ..." time (an earlier event in the
  span may have been overwritten).
- `statement`: plain sentences saying what was seen and which sources could have seen the span,
  so that "nothing happened" is only said where something could have been seen.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spyglass import wording
from spyglass.case import loads, read_case, read_detections
from spyglass.context import finding_keys, in_system_folder, record_key, row_order
from spyglass.errors import SpyglassError
from spyglass.incidents import finding_ids
from spyglass.records import Record, iso_utc
from spyglass.reports.timesketch import record_times

CUSTODY_FILE = "custody.json"
MAX_EVENTS = 5000
MAX_UNDATED = 200
MAX_MESSAGE = 300
MAX_WINDOW_TEXT = 200

UNLOCK, USB, APP, ACCESSIBILITY, ADMIN, PROFILE, REBOOT, PROCESS, SYSTEM_FILE = (
    "unlock", "usb_adb", "app", "accessibility", "device_admin", "profile", "reboot", "process", "system_file")
CATEGORIES = {
    UNLOCK: "unlock or lock screen",
    USB: "USB or adb connection",
    APP: "app installed, updated or removed",
    ACCESSIBILITY: "accessibility service",
    ADMIN: "device administrator",
    PROFILE: "profile, certificate or VPN",
    REBOOT: "reboot or start",
    PROCESS: "process first seen",
    SYSTEM_FILE: "file written in a system folder",
}
# Intrusion Logging security events (modules/android/android_intrusion_security.py) by type prefix.
INTRUSION = (("keyguard", UNLOCK), ("adb_", USB), ("media_mount", USB), ("media_unmount", USB),
             ("package_", APP), ("cert_authority", PROFILE), ("os_startup", REBOOT), ("os_shutdown", REBOOT),
             ("app_process_start", PROCESS))
APP_MODULES = frozenset({"dumpsys_package_events", "mobile_installation", "backup_info", "app_bundles",
                         "android_packages"})
PROFILE_MODULES = frozenset({"configuration_profiles", "configuration_profile_events", "network_extensions"})
FILE_MODULES = frozenset({"manifest", "android_files", "android_fs_timeline", "unexpected_executables"})
INSTALLER_FIELDS = ("installer", "requested_by", "distributor", "source_app", "installer_package")
COVERAGE_READ = frozenset({"covers", "partly", "before", "after", "no times"})
FILE_TIMES = ("file modified", "file created", "file status changed")


def parse_window(text: str) -> tuple[datetime, datetime]:
    """`START..END`, each an ISO 8601 time with a UTC offset; ValueError saying what is wrong."""
    if not isinstance(text, str) or ".." not in text:
        raise ValueError(f"{str(text)[:MAX_WINDOW_TEXT]!r}: give the window as START..END, e.g. "
                         "2024-10-03T09:00+02:00..2024-10-03T18:30+02:00")
    first, _, second = text.strip().partition("..")
    ends = []
    for name, part in (("start", first.strip()), ("end", second.strip())):
        try:
            moment = datetime.fromisoformat(part[:-1] + "+00:00" if part.endswith(("Z", "z")) else part)
        except ValueError:
            raise ValueError(f"the window's {name} {part[:MAX_WINDOW_TEXT]!r} is not an ISO 8601 time "
                             "(e.g. 2024-10-03T09:00+02:00)") from None
        if "T" not in part.upper() and " " not in part:
            raise ValueError(f"the window's {name} {part!r} is a date: give a time with its offset "
                             "(e.g. 2024-10-03T09:00+02:00)")
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"the window's {name} {part!r} has no UTC offset: add the one the times were "
                             "given in (e.g. +02:00, or Z for UTC), since the phone's zone and yours may differ")
        ends.append(moment)
    start, end = ends
    if end <= start:
        raise ValueError(f"the window ends ({second.strip()}) before it starts ({first.strip()})")
    return start, end


def category(record: Record, description: str) -> str | None:
    """The custody question a record (at one of its times) answers, if any."""
    module = record.module
    fields = record.fields if isinstance(record.fields, dict) else {}
    if module == "android_intrusion_security":
        event = str(fields.get("event_type") or "")
        return next((name for prefix, name in INTRUSION if event.startswith(prefix)), None)
    if module == "mobile_installation":
        return REBOOT if fields.get("event") == "reboot" else APP
    if module in APP_MODULES:
        return APP
    if module == "dumpsys_accessibility":
        return ACCESSIBILITY
    if module == "dumpsys_appops":
        return ACCESSIBILITY if "ACCESSIBILITY" in str(fields.get("op") or "").upper() else None
    if module == "android_settings":
        return ACCESSIBILITY if "accessibility" in str(fields.get("key") or "") else None
    if module == "dumpsys_device_admin":
        return ADMIN
    if module == "dumpsys_adb":
        return USB
    if module in PROFILE_MODULES:
        return PROFILE
    if module == "shutdown_log":
        return REBOOT if description.startswith("shutdown (reboot") else None
    if module in ("datausage", "netusage") and "first" in description:
        return PROCESS
    if module in ("taskinfo", "spindump") and "started" in description:
        return PROCESS
    if module in FILE_MODULES and description.startswith(FILE_TIMES):
        path = fields.get("device_path") or fields.get("file_path") or fields.get("path")
        return SYSTEM_FILE if isinstance(path, str) and in_system_folder(path) else None
    return None


def _installer(record: Record) -> str | None:
    fields = record.fields if isinstance(record.fields, dict) else {}
    for name in INSTALLER_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value[:200]
    return None


def _message(record: Record) -> str:
    text = " ".join(str(record.message).split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


class _Source:
    """What one module's records say of time."""

    def __init__(self) -> None:
        self.records = 0
        self.timed = 0
        self.earliest: datetime | None = None
        self.latest: datetime | None = None
        self.latest_only = True

    def add(self, times: list[tuple[datetime, str]]) -> None:
        self.records += 1
        if not times:
            return
        self.timed += 1
        for moment, description in times:
            self.earliest = moment if self.earliest is None else min(self.earliest, moment)
            self.latest = moment if self.latest is None else max(self.latest, moment)
            if not description.lower().startswith("last"):
                self.latest_only = False


def _records(case_dir: Path) -> Iterator[tuple[str, Record]]:
    folder = case_dir / "records"
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = Record.from_dict(loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise SpyglassError(f"{path}:{number}: not a spyglass record ({exc})") from exc
                yield path.stem, record


def custody(case_dir: Path, start: datetime, end: datetime, given: str | None = None) -> dict[str, Any]:
    """The custody.json document of the case for the window [start, end] (both aware)."""
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise SpyglassError("a custody window needs a start before its end, both with a UTC offset")
    zone = start.tzinfo
    low, high = start.astimezone(UTC), end.astimezone(UTC)
    case = read_case(case_dir)
    detections = read_detections(case_dir)
    keys = finding_keys(detections)
    sources: dict[str, _Source] = {}
    events: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    total = 0
    undated: list[dict[str, Any]] = []
    undated_total = 0
    for stem, record in _records(case_dir):
        module = record.module or stem
        times = record_times(record)
        sources.setdefault(module, _Source()).add(times)
        if not times:
            kind = category(record, record.timestamp_desc)
            if kind in (ACCESSIBILITY, ADMIN, USB, PROFILE) and _enabled(record, kind):
                undated_total += 1
                if len(undated) < MAX_UNDATED:
                    undated.append({"category": kind, "what": CATEGORIES[kind], "module": module,
                                    "source": record.source, "message": _message(record)})
            continue
        for moment, description in times:
            if not low <= moment <= high:
                continue
            total += 1
            kind = category(record, description)
            event = {"time": iso_utc(moment), "time_local": moment.astimezone(zone).isoformat(),
                     "category": kind, "what": CATEGORIES.get(kind or "", "other"), "module": module,
                     "source": record.source, "timestamp_desc": description, "message": _message(record),
                     "observables": [o.to_dict() for o in record.observables[:20]],
                     "findings": list(keys.get(record_key(record), []))}
            installer = _installer(record) if kind == APP else None
            if installer:
                event["installer"] = installer
            events.append(((0 if kind or event["findings"] else 1, event["time"]), event))
            if len(events) > 2 * MAX_EVENTS + 64:
                events.sort(key=lambda pair: (pair[0], row_order(pair[1])))
                del events[MAX_EVENTS:]
    events.sort(key=lambda pair: (pair[0], row_order(pair[1])))
    kept = sorted((event for _, event in events[:MAX_EVENTS]), key=row_order)
    findings = _findings(detections, low, high, zone)
    coverage = _coverage(case, sources, low, high)
    document = {
        "window": {"given": given, "start": iso_utc(low), "end": iso_utc(high),
                   "start_local": start.isoformat(), "end_local": end.isoformat()},
        "events_total": total,
        "events_left_out": total - len(kept),
        "by_category": dict(sorted(Counter(e["category"] or "other" for e in kept).items())),
        "events": kept,
        "undated": undated,
        "undated_left_out": undated_total - len(undated),
        "findings": findings,
        "coverage": coverage,
    }
    document["statement"] = _statement(document)
    return document


def _enabled(record: Record, kind: str) -> bool:
    """Whether an undated record shows something in force (an enabled service, a trusted key)."""
    fields = record.fields if isinstance(record.fields, dict) else {}
    if kind == ACCESSIBILITY and record.module == "dumpsys_accessibility":
        return fields.get("enabled") is True
    if kind == ACCESSIBILITY:    # a setting naming the enabled services
        return str(fields.get("key") or "") == "enabled_accessibility_services" and \
            str(fields.get("value") or "null") not in ("", "null")
    return True


def _findings(detections: list[Any], low: datetime, high: datetime, zone: Any) -> list[dict[str, Any]]:
    found = []
    for identifier, detection in zip(finding_ids(detections), detections, strict=True):
        moment = detection.timestamp
        if detection.severity == "info" or moment is None or not low <= moment <= high:
            continue
        found.append({"id": identifier, "time": iso_utc(moment), "time_local": moment.astimezone(zone).isoformat(),
                      "severity": detection.severity, "kind": detection.kind, "module": detection.module,
                      "message": " ".join(detection.message.split())[:MAX_MESSAGE]})
    return sorted(found, key=lambda item: (item["time"], item["module"], item["id"]))


def _coverage(case: dict[str, Any], sources: dict[str, _Source], low: datetime, high: datetime) -> list[dict[str, Any]]:
    modules = case.get("modules") if isinstance(case.get("modules"), dict) else {}
    rows = []
    for name in sorted(set(modules) | set(sources)):
        info = modules.get(name) if isinstance(modules.get(name), dict) else {}
        status = str(info.get("status") or "ok")
        source = sources.get(name, _Source())
        entry: dict[str, Any] = {"module": name, "records": source.records, "timed": source.timed,
                                 "earliest": iso_utc(source.earliest), "latest": iso_utc(source.latest)}
        if status != "ok" and not source.records:
            entry["coverage"] = status
        elif not source.records:
            entry["coverage"] = "no records"
        elif source.earliest is None or source.latest is None:
            entry["coverage"] = "no times"
        elif source.latest < low:
            entry["coverage"] = "before"
        elif source.earliest > high:
            entry["coverage"] = "after"
        elif source.earliest <= low and source.latest >= high:
            entry["coverage"] = "covers"
        else:
            entry["coverage"] = "partly"
            entry["from"], entry["to"] = iso_utc(max(low, source.earliest)), iso_utc(min(high, source.latest))
        if source.timed and source.latest_only:
            entry["latest_only"] = True
        rows.append(entry)
    return rows


def _statement(document: dict[str, Any]) -> list[str]:
    window = document["window"]
    coverage = document["coverage"]
    seen = Counter(e["module"] for e in document["events"])
    span = wording.duration(datetime.fromisoformat(window["end_local"]) - datetime.fromisoformat(window["start_local"]))
    lines = []
    total, findings = document["events_total"], len(document["findings"])
    sources = sorted({e["module"] for e in document["events"]})
    if total:
        lines.append(f"From {window['start_local']} to {window['end_local']} ({span}), the acquisition records "
                     f"{wording.count(total, 'event')} from {wording.count(len(sources), 'source')}"
                     + (f"; {wording.count(findings, 'finding')} among them." if findings else ", none of them a finding."))
    else:
        lines.append(f"From {window['start_local']} to {window['end_local']} ({span}), the acquisition records "
                     "nothing.")
    covering = [c["module"] for c in coverage if c["coverage"] == "covers"]
    zone = datetime.fromisoformat(window["start_local"]).tzinfo
    partly = [f"{c['module']} (from {_local(c['from'], zone)} to {_local(c['to'], zone)})"
              for c in coverage if c["coverage"] == "partly"]
    after = [c["module"] for c in coverage if c["coverage"] == "after"]
    before = [c["module"] for c in coverage if c["coverage"] == "before"]
    untimed = [c["module"] for c in coverage if c["coverage"] == "no times"]
    if covering:
        lines.append(f"Sources whose records span the whole window: {wording.join(covering)}.")
    if partly:
        lines.append(f"Sources whose records span part of it: {wording.join(partly)}.")
    quiet = [name for name in covering if not seen.get(name)]
    if quiet:
        lines.append(f"These could have seen the window and recorded nothing in it: {wording.join(quiet)}.")
    if after:
        lines.append(f"Sources that begin after the window, so could not have seen it: {wording.join(after)}.")
    if before:
        lines.append(f"Sources that end before the window: {wording.join(before)}.")
    if untimed:
        lines.append(f"Sources with no times, which cannot say when anything happened: {wording.join(untimed)}.")
    latest = [c["module"] for c in coverage if c.get("latest_only") and c["coverage"] in ("covers", "partly")]
    if latest:
        lines.append(f"Only the latest time of each thing is kept by {wording.join(latest)}: an earlier event in the "
                     "window may have been overwritten.")
    if not covering and not partly:
        lines.append("No source of this acquisition has records around the window: that nothing is listed does "
                     "not mean that nothing happened.")
    absent = [c["module"] for c in coverage if c["coverage"] not in COVERAGE_READ]
    if absent:
        lines.append(f"{wording.count(len(absent), 'other source')} had nothing to read in this acquisition or could not "
                     "read it (custody.json lists them).")
    undated = len(document["undated"]) + document["undated_left_out"]
    if undated:
        lines.append(f"{wording.count(undated, 'setting')} in force when the acquisition was made (accessibility "
                     "services, device administrators, debugging keys, profiles) "
                     f"{'has' if undated == 1 else 'have'} no time: whether "
                     f"{'it' if undated == 1 else 'they'} began in the window cannot be told.")
    return lines


def _local(text: str, zone: Any) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).isoformat()


def write_custody(case_dir: Path, document: dict[str, Any]) -> Path:
    target = case_dir / CUSTODY_FILE
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8",
                             errors="backslashreplace")
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise SpyglassError(f"{target}: cannot be written ({exc.strerror or exc})") from exc
    return target


def print_custody(console: Any, document: dict[str, Any]) -> None:
    """The custody story on the terminal: events in time order, findings marked, then coverage."""
    from rich.markup import escape
    from rich.table import Table

    window = document["window"]
    table = Table(title=f"Custody window {escape(window['start_local'])} .. {escape(window['end_local'])}")
    offset = window["start_local"][19:] or "UTC"
    table.add_column(f"time ({escape(offset)})", no_wrap=True)
    table.add_column("what")
    table.add_column("module", no_wrap=True)
    table.add_column("event")
    for event in document["events"]:
        mark = "[bold red]FINDING[/] " if event["findings"] else ""
        what = escape(event["what"]) if event["category"] else "[dim]other[/]"
        text = escape(event["message"]) + (f" [dim](installer {escape(event['installer'])})[/]"
                                           if event.get("installer") else "")
        table.add_row(escape(event["time_local"][:19].replace("T", " ")), what, escape(event["module"]), mark + text)
    console.print(table)
    if document["events_left_out"]:
        console.print(f"({document['events_left_out']} more events in the window are counted in custody.json, "
                      "not listed)")
    for item in document["undated"][:50]:
        console.print(f"[yellow]No time:[/] {escape(item['what'])}: {escape(item['message'])} "
                      f"({escape(item['module'])})", soft_wrap=True)
    for line in document["statement"]:
        console.print(escape(line), soft_wrap=True)

