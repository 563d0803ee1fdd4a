"""Encrypted iOS backups (Finder, iTunes, idevicebackup2; iOS 10.2 and later), decrypted in memory.

Manifest.plist holds the BackupKeyBag, a TLV list (4-byte tag, 4-byte big-endian length):
VERS TYPE UUID HMCK WRAP SALT ITER DPWT DPIC DPSL, then per protection class
UUID CLAS WRAP KTYP WPKY (PBKY too for asymmetric classes). The passcode key is
PBKDF2-HMAC-SHA256(password, DPSL, DPIC) then PBKDF2-HMAC-SHA1(that, SALT, ITER); before
iOS 10.2 the keybag has no DPSL and only the SHA-1 step runs. Class keys whose WRAP has bit 2
are wrapped with it (RFC 3394 AES key wrap). ManifestKey (4-byte little-endian class + wrapped
key) decrypts Manifest.db; each file's MBFile EncryptionKey (same shape) decrypts its blob.
Both are AES-256-CBC with a zero IV and PKCS7 padding; a file is cut to its MBFile Size.

Plaintext lives only in memory: nothing here writes a file (the `ios decrypt` writer,
ios_decrypt.py, is the one deliberate exception, and the user names its destination).
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from spyglass.acquisitions.base import read_file_bounded
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.plists import load_plist
from spyglass.secrets import Hidden, Secrets
from spyglass.sqlite import SQLITE_MAGIC

if TYPE_CHECKING:
    from spyglass.acquisitions.base import EvidenceFile
    from spyglass.acquisitions.ios_backup import IOSBackup

MAX_KEYBAG_BYTES = 64 * 1024
MAX_KEYBAG_CLASSES = 64
# A hostile keybag could ask for days of PBKDF2; real ones use 10,000,000 and 10,000.
MAX_DPIC = 50_000_000
MAX_ITER = 10_000_000
WRAP_PASSCODE = 2
WRAPPED_KEY_BYTES = 40          # a 32-byte AES key after RFC 3394 wrapping
BLOCK = 16
CHUNK_BYTES = 1024 * 1024       # streaming unit: a multiple of the AES block
INTEGER_TAGS = {b"VERS", b"TYPE", b"WRAP", b"ITER", b"DPWT", b"DPIC", b"CLAS", b"KTYP"}
SOURCE_PHRASES = {"password-file": "the password file", "environment": "the password in SPYGLASS_BACKUP_PASSWORD",
                  "prompt": "the password typed at the prompt"}


class WrongPassword(SpyglassError):
    """The password (or key file) does not unlock the backup's keybag."""


@dataclass(slots=True)
class ClassKey:
    protection_class: int
    wrap: int = 0
    key_type: int | None = None
    wrapped: bytes | None = None


@dataclass(slots=True)
class Keybag:
    """A parsed BackupKeyBag: its top-level attributes and the wrapped key of each class."""

    attributes: dict[str, int | bytes] = field(default_factory=dict)
    classes: dict[int, ClassKey] = field(default_factory=dict)

    def integer(self, tag: str) -> int | None:
        value = self.attributes.get(tag)
        return value if isinstance(value, int) else None

    def data(self, tag: str) -> bytes | None:
        value = self.attributes.get(tag)
        return value if isinstance(value, bytes) else None

    @property
    def parameters(self) -> tuple[Any, ...]:
        """What the passcode key depends on (besides the password): the cache key for it."""
        return (self.data("DPSL"), self.integer("DPIC"), self.data("SALT"), self.integer("ITER"))


