"""webkit_website_data: the origins named by WebKit's LocalStorage, IndexedDB and unified origin storage."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError
from spyglass.modules import discover
from spyglass.modules.ios import webkit_website_data
from spyglass.records import Observable, Record
from spyglass.runner import ModuleResult, locate, parse_file, run_module
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_fs import FilesystemBuilder
from tests.builders.ios_webdata import (
    SALT,
    add_origin_storage,
    database_identifier,
    indexeddb_db,
    localstorage_db,
    origin_file,
    origin_folder,
    website_data,
)
from tests.conftest import run_module as run_backup_module

WRITTEN = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)      # the builders' file times
NEWS, READER = "com.example.news", "com.example.reader"
SVS = "SystemData/com.apple.SafariViewService/Library/WebKit"


def _records(tmp_path: Path, dump: FilesystemBuilder, touch: dict[str, float] | None = None) -> list[Record]:
    root = dump.build_folder(tmp_path / "dump")
    for path, moment in (touch or {}).items():
        os.utime(root / path, (moment, moment))
    acquisition = open_acquisition(root)
    try:
        return [record for file in locate(webkit_website_data.ARTIFACT, acquisition)
                for record in parse_file(webkit_website_data.ARTIFACT, webkit_website_data.parse, file)]
    finally:
        acquisition.close()


def _by_origin(records: list[Record]) -> dict[tuple[str | None, str | None], Record]:
    return {(r.fields["top_origin"], r.fields["origin"]): r for r in records}


def legacy_dump() -> FilesystemBuilder:
    """iOS 15: LocalStorage files and IndexedDB v1 folders of an app, and of Safari View Service."""
    dump = FilesystemBuilder()
    data = website_data(dump, NEWS)
    news, tracker = database_identifier("https", "news.example.org"), database_identifier("https", "tracker.evil-cdn.com")
    dump.add(f"{data}/LocalStorage/{news}.localstorage", localstorage_db({"consent": "yes"}))
    dump.add(f"{data}/LocalStorage/{news}.localstorage-wal", b"")
    dump.add(f"{data}/LocalStorage/{database_identifier('http', '192.168.1.20', 8080)}.localstorage", localstorage_db({}))
    dump.add(f"{data}/LocalStorage/StorageTracker.db", localstorage_db({}))   # WebKit's own index: not an origin
    dump.add(f"{data}/IndexedDB/v1/{news}/{'a' * 64}/IndexedDB.sqlite3", indexeddb_db("articles"))
    dump.add(f"{data}/IndexedDB/v1/{news}/{tracker}/{'b' * 64}/IndexedDB.sqlite3", indexeddb_db("ids"))
    reader = dump.container("private/var/mobile/Containers/Data/Application", READER)
    dump.add(f"{reader}/{SVS}/WebsiteData/LocalStorage/{database_identifier('https', 'lnk.evil-cdn.com')}.localstorage",
             localstorage_db({"t": "7f3e"}))
    return dump


def test_webkit_website_data_legacy_folders(tmp_path: Path) -> None:
    dump = legacy_dump()
    data = website_data(dump, NEWS)
    later = datetime(2021, 7, 3, 8, 30, tzinfo=UTC).timestamp()
    records = _records(tmp_path, dump, {f"{data}/LocalStorage/https_news.example.org_0.localstorage-wal": later})
    assert len(records) == 5
    found = _by_origin(records)
    local = next(r for r in records if r.fields["layout"] == "localstorage" and r.fields["host"] == "news.example.org")
    assert local.timestamp == datetime(2021, 7, 3, 8, 30, tzinfo=UTC)       # its -wal was written last
    assert local.timestamp_desc == "website data last written"
    assert local.message == "WebKit LocalStorage of https://news.example.org (app com.example.news)"
    container = "/" + dump.containers[NEWS]
    assert local.fields == {
        "origin": "https://news.example.org", "top_origin": "https://news.example.org", "scheme": "https",
        "host": "news.example.org", "port": None, "third_party": False, "layout": "localstorage",
        "storage_types": ["LocalStorage"], "database": None, "safari_view_service": False,
        "container": container, "app": NEWS, "last_written": "2021-07-03T08:30:00Z", "last_written_raw": later}
    assert local.observables == (Observable("domain", "news.example.org"),)

    lan = next(r for r in records if r.fields["host"] == "192.168.1.20")
    assert (lan.fields["origin"], lan.fields["port"], lan.timestamp) == ("http://192.168.1.20:8080", 8080, WRITTEN)

    third = found["https://news.example.org", "https://tracker.evil-cdn.com"]
    assert third.message == ("WebKit IndexedDB of https://tracker.evil-cdn.com as a third party under "
                             "https://news.example.org (app com.example.news)")
    assert (third.fields["layout"], third.fields["third_party"], third.fields["database"]) == (
        "indexeddb-v1", True, "b" * 64)
    assert third.observables == (Observable("domain", "tracker.evil-cdn.com"), Observable("domain", "news.example.org"))
    first_party = [r for r in records if r.fields["layout"] == "indexeddb-v1" and not r.fields["third_party"]]
    assert [(r.fields["origin"], r.fields["database"]) for r in first_party] == [("https://news.example.org", "a" * 64)]

    svs = next(r for r in records if r.fields["safari_view_service"])
    assert svs.message == "WebKit LocalStorage of https://lnk.evil-cdn.com in Safari View Service (app com.example.reader)"
    assert svs.fields["container"] == "/" + dump.containers[READER]
    assert svs.observables == (Observable("domain", "lnk.evil-cdn.com"),)


def test_webkit_website_data_unified_origin_storage(tmp_path: Path) -> None:
    # iOS 17+: Library/WebKit/<bundle id>/WebsiteData/Default/<hash>/<hash>/origin, the origins only
    # in the origin file.
    dump = FilesystemBuilder()
    root = f"{website_data(dump, NEWS, under=f'Library/WebKit/{NEWS}')}/Default"
    first = add_origin_storage(dump, root, ("https", "news.example.org"), storage=("LocalStorage", "IndexedDB"))
    add_origin_storage(dump, root, ("https", "news.example.org"), ("https", "px.evil-cdn.com", 8443),
                       storage=("CacheStorage",))
    # A host WebKit kept as 16-bit characters (not Latin-1): written UTF-16LE.
    add_origin_storage(dump, root, ("https", "xn--bcher-kva.example"), storage=("LocalStorage",),
                       origin=origin_file(("https", "xn--bcher-kva.example"), utf16=True))
    later = datetime(2024, 3, 2, 12, 0, tzinfo=UTC).timestamp()
    records = _records(tmp_path, dump, {f"{first}/LocalStorage/localstorage.sqlite3": later})
    assert len(records) == 3
    found = _by_origin(records)
    news = found["https://news.example.org", "https://news.example.org"]
    assert news.timestamp == datetime(2024, 3, 2, 12, 0, tzinfo=UTC)      # the newest file of the folder
    assert news.message == "WebKit IndexedDB/LocalStorage of https://news.example.org (app com.example.news)"
    assert {k: news.fields[k] for k in ("layout", "storage_types", "folders_match_origin", "origin_file_written",
                                        "origin_file_extra_bytes", "third_party", "app")} == {
        "layout": "origin-file", "storage_types": ["IndexedDB", "LocalStorage"], "folders_match_origin": True,
        "origin_file_written": "2021-07-01T10:00:00Z", "origin_file_extra_bytes": 0, "third_party": False,
        "app": NEWS}
    pixel = found["https://news.example.org", "https://px.evil-cdn.com:8443"]
    assert (pixel.fields["host"], pixel.fields["port"], pixel.fields["third_party"]) == ("px.evil-cdn.com", 8443, True)
    assert pixel.fields["storage_types"] == ["CacheStorage"]
    assert pixel.observables == (Observable("domain", "px.evil-cdn.com"), Observable("domain", "news.example.org"))
    wide = found["https://xn--bcher-kva.example", "https://xn--bcher-kva.example"]
    assert wide.fields["folders_match_origin"] is True


def test_webkit_website_data_origin_file_in_another_folder(tmp_path: Path) -> None:
    # An origin file copied into a folder whose name is not its hash: said so, still read.
    dump = FilesystemBuilder()
    root = f"{website_data(dump, NEWS)}/Default"
    dump.add(f"{root}/salt", SALT)
    folder = f"{root}/{origin_folder('https://news.example.org')}/{origin_folder('https://news.example.org')}"
    dump.add(f"{folder}/origin", origin_file(("https", "lnk.evil-cdn.com")))
    unsalted = FilesystemBuilder()
    add_origin_storage(unsalted, f"{website_data(unsalted, READER)}/Default", ("https", "a.example"), salt=None)
    [moved] = _records(tmp_path / "moved", dump)
    [no_salt] = _records(tmp_path / "no-salt", unsalted)
    assert (moved.fields["origin"], moved.fields["folders_match_origin"], moved.fields["storage_types"]) == (
        "https://lnk.evil-cdn.com", False, [])
    assert (no_salt.fields["origin"], no_salt.fields["folders_match_origin"]) == ("https://a.example", None)


def test_webkit_website_data_indexeddb_v0_and_odd_names(tmp_path: Path) -> None:
    # iOS 12: IndexedDB/<origin>/<escaped database name>/IndexedDB.sqlite3, no v1 folder.
    dump = FilesystemBuilder()
    data = website_data(dump, NEWS)
    dump.add(f"{data}/IndexedDB/https_old.example.com_0/my%2Edb/IndexedDB.sqlite3", indexeddb_db("my.db"))
    dump.add(f"{data}/IndexedDB/file__0/notes/IndexedDB.sqlite3", indexeddb_db("notes"))
    dump.add(f"{data}/LocalStorage/https_intra_net.corp_0.localstorage", localstorage_db({}))
    dump.add(f"{data}/LocalStorage/not-an-origin.localstorage", localstorage_db({}))
    records = _records(tmp_path, dump)
    summary = sorted(((r.fields["layout"], r.fields["origin"], r.fields["host"], r.fields["database"]) for r in records),
                     key=repr)
    assert summary == [
        ("indexeddb-v0", "file://", "", "notes"),
        ("indexeddb-v0", "https://old.example.com", "old.example.com", "my.db"),
        ("localstorage", "https://intra_net.corp", "intra_net.corp", None),   # underscores belong to the host
        ("localstorage", None, None, None),
    ]
    unknown = next(r for r in records if r.fields["origin"] is None)
    assert (unknown.message, unknown.observables, unknown.fields["third_party"]) == (
        "WebKit LocalStorage of (unknown origin) (app com.example.news)", (), None)


def test_webkit_website_data_in_a_backup(tmp_path: Path) -> None:
    builder = BackupBuilder()
    domain = f"AppDomain-{NEWS}"
    builder.add_file(domain, "Library/WebKit/WebsiteData/LocalStorage/https_news.example.org_0.localstorage",
                     localstorage_db({"a": "b"}))
    folder = (f"Library/WebKit/WebsiteData/Default/{origin_folder('https://news.example.org')}/"
              f"{origin_folder('https://news.example.org')}")
    builder.add_file(domain, "Library/WebKit/WebsiteData/Default/salt", SALT)
    builder.add_file(domain, f"{folder}/origin", origin_file(("https", "news.example.org")))
    builder.add_file(domain, f"{folder}/LocalStorage/localstorage.sqlite3", localstorage_db({}))
    records = run_backup_module(builder.build(tmp_path / "backup"), webkit_website_data)
    assert sorted((r.fields["layout"], r.fields["app"], r.fields["container"]) for r in records) == [
        ("localstorage", NEWS, f"/private/var/mobile/Containers/Data/Application/{NEWS}"),
        ("origin-file", NEWS, f"/private/var/mobile/Containers/Data/Application/{NEWS}")]
    unified = next(r for r in records if r.fields["layout"] == "origin-file")
    assert (unified.fields["folders_match_origin"], unified.fields["storage_types"]) == (True, ["LocalStorage"])


def test_webkit_website_data_empty(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    data = website_data(dump, NEWS)
    dump.add(f"{data}/LocalStorage/StorageTracker.db", localstorage_db({}))
    dump.add(f"{data}/Default/salt", SALT)
    dump.add(f"{data}/IndexedDB/v1/https_news.example.org_0/.DS_Store", b"")
    assert _records(tmp_path, dump) == []


@pytest.mark.parametrize(("data", "error"), [
    (b"", r"origin: origin file ends before the top scheme$"),
    (origin_file(("https", "news.example.org"))[:42], r"origin: origin file ends before the frame host$"),
    (origin_file(("https", "news.example.org"))[:30], r"origin: origin file top host of 16 characters runs past its end$"),
    (b"\x05\x00\x00\x00\x07https", r"origin: origin file top scheme encoding is 7, not 0 or 1$"),
    (b"\xff\xff\x00\x00\x01https", r"origin: origin file top scheme of 65535 characters runs past its end$"),
    (b"\xff\xff\xff\xff\xff\xff\xff\xff\x00" * 2, r"origin: origin file names an empty top origin$"),
])
def test_webkit_website_data_corrupt_origin_file(tmp_path: Path, data: bytes, error: str) -> None:
    dump = FilesystemBuilder()
    add_origin_storage(dump, f"{website_data(dump, NEWS)}/Default", ("https", "news.example.org"), origin=data)
    with pytest.raises(EvidenceError, match=error):
        _records(tmp_path, dump)


def test_webkit_website_data_corrupt_file_spares_the_others(tmp_path: Path) -> None:
    dump = legacy_dump()
    add_origin_storage(dump, f"{website_data(dump, NEWS)}/Default", ("https", "news.example.org"), origin=b"\x01")
    acquisition = open_acquisition(dump.build_folder(tmp_path / "dump"))
    [module] = [m for m in discover("ios") if m.name == "webkit_website_data"]
    result = ModuleResult(module.name, module.artifact.description)
    records = list(run_module(module, acquisition, result))
    acquisition.close()
    assert len(records) == 5
    assert result.status == "ok"
    assert len(result.errors) == 1 and result.errors[0].endswith("/origin: origin file ends before the top scheme")
