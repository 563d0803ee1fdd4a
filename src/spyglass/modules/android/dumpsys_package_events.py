"""Package installs, updates and removals recorded by battery statistics (dumpsys batterystats).

Reads:   the "batterystats" section of androidqf's dumpsys.txt or of a bug report's dumpstate
         text (see _dumpsys). Two places (AOSP BatteryStats.java; MVT's
         tests/artifacts/android_data/dumpsys_battery.txt):
         - daily stats: "  Daily from 2022-08-16-15-56-39 to 2022-08-17-01-15-45:" (local
           time; the running day is "  Current start time: ...") then "    Package changes:"
           with "      Update com.a vers=385230290" and "      Uninstall com.a" lines
           (dumpDailyPackageChanges; an install is written as an Update);
         - the history: event names "pkginst" and "pkgunin" (HISTORY_EVENT_NAMES), printed
           ' pkginst=385230290:"com.a"' (the version code, formatted as an int since Android 9)
           and ' pkgunin=u0a123:"com.a"' (the uid), after the line's time since the history
           began ("+1h26m18s315ms"); "RESET:TIME: 2022-01-04-17-30-01" / "TIME: ..." lines give
           the local wall clock at a point of the history.
         Local times become UTC only where the device's zone is known (a bug report's
         persist.sys.timezone).
Yields:  one record per event: `package_name`, `event` ("installed", "updated", "uninstalled"),
         `version` (int or None), `origin` ("daily" or "history"), for daily ones
         `period_start_local` / `period_end_local`, for history ones `time_local` and
         `history_time`; history events timestamped when the zone is known; observables app_id.
Seen:    Android 8-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, Section, duration, local_time, sections
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="dumpsys_package_events",
    description="Package installs, updates and removals (dumpsys batterystats)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 8-16",
)

DAILY = re.compile(r"  Daily from (\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d) to (\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d):")
CURRENT = re.compile(r"  Current start time: (\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)")
UPDATE = re.compile(r"\s+Update (\S{1,300}) vers=(-?\d{1,20})\s*$")
UNINSTALL = re.compile(r"\s+Uninstall (\S{1,300})\s*$")
HISTORY_EVENT = re.compile(r"[ +\-]pkg(inst|unin)=([^:\s\"]{1,40}):\"([^\"]{1,300})\"")
OFFSET = re.compile(r"\s*(0|\+[0-9dhms]{1,40})\s")
WALL = re.compile(r"TIME: (\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)")
DAILY_FORMAT = "%Y-%m-%d-%H-%M-%S"
MAX_EVENTS = 200_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    for section in sections(file, ("batterystats",)):
        yield from _records(section)


def _records(section: Section) -> Iterator[Record]:
    seen: set[tuple[Any, ...]] = set()
    period: tuple[str | None, str | None] | None = None
    in_changes = False
    wall: tuple[datetime, timedelta] | None = None
    for line in section.lines:
        if len(seen) >= MAX_EVENTS:
            return
        if match := DAILY.match(line):
            period, in_changes = (match.group(1), match.group(2)), False
            continue
        if match := CURRENT.match(line):
            period, in_changes = (match.group(1), None), False
            continue
        if period is not None:
            if line.strip() == "Package changes:":
                in_changes = True
                continue
            if in_changes:
                update, uninstall = UPDATE.match(line), UNINSTALL.match(line)
                if update or uninstall:
                    event = ("updated", update.group(1), int(update.group(2))) if update else (
                        "uninstalled", uninstall.group(1), None)
                    key = ("daily", *period, *event)
                    if key not in seen:
                        seen.add(key)
                        yield _daily(period, *event)
                    continue
                in_changes = False
            continue
        # The history comes before the daily stats.
        offset = OFFSET.match(line)
        since = duration(offset.group(1)) if offset and offset.group(1) != "0" else timedelta(0) if offset else None
        if since is not None and (clock := WALL.search(line)):
            try:
                wall = (datetime.strptime(clock.group(1), DAILY_FORMAT), since)
            except ValueError:
                wall = None
        for kind, value, package in HISTORY_EVENT.findall(line):
            local = None
            if wall is not None and since is not None:
                local = (wall[0] + (since - wall[1])).strftime("%Y-%m-%d %H:%M:%S")
            version = int(value) if kind == "inst" and value.isdigit() else None
            event = "installed" if kind == "inst" else "uninstalled"
            key = ("history", offset.group(1) if offset else None, event, package, version)
            if key in seen:
                continue
            seen.add(key)
            moment = local_time(local, "%Y-%m-%d %H:%M:%S", section.timezone)
            fields = {"package_name": package, "event": event, "version": version, "origin": "history",
                      "time_local": local, "time": iso_utc(moment), "history_time": offset.group(1) if offset else None}
            yield Record(timestamp=moment, timestamp_desc=f"package {event}" if moment else "",
                         message=f"Package {package} {event}" + (f" (version {version})" if version is not None else ""),
                         fields=fields, observables=observables(("app_id", package)))


def _daily(period: tuple[str | None, str | None], event: str, package: str, version: int | None) -> Record:
    fields = {"package_name": package, "event": event, "version": version, "origin": "daily",
              "period_start_local": period[0], "period_end_local": period[1]}
    when = f"between {period[0]} and {period[1]}" if period[1] else f"since {period[0]}"
    return Record(timestamp=None, timestamp_desc="",
                  message=f"Package {package} {event}" + (f" to version {version}" if version is not None else "")
                  + f" ({when}, local time)",
                  fields=fields, observables=observables(("app_id", package)))
