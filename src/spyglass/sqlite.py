"""Read-only SQLite from evidence bytes: WAL applied in memory, nothing written to disk.

Every database is deserialised into an in-memory connection, so plaintext from decrypted
backups never touches the disk and the evidence file is never opened by SQLite itself
(opening a WAL database in place would create -shm files beside it).
"""

from __future__ import annotations

import os
import sqlite3
import struct
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from spyglass.errors import EvidenceError
from spyglass.limits import (
    MAX_SQLITE_CACHE_KIB,
    MAX_SQLITE_HEAP_BYTES,
    MAX_SQLITE_SECONDS,
    MAX_SQLITE_VALUE_BYTES,
)

SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_MAGIC_LE = 0x377F0682
WAL_MAGIC_BE = 0x377F0683
WAL_HEADER_SIZE = 32
WAL_FRAME_HEADER_SIZE = 24
MIN_PAGE_SIZE, MAX_PAGE_SIZE = 512, 65536   # SQLite's own bounds
PROGRESS_STEPS = 100_000                     # virtual machine steps between two budget checks


def apply_wal(db: bytes | bytearray, wal: bytes | bytearray | memoryview) -> bytes | bytearray:
    """Return the database as readers would see it: committed WAL frames laid over the pages.

    Frames count only while their salts match the WAL header and the running checksum holds;
    everything after the last valid commit frame is ignored, as SQLite does. Nothing in the
    WAL is trusted to size the result: a commit's database size is honoured only as far as
    the pages it implies exist in the database or in committed frames, so the result is never
    larger than the two files together. A bytearray `db` is changed in place (no copy).
    """
    if len(wal) < WAL_HEADER_SIZE:
        return db
    magic, _version, page_size, _ckpt, salt1, salt2, sum1, sum2 = struct.unpack(">8I", wal[:32])
    if magic not in (WAL_MAGIC_LE, WAL_MAGIC_BE) or not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE \
            or page_size & (page_size - 1):
        return db
    header_page_size = db_page_size(db)
    if header_page_size is not None and header_page_size != page_size:
        return db   # a WAL of another database (or forged): SQLite would not apply it either
    big_endian = magic == WAL_MAGIC_BE
    s1, s2 = _wal_checksum(wal[:24], 0, 0, big_endian)
    if (s1, s2) != (sum1, sum2):
        return db
    pending: dict[int, int] = {}     # page number -> offset of its newest frame's page in the WAL
    committed: dict[int, int] = {}
    commit_pages = 0
    offset = WAL_HEADER_SIZE
    frame_size = WAL_FRAME_HEADER_SIZE + page_size
    view = memoryview(wal)
    while offset + frame_size <= len(wal):
        header = view[offset:offset + WAL_FRAME_HEADER_SIZE]
        page_no, commit_size, f_salt1, f_salt2, f_sum1, f_sum2 = struct.unpack(">6I", header)
        if (f_salt1, f_salt2) != (salt1, salt2) or page_no == 0:
            break
        s1, s2 = _wal_checksum(header[:8], s1, s2, big_endian)
        s1, s2 = _wal_checksum(view[offset + WAL_FRAME_HEADER_SIZE:offset + frame_size], s1, s2, big_endian)
        if (s1, s2) != (f_sum1, f_sum2):
            break
        pending[page_no] = offset + WAL_FRAME_HEADER_SIZE
        if commit_size:
            committed.update(pending)
            pending.clear()
            commit_pages = commit_size
        offset += frame_size
    if not committed:
        return db
    # A database grows only by pages that were written: past the original size, the size a
    # commit claims holds only as far as a run of committed pages backs it.
    db_pages = len(db) // page_size
    if commit_pages > db_pages:
        backed = db_pages
        while backed < commit_pages and backed + 1 in committed:
            backed += 1
        commit_pages = backed
    out = db if isinstance(db, bytearray) else bytearray(db)
    if len(out) > commit_pages * page_size:
        del out[commit_pages * page_size:]
    elif len(out) < commit_pages * page_size:
        out.extend(bytes(commit_pages * page_size - len(out)))
    for page_no, start in committed.items():
        if page_no <= commit_pages:
            out[(page_no - 1) * page_size: page_no * page_size] = view[start:start + page_size]
    return out


