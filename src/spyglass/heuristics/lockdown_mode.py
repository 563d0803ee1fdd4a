"""Lockdown Mode: reports that it is on, so the reader knows this person is (or felt) at risk.

Reads the `global_preferences` records (LDMGlobalEnabled in .GlobalPreferences.plist, iOS 16+).
Lockdown Mode is Apple's hardening for people targeted by mercenary spyware; it blocks most
message attachments, link previews, FaceTime from strangers and web features exploits use.
It being on is a good sign, not a suspicious one: it is reported as context ("info"), which
neither changes the verdict nor makes the check exit 1. It usually means the person was warned
or knows they are a target. Off is not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Record

HEURISTIC = Heuristic(
    name="lockdown_mode",
    description="Lockdown Mode is turned on",
    modules=frozenset({"global_preferences"}),
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("global_preferences", ()):
        if record.fields.get("lockdown_mode") is True:
            yield suspicious(
                HEURISTIC, record,
                "Lockdown Mode is on: a protection against targeted spyware, not a sign of infection. "
                "Keep it on if you may be targeted",
                severity="info")
