"""Configuration profiles that change notification settings, or come from no named organization.

Reads the `configuration_profiles` records. A profile with a com.apple.notificationsettings
payload decides which apps may show alerts: it can silence the messages an attack arrives by
or the warnings it would cause, so it is reported (medium), as MVT also does. A profile naming
no organization (PayloadOrganization) has no accountable sender; most are harmless (a Wi-Fi
or VPN setup), so it is reported as low, for review.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="profile_notifications",
    description="Configuration profile changing notifications or from an unknown organization",
    modules=frozenset({"configuration_profiles"}),
)

NOTIFICATION_PAYLOAD = "com.apple.notificationsettings"


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("configuration_profiles", ()):
        fields = record.fields
        name = fields.get("payload_display_name") or fields.get("payload_identifier") or "(unnamed)"
        profile = fields.get("payload_uuid") or fields.get("payload_identifier")
        observable = Observable("profile_id", profile) if profile else None
        organization = (fields.get("payload_organization") or "").strip()
        if NOTIFICATION_PAYLOAD in (fields.get("payload_types") or ()):
            sender = f"from {organization}" if organization else "from no named organization"
            yield suspicious(
                HEURISTIC, record,
                f"Configuration profile \"{name}\" {sender} changes which apps may show notifications, "
                "which can hide alerts from you",
                severity="medium", observable=observable)
        elif not organization:
            yield suspicious(
                HEURISTIC, record,
                f"Configuration profile \"{name}\" does not say which organization installed it; "
                "check that you recognise it",
                severity="low", observable=observable)
