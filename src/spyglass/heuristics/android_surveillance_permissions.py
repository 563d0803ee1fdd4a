"""Installed apps granted everything needed to watch a person: SMS, call log, location, camera
and microphone together.

Reads the `android_packages` records (`permissions`: the permissions granted). Each of these is
an Android "dangerous" permission the person must grant (developer.android.com, Manifest.permission;
MVT's DANGEROUS_PERMISSIONS lists the same ones); one app holding all five groups can read
messages and calls, follow the phone, and record pictures and sound, which is what stalkerware
asks for at setup. A few messaging or caller-ID apps hold them all too, hence medium. System
packages and Google's and phone makers' own apps (heuristics/_android.py) are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="android_surveillance_permissions",
    description="Installed app granted SMS, call log, location, camera and microphone",
    modules=frozenset({"android_packages"}),
)

P = "android.permission."
GROUPS = {
    "SMS": {P + "READ_SMS", P + "RECEIVE_SMS", P + "SEND_SMS", P + "RECEIVE_MMS"},
    "call log": {P + "READ_CALL_LOG", P + "PROCESS_OUTGOING_CALLS"},
    "location": {P + "ACCESS_FINE_LOCATION", P + "ACCESS_COARSE_LOCATION", P + "ACCESS_BACKGROUND_LOCATION"},
    "camera": {P + "CAMERA"},
    "microphone": {P + "RECORD_AUDIO"},
}


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("android_packages", ()):
        name = _android.text(record.fields.get("package_name"))
        granted = record.fields.get("permissions")
        if not isinstance(granted, list) or not _android.third_party(name, record):
            continue
        names = {value for value in granted if isinstance(value, str)}
        if all(names & members for members in GROUPS.values()):
            yield suspicious(
                HEURISTIC, record,
                f"The app {name} may read your text messages and call history, know where the phone is, "
                "and use the camera and microphone: all of what stalkerware needs. If it is not an app "
                "you chose and trust (a messaging app, for instance), have it checked.",
                severity="medium", observable=Observable("app_id", name))
