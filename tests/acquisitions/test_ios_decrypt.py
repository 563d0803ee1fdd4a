"""`ios decrypt`: an encrypted backup written out as an ordinary one that IOSBackup opens."""

from __future__ import annotations

import os
import plistlib
import struct
import tracemalloc
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.acquisitions.ios_crypto import CHUNK_BYTES, WrongPassword
from spyglass.acquisitions.ios_decrypt import decrypt_backup
from spyglass.errors import SpyglassError
from spyglass.secrets import Secrets
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_backup_encrypted import EncryptedBackup, build_encrypted, set_wrapped_file_key

PASSWORD = "decrypt me"
BIG = bytes(range(251)) * 12_000          # 3,012,000 bytes: crosses stream chunk boundaries


def populate(builder: BackupBuilder) -> BackupBuilder:
    builder.add_sqlite("HomeDomain", "Library/SMS/sms.db", "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT);",
                       {"message": [(1, "hi")]})
    builder.add_file("HomeDomain", "Library/Logs/a.txt", b"alpha")
    builder.add_file("RootDomain", "Library/Caches/empty", b"")
    builder.add_file("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0002.MOV", BIG, protection_class=2)
    builder.add_directory("HomeDomain", "Library/Logs")
    return builder


def contents(builder: BackupBuilder) -> dict[str, bytes]:
    return {f"{f.domain}/{f.relative_path}": f.data for f in builder.files if f.data is not None}


def secrets(password: str = PASSWORD) -> Secrets:
    return Secrets(environ={"SPYGLASS_BACKUP_PASSWORD": password}, interactive=False)


@pytest.fixture
def encrypted(builder: BackupBuilder, backup_dir: Path) -> EncryptedBackup:
    return build_encrypted(populate(builder), backup_dir, PASSWORD)


def test_decrypt_backup_opens_as_plain_backup(builder, encrypted, tmp_path):
    dest = tmp_path / "decrypted"
    calls = []
    result = decrypt_backup(encrypted.root, secrets(), dest, progress=lambda done, total: calls.append((done, total)))
    assert (result.files, result.bytes, result.errors) == (4, sum(map(len, contents(builder).values())), [])
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    backup = IOSBackup(dest)
    assert backup.encrypted is False and backup.decryptor is None
    assert {e.source: backup.evidence_file(e).read_bytes() for e in backup.entries()} == contents(builder)
    assert backup.device["udid"] == builder.udid
    backup.close()


def test_decrypt_backup_meta_files(builder, encrypted, tmp_path):
    dest = tmp_path / "decrypted"
    decrypt_backup(encrypted.root, secrets(), dest)
    for name in ("Info.plist", "Status.plist"):
        assert (dest / name).read_bytes() == (encrypted.root / name).read_bytes()
    original = plistlib.loads((encrypted.root / "Manifest.plist").read_bytes())
    written = plistlib.loads((dest / "Manifest.plist").read_bytes())
    assert written["IsEncrypted"] is False and "ManifestKey" not in written
    assert {k: v for k, v in original.items() if k not in ("IsEncrypted", "ManifestKey")} == \
        {k: v for k, v in written.items() if k != "IsEncrypted"}
    assert (dest / "Manifest.db").read_bytes().startswith(b"SQLite format 3\x00")
    entry_paths = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() and len(p.name) == 40)
    assert entry_paths == sorted(f"{f.file_id[:2]}/{f.file_id}" for f in builder.files if f.data is not None)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_decrypt_backup_private_modes(encrypted, tmp_path):
    dest = tmp_path / "decrypted"
    decrypt_backup(encrypted.root, secrets(), dest)
    assert dest.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in dest.rglob("*") if p.is_file()} == {0o600}
    assert {p.stat().st_mode & 0o777 for p in dest.rglob("*") if p.is_dir()} == {0o700}


