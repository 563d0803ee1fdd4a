"""Android acquisitions written in code in their real formats: androidqf folders and zips (and
the zip age-encrypted with pyrage), `adb bugreport` zips, and `adb backup` (.ab) files, plain,
deflated and AES-256 encrypted as AOSP's BackupManagerService writes them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.builders.archives import MTIME, write_folder, write_zip

ACQUISITION_JSON = json.dumps({"uuid": "2a1f6e2c-8f0b-4c4e-9a57-3f6a0c1d2b3e", "androidqf_version": "1.7.0",
                               "storage_path": "/home/analyst/androidqf/2a1f6e2c", "started": "2024-06-01T10:00:00Z",
                               "completed": "2024-06-01T10:04:12Z", "collector": None}).encode()
GETPROP = b"[ro.build.version.release]: [14]\n[ro.product.model]: [Pixel 7]\n[ro.build.version.security_patch]: [2024-05-05]\n"


@dataclass
class AndroidQFBuilder:
    """The files of one androidqf acquisition folder, by name."""

    name: str = "2a1f6e2c-8f0b-4c4e-9a57-3f6a0c1d2b3e"
    files: dict[str, bytes] = field(default_factory=lambda: {"acquisition.json": ACQUISITION_JSON,
                                                             "getprop.txt": GETPROP})

    def add(self, relative: str, data: bytes) -> AndroidQFBuilder:
        self.files[relative] = data
        return self

    def build_folder(self, parent: Path) -> Path:
        return write_folder(parent / self.name, self.files)

    def build_zip(self, parent: Path, *, inner_folder: bool = False) -> Path:
        prefix = f"{self.name}/" if inner_folder else ""
        return write_zip(parent / f"{self.name}.zip", {prefix + k: v for k, v in self.files.items()})

    def build_age(self, parent: Path, *, recipient: object | None = None, passphrase: str | None = None) -> Path:
        import pyrage

        data = self.build_zip(parent).read_bytes()
        encrypted = (pyrage.passphrase.encrypt(data, passphrase) if passphrase is not None
                     else pyrage.encrypt(data, [recipient]))
        path = parent / f"{self.name}.zip.age"
        path.write_bytes(encrypted)
        return path


@dataclass
class BugreportBuilder:
    """An `adb bugreport` zip: main_entry.txt naming the dumpstate text, version.txt, FS/ files."""

    name: str = "bugreport-panther-UQ1A.240205.004-2024-06-01-10-00-00"
    dumpstate: bytes = b"========================================================\n== dumpstate: 2024-06-01 10:00:00\n"
    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, relative: str, data: bytes) -> BugreportBuilder:
        self.files[relative] = data
        return self

    def build_zip(self, parent: Path) -> Path:
        members = {"version.txt": b"2.0", "main_entry.txt": f"{self.name}.txt".encode(),
                   f"{self.name}.txt": self.dumpstate, **self.files}
        return write_zip(parent / f"{self.name}.zip", members)


def tar_stream(files: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, MTIME
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _java_chars(key: bytes) -> bytes:
    return "".join(chr(b if b < 0x80 else 0xFF00 | b) for b in key).encode("utf-8")


def android_backup(files: Mapping[str, bytes], *, compressed: bool = True, password: str | None = None,
                   version: int = 5, rounds: int = 10_000) -> bytes:
    """An .ab file of `files` (tar member paths such as apps/com.android.providers.telephony/...)."""
    data = tar_stream(files)
    if compressed:
        data = zlib.compress(data)
    lines = [b"ANDROID BACKUP", str(version).encode(), b"1" if compressed else b"0"]
    if password is None:
        return b"\n".join([*lines, b"none"]) + b"\n" + data
    user_salt, checksum_salt, user_iv = os.urandom(64), os.urandom(64), os.urandom(16)
    master, master_iv = os.urandom(32), os.urandom(16)
    user_key = hashlib.pbkdf2_hmac("sha1", password.encode(), user_salt, rounds, 32)
    checksum = hashlib.pbkdf2_hmac("sha1", _java_chars(master) if version >= 2 else master, checksum_salt, rounds, 32)
    blob = bytes([16]) + master_iv + bytes([32]) + master + bytes([32]) + checksum
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(user_key), modes.CBC(user_iv)).encryptor()
    master_blob = encryptor.update(padder.update(blob) + padder.finalize()) + encryptor.finalize()
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(master), modes.CBC(master_iv)).encryptor()
    body = encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()
    lines += [b"AES-256", user_salt.hex().upper().encode(), checksum_salt.hex().upper().encode(),
              str(rounds).encode(), user_iv.hex().upper().encode(), master_blob.hex().upper().encode()]
    return b"\n".join(lines) + b"\n" + body
