from __future__ import annotations

from spyglass.heuristics import android_apps_outside_store
from spyglass.records import Observable
from tests.builders.android_records import package, run


def test_android_apps_outside_store_found():
    records = [
        package("com.example.spy", installer=None),
        package("net.example.tracker", installer="com.android.shell"),
        package("org.example.downloaded", installer="com.google.android.packageinstaller"),
        package("com.example.dropped", installer="com.example.dropper"),
        package("com.google.android.apps.example", installer=None),
    ]
    found = run(android_apps_outside_store, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.example.spy"), "medium"),
        (Observable("app_id", "net.example.tracker"), "medium"),
        (Observable("app_id", "org.example.downloaded"), "medium"),
        (Observable("app_id", "com.example.dropped"), "medium"),
        (Observable("app_id", "com.google.android.apps.example"), "low"),
    ]
    assert "USB cable (adb)" in found[1].message
    assert "APK file" in found[2].message
    assert "com.example.dropper" in found[3].message


def test_android_apps_outside_store_near_miss():
    # Store installs (androidqf's "null" read as no installer by the module, but kept here as
    # it may reach a heuristic from an older case), system packages and preloads on /product.
    records = [
        package("com.whatsapp"),
        package("com.google.android.feedback.example", installer="com.google.android.feedback"),
        package("com.spotify.music", installer="com.sec.android.app.samsungapps"),
        package("com.netflix.mediaclient", installer="com.xiaomi.mipicks"),
        package("org.mozilla.fennec_fdroid", installer="org.fdroid.fdroid"),
        package("com.amazon.kindle", installer="com.amazon.venezia"),
        package("com.huawei.himovie.overseas", installer="com.huawei.appmarket"),
        package("com.android.settings", installer="null", system=True),
        package("com.facebook.appmanager", installer=None, apk_paths=["/product/priv-app/FBAppManager/FBAppManager.apk"]),
    ]
    assert run(android_apps_outside_store, records) == []


def test_android_apps_outside_store_backup_manifest_without_installer_not_weighed():
    # A backup's app manifest has no system flag: without an installer, the phone's own apps and
    # USB installs look alike. With one, it is weighed as any package is.
    from_backup = package("com.example.spy", installer=None)
    from_backup.fields["source"] = "backup manifest"
    dropped = package("com.example.dropped", installer="com.example.dropper")
    dropped.fields["source"] = "backup manifest"
    found = run(android_apps_outside_store, [from_backup, dropped, package("com.example.spy2", installer=None)])
    assert [d.observable for d in found] == [Observable("app_id", "com.example.dropped"),
                                            Observable("app_id", "com.example.spy2")]
