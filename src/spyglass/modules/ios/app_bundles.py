"""Installed app bundles on a filesystem dump: every app installed outside the system volume.

Reads:   /private/var/containers/Bundle/Application/<UUID>/ (a filesystem dump only; backups keep
         no bundles, their apps are in backup_info): <App>.app/Info.plist (CFBundleIdentifier,
         CFBundleName, CFBundleDisplayName, CFBundleShortVersionString, CFBundleVersion,
         CFBundleExecutable), iTunesMetadata.plist (MIStoreMetadata: what the App Store, TestFlight or
         another marketplace wrote when installing; `sourceApp` names the installer), BundleMetadata.plist
         (installd's MIBundleMetadata, an NSKeyedArchiver archive: installDate, installBuildVersion,
         installType), the container's .com.apple.mobile_container_manager.metadata.plist
         (MCMMetadataIdentifier) and whether <App>.app/embedded.mobileprovision exists (development,
         ad hoc and enterprise builds carry their provisioning profile there; reported, not used to
         decide). Fields mean what backup_info's application records mean: an app without
         iTunesMetadata was not installed from the App Store; com.apple.AppStore and
         com.apple.AppStore.ProductPageExtension (the App Store sheet shown inside another app, listed
         by MVT as an App Store installer) are the App Store. (MVT applications, iLEAPP appItunesmeta.)
Yields:  one record per bundle container, timestamped with the install date (else the purchase
         date); observables the bundle id (app_id), the executable (process) and its path (file_path).
Seen:    iOS 10-18; BundleMetadata.plist only where installd writes it (recent iOS; the first
         version is not pinned down), else the purchase date stands in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import IOS_FS, Acquisition, EvidenceFile
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import APP_STORE_INSTALLERS, store_date
from spyglass.plists import is_keyed_archive, unarchive
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="app_bundles",
    description="Installed app bundles and where each came from",
    # The bundle folder has no backup domain: the module asks the dump for its files itself.
    whole="listing",
    kinds=frozenset({IOS_FS}),
    os_versions="iOS 10-18",
)

BUNDLES = "/private/var/containers/Bundle/Application"
FILES = {
    "info": f"{BUNDLES}/*/*.app/Info.plist",
    "itunes": f"{BUNDLES}/*/iTunesMetadata.plist",
    "bundle": f"{BUNDLES}/*/BundleMetadata.plist",
    "container": f"{BUNDLES}/*/.com.apple.mobile_container_manager.metadata.plist",
    "provision": f"{BUNDLES}/*/*.app/embedded.mobileprovision",
}
MAX_TEXT = 1024


def parse(acquisition: Acquisition) -> Iterator[Record]:
    bundles: dict[str, dict[str, list[EvidenceFile]]] = {}
    for role, pattern in FILES.items():
        for file in acquisition.files(DevicePattern(pattern)):
            folder = "/".join((file.device_path or file.source).split("/")[:7])
            bundles.setdefault(folder, {}).setdefault(role, []).append(file)
    if not bundles:
        raise NotPresent(f"no app bundles below {BUNDLES}")
    for folder in sorted(bundles):
        yield _bundle_record(folder, bundles[folder])


def _bundle_record(folder: str, found: dict[str, list[EvidenceFile]]) -> Record:
    errors: dict[str, str] = {}
    info, info_file = _plist(found, "info", errors)
    metadata, _ = _plist(found, "itunes", errors)
    container, _ = _plist(found, "container", errors)
    bundle_metadata = _bundle_metadata(found, errors)
    app_path = info_file.device_path.rsplit("/", 1)[0] if info_file and info_file.device_path else None
    bundle_id = (_text(info.get("CFBundleIdentifier")) or _text(container.get("MCMMetadataIdentifier"))
                 or _text(metadata.get("softwareVersionBundleId")))
    source_app = _text(metadata.get("sourceApp"))
    if "itunes" in errors:
        from_app_store = None
    elif not metadata:
        from_app_store = False          # the App Store and TestFlight always write it
    elif source_app is None:
        from_app_store = None           # metadata without an installer named
    else:
        from_app_store = source_app in APP_STORE_INSTALLERS
    download = metadata.get("com.apple.iTunesStore.downloadInfo")
    purchased = _date(metadata.get("purchaseDate")) or (
        _date(download.get("purchaseDate")) if isinstance(download, dict) else None)
    installed = _date(bundle_metadata.get("installDate"))
    executable = _text(info.get("CFBundleExecutable"))
    executable_path = f"{app_path}/{executable}" if app_path and executable and "/" not in executable and not executable.startswith(".") else None
    name = _text(metadata.get("itemName")) or _text(info.get("CFBundleDisplayName")) or _text(info.get("CFBundleName"))
    item_id = metadata.get("itemId")
    install_type = bundle_metadata.get("installType")
    fields = {
        "record_type": "application",
        "bundle_id": bundle_id,
        "name": name,
        "artist": _text(metadata.get("artistName")),
        "version": _text(info.get("CFBundleVersion")) or _text(metadata.get("bundleVersion")),
        "short_version": _text(info.get("CFBundleShortVersionString")) or _text(metadata.get("bundleShortVersionString")),
        "path": app_path,
        "container_class": None,
        "has_itunes_metadata": bool(metadata),
        "itunes_metadata_error": errors.get("itunes"),
        "source_app": source_app,
        "from_app_store": from_app_store,
        "purchase_date": iso_utc(purchased),
        "item_id": item_id if isinstance(item_id, int) and not isinstance(item_id, bool) else None,
        "genre": _text(metadata.get("genre")),
        "is_apple": bool(bundle_id and bundle_id.startswith("com.apple.")),
        "bundle_container": folder,
        "install_date": iso_utc(installed),
        "install_build": _text(bundle_metadata.get("installBuildVersion")),
        "install_type": install_type if isinstance(install_type, int) and not isinstance(install_type, bool) else None,
        "embedded_mobileprovision": bool(found.get("provision")),
        "process_name": executable,
        "process_path": executable_path,
        "errors": errors,
    }
    origin = {True: "the App Store", False: f"outside the App Store ({source_app or 'no store metadata'})",
              None: "an unknown source"}[from_app_store]
    label = bundle_id or folder.rsplit("/", 1)[-1]
    return Record(
        timestamp=installed or purchased,
        timestamp_desc="app installed" if installed else "app purchased",
        message=f"App bundle {label}{f' ({name})' if name else ''} installed from {origin}",
        fields=fields,
        observables=observables(("app_id", bundle_id), ("process", executable), ("file_path", executable_path)),
        source=folder,
    )


def _plist(found: dict[str, list[EvidenceFile]], role: str,
           errors: dict[str, str]) -> tuple[dict[str, Any], EvidenceFile | None]:
    """The first file of `role` as a dictionary ({} when absent or damaged, the damage in `errors`)."""
    files = found.get(role) or []
    if not files:
        return {}, None
    try:
        return files[0].plist_dict(), files[0]
    except EvidenceError as exc:
        errors[role] = str(exc)
        return {}, files[0]


def _bundle_metadata(found: dict[str, list[EvidenceFile]], errors: dict[str, str]) -> dict[str, Any]:
    value, file = _plist(found, "bundle", errors)
    if not is_keyed_archive(value):
        return value
    try:
        archived = unarchive(value, file.source if file else "BundleMetadata.plist")
    except EvidenceError as exc:
        errors["bundle"] = str(exc)
        return {}
    return archived if isinstance(archived, dict) else {}


def _date(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return apple_time(value)    # NSDate, unarchived as seconds since 2001
    return store_date(value)


def _text(value: object) -> str | None:
    return value[:MAX_TEXT] if isinstance(value, str) and value else None
