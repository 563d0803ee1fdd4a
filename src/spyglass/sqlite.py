"""Read-only SQLite from evidence bytes: WAL applied in memory, nothing written to disk.

Every database is deserialised into an in-memory connection, so plaintext from decrypted
backups never touches the disk and the evidence file is never opened by SQLite itself
(opening a WAL database in place would create -shm files beside it).
"""

from __future__ import annotations

import sqlite3
import struct
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spyglass.errors import EvidenceError

SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_MAGIC_LE = 0x377F0682
WAL_MAGIC_BE = 0x377F0683
WAL_HEADER_SIZE = 32
WAL_FRAME_HEADER_SIZE = 24


def apply_wal(db: bytes, wal: bytes) -> bytes:
    """Return the database as readers would see it: committed WAL frames laid over the pages.

    Frames count only while their salts match the WAL header and the running checksum holds;
    everything after the last valid commit frame is ignored, as SQLite does.
    """
    if len(wal) < WAL_HEADER_SIZE:
        return db
    magic, _version, page_size, _ckpt, salt1, salt2, sum1, sum2 = struct.unpack(">8I", wal[:32])
    if magic not in (WAL_MAGIC_LE, WAL_MAGIC_BE) or page_size < 512 or page_size & (page_size - 1):
        return db
    big_endian = magic == WAL_MAGIC_BE
    s1, s2 = _wal_checksum(wal[:24], 0, 0, big_endian)
    if (s1, s2) != (sum1, sum2):
        return db
    pages: dict[int, bytes] = {}
    committed: dict[int, bytes] = {}
    db_pages = 0
    offset = WAL_HEADER_SIZE
    frame_size = WAL_FRAME_HEADER_SIZE + page_size
    while offset + frame_size <= len(wal):
        header = wal[offset:offset + WAL_FRAME_HEADER_SIZE]
        page_no, commit_size, f_salt1, f_salt2, f_sum1, f_sum2 = struct.unpack(">6I", header)
        if (f_salt1, f_salt2) != (salt1, salt2) or page_no == 0:
            break
        page = wal[offset + WAL_FRAME_HEADER_SIZE:offset + frame_size]
        s1, s2 = _wal_checksum(header[:8], s1, s2, big_endian)
        s1, s2 = _wal_checksum(page, s1, s2, big_endian)
        if (s1, s2) != (f_sum1, f_sum2):
            break
        pages[page_no] = page
        if commit_size:
            committed.update(pages)
            pages.clear()
            db_pages = commit_size
        offset += frame_size
    if not committed:
        return db
    out = bytearray(db[: db_pages * page_size].ljust(db_pages * page_size, b"\x00"))
    for page_no, page in committed.items():
        if page_no <= db_pages:
            out[(page_no - 1) * page_size: page_no * page_size] = page
    return bytes(out)


def _wal_checksum(data: bytes, s1: int, s2: int, big_endian: bool) -> tuple[int, int]:
    words = array("I", data)
    if big_endian != (struct.pack("=I", 1) == struct.pack(">I", 1)):
        words.byteswap()
    mask = 0xFFFFFFFF
    for index in range(0, len(words), 2):
        s1 = (s1 + words[index] + s2) & mask
        s2 = (s2 + words[index + 1] + s1) & mask
    return s1, s2


def _decode_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _only_real_tables(action: int, first: str | None, second: str | None, database: str | None,
                      inner: str | None) -> int:
    """SQLite authorizer: refuse every read made through a view or trigger.

    A hostile database can define a view under the name of a table a module expects, so
    modules read real tables only; `inner` names the view or trigger behind an access.
    """
    return sqlite3.SQLITE_DENY if inner is not None else sqlite3.SQLITE_OK


class Database:
    """A read-only SQLite database from evidence: bytes deserialised in memory, or a plain file
    opened read-only and immutable (SQLite then neither writes nor creates files beside it)."""

    def __init__(self, data: bytes, source: str, wal: bytes | None = None) -> None:
        self.source = source
        if not data:
            raise EvidenceError(f"{source}: empty file, not a SQLite database")
        if not data.startswith(SQLITE_MAGIC):
            raise EvidenceError(f"{source}: not a SQLite database")
        if wal:
            data = apply_wal(data, wal)
        if data[18:20] != b"\x01\x01":
            # Bytes 18-19 say "WAL mode", which an in-memory database cannot open: say "legacy".
            data = b"".join((data[:18], b"\x01\x01", data[20:]))
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        try:
            connection.deserialize(data)
        except sqlite3.Error as exc:
            connection.close()
            raise EvidenceError(f"{source}: corrupt SQLite database ({exc})") from exc
        self._prepare(connection)

    @classmethod
    def open_file(cls, path: Path, source: str) -> Database:
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
        database._prepare(connection)
        return database

    def _prepare(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        try:
            for pragma in ("trusted_schema=OFF", "query_only=ON", "cell_size_check=ON", "mmap_size=0"):
                connection.execute(f"PRAGMA {pragma}")
            connection.row_factory = sqlite3.Row
            # Text that is not valid UTF-8 (hostile or damaged) is read with replacement
            # characters instead of failing the whole query.
            connection.text_factory = _decode_text
            self._objects = {
                name: kind for kind, name in connection.execute(
                    "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view')")
            }
            connection.set_authorizer(_only_real_tables)
        except sqlite3.Error as exc:
            connection.close()
            raise EvidenceError(f"{self.source}: corrupt SQLite database ({exc})") from exc

    def tables(self) -> set[str]:
        """Names of the real tables (views excluded)."""
        return {name for name, kind in self._objects.items() if kind == "table"}

    def has_table(self, name: str) -> bool:
        return self._objects.get(name) == "table"

    def columns(self, table: str) -> set[str]:
        if not self.has_table(table):
            return set()
        return {row[1] for row in self.connection.execute(f'PRAGMA table_info("{table}")')}

    def require(self, tables: dict[str, set[str]] | None) -> None:
        """Refuse the database unless every declared table is a real table with its columns."""
        for table, needed in (tables or {}).items():
            kind = self._objects.get(table)
            if kind == "view":
                raise EvidenceError(f"{self.source}: '{table}' is a view, not a table; refused")
            if kind is None:
                raise EvidenceError(f"{self.source}: table '{table}' is missing")
            missing = set(needed) - self.columns(table)
            if missing:
                raise EvidenceError(f"{self.source}: table '{table}' lacks columns {sorted(missing)}")

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> Iterator[sqlite3.Row]:
        try:
            cursor = self.connection.execute(query, params)
            while batch := cursor.fetchmany(1000):
                yield from batch
        except sqlite3.DatabaseError as exc:
            reason = str(exc)
            if "prohibited" in reason or "not authorized" in reason:
                reason = f"refused: the query would read through a view or trigger ({reason})"
            raise EvidenceError(f"{self.source}: {reason}") from exc

    def close(self) -> None:
        self.connection.close()
