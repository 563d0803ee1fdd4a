"""Third-party apps holding the powers stalkerware relies on: accessibility, device admin,
notification access.

Reads `dumpsys_accessibility` (enabled accessibility services), `dumpsys_device_admin` (active
device administrators), `dumpsys_notification_listeners` (enabled notification listeners), and
`android_packages` to tell the phone's own apps from installed ones (heuristics/_android.py).
An accessibility service reads everything on the screen and can press buttons; a device
administrator can lock or wipe the phone and resist being uninstalled; a notification listener
reads every notification, messages included. Commercial stalkerware asks for these (Coalition
Against Stalkerware; Citizen Lab / Echap stalkerware reports), legitimate apps rarely need more
than one.
  - one app holding two or three of these: high;
  - an accessibility service or device administrator alone: medium;
  - a notification listener alone: low (smartwatch and automation apps use it).
Components of Android, Google and phone makers' own packages are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

POWERS = {
    "dumpsys_accessibility": "an accessibility service (it can read the screen and tap for you)",
    "dumpsys_device_admin": "device administrator rights (it can lock the phone and resist removal)",
    "dumpsys_notification_listeners": "access to all notifications (it can read your messages)",
}
ENABLED_ONLY = frozenset({"dumpsys_accessibility", "dumpsys_notification_listeners"})

HEURISTIC = Heuristic(
    name="android_spy_services",
    description="Installed app with accessibility, device admin or notification access",
    modules=frozenset({*POWERS, "android_packages"}),
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    packages = _android.packages_by_name(records.get("android_packages", ()))
    held: dict[str, dict[str, Record]] = {}
    for module in POWERS:
        for record in records.get(module, ()):
            fields = record.fields
            if module in ENABLED_ONLY and fields.get("enabled") is not True:
                continue
            name = _android.package_of(_android.text(fields.get("component")), fields.get("package_name"))
            if _android.third_party(name, packages.get(name)):
                held.setdefault(name, {}).setdefault(module, record)
    for name, powers in held.items():
        modules = [module for module in POWERS if module in powers]
        if len(modules) > 1:
            severity = "high"
        else:
            severity = "low" if modules == ["dumpsys_notification_listeners"] else "medium"
        what = " and ".join(POWERS[module] for module in modules)
        yield suspicious(
            HEURISTIC, powers[modules[0]],
            f"The app {name}, which is not part of the phone's system, has {what}. Stalkerware "
            "uses these to watch a phone. If you do not know this app or did not allow this "
            "yourself, have it checked before removing it (removal can alert whoever installed it).",
            severity=severity, observable=Observable("app_id", name))
