"""WebKit website data: the sites that stored data in an app's web view, its Safari View Service or Safari.

Reads:   below WebsiteData in every app, extension and system container and in
         /private/var/mobile/Library/WebKit (HomeDomain in a backup), at any depth (newer WebKit adds a
         folder named after the bundle id), including SystemData/com.apple.SafariViewService/Library/
         WebKit/WebsiteData in an app's container (the SFSafariViewController pages the app opened):
         - LocalStorage/<id>.localstorage, one SQLite file per origin;
         - IndexedDB/<id>/<database name>/IndexedDB.sqlite3 (v0) and IndexedDB/v1/<top id>/<hashed
           name>/IndexedDB.sqlite3, or IndexedDB/v1/<top id>/<frame id>/<hashed name>/... when a
           third-party frame stored data (v1);
           <id> is WebKit's "database identifier": scheme, host escaped for a file name (`%xx`),
           port (0 for the scheme's default), joined by `_`; `file__0` for local files
           (WebKit SecurityOriginData::databaseIdentifier; IDBDatabaseIdentifier::databaseDirectoryRelativeToRoot);
         - Default/<top hash>/<frame hash>/origin, and WebsiteDataStore/<uuid>/Origins/<top hash>/
           <frame hash>/origin for Safari profiles (unified origin storage, iOS 17+): each hash is
           base64url, unpadded, of SHA-256(origin string + salt), the salt being the 8 bytes of the
           `salt` file beside the top folders (NetworkStorageManager::originDirectoryPath). `origin` is
           WTF::Persistence's encoding of the ClientOrigin, top origin then frame origin, each a String
           scheme, a String host and an optional<uint16> port: a String is a uint32 length (0xFFFFFFFF
           for null), one byte 1 (Latin-1) or 0 (UTF-16LE), then the characters; an optional is one
           byte 0 or 1 then the value; little-endian, no padding or checksum (WebCorePersistentCoders.cpp
           Coder<ClientOrigin>/<SecurityOriginData>, wtf/persistence/PersistentCoders.cpp Coder<String>,
           StorageUtilities::writeOriginToFile; the same layout is read by HackBrowserData, PR 582).
         Only names and times are read (the databases themselves are not opened): a folder WebKit
         keeps for an origin always holds one of these files, and an emptied one is deleted.
Yields:  one record per storage file (LocalStorage file, IndexedDB database, origin folder),
         timestamped with its last write (the file or its -wal; an origin folder's newest file);
         domain observables for the frame's host and the top page's host.
Seen:    the LocalStorage and IndexedDB folders on iOS before 17 (MVT's webkit_localstorage,
         webkit_indexeddb, webkit_safariviewservice), unified origin storage in the WebKit of
         Safari 17 and later (iOS 17-18; the exact first version is not pinned down).
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from spyglass.acquisitions.base import EvidenceFile
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.modules.ios._locations import CONTAINER_FOLDERS, in_every_container
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import unix_time

LOCAL_STORAGE = "**/WebsiteData/LocalStorage/*.localstorage"
INDEXED_DB = "**/WebsiteData/IndexedDB/**/IndexedDB.sqlite3"
ORIGIN_FILES = ("**/WebsiteData/Default/*/*/origin", "**/WebsiteDataStore/*/Origins/*/*/origin")
RELATIVE = (LOCAL_STORAGE, INDEXED_DB, *ORIGIN_FILES)

ARTIFACT = Artifact(
    name="webkit_website_data",
    description="WebKit LocalStorage, IndexedDB and origin folders: sites that stored data",
    paths=tuple(path for relative in RELATIVE
                for path in (f"/private/var/mobile/Library/WebKit/{relative}", *in_every_container(relative))),
    os_versions="iOS 12-18",
)

SAFARI_VIEW_SERVICE = "/SystemData/com.apple.SafariViewService/"
CONTAINER_METADATA = ".com.apple.mobile_container_manager.metadata.plist"
MAX_ORIGIN_BYTES = 16 * 1024        # two schemes and two hosts; real files are under 100 bytes
MAX_NAME_CHARS = 1024
MAX_FOLDER_FILES = 100_000          # files of one origin folder looked at for its newest write
MAX_STORAGE_TYPES = 64              # WebKit keeps a handful (LocalStorage, IndexedDB, CacheStorage, ...)
UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z")
# Characters a device-path glob would read as wildcards: a folder named with them is not looked into.
GLOB_CHARACTERS = frozenset("*?[]{}")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}

Origin = tuple[str, str, int | None]     # scheme, host, port (None: the scheme's default)


def parse(file: EvidenceFile) -> Iterator[Record]:
    path = file.device_path or file.source
    parts = path.split("/")
    if parts[-1] == "origin":
        yield _origin_folder(file, path, parts)
        return
    if parts[-1] == "IndexedDB.sqlite3":
        layout, top, frame, database = _indexeddb_names(parts)
        storage = "IndexedDB"
    else:
        layout, storage, database = "localstorage", "LocalStorage", None
        frame = _from_identifier(parts[-1].removesuffix(".localstorage"))
        top = frame
    written = _newest(_modified(file), _modified(file.acquisition.companion(file, "-wal")))
    fields = {"layout": layout, "storage_types": [storage], "database": database}
    yield _record(file, path, top, frame, written, fields)


def _indexeddb_names(parts: list[str]) -> tuple[str, Origin | None, Origin | None, str | None]:
    """Layout, top and frame origins and the database's folder name from an IndexedDB path."""
    rest = parts[_last_index(parts, "IndexedDB") + 1:-1]
    if rest and rest[0] == "v1":
        rest = rest[1:]
        top = _from_identifier(rest[0]) if rest else None
        # A second origin folder only where a third-party frame stored data under that top page.
        frame = _from_identifier(rest[1]) if len(rest) == 3 else top
        return "indexeddb-v1", top, frame, rest[-1][:MAX_NAME_CHARS] if len(rest) >= 2 else None
    origin = _from_identifier(rest[0]) if rest else None
    # v0 keeps the database's own name, escaped for a file name (`.` as %2E, empty as %00).
    database = unquote(rest[1])[:MAX_NAME_CHARS] if len(rest) >= 2 else None
    return "indexeddb-v0", origin, origin, database


