"""Real-format bytes for WebKit website data, NSURLCache Cache.db and installed app bundles, laid out
in filesystem dumps (FilesystemBuilder) at the device paths iOS uses.

- WebKit: LocalStorage `<scheme>_<host>_<port>.localstorage` databases (ItemTable as WebKit's
  LocalStorageDatabase creates it), IndexedDB v0/v1 folders with IndexedDB.sqlite3 (IDBDatabaseInfo
  as SQLiteIDBBackingStore creates it), and unified origin storage folders: `salt` (8 bytes),
  `<b64url(sha256(origin + salt))>/<same for the frame>/origin` in WTF::Persistence encoding
  (WebKit WebCorePersistentCoders.cpp, PersistentCoders.cpp, NetworkStorageManager.cpp).
- Cache.db: CFNetwork's CREATE TABLE statements (NSURLStorageURLCacheDB), with and without the
  `partition` column.
- App bundles: /private/var/containers/Bundle/Application/<UUID>/ with <App>.app/Info.plist,
  iTunesMetadata.plist (see tests.builders.ios_artifacts_core.itunes_metadata) and BundleMetadata.plist,
  an NSKeyedArchiver MIBundleMetadata (installDate, installBuildVersion, installType).
"""

from __future__ import annotations

import base64
import hashlib
import plistlib
import struct
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tests.builders.ios_fs import FilesystemBuilder
from tests.builders.sqlite import build_sqlite

APPLICATIONS = "private/var/mobile/Containers/Data/Application"
BUNDLES = "private/var/containers/Bundle/Application"
SALT = bytes.fromhex("5a17c0ffee15600d")
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


# -- WebKit: names and the origin file -------------------------------------------------------------
def database_identifier(scheme: str, host: str, port: int | None = None) -> str:
    """WebKit's file name for an origin: scheme_host_port, port 0 for the scheme's default; `%`, `/`,
    `\\` and `:` in the host escaped as FileSystem::encodeForFileName does."""
    escaped = "".join(f"%{ord(c):02x}" if c in "%/\\:" else c for c in host)
    return f"{scheme}_{escaped}_{port or 0}"


def origin_string(scheme: str, host: str, port: int | None = None) -> str:
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def _string(text: str, utf16: bool = False) -> bytes:
    if utf16:
        return struct.pack("<IB", len(text), 0) + text.encode("utf-16-le")
    return struct.pack("<IB", len(text), 1) + text.encode("latin-1")


def security_origin(scheme: str, host: str, port: int | None = None, *, utf16: bool = False) -> bytes:
    """One SecurityOriginData as WTF::Persistence writes it: String, String, optional<uint16>."""
    port_bytes = b"\x00" if port is None else b"\x01" + struct.pack("<H", port)
    return _string(scheme) + _string(host, utf16) + port_bytes


def origin_file(top: tuple[Any, ...], frame: tuple[Any, ...] | None = None, *, utf16: bool = False) -> bytes:
    """The `origin` file of a unified origin storage folder: the ClientOrigin (top, then frame)."""
    return security_origin(*top, utf16=utf16) + security_origin(*(frame or top), utf16=utf16)


def origin_folder(origin: str, salt: bytes = SALT) -> str:
    digest = hashlib.sha256(origin.encode("utf-8") + salt).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# -- WebKit: databases -----------------------------------------------------------------------------
LOCAL_STORAGE_SCHEMA = ("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, "
                        "value BLOB NOT NULL ON CONFLICT FAIL);")
INDEXED_DB_SCHEMA = """
CREATE TABLE IDBDatabaseInfo (key TEXT NOT NULL ON CONFLICT FAIL UNIQUE ON CONFLICT REPLACE,
    value TEXT NOT NULL ON CONFLICT FAIL);
CREATE TABLE ObjectStoreInfo (id INTEGER PRIMARY KEY NOT NULL ON CONFLICT FAIL UNIQUE ON CONFLICT FAIL,
    name TEXT NOT NULL ON CONFLICT FAIL UNIQUE ON CONFLICT FAIL, keyPath BLOB NOT NULL ON CONFLICT FAIL,
    autoInc INTEGER NOT NULL ON CONFLICT FAIL);
CREATE TABLE Records (objectStoreID INTEGER NOT NULL ON CONFLICT FAIL, key BLOB NOT NULL ON CONFLICT FAIL,
    value BLOB NOT NULL ON CONFLICT FAIL, recordID INTEGER PRIMARY KEY);
"""


