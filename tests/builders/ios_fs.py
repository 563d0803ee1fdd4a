"""iOS full-filesystem dumps written in code: the phone's tree as a folder, a .tar (.gz) or a
.zip, under a root prefix, with app and group containers in UUID folders that carry their
`.com.apple.mobile_container_manager.metadata.plist`, as on the phone.

`from_backup(builder)` lays the files a BackupBuilder holds out at their device paths, so
every artifact builder of the backup tests also builds dumps.
"""

from __future__ import annotations

import plistlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.builders.archives import write_folder, write_tar, write_zip
from tests.builders.ios_backup import BackupBuilder

CONTAINER_METADATA = ".com.apple.mobile_container_manager.metadata.plist"
# Backup domain prefixes and the device folder holding those containers, by UUID.
CONTAINER_FOLDERS = {
    "AppDomainGroup-": "private/var/mobile/Containers/Shared/AppGroup",
    "AppDomainPlugin-": "private/var/mobile/Containers/Data/PluginKitPlugin",
    "AppDomain-": "private/var/mobile/Containers/Data/Application",
    "SysSharedContainerDomain-": "private/var/containers/Shared/SystemGroup",
    "SysContainerDomain-": "private/var/containers/Data/System",
}
FIXED_FOLDERS = {
    "HomeDomain": "private/var/mobile", "MediaDomain": "private/var/mobile", "RootDomain": "private/var/root",
    "WirelessDomain": "private/var/wireless", "SystemPreferencesDomain": "private/var/preferences",
    "DatabaseDomain": "private/var/db", "KeychainDomain": "private/var/Keychains",
}


def system_version(version: str = "17.5.1", build: str = "21F90") -> bytes:
    return plistlib.dumps({"ProductName": "iPhone OS", "ProductVersion": version, "ProductBuildVersion": build})


@dataclass
class FilesystemBuilder:
    """Device paths (relative, no leading slash) and their bytes; `build_*` writes the dump."""

    files: dict[str, bytes] = field(default_factory=dict)
    containers: dict[str, str] = field(default_factory=dict)    # identifier -> container folder

    def add(self, device_path: str, data: bytes) -> FilesystemBuilder:
        self.files[device_path.lstrip("/")] = data
        return self

    def container(self, parent: str, identifier: str) -> str:
        """The UUID folder of the container `identifier` under `parent`, made on first use."""
        if identifier not in self.containers:
            folder = f"{parent}/{str(uuid.uuid5(uuid.NAMESPACE_DNS, identifier)).upper()}"
            self.containers[identifier] = folder
            self.files[f"{folder}/{CONTAINER_METADATA}"] = plistlib.dumps(
                {"MCMMetadataIdentifier": identifier, "MCMMetadataContentClass": 2,
                 "MCMMetadataUUID": folder.rsplit("/", 1)[1]}, fmt=plistlib.FMT_BINARY)
        return self.containers[identifier]

    def tree(self, prefix: str = "") -> dict[str, bytes]:
        return {f"{prefix}{path}": data for path, data in sorted(self.files.items())}

    def build_folder(self, root: Path, prefix: str = "") -> Path:
        return write_folder(root, self.tree(prefix))

    def build_tar(self, path: Path, prefix: str = "", compression: str = "gz") -> Path:
        return write_tar(path, self.tree(prefix), compression=compression)

    def build_zip(self, path: Path, prefix: str = "") -> Path:
        return write_zip(path, self.tree(prefix))


def from_backup(backup: BackupBuilder, *, with_system_version: bool = True) -> FilesystemBuilder:
    """The files of `backup` at the device paths the phone keeps them at."""
    dump = FilesystemBuilder()
    if with_system_version:
        dump.add("System/Library/CoreServices/SystemVersion.plist",
                 system_version(backup.ios_version, backup.build_version))
    for file in backup.files:
        if file.data is None:
            continue
        dump.add(device_path_of(dump, file.domain, file.relative_path), file.data)
    return dump


def device_path_of(dump: FilesystemBuilder, domain: str, relative_path: str) -> str:
    for prefix, parent in CONTAINER_FOLDERS.items():
        if domain.startswith(prefix):
            return f"{dump.container(parent, domain[len(prefix):])}/{relative_path}"
    return f"{FIXED_FOLDERS[domain]}/{relative_path}"
