from __future__ import annotations

from datetime import UTC, datetime

from spyglass.heuristics import android_package_changes
from spyglass.records import Observable, Record
from tests.builders.android_records import getprop, package_event, run

BOOT = str(int(datetime(2024, 6, 1, 8, tzinfo=UTC).timestamp() * 1000))


def _at(day: int, month: int = 5) -> datetime:
    return datetime(2024, month, day, 12, tzinfo=UTC)


def test_android_package_changes_found():
    records = [
        getprop("ro.runtime.firstboot", BOOT),
        package_event("com.example.spy", "installed", 41, _at(2)),
        package_event("com.example.spy", "uninstalled", None, _at(30)),
        package_event("com.whatsapp", "updated", 241012, _at(10)),
        package_event("com.whatsapp", "updated", "231104", _at(25)),
    ]
    found = run(android_package_changes, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.whatsapp"), "medium"),
        (Observable("app_id", "com.example.spy"), "low"),
    ]
    assert "231104, after 241012" in found[0].message


def test_android_package_changes_near_miss():
    # Updates to higher versions, an uninstall two months before, an OEM package removed by
    # an update, and a downgrade long before the acquisition.
    records = [
        getprop("ro.runtime.firstboot", BOOT),
        package_event("com.whatsapp", "updated", 231104, _at(10)),
        package_event("com.whatsapp", "updated", 241012, _at(25)),
        package_event("com.example.game", "uninstalled", None, _at(1, month=4)),
        package_event("com.samsung.android.app.tips", "uninstalled", None, _at(28)),
        package_event("com.example.old", "updated", 20, _at(1, month=1)),
        package_event("com.example.old", "updated", 10, _at(2, month=1)),
    ]
    assert run(android_package_changes, records) == []


def test_android_package_changes_local_times():
    # Daily battery statistics from androidqf's dumpsys.txt: local times only, no timestamp.
    def daily(name, event, version, start, end):
        record = package_event(name, event, version, _at(1))
        fields = {**record.fields, "origin": "daily", "period_start_local": start, "period_end_local": end}
        return Record(None, "", record.message, fields, record.observables, record.module, record.source)

    records = [
        getprop("ro.runtime.firstboot", BOOT),
        daily("com.example.spy", "uninstalled", None, "2024-05-29-09-12-40", "2024-05-30-01-15-45"),
        daily("com.example.game", "uninstalled", None, "2024-04-02-09-12-40", "2024-04-03-01-15-45"),
        daily("com.example.chat", "updated", 300, "2024-05-20-09-00-00", "2024-05-21-09-00-00"),
        daily("com.example.chat", "updated", 200, "2024-05-31-09-00-00", None),
    ]
    found = run(android_package_changes, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.example.spy"), "low"),
        (Observable("app_id", "com.example.chat"), "medium"),
    ]


def _acquisition(when: datetime) -> Record:
    fields = {"acquired_at": when.isoformat(), "acquired_at_local": None, "timezone": "Europe/Paris"}
    return Record(when, "acquisition made", "Acquisition", fields, (), "android_acquisition", "acquisition.json")


def test_android_package_changes_acquisition_time_exact():
    # The acquisition was made on 2024-06-20: the uninstall of 2024-05-30 lies three weeks before
    # it, outside the window, though the estimate (the last boot, 2024-06-01) would report it.
    records = [getprop("ro.runtime.firstboot", BOOT),
               package_event("com.example.spy", "uninstalled", None, _at(30)),
               package_event("com.example.chat", "updated", 300, _at(10, month=6)),
               package_event("com.example.chat", "updated", 200, _at(18, month=6))]
    estimated = run(android_package_changes, records[:2])
    assert [d.observable for d in estimated] == [Observable("app_id", "com.example.spy")]
    assert "the newest app update or restart on the phone, 2024-06-01, stands in for it" in estimated[0].message
    found = run(android_package_changes, [*records, _acquisition(datetime(2024, 6, 20, 9, tzinfo=UTC))])
    assert [(d.observable, d.severity) for d in found] == [(Observable("app_id", "com.example.chat"), "medium")]
    assert "It was checked on 2024-06-20, the date the acquisition records." in found[0].message
