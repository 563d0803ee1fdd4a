"""The one interface every kind of acquisition offers to modules.

A kind (an iOS backup, a filesystem dump, ...) is a layout over where its bytes are stored.
What a module sees, whatever the kind: `files(pattern)` (the evidence files at a device-path
glob), `named(name)` (a file the kind names itself, where there is no device path),
`listing()` (every file with its times), `device`, `facts`, `installed_apps()`, and on a file
`sqlite()`, `plist()`, `text()`, `lines()`, `read_bytes()`. Nothing outside `acquisitions/`
knows how evidence is stored. Everything is read-only, every read is size-bounded, and every
file read is hashed into `inputs` for case.json. This package imports nothing from `modules/`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from spyglass.acquisitions.containers import Container, Member
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_LINE_CHARS, MAX_PLIST_BYTES, MAX_SQLITE_BYTES, MAX_TEXT_BYTES
from spyglass.plists import load_plist
from spyglass.sqlite import Database

# A line is read in pieces of this many bytes (a UTF-8 character is at most four), so a line
# longer than MAX_LINE_CHARS is cut without ever being held whole.
LINE_PIECE = 4 * MAX_LINE_CHARS

IOS_BACKUP = "ios-backup"
IOS_FS = "ios-fs"
SYSDIAGNOSE = "sysdiagnose"
ANDROIDQF = "androidqf"
ANDROID_BUGREPORT = "android-bugreport"
ANDROID_BACKUP = "android-backup"
ANDROID_INTRUSION = "android-intrusion-logs"
KINDS = (IOS_BACKUP, IOS_FS, SYSDIAGNOSE, ANDROIDQF, ANDROID_BUGREPORT, ANDROID_BACKUP, ANDROID_INTRUSION)
# The kinds whose files have device paths, per platform: where a module's `paths` apply (a bug
# report copies device files under FS/).
DEVICE_PATH_KINDS = {"ios": frozenset({IOS_BACKUP, IOS_FS}), "android": frozenset({ANDROID_BUGREPORT, ANDROIDQF})}


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One entry of an acquisition's listing: a file, folder or link with its times (Unix
    seconds as stored, None where the kind keeps none). `details` holds what only this kind
    knows (a backup's domain, relativePath and fileID)."""

    source: str
    device_path: str | None
    kind: str                      # "file", "directory", "link" or what the kind stores
    size: int | None = None
    mode: int | None = None
    modified: float | None = None
    accessed: float | None = None
    changed: float | None = None
    born: float | None = None
    name: str = ""                 # its own name ("" for a backup domain's root)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class EvidenceFile:
    """One file of the evidence, as a module sees it.

    `source` is how the case names it (for a backup "HomeDomain/Library/SMS/sms.db"),
    `device_path` where it lived on the phone, `meta` what the container knows about it
    (size, mode, MACB times), `key` the acquisition's own handle.
    """

    acquisition: Acquisition
    source: str
    device_path: str | None = None
    size: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    key: Any = None
    _database: Database | None = None

    def read_bytes(self, limit: int = MAX_TEXT_BYTES) -> bytes:
        return self.acquisition.read_bytes(self, limit)

    def open(self) -> BinaryIO:
        return self.acquisition.open(self)

    def sqlite(self) -> Database:
        """The file as a read-only database, its -wal applied; opened once and kept until close()."""
        if self._database is None:
            self._database = self.acquisition.sqlite(self)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None

    def plist(self) -> Any:
        return load_plist(self.read_bytes(MAX_PLIST_BYTES), self.source)

    def plist_dict(self) -> dict[str, Any]:
        """The plist, which must be a dictionary at the top (as preference files are)."""
        value = self.plist()
        if not isinstance(value, dict):
            raise EvidenceError(f"{self.source}: expected a dictionary at the top")
        return value

    def text(self, limit: int = MAX_TEXT_BYTES) -> str:
        return self.read_bytes(limit).decode("utf-8", errors="replace")

    def lines(self, limit: int = MAX_TEXT_BYTES) -> Iterator[str]:
        """Decoded lines, each cut at MAX_LINE_CHARS. The file is streamed in pieces of at most
        LINE_PIECE bytes, so a huge line costs neither its size in memory nor its decoding; the
        rest of a cut line is read past (and hashed), never kept."""
        digest, size = hashlib.sha256(), 0
        parts: list[bytes] = []
        held, skipping = 0, False
        with self.acquisition.stream(self, limit) as handle:
            # readline(n) may return a short piece of a line (a zip member's buffer ends): pieces
            # are gathered up to LINE_PIECE bytes, and the rest of a longer line is skipped.
            while piece := handle.readline(LINE_PIECE if skipping else LINE_PIECE - held):
                digest.update(piece)
                size += len(piece)
                ended = piece.endswith(b"\n")
                if skipping:
                    skipping = not ended
                    continue
                parts.append(piece)
                held += len(piece)
                if ended or held >= LINE_PIECE:
                    yield _line(parts)
                    parts, held, skipping = [], 0, not ended
        if parts:
            yield _line(parts)
        if self.source not in self.acquisition.inputs:
            self.acquisition.record_input(self.source, digest.hexdigest(), size)

    def text_pieces(self, limit: int, piece: int = 1 << 20) -> Iterator[str]:
        """The file decoded as UTF-8 (bad bytes replaced) in pieces of about `piece` bytes, streamed:
        a listing of millions of files costs a piece in memory, not its size. Refused past `limit`
        bytes; hashed as it is read, the input recorded once the last piece is taken."""
        digest, size = hashlib.sha256(), 0
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        with self.acquisition.stream(self, limit) as handle:
            while data := handle.read(piece):
                digest.update(data)
                size += len(data)
                if text := decoder.decode(data):
                    yield text
        if text := decoder.decode(b"", final=True):
            yield text
        if self.source not in self.acquisition.inputs:
            self.acquisition.record_input(self.source, digest.hexdigest(), size)


