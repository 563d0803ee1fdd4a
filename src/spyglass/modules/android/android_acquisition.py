"""Acquisition facts: when androidqf ran or the bug report was made, and the phone's time zone.

Reads:   the acquisition's own facts (`Acquisition.facts`, read once when it is opened:
         acquisitions/android.py): androidqf's acquisition.json `started` / `completed` (RFC 3339,
         written in UTC by androidqf acquisition/acquisition.go) and getprop.txt
         persist.sys.timezone; a bug report's dumpstate header "== dumpstate: 2024-06-01 12:00:00"
         (the phone's local time, AOSP dumpstate.cpp) and the persist.sys.timezone of its getprop
         section. For an androidqf that collected a bug report, the nested report's dumpstate
         gives what androidqf's own files do not.
Yields:  one record, timestamped with the acquisition time in UTC (None when only the phone's
         local time is known, said in `acquired_at_note`); fields the facts (`acquired_at`,
         `acquired_at_local`, `acquisition_completed`, `timezone`, and where each was read).
         Heuristics compare with it instead of estimating the time from the newest record.
Seen:    androidqf 1.0-1.7; bug reports of Android 8-16.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

from spyglass.acquisitions.base import ANDROID_BUGREPORT, ANDROIDQF, Acquisition
from spyglass.errors import NotPresent
from spyglass.modules import Artifact
from spyglass.records import Record, parse_iso, text_field

ARTIFACT = Artifact(
    name="android_acquisition",
    description="When the acquisition was made, and the phone's time zone",
    whole="device",
    platform="android",
    kinds=frozenset({ANDROIDQF, ANDROID_BUGREPORT}),
    os_versions="Android 8-16",
)
FACTS = ("acquired_at", "acquired_at_local", "acquired_at_source", "acquired_at_note", "acquisition_completed",
         "timezone", "timezone_source")
MAX_FACT_CHARS = 1024


def parse(acquisition: Acquisition) -> Iterator[Record]:
    facts = acquisition.facts if isinstance(acquisition.facts, dict) else {}
    fields = {key: text_field(facts.get(key), MAX_FACT_CHARS) for key in FACTS}
    if not any(fields[key] for key in ("acquired_at", "acquired_at_local", "timezone")):
        raise NotPresent("the acquisition names neither its time nor the phone's time zone")
    fields["kind"] = acquisition.kind
    moment = None
    if fields["acquired_at"]:
        with suppress(ValueError):
            moment = parse_iso(fields["acquired_at"])
    tool = "androidqf ran" if acquisition.kind == ANDROIDQF else "bug report made"
    if moment is not None:
        when = f"{tool} at {fields['acquired_at']}"
    elif fields["acquired_at_local"]:
        when = f"{tool} at {fields['acquired_at_local']}, the phone's local time (its time zone is unknown)"
    else:
        when = f"{tool} at a time the acquisition does not say"
    zone = f"; the phone's time zone is {fields['timezone']}" if fields["timezone"] else ""
    yield Record(timestamp=moment, timestamp_desc="acquisition made" if moment else "",
                 message=f"Acquisition: {when}{zone}", fields=fields)
