"""OS update history: the iOS versions and builds the phone ran, and when each was first seen.

Reads:   three traces of a full filesystem dump, each read on its own:
         - /private/var/db/analyticsd/Analytics-Journal-*.ips (MVT's IOSVersionHistory): the
           first line is a JSON header, {"bug_type": "211", "timestamp": "2021-10-02
           09:11:05.00 +0200", "os_version": "iPhone OS 15.0 (19A346)", ...}.
         - /private/var/mobile/MobileSoftwareUpdate/restore.log (iLEAPP's restoreLog): lines
           holding "data = " and a JSON object whose "events" list has update events with
           originalOSVersion and currentOSVersion (builds), eventTime (Unix milliseconds, as
           text), event, deviceClass, deviceModel.
         - /private/var/Keychains/Analytics/*.db (MVT's AnalyticsIOSVersions): every Security
           framework analytics event carries the build it was logged under ("build", added by
           SFAnalytics addOSVersionToEvent), in the binary plist `data` of hard_failures,
           soft_failures, notes, all_events and rockwell rows, timestamped in Unix seconds.
Yields:  one record per build (per file), timestamped when it was first seen in that file, with
         the last time, the number of sightings, the version where the file names it and the
         major version the build number implies (build 19A346 -> iOS 15: Apple numbers builds
         by major release, 15 for iOS 11 to 22 for iOS 18, then 23 for iOS 26 - the build
         table in MVT's ios_versions.json). The same build seen by several files gives one
         record per file: each says where it was seen.
Seen:    iOS 11 to 26.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from spyglass.acquisitions.base import IOS_FS, EvidenceFile
from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import string_text
from spyglass.plists import load_plist
from spyglass.records import Record, iso_utc
from spyglass.timestamps import local_to_utc, unix_time, utc_offset

ARTIFACT = Artifact(
    name="os_update_history",
    description="iOS versions the phone ran (analytics journals, update log, analytics events)",
    paths=("/private/var/db/analyticsd/Analytics-Journal-*.ips",
           "/private/var/mobile/MobileSoftwareUpdate/restore.log",
           "/private/var/Keychains/Analytics/*.db"),
    # Backups do not carry it: a filesystem dump does.
    kinds=frozenset({IOS_FS}),
    os_versions="iOS 11-26",
)

ANALYTICS_TABLES = ("hard_failures", "soft_failures", "notes", "all_events", "rockwell")
JOURNAL, UPDATE_LOG, SECURITY_ANALYTICS = "analytics journal", "software update log", "security analytics events"
# "iPhone OS 15.0 (19A346)", "iPhone OS 17.0 (21A5248v)"
OS_VERSION = re.compile(r"(?:(?P<product>[A-Za-z][A-Za-z ]{0,30}?)\s*)?(?P<version>\d{1,3}(?:\.\d{1,3}){0,3})\s*"
                        r"\((?P<build>[^()]{1,16})\)")
BUILD = re.compile(r"(?P<major>[0-9]{1,3})[A-Z][0-9]{1,6}[a-z]?")
HEADER_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,6}))? ([+-])(\d\d)(\d\d)")
UPDATE_DATA = "data = "


@dataclass
class _Seen:
    build: str
    first: datetime | None = None
    last: datetime | None = None
    sightings: int = 0
    version: str | None = None
    product: str | None = None
    updated_from: str | None = None
    update_event: str | None = None

    def add(self, moment: datetime | None) -> None:
        self.sightings += 1
        if moment is not None:
            self.first = moment if self.first is None else min(self.first, moment)
            self.last = moment if self.last is None else max(self.last, moment)


def parse(file: EvidenceFile) -> Iterator[Record]:
    name = (file.device_path or file.source).rsplit("/", 1)[-1]
    if name.endswith(".db"):
        kind, seen = SECURITY_ANALYTICS, _analytics_builds(file)
    elif name == "restore.log":
        kind, seen = UPDATE_LOG, _update_log_builds(file)
    else:
        kind, seen = JOURNAL, _journal_build(file)
    latest = datetime.max.replace(tzinfo=UTC)
    for item in sorted(seen.values(), key=lambda s: (s.first or latest, s.build)):
        yield _record(item, kind)


def _journal_build(file: EvidenceFile) -> dict[str, _Seen]:
    header = next(file.lines(), "")
    try:
        data = json.loads(header)
    except (ValueError, RecursionError) as exc:
        raise EvidenceError(f"{file.source}: the first line is not a JSON header ({exc})") from exc
    if not isinstance(data, dict):
        raise EvidenceError(f"{file.source}: the first line is not a JSON object")
    os_version = string_text(data.get("os_version"), 128)
    match = OS_VERSION.fullmatch(os_version.strip()) if os_version else None
    if match is None or not BUILD.fullmatch(match["build"]):
        raise EvidenceError(f"{file.source}: no OS version in the header ({os_version!r})")
    seen = _Seen(match["build"], version=match["version"], product=(match["product"] or "").strip() or None)
    seen.add(_header_time(data.get("timestamp")))
    return {seen.build: seen}


def _header_time(value: Any) -> datetime | None:
    # "2021-10-02 09:11:05.00 +0200": local time with its offset.
    match = HEADER_TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        moment = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    fraction = timedelta(microseconds=int(match[2].ljust(6, "0"))) if match[2] else timedelta()
    return local_to_utc(moment + fraction, utc_offset(f"{match[3]}{match[4]}{match[5]}"))


def _update_log_builds(file: EvidenceFile) -> dict[str, _Seen]:
    seen: dict[str, _Seen] = {}
    for line in file.lines():
        _, found, payload = line.partition(UPDATE_DATA)
        if not found:
            continue
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):
            continue   # a line cut at the line bound, or not JSON after all
        events = data.get("events") if isinstance(data, dict) else None
        for event in events if isinstance(events, list) else ():
            if isinstance(event, dict):
                _update_event(event, seen)
    return seen


def _update_event(event: dict[str, Any], seen: dict[str, _Seen]) -> None:
    moment = unix_time(event.get("eventTime"))   # milliseconds, written as text
    original, current = _build(event.get("originalOSVersion")), _build(event.get("currentOSVersion"))
    for build in (original, current):
        if build is not None:
            seen.setdefault(build, _Seen(build)).add(moment)
    if current is not None and current != original and seen[current].updated_from is None:
        seen[current].updated_from = original
        seen[current].update_event = string_text(event.get("event"), 128)


def _analytics_builds(file: EvidenceFile) -> dict[str, _Seen]:
    db = file.sqlite()
    if not db.defines("hard_failures"):
        raise NotPresent(f"{file.source}: no hard_failures table")
    seen: dict[str, _Seen] = {}
    for table in ANALYTICS_TABLES:
        if not {"timestamp", "data"} <= db.columns(table):
            continue
        for row in db.rows(f'SELECT "timestamp" AS stamp, "data" AS data FROM "{table}"'):
            event = _plist(row["data"])
            build = _build(event.get("build")) if isinstance(event, dict) else None
            if build is None:
                continue
            item = seen.setdefault(build, _Seen(build))
            item.product = item.product or string_text(event.get("product"), 64)
            item.add(unix_time(row["stamp"]))
    return seen


def _plist(data: Any) -> Any:
    if not isinstance(data, bytes) or not data:
        return None
    try:
        return load_plist(data, "event")
    except EvidenceError:
        return None   # one unreadable event; the `analytics` module reports it


def _build(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else None
    return text if text and BUILD.fullmatch(text) else None


def _major_version(build: str) -> int | None:
    match = BUILD.fullmatch(build)
    prefix = int(match["major"]) if match else 0
    if 10 <= prefix <= 22:
        return prefix - 4
    return 26 if prefix == 23 else None


def _record(seen: _Seen, kind: str) -> Record:
    major = _major_version(seen.build)
    name = f"iOS {seen.version}" if seen.version else (f"iOS {major}" if major else "iOS")
    fields = {
        "build": seen.build,
        "os_version": seen.version,
        "major_version": major,
        "product": seen.product,
        "first_seen": iso_utc(seen.first),
        "last_seen": iso_utc(seen.last),
        "sightings": seen.sightings,
        "seen_in": kind,
        "updated_from": seen.updated_from,
        "update_event": seen.update_event,
    }
    message = f"{name} (build {seen.build}) seen in the {kind}"
    if seen.first:
        message += f" from {fields['first_seen']}" + (f" to {fields['last_seen']}" if seen.last != seen.first else "")
    if seen.updated_from:
        message += f", updated from build {seen.updated_from}"
    return Record(
        timestamp=seen.first,
        timestamp_desc="OS build first seen",
        message=message,
        fields=fields,
    )
