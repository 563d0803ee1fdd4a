"""Operation Triangulation: the pattern Kaspersky's triangle_check looks for in iOS backups.

Reads the `manifest`, `datausage`, `os_analytics_ad_daily` and `locationd_clients` records.
Kaspersky (June 2023) published these rules with triangle_check:
  - exact: the process BackupAgent using the network (in DataUsage.sqlite or in the
    osanalytics addaily baseline); BackupAgent is a deprecated binary the implant ran as;
  - pattern: a timeline is built from
      file events: modified, status-changed and birth times (Manifest.db) of
        MediaDomain Library/SMS/Attachments/* folders, RootDomain
        Library/Preferences/com.apple.ImageIO.plist, HomeDomain
        Library/Preferences/com.apple.locationd.StatusBarIconManager.plist and HomeDomain
        Library/Preferences/com.apple.imservice.ids.FaceTime.plist;
      network events: first, last and live-usage times of nehelper,
        com.apple.WebKit.WebContent, powerd/com.apple.datausage.diagnostics and
        lockdownd/com.apple.datausage.security (and BackupAgent);
      location events: LocationTimeStopped of the IonosphereHarvest and WRMLinkSelection
        location bundles;
    then windows of up to 10 consecutive events within 5 minutes are examined. An SMS
    attachment path deeper than Attachments/xx/yy (a real attachment) clears the window; each
    attachment folder must show both a modification and a status change. A window touching at
    least two kinds among attachment folders, other files, network and location is reported.
Findings are high: Kaspersky calls the pattern a reliable trace, though on its own it is not
proof.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record, parse_iso

HEURISTIC = Heuristic(
    name="operation_triangulation",
    description="Operation Triangulation pattern (Kaspersky triangle_check rules)",
    modules=frozenset({"manifest", "datausage", "os_analytics_ad_daily", "locationd_clients"}),
    keep=lambda record: record.module != "manifest" or _watched(record.fields),
)

EXACT_PROCESSES = frozenset({"BackupAgent"})
PATTERN_PROCESSES = frozenset({"nehelper", "com.apple.WebKit.WebContent", "powerd/com.apple.datausage.diagnostics",
                               "lockdownd/com.apple.datausage.security"}) | EXACT_PROCESSES
WATCHED_FILES = frozenset({
    ("RootDomain", "Library/Preferences/com.apple.ImageIO.plist"),
    ("HomeDomain", "Library/Preferences/com.apple.locationd.StatusBarIconManager.plist"),
    ("HomeDomain", "Library/Preferences/com.apple.imservice.ids.FaceTime.plist"),
})
SMS_ATTACHMENTS = ("MediaDomain", "Library/SMS/Attachments/")
LOCATION_CLIENTS = frozenset({
    "com.apple.locationd.bundle-/System/Library/LocationBundles/IonosphereHarvest.bundle",
    "com.apple.locationd.bundle-/System/Library/LocationBundles/WRMLinkSelection.bundle",
})
FILE_TIMES = (("modified", "M"), ("status_changed", "C"), ("created", "B"))
WINDOW_EVENTS = 10
WINDOW_SPAN = timedelta(minutes=5)
KIND_WORDS = {"sms": "SMS attachment folders changed", "file": "image or location settings files changed",
              "net": "system processes used the network", "location": "a location service stopped"}


@dataclass(frozen=True)
class Event:
    moment: datetime
    kind: str          # "fs", "net", "location"
    what: str          # a path, a process or a location client
    change: str        # M, C, B for files
    record: Record


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    yield from _exact(records)
    events = sorted(_events(records), key=lambda e: (e.moment, e.kind, e.what, e.change))
    # One finding per burst: windows starting within five minutes of a reported one are the
    # same burst seen from a later event.
    reported_at: datetime | None = None
    for start in range(len(events)):
        window = [e for e in events[start:start + WINDOW_EVENTS] if e.moment - events[start].moment <= WINDOW_SPAN]
        if reported_at is not None and window[0].moment - reported_at <= WINDOW_SPAN:
            continue
        kinds = _window_kinds(window)
        if kinds is None or len(kinds) < 2:
            continue
        reported_at = window[0].moment
        described = ", ".join(KIND_WORDS[k] for k in ("sms", "file", "net", "location") if k in kinds)
        yield suspicious(
            HEURISTIC, window[0].record,
            f"Within {_minutes(window)} on {window[0].moment:%Y-%m-%d %H:%M} UTC: {described}; this is the "
            "pattern of the Operation Triangulation spyware",
            severity="high")


def _exact(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    seen: set[tuple[str, str, str]] = set()
    for module in ("datausage", "os_analytics_ad_daily"):
        for record in records.get(module, ()):
            name = record.fields.get("process_name")
            if name not in EXACT_PROCESSES:
                continue
            key = (module, record.source, name)
            if key in seen:
                continue
            seen.add(key)
            yield suspicious(
                HEURISTIC, record,
                f"The process {name} used the network; the Operation Triangulation spyware ran under this "
                "name, which normal iPhones no longer use",
                severity="high", observable=Observable("process", name))


def _watched(fields: Mapping[str, Any]) -> bool:
    """A Manifest entry the pattern watches: the settings files or an SMS attachment folder."""
    domain, path = fields.get("domain"), fields.get("relative_path") or ""
    return (domain, path) in WATCHED_FILES or (domain == SMS_ATTACHMENTS[0] and path.startswith(SMS_ATTACHMENTS[1]))


def _events(records: Mapping[str, Sequence[Record]]) -> Iterator[Event]:
    for record in records.get("manifest", ()):
        fields = record.fields
        path = fields.get("relative_path") or ""
        if _watched(fields):
            for field_name, change in FILE_TIMES:
                moment = _time(fields.get(field_name))
                if moment:
                    yield Event(moment, "fs", path, change, record)
    for record in records.get("datausage", ()):
        name = record.fields.get("process_name")
        if name not in PATTERN_PROCESSES:
            continue
        stamps = (record.fields.get("first_seen"), record.fields.get("last_seen")) \
            if record.fields.get("record_type") == "process" else (record.timestamp,)
        for stamp in stamps:
            moment = _time(stamp)
            if moment:
                yield Event(moment, "net", name, "", record)
    for record in records.get("os_analytics_ad_daily", ()):
        name = record.fields.get("process_name")
        if name in PATTERN_PROCESSES and record.timestamp:
            yield Event(record.timestamp, "net", name, "", record)
    for record in records.get("locationd_clients", ()):
        moment = _time(record.fields.get("location_time_stopped"))
        if record.fields.get("client") in LOCATION_CLIENTS and moment:
            yield Event(moment, "location", record.fields["client"], "", record)


def _window_kinds(window: list[Event]) -> set[str] | None:
    """The kinds of event in a window, or None when the window holds a real SMS attachment."""
    kinds: set[str] = set()
    folders: dict[str, set[str]] = {}
    for event in window:
        if event.kind != "fs":
            kinds.add(event.kind)
        elif event.what.startswith(SMS_ATTACHMENTS[1]):
            # Attachments/xx and Attachments/xx/yy are folders; anything deeper is an attachment
            # the person received, which explains the folder changes.
            if event.what.count("/") not in (3, 4):
                return None
            folders.setdefault(event.what, set()).add(event.change)
        else:
            kinds.add("file")
    if any(not {"M", "C"} <= changes for changes in folders.values()):
        return None
    if folders:
        kinds.add("sms")
    return kinds


def _minutes(window: list[Event]) -> str:
    seconds = int((window[-1].moment - window[0].moment).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return parse_iso(value)
        except ValueError:
            return None
    return None