def _line(parts: list[bytes]) -> str:
    return b"".join(parts).decode("utf-8", errors="replace")[:MAX_LINE_CHARS].rstrip("\r\n")


class Acquisition(ABC):
    """An opened piece of evidence. Subclasses implement the storage; modules use only this."""

    kind: str = ""

    def __init__(self, root: Path, secrets: Any = None) -> None:
        self.root = root
        self.device: dict[str, Any] = {}
        self.facts = {}
        self.inputs: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []
        self.warnings: list[str] = []   # what the person running the check must hear of (damaged files)

    @classmethod
    @abstractmethod
    def probe(cls, path: Path) -> bool:
        """Whether `path` looks like this kind of acquisition (cheap, reads little)."""

    @abstractmethod
    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        """The files whose device path matches `pattern`, in a stable order."""

    def named(self, name: str) -> list[EvidenceFile]:
        """A file this kind names itself (androidqf's `dumpsys.txt`): none by default."""
        return []

    def listing(self) -> Iterator[FileEntry]:
        """Every file, folder and link the acquisition holds, with its times (only the slice
        `listing_part` names, when it is set)."""
        return iter(())

    # A kind whose listing can be cut into equal slices in a stable order says so; a worker
    # process of spyglass/parallel.py then lists only slice k of n (`listing_part = (k, n)`),
    # and the slices, joined in order, are the whole listing.
    slices_listing = False
    listing_part: tuple[int, int] | None = None

    def listing_bounds(self, count: int) -> tuple[int, int]:
        """The [start, stop) positions of `listing_part` among `count` entries."""
        if self.listing_part is None:
            return 0, count
        part, parts = self.listing_part
        return count * part // parts, count * (part + 1) // parts

    def whole_source(self, what: str) -> str | None:
        """How the case names where `what` ("listing" or "device") comes from; None if absent."""
        return None

    def handed_index(self) -> Any:
        """What a worker process of the check is handed so as not to list the evidence again
        (a tar's listing: containers.hand_over); None when listing again is cheap."""
        return None

    # What the kind knows of the device beside `device`: raw facts a module may report.
    facts: dict[str, Any]
    device_error: str | None = None   # why the device facts could not be read, if they could not

    def installed_apps(self) -> list[dict[str, Any]]:
        """The applications the acquisition names, each a dict with at least `bundle_id`."""
        return []

    @abstractmethod
    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        """The file's plain bytes, at most `limit` (EvidenceError beyond); a bytearray if `mutable`."""

    def companion(self, file: EvidenceFile, suffix: str) -> EvidenceFile | None:
        """A file stored beside `file` under the same name plus `suffix` (sqlite -wal)."""
        return None

    def sqlite(self, file: EvidenceFile) -> Database:
        """`file` as a read-only database; by default deserialised in memory with its -wal applied."""
        wal_file = self.companion(file, "-wal")
        wal = wal_file.read_bytes(MAX_SQLITE_BYTES) if wal_file else None
        # One buffer of ours (changed in place by the WAL) beside SQLite's own copy, no more.
        return Database(self.read_bytes(file, MAX_SQLITE_BYTES, mutable=True), file.source, wal)

    def read_bytes(self, file: EvidenceFile, limit: int = MAX_TEXT_BYTES, mutable: bool = False) -> bytes | bytearray:
        data = self._read(file, limit, mutable)
        if file.source not in self.inputs:
            self.record_input(file.source, hashlib.sha256(data).hexdigest(), len(data))
        return data

    def open(self, file: EvidenceFile) -> BinaryIO:
        return io.BytesIO(self.read_bytes(file))

    def stream(self, file: EvidenceFile, limit: int) -> Any:
        """`file` as a binary stream with read(n) and readline(n), refused past `limit` bytes.
        By default its bytes in memory; acquisitions over a container stream from it."""
        return io.BytesIO(self._read(file, limit))

    def record_input(self, source: str, sha256: str, size: int) -> None:
        self.inputs[source] = {"sha256": sha256, "size": size}

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.root), "device": self.device, "notes": self.notes}

    def close(self) -> None:  # noqa: B027 - most acquisitions hold nothing open
        """Release what the acquisition holds open."""



