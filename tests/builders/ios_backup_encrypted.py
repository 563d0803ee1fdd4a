"""Writes a real encrypted iOS backup (iOS 10.2+ format) from a `BackupBuilder`.

Everything is what Finder/iTunes write, with real cryptography and small PBKDF2 counts:
a BackupKeyBag TLV (VERS TYPE UUID HMCK WRAP SALT ITER DPWT DPIC DPSL, then per class
UUID CLAS WRAP KTYP WPKY, PBKY for the asymmetric class 2), random class keys wrapped
(RFC 3394) with the passcode key PBKDF2-SHA1(PBKDF2-SHA256(password, DPSL, DPIC), SALT,
ITER), a random key per file wrapped with its class key and stored in the MBFile
EncryptionKey (4-byte little-endian class + wrapped key), file blobs and Manifest.db in
AES-256-CBC with a zero IV and PKCS7 padding, Manifest.db's key in Manifest.plist ManifestKey.
`modern=False` writes the pre-iOS 10.2 keybag (no DPSL/DPIC: one SHA-1 step).
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import sqlite3
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from tests.builders.ios_backup import MANIFEST_SCHEMA, BackupBuilder, mbfile_blob
from tests.builders.sqlite import build_sqlite

PROTECTION_CLASSES = range(1, 12)
MANIFEST_CLASS = 4
ASYMMETRIC_CLASS = 2


@dataclass
class EncryptedBackup:
    """The backup written and every key in it, so tests can damage exactly one thing."""

    root: Path
    password: bytes
    passcode_key: bytes
    class_keys: dict[int, bytes]
    manifest_key: bytes
    file_keys: dict[str, bytes] = field(default_factory=dict)   # source -> the file's AES key
    keybag: bytes = b""


def tlv(tag: bytes, value: bytes | int) -> bytes:
    data = struct.pack(">I", value) if isinstance(value, int) else value
    return tag + struct.pack(">I", len(data)) + data


def aes_cbc_encrypt(key: bytes, plaintext: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def derive_passcode_key(password: bytes, salt: bytes, iterations: int, dpsl: bytes | None,
                        dpic: int | None) -> bytes:
    """The reference derivation, written with hashlib so the fixture does not share code with spyglass."""
    key = password
    if dpsl is not None and dpic:
        key = hashlib.pbkdf2_hmac("sha256", key, dpsl, dpic, 32)
    return hashlib.pbkdf2_hmac("sha1", key, salt, iterations, 32)


def keybag_blob(passcode_key: bytes, class_keys: dict[int, bytes], *, salt: bytes, iterations: int,
                dpsl: bytes | None, dpic: int | None) -> bytes:
    blob = tlv(b"VERS", 4 if dpsl else 3) + tlv(b"TYPE", 1) + tlv(b"UUID", os.urandom(16))
    blob += tlv(b"HMCK", os.urandom(40)) + tlv(b"WRAP", 0) + tlv(b"SALT", salt) + tlv(b"ITER", iterations)
    if dpsl is not None and dpic:
        blob += tlv(b"DPWT", 1) + tlv(b"DPIC", dpic) + tlv(b"DPSL", dpsl)
    for protection_class, class_key in sorted(class_keys.items()):
        blob += tlv(b"UUID", os.urandom(16)) + tlv(b"CLAS", protection_class) + tlv(b"WRAP", 2)
        blob += tlv(b"KTYP", 1 if protection_class == ASYMMETRIC_CLASS else 0)
        blob += tlv(b"WPKY", aes_key_wrap(passcode_key, class_key))
        if protection_class == ASYMMETRIC_CLASS:
            blob += tlv(b"PBKY", os.urandom(32))
    return blob


def build_encrypted(builder: BackupBuilder, root: Path, password: bytes | str = b"test password", *,
                    dpic: int = 10, iterations: int = 10, modern: bool = True,
                    manifest_key: bool = True) -> EncryptedBackup:
    """Write `builder`'s files as an encrypted backup at `root`; returns the keys used."""
    password = password.encode() if isinstance(password, str) else password
    salt, dpsl = os.urandom(20), os.urandom(20) if modern else None
    passcode_key = derive_passcode_key(password, salt, iterations, dpsl, dpic if modern else None)
    class_keys = {number: os.urandom(32) for number in PROTECTION_CLASSES}
    keybag = keybag_blob(passcode_key, class_keys, salt=salt, iterations=iterations, dpsl=dpsl,
                         dpic=dpic if modern else None)
    backup = EncryptedBackup(root, password, passcode_key, class_keys, os.urandom(32), keybag=keybag)

    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for inode, entry in enumerate(builder.files, start=1000):
        if entry.data is None:
            blob = mbfile_blob(entry.relative_path, 0, mode=entry.mode, modified=entry.modified,
                               birth=entry.birth, protection_class=entry.protection_class, inode=inode)
            rows.append((entry.file_id, entry.domain, entry.relative_path, 2, blob))
            continue
        file_key = os.urandom(32)
        backup.file_keys[f"{entry.domain}/{entry.relative_path}"] = file_key
        wrapped = struct.pack("<I", entry.protection_class) + aes_key_wrap(
            class_keys[entry.protection_class], file_key)
        blob = mbfile_blob(entry.relative_path, len(entry.data), mode=entry.mode, modified=entry.modified,
                           birth=entry.birth, protection_class=entry.protection_class, inode=inode,
                           encryption_key=wrapped)
        rows.append((entry.file_id, entry.domain, entry.relative_path, 1, blob))
        target = root / entry.file_id if builder.flat_layout else root / entry.file_id[:2] / entry.file_id
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(aes_cbc_encrypt(file_key, entry.data))

    def populate(connection: sqlite3.Connection) -> None:
        connection.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", rows)

    manifest_db = build_sqlite(MANIFEST_SCHEMA, populate=populate)
    (root / "Manifest.db").write_bytes(aes_cbc_encrypt(backup.manifest_key, manifest_db))
    manifest = builder.manifest_plist(encrypted=True)
    manifest["BackupKeyBag"] = keybag
    if manifest_key:
        manifest["ManifestKey"] = struct.pack("<I", MANIFEST_CLASS) + aes_key_wrap(
            class_keys[MANIFEST_CLASS], backup.manifest_key)
    (root / "Info.plist").write_bytes(plistlib.dumps(builder.info_plist(), fmt=plistlib.FMT_XML))
    (root / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    (root / "Status.plist").write_bytes(plistlib.dumps(builder.status_plist(), fmt=plistlib.FMT_BINARY))
    return backup


def change_manifest(root: Path, manifest_key: bytes, change: Callable[[sqlite3.Connection], None]) -> None:
    """Decrypt the encrypted Manifest.db, let `change` write to it, encrypt it again (to damage it)."""
    cipher = Cipher(algorithms.AES(manifest_key), modes.CBC(b"\x00" * 16)).decryptor()
    plain = cipher.update((root / "Manifest.db").read_bytes()) + cipher.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    plain = unpadder.update(plain) + unpadder.finalize()
    connection = sqlite3.connect(":memory:")
    connection.deserialize(plain)
    change(connection)
    connection.commit()
    data = connection.serialize()
    connection.close()
    (root / "Manifest.db").write_bytes(aes_cbc_encrypt(manifest_key, data))


def set_wrapped_file_key(root: Path, source_domain: str, relative_path: str, encryption_key: bytes,
                         manifest_key: bytes) -> None:
    """Replace one file's MBFile EncryptionKey in the encrypted Manifest.db (to damage it)."""
    def change(connection: sqlite3.Connection) -> None:
        (blob,) = connection.execute("SELECT file FROM Files WHERE domain = ? AND relativePath = ?",
                                     (source_domain, relative_path)).fetchone()
        archive = plistlib.loads(blob)
        top = archive["$objects"][archive["$top"]["root"].data]
        archive["$objects"][top["EncryptionKey"].data]["NS.data"] = encryption_key
        connection.execute("UPDATE Files SET file = ? WHERE domain = ? AND relativePath = ?",
                           (plistlib.dumps(archive, fmt=plistlib.FMT_BINARY), source_domain, relative_path))

    change_manifest(root, manifest_key, change)
