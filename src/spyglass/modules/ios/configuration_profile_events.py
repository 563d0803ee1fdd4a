"""Configuration profile events: when each profile was installed or removed, and by which process.

Reads:   MCProfileEvents.plist, backup domain
         SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles
         Library/ConfigurationProfiles/MCProfileEvents.plist (on the device under
         /private/var/containers/Shared/SystemGroup/<uuid>/Library/ConfigurationProfiles/).
         `ProfileEvents` is a list of one-key dictionaries: profile identifier ->
         {operation (install, remove...), process (path of the process that did it),
         timestamp (plist date, UTC)}.
Yields:  one record per event, timestamped when it happened; observables are the profile
         identifier (profile_id) and the process (its path and its name).
Seen:    iOS 12 to 18 (MVT).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_date, plist_member, stripped_text
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="configuration_profile_events",
    description="Configuration profile install and removal events",
    paths=('/private/var/containers/Shared/SystemGroup/{systemgroup.com.apple.configurationprofiles}/Library/ConfigurationProfiles/MCProfileEvents.plist',),
    extra={SYSDIAGNOSE: ("logs/MCState/Shared/MCProfileEvents.plist",)},
    os_versions="iOS 12-18",
)

MAX_TEXT = 4096


def parse(file: EvidenceFile) -> Iterator[Record]:
    events = plist_member(file, "ProfileEvents", list)
    for event in events or ():
        if not isinstance(event, dict):
            continue
        for profile_id, details in event.items():
            yield _record(str(profile_id)[:MAX_TEXT], details if isinstance(details, dict) else {})


def _record(profile_id: str, details: dict[str, Any]) -> Record:
    # The keys' case is not documented, so they are compared lowercased.
    lowered = {str(k).lower(): v for k, v in details.items()}
    moment = plist_date(lowered.get("timestamp"))
    operation = stripped_text(lowered.get("operation"), MAX_TEXT)
    process = stripped_text(lowered.get("process"), MAX_TEXT)
    process_name = PurePosixPath(process).name if process and "/" in process else None
    return Record(
        timestamp=moment,
        timestamp_desc=f"profile {operation or 'event'}",
        message=f"Profile {profile_id}: {operation or 'event'} by {process or 'unknown process'}",
        fields={
            "profile_id": profile_id,
            "operation": operation,
            "process": process,
            "timestamp": iso_utc(moment),
            "other": {k: v for k, v in lowered.items() if k not in ("timestamp", "operation", "process")
                      and isinstance(v, str | int | float | bool)},
        },
        observables=observables(("profile_id", profile_id), ("file_path", process if process_name else None),
                                ("process", process_name or process)),
    )