class ContainerAcquisition(Acquisition):
    """An acquisition whose files are the members of one container (folder, tar, zip)."""

    container: Container

    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        data = self.container.read(file.key.path, limit)
        return bytearray(data) if mutable else data

    def handed_index(self) -> Any:
        """The container's listing for a worker process (Container.handed_index)."""
        return self.container.handed_index()

    def stream(self, file: EvidenceFile, limit: int) -> Any:
        # Only the container's own members stream; others (held in memory) are read whole.
        if isinstance(file.key, Member) and self.container.member(file.key.path) is file.key:
            return self.container.stream(file.key.path, limit)
        return super().stream(file, limit)

def _regular_file_size(path: Path, limit: int, source: str) -> int:
    """The size of `path`, refusing links, non-files and anything over `limit` bytes."""
    if path.is_symlink() or not path.is_file():
        raise EvidenceError(f"{source}: not a regular file")
    size = path.stat().st_size
    if size > limit:
        raise EvidenceError(f"{source}: {size} bytes is over the {limit} byte bound")
    return size


def hash_file(path: Path, limit: int, source: str) -> tuple[str, int]:
    """sha256 and size of a regular file, read in chunks; refused over `limit` bytes."""
    digest = hashlib.sha256()
    try:
        size = _regular_file_size(path, limit, source)
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise EvidenceError(f"{source}: cannot read ({exc.strerror or exc})") from exc
    return digest.hexdigest(), size


def read_file_bounded(path: Path, limit: int, source: str, mutable: bool = False) -> bytes | bytearray:
    """Read a file from disk, refusing one over `limit` bytes and anything not a regular file.

    `mutable` gives a bytearray read in place, for a caller that changes the bytes without a
    copy (a database that gets its WAL applied).
    """
    try:
        size = _regular_file_size(path, limit, source)
        with path.open("rb") as handle:
            if mutable:
                data: bytes | bytearray = bytearray(size)
                got = handle.readinto(data)
                if got < size:
                    raise EvidenceError(f"{source}: shorter than when it was opened (changed while read)")
                if handle.read(1):
                    raise EvidenceError(f"{source}: grew past {size} bytes while being read")
                return data
            # Ask for what the file holds, not for `limit`: read(n) reserves n bytes up front.
            data = handle.read(size + 1)
    except OSError as exc:
        raise EvidenceError(f"{source}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise EvidenceError(f"{source}: grew past the {limit} byte bound while being read")
    return data
