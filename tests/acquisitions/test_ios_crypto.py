"""Encrypted iOS backups: keybag, key derivation, in-memory decryption, secrets handling."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import plistlib
import sqlite3
import struct
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.acquisitions.ios_crypto import (
    MAX_DPIC,
    WrongPassword,
    derive_key,
    parse_keybag,
    write_key_file,
)
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.modules.ios import manifest
from spyglass.runner import locate
from spyglass.secrets import ENV_PASSWORD, NO_SECRET_MESSAGE, Hidden, Secrets
from tests.builders.ios_artifacts_core import add_sms, sms_rows
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_backup_encrypted import (
    EncryptedBackup,
    build_encrypted,
    change_manifest,
    set_wrapped_file_key,
    tlv,
)

PASSWORD = "correct horse \u2603 battery"
SMS_SCHEMA = "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, date INTEGER);"
MARKER = b"plaintext-marker-5d1f0c"
BIG = bytes(range(256)) * 10_000 + b"tail"       # 2,560,004 bytes: three 1 MiB stream chunks


def populate(builder: BackupBuilder) -> BackupBuilder:
    builder.add_sqlite("HomeDomain", "Library/SMS/sms.db", SMS_SCHEMA, {"message": [(1, "hello", 0)]})
    builder.add_plist("HomeDomain", "Library/Preferences/com.apple.mobilesafari.plist", {"Home": "x"})
    builder.add_file("HomeDomain", "Library/Logs/marker-5d1f0c.txt", MARKER)
    builder.add_file("HomeDomain", "Library/Logs/block.txt", b"exactly sixteen!")  # a whole pad block
    builder.add_file("RootDomain", "Library/Caches/empty", b"")
    builder.add_file("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.MOV", BIG, protection_class=2)
    builder.add_file("HomeDomain", "Library/Keyboard/dynamic-text.dat", b"complete", protection_class=1)
    builder.add_directory("HomeDomain", "Library/SMS")
    return builder


def contents(builder: BackupBuilder) -> dict[str, bytes]:
    return {f"{f.domain}/{f.relative_path}": f.data for f in builder.files if f.data is not None}


def secrets_for(tmp_path: Path, password: str = PASSWORD) -> Secrets:
    password_file = tmp_path / "password.txt"
    password_file.write_text(password + "\n", encoding="utf-8")
    return Secrets(password_file=password_file, environ={}, interactive=False)


def read_all(backup: IOSBackup) -> dict[str, bytes]:
    return {entry.source: backup.evidence_file(entry).read_bytes() for entry in backup.entries()}


@pytest.fixture
def encrypted(builder: BackupBuilder, backup_dir: Path) -> EncryptedBackup:
    return build_encrypted(populate(builder), backup_dir, PASSWORD)


# -- round trips ---------------------------------------------------------------------------------
def test_encrypted_backup_round_trip_every_file(builder, encrypted, tmp_path):
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    assert read_all(backup) == contents(builder)
    assert backup.encrypted is True
    assert backup.device["encrypted"] is True
    assert backup.notes == ["encrypted backup unlocked with the password file (key derivation 0.0 s)"]
    backup.close()


def test_encrypted_backup_inputs_hash_the_ciphertext(builder, encrypted, tmp_path):
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    read_all(backup)
    for entry in backup.entries():
        stored = (encrypted.root / entry.file_id[:2] / entry.file_id).read_bytes()
        assert backup.inputs[entry.source] == {"sha256": hashlib.sha256(stored).hexdigest(), "size": len(stored)}
    stored_manifest = (encrypted.root / "Manifest.db").read_bytes()
    assert backup.inputs["Manifest.db"]["sha256"] == hashlib.sha256(stored_manifest).hexdigest()
    assert backup.inputs["HomeDomain/Library/Logs/block.txt"]["size"] == 32
    backup.close()


def test_encrypted_backup_manifest_module_reads_decrypted_manifest(encrypted, tmp_path):
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    (file,) = locate(manifest.ARTIFACT, backup)
    records = list(manifest.parse(file))
    # In the Manifest's own row order, as the builder wrote the rows.
    assert [r.fields["relative_path"] for r in records] == [
        "Library/SMS/sms.db", "Library/Preferences/com.apple.mobilesafari.plist", "Library/Logs/marker-5d1f0c.txt",
        "Library/Logs/block.txt", "Library/Caches/empty", "Media/DCIM/100APPLE/IMG_0001.MOV",
        "Library/Keyboard/dynamic-text.dat", "Library/SMS"]
    assert records[5].fields["size"] == len(BIG)
    backup.close()


def test_encrypted_backup_sqlite_file_opens(encrypted, tmp_path):
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    database = backup.evidence_file(backup.entry("HomeDomain", "Library/SMS/sms.db")).sqlite()
    assert [tuple(row) for row in database.rows("SELECT ROWID, text FROM message")] == [(1, "hello")]
    backup.close()


def test_encrypted_backup_pre_ios_10_2_keybag_sha1_only(builder, backup_dir, tmp_path):
    build_encrypted(populate(builder), backup_dir, PASSWORD, modern=False)
    keybag = parse_keybag(plistlib.loads((backup_dir / "Manifest.plist").read_bytes())["BackupKeyBag"])
    assert (keybag.data("DPSL"), keybag.integer("DPIC"), keybag.integer("VERS")) == (None, None, 3)
    backup = IOSBackup(backup_dir, secrets_for(tmp_path))
    assert read_all(backup) == contents(builder)
    backup.close()


def test_encrypted_backup_matches_reference_implementation(builder, encrypted, tmp_path):
    reference = pytest.importorskip("iphone_backup_decrypt")
    ours = IOSBackup(encrypted.root, secrets_for(tmp_path))
    theirs = reference.EncryptedBackup(backup_directory=str(encrypted.root), passphrase=PASSWORD)
    for entry in ours.entries():
        expected = theirs.extract_file_as_bytes(entry.relative_path, domain_like=entry.domain)
        assert ours.evidence_file(entry).read_bytes() == expected == contents(builder)[entry.source]
    ours.close()
    del theirs
    gc.collect()   # the reference keeps a decrypted Manifest.db in a temp folder until collected


def test_derive_key_is_the_reference_passphrase_key(builder, encrypted, tmp_path):
    reference = pytest.importorskip("iphone_backup_decrypt")
    key = derive_key(encrypted.root, secrets_for(tmp_path))
    assert key == encrypted.passcode_key
    theirs = reference.EncryptedBackup(backup_directory=str(encrypted.root), passphrase_key=key)
    assert theirs.extract_file_as_bytes("Library/Logs/marker-5d1f0c.txt") == MARKER
    del theirs
    gc.collect()


# -- keybag and password failures -----------------------------------------------------------------
def test_encrypted_backup_wrong_password(encrypted, tmp_path):
    with pytest.raises(WrongPassword) as caught:
        IOSBackup(encrypted.root, secrets_for(tmp_path, "hunter2-wrong"))
    assert str(caught.value) == "wrong backup password"
    assert isinstance(caught.value, SpyglassError) and not isinstance(caught.value, EvidenceError)


def test_encrypted_backup_wrong_password_traceback_hides_secrets(encrypted, tmp_path):
    secrets = secrets_for(tmp_path, "hunter2-wrong")
    with pytest.raises(WrongPassword) as caught:
        IOSBackup(encrypted.root, secrets)
    text = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
    derived = secrets.derived_key(parse_keybag(plistlib.loads(
        (encrypted.root / "Manifest.plist").read_bytes())["BackupKeyBag"]).parameters, lambda p: p).reveal()
    assert "hunter2" not in text
    assert repr(derived) not in text and derived.hex() not in text
    assert "***" in text


def rewrite_manifest_plist(root: Path, **changes: object) -> None:
    manifest_plist = plistlib.loads((root / "Manifest.plist").read_bytes())
    for key, value in changes.items():
        if value is None:
            manifest_plist.pop(key, None)
        else:
            manifest_plist[key] = value
    (root / "Manifest.plist").write_bytes(plistlib.dumps(manifest_plist, fmt=plistlib.FMT_BINARY))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda kb: kb[:-7], "damaged keybag: entry WPKY runs past the end"),
    (lambda kb: kb + b"WPK", "damaged keybag: truncated entry header at byte"),
    (lambda kb: kb.replace(b"SALT", b"SALX", 1), "damaged keybag: SALT or ITER is missing"),
    (lambda kb: kb.split(b"UUID")[0] + b"UUID" + kb.split(b"UUID")[1],
     "damaged keybag: no class key is wrapped with the backup password"),
    (lambda kb: kb.replace(tlv(b"DPIC", 10), tlv(b"DPIC", MAX_DPIC + 1)),
     f"damaged keybag: DPIC {MAX_DPIC + 1} is outside 1..{MAX_DPIC}"),
    (lambda kb: kb.replace(tlv(b"ITER", 10), b"ITER" + struct.pack(">I", 2) + b"\x00\x0a"),
     "damaged keybag: ITER is 2 bytes, not 4"),
    (lambda kb: b"", "Manifest.plist has no BackupKeyBag: the encrypted backup cannot be unlocked"),
])
def test_encrypted_backup_damaged_keybag(encrypted, tmp_path, damage, message):
    rewrite_manifest_plist(encrypted.root, BackupKeyBag=damage(encrypted.keybag))
    with pytest.raises(SpyglassError) as caught:
        IOSBackup(encrypted.root, secrets_for(tmp_path))
    assert str(caught.value).startswith(message)


def test_encrypted_backup_one_class_key_damaged(builder, encrypted, tmp_path):
    keybag = parse_keybag(encrypted.keybag)
    wrapped = keybag.classes[1].wrapped
    rewrite_manifest_plist(encrypted.root, BackupKeyBag=encrypted.keybag.replace(wrapped, bytes(len(wrapped))))
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    assert backup.notes[-1] == "damaged keybag: class keys [1] do not unwrap; their files cannot be read"
    entry = backup.entry("HomeDomain", "Library/Keyboard/dynamic-text.dat")
    with pytest.raises(EvidenceError, match="protection class 1 has no unlocked key"):
        backup.evidence_file(entry).read_bytes()
    assert backup.evidence_file(backup.entry("HomeDomain", "Library/Logs/block.txt")).read_bytes() == \
        b"exactly sixteen!"
    backup.close()


def test_encrypted_backup_missing_manifest_key(encrypted, tmp_path):
    rewrite_manifest_plist(encrypted.root, ManifestKey=None)
    with pytest.raises(SpyglassError) as caught:
        IOSBackup(encrypted.root, secrets_for(tmp_path))
    assert str(caught.value) == "Manifest.plist has no ManifestKey: the encrypted Manifest.db cannot be decrypted"


def test_encrypted_backup_malformed_manifest_key(encrypted, tmp_path):
    rewrite_manifest_plist(encrypted.root, ManifestKey=b"\x04\x00\x00\x00short")
    with pytest.raises(SpyglassError) as caught:
        IOSBackup(encrypted.root, secrets_for(tmp_path))
    assert str(caught.value) == "Manifest.plist ManifestKey is malformed (9, expected 44 bytes)"


def test_encrypted_backup_manifest_key_does_not_unwrap(encrypted, tmp_path):
    rewrite_manifest_plist(encrypted.root, ManifestKey=struct.pack("<I", 4) + bytes(40))
    with pytest.raises(SpyglassError) as caught:
        IOSBackup(encrypted.root, secrets_for(tmp_path))
    assert str(caught.value).startswith("Manifest.plist ManifestKey does not unwrap (damaged)")


def test_encrypted_backup_corrupt_file_key_errors_that_file_only(builder, encrypted, tmp_path):
    set_wrapped_file_key(encrypted.root, "HomeDomain", "Library/SMS/sms.db",
                         struct.pack("<I", 3) + os.urandom(40), encrypted.manifest_key)
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    read, errors = {}, {}
    for entry in backup.entries():
        try:
            read[entry.source] = backup.evidence_file(entry).read_bytes()
        except EvidenceError as exc:
            errors[entry.source] = str(exc)
    assert errors == {"HomeDomain/Library/SMS/sms.db":
                      "HomeDomain/Library/SMS/sms.db: its file key does not unwrap (damaged Manifest.db entry)"}
    expected = contents(builder)
    del expected["HomeDomain/Library/SMS/sms.db"]
    assert read == expected
    backup.close()


def test_encrypted_backup_truncated_and_unaligned_blobs(encrypted, tmp_path):
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    big = backup.entry("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.MOV")
    marker = backup.entry("HomeDomain", "Library/Logs/marker-5d1f0c.txt")
    big_path, marker_path = backup.blob_path(big), backup.blob_path(marker)
    big_path.write_bytes(big_path.read_bytes()[:1024 * 1024])
    marker_path.write_bytes(marker_path.read_bytes() + b"\x00")
    with pytest.raises(EvidenceError) as caught:
        backup.evidence_file(big).read_bytes()
    assert str(caught.value) == ("CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.MOV: 1048576 bytes stored, "
                                 "fewer than its size 2560004 (truncated)")
    with pytest.raises(EvidenceError) as caught:
        backup.evidence_file(marker).read_bytes()
    assert str(caught.value) == ("HomeDomain/Library/Logs/marker-5d1f0c.txt: 33 bytes stored is not a whole "
                                 "number of AES blocks")
    backup.close()


def test_encrypted_backup_read_limit(encrypted, tmp_path):
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    file = backup.evidence_file(backup.entry("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.MOV"))
    with pytest.raises(EvidenceError) as caught:
        file.read_bytes(limit=1000)
    assert str(caught.value) == ("CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.MOV: 2560004 bytes is over "
                                 "the 1000 byte bound")
    backup.close()


# -- key files ------------------------------------------------------------------------------------
def test_key_file_round_trip(builder, encrypted, tmp_path):
    key = derive_key(encrypted.root, secrets_for(tmp_path))
    assert key == encrypted.passcode_key
    key_file = tmp_path / "backup.key"
    write_key_file(key_file, key)
    if os.name == "posix":
        assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text() == key.hex() + "\n"
    secrets = Secrets(key_file=key_file, environ={}, interactive=False)
    backup = IOSBackup(encrypted.root, secrets)
    assert read_all(backup) == contents(builder)
    assert backup.notes == ["encrypted backup unlocked with a key file (key derivation skipped)"]
    described = backup.describe()["decryption"]
    assert described["secret"] == {"source": "key-file", "key_file": str(key_file), "derivation": "skipped"}
    assert described["key_derivation"] == "skipped (key file)"
    assert key.hex() not in repr(backup.describe()) and key.hex() not in repr(secrets)
    backup.close()


def test_key_file_never_overwritten(tmp_path):
    key_file = tmp_path / "backup.key"
    key_file.write_text("keep me")
    with pytest.raises(SpyglassError) as caught:
        write_key_file(key_file, bytes(32))
    assert str(caught.value) == f"{key_file}: already exists; a key file is never overwritten"
    assert key_file.read_text() == "keep me"


def test_key_file_wrong_key(encrypted, tmp_path):
    key_file = tmp_path / "other.key"
    write_key_file(key_file, os.urandom(32))
    with pytest.raises(WrongPassword) as caught:
        IOSBackup(encrypted.root, Secrets(key_file=key_file, environ={}, interactive=False))
    assert str(caught.value) == "wrong backup key: the key file does not unlock this backup"


def test_key_file_not_a_key(encrypted, tmp_path):
    key_file = tmp_path / "password-by-mistake.key"
    key_file.write_text(PASSWORD)
    with pytest.raises(SpyglassError) as caught:
        IOSBackup(encrypted.root, Secrets(key_file=key_file, environ={}, interactive=False))
    assert str(caught.value) == f"key file {key_file}: not a backup key file (expected 64 hex digits)"
    assert "horse" not in str(caught.value)


def test_derive_key_wrong_password(encrypted, tmp_path):
    with pytest.raises(WrongPassword, match="^wrong backup password$"):
        derive_key(encrypted.root, secrets_for(tmp_path, "nope"))


# -- no plaintext on disk --------------------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for directory, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(directory, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            found[str(path)] = (info.st_size, info.st_mtime_ns)
    return found


PLAINTEXT_SCRIPT = """
import os, sys
from pathlib import Path
from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.secrets import Secrets
root, password_file = Path(sys.argv[1]), Path(sys.argv[2])
watched = tuple(os.environ[name] for name in ("SQLITE_TMPDIR", "TMPDIR"))
backup = IOSBackup(root, Secrets(password_file=password_file, environ={}, interactive=False))
database = backup.evidence_file(backup.entry("HomeDomain", "Library/SMS/sms.db")).sqlite()
written, rows = 0, 0
for rows, row in enumerate(database.rows("SELECT text FROM message ORDER BY text DESC"), 1):
    if rows % 5000 == 1:
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(watched) or target.endswith("(deleted)"):
                written = max(written, os.fstat(int(fd)).st_size)
