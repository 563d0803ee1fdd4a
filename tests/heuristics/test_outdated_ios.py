"""outdated_ios: the exploits an old iOS version lacks Apple's fixes for, as context."""

from __future__ import annotations

from pathlib import Path

from spyglass.heuristics import outdated_ios
from spyglass.heuristics.outdated_ios import EXPLOITS, parse_version
from spyglass.modules.ios import backup_info
from spyglass.records import Record
from tests.builders.ios_artifacts_core import run_module
from tests.builders.ios_backup import BackupBuilder


def device(version: object, module: str = "backup_info", record_type: str = "device") -> Record:
    return Record(timestamp=None, timestamp_desc="backup made", message="", module=module, source="Info.plist",
                  fields={"record_type": record_type, "os_version": version})


def missing(version: str) -> list[str]:
    parsed = parse_version(version)
    assert parsed is not None
    return [exploit.name for exploit in EXPLOITS if exploit.missing_on(parsed)]


def test_backup_of_ios_14_6_names_what_it_lacks(tmp_path: Path) -> None:
    # The version as a real backup's Info.plist gives it, through the backup_info module.
    records = run_module(BackupBuilder(ios_version="14.6"), tmp_path / "b", backup_info)
    (found,) = outdated_ios.check({"backup_info": records, "device_identity": []})
    assert (found.kind, found.severity, found.heuristic) == ("suspicious", "info", "outdated_ios")
    assert found.message == (
        "This phone ran iOS 14.6, which lacks Apple's fixes for exploits used by mercenary spyware: FORCEDENTRY "
        "(Pegasus, fixed in iOS 12.5.5 and 14.8); Operation Triangulation (Triangulation, fixed in iOS 15.7.8 and "
        "16.6); BLASTPASS (Pegasus, fixed in iOS 15.7.9 and 16.6.1); the Predator exploit chain (Predator, fixed "
        "in iOS 16.7 and 17.0.1). This is not a sign of infection; updating the phone closes these holes")


def test_fixed_versions_per_branch() -> None:
    assert missing("13.5.1") == ["KISMET", "FORCEDENTRY", "Operation Triangulation", "BLASTPASS",
                                 "the Predator exploit chain"]
    assert missing("12.5.5") == ["KISMET", "Operation Triangulation", "BLASTPASS", "the Predator exploit chain"]
    assert missing("15.7.8") == ["BLASTPASS", "the Predator exploit chain"]
    assert missing("16.6") == ["BLASTPASS", "the Predator exploit chain"]
    assert missing("16.6.1") == ["the Predator exploit chain"]
    assert missing("17.0") == ["the Predator exploit chain"]
    assert missing("16.7") == [] and missing("17.0.1") == [] and missing("18.5") == [] and missing("26") == []


def test_current_ios_says_nothing() -> None:
    assert list(outdated_ios.check({"backup_info": [device("17.5.1")], "device_identity": []})) == []


def test_sysdiagnose_version_read_once() -> None:
    records = [device("iPhone OS 16.5 (20F66)", "device_identity", "sysdiagnose"),
               device("16.5", "device_identity", "local_device")]
    (found,) = outdated_ios.check({"backup_info": [], "device_identity": records})
    assert found.message.startswith("This phone ran iOS 16.5, which lacks Apple's fixes for exploits used by "
                                    "mercenary spyware: Operation Triangulation (Triangulation, fixed in iOS 15.7.8 "
                                    "and 16.6); BLASTPASS")


def test_unreadable_versions_and_other_records_ignored() -> None:
    records = [device(None), device(14), device("unknown"), device("14.6", record_type="app")]
    assert list(outdated_ios.check({"backup_info": records, "device_identity": []})) == []
    assert parse_version("x" * 1000 + " 14.6") is None       # only the start of a hostile value is read
    assert outdated_ios.HEURISTIC.keep is not None and not outdated_ios.HEURISTIC.keep(device("14.6", record_type="app"))


def test_no_records() -> None:
    assert list(outdated_ios.check({"backup_info": [], "device_identity": []})) == []
