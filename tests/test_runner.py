from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

from spyglass.acquisitions.base import EvidenceFile
from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact, Module
from spyglass.records import Record
from spyglass.runner import ModuleResult, run_module
from tests.builders.ios_backup import BackupBuilder

PREFS = Artifact("prefs", "Preference files", paths=("/private/var/mobile/Library/Preferences/*.plist",))


def parse_prefs(file: EvidenceFile) -> Iterator[Record]:
    for key, value in sorted(file.plist().items()):
        yield Record(timestamp=None, timestamp_desc="", message=f"{key}={value}")


def backup(tmp_path: Path, broken: bool) -> IOSBackup:
    builder = BackupBuilder()
    builder.add_plist("HomeDomain", "Library/Preferences/a.plist", {"x": 1, "y": 2})
    builder.add_file("HomeDomain", "Library/Preferences/b.plist", b"bplist00\xff\xff" if broken else
                     b'<?xml version="1.0"?><plist version="1.0"><dict><key>z</key><integer>3</integer></dict></plist>')
    return IOSBackup(builder.build(tmp_path / "backup"))


def run(acquisition: IOSBackup, artifact: Artifact = PREFS) -> tuple[ModuleResult, list[Record]]:
    module = Module(artifact, parse_prefs, types.ModuleType("prefs"))
    result = ModuleResult(artifact.name, artifact.description)
    return result, list(run_module(module, acquisition, result))


def test_runner_fills_module_and_source(tmp_path: Path) -> None:
    result, records = run(backup(tmp_path, broken=False))
    assert [(r.module, r.source, r.message) for r in records] == [
        ("prefs", "HomeDomain/Library/Preferences/a.plist", "x=1"),
        ("prefs", "HomeDomain/Library/Preferences/a.plist", "y=2"),
        ("prefs", "HomeDomain/Library/Preferences/b.plist", "z=3")]
    assert (result.status, result.records, result.message) == ("ok", 3, None)


def test_runner_one_corrupt_file_recorded_others_read(tmp_path: Path) -> None:
    result, records = run(backup(tmp_path, broken=True))
    assert [r.message for r in records] == ["x=1", "y=2"]
    assert result.status == "ok"
    assert result.message == "1 of 2 files could not be read"
    assert result.errors[0].startswith("HomeDomain/Library/Preferences/b.plist: not a valid plist")


def test_runner_not_present(tmp_path: Path) -> None:
    missing = Artifact("none", "Nothing", paths=("/private/var/mobile/Library/Nope/*",))
    result, records = run(backup(tmp_path, broken=False), missing)
    assert (result.status, records) == ("not present", [])


def test_runner_all_files_failing_is_error(tmp_path: Path) -> None:
    only_broken = Artifact("b", "B", paths=("/private/var/mobile/Library/Preferences/b.plist",))
    result, records = run(backup(tmp_path, broken=True), only_broken)
    assert (result.status, records) == ("error", [])
    assert "not a valid plist" in result.message


def test_runner_damaged_file_keeps_what_was_intact(tmp_path: Path) -> None:
    # A module that read rows and then hit the damage: its records are kept, the damage said.
    def parse_until_damage(file: EvidenceFile) -> Iterator[Record]:
        yield Record(timestamp=None, timestamp_desc="", message="intact row")
        raise EvidenceError(f"{file.source}: database disk image is malformed")

    artifact = Artifact("damaged", "Damaged", paths=("/private/var/mobile/Library/Preferences/a.plist",))
    module = Module(artifact, parse_until_damage, types.ModuleType("damaged"))
    result = ModuleResult("damaged", "Damaged")
    records = list(run_module(module, backup(tmp_path, broken=False), result))
    assert [r.message for r in records] == ["intact row"]
    assert (result.status, result.message) == ("ok", "1 file was read only up to damage")
    assert result.errors == ["HomeDomain/Library/Preferences/a.plist: database disk image is malformed "
                             "(after 1 records read)"]
