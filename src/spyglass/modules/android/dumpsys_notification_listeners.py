"""Notification listeners: apps allowed to read every notification (dumpsys notification).

Reads:   the "notification" section of androidqf's dumpsys.txt or of a bug report's dumpstate
         text (see _dumpsys). AOSP ManagedServices.dump, with the caption "notification
         listener": "Allowed notification listeners:" then "com.a/com.a.L:com.b/.M (user: 0
         isPrimary: true)" (the secure setting, components joined by ':'); "All notification
         listeners (2) enabled for current profiles:" then "ComponentInfo{com.a/com.a.L}" lines;
         "Live notification listeners (1):" then "ComponentInfo{com.a/com.a.L} (user 0):
         <binder> [SYSTEM] [GUEST]"; "Snoozed notification listeners (0):". Older builds
         (Android 10) lack the "Allowed" block. Assistants and condition providers are dumped
         the same way under other captions and are left out.
Yields:  one record per listener component: `package_name`, `component`, `enabled` (allowed or
         enabled for the current profiles), `live` (bound when dumped), `user`, `system`;
         observables app_id. No timestamp.
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
    name="dumpsys_notification_listeners",
    description="Apps allowed to read notifications (dumpsys notification)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 10-16",
)

CAPTION = "notification listener"
HEADING = re.compile(r"\s*(Allowed|All|Live|Snoozed) (.{1,80}?)s(?: \(\d{1,9}\))?(?: enabled for current profiles)?:\s*$")
ALLOWED = re.compile(r"\s*(\S.*?) \(user: (\d{1,6})")
LIVE = re.compile(r"\s*(ComponentInfo\{[^{}]{1,1000}\}) \(user (-?\d{1,6})\):(.*)$")
ENABLED = re.compile(r"\s*(ComponentInfo\{[^{}]{1,1000}\})\s*$")
MAX_LISTENERS = 10_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    for section in sections(file, ("notification",)):
        yield from _records(section.lines)


def _records(lines: list[str]) -> Iterator[Record]:
    found: dict[str, dict[str, Any]] = {}
    block: str | None = None

    def entry(component: str) -> dict[str, Any] | None:
        if "/" not in component or (component not in found and len(found) >= MAX_LISTENERS):
            return None
        return found.setdefault(component, {"enabled": False, "live": False, "user": None, "system": False})

    for line in lines:
        if heading := HEADING.match(line):
            block = heading.group(1) if heading.group(2) == CAPTION else None
            continue
        if block is None:
            continue
        if block == "Allowed" and (allowed := ALLOWED.match(line)):
            for flat in allowed.group(1).split(":"):
                if (details := entry(component_text(flat))) is not None:
                    details["enabled"] = True
                    details["user"] = int(allowed.group(2))
        elif block == "All" and (enabled := ENABLED.match(line)):
            if (details := entry(component_text(enabled.group(1)))) is not None:
                details["enabled"] = True
        elif block == "Live" and (live := LIVE.match(line)):
            if (details := entry(component_text(live.group(1)))) is not None:
                details["live"] = True
                details["user"] = int(live.group(2))
                details["system"] = " SYSTEM" in live.group(3)
        elif not line.startswith("      "):
            block = None
    for component, details in found.items():
        package = package_of(component)
        state = "enabled" if details["enabled"] else "not enabled"
        yield Record(timestamp=None, timestamp_desc="",
                     message=f"Notification listener {component} ({state}{', bound' if details['live'] else ''})",
                     fields={"package_name": package, "component": component, **details},
                     observables=observables(("app_id", package)))
