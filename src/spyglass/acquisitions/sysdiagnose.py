"""iOS sysdiagnose archive: the diagnostics an iPhone gathers when both volume buttons and the
side button are held (then shared from Settings > Privacy > Analytics > Analytics Data).

Layout: `sysdiagnose_<YYYY.MM.DD_HH-MM-SS±ZZZZ>_iPhone-OS_iPhone_<build>.tar.gz`, holding one
folder of that name (or that folder, extracted) with `sysdiagnose.log`, `ps.txt`,
`remotectl_dumpstate.txt`, `system_logs.logarchive/` (its `Extra/shutdown.log`), `crashes_and_spins/`,
`logs/`, `WiFi/`, ... Its files have no device paths: modules name them relative to that folder
(`Artifact.extra`), in the device-path glob dialect. Read in place; nothing is extracted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, Acquisition, EvidenceFile, FileEntry
from spyglass.acquisitions.containers import FILE, Container, Member, open_container
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.errors import EvidenceError, SpyglassError

NAME = re.compile(r"^(?:IN_PROGRESS_)?sysdiagnose_(\d{4})\.(\d{2})\.(\d{2})_(\d{2})-(\d{2})-(\d{2})([+-]\d{4})_"
                  r"(?P<platform>[A-Za-z]+-OS)_(?P<model>[A-Za-z]+)_(?P<build>[0-9A-Za-z]+)")
# Files only a sysdiagnose has at its top: one of them makes a folder one (ps.txt alone does
# not: androidqf writes one too).
MARKERS = ("sysdiagnose.log", "system_logs.logarchive", "remotectl_dumpstate.txt")
PROBE_MEMBERS = 5_000


def sysdiagnose_root(paths: Iterator[str]) -> str | None:
    """The folder of the archive that is the sysdiagnose ("" for its root), None if none is."""
    for path in paths:
        parts = path.split("/")
        for depth, part in enumerate(parts[:3]):
            if part in MARKERS:
                return "/".join(parts[:depth]) + ("/" if depth else "")
    return None


class Sysdiagnose(Acquisition):
    """A sysdiagnose archive (.tar.gz) or its extracted folder."""

    kind = SYSDIAGNOSE

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self.container: Container = open_container(root)
        prefix = sysdiagnose_root(member.path for member in self.container.members())
        if prefix is None:
            self.container.close()
            raise SpyglassError(f"{root}: no sysdiagnose.log, remotectl_dumpstate.txt or system_logs.logarchive: "
                                "not a sysdiagnose")
        self.prefix = prefix
        self._relative = sorted(m.path[len(prefix):] for m in self.container.members()
                                if m.path.startswith(prefix) and len(m.path) > len(prefix))
        self.device = self._device(prefix.rstrip("/") or root.name)
        for refusal in self.container.refused:
            self.warnings.append(f"{root.name}: {refusal}")

    @classmethod
    def probe(cls, path: Path) -> bool:
        if NAME.match(path.name) and (path.is_dir() or path.is_file()):
            return True
        if path.is_dir():
            return any((path / marker).exists() for marker in MARKERS) or any(
                NAME.match(child.name) for child in _children(path))
        try:
            container = open_container(path)
        except EvidenceError:
            return False
        try:
            return sysdiagnose_root(_first_paths(container)) is not None
        finally:
            container.close()

    def _device(self, name: str) -> dict[str, Any]:
        device: dict[str, Any] = {"os": "iOS"}
        found = NAME.match(PurePosixPath(name).name)
        if found:
            year, month, day, hour, minute, second, zone = found.groups()[:7]
            device["build"] = found.group("build")
            device["model_family"] = found.group("model")
            device["sysdiagnose_date"] = f"{year}-{month}-{day}T{hour}:{minute}:{second}{zone[:3]}:{zone[3:]}"
        return device

    # -- the interface --------------------------------------------------------------------------
    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        return []   # no device paths: modules name sysdiagnose files with `extra`

    def named(self, name: str) -> list[EvidenceFile]:
        """Files at `name`, a glob relative to the sysdiagnose folder (`**`, `*` per component)."""
        pattern = DevicePattern("/" + name)
        found = []
        for relative in self._relative:
            if pattern.match("/" + relative):
                member = self.container.member(self.prefix + relative)
                if member is not None and member.kind == FILE:
                    found.append(self._file(member, relative))
        return found

    def listing(self) -> Iterator[FileEntry]:
        for relative in self._relative:
            member = self.container.member(self.prefix + relative)
            if member is not None:
                yield FileEntry(source=relative, device_path=None, kind=member.kind, size=member.size,
                                mode=member.mode, modified=member.modified, name=PurePosixPath(relative).name)

    def whole_source(self, what: str) -> str | None:
        return self.root.name if what == "listing" else None

    def companion(self, file: EvidenceFile, suffix: str) -> EvidenceFile | None:
        member = self.container.member(self.prefix + file.source + suffix)
        return self._file(member, file.source + suffix) if member is not None and member.kind == FILE else None

    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        data = self.container.read(file.key.path, limit)
        return bytearray(data) if mutable else data

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["container"] = type(self.container).__name__.removesuffix("Container").lower()
        described["members"] = len(self._relative)
        described["refused"] = list(self.container.refused)
        return described

    def close(self) -> None:
        self.container.close()

    def _file(self, member: Member, relative: str) -> EvidenceFile:
        meta = {"size": member.size, "mode": member.mode, "modified": member.modified}
        return EvidenceFile(self, relative, None, member.size, meta, member)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())[:50]
    except OSError:
        return []


def _first_paths(container: Container) -> Iterator[str]:
    for count, member in enumerate(container.scan()):
        if count >= PROBE_MEMBERS:
            return
        yield member.path
