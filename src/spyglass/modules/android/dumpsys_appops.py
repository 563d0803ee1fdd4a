"""App operations: which app used or was refused which protected operation, and when
(dumpsys appops).

Reads:   the "appops" section of androidqf's dumpsys.txt or of a bug report's dumpstate text
         (see _dumpsys). AOSP AppOpsService.dumpStatesLocked, as in MVT's
         tests/artifacts/android_data/dumpsys_appops.txt: "  Uid u0a103:" blocks, in them
         "    Package com.a:" blocks of ops at six spaces, "      READ_SMS (allow):" or
         "      COARSE_LOCATION (allow / switch COARSE_LOCATION=allow):" (Android 10+), each
         followed by "Access: [fg-s] 2022-03-07 18:05:34.325 (-22d4h22m19s762ms)" and
         "Reject: [..]" lines: the device's local time, and how long before the dump. Older
         builds (Android 9 and before) print "      READ_SMS: mode=allow; time=+3d2h ago;
         rejectTime=+1h ago", relative to the dump time (the section's footer, local time).
         Uid-level modes ("      COARSE_LOCATION: mode=ignore" before any Package) are left out.
         Local times become UTC only where the device's zone is known (a bug report's
         persist.sys.timezone); otherwise `last_access` is None and the local text is kept.
Yields:  one record per package and op: `package_name`, `uid`, `op`, `mode`, `last_access` and
         `last_reject` (ISO UTC or None), `last_access_local` / `last_reject_local` (local text),
         `last_access_ago` / `last_reject_ago` (as printed), `access_state`; timestamped with
         the last access (else the last rejection) when known; observables app_id.
Seen:    Android 8-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, Section, duration, local_time, sections
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="dumpsys_appops",
    description="Protected operations apps used or were refused (dumpsys appops)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 8-16",
)

UID = re.compile(r"  Uid (\S{1,40}):\s*$")
PACKAGE = re.compile(r"    Package (\S{1,300}):\s*$")
OP = re.compile(r" {6}([A-Z][A-Z0-9_]{0,99}) \(([a-z_]{1,40})(?: / [^)]{0,500})?\):?\s*$")
OLD_OP = re.compile(r" {6}([A-Z][A-Z0-9_]{0,99}): mode=([a-z_]{1,40})(.*)$")
EVENT = re.compile(r"\s+(Access|Reject): \[([^\]]{0,40})\]\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})"
                   r"(?: \((-[0-9dhms]{1,40})\))?")
OLD_TIME = re.compile(r"; (time|rejectTime)=(\+[0-9dhms]{1,40}) ago")
LOCAL = "%Y-%m-%d %H:%M:%S.%f"
MAX_OPS = 500_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    for section in sections(file, ("appops",)):
        yield from _records(section)


def _records(section: Section) -> Iterator[Record]:
    ops: list[dict[str, Any]] = []
    uid: str | None = None
    package: str | None = None
    current: dict[str, Any] | None = None
    for line in section.lines:
        if match := UID.match(line):
            uid, package, current = match.group(1), None, None
        elif match := PACKAGE.match(line):
            package, current = match.group(1), None
        elif package is None or len(ops) >= MAX_OPS:
            continue
        elif match := OP.match(line):
            current = _op(package, uid, match.group(1), match.group(2))
            ops.append(current)
        elif match := OLD_OP.match(line):
            current = _op(package, uid, match.group(1), match.group(2))
            ops.append(current)
            for kind, ago in OLD_TIME.findall(match.group(3)):
                _event(current, "access" if kind == "time" else "reject", None, _before(section, ago), ago)
        elif current is not None and (event := EVENT.match(line)):
            kind = "access" if event.group(1) == "Access" else "reject"
            _event(current, kind, event.group(2), event.group(3), event.group(4))
    for op in ops:
        yield _record(op, section.timezone)


def _op(package: str, uid: str | None, name: str, mode: str) -> dict[str, Any]:
    return {"package_name": package, "uid": uid, "op": name, "mode": mode, "access_state": None,
            "last_access_local": None, "last_access_ago": None, "last_reject_local": None, "last_reject_ago": None}


def _event(op: dict[str, Any], kind: str, state: str | None, local: str | None, ago: str | None) -> None:
    # One line per UID state (fg, bg, top, ...): the latest of them is the last access.
    previous = op[f"last_{kind}_local"]
    if local is None and previous is None and op[f"last_{kind}_ago"] is None:
        op[f"last_{kind}_ago"] = ago
        return
    if local is not None and (previous is None or local > previous):
        op[f"last_{kind}_local"], op[f"last_{kind}_ago"] = local, ago
        if kind == "access":
            op["access_state"] = state


def _before(section: Section, ago: str) -> str | None:
    """The local time `ago` before the dump ended, when the footer gave that time."""
    span = duration(ago)
    if span is None or section.ended_at is None:
        return None
    try:
        moment = datetime.strptime(section.ended_at, "%Y-%m-%d %H:%M:%S") - span
    except (ValueError, OverflowError):
        return None
    return moment.strftime(LOCAL)[:-3]


def _record(op: dict[str, Any], timezone: str | None) -> Record:
    access = local_time(op["last_access_local"], LOCAL, timezone)
    reject = local_time(op["last_reject_local"], LOCAL, timezone)
    fields = {**op, "last_access": iso_utc(access), "last_reject": iso_utc(reject)}
    when, desc = (access, "last access") if access else (reject, "last rejected") if reject else (None, "")
    return Record(timestamp=when, timestamp_desc=desc,
                  message=f"{op['package_name']}: {op['op']} ({op['mode']})",
                  fields=fields, observables=observables(("app_id", op["package_name"])))
