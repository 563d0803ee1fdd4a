"""Android acquisitions whose files are named, not placed at device paths: androidqf output
(a folder, its zip, or that zip age-encrypted) and `adb bugreport` zips.

androidqf (github.com/mvt-project/androidqf) writes one folder per acquisition: acquisition.json,
getprop.txt, settings_*.txt, processes.txt, packages.json, dumpsys.txt, files.json,
root_binaries.json, mounts.txt, logcat*.txt, backup.ab, apks/, tombstones/, ... A bug report
(`adb bugreport`) is a zip with main_entry.txt naming its dumpstate text (bugreport-*.txt), and an
FS/ tree of copied device files. Modules name these files in the device-path glob dialect,
relative to the acquisition's folder (`Artifact.extra`); FS/ members also answer device-path
globs (`/data/...` is `FS/data/...`). An age-encrypted androidqf zip is decrypted in memory with
pyrage (an identity file, or the passphrase as for any secret), never to disk.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import ANDROID_BUGREPORT, ANDROIDQF, EvidenceFile
from spyglass.acquisitions.containers import FILE, Member, ZipContainer, open_container
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.acquisitions.named import NamedFilesAcquisition
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.limits import MAX_AGE_BYTES, MAX_SQLITE_BYTES

AGE_MAGIC = b"age-encryption.org/v1\n"
ANDROIDQF_MARKERS = ("acquisition.json", "packages.json", "getprop.txt", "dumpsys.txt", "processes.txt", "backup.ab")
BUGREPORT_MARKERS = ("main_entry.txt", "version.txt")
PROBE_MEMBERS = 5_000
NESTED_BACKUP = "backup.ab"


class AndroidQF(NamedFilesAcquisition):
    """androidqf output: a folder, its zip, or the zip encrypted with age (`.zip.age`)."""

    kind = ANDROIDQF
    markers = ANDROIDQF_MARKERS

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self.encrypted = root.is_file() and _starts_with(root, AGE_MAGIC)
        container = ZipContainer(root, _age_decrypt(root, secrets)) if self.encrypted else open_container(root)
        self._open(container)
        self._nested: dict[str, tuple[Member, bytes | None]] = {}
        self._open_backup(secrets)
        self.device = {"os": "Android"}

    def _open_backup(self, secrets: Any) -> None:
        """androidqf's backup.ab (the SMS it could back up): its members named `backup.ab/<path>`,
        read once, in memory; an encrypted one with the password as for any backup."""
        member = self.container.member(self.prefix + NESTED_BACKUP)
        if member is None or member.kind != FILE:
            return
        from spyglass.acquisitions.android_backup import read_backup

        try:
            data = self.container.read(member.path, MAX_SQLITE_BYTES)
            _header, members, held = read_backup(io.BytesIO(data), NESTED_BACKUP, secrets, self.warnings)
        except SpyglassError as exc:     # encrypted without a password, a wrong one, a damaged header
            self.warnings.append(f"{NESTED_BACKUP}: {exc}; the messages in it were not read")
            return
        for path, nested in members.items():
            self._nested[f"{NESTED_BACKUP}/{path}"] = (nested, held.get(path))
        self._relative = sorted([*self._relative, *self._nested])

    @classmethod
    def probe(cls, path: Path) -> bool:
        if path.is_file() and _starts_with(path, AGE_MAGIC):
            return True     # age-encrypted: androidqf is the tool that writes these
        return cls._probe_container(path)

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["encrypted"] = self.encrypted
        return described


    def named(self, name: str) -> list[EvidenceFile]:
        pattern = DevicePattern("/" + name)
        found = [file for file in super().named(name) if file.source not in self._nested]
        for relative, (member, _data) in sorted(self._nested.items()):
            if member.kind == FILE and pattern.match("/" + relative):
                found.append(EvidenceFile(self, relative, None, member.size,
                                          {"size": member.size, "modified": member.modified}, ("nested", relative)))
        return sorted(found, key=lambda file: file.source)

    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        if isinstance(file.key, tuple):
            data = self._nested[file.key[1]][1]
            if data is None:
                raise EvidenceError(f"{file.source}: too large to hold from a streamed backup")
            if len(data) > limit:
                raise EvidenceError(f"{file.source}: {len(data)} bytes is over the {limit} byte bound")
            return bytearray(data) if mutable else data
        return super()._read(file, limit, mutable)


class AndroidBugreport(NamedFilesAcquisition):
    """An `adb bugreport` zip (or its extracted folder): dumpstate text, FS/ tree, ..."""

    kind = ANDROID_BUGREPORT
    markers = BUGREPORT_MARKERS

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self._open(open_container(root))
        self.device = {"os": "Android"}

    @classmethod
    def probe(cls, path: Path) -> bool:
        return cls._probe_container(path)

    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        """Device files copied under FS/ (FS/data/... is /data/...)."""
        found = []
        for relative in self._relative:
            if relative.startswith("FS/") and pattern.match(relative[2:]):
                member = self.container.member(self.prefix + relative)
                if member is not None and member.kind == FILE:
                    found.append(self._file(member, relative, relative[2:]))
        return found


def _age_decrypt(path: Path, secrets: Any) -> bytes:
    """The plaintext of an age file, in memory: to an X25519 identity, or to a passphrase."""
    import pyrage

    size = path.stat().st_size
    if size > MAX_AGE_BYTES:
        raise EvidenceError(f"{path.name}: {size} bytes is over the {MAX_AGE_BYTES} byte bound for decryption in memory")
    data = path.read_bytes()
    header = data[:4096]
    if secrets is None:
        raise SpyglassError(f"{path.name} is age-encrypted: give --age-identity FILE or its passphrase")
    try:
        if b"\n-> scrypt " in header:
            return pyrage.passphrase.decrypt(data, secrets.secret_password().reveal().decode("utf-8"))
        text = secrets.age_identities().reveal().decode("utf-8", "replace")
        identities = [pyrage.x25519.Identity.from_str(line.strip()) for line in text.splitlines()
                      if line.strip().startswith("AGE-SECRET-KEY-")]
        if not identities:
            raise SpyglassError("the --age-identity file holds no AGE-SECRET-KEY- line")
        return pyrage.decrypt(data, identities)
    except pyrage.DecryptError:
        # Never echo what pyrage says: it may quote the header, and the secret is ours to keep.
        raise SpyglassError(f"{path.name}: cannot decrypt with the identity or passphrase given "
                            "(wrong key or passphrase, or a damaged file)") from None
    except pyrage.IdentityError:
        raise SpyglassError("the --age-identity file is not an age identity") from None
    finally:
        if hasattr(secrets, "forget"):
            secrets.forget()


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(magic)) == magic
    except OSError:
        return False
