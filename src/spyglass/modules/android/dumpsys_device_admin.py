"""Device administrators, device owner and profile owners (dumpsys device_policy).

Reads:   the "device_policy" section of androidqf's dumpsys.txt or of a bug report's dumpstate
         text (see _dumpsys). AOSP DevicePolicyData.dump prints per user
         "Enabled Device Admins (User 0, provisioningState: 0):" (Android 14+ builds also print
         "Enabled Device Admins (User 0):"), then each admin as its flattened short component
         ("com.a/.AdminReceiver:", older builds "ComponentInfo{com.a/com.a.AdminReceiver}:")
         followed by its ActiveAdmin.dump lines ("uid=10123", "testOnlyAdmin=false", policies).
         The owners are printed as "Device Owner:" / "Profile Owner (User 10):" blocks holding
         "admin=ComponentInfo{com.a/com.a.AdminReceiver}".
Yields:  one record per admin component and user: `package_name`, `component`, `user`, `uid`,
         `device_owner`, `profile_owner` (bools); observables app_id. No timestamp.
Seen:    Android 10-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, component_text, package_of, sections
from spyglass.records import Record, observables

ARTIFACT = Artifact(
    name="dumpsys_device_admin",
    description="Device administrators and device/profile owners (dumpsys device_policy)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 10-16",
)

ADMINS = re.compile(r"(\s*)Enabled Device Admins \(User (\d{1,6})")
OWNER = re.compile(r"(\s*)(Device Owner|Profile Owner)(?: \(User (\d{1,6})\))?:?\s*$")
OWNER_ADMIN = re.compile(r"\s*admin=(ComponentInfo\{[^{}]{1,1000}\})")
ENTRY = re.compile(r"\s*((?:ComponentInfo\{)?[\w.]{1,300}/[^\s:=]{1,700}\}?):\s*$")
UID = re.compile(r"\s*uid=(\d{1,10})\s*$")
MAX_ADMINS = 10_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    for section in sections(file, ("device_policy",)):
        yield from _records(section.lines)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _records(lines: list[str]) -> Iterator[Record]:
    admins: dict[tuple[int | None, str], dict[str, Any]] = {}
    owners: dict[str, str] = {}          # component -> "device_owner" / "profile_owner"
    owner_users: dict[str, int | None] = {}
    block: tuple[str, int, int | None] | None = None   # (kind, indent, user)
    last: dict[str, Any] | None = None
    for line in lines:
        if not line.strip():
            continue
        if block is not None and _indent(line) <= block[1]:
            block, last = None, None
        if match := ADMINS.match(line):
            block, last = ("admins", len(match.group(1)), int(match.group(2))), None
            continue
        if match := OWNER.match(line):
            user = int(match.group(3)) if match.group(3) else None
            kind = "device_owner" if match.group(2) == "Device Owner" else "profile_owner"
            block, last = (kind, len(match.group(1)), user), None
            continue
        if block is None:
            continue
        kind, _, user = block
        if kind == "admins":
            if (entry := ENTRY.match(line)) and len(admins) < MAX_ADMINS:
                component = component_text(entry.group(1))
                last = admins.setdefault((user, component), {"uid": None})
            elif last is not None and (uid := UID.match(line)):
                last["uid"] = int(uid.group(1))
        elif admin := OWNER_ADMIN.match(line):
            component = component_text(admin.group(1))
            owners.setdefault(component, kind)
            owner_users.setdefault(component, user)
    for component in owners:
        if not any(key[1] == component for key in admins) and len(admins) < MAX_ADMINS:
            admins[(owner_users[component], component)] = {"uid": None}
    for (user, component), details in admins.items():
        package = package_of(component)
        role = owners.get(component)
        fields = {"package_name": package, "component": component, "user": user, "uid": details["uid"],
                  "device_owner": role == "device_owner", "profile_owner": role == "profile_owner"}
        what = {"device_owner": "Device owner", "profile_owner": "Profile owner"}.get(role or "", "Device admin")
        yield Record(timestamp=None, timestamp_desc="", message=f"{what} {component}",
                     fields=fields, observables=observables(("app_id", package)))
