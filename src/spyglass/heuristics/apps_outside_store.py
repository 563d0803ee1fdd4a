"""Applications not installed from the App Store: TestFlight, enterprise or developer installs.

Reads the application records of `backup_info` (a backup's Info.plist) and `app_bundles` (the
installed bundles of a filesystem dump), which share their fields. The App Store writes iTunesMetadata naming
itself as `sourceApp`; an app without it came from elsewhere (an enterprise or developer
certificate, a management profile, a sideloading tool), a route stalkerware and some
spyware use. TestFlight betas are ordinary for developers (low); other sources medium.
Apple's own apps (com.apple.*) carry no store metadata and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="apps_outside_store",
    description="Applications not installed from the App Store",
    modules=frozenset({"backup_info", "app_bundles"}),
)

TESTFLIGHT = "com.apple.TestFlight"


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in (*records.get("backup_info", ()), *records.get("app_bundles", ())):
        fields = record.fields
        bundle_id = str(fields.get("bundle_id") or "")
        if fields.get("record_type") != "application" or fields.get("from_app_store") is not False:
            continue
        if not bundle_id or bundle_id.startswith("com.apple."):
            continue
        observable = Observable("app_id", bundle_id)
        source = fields.get("source_app")
        if source == TESTFLIGHT:
            yield suspicious(HEURISTIC, record, f"App {bundle_id} was installed from TestFlight (a beta), "
                             "not the App Store", severity="low", observable=observable)
        elif source:
            yield suspicious(HEURISTIC, record, f"App {bundle_id} was installed by {source}, "
                             "not the App Store", severity="medium", observable=observable)
        else:
            yield suspicious(HEURISTIC, record, f"App {bundle_id} has no App Store record: installed "
                             "with an enterprise or developer certificate or another tool",
                             severity="medium", observable=observable)
