"""Kinds whose files modules name relative to one folder of a container, rather than by device
path: sysdiagnose, androidqf, bug reports, intrusion logs. One implementation of naming, listing
and reading for all of them; each kind says what marks its folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import ContainerAcquisition, EvidenceFile, FileEntry
from spyglass.acquisitions.containers import FILE, Container, Member, children, probe_paths
from spyglass.acquisitions.devpath import DevicePattern, path_name
from spyglass.errors import EvidenceError, SpyglassError


def marked_root(paths: Iterator[str], markers: tuple[str, ...], depth: int = 2) -> str | None:
    """The folder holding one of `markers` ("" for the container's root), at most `depth` deep."""
    best: str | None = None
    for path in paths:
        parts = path.split("/")
        if len(parts) <= depth + 1 and parts[-1] in markers:
            prefix = "/".join(parts[:-1]) + ("/" if len(parts) > 1 else "")
            if best is None or len(prefix) < len(best):
                best = prefix
    return best


class NamedFilesAcquisition(ContainerAcquisition):
    """A container whose files modules name relative to one folder of it."""

    markers: tuple[str, ...] = ()

    @classmethod
    def prefix_of(cls, paths: Iterator[str]) -> str | None:
        """The folder of the container that is the acquisition ("" for its root), None if none is."""
        return marked_root(paths, cls.markers)

    def _open(self, container: Container) -> None:
        self.container = container
        prefix = self.prefix_of(m.path for m in container.members())
        if prefix is None:
            container.close()
            raise SpyglassError(f"{self.root}: none of {', '.join(self.markers)}: not an acquisition of kind {self.kind}")
        self.prefix = prefix
        self._relative = sorted(m.path[len(prefix):] for m in container.members()
                                if m.path.startswith(prefix) and len(m.path) > len(prefix))
        for refusal in container.refused:
            self.warnings.append(f"{self.root.name}: {refusal}")

    @classmethod
    def _probe_container(cls, path: Path) -> bool:
        if path.is_dir():
            return any((path / marker).is_file() for marker in cls.markers) or any(
                (child / marker).is_file() for child in children(path) if child.is_dir() for marker in cls.markers)
        try:
            return cls.prefix_of(probe_paths(path)) is not None
        except EvidenceError:
            return False

    def named(self, name: str) -> list[EvidenceFile]:
        pattern = DevicePattern("/" + name)
        found = []
        for relative in self._relative:
            if pattern.match("/" + relative):
                member = self.container.member(self.prefix + relative)
                if member is not None and member.kind == FILE:
                    found.append(self._file(member, relative))
        return found

    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        return []

    def listing(self) -> Iterator[FileEntry]:
        for relative in self._relative:
            member = self.container.member(self.prefix + relative)
            if member is not None:
                yield FileEntry(source=relative, device_path=None, kind=member.kind, size=member.size,
                                mode=member.mode, modified=member.modified, name=path_name(relative))

    def whole_source(self, what: str) -> str | None:
        return self.root.name if what == "listing" else None

    def companion(self, file: EvidenceFile, suffix: str) -> EvidenceFile | None:
        member = self.container.member(self.prefix + file.source + suffix)
        return self._file(member, file.source + suffix) if member is not None and member.kind == FILE else None

    def _file(self, member: Member, relative: str, device_path: str | None = None) -> EvidenceFile:
        meta = {"size": member.size, "mode": member.mode, "modified": member.modified}
        return EvidenceFile(self, relative, device_path, member.size, meta, member)

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["container"] = type(self.container).__name__.removesuffix("Container").lower()
        described["members"] = len(self._relative)
        described["refused"] = list(self.container.refused)
        return described

    def close(self) -> None:
        self.container.close()


