"""Where the bytes of evidence are stored: a folder, a .tar (plain or compressed) or a .zip.

One small protocol for all of them: `members()` lists every member once (path, size, mode,
MACB times where the format keeps them), `read()` gives one member's bytes within a bound.
Nothing is ever extracted. A member whose path is absolute or climbs out (`..`), a link that
leads out of the container, a special file (device, FIFO, socket), a duplicate name, or
decompression past a bound is refused and recorded in `refused`; a refused member is never
read. Member paths are POSIX, relative to the container's root, without a leading slash.
"""

from __future__ import annotations

import io
import itertools
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from spyglass.acquisitions.gzindex import IndexedGzip
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_CONTAINER_MEMBERS, MAX_DECOMPRESSED_BYTES, MAX_TREE_DEPTH

FILE, DIRECTORY, LINK = "file", "directory", "link"
# What a damaged archive raises from the standard library's readers (a corrupt deflate stream
# raises zlib.error, a corrupt xz stream lzma.LZMAError: found by fuzzing).
TAR_ERRORS = (tarfile.TarError, OSError, EOFError, ValueError, zlib.error, lzma.LZMAError)
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error, lzma.LZMAError)


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a container. Times are Unix seconds, None where the format has none."""

    path: str
    kind: str
    size: int = 0
    mode: int | None = None
    modified: float | None = None
    accessed: float | None = None
    changed: float | None = None
    born: float | None = None
    target: str | None = None    # a link's target, as stored


def safe_member_path(name: str) -> str | None:
    """`name` as a clean relative POSIX path, or None when it is absolute, climbs out or is empty."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return None
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or ".." in parts or any("\x00" in part for part in parts):
        return None
    return "/".join(parts)


def link_stays_inside(path: str, target: str) -> bool:
    """Whether a link at `path` pointing to `target` resolves inside the container."""
    if not target or target.startswith("/") or "\x00" in target:
        return False
    depth = len(PurePosixPath(path).parent.parts)
    for part in target.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return True


class Container(ABC):
    """A read-only store of members. Subclasses list and read; this class keeps the index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._refused: list[str] = []
        self._members: dict[str, Member] | None = None

    @property
    def refused(self) -> list[str]:
        """What the listing refused, and why (the listing is made first if need be)."""
        self._index()
        return self._refused

    def members(self) -> Sequence[Member]:
        """Every member, listed once per container and kept."""
        return tuple(self._index().values())

    def scan(self) -> Iterator[Member]:
        """Members as they are read, without building the index: for a quick look at the start."""
        return self._list()

    def member(self, path: str) -> Member | None:
        return self._index().get(path)

    def _index(self) -> dict[str, Member]:
        if self._members is None:
            self._restart()             # a scan (a probe's look) may have begun the listing
            members: dict[str, Member] = {}
            for member in self._list():
                if len(members) >= MAX_CONTAINER_MEMBERS:
                    self._refused.append(f"more than {MAX_CONTAINER_MEMBERS} members: the rest not listed")
                    break
                if member.path in members:
                    # Two members of one name: which one a tool reads is the attacker's choice.
                    self._refused.append(f"{member.path}: stored twice; the first is kept")
                    continue
                members[member.path] = member
            # Archives often store files without their folders: the folders are implied.
            for path in list(members):
                parent = path.rpartition("/")[0]
                while parent and parent not in members:
                    members[parent] = Member(parent, DIRECTORY)
                    parent = parent.rpartition("/")[0]
            self._members = members
        return self._members

    def read(self, path: str, limit: int) -> bytes:
        """The bytes of member `path`, refused over `limit` bytes."""
        data = self._read(self._file(path, limit), limit)
        if len(data) > limit:
            raise EvidenceError(f"{path}: over the {limit} byte bound once read")
        return data

    def stream(self, path: str, limit: int) -> BoundedStream:
        """Member `path` as a stream read in pieces (a text file is never held whole), refused
        over `limit` bytes as declared and again as read."""
        return BoundedStream(self._open(self._file(path, limit)), limit, path)

    def _file(self, path: str, limit: int) -> Member:
        """Member `path`, refused unless it is a regular file declared within `limit` bytes."""
        member = self.member(path)
        if member is None:
            raise EvidenceError(f"{path}: not in {self.path.name}")
        if member.kind != FILE:
            raise EvidenceError(f"{path}: not a regular file ({member.kind})")
        if member.size > limit:
            raise EvidenceError(f"{path}: {member.size} bytes is over the {limit} byte bound")
        return member

    def _open(self, member: Member) -> BinaryIO:
        """A file member as an open binary stream; by default its bytes in memory."""
        return io.BytesIO(self._read(member, MAX_DECOMPRESSED_BYTES))

    def _restart(self) -> None:
        """Forget what an earlier scan listed: refusals, and a subclass's members by path."""
        self._refused = []

    @abstractmethod
    def _list(self) -> Iterator[Member]:
        """Every acceptable member; refusals appended to `self._refused`."""

    @abstractmethod
    def _read(self, member: Member, limit: int) -> bytes:
        """A file member's bytes, at most `limit` + 1 of them."""

    def handed_index(self) -> Any:
        """What a worker process of the check needs to skip listing this container again
        (`hand_over`), or None where listing again is cheap (a folder, a zip's central directory)."""
        return None

    def close(self) -> None:  # noqa: B027 - a folder holds nothing open
        """Release open files."""

    def _refuse(self, name: str, reason: str) -> None:
        self._refused.append(f"{name}: {reason}; refused")


