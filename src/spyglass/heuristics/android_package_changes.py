"""Apps removed, or put back to an older version, in the days before the acquisition.

Reads `dumpsys_package_events` (the "Package changes" battery statistics keep: installed,
updated, uninstalled, with the version code), the times of `android_packages` and the last boot
(getprop ro.runtime.firstboot). The moment of the acquisition is the `android_acquisition`
record's (androidqf's acquisition.json, a bug report's dumpstate header), else estimated as the
newest of those times (_android.reference_time); the message says which. An event
without a UTC time (androidqf's dumpsys.txt names no time zone) is placed at the local time
battery statistics printed, read as UTC. Within the WINDOW_DAYS before the acquisition:
  - an app uninstalled: low. People remove apps every day, but whoever installed stalkerware
    may remove it before a phone is checked; Android's own and phone makers' packages are not
    reported;
  - an app installed or updated to a lower version than it had before (a downgrade): medium.
    Stores never do this; an older, vulnerable version is put back by hand or by an attacker.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

WINDOW_DAYS = 14
TIME_MODULES = ("dumpsys_package_events", "android_packages", "android_getprop")

HEURISTIC = Heuristic(
    name="android_package_changes",
    description="Apps uninstalled or downgraded shortly before the acquisition",
    modules=frozenset({*TIME_MODULES, _android.ACQUISITION_MODULE}),
    keep=lambda record: record.module != "android_getprop" or record.fields.get("property") == _android.BOOT_PROPERTY,
)


def _version(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        return int(value.strip())
    return None


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    found = _android.reference_time(records, TIME_MODULES)
    if found is None:
        return
    reference, exact = found
    checked = _android.basis(reference, exact)
    start = reference - timedelta(days=WINDOW_DAYS)
    events = [(when, r) for r in records.get("dumpsys_package_events", ()) if (when := _android.event_time(r))]
    events.sort(key=lambda pair: pair[0])
    highest: dict[str, int] = {}
    for when, record in events:
        fields = record.fields
        name = _android.text(fields.get("package_name"))
        event = fields.get("event")
        if not name:
            continue
        recent = when >= start
        observable = Observable("app_id", name)
        if event == "uninstalled":
            if recent and not _android.platform_name(name):
                yield suspicious(
                    HEURISTIC, record,
                    f"The app {name} was uninstalled shortly before the phone was checked. This is often "
                    f"ordinary; but if nobody you know removed it, it may have been removed to hide it. {checked}",
                    severity="low", observable=observable)
            continue
        version = _version(fields.get("version"))
        if event not in ("installed", "updated") or version is None:
            continue
        before = highest.get(name)
        if before is not None and version < before and recent:
            yield suspicious(
                HEURISTIC, record,
                f"The app {name} was put back to an older version ({version}, after {before}) shortly before "
                "the phone was checked. App stores never do this; an older version may have a flaw an "
                f"attacker wants. Update the app, and have the phone checked if you did not do this. {checked}",
                severity="medium", observable=observable)
        highest[name] = max(version, before or version)
