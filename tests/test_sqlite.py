from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from spyglass.errors import EvidenceError
from spyglass.sqlite import Database, _wal_checksum, apply_wal
from tests.builders.sqlite import build_sqlite


def wal_pair(tmp_path: Path) -> tuple[bytes, bytes]:
    """A database in WAL mode with committed rows still only in the -wal file, as on a live phone."""
    path = tmp_path / "live.db"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT)")
    writer.commit()
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.executemany("INSERT INTO message (text) VALUES (?)", [("in wal one",), ("in wal two",)])
    writer.commit()
    shutil.copy(path, tmp_path / "copy.db")
    shutil.copy(tmp_path / "live.db-wal", tmp_path / "copy.db-wal")
    writer.close()
    return (tmp_path / "copy.db").read_bytes(), (tmp_path / "copy.db-wal").read_bytes()


def test_wal_committed_rows_applied(tmp_path: Path) -> None:
    db, wal = wal_pair(tmp_path)
    without = Database(db, "x.db")
    assert [r[0] for r in without.rows("SELECT text FROM message")] == []
    with_wal = Database(db, "x.db", wal)
    assert [r[0] for r in with_wal.rows("SELECT text FROM message ORDER BY ROWID")] == ["in wal one", "in wal two"]


def test_wal_corrupt_frame_ignored(tmp_path: Path) -> None:
    db, wal = wal_pair(tmp_path)
    damaged = bytearray(wal)
    damaged[32 + 24 + 100] ^= 0xFF   # first frame's page: checksum no longer holds
    assert apply_wal(db, bytes(damaged)) == db
    assert apply_wal(db, b"garbage") == db


def test_database_refuses_view_standing_in_for_table() -> None:
    data = build_sqlite("CREATE TABLE real_message (ROWID INTEGER, text TEXT);"
                        "CREATE VIEW message AS SELECT * FROM real_message;")
    database = Database(data, "sms.db")
    with pytest.raises(EvidenceError, match="is a view"):
        database.require({"message": {"ROWID", "text"}})


def test_database_missing_columns_named() -> None:
    database = Database(build_sqlite("CREATE TABLE message (ROWID INTEGER);"), "sms.db")
    with pytest.raises(EvidenceError, match=r"lacks columns \['text'\]"):
        database.require({"message": {"ROWID", "text"}})


def test_database_empty_and_garbage_refused() -> None:
    with pytest.raises(EvidenceError, match="empty file"):
        Database(b"", "a.db")
    with pytest.raises(EvidenceError, match="not a SQLite database"):
        Database(b"\x00" * 4096, "a.db")


