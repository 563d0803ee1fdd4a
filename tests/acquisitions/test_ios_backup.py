from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from spyglass.acquisitions import detect, open_acquisition
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.acquisitions.ios_backup import LISTING_QUERY, IOSBackup, device_path, parse_mbfile
from spyglass.errors import EvidenceError, MissingFromAcquisition, SpyglassError
from tests.builders.ios_backup import BackupBuilder, mbfile_blob

SMS = DevicePattern("/private/var/mobile/Library/SMS/sms.db")
PREFS = DevicePattern("/private/var/mobile/Library/Preferences/*.plist")


def small_backup(root: Path, **options: object) -> Path:
    builder = BackupBuilder(**options)
    builder.add_file("HomeDomain", "Library/SMS/sms.db", b"SQLite format 3\x00" + b"\x00" * 100)
    builder.add_plist("HomeDomain", "Library/Preferences/a.plist", {"a": 1})
    builder.add_plist("HomeDomain", "Library/Preferences/b.plist", {"b": 2})
    builder.add_directory("HomeDomain", "Library/Preferences")
    builder.add_app("com.example.chat", itunes_metadata={"sourceApp": "com.apple.AppStore"})
    return builder.build(root)


def test_backup_device_facts(tmp_path: Path) -> None:
    backup = IOSBackup(small_backup(tmp_path / "b"))
    assert backup.device == {
        "name": "Test iPhone", "model": "iPhone14,2", "os": "iOS", "os_version": "17.5.1", "build": "21F90",
        "serial": "F2LXK0AAAAAA", "udid": "00008030-001A2B3C4D5E802E", "imei": "356789012345678",
        "backup_date": "2021-07-20T09:30:00", "encrypted": False}
    assert [app["bundle_id"] for app in backup.installed_apps()] == ["com.example.chat"]


def test_backup_find_by_glob_and_read(tmp_path: Path) -> None:
    backup = IOSBackup(small_backup(tmp_path / "b"))
    files = backup.files(PREFS)
    assert [f.source for f in files] == ["HomeDomain/Library/Preferences/a.plist",
                                          "HomeDomain/Library/Preferences/b.plist"]
    assert files[0].device_path == "/private/var/mobile/Library/Preferences/a.plist"
    assert files[1].plist() == {"b": 2}
    digest = hashlib.sha256(files[1].read_bytes()).hexdigest()
    assert backup.inputs["HomeDomain/Library/Preferences/b.plist"]["sha256"] == digest


def test_backup_flat_layout_of_old_ios(tmp_path: Path) -> None:
    backup = IOSBackup(small_backup(tmp_path / "b", flat_layout=True, ios_version="9.3.5"))
    assert backup.files(PREFS)[0].plist() == {"a": 1}


def test_backup_missing_blob_is_evidence_error(tmp_path: Path) -> None:
    root = small_backup(tmp_path / "b")
    file = IOSBackup(root).files(SMS)[0]
    fid = file.key.file_id
    (root / fid[:2] / fid).unlink()
    with pytest.raises(MissingFromAcquisition, match=r"listed in Manifest\.db but missing from the backup \(file "):
        IOSBackup(root).files(SMS)[0].read_bytes()


def test_backup_corrupt_manifest_db_refused(tmp_path: Path) -> None:
    root = small_backup(tmp_path / "b")
    (root / "Manifest.db").write_bytes(b"not a database at all")
    with pytest.raises(SpyglassError, match="Manifest.db cannot be read"):
        IOSBackup(root)


DAMAGED_PLISTS = {
    "truncated XML": b"<?xml version='1.0'?><plist><dict><key>x",
    "nested too deeply": b"<?xml version='1.0'?><plist>" + b"<array>" * 200_000 + b"</array>" * 200_000 + b"</plist>",
    "entity bomb": (b"<?xml version='1.0'?><!DOCTYPE plist [<!ENTITY a 'aaaaaaaaaa'>"
                    b"<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>"
                    b"<plist><string>&c;&c;&c;</string></plist>"),
    "bad binary trailer": b"bplist00" + b"\x08" + b"\xff" * 32,
}


@pytest.mark.parametrize("name", ["Info.plist", "Status.plist", "Manifest.plist"])
@pytest.mark.parametrize("damage", sorted(DAMAGED_PLISTS))
def test_backup_damaged_plist_beside_databases_recorded_check_goes_on(tmp_path: Path, name: str,
                                                                      damage: str) -> None:
    root = small_backup(tmp_path / "b")
    (root / name).write_bytes(DAMAGED_PLISTS[damage])
    backup = IOSBackup(root)
    [error] = backup.meta_errors.values()
    assert list(backup.meta_errors) == [name]
    assert error.startswith(f"{name}: ")
    assert backup.warnings == [f"{error}; the check went on without it"]
    assert backup.files(PREFS)[1].plist() == {"b": 2}    # the databases are still read


