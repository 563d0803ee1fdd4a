"""Accessibility services: those installed and those the user enabled (dumpsys accessibility).

Reads:   the "accessibility" section of androidqf's dumpsys.txt or of a bug report's dumpstate
         text (see _dumpsys). Per user ("User state[attributes:{id=0, ...") the dump lists
         components in two wordings. Older ones and OEM builds (Android 10-13, Samsung; MVT
         tests/artifacts/android_data/dumpsys_accessibility.txt) print blocks
         "installed services: {" / "enabled services: {" of "  0 : com.a/com.a.Svc" lines closed
         by "}"; AOSP's AccessibilityUserState.dump (Android 12+; MVT's
         dumpsys_accessibility_v14_or_later.txt) prints one line per set,
         "Enabled services:{{com.a/.Svc}, {com.b/com.b.Other}}" (ComponentName.toShortString),
         likewise "Binding services:{...}" and "Crashed services:{...}".
Yields:  one record per component per user: `package_name`, `component` (flattened in full, "com.a/com.a.Svc"), `enabled`
         (bool), `installed` (bool, None when the dump lists no installed services), `binding`,
         `crashed`, `user`; observables app_id. No timestamp: the dump keeps none.
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
    name="dumpsys_accessibility",
    description="Accessibility services installed and enabled (dumpsys accessibility)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 10-16",
)

# "User state[attributes:{id=0, ..." on one line (older), or "User state[" then
# "     attributes:{id=0, ..." on the next (Android 14+).
USER = re.compile(r"(?:User state\[|^\s*attributes:)\s*(?:attributes:)?\{id=(\d{1,6})")
INLINE = re.compile(r"\s*(Enabled|Binding|Crashed) services:\{(.*)\}\s*$")
BLOCK = re.compile(r"\s*(installed|enabled|binding|crashed) services:\s*\{\s*$", re.IGNORECASE)
ITEM = re.compile(r"\s*\d{1,6}\s*:\s*(\S+)\s*$")
BRACED = re.compile(r"\{([^{}]{1,1000})\}")
MAX_COMPONENTS = 10_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    for section in sections(file, ("accessibility",)):
        yield from _records(section.lines)


def _records(lines: list[str]) -> Iterator[Record]:
    # (user, component) -> the sets it is in, in first-seen order
    found: dict[tuple[int | None, str], set[str]] = {}
    listed_installed: set[int | None] = set()
    user: int | None = None
    block: str | None = None
    for line in lines:
        if match := USER.search(line):
            user, block = int(match.group(1)), None
            continue
        if block is not None:
            if line.strip().startswith("}"):
                block = None
            elif item := ITEM.match(line):
                _add(found, user, item.group(1), block)
            continue
        if match := BLOCK.match(line):
            block = match.group(1).lower()
            if block == "installed":
                listed_installed.add(user)
            continue
        if match := INLINE.match(line):
            for braced in BRACED.findall(match.group(2)):
                _add(found, user, braced, match.group(1).lower())
    for (user_id, component), kinds in found.items():
        package = package_of(component)
        enabled = "enabled" in kinds
        fields = {
            "package_name": package,
            "component": component,
            "enabled": enabled,
            "installed": ("installed" in kinds) if user_id in listed_installed else None,
            "binding": "binding" in kinds,
            "crashed": "crashed" in kinds,
            "user": user_id,
        }
        state = "enabled" if enabled else "installed, not enabled"
        yield Record(timestamp=None, timestamp_desc="", message=f"Accessibility service {component} ({state})",
                     fields=fields, observables=observables(("app_id", package)))


def _add(found: dict[tuple[int | None, str], set[str]], user: int | None, component: str, kind: str) -> None:
    text = component_text(component)
    if "/" not in text or (len(found) >= MAX_COMPONENTS and (user, text) not in found):
        return
    found.setdefault((user, text), set()).add(kind)