def localstorage_db(items: Mapping[str, str]) -> bytes:
    """A LocalStorage database: values are UTF-16LE blobs, as WebKit stores them."""
    return build_sqlite(LOCAL_STORAGE_SCHEMA,
                        {"ItemTable": [(key, value.encode("utf-16-le")) for key, value in items.items()]})


def indexeddb_db(name: str) -> bytes:
    return build_sqlite(INDEXED_DB_SCHEMA, {"IDBDatabaseInfo": [
        ("MetadataVersion", "1"), ("DatabaseName", name), ("DatabaseVersion", "1"), ("MaxObjectStoreID", "1")]})


def website_data(dump: FilesystemBuilder, identifier: str, *, under: str = "Library/WebKit") -> str:
    """The WebsiteData folder of app `identifier` (its container made on first use)."""
    return f"{dump.container(APPLICATIONS, identifier)}/{under}/WebsiteData"


def add_origin_storage(dump: FilesystemBuilder, root: str, top: tuple[Any, ...], frame: tuple[Any, ...] | None = None,
                       *, storage: Iterable[str] = ("LocalStorage",), salt: bytes | None = SALT,
                       origin: bytes | None = None) -> str:
    """A unified origin storage folder below `root` (…/WebsiteData/Default); returns its path."""
    if salt is not None:
        dump.add(f"{root}/salt", salt)
    key_salt = salt if salt is not None else SALT
    folder = f"{root}/{origin_folder(origin_string(*top), key_salt)}/{origin_folder(origin_string(*(frame or top)), key_salt)}"
    dump.add(f"{folder}/origin", origin if origin is not None else origin_file(top, frame))
    for kind in storage:
        if kind == "LocalStorage":
            dump.add(f"{folder}/LocalStorage/localstorage.sqlite3", localstorage_db({"seen": "1"}))
        elif kind == "IndexedDB":
            dump.add(f"{folder}/IndexedDB/{'c' * 64}/IndexedDB.sqlite3", indexeddb_db("store"))
        else:
            dump.add(f"{folder}/{kind}/data", b"\x00")
    return folder


# -- NSURLCache Cache.db ---------------------------------------------------------------------------
CACHE_SCHEMA = """
CREATE TABLE cfurl_cache_schema_version(schema_version INTEGER);
CREATE TABLE cfurl_cache_response(entry_ID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, version INTEGER,
    hash_value INTEGER, storage_policy INTEGER, request_key TEXT UNIQUE,
    time_stamp NOT NULL DEFAULT CURRENT_TIMESTAMP, partition TEXT);
CREATE TABLE cfurl_cache_blob_data(entry_ID INTEGER PRIMARY KEY, response_object BLOB, request_object BLOB,
    proto_props BLOB, user_info BLOB);
CREATE TABLE cfurl_cache_receiver_data(entry_ID INTEGER PRIMARY KEY, isDataOnFS INTEGER, receiver_data BLOB);
CREATE INDEX request_key_index ON cfurl_cache_response(request_key);
CREATE INDEX time_stamp_index ON cfurl_cache_response(time_stamp);
CREATE INDEX proto_props_index ON cfurl_cache_blob_data(entry_ID);
CREATE INDEX receiver_data_index ON cfurl_cache_receiver_data(entry_ID);
"""
# Before the cache was partitioned: no partition column and no receiver_data table (bodies in blob_data).
CACHE_SCHEMA_LEGACY = """
CREATE TABLE cfurl_cache_schema_version(schema_version INTEGER);
CREATE TABLE cfurl_cache_response(entry_ID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, version INTEGER,
    hash_value INTEGER, storage_policy INTEGER, request_key TEXT UNIQUE,
    time_stamp NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE cfurl_cache_blob_data(entry_ID INTEGER PRIMARY KEY, response_object BLOB, request_object BLOB,
    receiver_data BLOB, proto_props BLOB, user_info BLOB);
"""


