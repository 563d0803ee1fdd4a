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
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_bool, plist_date, stripped_text
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="configuration_profiles",
    description="Installed configuration profiles",
    paths=('/private/var/containers/Shared/SystemGroup/{systemgroup.com.apple.configurationprofiles}/Library/ConfigurationProfiles/profile-*.stub',),
    extra={SYSDIAGNOSE: ("logs/MCState/Shared/profile-*.stub",)},
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
    installed_at = plist_date(data.get("InstallDate"))
    content = data.get("PayloadContent")
    payloads = [_payload(p) for p in (content if isinstance(content, list) else [])[:MAX_PAYLOADS]
                if isinstance(p, dict)]
    identifier = stripped_text(data.get("PayloadIdentifier"), MAX_TEXT)
    uuid = stripped_text(data.get("PayloadUUID"), MAX_TEXT)
    name = stripped_text(data.get("PayloadDisplayName"), MAX_TEXT)
    organization = stripped_text(data.get("PayloadOrganization"), MAX_TEXT)
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
            "payload_description": stripped_text(data.get("PayloadDescription"), MAX_TEXT),
            "payload_type": stripped_text(data.get("PayloadType"), MAX_TEXT),
            "payload_types": types,
            "payloads": payloads,
            "removal_disallowed": plist_bool(data.get("PayloadRemovalDisallowed")),
            "is_encrypted": plist_bool(data.get("IsEncrypted")),
            "signed": bool(data.get("SignerCerts")),
            "install_date": iso_utc(installed_at),
        },
        observables=observables(*pairs),
    )


def _payload(payload: dict[str, Any]) -> dict[str, Any]:
    # Keys ending in URL carry where the profile sends the phone (MDM ServerURL, CheckInURL,
    # a web clip's URL); other values stay out of the record to keep it small.
    urls = [url for key, value in payload.items()
            if isinstance(key, str) and key.upper().endswith("URL") and (url := stripped_text(value, MAX_TEXT))]
    return {
        "type": stripped_text(payload.get("PayloadType"), MAX_TEXT),
        "identifier": stripped_text(payload.get("PayloadIdentifier"), MAX_TEXT),
        "uuid": stripped_text(payload.get("PayloadUUID"), MAX_TEXT),
        "display_name": stripped_text(payload.get("PayloadDisplayName"), MAX_TEXT),
        "urls": urls,
    }