class FolderContainer(Container):
    """An extracted tree on disk. Links are listed, never followed; special files are refused."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.real_root = path.resolve()

    def _list(self) -> Iterator[Member]:
        stack: list[tuple[Path, str, int]] = [(self.path, "", 0)]
        while stack:
            folder, prefix, depth = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    children = sorted(entries, key=lambda entry: entry.name)
            except OSError as exc:
                self._refuse(prefix or ".", f"cannot be listed ({exc.strerror or exc})")
                continue
            subfolders = []
            for entry in children:
                relative = f"{prefix}{entry.name}"
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    self._refuse(relative, f"cannot be read ({exc.strerror or exc})")
                    continue
                member = _member_from_stat(relative, info)
                if member.kind == LINK:
                    try:
                        target = os.readlink(entry.path)
                    except OSError:
                        target = ""
                    member = Member(relative, LINK, 0, info.st_mode, member.modified, member.accessed,
                                    member.changed, member.born, target)
                elif member.kind not in (FILE, DIRECTORY):
                    self._refuse(relative, f"a special file ({member.kind})")
                    continue
                yield member
                if member.kind == DIRECTORY:
                    if depth + 1 >= MAX_TREE_DEPTH:
                        self._refuse(relative, f"nested over {MAX_TREE_DEPTH} folders deep")
                    else:
                        subfolders.append((Path(entry.path), relative + "/", depth + 1))
            stack.extend(reversed(subfolders))

    def _read(self, member: Member, limit: int) -> bytes:
        with self._open(member) as handle:
            return handle.read(min(member.size, limit) + 1)

    def _open(self, member: Member) -> BinaryIO:
        path = self.path.joinpath(*member.path.split("/"))
        # A folder on the way may have been swapped for a link since the listing.
        if path.resolve() != self.real_root.joinpath(*member.path.split("/")):
            raise EvidenceError(f"{member.path}: reached through a link; refused")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            descriptor = os.open(path, flags)
        except OSError as exc:
            raise EvidenceError(f"{member.path}: cannot read ({exc.strerror or exc})") from exc
        handle = os.fdopen(descriptor, "rb")
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            handle.close()
            raise EvidenceError(f"{member.path}: not a regular file")
        return handle


def _member_from_stat(path: str, info: os.stat_result) -> Member:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        kind = FILE
    elif stat.S_ISDIR(mode):
        kind = DIRECTORY
    elif stat.S_ISLNK(mode):
        kind = LINK
    else:
        kind = "special"
    born = getattr(info, "st_birthtime", None)
    return Member(path, kind, info.st_size if kind == FILE else 0, mode, info.st_mtime, info.st_atime,
                  info.st_ctime, born)


class TarContainer(Container):
    """A .tar, .tar.gz, .tar.bz2 or .tar.xz, read in place through its member offsets."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._raw: BinaryIO | None = None
        try:
            if _magic(path)[:2] == b"\x1f\x8b":
                # gzip: through a checkpoint index, so that reading a member late in the archive
                # does not inflate it again from the start (see gzindex.py).
                self._raw = path.open("rb")
                stream = io.BufferedReader(IndexedGzip(self._raw, MAX_DECOMPRESSED_BYTES), 1 << 16)
                self._tar = tarfile.open(fileobj=stream, mode="r:")  # noqa: SIM115 - held until close()
            else:
                self._tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - held open until close()
        except (*TAR_ERRORS, EvidenceError) as exc:
            if self._raw is not None:
                self._raw.close()
            raise EvidenceError(f"{path.name}: not a readable tar archive ({exc})") from exc
        self._infos: dict[str, tarfile.TarInfo] = {}

    def _restart(self) -> None:
        super()._restart()
        self._infos = {}

    def _list(self) -> Iterator[Member]:
        total = 0
        try:
            for info in self._tar:
                path = safe_member_path(info.name)
                if path is None:
                    self._refuse(info.name, "an absolute or climbing member path")
                    continue
                if info.isreg():
                    total += info.size
                    if total > MAX_DECOMPRESSED_BYTES:
                        self._refused.append(f"members past {MAX_DECOMPRESSED_BYTES} bytes: the rest not listed")
                        return
                    self._infos[path] = info
                    yield Member(path, FILE, info.size, info.mode, float(info.mtime) if info.mtime else None)
                elif info.isdir():
                    yield Member(path, DIRECTORY, 0, info.mode, float(info.mtime) if info.mtime else None)
                elif info.issym():
                    if not link_stays_inside(path, info.linkname):
                        self._refuse(info.name, f"a link out of the archive ({info.linkname})")
                        continue
                    yield Member(path, LINK, 0, info.mode, float(info.mtime) if info.mtime else None,
                                 target=info.linkname)
                elif info.islnk():
                    # A hard link names another member; listed as a link, never read through.
                    target = safe_member_path(info.linkname)
                    if target is None:
                        self._refuse(info.name, f"a hard link out of the archive ({info.linkname})")
                        continue
                    yield Member(path, LINK, 0, info.mode, float(info.mtime) if info.mtime else None,
                                 target=target)
                else:
                    self._refuse(info.name, "a special file")
        except (*TAR_ERRORS, EvidenceError) as exc:
            # Said without the archive's name: a refusal is shown after it ("dump.tar.gz: ...").
            self._refused.append(f"the archive is damaged after some members ({exc}); the rest not listed")

    def _read(self, member: Member, limit: int) -> bytes:
        try:
            with self._open(member) as handle:
                return handle.read(min(member.size, limit) + 1)
        except (*TAR_ERRORS, EvidenceError) as exc:
            raise EvidenceError(f"{member.path}: cannot read from {self.path.name} ({exc})") from exc

    def _open(self, member: Member) -> BinaryIO:
        try:
            handle = self._tar.extractfile(self._infos[member.path])
        except TAR_ERRORS as exc:
            raise EvidenceError(f"{member.path}: cannot read from {self.path.name} ({exc})") from exc
        if handle is None:
            raise EvidenceError(f"{member.path}: not a regular file")
        return _Translated(handle, TAR_ERRORS, f"{member.path}: cannot read from {self.path.name}")

    def handed_index(self) -> Any:
        # A tar has no directory: listing it parses every header (1.2 s for 22k members of a
        # .tar.gz, in each worker). Where each file's data lies is all a worker needs to read it.
        members = self._index()
        files = {path: (info.type, info.offset_data, info.size, info.sparse) for path, info in self._infos.items()}
        return tuple(members.values()), tuple(self._refused), files

    def _adopt(self, handed: Any) -> None:
        members, refused, files = handed
        self._members = {member.path: member for member in members}
        self._refused = list(refused)
        for path, (kind, offset, size, sparse) in files.items():
            info = tarfile.TarInfo(path)
            info.type, info.offset_data, info.size, info.sparse = kind, offset, size, sparse
            self._infos[path] = info

    def close(self) -> None:
        self._tar.close()
        if self._raw is not None:
            self._raw.close()


