"""Configuration profiles: profiles installed on the phone and what each one configures.

Reads:   profile-<hash>.stub plists, backup domain
         SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles
         Library/ConfigurationProfiles/profile-*.stub (on the device under
         /private/var/containers/Shared/SystemGroup/<uuid>/Library/ConfigurationProfiles/).
         A stub is the profile's top level: PayloadIdentifier, PayloadUUID,
         PayloadDisplayName, PayloadOrganization, PayloadDescription, PayloadRemovalDisallowed,
         InstallDate (plist date, UTC) and PayloadContent, a list of payloads each with its
         PayloadType (com.apple.notificationsettings, com.apple.vpn.managed, com.apple.mdm...).
Yields:  one record per profile, timestamped at installation; observables are the profile's
         identifier and UUID and those of its payloads (profile_id, matched by indicator
         feeds as configuration-profile:id), and the URLs its payloads name (MDM server, web
         clips...).
Seen:    iOS 12 to 18 (MVT).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import to_utc

ARTIFACT = Artifact(
    name="configuration_profiles",
    description="Installed configuration profiles",
    paths=('/private/var/containers/Shared/SystemGroup/{systemgroup.com.apple.configurationprofiles}/Library/ConfigurationProfiles/profile-*.stub',),
    os_versions="iOS 12-18",
)

MAX_PAYLOADS = 200
MAX_TEXT = 4096


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.plist_dict()
    if not data:
        return
    yield _record(data)


def _record(data: dict[str, Any]) -> Record:
    installed = data.get("InstallDate")
    installed_at = to_utc(installed) if isinstance(installed, datetime) else None
    content = data.get("PayloadContent")
    payloads = [_payload(p) for p in (content if isinstance(content, list) else [])[:MAX_PAYLOADS]
                if isinstance(p, dict)]
    identifier, uuid = _text(data.get("PayloadIdentifier")), _text(data.get("PayloadUUID"))
    name = _text(data.get("PayloadDisplayName"))
    organization = _text(data.get("PayloadOrganization"))
    types = list(dict.fromkeys(p["type"] for p in payloads if p["type"]))
    pairs: list[tuple[str, Any]] = [("profile_id", uuid), ("profile_id", identifier)]
    for payload in payloads:
        pairs += [("profile_id", payload["uuid"]), ("profile_id", payload["identifier"])]
        pairs += [("url", url) for url in payload["urls"]]
    return Record(
        timestamp=installed_at,
        timestamp_desc="profile installed",
        message=f"Configuration profile {name or identifier or uuid or '(unnamed)'}"
                f"{' from ' + organization if organization else ''} ({', '.join(types) or 'no payloads'})",
        fields={
            "payload_identifier": identifier,
            "payload_uuid": uuid,
            "payload_display_name": name,
            "payload_organization": organization,
            "payload_description": _text(data.get("PayloadDescription")),
            "payload_type": _text(data.get("PayloadType")),
            "payload_types": types,
            "payloads": payloads,
            "removal_disallowed": _flag(data.get("PayloadRemovalDisallowed")),
            "is_encrypted": _flag(data.get("IsEncrypted")),
            "signed": bool(data.get("SignerCerts")),
            "install_date": iso_utc(installed_at),
        },
        observables=observables(*pairs),
    )


def _payload(payload: dict[str, Any]) -> dict[str, Any]:
    # Keys ending in URL carry where the profile sends the phone (MDM ServerURL, CheckInURL,
    # a web clip's URL); other values stay out of the record to keep it small.
    urls = [value for key, value in payload.items()
            if isinstance(key, str) and key.upper().endswith("URL") and isinstance(value, str)
            and value.strip()]
    return {
        "type": _text(payload.get("PayloadType")),
        "identifier": _text(payload.get("PayloadIdentifier")),
        "uuid": _text(payload.get("PayloadUUID")),
        "display_name": _text(payload.get("PayloadDisplayName")),
        "urls": [url.strip()[:MAX_TEXT] for url in urls],
    }


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_TEXT]
    return None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
