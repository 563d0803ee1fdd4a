"""Android backup (`adb backup`, also the backup.ab androidqf takes): a header, then a tar
stream, deflated and optionally AES-256 encrypted.

Header lines (AOSP BackupManagerService / PerformAdbBackupTask): "ANDROID BACKUP", the format
version (1-5), "1" if deflated (zlib), the encryption ("none" or "AES-256"); when encrypted, five
more: the user-key salt (hex), the master-key checksum salt (hex), the PBKDF2 rounds, the
user-key IV (hex), and the master-key blob (hex), which the user key (PBKDF2-HMAC-SHA1 of the
password, 256 bits) decrypts (AES-256-CBC, PKCS#7) into: IV length + IV, master key length +
master key, checksum length + checksum. The checksum is PBKDF2 of the master key *as Java chars*
(version 2+: each byte sign-extended to a 16-bit char, then UTF-8; version 1: the bytes), so a
wrong password is told apart from a damaged file. The rest is AES-256-CBC under the master key.

The tar inside is streamed once, never written: members up to MAX_AB_MEMBER_BYTES are kept in
memory within a MAX_AB_HELD_BYTES budget (apps' databases and SMS backups are small); larger ones
are listed, not readable. Member paths look like `apps/<package>/{_manifest,a,db,f,sp,r}/...`.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from spyglass.acquisitions.base import ANDROID_BACKUP, Acquisition, EvidenceFile, FileEntry
from spyglass.acquisitions.containers import DIRECTORY, FILE, Member, safe_member_path
from spyglass.acquisitions.devpath import DevicePattern, path_name
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.limits import MAX_AB_HELD_BYTES, MAX_AB_MEMBER_BYTES, MAX_AB_ROUNDS, MAX_DECOMPRESSED_BYTES

MAGIC = b"ANDROID BACKUP\n"
MAX_HEADER_LINE = 4096
CHUNK = 1 << 20


def parse_header(handle: BinaryIO) -> dict[str, Any]:
    """The header's fields; the handle is left at the start of the data."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise EvidenceError("not an Android backup (no ANDROID BACKUP header)")

    def line() -> str:
        raw = handle.readline(MAX_HEADER_LINE)
        if not raw.endswith(b"\n"):
            raise EvidenceError("Android backup header is truncated or damaged")
        return raw[:-1].decode("ascii", "replace")

    header: dict[str, Any] = {"version": _int(line(), "version"), "compressed": line() == "1", "encryption": line()}
    if header["encryption"] == "AES-256":
        header.update(user_salt=_hex(line(), "user salt"), checksum_salt=_hex(line(), "checksum salt"),
                      rounds=_int(line(), "rounds"), user_iv=_hex(line(), "user IV"),
                      master_blob=_hex(line(), "master key blob"))
        if not 1 <= header["rounds"] <= MAX_AB_ROUNDS:
            raise EvidenceError(f"Android backup asks for {header['rounds']} PBKDF2 rounds (over {MAX_AB_ROUNDS})")
    elif header["encryption"] != "none":
        raise EvidenceError(f"Android backup encrypted with {header['encryption'][:40]!r}, which no Android writes")
    return header


