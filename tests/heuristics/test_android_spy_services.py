from __future__ import annotations

from spyglass.heuristics import android_spy_services
from spyglass.records import Observable
from tests.builders.android_records import (
    accessibility,
    device_admin,
    notification_listener,
    package,
    run,
)


def test_android_spy_services_found():
    records = [
        # A stalkerware look-alike: named like an Android package, installed over adb.
        package("com.android.system.sync", installer=None),
        accessibility("com.android.system.sync/.SyncAccessibility"),
        device_admin("com.android.system.sync/com.android.system.sync.AdminReceiver"),
        notification_listener("com.android.system.sync/.NotifyService"),
        package("com.example.screenreader", installer="com.google.android.packageinstaller"),
        accessibility("com.example.screenreader/.ReaderService"),
        package("com.fitbit.FitbitMobile"),
        notification_listener("com.fitbit.FitbitMobile/com.fitbit.notifications.Listener"),
        # No package record: the name decides.
        device_admin("org.example.family/.Admin"),
    ]
    found = run(android_spy_services, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.android.system.sync"), "high"),
        (Observable("app_id", "com.example.screenreader"), "medium"),
        (Observable("app_id", "org.example.family"), "medium"),
        (Observable("app_id", "com.fitbit.FitbitMobile"), "low"),
    ]
    assert found[0].record.module == "dumpsys_accessibility"
    assert "accessibility service" in found[0].message and "device administrator" in found[0].message
    assert "notifications" in found[0].message
    assert found[3].record.module == "dumpsys_notification_listeners"


def test_android_spy_services_near_miss():
    # A Pixel and a Samsung phone's own services, a Google app from Play, and a third-party
    # service installed but not enabled.
    records = [
        package("com.google.android.marvin.talkback", installer=None, system=True),
        accessibility("com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService"),
        package("com.samsung.android.accessibility.talkback", installer=None, system=True),
        accessibility("com.samsung.android.accessibility.talkback/com.samsung.android.marvin.talkback.TalkBackService"),
        package("com.google.android.gms", system=True),
        device_admin("com.google.android.gms/com.google.android.gms.mdm.receivers.MdmDeviceAdminReceiver"),
        package("com.samsung.android.app.watchmanager", installer="com.sec.android.app.samsungapps"),
        notification_listener("com.samsung.android.app.watchmanager/.NotificationListener"),
        package("com.google.android.apps.wearables.maestro.companion"),
        notification_listener("com.google.android.apps.wearables.maestro.companion/.NotificationListener"),
        notification_listener("com.android.systemui/.statusbar.phone.StatusBarNotificationListener"),
        package("com.example.screenreader"),
        accessibility("com.example.screenreader/.ReaderService", enabled=False),
        notification_listener("com.example.screenreader/.Listener", enabled=False),
    ]
    assert run(android_spy_services, records) == []