class ZipContainer(Container):
    """A .zip, read in place; each member's declared size bounds what is decompressed. `data`
    gives a zip held in memory (one decrypted in memory, never written) under `path`'s name."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        super().__init__(path)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
        except ZIP_ERRORS as exc:
            raise EvidenceError(f"{path.name}: not a readable zip archive ({exc})") from exc
        self._infos: dict[str, zipfile.ZipInfo] = {}

    def _restart(self) -> None:
        super()._restart()
        self._infos = {}    # it also tells a name stored twice

    def _list(self) -> Iterator[Member]:
        total = 0
        for info in self._zip.infolist():
            path = safe_member_path(info.filename)
            if path is None:
                self._refuse(info.filename, "an absolute or climbing member path")
                continue
            unix_mode = info.external_attr >> 16
            modified = _zip_time(info)
            if info.is_dir():
                yield Member(path, DIRECTORY, 0, unix_mode or None, modified)
            elif stat.S_ISLNK(unix_mode):
                # A zip stores a link's target as the member's content: listed, never followed.
                target = self._zip.read(info)[:4096].decode("utf-8", "replace") if info.file_size < 4096 else ""
                if not link_stays_inside(path, target):
                    self._refuse(info.filename, f"a link out of the archive ({target[:200]})")
                    continue
                yield Member(path, LINK, 0, unix_mode, modified, target=target)
            elif stat.S_IFMT(unix_mode) and not stat.S_ISREG(unix_mode):
                # No type bits (Python's own zipfile writes none) is a regular file.
                self._refuse(info.filename, "a special file")
            elif path in self._infos:
                yield Member(path, FILE, info.file_size)   # refused as stored twice by the index
            else:
                total += info.file_size
                if total > MAX_DECOMPRESSED_BYTES:
                    self._refused.append(f"members past {MAX_DECOMPRESSED_BYTES} bytes: the rest not listed")
                    return
                self._infos[path] = info
                yield Member(path, FILE, info.file_size, unix_mode or None, modified)

    def _read(self, member: Member, limit: int) -> bytes:
        try:
            with self._open(member) as handle:
                # The declared size is what zipfile stops at, so a forged small size cannot make
                # it inflate more; reading one byte past it tells a lie in the header.
                return handle.read(min(member.size, limit) + 1)
        except ZIP_ERRORS as exc:
            raise EvidenceError(f"{member.path}: cannot read from {self.path.name} ({exc})") from exc

    def _open(self, member: Member) -> BinaryIO:
        try:
            handle = self._zip.open(self._infos[member.path])
        except ZIP_ERRORS as exc:
            raise EvidenceError(f"{member.path}: cannot read from {self.path.name} ({exc})") from exc
        return _Translated(handle, ZIP_ERRORS, f"{member.path}: cannot read from {self.path.name}")

    def close(self) -> None:
        self._zip.close()


class _Wrapped:
    """A stream around another, closed with it."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> _Wrapped:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _Translated(_Wrapped):
    """A member's stream whose archive errors (a corrupt deflate stream, say) surface as
    EvidenceError naming the member, wherever in the stream they happen."""

    def __init__(self, handle: Any, errors: tuple[type[BaseException], ...], message: str) -> None:
        super().__init__(handle)
        self._errors, self._message = errors, message

    def read(self, size: int = -1) -> bytes:
        try:
            return self._handle.read(size)
        except self._errors as exc:
            raise EvidenceError(f"{self._message} ({exc})") from exc

    def readline(self, size: int = -1) -> bytes:
        try:
            return self._handle.readline(size)
        except self._errors as exc:
            raise EvidenceError(f"{self._message} ({exc})") from exc