def test_database_truncated_is_evidence_error() -> None:
    rows = {"t": [(i, "x" * 200) for i in range(500)]}
    data = build_sqlite("CREATE TABLE t (id INTEGER, body TEXT);", rows)
    with pytest.raises(EvidenceError, match=r"^t\.db: corrupt SQLite database \(database disk image is malformed\)$"):
        database = Database(data[: len(data) // 3], "t.db")
        list(database.rows("SELECT * FROM t"))


def test_database_is_read_only() -> None:
    database = Database(build_sqlite("CREATE TABLE t (id INTEGER);"), "t.db")
    with pytest.raises(sqlite3.OperationalError):
        database.connection.execute("INSERT INTO t VALUES (1)")


def test_database_invalid_utf8_text_is_replaced_not_fatal() -> None:
    def populate(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO message VALUES (1, CAST(X'6869FF21' AS TEXT))")
        connection.execute("INSERT INTO message VALUES (2, 'fine')")
    database = Database(build_sqlite("CREATE TABLE message (ROWID INTEGER, text TEXT);", populate=populate), "sms.db")
    assert [tuple(r) for r in database.rows("SELECT * FROM message ORDER BY ROWID")] == [(1, "hi\ufffd!"), (2, "fine")]


def test_database_refuses_reads_through_undeclared_views() -> None:
    data = build_sqlite("CREATE TABLE message (ROWID INTEGER, handle_id INTEGER, text TEXT);"
                        "CREATE TABLE real_handle (ROWID INTEGER, id TEXT);"
                        "CREATE VIEW handle AS SELECT ROWID, 'attacker@example.com' AS id FROM real_handle;",
                        {"message": [(1, 1, "hi")], "real_handle": [(1, "+41790000000")]})
    database = Database(data, "sms.db")
    assert [tuple(r) for r in database.rows("SELECT ROWID, text FROM message")] == [(1, "hi")]
    with pytest.raises(EvidenceError, match=r"^sms\.db: refused: the query would read through the view or trigger 'handle'$"):
        list(database.rows("SELECT m.text, h.id FROM message m JOIN handle h ON h.ROWID = m.handle_id"))


# -- hostile databases: nothing on disk, nothing trusted, nothing unbounded ----------------------

SPILL_SCRIPT = """
import os, sqlite3, sys
from spyglass.sqlite import Database
tmp = os.environ["SQLITE_TMPDIR"]
source = sqlite3.connect(":memory:")
source.execute("CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT)")
source.executemany("INSERT INTO message (text) VALUES (?)",
                   ((f"secret message {number} " * 8,) for number in range(100_000)))
source.commit()
database = Database(source.serialize(), "sms.db")
written = 0
for number, row in enumerate(database.rows("SELECT text FROM message ORDER BY text DESC")):
    if number % 5000 == 0:
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(tmp):
                written = max(written, os.fstat(int(fd)).st_size)
print(written)
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="open files are watched through /proc")
def test_database_sorted_query_writes_no_temp_file(tmp_path: Path) -> None:
    # SQLite reads SQLITE_TMPDIR once per process, and unlinks its spill files at once: a fresh
    # process, and its open files watched while an 18 MB sort runs (it spilled 17 MB before).
    temp = tmp_path / "sqlite-temp"
    temp.mkdir()
    env = dict(os.environ, SQLITE_TMPDIR=str(temp), PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    result = subprocess.run([sys.executable, "-c", SPILL_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "0"
    assert list(temp.iterdir()) == []


def forged_wal(db: bytes, commit_size: int, page_size: int = 4096, page_no: int = 1) -> bytes:
    """A WAL with valid salts and checksums whose one commit frame claims `commit_size` pages."""
    header = struct.pack(">6I", 0x377F0682, 3007000, page_size, 0, 11, 22)
    s1, s2 = _wal_checksum(header, 0, 0, False)
    wal = header + struct.pack(">2I", s1, s2)
    page = db[:page_size].ljust(page_size, b"\x00")
    frame = struct.pack(">4I", page_no, commit_size, 11, 22)
    s1, s2 = _wal_checksum(frame[:8], s1, s2, False)
    s1, s2 = _wal_checksum(page, s1, s2, False)
    return wal + frame + struct.pack(">2I", s1, s2) + page


def test_wal_commit_size_not_trusted() -> None:
    # A 4 KB WAL claiming 500,000 pages took the check to 2 GB before; the pages it implies
    # exist nowhere, so the database keeps the size its pages back.
    db = build_sqlite("CREATE TABLE t (id INTEGER);", {"t": [(1,), (2,)]})
    wal = forged_wal(db, commit_size=500_000)
    assert len(wal) == 32 + 24 + 4096
    rebuilt = apply_wal(db, wal)
    assert len(rebuilt) == len(db)
    assert [tuple(r) for r in Database(db, "t.db", wal).rows("SELECT id FROM t")] == [(1,), (2,)]


def test_wal_far_page_number_not_trusted() -> None:
    db = build_sqlite("CREATE TABLE t (id INTEGER);", {"t": [(1,)]})
    assert len(apply_wal(db, forged_wal(db, commit_size=4_000_000, page_no=4_000_000))) == len(db)


def test_wal_page_size_past_sqlite_bounds_ignored() -> None:
    db = build_sqlite("CREATE TABLE t (id INTEGER);")
    assert apply_wal(db, forged_wal(db, commit_size=1, page_size=131072)) == db
    assert apply_wal(db, forged_wal(db, commit_size=1, page_size=8192)) == db   # not this database's


def test_wal_applied_in_place_of_a_bytearray(tmp_path: Path) -> None:
    db, wal = wal_pair(tmp_path)
    buffer = bytearray(db)
    assert apply_wal(buffer, wal) is buffer


def test_database_refuses_virtual_table_standing_in_for_table() -> None:
    data = build_sqlite("CREATE VIRTUAL TABLE message USING fts4(text);")
    database = Database(data, "sms.db")
    assert database.tables() == {name for name in database.tables() if name.startswith("message_")}
    with pytest.raises(EvidenceError, match=r"^sms\.db: 'message' is a virtual table, not a table; refused$"):
        database.require({"message": {"text"}})
    with pytest.raises(EvidenceError, match=r"^sms\.db: refused: 'message' is a virtual table, not a table$"):
        list(database.rows("SELECT text FROM message"))


def test_database_value_length_bounded() -> None:
    # 8 KB of database whose generated column made three 200 MB values before.
    source = sqlite3.connect(":memory:")
    source.execute("CREATE TABLE message (ROWID INTEGER PRIMARY KEY, n INTEGER, "
                   "text TEXT GENERATED ALWAYS AS (zeroblob(n)) VIRTUAL)")
    source.executemany("INSERT INTO message (n) VALUES (?)", [(200_000_000,)] * 3)
    source.commit()
    database = Database(source.serialize(), "sms.db")
    with pytest.raises(EvidenceError, match=r"^sms\.db: a value is over the 67108864 byte bound "
                                            r"\(string or blob too big\)$"):
        list(database.rows("SELECT text FROM message"))


def test_database_query_work_budget() -> None:
    data = build_sqlite("CREATE TABLE t (id INTEGER);", {"t": [(number,) for number in range(1000)]})
    database = Database(data, "t.db", seconds=0)
    endless = "SELECT count(*) FROM t a, t b, t c"   # a billion rows to count
    with pytest.raises(EvidenceError, match=r"^t\.db: query stopped after its 0 s budget"):
        list(database.rows(endless))


def test_database_dangerous_function_refused() -> None:
    database = Database(build_sqlite("CREATE TABLE t (id INTEGER);"), "t.db")
    with pytest.raises(EvidenceError, match=r"^t\.db: refused: the query would call the function fts3_tokenizer\(\)$"):
        list(database.rows("SELECT fts3_tokenizer('simple')"))


def test_database_attach_refused() -> None:
    database = Database(build_sqlite("CREATE TABLE t (id INTEGER);"), "t.db")
    with pytest.raises(sqlite3.OperationalError, match="too many attached databases"):
        database.connection.execute("ATTACH DATABASE ':memory:' AS other")


def test_database_damaged_schema_with_undecodable_error_text() -> None:
    # Found by fuzzing: one byte of the schema page set to 0x80 made SQLite's error message
    # undecodable, and UnicodeDecodeError escaped as if a bug.
    data = bytearray(build_sqlite("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX i ON t(body);",
                                  {"t": [(n, f"row {n}") for n in range(40)]}))
    data[4048] = 0x80
    with pytest.raises(EvidenceError, match=r"^t\.db: corrupt SQLite database"):
        database = Database(bytes(data[:8193]), "t.db")
        list(database.rows("SELECT * FROM t"))


# -- databases served page by page (an encrypted backup's Manifest.db) -----------------------------
class Pages:
    """A PageSource over bytes in memory, counting its reads."""

    def __init__(self, data: bytes) -> None:
        self.data, self.size, self.reads, self.closed = data, len(data), 0, False

    def read(self, offset: int, amount: int) -> bytes:
        self.reads += 1
        return self.data[offset:offset + amount]

    def close(self) -> None:
        self.closed = True


def message_db(rows: int = 3) -> bytes:
    def populate(connection: sqlite3.Connection) -> None:
        connection.executemany("INSERT INTO message VALUES (?, ?, ?)",
                               [(n, f"text {n}", bytes([n % 256]) * 300) for n in range(1, rows + 1)])
        connection.execute("INSERT INTO message VALUES (?, CAST(X'6869FF21' AS TEXT), NULL)", (rows + 1,))
    return build_sqlite("CREATE TABLE message (ROWID INTEGER PRIMARY KEY, Text TEXT, body BLOB);"
                        "CREATE VIEW shown AS SELECT * FROM message;", populate=populate)


def test_database_open_pages_rows_as_the_other_connections() -> None:
    pages = Pages(message_db(2000))
    database = Database.open_pages(pages, "Manifest.db")
    assert database.tables() == {"message"} and database.columns("message") == {"ROWID", "Text", "body"}
    rows = list(database.rows("SELECT ROWID, Text AS Shown, body FROM message WHERE ROWID <= 2000 ORDER BY ROWID"))
    assert len(rows) == 2000
    assert rows[1][0] == 2 and rows[1]["shown"] == "text 2" and rows[1]["SHOWN"] == "text 2"
    assert dict(rows[0]) == {"ROWID": 1, "Shown": "text 1", "body": b"\x01" * 300}
    assert rows[0].keys() == ["ROWID", "Shown", "body"] and tuple(rows[2]) == (3, "text 3", b"\x03" * 300)
    assert pages.reads > 100          # read page by page, as SQLite asked: never whole
    database.close()
    assert pages.closed


def test_database_open_pages_text_not_utf8_is_refused_named_and_read_as_blob() -> None:
    database = Database.open_pages(Pages(message_db()), "Manifest.db")
    with pytest.raises(EvidenceError) as caught:
        list(database.rows("SELECT Text FROM message"))
    assert str(caught.value) == "Manifest.db: corrupt SQLite database (text that is not UTF-8)"
    assert [row[0] for row in database.rows("SELECT CAST(Text AS BLOB) FROM message WHERE ROWID = 4")] == [b"hi\xff!"]


def test_database_open_pages_keeps_the_locks() -> None:
    database = Database.open_pages(Pages(message_db(2000)), "Manifest.db")
    with pytest.raises(EvidenceError, match=r"^Manifest\.db: refused: the query would read through the view "
                                            r"or trigger 'shown'$"):
        list(database.rows("SELECT * FROM shown"))
    with pytest.raises(EvidenceError, match=r"^Manifest\.db: refused: the query would call the function "
                                            r"load_extension\(\)$"):
        list(database.rows("SELECT load_extension('x')"))
    with pytest.raises(EvidenceError, match=r"^Manifest\.db: attempt to write a readonly database$"):
        list(database.rows("INSERT INTO message VALUES (9, 'x', NULL)"))
    with pytest.raises(EvidenceError, match=r"^Manifest\.db: query stopped after its 0 s budget"):
        database.seconds = 0
        list(database.rows("SELECT count(*) FROM message a, message b, message c"))


def test_database_open_pages_empty_garbage_and_truncated() -> None:
    for data, message in ((b"", "Manifest.db: empty file, not a SQLite database"),
                          (b"not sqlite at all" * 10, "Manifest.db: not a SQLite database")):
        pages = Pages(data)
        with pytest.raises(EvidenceError) as caught:
            Database.open_pages(pages, "Manifest.db")
        assert str(caught.value) == message and pages.closed
    truncated = Pages(message_db(2000)[:8192])
    with pytest.raises(EvidenceError) as caught:
        Database.open_pages(truncated, "Manifest.db")
    assert str(caught.value) == "Manifest.db: corrupt SQLite database (database disk image is malformed)"
    assert truncated.closed


def test_database_open_pages_a_failing_read_fails_the_query_with_its_error() -> None:
    class Shrinking(Pages):
        def read(self, offset: int, amount: int) -> bytes:
            if offset >= 16384:
                raise EvidenceError("Manifest.db: shorter than when it was opened (changed while read)")
            return super().read(offset, amount)

    database = Database.open_pages(Shrinking(message_db(2000)), "Manifest.db")
    with pytest.raises(EvidenceError, match=r"^Manifest\.db: shorter than when it was opened"):
        list(database.rows("SELECT * FROM message"))