def _origin_folder(file: EvidenceFile, path: str, parts: list[str]) -> Record:
    top, frame, extra = decode_origin_file(file.read_bytes(MAX_ORIGIN_BYTES), file.source)
    folder = "/".join(parts[:-1])
    storage_types: set[str] = set()
    written = _modified(file)
    for sibling in _files_below(file, folder)[:MAX_FOLDER_FILES]:
        below = (sibling.device_path or sibling.source)[len(folder) + 1:]
        if "/" in below and len(storage_types) < MAX_STORAGE_TYPES:
            storage_types.add(below.split("/", 1)[0][:MAX_NAME_CHARS])
        written = _newest(written, _modified(sibling))
    salt = _salt(file, "/".join(parts[:-3]))
    matches = None
    if salt is not None:
        matches = parts[-3] == folder_hash(origin_text(top), salt) and parts[-2] == folder_hash(origin_text(frame), salt)
    fields = {"layout": "origin-file", "storage_types": sorted(storage_types), "database": None,
              "origin_file_written": iso_utc(unix_time(_modified(file))),
              "folders_match_origin": matches, "origin_file_extra_bytes": extra}
    return _record(file, path, top, frame, written, fields)


def _record(file: EvidenceFile, path: str, top: Origin | None, frame: Origin | None,
            written: float | None, extra: dict[str, Any]) -> Record:
    frame_text, top_text = origin_text(frame), origin_text(top)
    third_party = None if top is None or frame is None else top != frame
    container, app = _container(file, path)
    safari_view_service = SAFARI_VIEW_SERVICE in path
    stored_at = unix_time(written)
    message = f"WebKit {'/'.join(extra['storage_types']) or 'website data'} of {frame_text or '(unknown origin)'}"
    if third_party:
        message += f" as a third party under {top_text}"
    if safari_view_service:
        message += " in Safari View Service"
    if app:
        message += f" (app {app})"
    fields = {
        "origin": frame_text,
        "top_origin": top_text,
        "scheme": frame[0] if frame else None,
        "host": frame[1] if frame else None,
        "port": frame[2] if frame else None,
        "third_party": third_party,
        **extra,
        "safari_view_service": safari_view_service,
        "container": container,
        "app": app,
        "last_written": iso_utc(stored_at),
        "last_written_raw": written,
    }
    return Record(
        timestamp=stored_at,
        timestamp_desc="website data last written",
        message=message,
        fields=fields,
        observables=observables(("domain", frame[1] if frame else None), ("domain", top[1] if top else None)),
    )


def decode_origin_file(data: bytes, source: str) -> tuple[Origin, Origin, int]:
    """The top and frame origins an `origin` file holds, and how many bytes follow them."""
    offset = 0
    origins = []
    for role in ("top", "frame"):
        scheme, offset = _string(data, offset, source, f"{role} scheme")
        host, offset = _string(data, offset, source, f"{role} host")
        engaged, offset = _byte(data, offset, source, f"{role} port flag")
        port = None
        if engaged:
            if offset + 2 > len(data):
                raise EvidenceError(f"{source}: origin file ends inside the {role} port")
            port = struct.unpack_from("<H", data, offset)[0]
            offset += 2
        if not scheme and not host:
            raise EvidenceError(f"{source}: origin file names an empty {role} origin")
        origins.append((scheme, host, port))
    return origins[0], origins[1], len(data) - offset


