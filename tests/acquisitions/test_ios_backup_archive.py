"""An iOS backup handed over as one .zip or .tar (how a platform passes a folder to a worker):
read in memory, member paths checked, with the same records and findings as the folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from spyglass.acquisitions import detect, open_acquisition
from spyglass.acquisitions.base import IOS_BACKUP, IOS_FS
from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.acquisitions.ios_decrypt import decrypt_backup
from spyglass.errors import MissingFromAcquisition, SpyglassError
from spyglass.secrets import Secrets
from tests.builders.archives import write_tar, write_zip
from tests.builders.full_backup import add_everything, e2e_feed
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_backup_encrypted import build_encrypted
from tests.builders.ios_fs import FilesystemBuilder
from tests.test_end_to_end import EXPECTED_INDICATOR_HITS, EXPECTED_SUSPICIOUS, findings, run_check

PASSWORD = "archive pass \u2603"


def populate(builder: BackupBuilder) -> BackupBuilder:
    builder.add_sqlite("HomeDomain", "Library/SMS/sms.db",
                       "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT);", {"message": [(1, "hello")]})
    builder.add_file("HomeDomain", "Library/Logs/marker.txt", b"marker-5d1f0c")
    builder.add_file("RootDomain", "Library/Caches/empty", b"")
    builder.add_directory("HomeDomain", "Library/SMS")
    return builder


def folder_files(root: Path, prefix: str = "") -> dict[str, bytes]:
    return {prefix + path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def read_all(backup: IOSBackup) -> dict[str, bytes]:
    return {entry.source: backup.evidence_file(entry).read_bytes() for entry in backup.entries()}


EXPECTED = {"HomeDomain/Library/Logs/marker.txt": b"marker-5d1f0c", "RootDomain/Library/Caches/empty": b""}


def test_backup_zip_in_udid_folder_reads_every_file(tmp_path):
    builder = populate(BackupBuilder())
    folder = builder.build(tmp_path / builder.udid)
    archive = write_zip(tmp_path / "backup.zip", folder_files(folder, f"{builder.udid}/"))
    assert detect(archive) == (IOS_BACKUP, archive)
    backup = open_acquisition(archive)
    files = read_all(backup)
    assert {k: v for k, v in files.items() if k != "HomeDomain/Library/SMS/sms.db"} == EXPECTED
    database = backup.evidence_file(backup.entry("HomeDomain", "Library/SMS/sms.db")).sqlite()
    assert [tuple(row) for row in database.rows("SELECT ROWID, text FROM message")] == [(1, "hello")]
    assert backup.device["udid"] == builder.udid
    assert backup.device["model"] == "iPhone14,2"
    assert backup.whole_source("listing") == "Manifest.db"
    assert backup.head("Manifest.db", 16) == b"SQLite format 3\x00"
    assert backup.head("Status.plist.missing", 16) == b""
    assert backup.inputs["Manifest.db"]["sha256"] == hashlib.sha256((folder / "Manifest.db").read_bytes()).hexdigest()
    backup.close()


def test_backup_tar_gz_at_top_level_and_flat_ios9_layout(tmp_path):
    builder = populate(BackupBuilder(flat_layout=True, ios_version="9.3.5"))
    folder = builder.build(tmp_path / "flat")
    archive = write_tar(tmp_path / "backup.tar.gz", folder_files(folder), compression="gz")
    assert detect(archive) == (IOS_BACKUP, archive)
    backup = open_acquisition(archive)
    assert {k: v for k, v in read_all(backup).items() if k != "HomeDomain/Library/SMS/sms.db"} == EXPECTED
    assert backup.device["os_version"] == "9.3.5"
    backup.close()


def test_backup_archive_missing_blob_is_missing_not_an_error(tmp_path):
    builder = populate(BackupBuilder())
    folder = builder.build(tmp_path / "b")
    files = {name: data for name, data in folder_files(folder).items() if data != b"marker-5d1f0c"}
    backup = open_acquisition(write_zip(tmp_path / "b.zip", files))
    entry = backup.entry("HomeDomain", "Library/Logs/marker.txt")
    with pytest.raises(MissingFromAcquisition, match=r"marker.txt: listed in Manifest.db but missing"):
        backup.evidence_file(entry).read_bytes()
    backup.close()


def test_backup_archive_hostile_members_refused_and_warned(tmp_path):
    builder = populate(BackupBuilder())
    folder = builder.build(tmp_path / "b")
    archive = write_zip(tmp_path / "b.zip", folder_files(folder), hostile=True)
    backup = open_acquisition(archive)
    assert {k: v for k, v in read_all(backup).items() if k != "HomeDomain/Library/SMS/sms.db"} == EXPECTED
    assert any("../../escape.txt" in warning and "refused" in warning for warning in backup.warnings)
    assert any("/etc/evil" in warning for warning in backup.warnings)
    backup.close()


def test_encrypted_backup_in_zip_decrypts_in_memory(tmp_path):
    builder = populate(BackupBuilder())
    encrypted = build_encrypted(builder, tmp_path / "enc", PASSWORD)
    archive = write_zip(tmp_path / "enc.zip", folder_files(encrypted.root, "enc/"))
    password_file = tmp_path / "pw.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    backup = open_acquisition(archive, secrets=Secrets(password_file=password_file, environ={}, interactive=False))
    assert backup.encrypted is True
    assert {k: v for k, v in read_all(backup).items() if k != "HomeDomain/Library/SMS/sms.db"} == EXPECTED
    entry = backup.entry("HomeDomain", "Library/Logs/marker.txt")
    stored = (encrypted.root / entry.file_id[:2] / entry.file_id).read_bytes()
    assert backup.inputs[entry.source] == {"sha256": hashlib.sha256(stored).hexdigest(), "size": len(stored)}
    database = backup.evidence_file(backup.entry("HomeDomain", "Library/SMS/sms.db")).sqlite()
    assert [tuple(row) for row in database.rows("SELECT text FROM message")] == [("hello",)]
    backup.close()
    with pytest.raises(SpyglassError, match=r"give the backup folder \(unpack the archive first\)"):
        decrypt_backup(archive, None, tmp_path / "out")


def test_zip_without_manifest_db_is_not_a_backup(tmp_path):
    archive = write_zip(tmp_path / "x.zip", {"backup/Info.plist": b"<plist/>", "backup/notes.txt": b"x"})
    assert IOSBackup.probe(archive) is False
    with pytest.raises(SpyglassError, match=r"does not look like an acquisition of kind 'ios-backup'"):
        open_acquisition(archive, kind=IOS_BACKUP)


def test_dump_zip_is_still_a_dump(tmp_path):
    dump = FilesystemBuilder()
    dump.add("/private/var/mobile/Library/SMS/sms.db", b"x")
    dump.add("/private/var/root/Library/Manifest.db", b"not a backup's")   # deep, not at the top
    folder = dump.build_folder(tmp_path / "dump")
    archive = write_zip(tmp_path / "dump.zip", folder_files(folder))
    assert detect(archive)[0] == IOS_FS


def test_whole_check_of_zipped_backup_equals_the_folder(tmp_path):
    feed = tmp_path / "e2e.stix2"
    feed.write_text(json.dumps(e2e_feed()))
    builder = add_everything(BackupBuilder())
    folder = builder.build(tmp_path / builder.udid)
    archive = write_zip(tmp_path / "backup.zip", folder_files(folder, f"{builder.udid}/"))
    assert run_check(archive, tmp_path / "case", feed) == 1
    indicator_hits, suspicious, _rows = findings(tmp_path / "case")
    assert indicator_hits == EXPECTED_INDICATOR_HITS
    assert suspicious == EXPECTED_SUSPICIOUS
    case = json.loads((tmp_path / "case" / "case.json").read_text())
    assert case["acquisition"]["kind"] == IOS_BACKUP
    assert [name for name, module in case["modules"].items() if module["status"] != "ok"] == ["crash_reporter_prefs"]