class BoundedStream(_Wrapped):
    """A member read in pieces that raises EvidenceError once more than `limit` bytes came out
    (a file that grew since the listing, or a header that lied about the size)."""

    def __init__(self, handle: Any, limit: int, name: str) -> None:
        super().__init__(handle)
        self._limit, self._name, self._count = limit, name, 0

    def _counted(self, data: bytes) -> bytes:
        self._count += len(data)
        if self._count > self._limit:
            raise EvidenceError(f"{self._name}: over the {self._limit} byte bound once read")
        return data

    def read(self, size: int = -1) -> bytes:
        most = self._limit + 1 - self._count
        return self._counted(self._handle.read(most if size < 0 else min(size, most)))

    def readline(self, size: int) -> bytes:
        """At most `size` bytes of the next line (the rest of a longer line comes next call)."""
        return self._counted(self._handle.readline(min(size, self._limit + 1 - self._count)))


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    import calendar

    try:
        # Zip times are local wall-clock times with no zone: kept as if UTC, which is what
        # every other tool shows for them too.
        return float(calendar.timegm((*info.date_time, 0, 0, -1)))
    except (ValueError, OverflowError):
        return None


TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


_handed: dict[str, Any] = {}


def hand_over(path: Path, handed: Any) -> None:
    """In a worker process: the listing the check made of the tar at `path` (`handed_index`),
    taken by the next `open_container(path)` instead of listing the archive again. It comes from
    the check's own process over the worker's input pipe, never from the evidence."""
    _handed[str(path)] = handed


