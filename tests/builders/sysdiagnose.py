"""sysdiagnose archives written in code: the folder `sysdiagnose_<date>_iPhone-OS_iPhone_<build>`
with the files modules read, as a .tar.gz (as the phone shares it) or extracted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.builders.archives import write_folder, write_tar

DEFAULT_NAME = "sysdiagnose_2024.06.01_10-00-00-0700_iPhone-OS_iPhone_21F90"
SYSDIAGNOSE_LOG = b"""sysdiagnose (full) version 3.0
Starting sysdiagnose at 2024-06-01 10:00:00 -0700
"""


@dataclass
class SysdiagnoseBuilder:
    """Files by their path inside the sysdiagnose folder; `build_*` writes the archive."""

    name: str = DEFAULT_NAME
    files: dict[str, bytes] = field(default_factory=lambda: {"sysdiagnose.log": SYSDIAGNOSE_LOG})

    def add(self, relative: str, data: bytes) -> SysdiagnoseBuilder:
        self.files[relative] = data
        return self

    def build_tar(self, folder: Path) -> Path:
        return write_tar(folder / f"{self.name}.tar.gz", {f"{self.name}/{k}": v for k, v in self.files.items()},
                         compression="gz")

    def build_folder(self, folder: Path) -> Path:
        return write_folder(folder / self.name, self.files)