def cache_db(responses: list[dict[str, Any]], variant: str = "current") -> bytes:
    """A Cache.db; each response: url, cached (datetime), and optionally storage_policy, partition,
    body (bytes kept in the database) or body_file (the fsCachedData file name)."""
    legacy = variant == "legacy"
    rows: dict[str, list[dict[str, Any]]] = {"cfurl_cache_schema_version": [{"schema_version": 202 if not legacy else 1}],
                                             "cfurl_cache_response": [], "cfurl_cache_receiver_data": []}
    if legacy:
        del rows["cfurl_cache_receiver_data"]
    for entry_id, response in enumerate(responses, 1):
        row = {"entry_ID": entry_id, "version": 0, "hash_value": response.get("hash", 1_000_000 + entry_id),
               "storage_policy": response.get("storage_policy", 0), "request_key": response["url"],
               "time_stamp": response["cached"].strftime("%Y-%m-%d %H:%M:%S")}
        if not legacy:
            row["partition"] = response.get("partition")
            on_fs = "body_file" in response
            rows["cfurl_cache_receiver_data"].append({
                "entry_ID": entry_id, "isDataOnFS": int(on_fs),
                "receiver_data": response["body_file"].encode() if on_fs else response.get("body", b"{}")})
        rows["cfurl_cache_response"].append(row)
    return build_sqlite(CACHE_SCHEMA_LEGACY if legacy else CACHE_SCHEMA, rows)


# -- App bundles -----------------------------------------------------------------------------------
def app_info_plist(bundle_id: str, name: str, *, version: str = "221", short_version: str = "2.21.1",
                   executable: str | None = None) -> bytes:
    return plistlib.dumps({
        "CFBundleIdentifier": bundle_id, "CFBundleName": name, "CFBundleDisplayName": name,
        "CFBundleExecutable": executable or name, "CFBundleVersion": version,
        "CFBundleShortVersionString": short_version, "CFBundlePackageType": "APPL",
        "MinimumOSVersion": "15.0", "DTPlatformName": "iphoneos"}, fmt=plistlib.FMT_BINARY)


def bundle_metadata(installed: datetime, build: str = "21F90", install_type: int = 1) -> bytes:
    """installd's BundleMetadata.plist: an NSKeyedArchiver MIBundleMetadata."""
    uid = plistlib.UID
    objects = [
        "$null",
        {"$class": uid(6), "installDate": uid(2), "installBuildVersion": uid(4), "installType": uid(5),
         "placeholderFailureReason": uid(7), "alternateIconName": uid(0), "linkedParentBundleID": uid(0)},
        {"$class": uid(3), "NS.time": (installed - APPLE_EPOCH).total_seconds()},
        {"$classname": "NSDate", "$classes": ["NSDate", "NSObject"]},
        build,
        install_type,
        {"$classname": "MIBundleMetadata", "$classes": ["MIBundleMetadata", "NSObject"]},
        0,
    ]
    return plistlib.dumps({"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": uid(1)},
                           "$objects": objects}, fmt=plistlib.FMT_BINARY)


def add_app_bundle(dump: FilesystemBuilder, bundle_id: str, app_name: str, *,
                   metadata: dict[str, Any] | bytes | None = None, installed: datetime | None = None,
                   info: bytes | None = None, provision: bool = False) -> str:
    """A bundle container for `bundle_id` with <app_name>.app/Info.plist and the metadata given;
    returns the container folder (a device path without the leading slash)."""
    folder = dump.container(BUNDLES, bundle_id)
    dump.add(f"{folder}/{app_name}.app/Info.plist", info if info is not None else app_info_plist(bundle_id, app_name))
    dump.add(f"{folder}/{app_name}.app/{app_name}", b"\xcf\xfa\xed\xfe")   # a Mach-O header
    if metadata is not None:
        dump.add(f"{folder}/iTunesMetadata.plist",
                 metadata if isinstance(metadata, bytes) else plistlib.dumps(metadata, fmt=plistlib.FMT_XML))
    if installed is not None:
        dump.add(f"{folder}/BundleMetadata.plist", bundle_metadata(installed))
    if provision:
        dump.add(f"{folder}/{app_name}.app/embedded.mobileprovision", b"0\x82\x0b\x00 profile")
    return folder
