"""iOS full-filesystem dump: a copy of the phone's tree, in a folder, a .tar (.gz) or a .zip.

Made by checkm8-class or agent-based extractions, or from a jailbroken phone. The tree holds
`private/var/...` (and usually `System/`, `Applications/`), at the container's root or below a
prefix (`filesystem1/`, `root/`, a folder named after the device). Members are listed once and
read in place; nothing is extracted. App and group containers are folders named by UUID; the
identifier of each is in its `.com.apple.mobile_container_manager.metadata.plist`
(MCMMetadataIdentifier), read on demand to resolve `{identifier}` in device-path globs.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import IOS_FS, ContainerAcquisition, EvidenceFile, FileEntry
from spyglass.acquisitions.containers import FILE, Container, Member, children, open_container, probe_paths
from spyglass.acquisitions.devpath import DevicePattern, path_name
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.plists import load_plist

CONTAINER_METADATA = ".com.apple.mobile_container_manager.metadata.plist"
# Folders whose children are containers named by UUID.
CONTAINER_PARENTS = (
    "/private/var/mobile/Containers/Data/Application",
    "/private/var/mobile/Containers/Shared/AppGroup",
    "/private/var/mobile/Containers/Data/PluginKitPlugin",
    "/private/var/containers/Bundle/Application",
    "/private/var/containers/Data/System",
    "/private/var/containers/Shared/SystemGroup",
)
SYSTEM_VERSION = "/System/Library/CoreServices/SystemVersion.plist"
MARKER = "private/var/"
PROBE_MEMBERS = 20_000    # members looked at to recognise a dump before it is opened


def root_prefix(paths: Iterator[str]) -> str | None:
    """The prefix under which the phone's root lies: the shortest one before a `private/var/`."""
    best: str | None = None
    for path in paths:
        at = (path + "/").find(MARKER)
        while at > 0 and path[at - 1] != "/":
            at = (path + "/").find(MARKER, at + 1)
        if at >= 0 and (best is None or at < len(best)):
            best = path[:at]
            if not best:
                break
    return best


class IOSFilesystem(ContainerAcquisition):
    """A full-filesystem dump of an iPhone, over any container."""

    kind = IOS_FS

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self.container: Container = open_container(root)
        members = self.container.members()
        prefix = root_prefix(member.path for member in members)
        if prefix is None:
            self.container.close()
            raise SpyglassError(f"{root}: no private/var folder: not an iOS filesystem dump")
        self.prefix = prefix
        # Device paths in sorted order, so a glob's literal prefix narrows the search.
        self._paths = sorted("/" + m.path[len(prefix):] for m in members
                             if m.path.startswith(prefix) and len(m.path) > len(prefix))
        self._identifiers: dict[str, str | None] = {}
        self.device = self._device()
        for refusal in self.container.refused:
            self.warnings.append(f"{root.name}: {refusal}")

    @classmethod
    def probe(cls, path: Path) -> bool:
        if path.is_dir():
            candidates = [path, *(child for child in children(path, 200) if child.is_dir())]
            return any((folder / "private" / "var").is_dir() for folder in candidates) or any(
                (child / "private" / "var").is_dir() for folder in candidates[1:] for child in children(folder, 200))
        try:
            return root_prefix(probe_paths(path, PROBE_MEMBERS, mark_folders=True)) is not None
        except EvidenceError:
            return False

    # -- device ---------------------------------------------------------------------------------
    def _device(self) -> dict[str, Any]:
        device: dict[str, Any] = {"os": "iOS"}
        version = self._plist_at(SYSTEM_VERSION)
        if isinstance(version, dict):
            for key, name in (("ProductVersion", "os_version"), ("ProductBuildVersion", "build")):
                if isinstance(version.get(key), str):
                    device[name] = version[key]
        return device

    def _plist_at(self, device_path: str) -> Any:
        member = self._member(device_path)
        if member is None or member.kind != FILE:
            return None
        try:
            data = self.container.read(member.path, MAX_PLIST_BYTES)
            self.record_input(device_path, hashlib.sha256(data).hexdigest(), len(data))
            return load_plist(data, device_path)
        except EvidenceError as exc:
            self.warnings.append(f"{exc}; the check went on without it")
            return None

    # -- the interface --------------------------------------------------------------------------
    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        start = pattern.literal_prefix.rstrip("/") + "/"
        found = []
        index = bisect.bisect_left(self._paths, start)
        while index < len(self._paths) and self._paths[index].startswith(start):
            path = self._paths[index]
            index += 1
            if pattern.match(path, self._identifier):
                member = self._member(path)
                if member is not None and member.kind == FILE:
                    found.append(self._file(member, path))
        return found

    slices_listing = True

    def listing(self) -> Iterator[FileEntry]:
        start, stop = self.listing_bounds(len(self._paths))
        for path in self._paths[start:stop]:
            member = self._member(path)
            if member is None:
                continue
            yield FileEntry(source=path, device_path=path, kind=member.kind, size=member.size,
                            mode=member.mode, modified=member.modified, accessed=member.accessed,
                            changed=member.changed, born=member.born, name=path_name(path),
                            details={"link_target": member.target} if member.target else {})

    def whole_source(self, what: str) -> str | None:
        return self.root.name if what == "listing" else None

    def companion(self, file: EvidenceFile, suffix: str) -> EvidenceFile | None:
        member = self._member(file.source + suffix)
        return self._file(member, file.source + suffix) if member is not None and member.kind == FILE else None

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["container"] = type(self.container).__name__.removesuffix("Container").lower()
        described["root_prefix"] = self.prefix
        described["members"] = len(self._paths)
        described["refused"] = list(self.container.refused)
        return described

    def close(self) -> None:
        self.container.close()

    # -- helpers --------------------------------------------------------------------------------
    def _member(self, device_path: str) -> Member | None:
        return self.container.member(self.prefix + device_path[1:])

    def _file(self, member: Member, device_path: str) -> EvidenceFile:
        meta = {"size": member.size, "mode": member.mode, "modified": member.modified,
                "accessed": member.accessed, "status_changed": member.changed, "birth": member.born}
        return EvidenceFile(self, device_path, device_path, member.size, meta, member)

    def _identifier(self, folder: str) -> str | None:
        """The identifier of the container at device path `folder` (None if it has no metadata)."""
        if folder not in self._identifiers:
            identifier = None
            if folder.rsplit("/", 1)[0] in CONTAINER_PARENTS:
                metadata = self._plist_at(f"{folder}/{CONTAINER_METADATA}")
                if isinstance(metadata, dict) and isinstance(metadata.get("MCMMetadataIdentifier"), str):
                    identifier = metadata["MCMMetadataIdentifier"]
            self._identifiers[folder] = identifier
        return self._identifiers[folder]