def parse_keybag(blob: Any) -> Keybag:
    """Parse a BackupKeyBag TLV blob; anything malformed is a SpyglassError naming the defect."""
    if not isinstance(blob, bytes) or not blob:
        raise SpyglassError("Manifest.plist has no BackupKeyBag: the encrypted backup cannot be unlocked")
    if len(blob) > MAX_KEYBAG_BYTES:
        raise SpyglassError(f"damaged keybag: {len(blob)} bytes is over the {MAX_KEYBAG_BYTES} byte bound")
    keybag = Keybag()
    entries: list[ClassKey] = []
    uuids = 0
    offset = 0
    while offset < len(blob):
        if offset + 8 > len(blob):
            raise SpyglassError(f"damaged keybag: truncated entry header at byte {offset}")
        tag, length = blob[offset:offset + 4], struct.unpack(">I", blob[offset + 4:offset + 8])[0]
        raw = blob[offset + 8:offset + 8 + length]
        if len(raw) != length:
            raise SpyglassError(f"damaged keybag: entry {tag.decode('ascii', 'replace')} runs past the end")
        offset += 8 + length
        number = None
        if tag in INTEGER_TAGS:
            if length != 4:
                raise SpyglassError(f"damaged keybag: {tag.decode('latin-1')} is {length} bytes, not 4")
            number = struct.unpack(">I", raw)[0]
        if tag == b"UUID":
            uuids += 1
            if uuids == 1:
                keybag.attributes["UUID"] = raw
            elif len(entries) >= MAX_KEYBAG_CLASSES:
                raise SpyglassError("damaged keybag: too many class entries")
            else:
                # Every UUID after the keybag's own opens the next class entry.
                entries.append(ClassKey(protection_class=-1))
        elif not entries:
            keybag.attributes[tag.decode("latin-1")] = raw if number is None else number
        elif tag == b"CLAS" and number is not None:
            entries[-1].protection_class = number
        elif tag == b"WRAP" and number is not None:
            entries[-1].wrap = number
        elif tag == b"KTYP" and number is not None:
            entries[-1].key_type = number
        elif tag == b"WPKY":
            entries[-1].wrapped = raw
    keybag.classes = {entry.protection_class: entry for entry in entries if entry.protection_class >= 0}
    _check_keybag(keybag)
    return keybag


def _check_keybag(keybag: Keybag) -> None:
    if keybag.data("SALT") is None or keybag.integer("ITER") is None:
        raise SpyglassError("damaged keybag: SALT or ITER is missing")
    if not 1 <= (keybag.integer("ITER") or 0) <= MAX_ITER:
        raise SpyglassError(f"damaged keybag: ITER {keybag.integer('ITER')} is outside 1..{MAX_ITER}")
    if keybag.data("DPSL") is not None and not 1 <= (keybag.integer("DPIC") or 0) <= MAX_DPIC:
        raise SpyglassError(f"damaged keybag: DPIC {keybag.integer('DPIC')} is outside 1..{MAX_DPIC}")
    if not any(entry.wrapped and entry.wrap & WRAP_PASSCODE for entry in keybag.classes.values()):
        raise SpyglassError("damaged keybag: no class key is wrapped with the backup password")


def pbkdf2(algorithm: str, secret: Hidden, salt: bytes, iterations: int) -> Hidden:
    """32 bytes of PBKDF2-HMAC. cryptography's OpenSSL binding measured ~1.7x faster than
    hashlib.pbkdf2_hmac here (SHA-256 9.4 vs 5.5 M it/s; SHA-1 5.1 vs 2.9), see benchmarks."""
    digest = hashes.SHA256() if algorithm == "sha256" else hashes.SHA1()
    return Hidden(PBKDF2HMAC(algorithm=digest, length=32, salt=salt, iterations=iterations).derive(secret.reveal()))


def passcode_key(password: Hidden, keybag: Keybag) -> Hidden:
    """The key wrapping the class keys: SHA-256 step (iOS 10.2+, when DPSL is present), then SHA-1."""
    key = password
    dpsl, dpic = keybag.data("DPSL"), keybag.integer("DPIC")
    if dpsl is not None and dpic:
        key = pbkdf2("sha256", key, dpsl, dpic)
    return pbkdf2("sha1", key, keybag.data("SALT") or b"", keybag.integer("ITER") or 1)


def unwrap(wrapping_key: Hidden, wrapped: bytes) -> Hidden:
    """RFC 3394 unwrap; InvalidUnwrap for a wrong key or damaged input (ValueError on bad lengths).
    Keys stay `Hidden` in every local variable, so a traceback showing locals shows none."""
    try:
        return Hidden(aes_key_unwrap(wrapping_key.reveal(), wrapped))
    except ValueError as exc:
        raise InvalidUnwrap(str(exc)) from None


