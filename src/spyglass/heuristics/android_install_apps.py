"""Installed apps allowed to install other apps ("Install unknown apps").

Reads `dumpsys_appops` (the op REQUEST_INSTALL_PACKAGES set to allow: Android 8 and later grant
the right to install APK files app by app, under Settings > Apps > Special app access > Install
unknown apps) and `android_packages`, to tell the phone's own apps from installed ones
(heuristics/_android.py). This is how a dropper brings its payload onto a phone, and how
stalkerware is sideloaded from a browser or a messenger; MVT reports every app holding it
(src/mvt/android/artifacts/dumpsys_appops.py, RISKY_PERMISSIONS).
  - an app that did not come from an app store itself: medium (it was sideloaded, and it may
    sideload more);
  - an app from a store (a browser or file manager, which ask for it to open a downloaded APK),
    or one the package list does not hold (its origin unknown): low;
  - the phone's own apps, app stores (they install apps by design) and the adb shell: not
    reported.
The record's time is the op's last use when dumpsys printed one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

OP = "REQUEST_INSTALL_PACKAGES"

HEURISTIC = Heuristic(
    name="android_install_apps",
    description="Installed app allowed to install other apps",
    modules=frozenset({"dumpsys_appops", "android_packages"}),
    keep=lambda record: record.module == "android_packages" or record.fields.get("op") == OP,
)

ADVICE = ("If you did not allow this, switch it off (Settings > Apps > Special app access > Install "
          "unknown apps) and check the apps installed since.")


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    packages = _android.packages_by_name(records.get("android_packages", ()))
    seen: set[str] = set()
    for record in records.get("dumpsys_appops", ()):
        fields = record.fields
        name = _android.text(fields.get("package_name"))
        if fields.get("op") != OP or _android.text(fields.get("mode")) != "allow" or name in seen:
            continue
        if name == _android.ADB_INSTALLER or name in _android.STORE_INSTALLERS:
            continue
        package = packages.get(name)
        if not _android.third_party(name, package):
            continue
        seen.add(name)
        installer = _android.installer_of(package.fields) if package is not None else None
        if package is None:
            severity, origin = "low", "the acquisition does not say where it came from"
        elif installer in _android.STORE_INSTALLERS:
            severity, origin = "low", f"installed from {_android.STORE_INSTALLERS[installer]}"
        else:
            severity, origin = "medium", "not installed from an app store"
        yield suspicious(
            HEURISTIC, record,
            f"The app {name} ({origin}) is allowed to install other apps from APK files. Browsers and "
            "file managers ask for this to open a downloaded app; spyware is installed this way too. "
            + ADVICE,
            severity=severity, observable=Observable("app_id", name))
