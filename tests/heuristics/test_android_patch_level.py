from __future__ import annotations

from datetime import UTC, datetime

from spyglass.heuristics import android_patch_level
from spyglass.records import Observable, Record
from tests.builders.android_records import getprop, package, package_event, run

# ro.runtime.firstboot: milliseconds since 1970 of the last boot (2024-06-01T08:00:00Z).
BOOT_2024_06_01 = str(int(datetime(2024, 6, 1, 8, tzinfo=UTC).timestamp() * 1000))


def test_android_patch_level_old():
    records = [getprop("ro.build.version.security_patch", "2023-11-05"),
               getprop("ro.runtime.firstboot", BOOT_2024_06_01)]
    found = run(android_patch_level, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("android_property", "ro.build.version.security_patch"), "low")]
    assert "2023-11-05, at least 6 months" in found[0].message


def test_android_patch_level_reference_from_apps():
    # No boot time: the newest app update or package event stands for the acquisition time.
    records = [getprop("ro.build.version.security_patch", "2023-01-01"),
               package("com.whatsapp", last_update=datetime(2023, 9, 2, tzinfo=UTC)),
               package_event("com.spotify.music", "updated", 1200, datetime(2023, 7, 1, tzinfo=UTC))]
    found = run(android_patch_level, records)
    assert "at least 8 months" in found[0].message


def test_android_patch_level_near_miss():
    # Five months and a few weeks behind; a boot time from a phone that booted without a clock;
    # no time at all to compare with.
    assert run(android_patch_level, [getprop("ro.build.version.security_patch", "2024-01-05"),
                                     getprop("ro.runtime.firstboot", BOOT_2024_06_01)]) == []
    assert run(android_patch_level, [getprop("ro.build.version.security_patch", "2020-01-05"),
                                     getprop("ro.runtime.firstboot", "17007685282")]) == []
    assert run(android_patch_level, [getprop("ro.build.version.security_patch", "2020-01-05"),
                                     package("com.whatsapp")]) == []
    assert run(android_patch_level, [getprop("ro.build.version.security_patch", "unknown"),
                                     getprop("ro.runtime.firstboot", BOOT_2024_06_01)]) == []


def _acquisition(when: datetime | None, local: str | None = None) -> Record:
    # The android_acquisition record as the module yields it (its fields trimmed to those read).
    fields = {"acquired_at": when.isoformat() if when else None, "acquired_at_local": local, "timezone": None}
    return Record(when, "acquisition made" if when else "", "Acquisition", fields, (), "android_acquisition",
                  "acquisition.json")


def test_android_patch_level_acquisition_time_exact():
    # The acquisition's own time (2024-06-01), though every app record is months older.
    records = [getprop("ro.build.version.security_patch", "2023-12-01"),
               package("com.whatsapp", last_update=datetime(2024, 2, 2, tzinfo=UTC)),
               _acquisition(datetime(2024, 6, 1, 10, tzinfo=UTC))]
    [found] = run(android_patch_level, records)
    assert "at least 6 months" in found.message
    assert "It was checked on 2024-06-01, the date the acquisition records." in found.message
    # The estimate alone (the newest app update) would have said nothing.
    assert run(android_patch_level, records[:2]) == []


def test_android_patch_level_acquisition_local_time():
    # A bug report whose zone is unknown: its local time read as UTC.
    records = [getprop("ro.build.version.security_patch", "2023-12-01"),
               _acquisition(None, "2024-06-01 12:00:00")]
    [found] = run(android_patch_level, records)
    assert "checked on 2024-06-01" in found.message


def test_android_patch_level_estimate_said():
    records = [getprop("ro.build.version.security_patch", "2023-11-05"),
               getprop("ro.runtime.firstboot", BOOT_2024_06_01)]
    [found] = run(android_patch_level, records)
    assert "the newest app update or restart on the phone, 2024-06-01, stands in for it" in found.message


def test_android_patch_level_acquisition_near_miss():
    # Five months behind the acquisition; an acquisition record without any time falls back.
    assert run(android_patch_level, [getprop("ro.build.version.security_patch", "2024-01-05"),
                                     _acquisition(datetime(2024, 6, 1, 10, tzinfo=UTC))]) == []
    assert run(android_patch_level, [getprop("ro.build.version.security_patch", "2020-01-05"),
                                     _acquisition(None)]) == []
