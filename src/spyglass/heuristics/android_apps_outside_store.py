"""Android apps not installed from an app store: over USB, from an APK file, or by another app.

Reads the `android_packages` records. The installer Android records for each package says
where it came from (`pm list packages -i`; heuristics/_android.py lists the stores and sources):
  - an ordinary store (Google Play, Samsung Galaxy Store, Huawei AppGallery, Xiaomi GetApps,
    Amazon Appstore, F-Droid, OPPO App Market, vivo App Store): not reported;
  - none, or the adb shell (com.android.shell): installed from a computer over USB, how someone
    with the phone in hand installs stalkerware: medium (low for a package named like a Google
    or phone maker's one, which makers also preload this way);
  - the system package installer (com.google.android.packageinstaller,
    com.android.packageinstaller): an APK file opened from a browser, a file manager or a
    message: medium;
  - another app: that app installed it (an alternative store, or a dropper): medium.
System packages and packages whose APKs lie on a system partition are not reported, updated or
not: MVT also reports a system app updated from an APK file (YouTube in its sample androidqf), but
Android accepts such an update only when it carries the system app's own signature. An Android
backup's app manifest names the installer when there was one, but no system flag: a package it
lists without an installer may be the phone's own as well as one installed over USB, and is not
reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="android_apps_outside_store",
    description="Android apps not installed from an app store",
    modules=frozenset({"android_packages"}),
)

ADVICE = "If you did not install it yourself, find out what it is before trusting the phone."


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("android_packages", ()):
        fields = record.fields
        name = _android.text(fields.get("package_name"))
        if not name or _android.preinstalled(fields):
            continue
        installer = _android.installer_of(fields)
        if installer is None and fields.get("source") == "backup manifest":
            continue    # no system flag in a backup: the phone's own apps have no installer either
        if installer in _android.STORE_INSTALLERS:
            continue
        observable = Observable("app_id", name)
        if installer is None or installer == _android.ADB_INSTALLER:
            severity = "low" if _android.platform_name(name) else "medium"
            how = ("was installed from a computer over a USB cable (adb)" if installer
                   else "has no installing store recorded: it was installed from a computer over a USB cable "
                        "(adb) or preloaded")
            message = f"The app {name} {how}, not from an app store. {ADVICE}"
        elif installer in _android.PACKAGE_INSTALLERS:
            severity = "medium"
            message = (f"The app {name} was installed from an APK file (downloaded with a browser, or opened "
                       f"from a file manager or a message), not from an app store. {ADVICE}")
        else:
            severity = "medium"
            message = f"The app {name} was installed by another app, {installer}, not by an app store. {ADVICE}"
        yield suspicious(HEURISTIC, record, message, severity=severity, observable=observable)