print(rows, written)
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="open files are watched through /proc")
def test_check_writes_no_plaintext(builder, backup_dir, tmp_path):
    # A large sorted query over a decrypted sms.db: SQLite spilled 17 MB of message text to an
    # (unlinked) temp file before temp_store=MEMORY. SQLite reads SQLITE_TMPDIR once per
    # process, so the query runs in a fresh one whose open files are watched as it goes.
    rows = sms_rows(17)
    rows["message"] = [dict(rows["message"][0], ROWID=number, guid=f"guid-{number}",
                            text=f"{MARKER.decode()} {number} " * 8) for number in range(1, 100_001)]
    rows["chat_message_join"] = []
    add_sms(builder, 17, rows)
    encrypted = build_encrypted(builder, backup_dir, PASSWORD)
    temp = {name: tmp_path / name for name in ("sqlite-temp", "python-temp")}
    for folder in temp.values():
        folder.mkdir()
    (tmp_path / "password.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    env = dict(os.environ, SQLITE_TMPDIR=str(temp["sqlite-temp"]), TMPDIR=str(temp["python-temp"]),
               PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    before = snapshot(encrypted.root)
    result = subprocess.run([sys.executable, "-c", PLAINTEXT_SCRIPT, str(encrypted.root),
                             str(tmp_path / "password.txt")], env=env, capture_output=True, text=True,
                            timeout=300, check=True)
    assert result.stdout.split() == ["100000", "0"]
    assert [list(folder.iterdir()) for folder in temp.values()] == [[], []]
    assert snapshot(encrypted.root) == before


# -- secrets --------------------------------------------------------------------------------------
def test_secrets_environment_variable_removed_and_hidden():
    environ = {ENV_PASSWORD: PASSWORD, "HOME": "/root"}
    secrets = Secrets(environ=environ, interactive=False)
    assert environ == {"HOME": "/root"}
    assert secrets.password() == PASSWORD.encode()
    assert "horse" not in repr(secrets) and "horse" not in str(secrets)
    assert secrets.describe() == {"source": "environment"}


def test_secrets_removed_from_process_environment(monkeypatch):
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    secrets = Secrets(interactive=False)
    assert ENV_PASSWORD not in os.environ
    assert secrets.password() == PASSWORD.encode()


def test_secrets_password_file_strips_newline_and_bom(tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_bytes(b"\xef\xbb\xbf" + PASSWORD.encode() + b"\r\n")
    secrets = Secrets(password_file=password_file, environ={ENV_PASSWORD: "ignored"}, interactive=False)
    assert secrets.password() == PASSWORD.encode()
    assert secrets.describe() == {"source": "password-file", "password_file": str(password_file)}


def test_secrets_prompt_only_when_needed_and_once():
    asked = []
    secrets = Secrets(environ={}, interactive=True, prompt=lambda text: asked.append(text) or PASSWORD)
    assert asked == []
    assert secrets.password() == secrets.password() == PASSWORD.encode()
    assert asked == ["Backup password: "]
    assert secrets.describe() == {"source": "prompt"}


def test_secrets_none_without_terminal(monkeypatch):
    monkeypatch.delenv(ENV_PASSWORD, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(SpyglassError) as caught:
        Secrets().password()
    assert str(caught.value) == NO_SECRET_MESSAGE


def test_secrets_default_for_encrypted_backup_without_secret(encrypted, monkeypatch):
    monkeypatch.delenv(ENV_PASSWORD, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(SpyglassError) as caught:
        IOSBackup(encrypted.root)
    assert str(caught.value) == NO_SECRET_MESSAGE


def test_secrets_empty_password_refused():
    with pytest.raises(SpyglassError, match="^the backup password is empty$"):
        Secrets(environ={}, interactive=True, prompt=lambda text: "").password()


def test_secrets_both_files_refused(tmp_path):
    with pytest.raises(SpyglassError, match="either --password-file or --key-file"):
        Secrets(password_file=tmp_path / "a", key_file=tmp_path / "b", environ={})


def test_secrets_missing_password_file(tmp_path):
    with pytest.raises(SpyglassError) as caught:
        Secrets(password_file=tmp_path / "absent", environ={}).password()
    assert str(caught.value) == f"password file {tmp_path / 'absent'}: not a file"


def test_secrets_hidden_never_prints_or_pickles():
    hidden = Hidden(b"hunter2")
    assert (repr(hidden), str(hidden), f"{hidden}", f"{hidden!r}") == ("***", "***", "***", "***")
    with pytest.raises(TypeError):
        pickle.dumps(hidden)
    with pytest.raises(TypeError):
        pickle.dumps(Secrets(environ={ENV_PASSWORD: "hunter2"}))


def test_encrypted_backup_damaged_manifest_plist_stops_the_check(encrypted, tmp_path):
    # Its keybag unlocks everything else: without it nothing can be read, so no going on.
    (encrypted.root / "Manifest.plist").write_bytes(b"<?xml version='1.0'?><plist><dict><key>x")
    with pytest.raises(EvidenceError, match=r"^Manifest\.plist: not a valid plist"):
        IOSBackup(encrypted.root, secrets_for(tmp_path))


def test_prompt_asks_again_after_a_mistyped_password(encrypted):
    typed = iter(["wrong one", "wrong two", PASSWORD])
    said: list[str] = []
    secrets = Secrets(environ={}, interactive=True, prompt=lambda text: next(typed), say=said.append)
    backup = IOSBackup(encrypted.root, secrets)
    assert backup.encrypted and said == ["Wrong password, try again (2 left).", "Wrong password, try again (1 left)."]
    backup.close()


def test_prompt_gives_up_after_three_tries(encrypted):
    said: list[str] = []
    secrets = Secrets(environ={}, interactive=True, prompt=lambda text: "never right", say=said.append)
    with pytest.raises(SpyglassError, match=r"^wrong backup password$"):
        IOSBackup(encrypted.root, secrets)
    assert len(said) == 2


def test_password_file_is_not_asked_again(encrypted, tmp_path):
    asked: list[str] = []
    secrets = Secrets(password_file=secrets_for(tmp_path, "wrong").password_file, environ={}, interactive=True,
                      prompt=lambda text: asked.append(text) or PASSWORD)
    with pytest.raises(SpyglassError, match=r"^wrong backup password$"):
        IOSBackup(encrypted.root, secrets)
    assert asked == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a pseudo-terminal needs POSIX")
def test_check_prompt_is_seen_on_a_terminal(encrypted, tmp_path):
    # The prompt must show although a progress display is running (it used to sit under the spinner).
    import pty
    import select

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"), COLUMNS="80")
    env.pop("SPYGLASS_BACKUP_PASSWORD", None)
    pid, fd = pty.fork()
    if pid == 0:   # the child: spyglass on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "spyglass.cli", "check", str(encrypted.root),
                                   "-o", str(tmp_path / "case"), "--no-html"], env)
    seen, answered = b"", False
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"Backup password:" in seen:
            # While the question waits, nothing redraws over it (a running spinner would, ten
            # times a second).
            quiet, _, _ = select.select([fd], [], [], 1.0)
            redrawn = os.read(fd, 4096) if quiet else b""
            assert redrawn.strip() == b"", redrawn
            os.write(fd, PASSWORD.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    assert answered, seen[-2000:]
    assert os.waitstatus_to_exitcode(status) in (0, 1), seen[-2000:]
    assert (tmp_path / "case" / "case.json").exists()


# -- Manifest.db decrypted page by page --------------------------------------------------------------
def test_cbc_pages_any_range_is_the_plaintext(tmp_path):
    from spyglass.acquisitions.ios_crypto import CBCPages
    from tests.builders.ios_backup_encrypted import aes_cbc_encrypt

    key = os.urandom(32)
    plain = os.urandom(3 * CBCPages.PAGE_CHUNK + 1000)
    path = tmp_path / "Manifest.db"
    path.write_bytes(aes_cbc_encrypt(key, plain))
    pages = CBCPages(path, Hidden(key), "Manifest.db", 10 ** 9)
    assert pages.size == len(plain) and pages.stored == len(plain) + 8     # 8 bytes of padding
    chunk = CBCPages.PAGE_CHUNK
    for offset, amount in ((0, 100), (15, 2), (16, 16), (chunk - 7, 14), (chunk, 4096), (chunk - 1, 2 * chunk + 2),
                           (len(plain) - 5, 100), (len(plain), 10), (len(plain) + 50, 10)):
        assert pages.read(offset, amount) == plain[offset:offset + amount], (offset, amount)
    pages.close()
    whole_block = tmp_path / "block.db"
    whole_block.write_bytes(aes_cbc_encrypt(key, b"exactly sixteen!"))     # a block of padding follows
    pages = CBCPages(whole_block, Hidden(key), "block.db", 10 ** 9)
    assert (pages.stored, pages.size, pages.read(0, 64)) == (32, 16, b"exactly sixteen!")
    pages.close()


def test_cbc_pages_unaligned_over_bound_and_shrunk(tmp_path):
    from spyglass.acquisitions.ios_crypto import CBCPages
    from tests.builders.ios_backup_encrypted import aes_cbc_encrypt

    key = Hidden(os.urandom(32))
    path = tmp_path / "Manifest.db"
    path.write_bytes(b"\x00" * 33)
    with pytest.raises(EvidenceError) as caught:
        CBCPages(path, key, "Manifest.db", 10 ** 9)
    assert str(caught.value) == "Manifest.db: 33 bytes stored is not a whole number of AES blocks"
    path.write_bytes(aes_cbc_encrypt(key.reveal(), bytes(300_000)))
    with pytest.raises(EvidenceError) as caught:
        CBCPages(path, key, "Manifest.db", 1000)
    assert str(caught.value) == "Manifest.db: 300016 bytes stored is over the 1000 byte bound"
    pages = CBCPages(path, key, "Manifest.db", 10 ** 9)
    assert pages.read(200_000, 10) == bytes(10)
    with path.open("r+b") as handle:
        handle.truncate(100_000)
    with pytest.raises(EvidenceError) as caught:
        pages.read(270_000, 10)      # a chunk not read before
    assert str(caught.value) == "Manifest.db: shorter than when it was opened (changed while read)"
    pages.close()


def test_encrypted_backup_manifest_db_is_never_whole_in_memory(builder, encrypted, tmp_path):
    backup = IOSBackup(encrypted.root, secrets_for(tmp_path))
    # Served to SQLite page by page from the ciphertext on disk: no plaintext copy, no SQLite copy.
    assert type(backup.database.connection).__module__ == "apsw"
    assert [entry.source for entry in backup.entries(flags=None)] == sorted(
        f"{f.domain}/{f.relative_path}" for f in builder.files)
    assert read_all(backup) == contents(builder)
    backup.close()


def test_encrypted_backup_damaged_manifest_db(encrypted, tmp_path):
    data = bytearray((encrypted.root / "Manifest.db").read_bytes())
    data[:16] = bytes(16)           # the first block no longer decrypts to SQLite's header
    (encrypted.root / "Manifest.db").write_bytes(bytes(data))
    with pytest.raises(EvidenceError) as caught:
        IOSBackup(encrypted.root, secrets_for(tmp_path))
    assert str(caught.value) == ("The backup's Manifest.db cannot be read: Manifest.db: does not decrypt to a "
                                 "SQLite database (damaged)")


def test_manifest_text_not_utf8_read_with_replacement_plain_and_encrypted(builder, tmp_path):
    builder.add_file("HomeDomain", "Library/Logs/plain.txt", b"x")

    def damage(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE Files SET relativePath = CAST(X'4C6962FF2F78' AS TEXT)")

    plain_root = builder.build(tmp_path / "plain")
    with sqlite3.connect(plain_root / "Manifest.db") as connection:
        damage(connection)
    connection.close()
    encrypted = build_encrypted(builder, tmp_path / "encrypted", PASSWORD)
    change_manifest(encrypted.root, encrypted.manifest_key, damage)
    for root, secrets in ((plain_root, None), (encrypted.root, secrets_for(tmp_path))):
        backup = IOSBackup(root, secrets)
        assert [entry.relative_path for entry in backup.entries()] == ["Lib\ufffd/x"]
        assert [entry.name for entry in backup.listing()] == ["x"]
        backup.close()
