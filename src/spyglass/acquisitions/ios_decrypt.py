"""`spyglass ios decrypt`: write a decrypted copy of an encrypted iOS backup (iOS 10.2+ layout).

The copy is an ordinary unencrypted backup that `IOSBackup` (and other tools) open: the same
`<fileID[:2]>/<fileID>` (or flat) layout, Manifest.db decrypted byte for byte, Manifest.plist
with IsEncrypted false and no ManifestKey, Info.plist and Status.plist copied as they are.
This is the one place spyglass writes plaintext, and only under the destination the user
names: a new or empty folder outside the evidence, created 0700, files 0600. Files stream
through in 1 MiB chunks, so memory stays bounded whatever their size. A file that cannot be
decrypted is listed in the result and skipped; the others are still written.
"""

from __future__ import annotations

import os
import plistlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import EvidenceFile, read_file_bounded
from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.limits import MAX_PLIST_BYTES, MAX_SQLITE_BYTES
from spyglass.secrets import Secrets

Progress = Callable[[int, int], Any]


@dataclass
class DecryptResult:
    """What was written: file count, plaintext bytes, and each file that could not be decrypted."""

    dest: Path
    files: int = 0
    bytes: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)    # (source, message)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha256 of the evidence read


def _check_destination(backup_root: Path, dest: Path) -> None:
    resolved, evidence = dest.resolve(), backup_root.resolve()
    if resolved == evidence or resolved.is_relative_to(evidence):
        raise SpyglassError(f"{dest}: inside the backup; evidence is never written to")
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise SpyglassError(f"{dest}: exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()):
        raise SpyglassError(f"{dest}: not empty; give a new or empty folder")


def _create(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)


def _write_new(path: Path, data: bytes) -> None:
    descriptor = _create(path)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _plain_manifest_plist(manifest: dict[str, Any]) -> bytes:
    plain = dict(manifest)
    plain["IsEncrypted"] = False
    plain.pop("ManifestKey", None)
    return plistlib.dumps(plain, fmt=plistlib.FMT_BINARY)


def decrypt_backup(backup_root: Path, secrets: Secrets | None, dest: Path,
                   progress: Progress | None = None) -> DecryptResult:
    """Decrypt the backup at `backup_root` into `dest` (new or empty). Wrong password, damaged
    keybag or a refused destination raise SpyglassError before anything is written."""
    backup_root, dest = Path(backup_root), Path(dest)
    if not backup_root.is_dir():
        # `check` reads a backup inside an archive in memory; writing a decrypted copy is for folders.
        raise SpyglassError(f"{backup_root}: give the backup folder (unpack the archive first) to decrypt it")
    _check_destination(backup_root, dest)
    backup = IOSBackup(backup_root, secrets)
    try:
        if backup.decryptor is None:
            raise SpyglassError(f"{backup_root}: the backup is not encrypted; nothing to decrypt")
        return _write_backup(backup, dest, progress)
    except OSError as exc:
        raise SpyglassError(f"{dest}: cannot write the decrypted backup ({exc.strerror or exc})") from exc
    finally:
        backup.close()


def _write_backup(backup: IOSBackup, dest: Path, progress: Progress | None) -> DecryptResult:
    decryptor = backup.decryptor
    if not dest.exists():
        dest.mkdir(mode=0o700, parents=True)
    result = DecryptResult(dest)
    for name in ("Info.plist", "Status.plist"):
        if (backup.root / name).is_file():
            _write_new(dest / name, read_file_bounded(backup.root / name, MAX_PLIST_BYTES, name))
    _write_new(dest / "Manifest.plist", _plain_manifest_plist(backup.manifest))
    manifest_db = read_file_bounded(backup.root / "Manifest.db", MAX_SQLITE_BYTES, "Manifest.db")
    _write_new(dest / "Manifest.db", decryptor.decrypt_manifest(manifest_db))
    del manifest_db

    total = next(iter(backup.database.rows("SELECT COUNT(*) FROM Files WHERE flags = 1")))[0]
    for done, entry in enumerate(backup.entries(), start=1):
        file = backup.evidence_file(entry)
        try:
            source_path = backup.blob_path(entry)
            if source_path is None:
                raise EvidenceError(f"{entry.source}: listed in Manifest.db but its file {entry.file_id} is missing")
            target = dest / source_path.relative_to(backup.root)
            target.parent.mkdir(mode=0o700, exist_ok=True)
            result.bytes += _decrypt_one(backup, file, source_path, target)
            result.files += 1
        except EvidenceError as exc:
            result.errors.append((entry.source, str(exc)))
        if progress is not None:
            progress(done, total)
    result.inputs = dict(backup.inputs)
    return result


def _decrypt_one(backup: IOSBackup, file: EvidenceFile, source_path: Path, target: Path) -> int:
    written = 0
    try:
        descriptor = _create(target)
    except FileExistsError:
        raise EvidenceError(f"{file.source}: {target.name} written twice (duplicate fileID)") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            def sink(chunk: bytes) -> None:
                nonlocal written
                handle.write(chunk)
                written += len(chunk)
            sha256, stored = backup.decryptor.decrypt_file(source_path, file.meta, file.source, sink)
    except BaseException:
        target.unlink(missing_ok=True)   # no half-written plaintext left behind
        raise
    backup.record_input(file.source, sha256, stored)
    return written
