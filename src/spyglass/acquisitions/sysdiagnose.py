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

from spyglass.acquisitions.base import SYSDIAGNOSE
from spyglass.acquisitions.containers import children, open_container
from spyglass.acquisitions.named import NamedFilesAcquisition

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


class Sysdiagnose(NamedFilesAcquisition):
    """A sysdiagnose archive (.tar.gz) or its extracted folder."""

    kind = SYSDIAGNOSE
    markers = MARKERS

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self._open(open_container(root))
        self.device = self._device(self.prefix.rstrip("/") or root.name)

    @classmethod
    def prefix_of(cls, paths: Iterator[str]) -> str | None:
        return sysdiagnose_root(paths)

    @classmethod
    def probe(cls, path: Path) -> bool:
        if NAME.match(path.name) and (path.is_dir() or path.is_file()):
            return True
        if path.is_dir() and any(NAME.match(child.name) for child in children(path)):
            return True
        return cls._probe_container(path)

    def _device(self, name: str) -> dict[str, Any]:
        device: dict[str, Any] = {"os": "iOS"}
        found = NAME.match(PurePosixPath(name).name)
        if found:
            year, month, day, hour, minute, second, zone = found.groups()[:7]
            device["build"] = found.group("build")
            device["model_family"] = found.group("model")
            device["sysdiagnose_date"] = f"{year}-{month}-{day}T{hour}:{minute}:{second}{zone[:3]}:{zone[3:]}"
        return device