def db_page_size(db: bytes | bytearray) -> int | None:
    """The page size a database header states (bytes 16-17; 1 means 65,536), None if invalid."""
    if len(db) < 100 or not db.startswith(SQLITE_MAGIC):
        return None
    size = int.from_bytes(db[16:18], "big")
    size = 65536 if size == 1 else size
    return size if MIN_PAGE_SIZE <= size <= MAX_PAGE_SIZE and not size & (size - 1) else None


def _wal_checksum(data: bytes | memoryview, s1: int, s2: int, big_endian: bool) -> tuple[int, int]:
    words = array("I")
    words.frombytes(data)   # array("I", memoryview) would read it as a sequence of ints
    if big_endian != (struct.pack("=I", 1) == struct.pack(">I", 1)):
        words.byteswap()
    mask = 0xFFFFFFFF
    for index in range(0, len(words), 2):
        s1 = (s1 + words[index] + s2) & mask
        s2 = (s2 + words[index + 1] + s1) & mask
    return s1, s2


def _decode_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


# Functions no module needs that a hostile schema could reach for (FTS3 tokenizer pointers,
# extension loading): denied whatever calls them.
DENIED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension", "readfile", "writefile", "edit"})


class Database:
    """A read-only SQLite database from evidence: bytes deserialised in memory, or a plain file
    opened read-only and immutable (SQLite then neither writes nor creates files beside it).

    Locked down for hostile files: `trusted_schema=OFF`, `query_only`, temporary tables and
    sort spills kept in memory (`temp_store=MEMORY`: SQLite would otherwise write decrypted
    rows to its temp folder), every value bounded by SQLITE_LIMIT_LENGTH, every query by a work
    budget (progress handler), and an authorizer that refuses reads through views, triggers
    and virtual tables and calls of dangerous functions, each refusal named for what it was.
    """

    def __init__(self, data: bytes | bytearray, source: str, wal: bytes | bytearray | None = None,
                 seconds: float = MAX_SQLITE_SECONDS) -> None:
        self.source = source
        if not data:
            raise EvidenceError(f"{source}: empty file, not a SQLite database")
        if not data.startswith(SQLITE_MAGIC):
            raise EvidenceError(f"{source}: not a SQLite database")
        if wal:
            data = apply_wal(data, wal)
        if data[18:20] != b"\x01\x01":
            # Bytes 18-19 say "WAL mode", which an in-memory database cannot open: say "legacy".
            # In place where the buffer is ours, so a large database is not copied once more.
            if not isinstance(data, bytearray):
                data = bytearray(data)
            data[18:20] = b"\x01\x01"
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        try:
            # SQLite copies the bytes into its own memory; ours are released when this returns.
            connection.deserialize(data)
        except (sqlite3.Error, OverflowError) as exc:
            connection.close()
            raise EvidenceError(f"{source}: corrupt SQLite database ({exc})") from exc
        self._prepare(connection, seconds)

    @classmethod
    def open_file(cls, path: Path, source: str, seconds: float = MAX_SQLITE_SECONDS) -> Database:
        """Open a plain evidence file in place, without copying it into memory (large Manifest.db).

        Only for files with no -wal to apply: `immutable=1` makes SQLite ignore journals.
        """
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise EvidenceError(f"{source}: cannot read ({exc.strerror or exc})") from exc
        if not header:
            raise EvidenceError(f"{source}: empty file, not a SQLite database")
        if header != SQLITE_MAGIC:
            raise EvidenceError(f"{source}: not a SQLite database")
        database = cls.__new__(cls)
        database.source = source
        uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        try:
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise EvidenceError(f"{source}: cannot open as SQLite ({exc})") from exc
        database._prepare(connection, seconds)
        return database

    @classmethod
    def open_pages(cls, pages: PageSource, source: str, seconds: float = MAX_SQLITE_SECONDS) -> Database:
        """A database whose bytes `pages` serves on demand (an encrypted backup's Manifest.db,
        decrypted page by page), so that neither its plaintext nor a copy of it is ever whole
        in memory: a full phone's Manifest.db is hundreds of megabytes, and deserialising it
        holds it twice at once (ours, and SQLite's copy).

        The standard library's sqlite3 cannot serve pages from Python; apsw's VFS can. The rows
        are the same as the other connections' (by index and by name); text that is not valid
        UTF-8 fails the query instead of being replaced, so callers select text they cannot
        trust as BLOB (Manifest.db's columns are).
        """
        import apsw  # only an encrypted backup needs it

        try:
            head = pages.read(0, len(SQLITE_MAGIC))
            if not head:
                raise EvidenceError(f"{source}: empty file, not a SQLite database")
            if head != SQLITE_MAGIC:
                raise EvidenceError(f"{source}: not a SQLite database")
        except BaseException:
            pages.close()
            raise
        name = _PageVFS.serve(pages)
        database = cls.__new__(cls)
        database.source = source
        try:
            # immutable: SQLite opens no journal, -wal or -shm beside it and takes no locks.
            connection = apsw.Connection(f"file:{name}?immutable=1", vfs=_PageVFS.NAME,
                                         flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
        except apsw.Error as exc:
            _PageVFS.release(name)
            raise EvidenceError(f"{source}: cannot open as SQLite ({exc})") from exc
        database._served = name
        database._prepare(connection, seconds)
        return database

    def _prepare(self, connection: Any, seconds: float) -> None:
        self.connection = connection
        self.seconds = seconds
        self._deadline = 0.0
        self._denied: str | None = None
        self._columns: dict[str, set[str]] = {}
        native = isinstance(connection, sqlite3.Connection)
        self._errors: tuple[type[BaseException], ...] = (sqlite3.Error,) if native else (_apsw_error(),)
        try:
            for pragma in ("trusted_schema=OFF", "query_only=ON", "cell_size_check=ON", "mmap_size=0",
                           "temp_store=MEMORY", f"cache_size=-{MAX_SQLITE_CACHE_KIB}",
                           f"hard_heap_limit={MAX_SQLITE_HEAP_BYTES}"):
                for _ in connection.execute(f"PRAGMA {pragma}"):
                    pass
            if native:
                connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_SQLITE_VALUE_BYTES)
                connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
                connection.row_factory = sqlite3.Row
                # Text that is not valid UTF-8 (hostile or damaged) is read with replacement
                # characters instead of failing the whole query.
                connection.text_factory = _decode_text
            else:
                connection.limit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_SQLITE_VALUE_BYTES)
                connection.limit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
                connection.row_trace = _row_of
            self._objects: dict[str, str] = {}
            for kind, name, sql in connection.execute(
                    "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view')"):
                if kind == "table" and isinstance(sql, str) and sql.lstrip()[:21].upper().startswith(
                        "CREATE VIRTUAL TABLE"):
                    kind = "virtual table"
                self._objects[str(name)] = kind
            connection.set_authorizer(self._authorize)
            connection.set_progress_handler(self._progress, PROGRESS_STEPS)
        except (*self._errors, UnicodeDecodeError) as exc:
            # SQLite's error text can quote a damaged schema's bytes, which Python then fails to
            # decode (found by fuzzing): both are a corrupt database.
            self.close()
            raise EvidenceError(f"{self.source}: corrupt SQLite database ({exc})") from exc

    def _authorize(self, action: int, first: str | None, second: str | None, database: str | None,
                   inner: str | None) -> int:
        """Refuse reads through views and triggers (`inner` names one), reads of virtual tables
        and calls of denied functions; remember why, so the error names the real cause."""
        if inner is not None:
            self._denied = f"the query would read through the view or trigger '{inner}'"
        elif action == sqlite3.SQLITE_READ and self._objects.get(first or "") == "virtual table":
            self._denied = f"'{first}' is a virtual table, not a table"
        elif action == sqlite3.SQLITE_FUNCTION and (second or "").lower() in DENIED_FUNCTIONS:
            self._denied = f"the query would call the function {second}()"
        else:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    def _progress(self) -> int:
        # Called every PROGRESS_STEPS virtual machine steps: non-zero aborts the query.
        return 1 if time.monotonic() > self._deadline else 0

    def tables(self) -> set[str]:
        """Names of the real tables (views and virtual tables excluded)."""
        return {name for name, kind in self._objects.items() if kind == "table"}

    def has_table(self, name: str) -> bool:
        return self._objects.get(name) == "table"

    def defines(self, name: str) -> bool:
        """Whether the schema has anything of that name (a table, a view, a virtual table)."""
        return name in self._objects

    def columns(self, table: str) -> set[str]:
        """The columns of a real table (none for a view or a virtual table), read once."""
        if not self.has_table(table):
            return set()
        if table not in self._columns:
            # table_xinfo: generated columns are columns too (table_info leaves them out).
            self._columns[table] = {row[1] for row in self.rows(f'PRAGMA table_xinfo("{table}")')}
        return set(self._columns[table])

    def present(self, table: str, columns: Iterable[str] | Mapping[str, str], alias: str | None = None) -> list[str]:
        """Select-list items for those of `columns` that `table` has (the columns of a table
        differ across OS versions): `alias."column" AS "name"`, a mapping naming each column's
        result; the columns it lacks are left out."""
        names = columns if isinstance(columns, Mapping) else {column: column for column in columns}
        have = self.columns(table)
        prefix = f"{alias}." if alias else ""
        return [f'{prefix}"{column}" AS "{name}"' for column, name in names.items() if column in have]

    def require(self, tables: dict[str, set[str]] | None) -> None:
        """Refuse the database unless every declared table is a real table with its columns."""
        for table, needed in (tables or {}).items():
            kind = self._objects.get(table)
            if kind in ("view", "virtual table"):
                raise EvidenceError(f"{self.source}: '{table}' is a {kind}, not a table; refused")
            if kind is None:
                raise EvidenceError(f"{self.source}: table '{table}' is missing")
            missing = set(needed) - self.columns(table)
            if missing:
                raise EvidenceError(f"{self.source}: table '{table}' lacks columns {sorted(missing)}")

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> Iterator[sqlite3.Row]:
        """The rows of `query`, fetched in batches. The work budget runs from the first fetch."""
        self._denied = None
        self._deadline = time.monotonic() + self.seconds
        try:
            cursor = self.connection.execute(query, params)
            if isinstance(cursor, sqlite3.Cursor):
                while batch := cursor.fetchmany(1000):
                    yield from batch
                    # Time the caller spends on the rows is not the query's: the budget restarts.
                    self._deadline = time.monotonic() + self.seconds
            else:
                for count, row in enumerate(cursor, start=1):
                    yield row
                    if not count % 1000:
                        self._deadline = time.monotonic() + self.seconds
        except self._errors as exc:
            raise EvidenceError(f"{self.source}: {self._reason(exc)}") from exc
        except UnicodeDecodeError as exc:
            # An error text quoting damaged bytes; or, on a page-served database, a text value
            # that is not UTF-8 where the caller did not select it as BLOB.
            what = "an undecodable error" if isinstance(self.connection, sqlite3.Connection) else "text that is not UTF-8"
            raise EvidenceError(f"{self.source}: corrupt SQLite database ({what})") from exc
        except OverflowError as exc:   # a value past Python's own limits
            raise EvidenceError(f"{self.source}: {exc}") from exc

    def _reason(self, exc: BaseException) -> str:
        reason = str(exc)
        if self._denied is not None:
            return f"refused: {self._denied}"
        if reason == "interrupted" or type(exc).__name__ == "InterruptError":
            return f"query stopped after its {self.seconds:g} s budget (a hostile or damaged database?)"
        if "too big" in reason:
            return f"a value is over the {MAX_SQLITE_VALUE_BYTES} byte bound ({reason})"
        return reason

    def close(self) -> None:
        self.connection.close()
        served = getattr(self, "_served", None)
        if served is not None:
            _PageVFS.release(served)
            self._served = None