def test_backup_damaged_info_plist_is_an_error_of_backup_info(tmp_path: Path) -> None:
    from spyglass.check import check
    from spyglass.indicators import IndicatorIndex

    root = small_backup(tmp_path / "b")
    (root / "Info.plist").write_bytes(DAMAGED_PLISTS["truncated XML"])
    outcome = check(root, tmp_path / "case", [], IndicatorIndex([]))
    module = outcome.case["modules"]["backup_info"]
    assert (module["status"], module["message"]) == ("error", outcome.case["warnings"][0].removesuffix(
        "; the check went on without it"))
    assert outcome.case["warnings"][0].startswith("Info.plist: not a valid plist")
    assert outcome.case["modules"]["manifest"]["status"] == "ok"


def test_backup_linked_blob_folder_refused(tmp_path: Path) -> None:
    root = small_backup(tmp_path / "b")
    fid = IOSBackup(root).files(SMS)[0].key.file_id
    outside = tmp_path / "outside"
    (root / fid[:2]).rename(outside)
    (root / fid[:2]).symlink_to(outside, target_is_directory=True)
    with pytest.raises(EvidenceError, match=rf"^HomeDomain/Library/SMS/sms\.db: its file {fid[:2]}/{fid} is "
                                            r"reached through a link; refused \(a backup holds no links\)$"):
        IOSBackup(root).files(SMS)[0].read_bytes()


def test_backup_linked_blob_refused(tmp_path: Path) -> None:
    root = small_backup(tmp_path / "b")
    fid = IOSBackup(root).files(SMS)[0].key.file_id
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not evidence")
    (root / fid[:2] / fid).unlink()
    (root / fid[:2] / fid).symlink_to(secret)
    with pytest.raises(EvidenceError, match="reached through a link; refused"):
        IOSBackup(root).files(SMS)[0].read_bytes()


def test_detect_lone_backup_in_folder(tmp_path: Path) -> None:
    root = small_backup(tmp_path / "Backup" / "00008030-001A2B3C4D5E802E")
    assert detect(tmp_path / "Backup") == ("ios-backup", root)
    assert open_acquisition(tmp_path / "Backup").root == root


def test_detect_refuses_unknown(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(SpyglassError, match="not a recognised acquisition"):
        detect(tmp_path)
    with pytest.raises(SpyglassError, match="no such file"):
        detect(tmp_path / "missing")


def test_mbfile_parse_and_corrupt() -> None:
    meta = parse_mbfile(mbfile_blob("Library/x", 12, mode=0o100600, modified=1625133600, birth=1625000000))
    assert (meta["size"], meta["mode"], meta["modified"], meta["birth"]) == (12, 0o100600, 1625133600, 1625000000)
    assert parse_mbfile(b"bplist00garbage") == {}
    assert parse_mbfile(None) == {}


def test_device_paths_of_domains() -> None:
    assert device_path("HomeDomain", "Library/SMS/sms.db") == "/private/var/mobile/Library/SMS/sms.db"
    assert device_path("AppDomain-net.whatsapp.WhatsApp", "Documents/x") == \
        "/private/var/mobile/Containers/Data/Application/net.whatsapp.WhatsApp/Documents/x"
    assert device_path("RootDomain", "Library/Caches/locationd/clients.plist") == \
        "/private/var/root/Library/Caches/locationd/clients.plist"


def test_backup_reads_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spyglass.acquisitions import base

    builder = BackupBuilder()
    builder.add_plist("HomeDomain", "Library/Preferences/big.plist", {"blob": b"x" * 5000})
    builder.add_file("HomeDomain", "Library/SMS/sms.db", b"SQLite format 3\x00" + b"\x00" * 5000)
    backup = IOSBackup(builder.build(tmp_path / "b"))
    monkeypatch.setattr(base, "MAX_PLIST_BYTES", 1000)
    monkeypatch.setattr(base, "MAX_TEXT_BYTES", 1000)
    monkeypatch.setattr("spyglass.acquisitions.ios_backup.MAX_SQLITE_BYTES", 1000)
    with pytest.raises(EvidenceError, match="over the 1000 byte bound"):
        backup.files(PREFS)[0].plist()
    with pytest.raises(EvidenceError, match="over the 1000 byte bound"):
        backup.files(SMS)[0].sqlite()


def test_backup_listing_sorts_nothing_with_or_without_indexes(tmp_path: Path) -> None:
    """The listing streams the Manifest in its own row order: no temporary B-tree, which would hold
    a whole domain (or, without FilesDomainIdx, the whole table) with its MBFile blobs in memory."""
    root = small_backup(tmp_path / "b")
    for dropped in (False, True):
        if dropped:
            with sqlite3.connect(root / "Manifest.db") as connection:
                for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                  "AND sql IS NOT NULL").fetchall():
                    connection.execute(f'DROP INDEX "{name}"')
            connection.close()
        backup = IOSBackup(root)
        plan = [str(row[3]) for row in backup.database.rows("EXPLAIN QUERY PLAN " + LISTING_QUERY)]
        assert plan == ["SCAN Files"]
        assert [entry.source for entry in backup.listing()][:2] == ["HomeDomain/Library/SMS/sms.db",
                                                                     "HomeDomain/Library/Preferences/a.plist"]
        backup.close()