def _int(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise EvidenceError(f"Android backup header: {what} is not a number")
    return int(text)


def _hex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise EvidenceError(f"Android backup header: {what} is not hexadecimal") from None


def master_key(header: dict[str, Any], password: bytes) -> tuple[bytes, bytes]:
    """(master key, IV) from the password; SpyglassError when the password is wrong."""
    user_key = hashlib.pbkdf2_hmac("sha1", password, header["user_salt"], header["rounds"], 32)
    blob = header["master_blob"]
    if len(blob) % 16 or len(header["user_iv"]) != 16:
        raise EvidenceError("Android backup header: master key blob or IV of a wrong size")
    decryptor = Cipher(algorithms.AES(user_key), modes.CBC(header["user_iv"])).decryptor()
    plain = decryptor.update(blob) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(plain) + unpadder.finalize()
        iv, key, checksum = _blob_fields(plain)
    except (ValueError, EvidenceError):
        raise SpyglassError("wrong password for this Android backup") from None
    expected = hashlib.pbkdf2_hmac("sha1", _java_chars(key, header["version"]), header["checksum_salt"],
                                   header["rounds"], 32)
    if expected != checksum:
        raise SpyglassError("wrong password for this Android backup")
    return key, iv


def _blob_fields(plain: bytes) -> tuple[bytes, bytes, bytes]:
    fields, at = [], 0
    for _ in range(3):
        if at >= len(plain):
            raise EvidenceError("master key blob too short")
        length = plain[at]
        fields.append(plain[at + 1:at + 1 + length])
        at += 1 + length
        if len(fields[-1]) != length:
            raise EvidenceError("master key blob too short")
    return fields[0], fields[1], fields[2]


def _java_chars(key: bytes, version: int) -> bytes:
    """The master key as Java's PBEKeySpec(char[]) feeds it to PBKDF2: version 1 the bytes,
    later versions each byte sign-extended to a char and encoded in UTF-8."""
    if version < 2:
        return key
    return "".join(chr(b if b < 0x80 else 0xFF00 | b) for b in key).encode("utf-8")


class _PlainStream(io.RawIOBase):
    """The backup's tar, as read: decrypted and inflated in chunks, within a decompression bound."""

    def __init__(self, handle: BinaryIO, header: dict[str, Any], key: bytes | None, iv: bytes | None) -> None:
        super().__init__()
        self._handle = handle
        self._decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor() if key else None
        self._unpadder = padding.PKCS7(128).unpadder() if key else None
        self._inflater = zlib.decompressobj() if header["compressed"] else None
        self._buffer = bytearray()
        self._total = 0
        self._done = False
        self._error: EvidenceError | None = None

    def readable(self) -> bool:
        return True

    def _fill(self, want: int) -> None:
        while len(self._buffer) < want and not self._done:
            chunk = self._handle.read(CHUNK)
            final = not chunk
            data = chunk
            try:
                if self._decryptor is not None:
                    data = self._decryptor.update(chunk) if chunk else self._decryptor.finalize()
                    data = self._unpadder.update(data) if not final else self._unpadder.update(data) + self._unpadder.finalize()
                if self._inflater is not None:
                    data = self._inflater.decompress(data, max(want, CHUNK)) if data else b""
                    while self._inflater.unconsumed_tail and len(data) < want:
                        data += self._inflater.decompress(self._inflater.unconsumed_tail, CHUNK)
                    if final:
                        data += self._inflater.flush()
                        if not self._inflater.eof:
                            # Said once what came before is read: those members are evidence.
                            self._error = EvidenceError("Android backup data ends before its end (truncated)")
            except (ValueError, zlib.error) as exc:
                raise EvidenceError(f"Android backup data is damaged ({exc})") from exc
            self._total += len(data)
            if self._total > MAX_DECOMPRESSED_BYTES:
                raise EvidenceError(f"Android backup decompresses past the {MAX_DECOMPRESSED_BYTES} byte bound")
            self._buffer += data
            self._done = final

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        self._fill(len(view))
        if not self._buffer and self._error is not None:
            raise self._error
        count = min(len(view), len(self._buffer))
        view[:count] = self._buffer[:count]
        del self._buffer[:count]
        return count


def plain_stream(handle: BinaryIO, header: dict[str, Any], key: bytes | None = None,
                 iv: bytes | None = None) -> io.RawIOBase:
    """The backup's tar as a stream, from a handle left after its header (`parse_header`)."""
    return _PlainStream(handle, header, key, iv)


def tar_members(stream: io.RawIOBase, keep: Callable[[str, int], bool]) -> Iterator[
        tuple[str | None, tarfile.TarInfo, bytes | None]]:
    """(checked path or None, tar header, bytes) for each member of a backup's tar, streamed
    once: the bytes of a regular file `keep(path, size)` accepts, read whole (a member cut short
    is an EvidenceError), else None."""
    with tarfile.open(fileobj=io.BufferedReader(stream, CHUNK), mode="r|") as tar:
        for info in tar:
            path = safe_member_path(info.name)
            data = None
            if path is not None and info.isreg() and keep(path, info.size):
                handle = tar.extractfile(info)
                data = handle.read(info.size) if handle is not None else b""
                if len(data) != info.size:
                    raise EvidenceError(f"{path}: cut short")
            yield path, info, data


def read_backup(handle: BinaryIO, name: str, secrets: Any, warnings: list[str]) -> tuple[
        dict[str, Any], dict[str, Member], dict[str, bytes]]:
    """An Android backup read from `handle` once: its header, its members, and the bytes of those
    held in memory (each up to MAX_AB_MEMBER_BYTES, all within MAX_AB_HELD_BYTES). An encrypted
    one takes the password from `secrets`. Damage after some members is said in `warnings`, and
    what came before is kept."""
    header = parse_header(handle)
    key = iv = None
    if header["encryption"] == "AES-256":
        if secrets is None:
            raise SpyglassError(f"{name} is an encrypted Android backup: give its password")
        try:
            key, iv = master_key(header, secrets.secret_password().reveal())
        finally:
            secrets.forget()
    members: dict[str, Member] = {}
    held: dict[str, bytes] = {}
    total = 0

    def keep(path: str, size: int) -> bool:
        return size <= MAX_AB_MEMBER_BYTES and total + size <= MAX_AB_HELD_BYTES

    try:
        for path, info, data in tar_members(_PlainStream(handle, header, key, iv), keep):
            if path is None:
                warnings.append(f"{info.name[:200]}: an absolute or climbing member path; refused")
            elif path in members:
                warnings.append(f"{path}: stored twice; the first is kept")
            elif info.isdir():
                members[path] = Member(path, DIRECTORY, 0, info.mode, float(info.mtime or 0) or None)
            elif info.isreg():
                if data is not None:
                    held[path] = data
                    total += len(data)
                members[path] = Member(path, FILE, info.size, info.mode, float(info.mtime or 0) or None)
            else:
                warnings.append(f"{path}: a link or special file; refused")
    except (tarfile.TarError, EOFError, EvidenceError) as exc:
        # What was read before the damage is still evidence: kept, and the damage said.
        warnings.append(f"{name}: damaged after {len(members)} members ({exc}); the rest not read")
    return header, members, held


class AndroidBackup(Acquisition):
    """An `adb backup` file (.ab), plain, deflated or encrypted (the password as for any backup)."""

    kind = ANDROID_BACKUP

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        with root.open("rb") as handle:
            self.header, self.members, self.held = read_backup(handle, root.name, secrets, self.warnings)
        self.device = {"os": "Android"}

    @classmethod
    def probe(cls, path: Path) -> bool:
        try:
            with path.open("rb") as handle:
                return path.is_file() and handle.read(len(MAGIC)) == MAGIC
        except OSError:
            return False

    # -- the interface --------------------------------------------------------------------------
    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        return []

    def named(self, name: str) -> list[EvidenceFile]:
        pattern = DevicePattern("/" + name)
        return [self._file(member) for path, member in sorted(self.members.items())
                if member.kind == FILE and pattern.match("/" + path)]

    def listing(self) -> Iterator[FileEntry]:
        for path, member in sorted(self.members.items()):
            yield FileEntry(source=path, device_path=None, kind=member.kind, size=member.size, mode=member.mode,
                            modified=member.modified, name=path_name(path))

    def whole_source(self, what: str) -> str | None:
        return self.root.name if what == "listing" else None

    def _file(self, member: Member) -> EvidenceFile:
        return EvidenceFile(self, member.path, None, member.size,
                            {"size": member.size, "mode": member.mode, "modified": member.modified}, member)

    def companion(self, file: EvidenceFile, suffix: str) -> EvidenceFile | None:
        member = self.members.get(file.source + suffix)
        return self._file(member) if member is not None and member.kind == FILE else None

    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        data = self.held.get(file.source)
        if data is None:
            raise EvidenceError(f"{file.source}: {file.size} bytes, too large to hold from a streamed backup")
        if len(data) > limit:
            raise EvidenceError(f"{file.source}: {len(data)} bytes is over the {limit} byte bound")
        return bytearray(data) if mutable else data

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described.update(format_version=self.header["version"], compressed=self.header["compressed"],
                         encryption=self.header["encryption"], members=len(self.members))
        return described