def unlock_class_keys(keybag: Keybag, key: Hidden, wrong: str) -> tuple[dict[int, Hidden], list[int]]:
    """Unwrap every password-wrapped class key. None unwrapping means the wrong secret (`wrong`);
    some failing while others unwrap means damage to those entries, returned as the second value."""
    unlocked: dict[int, Hidden] = {}
    failed: list[int] = []
    for protection_class, entry in sorted(keybag.classes.items()):
        if not entry.wrapped or not entry.wrap & WRAP_PASSCODE:
            continue
        try:
            unlocked[protection_class] = unwrap(key, entry.wrapped)
        except InvalidUnwrap:
            failed.append(protection_class)
    if not unlocked:
        raise WrongPassword(wrong)
    return unlocked, failed


PROMPT_TRIES = 3


def _wrong_message(secrets: Secrets) -> str:
    return ("wrong backup key: the key file does not unlock this backup" if secrets.has_key_file
            else "wrong backup password")


def _secret_key(keybag: Keybag, secrets: Secrets) -> tuple[Hidden, float]:
    started = time.perf_counter()
    key = secrets.derived_key(keybag.parameters, lambda password: passcode_key(password, keybag))
    if len(key.reveal()) != 32:
        raise SpyglassError("a backup key is 32 bytes")
    return key, time.perf_counter() - started


def _read_manifest_plist(backup_root: Path) -> dict[str, Any]:
    manifest = load_plist(read_file_bounded(backup_root / "Manifest.plist", MAX_PLIST_BYTES, "Manifest.plist"),
                          "Manifest.plist")
    if not isinstance(manifest, dict):
        raise EvidenceError("Manifest.plist: expected a dictionary at the top")
    return manifest


def derive_key(backup_root: Path, secrets: Secrets) -> bytes:
    """The backup's passcode key (both PBKDF2 steps done), checked against the keybag, so it can be
    saved with `write_key_file` and given later with --key-file to skip the slow derivation."""
    manifest = _read_manifest_plist(backup_root)
    if not manifest.get("IsEncrypted"):
        raise SpyglassError(f"{backup_root}: the backup is not encrypted")
    keybag = parse_keybag(manifest.get("BackupKeyBag"))
    key, _seconds = _secret_key(keybag, secrets)
    unlock_class_keys(keybag, key, _wrong_message(secrets))
    return key.reveal()


def write_key_file(path: Path, key: bytes | Hidden) -> None:
    """Write `key` as 64 hex digits to a new file readable by its owner only (0600); never overwrite."""
    key = key if isinstance(key, Hidden) else Hidden(key)
    if len(key.reveal()) != 32:
        raise SpyglassError("a backup key is 32 bytes")
    try:
        # O_EXCL also refuses a symlink planted at `path`.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        raise SpyglassError(f"{path}: already exists; a key file is never overwritten") from None
    except OSError as exc:
        raise SpyglassError(f"{path}: cannot create the key file ({exc.strerror or exc})") from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, 0o600)  # a umask cannot widen it, but may have narrowed it oddly
        os.write(descriptor, key.reveal().hex().encode("ascii") + b"\n")
    finally:
        os.close(descriptor)


def _split_wrapped(blob: Any, what: str) -> tuple[int, bytes]:
    """A ManifestKey or EncryptionKey: 4-byte little-endian protection class, then the wrapped key."""
    if not isinstance(blob, bytes) or len(blob) != 4 + WRAPPED_KEY_BYTES:
        size = len(blob) if isinstance(blob, bytes) else type(blob).__name__
        raise EvidenceError(f"{what} is malformed ({size}, expected {4 + WRAPPED_KEY_BYTES} bytes)")
    return struct.unpack("<I", blob[:4])[0], blob[4:]


def _strip_pkcs7(data: bytes | bytearray) -> bytes | bytearray:
    pad = data[-1] if data else 0
    if 1 <= pad <= BLOCK and len(data) >= pad and data[-pad:] == bytes([pad]) * pad:
        if isinstance(data, bytearray):
            del data[-pad:]   # in place: no copy of a large buffer
            return data
        return data[:-pad]
    return data


