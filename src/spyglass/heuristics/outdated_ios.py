"""An iOS version so old that it lacks Apple's fixes for exploits mercenary spyware used.

Reads the device records of `backup_info` (Info.plist's Product Version) and `device_identity`
(a sysdiagnose's remotectl_dumpstate.txt and sysdiagnose.log). This is context ("info"): an
old system is not a sign of infection and never makes the check exit 1, but it tells the
reader which published attacks the phone was open to, and that updating closes them.

Exploits, the spyware that used them and the iOS versions that fixed them (Apple's "About the
security content of iOS ..." pages; the reports that found them):
  KISMET        Pegasus    iMessage zero-click; does not work from iOS 14 (Citizen Lab,
                           "The Great iPwn", 2020-12-20).
  FORCEDENTRY   Pegasus    CVE-2021-30860, fixed in iOS 14.8 and 12.5.5 (Citizen Lab,
                           "FORCEDENTRY", 2021-09-13; Apple, iOS 14.8 and 12.5.5 notes).
  Triangulation (Operation Triangulation) CVE-2023-32434/32435/38606/41990, fully fixed in
                           iOS 16.6 and 15.7.8 (Kaspersky Securelist, 2023; Apple notes).
  BLASTPASS     Pegasus    CVE-2023-41064/41061, fixed in iOS 16.6.1 and 15.7.9 (Citizen Lab,
                           "BLASTPASS", 2023-09-07; Apple notes).
  Predator chain Predator  CVE-2023-41991/41992/41993, fixed in iOS 17.0.1 and 16.7 (Citizen
                           Lab, "Predator in the Wires", 2023-09-22; Apple notes).
A version is fixed when it is at least the fix of its own major version, or of a newer major
version than every fix lists; a major version with no fix of its own, below the newest one
fixed, never received it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Record

DEVICE_RECORDS = frozenset({"device", "local_device", "sysdiagnose"})
HEURISTIC = Heuristic(
    name="outdated_ios",
    description="iOS too old to have Apple's fixes for exploits used by mercenary spyware",
    modules=frozenset({"backup_info", "device_identity"}),
    keep=lambda record: record.fields.get("record_type") in DEVICE_RECORDS,
)

_VERSION = re.compile(r"\b(\d{1,2})\.(\d{1,3})(?:\.(\d{1,3}))?\b|\b(\d{1,2})\b")
Version = tuple[int, int, int]


@dataclass(frozen=True)
class Exploit:
    name: str
    spyware: str
    fixed: tuple[Version, ...]      # the first fixed version of each major version that got one

    def missing_on(self, version: Version) -> bool:
        same = [fix for fix in self.fixed if fix[0] == version[0]]
        if same:
            return version < same[0]
        return version[0] < max(fix[0] for fix in self.fixed)


EXPLOITS = (
    Exploit("KISMET", "Pegasus", ((14, 0, 0),)),
    Exploit("FORCEDENTRY", "Pegasus", ((12, 5, 5), (14, 8, 0))),
    Exploit("Operation Triangulation", "Triangulation", ((15, 7, 8), (16, 6, 0))),
    Exploit("BLASTPASS", "Pegasus", ((15, 7, 9), (16, 6, 1))),
    Exploit("the Predator exploit chain", "Predator", ((16, 7, 0), (17, 0, 1))),
)


def parse_version(text: object) -> Version | None:
    """"14.6", "16.6.1", "iOS 17" or "iPhone OS 15.7.8" as (major, minor, patch); None if absent."""
    if not isinstance(text, str):
        return None
    found = _VERSION.search(text[:100])
    if found is None:
        return None
    if found.group(4) is not None:
        return (int(found.group(4)), 0, 0)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    said: set[Version] = set()
    for module in ("backup_info", "device_identity"):
        for record in records.get(module, ()):
            if record.fields.get("record_type") not in DEVICE_RECORDS:
                continue
            version = parse_version(record.fields.get("os_version"))
            if version is None or version in said:
                continue
            missing = [exploit for exploit in EXPLOITS if exploit.missing_on(version)]
            if not missing:
                continue
            said.add(version)
            named = "; ".join(f"{exploit.name} ({exploit.spyware}, fixed in iOS "
                              f"{' and '.join(_text(fix) for fix in exploit.fixed)})" for exploit in missing)
            yield suspicious(
                HEURISTIC, record,
                f"This phone ran iOS {_text(version)}, which lacks Apple's fixes for exploits used by "
                f"mercenary spyware: {named}. This is not a sign of infection; updating the phone closes "
                "these holes",
                severity="info")


def _text(version: Version) -> str:
    major, minor, patch = version
    return f"{major}.{minor}.{patch}" if patch else f"{major}.{minor}"