class PageSource(Protocol):
    """Bytes read at an offset: what `Database.open_pages` serves SQLite from."""

    size: int

    def read(self, offset: int, amount: int) -> bytes: ...

    def close(self) -> None: ...


def _apsw_error() -> type[BaseException]:
    import apsw
    return apsw.Error


class _Row(tuple):
    """A row by index and by column name, as sqlite3.Row (names case-insensitive)."""

    __slots__ = ()
    names: dict[str, int]
    columns: list[str]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key.lower()])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.columns)


def _row_of(cursor: Any, row: tuple[Any, ...]) -> _Row:
    # One row class per column list: the names are looked up once per query, not per row.
    description = cursor.get_description()
    kind = _ROW_KINDS.get(description)
    if kind is None:
        columns = [str(name) for name, *_ in description]
        # The first of two columns of one name wins, as in sqlite3.Row.
        names = {name.lower(): index for index, name in reversed(list(enumerate(columns)))}
        kind = type("Row", (_Row,), {"__slots__": (), "names": names, "columns": columns})
        if len(_ROW_KINDS) < 256:
            _ROW_KINDS[description] = kind
    return kind(row)


_ROW_KINDS: dict[Any, type[_Row]] = {}


class _PageVFS:
    """The one apsw VFS that serves `PageSource`s by name; it opens no file of its own. Files
    are only ever read (SQLite opens them immutable), and a name it does not serve is refused,
    so no journal, temporary or other file is ever created."""

    NAME = "spyglass-pages"
    _vfs: Any = None
    _sources: dict[str, PageSource] = {}
    _next = 0

    @classmethod
    def serve(cls, pages: PageSource) -> str:
        if cls._vfs is None:
            cls._vfs = _make_page_vfs(cls)
        cls._next += 1
        name = f"/spyglass-{cls._next}"
        cls._sources[name] = pages
        return name

    @classmethod
    def release(cls, name: str) -> None:
        pages = cls._sources.pop(name, None)
        if pages is not None:
            pages.close()