class BackupDecryptor:
    """The unlocked class keys of one encrypted backup; decrypts Manifest.db and files on demand."""

    def __init__(self, backup: IOSBackup, keybag: Keybag, class_keys: dict[int, Hidden],
                 manifest_key: bytes | None, details: dict[str, Any], key: Hidden | None = None) -> None:
        self.backup = backup
        # The backup key that unlocked the keybag, handed to the check's worker processes only.
        self.key = key
        self.keybag = keybag
        self._class_keys = class_keys
        self._manifest_key = manifest_key
        self.details = details

    def __repr__(self) -> str:
        return f"BackupDecryptor(classes={sorted(self._class_keys)}, keys=***)"

    @classmethod
    def unlock(cls, backup: IOSBackup, secrets: Secrets | None) -> BackupDecryptor:
        """Derive the passcode key (or take the key file's), unwrap the class keys; a wrong
        password fails here, right after the derivation, as WrongPassword."""
        secrets = secrets if secrets is not None else Secrets()
        keybag = parse_keybag(backup.manifest.get("BackupKeyBag"))
        manifest_key = backup.manifest.get("ManifestKey")
        if manifest_key is None:
            _require_plain_manifest_db(backup.head("Manifest.db", len(SQLITE_MAGIC)))
        else:
            try:
                _split_wrapped(manifest_key, "Manifest.plist ManifestKey")
            except EvidenceError as exc:
                raise SpyglassError(str(exc)) from None
        for attempt in range(1, PROMPT_TRIES + 1):
            key, seconds = _secret_key(keybag, secrets)
            try:
                class_keys, failed = unlock_class_keys(keybag, key, _wrong_message(secrets))
                break
            except WrongPassword:
                # A mistyped password at the prompt is asked again; any other source is final.
                if secrets.source != "prompt" or attempt == PROMPT_TRIES:
                    raise
                secrets.say_wrong(f"Wrong password, try again ({PROMPT_TRIES - attempt} left).")
        details: dict[str, Any] = {
            "secret": secrets.describe(),
            "keybag_version": keybag.integer("VERS"),
            "classes_unlocked": sorted(class_keys),
            "key_derivation": "skipped (key file)" if secrets.has_key_file else {
                "sha256_iterations": keybag.integer("DPIC") if keybag.data("DPSL") else None,
                "sha1_iterations": keybag.integer("ITER"), "seconds": round(seconds, 3)},
        }
        if secrets.has_key_file:
            backup.notes.append("encrypted backup unlocked with a key file (key derivation skipped)")
        else:
            origin = SOURCE_PHRASES.get(secrets.source or "", "a password")
            backup.notes.append(f"encrypted backup unlocked with {origin} (key derivation {seconds:.1f} s)")
        if failed:
            backup.notes.append(f"damaged keybag: class keys {failed} do not unwrap; their files cannot be read")
        if manifest_key is None:
            backup.notes.append("Manifest.plist has no ManifestKey; Manifest.db is stored unencrypted")
        return cls(backup, keybag, class_keys, manifest_key, details, key)

    def describe(self) -> dict[str, Any]:
        return dict(self.details)

    def _class_key(self, protection_class: int, what: str) -> Hidden:
        key = self._class_keys.get(protection_class)
        if key is None:
            raise EvidenceError(f"{what}: protection class {protection_class} has no unlocked key in the keybag")
        return key

    def decrypt_manifest(self, data: bytes) -> bytes:
        """Manifest.db's plaintext (in memory) from its encrypted bytes."""
        if self._manifest_key is None:
            if data.startswith(SQLITE_MAGIC):
                return data
            raise SpyglassError("Manifest.plist has no ManifestKey: the encrypted Manifest.db cannot be decrypted")
        key = self._manifest_key_unwrapped()
        if len(data) % BLOCK:
            raise EvidenceError(f"Manifest.db: {len(data)} bytes is not a whole number of AES blocks")
        decryptor = _cbc(key)
        # Decrypted into one buffer (update_into), not concatenated copies: a full phone's
        # Manifest.db is hundreds of megabytes.
        plain = bytearray(len(data) + BLOCK - 1)
        written = decryptor.update_into(data, plain)
        decryptor.finalize()
        del plain[written:]
        plain = _strip_pkcs7(plain)
        if not plain.startswith(SQLITE_MAGIC):
            raise EvidenceError("Manifest.db: does not decrypt to a SQLite database (damaged)")
        return plain

    def manifest_pages(self, path: Path, limit: int) -> CBCPages | None:
        """Manifest.db on disk, decrypted page by page as SQLite reads it; None when it is
        stored in clear (no ManifestKey)."""
        if self._manifest_key is None:
            return None
        pages = CBCPages(path, self._manifest_key_unwrapped(), "Manifest.db", limit)
        if pages.read(0, len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            pages.close()
            raise EvidenceError("Manifest.db: does not decrypt to a SQLite database (damaged)")
        return pages

    def _manifest_key_unwrapped(self) -> Hidden:
        assert self._manifest_key is not None
        protection_class, wrapped = _split_wrapped(self._manifest_key, "Manifest.plist ManifestKey")
        try:
            return unwrap(self._class_key(protection_class, "ManifestKey"), wrapped)
        except (InvalidUnwrap, EvidenceError) as exc:
            raise SpyglassError(f"Manifest.plist ManifestKey does not unwrap (damaged): {exc}") from None

    def file_key(self, meta: dict[str, Any], source: str) -> Hidden:
        """The AES key of one file, unwrapped from its MBFile EncryptionKey."""
        blob = meta.get("encryption_key")
        if blob is None:
            raise EvidenceError(f"{source}: its MBFile has no EncryptionKey")
        prefix_class, wrapped = _split_wrapped(blob, f"{source}: EncryptionKey")
        protection_class = meta.get("protection_class")
        if not isinstance(protection_class, int) or isinstance(protection_class, bool):
            protection_class = prefix_class
        try:
            return unwrap(self._class_key(protection_class, source), wrapped)
        except InvalidUnwrap:
            raise EvidenceError(f"{source}: its file key does not unwrap (damaged Manifest.db entry)") from None

    def decrypt_file(self, path: Path | bytes | bytearray, meta: dict[str, Any], source: str,
                     sink: Callable[[bytes], Any], limit: int | None = None) -> tuple[str, int]:
        """Stream one file's plaintext into `sink` in chunks of CHUNK_BYTES, cut to its MBFile Size.
        `path` is the file on disk, or its ciphertext already in memory (a backup in an archive).
        Returns the ciphertext's sha256 and size (the evidence as stored)."""
        key = self.file_key(meta, source)
        size = meta.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            size = None
        if limit is not None and size is not None and size > limit:
            raise EvidenceError(f"{source}: {size} bytes is over the {limit} byte bound")
        if not isinstance(path, Path):
            _check_stored_size(len(path), size, limit, source)
            return _stream(io.BytesIO(path), len(path), _cbc(key), size, limit, sink, source)
        try:
            if path.is_symlink() or not path.is_file():
                raise EvidenceError(f"{source}: not a regular file")
            with path.open("rb") as handle:
                stored = os.fstat(handle.fileno()).st_size
                _check_stored_size(stored, size, limit, source)
                return _stream(handle, stored, _cbc(key), size, limit, sink, source)
        except OSError as exc:
            raise EvidenceError(f"{source}: cannot read ({exc.strerror or exc})") from None

    def read_file(self, path: Path | bytes | bytearray, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        """One file's plaintext in memory, at most `limit` bytes; the ciphertext hash goes to inputs.
        `mutable` returns the buffer itself rather than an immutable copy of it."""
        plain = bytearray()
        sha256, stored = self.decrypt_file(path, file.meta, file.source, plain.extend, limit)
        self.backup.record_input(file.source, sha256, stored)
        return plain if mutable else bytes(plain)


def _cbc(key: Hidden, iv: bytes = b"\x00" * BLOCK) -> Any:
    return Cipher(algorithms.AES(key.reveal()), modes.CBC(iv)).decryptor()


class CBCPages:
    """Random access to the plaintext of a file encrypted whole in AES-CBC with a zero IV (an
    encrypted backup's Manifest.db): a block's plaintext needs only its ciphertext and the
    ciphertext block before it, so any range is decrypted alone, as SQLite asks for it, and the
    plaintext is never whole in memory. The size is the stored size less the PKCS#7 padding of
    the last block. Reads are by chunks of PAGE_CHUNK, the last few kept (SQLite's own cache
    holds the pages it reuses); a file that shrinks while read fails its query."""

    PAGE_CHUNK = 64 * 1024
    KEPT = 8

    def __init__(self, path: Path, key: Hidden, source: str, limit: int) -> None:
        self.source = source
        self._key = key
        self._kept: dict[int, bytes] = {}
        self._lock = threading.Lock()
        try:
            if path.is_symlink() or not path.is_file():
                raise EvidenceError(f"{source}: not a regular file")
            self._handle = path.open("rb")
        except OSError as exc:
            raise EvidenceError(f"{source}: cannot read ({exc.strerror or exc})") from None
        try:
            self.stored = os.fstat(self._handle.fileno()).st_size
            _check_stored_size(self.stored, None, limit, source)
            self.size = self.stored
            if self.stored:
                last = self._decrypt(self.stored - BLOCK, self.stored)
                self.size = self.stored - (len(last) - len(_strip_pkcs7(last)))
        except BaseException:
            self._handle.close()
            raise

    def _ciphertext(self, start: int, stop: int) -> bytes:
        with self._lock:
            self._handle.seek(start)
            data = self._handle.read(stop - start)
        if len(data) != stop - start:
            raise EvidenceError(f"{self.source}: shorter than when it was opened (changed while read)")
        return data

    def _decrypt(self, start: int, stop: int) -> bytes:
        """Plaintext of the whole blocks from `start` to `stop` (multiples of the block)."""
        if start:
            data = self._ciphertext(start - BLOCK, stop)
            iv, data = data[:BLOCK], data[BLOCK:]
        else:
            iv, data = b"\x00" * BLOCK, self._ciphertext(0, stop)
        decryptor = _cbc(self._key, iv)
        return decryptor.update(data) + decryptor.finalize()

    def _chunk(self, index: int) -> bytes:
        plain = self._kept.get(index)
        if plain is None:
            start = index * self.PAGE_CHUNK
            plain = self._decrypt(start, min(start + self.PAGE_CHUNK, self.stored))
            if len(self._kept) >= self.KEPT:
                del self._kept[next(iter(self._kept))]
            self._kept[index] = plain
        return plain

    def read(self, offset: int, amount: int) -> bytes:
        stop = min(offset + amount, self.size)
        if offset < 0 or offset >= stop:
            return b""
        first, last = offset // self.PAGE_CHUNK, (stop - 1) // self.PAGE_CHUNK
        if first == last:
            base = first * self.PAGE_CHUNK
            return self._chunk(first)[offset - base:stop - base]
        parts = b"".join(self._chunk(index) for index in range(first, last + 1))
        base = first * self.PAGE_CHUNK
        return parts[offset - base:stop - base]

    def close(self) -> None:
        self._kept.clear()
        self._handle.close()


def _check_stored_size(stored: int, size: int | None, limit: int | None, source: str) -> None:
    if stored % BLOCK:
        raise EvidenceError(f"{source}: {stored} bytes stored is not a whole number of AES blocks")
    if size is not None and stored < size:
        raise EvidenceError(f"{source}: {stored} bytes stored, fewer than its size {size} (truncated)")
    if limit is not None and stored > limit + BLOCK:
        raise EvidenceError(f"{source}: {stored} bytes stored is over the {limit} byte bound")


def _stream(handle: Any, stored: int, decryptor: Any, size: int | None, limit: int | None,
            sink: Callable[[bytes], Any], source: str) -> tuple[str, int]:
    hasher = hashlib.sha256()
    remaining_stored = stored
    remaining_plain = size
    held = b""       # with no known size, the last block is held back to strip its padding
    while remaining_stored:
        chunk = handle.read(min(CHUNK_BYTES, remaining_stored))
        if not chunk:
            raise EvidenceError(f"{source}: shorter than when it was opened (changed while read)")
        remaining_stored -= len(chunk)
        hasher.update(chunk)
        plain = decryptor.update(chunk)
        if remaining_plain is not None:
            if remaining_plain:
                sink(plain[:remaining_plain])
                remaining_plain -= min(len(plain), remaining_plain)
            continue
        plain = held + plain
        held = plain[-BLOCK:]
        if len(plain) > BLOCK:
            sink(plain[:-BLOCK])
    decryptor.finalize()
    if size is None and held:
        sink(bytes(_strip_pkcs7(held)))
    return hasher.hexdigest(), stored


def _require_plain_manifest_db(head: bytes) -> None:
    # Early iOS 10 encrypted backups kept Manifest.db in clear and had no ManifestKey; anything
    # else without one cannot be read. Checked before the slow key derivation.
    if head != SQLITE_MAGIC:
        raise SpyglassError("Manifest.plist has no ManifestKey: the encrypted Manifest.db cannot be decrypted")
