"""Installed apps that wake up on every incoming SMS or phone call.

Reads `dumpsys_receivers` (the "Receiver Resolver Table" of `dumpsys package`: which component
receives which broadcast) and `android_packages` to tell the phone's own apps from installed
ones (heuristics/_android.py). Actions (developer.android.com, Telephony.Sms.Intents and
Intent, TelephonyManager):
  - android.provider.Telephony.SMS_RECEIVED (every SMS that arrives),
  - android.intent.action.NEW_OUTGOING_CALL (every number dialled),
  - android.intent.action.PHONE_STATE (every call ringing, answered, ended).
Stalkerware listens to these to copy messages and log calls. Music or caller-ID apps listen to
phone state too, so one kind alone is low; SMS and calls together medium.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

SMS_ACTIONS = frozenset({"android.provider.Telephony.SMS_RECEIVED"})
CALL_ACTIONS = frozenset({"android.intent.action.NEW_OUTGOING_CALL", "android.intent.action.PHONE_STATE"})

HEURISTIC = Heuristic(
    name="android_call_sms_receivers",
    description="Installed app notified of every incoming SMS or call",
    modules=frozenset({"dumpsys_receivers", "android_packages"}),
    keep=lambda record: record.module != "dumpsys_receivers" or record.fields.get("action") in SMS_ACTIONS | CALL_ACTIONS,
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    packages = _android.packages_by_name(records.get("android_packages", ()))
    listening: dict[str, dict[str, Record]] = {}
    for record in records.get("dumpsys_receivers", ()):
        fields = record.fields
        action = fields.get("action")
        kind = "sms" if action in SMS_ACTIONS else "calls" if action in CALL_ACTIONS else None
        if kind is None:
            continue
        name = _android.package_of(_android.text(fields.get("component")), fields.get("package_name"))
        if _android.third_party(name, packages.get(name)):
            listening.setdefault(name, {}).setdefault(kind, record)
    for name, kinds in listening.items():
        if len(kinds) == 2:
            what, severity = "every text message that arrives and every phone call", "medium"
        elif "sms" in kinds:
            what, severity = "every text message that arrives", "low"
        else:
            what, severity = "every phone call made or received", "low"
        yield suspicious(
            HEURISTIC, kinds.get("sms") or kinds["calls"],
            f"The app {name}, not part of the phone's system, is notified of {what}. Stalkerware uses this "
            "to copy messages and log calls. If you do not know why this app would need it, have it checked.",
            severity=severity, observable=Observable("app_id", name))
