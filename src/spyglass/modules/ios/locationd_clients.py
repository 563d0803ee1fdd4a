"""Location clients: every app and system program that asked locationd for the location.

Reads:   clients.plist, RootDomain Library/Caches/locationd/clients.plist
         (/private/var/root/Library/Caches/locationd/). A dictionary keyed by client: a bundle
         id (often with a short type prefix such as "i" or "ic" before a colon, or a trailing
         colon), "com.apple.locationd.bundle-<path>" for a location bundle, or a path. Each
         value holds BundleId, BundlePath, Executable, Registered, Authorized, Authorization and
         times in Apple seconds: LocationTimeStopped, ConsumptionPeriodBegin,
         ReceivingLocationInformationTimeStopped... Non-dictionary values are bookkeeping.
Yields:  one record per client, timestamped with its latest time; observables are the
         client's bundle id (app_id), executable and bundle paths (file_path) and program name
         (process). Kaspersky's triangle_check reads LocationTimeStopped of the
         IonosphereHarvest and WRMLinkSelection bundles for Operation Triangulation.
Seen:    iOS 12 to 16 (MVT, Kaspersky triangle_check).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_bool
from spyglass.records import Record, iso_utc, observables, scalar_field
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="locationd_clients",
    description="Apps and programs that used location services",
    paths=('/private/var/root/Library/Caches/locationd/clients.plist',
           '/private/var/mobile/Library/Caches/locationd/clients.plist'),
    os_versions="iOS 12-16",
)

TIME_KEYS = ("LocationTimeStopped", "ConsumptionPeriodBegin", "ReceivingLocationInformationTimeStopped",
             "VisitTimeStopped", "BackgroundLocationTimeStopped", "SignificantTimeStopped",
             "NonPersistentSignificantTimeStopped", "FenceTimeStopped", "BeaconRegionTimeStopped")
BUNDLE_PREFIX = "com.apple.locationd.bundle-"
TYPE_PREFIX = re.compile(r"^[a-z]{1,2}:")
TEXT_KEYS = ("BundleId", "BundlePath", "Executable", "Registered")
MAX_TEXT = 4096


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.plist_dict()
    for key, value in data.items():
        if isinstance(value, dict):
            yield _record(str(key)[:MAX_TEXT], value)


def client_identity(key: str) -> tuple[str, str | None, str | None]:
    """(client name, bundle id, path) from a clients.plist key."""
    name = key.rstrip(":")
    name = TYPE_PREFIX.sub("", name, count=1) if not name.startswith("/") else name
    if name.startswith(BUNDLE_PREFIX):
        return name, None, name[len(BUNDLE_PREFIX):] or None
    if name.startswith("/"):
        return name, None, name
    return name, name or None, None


def _record(key: str, values: dict[str, Any]) -> Record:
    # Only scalars are kept: a plist value may be a structure of shared references, tiny on
    # disk and exponential once written.
    client, key_bundle_id, key_path = client_identity(key)
    raw = {name: scalar_field(values[name], MAX_TEXT) for name in TIME_KEYS if name in values}
    times = {name: apple_time(value) for name, value in raw.items()}
    latest = max((t for t in times.values() if t), default=None)
    text = {name: values[name][:MAX_TEXT] for name in TEXT_KEYS if isinstance(values.get(name), str)}
    bundle_id = text.get("BundleId") or key_bundle_id
    executable = text.get("Executable")
    paths = [p for p in (key_path, text.get("BundlePath"), executable, text.get("Registered"))
             if p and p.startswith("/")]
    program = PurePosixPath(executable).name if executable else None
    authorized = values.get("Authorized")
    authorization = scalar_field(values.get("Authorization"))
    return Record(
        timestamp=latest,
        timestamp_desc="location use last recorded",
        message=f"Location client {client}" + (" (authorized)" if authorized is True else ""),
        fields={
            "client": client,
            "client_key": key,
            "bundle_id": bundle_id,
            "bundle_path": text.get("BundlePath") or key_path,
            "executable": executable,
            "registered": text.get("Registered") or None,
            "authorized": plist_bool(authorized),
            "authorization": authorization if isinstance(authorization, int) else None,
            "location_time_stopped": iso_utc(times.get("LocationTimeStopped")),
            "times": {name: iso_utc(moment) for name, moment in times.items()},
            "raw_times": {name: raw[name] for name in times if not times[name]},
        },
        observables=observables(("app_id", bundle_id), *(("file_path", p) for p in paths),
                                ("process", program)),
    )