def _string(data: bytes, offset: int, source: str, what: str) -> tuple[str, int]:
    if offset + 4 > len(data):
        raise EvidenceError(f"{source}: origin file ends before the {what}")
    length = struct.unpack_from("<I", data, offset)[0]
    offset += 4
    if length == 0xFFFFFFFF:              # WebKit's null string
        return "", offset
    latin1, offset = _byte(data, offset, source, f"{what} encoding")
    size = length if latin1 else length * 2
    if size > len(data) - offset:
        raise EvidenceError(f"{source}: origin file {what} of {length} characters runs past its end")
    raw = data[offset:offset + size]
    text = raw.decode("latin-1") if latin1 else raw.decode("utf-16-le", errors="replace")
    return text, offset + size


def _byte(data: bytes, offset: int, source: str, what: str) -> tuple[int, int]:
    if offset >= len(data):
        raise EvidenceError(f"{source}: origin file ends before the {what}")
    value = data[offset]
    if value > 1:
        raise EvidenceError(f"{source}: origin file {what} is {value}, not 0 or 1")
    return value, offset + 1


def origin_text(origin: Origin | None) -> str | None:
    """The origin as WebKit writes it (SecurityOriginData::toString): scheme://host[:port]."""
    if origin is None:
        return None
    scheme, host, port = origin
    if scheme == "file":
        return "file://"
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def folder_hash(origin: str | None, salt: bytes) -> str | None:
    """The folder name unified origin storage gives an origin under a salt."""
    if origin is None:
        return None
    digest = hashlib.sha256(origin.encode("utf-8", errors="surrogatepass") + salt).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _from_identifier(identifier: str) -> Origin | None:
    """An origin from a database identifier (scheme_host_port); None where the name is not one."""
    if identifier == "file__0":
        return ("file", "", None)
    first, last = identifier.find("_"), identifier.rfind("_")
    if first <= 0 or first == last:
        return None
    port_text = identifier[last + 1:]
    if port_text and not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5):
        return None
    port = int(port_text) if port_text else 0
    if port > 0xFFFF:
        return None
    scheme = identifier[:first][:MAX_NAME_CHARS]
    host = unquote(identifier[first + 1:last])[:MAX_NAME_CHARS]
    # Port 0 in a name stands for the scheme's default; a default port written out is one too.
    return scheme, host, None if port in (0, DEFAULT_PORTS.get(scheme)) else port


def _last_index(parts: list[str], name: str) -> int:
    return len(parts) - 1 - parts[::-1].index(name)


def _modified(file: EvidenceFile | None) -> float | None:
    value = file.meta.get("modified") if file is not None else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _newest(first: float | None, second: float | None) -> float | None:
    return max((value for value in (first, second) if value is not None), default=None)


def _files_below(file: EvidenceFile, folder: str) -> list[EvidenceFile]:
    if not _globbable(folder):
        return []
    return file.acquisition.files(DevicePattern(f"{folder}/**"))


def _salt(file: EvidenceFile, root: str) -> bytes | None:
    """The 8-byte salt unified origin storage hashes folder names with, if the acquisition kept it."""
    if not _globbable(root):
        return None
    for salt_file in file.acquisition.files(DevicePattern(f"{root}/salt")):
        try:
            salt = salt_file.read_bytes(64)
        except EvidenceError:
            return None
        return salt if len(salt) == 8 else None
    return None


def _container(file: EvidenceFile, path: str) -> tuple[str | None, str | None]:
    """The container folder holding `path` and its identifier: the folder's name in a backup
    (AppDomain-<id>), the container's metadata on a dump, where its folder is a UUID."""
    for parent in CONTAINER_FOLDERS:
        base = parent.removesuffix("/*") + "/"
        if path.startswith(base):
            name = path[len(base):].split("/", 1)[0]
            folder = base + name
            if not UUID.match(name):
                return folder, name[:MAX_NAME_CHARS] or None
            return folder, _identifier(file, folder)
    return None, None


def _identifier(file: EvidenceFile, folder: str) -> str | None:
    for metadata in file.acquisition.files(DevicePattern(f"{folder}/{CONTAINER_METADATA}")):
        try:
            value = metadata.plist()
        except EvidenceError:
            return None
        identifier = value.get("MCMMetadataIdentifier") if isinstance(value, dict) else None
        return identifier[:MAX_NAME_CHARS] if isinstance(identifier, str) and identifier else None
    return None


def _globbable(folder: str) -> bool:
    return folder.startswith("/") and "//" not in folder and not GLOB_CHARACTERS & set(folder)
