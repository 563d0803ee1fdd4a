"""Backup facts: the device the backup was made from, and every installed application.

Reads:   Info.plist at the backup root (device facts, "Installed Applications", and per app
         under "Applications" the iTunesMetadata plist the App Store or TestFlight wrote when
         installing it), and Manifest.plist's "Applications" (version, bundle path).
         iTunesMetadata's `sourceApp` names the installer (com.apple.AppStore,
         com.apple.TestFlight, an alternative marketplace); an app without iTunesMetadata was
         not installed from the App Store (Apple's own apps, enterprise or developer installs).
Yields:  one record for the device (at the backup date), then one per application
         (at its purchase date when known); observable the bundle id (app_id).
Seen:    iOS 10 to 18 backups (Finder, iTunes, idevicebackup2).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import IOS_BACKUP, Acquisition
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import APP_STORE_INSTALLERS, store_date
from spyglass.plists import load_plist
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import to_utc

ARTIFACT = Artifact(
    name="backup_info",
    description="Device facts and installed applications",
    whole="device",
    kinds=frozenset({IOS_BACKUP}),
    os_versions="iOS 10-18",
)

TESTFLIGHT = "com.apple.TestFlight"


def parse(acquisition: Acquisition) -> Iterator[Record]:
    if acquisition.device_error is not None:
        raise EvidenceError(acquisition.device_error)
    device = acquisition.device
    backup_date = acquisition.facts.get("backup_date")
    yield Record(
        timestamp=to_utc(backup_date) if isinstance(backup_date, datetime) else None,
        timestamp_desc="backup made",
        message=f"{device.get('model', 'iOS device')} iOS {device.get('os_version', '?')} "
                f"({device.get('build', '?')}) named {device.get('name', '?')!r}",
        fields={"record_type": "device", **{k: v for k, v in device.items() if k != "backup_date"},
                "backup_date": device.get("backup_date"),
                "itunes_version": acquisition.facts.get("itunes_version")},
        source=acquisition.whole_source("device") or "",
    )
    for app in acquisition.installed_apps():
        yield _app_record(app)


def _app_record(app: dict[str, Any]) -> Record:
    bundle_id = app["bundle_id"]
    metadata, problem = _itunes_metadata(app.get("itunes_metadata"))
    source_app = metadata.get("sourceApp") if isinstance(metadata.get("sourceApp"), str) else None
    if not app.get("listed"):
        from_app_store = None           # Info.plist says nothing of this app
    elif not metadata:
        from_app_store = False if problem is None else None
    elif source_app is None:
        from_app_store = None           # metadata without an installer named
    else:
        from_app_store = source_app in APP_STORE_INSTALLERS
    download = metadata.get("com.apple.iTunesStore.downloadInfo")
    purchased = store_date(metadata.get("purchaseDate")) or (
        store_date(download.get("purchaseDate")) if isinstance(download, dict) else None)
    name = _string(metadata.get("itemName"))
    fields = {
        "record_type": "application",
        "bundle_id": bundle_id,
        "name": name,
        "artist": _string(metadata.get("artistName")),
        "version": app.get("CFBundleVersion") or _string(metadata.get("bundleShortVersionString")),
        "path": app.get("Path"),
        "container_class": app.get("ContainerContentClass"),
        "has_itunes_metadata": bool(metadata),
        "itunes_metadata_error": problem,
        "source_app": source_app,
        "from_app_store": from_app_store,
        "purchase_date": iso_utc(purchased),
        "item_id": metadata.get("itemId") if isinstance(metadata.get("itemId"), int) else None,
        "genre": _string(metadata.get("genre")),
        "is_apple": bundle_id.startswith("com.apple."),
    }
    origin = {True: "App Store", False: f"not the App Store ({source_app or 'no store metadata'})",
              None: "unknown source"}[from_app_store]
    return Record(
        timestamp=purchased,
        timestamp_desc="app purchased",
        message=f"Installed app {bundle_id}{f' ({name})' if name else ''} from {origin}",
        fields=fields,
        observables=observables(("app_id", bundle_id)),
        source="Info.plist",
    )


def _itunes_metadata(blob: Any) -> tuple[dict[str, Any], str | None]:
    if blob is None:
        return {}, None
    if isinstance(blob, dict):
        return blob, None
    if not isinstance(blob, bytes) or len(blob) > MAX_PLIST_BYTES:
        return {}, "iTunesMetadata is not a plist"
    try:
        value = load_plist(blob, "iTunesMetadata")
    except EvidenceError as exc:
        return {}, str(exc)
    return (value, None) if isinstance(value, dict) else ({}, "iTunesMetadata is not a dictionary")


def _string(value: object) -> str | None:
    return value[:1024] if isinstance(value, str) and value else None
