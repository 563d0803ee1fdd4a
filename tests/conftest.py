"""Shared pytest helpers: run a module over a backup written by the real-layout builder."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.records import Record
from spyglass.runner import locate, parse_file
from tests.builders.ios_backup import BackupBuilder


def run_module(backup_root: Path, module: ModuleType) -> list[Record]:
    """Open the backup read-only and run `module` over every file of its artifact, as the runner does."""
    backup = IOSBackup(backup_root)
    try:
        records: list[Record] = []
        for file in locate(module.ARTIFACT, backup):
            records.extend(parse_file(module.ARTIFACT, module.parse, file))
        return records
    finally:
        backup.close()


@pytest.fixture
def builder() -> BackupBuilder:
    return BackupBuilder()


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    return tmp_path / "00008030-001A2B3C4D5E802E"
