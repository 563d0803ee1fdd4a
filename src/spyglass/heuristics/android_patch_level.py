"""An Android security patch level more than six months old.

Reads `android_getprop` (ro.build.version.security_patch, "YYYY-MM-DD", the monthly Android
Security Bulletin the build includes; source.android.com/docs/security/bulletin) and compares it
with the moment of the acquisition: the `android_acquisition` record's (androidqf's
acquisition.json, a bug report's dumpstate header; its local time read as UTC when the zone is
unknown, at most 14 hours off), else an estimate, the newest time of `android_packages`,
`dumpsys_package_events` and the last boot (getprop ro.runtime.firstboot) (heuristics/_android.py
`latest_time`: a little before the acquisition on a phone in use). The message says which was
used. A phone six months or more behind lacks fixes for flaws that spyware exploits (MVT warns at
the same age, mvt src/mvt/android/utils.py): low, informational. With no time to compare with,
nothing is reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

PATCH_PROPERTY = "ro.build.version.security_patch"
MONTHS = 6
TIME_MODULES = ("android_packages", "dumpsys_package_events", "android_getprop")

HEURISTIC = Heuristic(
    name="android_patch_level",
    description="Android security patch level more than six months old",
    modules=frozenset({*TIME_MODULES, _android.ACQUISITION_MODULE}),
    keep=lambda record: (record.module != "android_getprop"
                         or record.fields.get("property") in (PATCH_PROPERTY, _android.BOOT_PROPERTY)),
)


def _months_between(earlier: datetime, later: datetime) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    found = _android.reference_time(records, TIME_MODULES)
    if found is None:
        return
    reference, exact = found
    for record in records.get("android_getprop", ()):
        if record.fields.get("property") != PATCH_PROPERTY:
            continue
        value = _android.text(record.fields.get("value")).strip()
        try:
            patch = datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            continue
        months = _months_between(patch, reference)
        if months >= MONTHS:
            yield suspicious(
                HEURISTIC, record,
                f"The phone's last security update is from {value}, at least {months} months before it was "
                f"checked. {_android.basis(reference, exact)} It lacks fixes for flaws that spyware uses to get in: "
                "install the system updates (Settings > System > Software update), or consider a phone that "
                "still receives them.",
                severity="low", observable=Observable("android_property", PATCH_PROPERTY))
