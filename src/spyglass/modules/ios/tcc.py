"""Privacy permissions (TCC): which app or program may use the camera, microphone, photos...

Reads:   TCC.db, HomeDomain Library/TCC/TCC.db (/private/var/mobile/Library/TCC/), table
         `access`: service (kTCCService...), client (a bundle id when client_type is 0, an
         absolute path when 1), last_modified (Unix seconds). iOS 14 and later store
         auth_value (0 denied, 1 unknown, 2 allowed, 3 limited) and auth_reason; older
         releases store allowed (0/1) and prompt_count, and the oldest no last_modified.
Yields:  one record per grant, timestamped at its last change; observables are the client:
         app_id and process for a bundle id (implants have registered bare names such as
         "Launch" as clients), file_path and process (the file name) for a path. A program
         outside an app bundle holding the microphone is what a spyware implant would need.
Seen:    iOS 12 to 18; auth_value from iOS 14 (MVT).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="tcc",
    description="Privacy permissions granted to apps and programs",
    paths=('/private/var/mobile/Library/TCC/TCC.db',),
    extra={SYSDIAGNOSE: ("logs/Accessibility/TCC.db",)},
    tables={"access": {"service", "client", "client_type"}},
    os_versions="iOS 12-18",
)

OPTIONAL_COLUMNS = ("auth_value", "auth_reason", "auth_version", "allowed", "prompt_count",
                    "last_modified", "indirect_object_identifier", "flags")
AUTH_VALUES = {0: "denied", 1: "unknown", 2: "allowed", 3: "limited"}
AUTH_REASONS = {1: "error", 2: "user_consent", 3: "user_set", 4: "system_set", 5: "service_policy",
                6: "mdm_policy", 7: "override_policy", 8: "missing_usage_string", 9: "prompt_timeout",
                10: "preflight_unknown", 11: "entitled", 12: "app_type_policy"}
CLIENT_TYPES = {0: "bundle_id", 1: "path"}


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = "".join(f", {item}" for item in db.present("access", OPTIONAL_COLUMNS))
    for row in db.rows(f"SELECT service, client, client_type{selected} FROM access ORDER BY rowid"):
        yield _record(dict(row))


def _record(row: dict[str, Any]) -> Record:
    service = str(row.get("service") or "")
    client = str(row.get("client") or "")
    client_type = CLIENT_TYPES.get(row.get("client_type"), row.get("client_type"))
    if "auth_value" in row:
        decision = AUTH_VALUES.get(row["auth_value"], str(row["auth_value"]))
    elif "allowed" in row:
        decision = "allowed" if row["allowed"] else "denied"
    else:
        decision = None
    changed = unix_time(row.get("last_modified"))
    short_service = service.removeprefix("kTCCService")
    if client_type == "path" or client.startswith("/"):
        found = observables(("file_path", client), ("process", PurePosixPath(client).name))
    else:
        found = observables(("app_id", client), ("process", client))
    return Record(
        timestamp=changed,
        timestamp_desc="permission changed",
        message=f"{short_service or 'Unknown service'} access {decision or 'recorded'} for {client or 'unknown client'}",
        fields={
            "service": service,
            "client": client,
            "client_type": client_type,
            "decision": decision,
            "auth_value": row.get("auth_value"),
            "auth_reason": AUTH_REASONS.get(row.get("auth_reason"), row.get("auth_reason")),
            "allowed": row.get("allowed"),
            "prompt_count": row.get("prompt_count"),
            "indirect_object": row.get("indirect_object_identifier"),
            "last_modified": iso_utc(changed),
            "schema": "auth_value" if "auth_value" in row else "allowed",
        },
        observables=found,
    )
