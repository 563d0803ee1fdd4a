from __future__ import annotations

import json
from datetime import UTC, datetime

from spyglass.check import check
from spyglass.heuristics import android_install_apps
from spyglass.indicators import IndicatorIndex
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder
from tests.builders.android_records import appop, package, run
from tests.builders.androidqf_artifacts import androidqf_package
from tests.builders.dumpsys_text import dumpsys_txt, section

OP = "REQUEST_INSTALL_PACKAGES"
WHEN = datetime(2022, 3, 7, 17, 5, 34, tzinfo=UTC)


def test_android_install_apps_found():
    records = [
        package("org.mozilla.firefox"),                                   # from Google Play
        appop("org.mozilla.firefox", OP, when=WHEN),
        package("com.example.loader", installer="com.google.android.packageinstaller"),
        appop("com.example.loader", "READ_SMS"),
        appop("com.example.loader", OP),
        appop("com.example.loader", OP),                                  # a second user: one finding
        appop("org.example.unlisted", OP),                                # no package record
    ]
    found = run(android_install_apps, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "org.mozilla.firefox"), "low"),
        (Observable("app_id", "com.example.loader"), "medium"),
        (Observable("app_id", "org.example.unlisted"), "low"),
    ]
    assert found[0].message.startswith("The app org.mozilla.firefox (installed from Google Play) is allowed to "
                                       "install other apps from APK files.")
    assert found[0].record.timestamp == WHEN
    assert "(not installed from an app store)" in found[1].message
    assert "(the acquisition does not say where it came from)" in found[2].message


def test_android_install_apps_near_miss():
    # Refused or default modes, app stores, the adb shell, the phone's own apps, and a Google app
    # from Play.
    records = [
        package("com.example.loader", installer="com.google.android.packageinstaller"),
        appop("com.example.loader", OP, mode="deny"),
        appop("com.example.loader", OP, mode="default"),
        package("org.fdroid.fdroid", installer="com.google.android.packageinstaller"),
        appop("org.fdroid.fdroid", OP),
        appop("com.android.shell", OP),
        package("com.sec.android.app.myfiles", installer=None, system=True),
        appop("com.sec.android.app.myfiles", OP),
        package("com.google.android.apps.nbu.files"),
        appop("com.google.android.apps.nbu.files", OP),
    ]
    assert run(android_install_apps, records) == []


def test_android_install_apps_empty():
    assert run(android_install_apps, []) == []
    assert run(android_install_apps, [package("org.mozilla.firefox")]) == []


def test_android_install_apps_whole_check(tmp_path):
    """From androidqf's files through the check: appops as Android 12 prints it (MVT
    tests/artifacts/android_data/bugreport/dumpstate.txt), packages.json as androidqf writes it."""
    appops = ("Current AppOps Service state:\n  Uid u0a104:\n    state=cch\n    Package org.mozilla.firefox:\n"
              "      REQUEST_INSTALL_PACKAGES (allow):\n          Access: [fg-s] 2022-03-07 18:05:34.325 "
              "(-22d4h22m19s762ms)\n  Uid u0a105:\n    Package com.example.loader:\n"
              "      REQUEST_INSTALL_PACKAGES (deny):\n")
    packages = [androidqf_package("org.mozilla.firefox", "com.android.vending"),
                androidqf_package("com.example.loader", "com.android.vending")]
    folder = (AndroidQFBuilder().add("packages.json", json.dumps(packages).encode())
              .add("dumpsys.txt", dumpsys_txt(section("appops", appops))).build_folder(tmp_path))
    outcome = check(folder, tmp_path / "case", [], IndicatorIndex([]))
    found = [(d.heuristic, d.severity, d.observable) for d in outcome.detections]
    assert found == [("android_install_apps", "low", Observable("app_id", "org.mozilla.firefox"))]
