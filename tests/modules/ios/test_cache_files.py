"""cache_files: the responses NSURLCache kept in every Cache.db of apps and system services."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError
from spyglass.modules import discover
from spyglass.modules.ios import cache_files
from spyglass.records import Observable, Record
from spyglass.runner import ModuleResult, locate, parse_file, run_module
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_fs import FilesystemBuilder
from tests.builders.ios_webdata import APPLICATIONS, cache_db
from tests.builders.sqlite import build_sqlite
from tests.conftest import run_module as run_backup_module

NEWS = "com.example.news"
RESPONSES = [
    {"url": "https://api.example.org/v2/feed?page=1", "cached": datetime(2023, 5, 1, 7, 0, 5, tzinfo=UTC),
     "partition": "example.org", "body": b'{"items": []}'},
    {"url": "https://lnk.evil-cdn.com/a/7f3e", "cached": datetime(2023, 5, 1, 7, 0, 1, tzinfo=UTC),
     "storage_policy": 1, "body_file": "5B3A1C2D-0E4F-4A5B-8C6D-7E8F9A0B1C2D"},
]


def _app_cache(dump: FilesystemBuilder, data: bytes) -> str:
    path = f"{dump.container(APPLICATIONS, NEWS)}/Library/Caches/{NEWS}/Cache.db"
    dump.add(path, data)
    return path


def _records(tmp_path: Path, dump: FilesystemBuilder) -> list[Record]:
    acquisition = open_acquisition(dump.build_folder(tmp_path / "dump"))
    try:
        return [record for file in locate(cache_files.ARTIFACT, acquisition)
                for record in parse_file(cache_files.ARTIFACT, cache_files.parse, file)]
    finally:
        acquisition.close()


def test_cache_files_current_schema(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    _app_cache(dump, cache_db(RESPONSES))
    dump.add("private/var/mobile/Library/Caches/com.apple.itunesstored/Cache.db", cache_db(
        [{"url": "https://init.itunes.apple.com/bag.xml", "cached": datetime(2023, 4, 30, 22, 0, tzinfo=UTC)}]))
    records = _records(tmp_path, dump)
    # File by file (device paths in order), each file's responses in the order they were cached.
    assert [r.fields["url"] for r in records] == [
        "https://lnk.evil-cdn.com/a/7f3e", "https://api.example.org/v2/feed?page=1", "https://init.itunes.apple.com/bag.xml"]
    evil, feed, system = records
    assert (system.fields["cache_folder"], system.message) == (
        "com.apple.itunesstored", "com.apple.itunesstored cached https://init.itunes.apple.com/bag.xml")
    assert evil.timestamp == datetime(2023, 5, 1, 7, 0, 1, tzinfo=UTC)
    assert evil.timestamp_desc == "response cached"
    assert evil.message == "com.example.news cached https://lnk.evil-cdn.com/a/7f3e"
    assert evil.fields == {
        "url": "https://lnk.evil-cdn.com/a/7f3e", "cached_at": "2023-05-01T07:00:01Z",
        "time_stamp_raw": "2023-05-01 07:00:01", "entry_id": 2, "version": 0, "hash_value": 1_000_002,
        "storage_policy": 1, "storage_policy_name": "allowed in memory only", "partition": None,
        "body_on_disk": True, "body_size": 36, "body_file": "5B3A1C2D-0E4F-4A5B-8C6D-7E8F9A0B1C2D",
        "cache_folder": NEWS}
    assert evil.observables == (Observable("url", "https://lnk.evil-cdn.com/a/7f3e"),)
    assert (feed.fields["partition"], feed.fields["body_on_disk"], feed.fields["body_size"], feed.fields["body_file"],
            feed.fields["storage_policy_name"]) == ("example.org", False, 13, None, "allowed")


def test_cache_files_legacy_schema(tmp_path: Path) -> None:
    # Older CFNetwork: no partition column, bodies in cfurl_cache_blob_data (no receiver_data table).
    dump = FilesystemBuilder()
    _app_cache(dump, cache_db(RESPONSES, variant="legacy"))
    records = _records(tmp_path, dump)
    assert [(r.fields["url"], r.fields["cached_at"]) for r in records] == [
        ("https://lnk.evil-cdn.com/a/7f3e", "2023-05-01T07:00:01Z"),
        ("https://api.example.org/v2/feed?page=1", "2023-05-01T07:00:05Z")]
    assert {k: records[0].fields[k] for k in ("partition", "body_on_disk", "body_size", "body_file")} == {
        "partition": None, "body_on_disk": None, "body_size": None, "body_file": None}


def test_cache_files_in_a_backup(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file(f"AppDomain-{NEWS}", f"Library/Caches/{NEWS}/Cache.db", cache_db(RESPONSES[1:]))
    [record] = run_backup_module(builder.build(tmp_path / "backup"), cache_files)
    assert (record.fields["url"], record.fields["cache_folder"]) == ("https://lnk.evil-cdn.com/a/7f3e", NEWS)


def test_cache_files_response_only_in_the_wal(tmp_path: Path) -> None:
    live = tmp_path / "Cache.db"
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.executescript("CREATE TABLE cfurl_cache_response(entry_ID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, "
                         "version INTEGER, hash_value INTEGER, storage_policy INTEGER, request_key TEXT UNIQUE, "
                         "time_stamp NOT NULL DEFAULT CURRENT_TIMESTAMP, partition TEXT);")
    writer.commit()
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.execute("INSERT INTO cfurl_cache_response (request_key, time_stamp) VALUES "
                   "('https://only.in-the-wal.example/x', '2023-05-02 01:02:03')")
    writer.commit()
    dump = FilesystemBuilder()
    path = _app_cache(dump, live.read_bytes())
    dump.add(f"{path}-wal", (tmp_path / "Cache.db-wal").read_bytes())
    writer.close()
    [record] = _records(tmp_path, dump)
    assert (record.fields["url"], record.fields["cached_at"]) == ("https://only.in-the-wal.example/x", "2023-05-02T01:02:03Z")


def test_cache_files_odd_time_stamp_kept_raw(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    _app_cache(dump, build_sqlite(
        "CREATE TABLE cfurl_cache_response(entry_ID INTEGER PRIMARY KEY, request_key TEXT, time_stamp);",
        {"cfurl_cache_response": [(1, "https://a.example/", 704_000_000.5)]}))
    [record] = _records(tmp_path, dump)
    assert (record.timestamp, record.fields["cached_at"], record.fields["time_stamp_raw"]) == (None, None, 704_000_000.5)


def test_cache_files_empty(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    _app_cache(dump, cache_db([]))
    assert _records(tmp_path, dump) == []


def test_cache_files_other_database_named_cache_db_is_not_present(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    _app_cache(dump, build_sqlite("CREATE TABLE images(key TEXT PRIMARY KEY, data BLOB);"))
    acquisition = open_acquisition(dump.build_folder(tmp_path / "dump"))
    [module] = [m for m in discover("ios") if m.name == "cache_files"]
    result = ModuleResult(module.name, module.artifact.description)
    assert list(run_module(module, acquisition, result)) == []
    acquisition.close()
    assert (result.status, result.errors) == ("not present", [])


def test_cache_files_corrupt(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    _app_cache(dump, b"\x00\x01 not a database" * 40)
    with pytest.raises(EvidenceError, match=rf"/Library/Caches/{NEWS}/Cache.db: not a SQLite database$"):
        _records(tmp_path, dump)