def test_decrypt_backup_into_empty_existing_folder(encrypted, tmp_path):
    dest = tmp_path / "empty"
    dest.mkdir()
    assert decrypt_backup(encrypted.root, secrets(), dest).files == 4


def test_decrypt_backup_refuses_non_empty_destination(encrypted, tmp_path):
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(SpyglassError) as caught:
        decrypt_backup(encrypted.root, secrets(), dest)
    assert str(caught.value) == f"{dest}: not empty; give a new or empty folder"
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_decrypt_backup_refuses_destination_inside_evidence(encrypted):
    dest = encrypted.root / "out"
    with pytest.raises(SpyglassError) as caught:
        decrypt_backup(encrypted.root, secrets(), dest)
    assert str(caught.value) == f"{dest}: inside the backup; evidence is never written to"
    assert not dest.exists()


def test_decrypt_backup_wrong_password_writes_nothing(encrypted, tmp_path):
    dest = tmp_path / "decrypted"
    with pytest.raises(WrongPassword, match="^wrong backup password$"):
        decrypt_backup(encrypted.root, secrets("not it"), dest)
    assert not dest.exists()


def test_decrypt_backup_unencrypted_refused(builder, backup_dir, tmp_path):
    populate(builder).build(backup_dir)
    with pytest.raises(SpyglassError) as caught:
        decrypt_backup(backup_dir, secrets(), tmp_path / "decrypted")
    assert str(caught.value) == f"{backup_dir}: the backup is not encrypted; nothing to decrypt"


def test_decrypt_backup_one_damaged_file_skipped(builder, encrypted, tmp_path):
    set_wrapped_file_key(encrypted.root, "HomeDomain", "Library/Logs/a.txt", struct.pack("<I", 3) + bytes(40),
                         encrypted.manifest_key)
    dest = tmp_path / "decrypted"
    result = decrypt_backup(encrypted.root, secrets(), dest)
    assert result.errors == [("HomeDomain/Library/Logs/a.txt",
                              "HomeDomain/Library/Logs/a.txt: its file key does not unwrap (damaged Manifest.db entry)")]
    assert result.files == 3
    backup = IOSBackup(dest)
    a_txt = backup.entry("HomeDomain", "Library/Logs/a.txt")
    assert backup.blob_path(a_txt) is None
    expected = contents(builder)
    del expected["HomeDomain/Library/Logs/a.txt"]
    assert {e.source: backup.evidence_file(e).read_bytes() for e in backup.entries()
            if e.source in expected} == expected
    backup.close()


def test_decrypt_backup_streams_with_bounded_memory(builder, backup_dir, tmp_path):
    builder.add_file("AppDomain-com.example.first", "Library/first.txt", b"first")
    builder.add_file("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0003.MOV", os.urandom(24 * 1024 * 1024))
    build_encrypted(builder, backup_dir, PASSWORD)
    peaks = []

    def progress(done: int, total: int) -> None:
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()

    tracemalloc.start()
    try:
        decrypt_backup(backup_dir, secrets(), tmp_path / "decrypted", progress)
    finally:
        tracemalloc.stop()
    # The first peak includes opening Manifest.db; the second is the 24 MiB file alone.
    assert len(peaks) == 2 and peaks[1] < 4 * CHUNK_BYTES
    big = builder.files[1]
    assert (tmp_path / "decrypted" / big.file_id[:2] / big.file_id).read_bytes() == big.data


def test_decrypt_backup_round_trip_with_reference(builder, encrypted, tmp_path):
    reference = pytest.importorskip("iphone_backup_decrypt")
    dest = tmp_path / "decrypted"
    decrypt_backup(encrypted.root, secrets(), dest)
    theirs = reference.EncryptedBackup(backup_directory=str(encrypted.root), passphrase=PASSWORD)
    plain = IOSBackup(dest)
    for entry in plain.entries():
        assert plain.evidence_file(entry).read_bytes() == theirs.extract_file_as_bytes(
            entry.relative_path, domain_like=entry.domain)
    plain.close()
