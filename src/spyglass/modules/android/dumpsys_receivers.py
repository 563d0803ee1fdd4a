"""Broadcast receivers per intent action (dumpsys package, "Receiver Resolver Table").

Reads:   the "package" section of androidqf's dumpsys.txt or of a bug report's dumpstate text
         (see _dumpsys). AOSP IntentResolver.dump, as seen in MVT's
         tests/artifacts/android_data/dumpsys_packages.txt: "Receiver Resolver Table:" at the
         margin, sub-tables at two spaces ("Full MIME Types:", "Schemes:", "Non-Data Actions:",
         "MIME Typed Actions:", ...), keys at six ("      android.provider.Telephony.SMS_RECEIVED:")
         and receivers at eight ("        6d2b9b0 com.a/.SmsReceiver" with an optional
         " filter 3e2a1b2" or " (3 filters)"). Only the action sub-tables are read: there a key
         is an intent action. The table ends at the next line at the margin.
Yields:  one record per (action, receiver): `package_name`, `component`, `action`, `table`;
         observables app_id. No timestamp.
Seen:    Android 10-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, component_text, package_of, sections
from spyglass.records import Record, observables

ARTIFACT = Artifact(
    name="dumpsys_receivers",
    description="Broadcast receivers per intent action (dumpsys package)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 10-16",
)

TABLE = "Receiver Resolver Table:"
ACTION_TABLES = frozenset({"Non-Data Actions", "MIME Typed Actions"})
KEY = re.compile(r" {6}(\S{1,500}):\s*$")
RECEIVER = re.compile(r" {8}[0-9a-f]{1,16} (\S{1,1000}/\S{1,1000})")
MAX_RECEIVERS = 200_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    seen: set[tuple[str, str]] = set()
    for section in sections(file, ("package",)):
        for action, component, table in _entries(section.lines):
            if (action, component) in seen or len(seen) >= MAX_RECEIVERS:
                continue
            seen.add((action, component))
            package = package_of(component)
            yield Record(timestamp=None, timestamp_desc="", message=f"{component} receives {action}",
                         fields={"package_name": package, "component": component, "action": action,
                                 "table": table},
                         observables=observables(("app_id", package)))


def _entries(lines: list[str]) -> Iterator[tuple[str, str, str]]:
    in_table = False
    table: str | None = None
    action: str | None = None
    for line in lines:
        if not in_table:
            in_table = line.rstrip() == TABLE
            continue
        if not line.strip():
            continue
        if not line.startswith(" "):
            return                    # the next table at the margin
        if line.startswith("  ") and not line.startswith("   "):
            table, action = line.strip().rstrip(":"), None
            continue
        if table not in ACTION_TABLES:
            continue
        if key := KEY.match(line):
            action = key.group(1)
        elif action and (receiver := RECEIVER.match(line)):
            yield action, component_text(receiver.group(1)), table
