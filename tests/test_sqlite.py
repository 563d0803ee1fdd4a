from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from spyglass.errors import EvidenceError
from spyglass.sqlite import Database, apply_wal
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
    with pytest.raises(EvidenceError):
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
    with pytest.raises(EvidenceError, match="refused: the query would read through a view or trigger"):
        list(database.rows("SELECT m.text, h.id FROM message m JOIN handle h ON h.ROWID = m.handle_id"))