def _make_page_vfs(registry: type[_PageVFS]) -> Any:
    import apsw

    class PageFile:
        def __init__(self, pages: PageSource) -> None:
            self.pages = pages

        def xRead(self, amount: int, offset: int) -> bytes:  # noqa: N802 - apsw's names
            return self.pages.read(offset, amount)

        def xFileSize(self) -> int:  # noqa: N802
            return self.pages.size

        def xWrite(self, data: bytes, offset: int) -> None:  # noqa: N802
            raise apsw.ReadOnlyError("evidence is read-only")

        def xTruncate(self, size: int) -> None:  # noqa: N802
            raise apsw.ReadOnlyError("evidence is read-only")

        def xSync(self, flags: int) -> None:  # noqa: N802
            raise apsw.ReadOnlyError("evidence is read-only")

        def xLock(self, level: int) -> None:  # noqa: N802
            pass

        def xUnlock(self, level: int) -> None:  # noqa: N802
            pass

        def xCheckReservedLock(self) -> bool:  # noqa: N802
            return False

        def xFileControl(self, op: int, pointer: int) -> bool:  # noqa: N802
            return False

        def xSectorSize(self) -> int:  # noqa: N802
            return 4096

        def xDeviceCharacteristics(self) -> int:  # noqa: N802
            return apsw.SQLITE_IOCAP_IMMUTABLE

        def xClose(self) -> None:  # noqa: N802
            pass

    class PageVFS(apsw.VFS):
        def __init__(self) -> None:
            # No base VFS: nothing falls through to one that could open or create a real file.
            super().__init__(registry.NAME, base="")

        def xOpen(self, name: Any, flags: list[int]) -> PageFile:  # noqa: N802
            key = name.filename() if hasattr(name, "filename") else name
            pages = registry._sources.get(key)
            if pages is None or flags[0] & (apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE):
                raise apsw.CantOpenError(f"{key}: not served")
            return PageFile(pages)

        def xAccess(self, pathname: str, flags: int) -> bool:  # noqa: N802
            return False    # no journal, -wal or other companion file exists

        def xFullPathname(self, name: str) -> str:  # noqa: N802
            return name

        def xDelete(self, name: str, syncdir: bool) -> None:  # noqa: N802
            raise apsw.ReadOnlyError("evidence is read-only")

        def xCurrentTime(self) -> float:  # noqa: N802
            return 2440587.5 + time.time() / 86400.0

        def xCurrentTimeInt64(self) -> int:  # noqa: N802
            return int((2440587.5 + time.time() / 86400.0) * 86400000)

        def xRandomness(self, amount: int) -> bytes:  # noqa: N802
            return os.urandom(amount)

        def xSleep(self, microseconds: int) -> int:  # noqa: N802
            return 0

    return PageVFS()