def open_container(path: Path) -> Container:
    """The container at `path`, by what it is (folder, zip, tar), not by its name alone."""
    if path.is_dir():
        return FolderContainer(path)
    if not path.is_file():
        raise EvidenceError(f"{path}: neither a folder nor a file")
    claimed = _claim_probed(path)
    if claimed is not None:
        return claimed
    if zipfile.is_zipfile(path):
        return ZipContainer(path)
    if path.name.lower().endswith(TAR_SUFFIXES) or _looks_like_tar(path):
        container = TarContainer(path)
        handed = _handed.pop(str(path), None)
        if handed is not None:
            container._adopt(handed)
        return container
    raise EvidenceError(f"{path.name}: not a folder, tar or zip archive")


def _magic(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(512)
    except OSError:
        return b""


def _looks_like_tar(path: Path) -> bool:
    head = _magic(path)
    # gzip, bzip2, xz magic, or a plain tar's "ustar" at offset 257.
    return head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00" or head[257:262] == b"ustar"


def children(folder: Path, most: int = 50) -> list[Path]:
    """The first `most` entries of a folder, sorted (a probe looks, it does not walk)."""
    try:
        return sorted(folder.iterdir())[:most]
    except OSError:
        return []


PROBE_SCAN = 20_000      # the most members any probe looks at (an iOS dump's)


@dataclass
class _Probed:
    key: tuple[str, int, int]
    members: tuple[Member, ...]
    container: Container | None    # still open, for the acquisition that opens the archive next


_probed: list[_Probed] = []        # the last archive probed, or nothing


def _archive_key(path: Path) -> tuple[str, int, int] | None:
    """An archive file by path, size and time (a file replaced between two checks differs);
    None for a folder, whose time says nothing of what is deeper."""
    try:
        info = path.stat()
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return None if stat.S_ISDIR(info.st_mode) else (str(path.resolve()), info.st_size, info.st_mtime_ns)


def probe_members(path: Path, most: int) -> tuple[Member, ...]:
    """The first `most` members of the archive at `path` (at most PROBE_SCAN), for a probe's look.

    Detecting what an archive holds asks each kind in turn, and each opened the archive and read
    its first members again: seven scans of a .tar.gz's headers, more than half of opening it. They are
    read once now, for the last archive probed, and the archive is left open for the kind that
    then opens it (`open_container`), which goes on from the headers already read. EvidenceError
    when it is neither a folder nor an archive."""
    key = _archive_key(path)
    if _probed and _probed[0].key == key:
        return _probed[0].members[:most]
    container = open_container(path)
    try:
        members = tuple(itertools.islice(container.scan(), PROBE_SCAN))
    except BaseException:
        container.close()
        raise
    if key is None:
        container.close()
        return members[:most]
    release_probed()
    _probed.append(_Probed(key, members, container))
    return members[:most]


def release_probed() -> None:
    """Close the archive the probes left open if no kind took it (`open_acquisition` ends so)."""
    for probed in _probed:
        if probed.container is not None:
            probed.container.close()
    _probed.clear()


def _claim_probed(path: Path) -> Container | None:
    """The archive the probes left open, if it is the one at `path`: handed over once."""
    if not _probed or _probed[0].container is None or _probed[0].key != _archive_key(path):
        return None
    container, _probed[0].container = _probed[0].container, None
    return container


def probe_paths(path: Path, most: int = 5_000, mark_folders: bool = False) -> Iterator[str]:
    """The paths of the first `most` members at `path` (`probe_members`), folders marked with a
    trailing slash when asked."""
    for member in probe_members(path, most):
        yield member.path + ("/" if mark_folders and member.kind == DIRECTORY else "")
