"""NSURLCache databases (Cache.db): the URLs every app and system service fetched and cached.

Reads:   every Cache.db below /private/var/mobile (HomeDomain and every app, group and extension
         container in a backup), /private/var/root and the system containers; an app's own is
         Library/Caches/<bundle id>/Cache.db. CFNetwork's schema (NSURLStorageURLCacheDB):
         cfurl_cache_response(entry_ID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, version INTEGER,
         hash_value INTEGER, storage_policy INTEGER, request_key TEXT UNIQUE, time_stamp NOT NULL
         DEFAULT CURRENT_TIMESTAMP, partition TEXT); `partition` is missing from old databases.
         time_stamp is SQLite's CURRENT_TIMESTAMP, "YYYY-MM-DD HH:MM:SS" in UTC. request_key is the
         request's URL. cfurl_cache_receiver_data(entry_ID, isDataOnFS, receiver_data) holds the body,
         or with isDataOnFS the name of its file in fsCachedData/ beside the database.
         (Schema: CFNetwork's own CREATE statement; MVT cache_files; storage_policy is
         NSURLCacheStoragePolicy: 0 allowed, 1 in memory only, 2 not allowed.)
Yields:  one record per cached response, timestamped when it was cached; a url observable for
         the request URL.
Seen:    iOS 10-18 (the table is older than iOS; MVT reads it on every version it supports).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from spyglass.acquisitions.base import IOS_FS, EvidenceFile
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables, scalar_field, text_field

ARTIFACT = Artifact(
    name="cache_files",
    description="NSURLCache Cache.db: URLs fetched and cached by apps and services",
    paths=(
        "/private/var/mobile/**/Cache.db",
        "/private/var/root/**/Cache.db",
        "/private/var/containers/Data/System/*/**/Cache.db",
        "/private/var/containers/Shared/SystemGroup/*/**/Cache.db",
    ),
    tables={"cfurl_cache_response": {"entry_ID", "request_key", "time_stamp"}},
    # Apps name other databases Cache.db too: without this table a file is not NSURLCache's.
    defining_table="cfurl_cache_response",
    # Backups leave Library/Caches out: a filesystem dump has them.
    kinds=frozenset({IOS_FS}),
    os_versions="iOS 10-18",
)

OPTIONAL = ("version", "hash_value", "storage_policy", "partition")
STORAGE_POLICIES = {0: "allowed", 1: "allowed in memory only", 2: "not allowed"}
MAX_FILE_NAME = 255


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    optional = db.present("cfurl_cache_response", OPTIONAL, "r")
    join, body = "", ["NULL AS on_fs", "NULL AS body_size", "NULL AS body_file"]
    if {"entry_ID", "isDataOnFS", "receiver_data"} <= db.columns("cfurl_cache_receiver_data"):
        # The body itself stays in the database; its size and, when kept apart, its file name.
        join = " LEFT JOIN cfurl_cache_receiver_data d ON d.entry_ID = r.entry_ID"
        body = ["d.isDataOnFS AS on_fs", "length(d.receiver_data) AS body_size",
                f"CASE WHEN d.isDataOnFS THEN substr(CAST(d.receiver_data AS TEXT), 1, {MAX_FILE_NAME}) END AS body_file"]
    query = (f"SELECT r.entry_ID AS entry_id, r.request_key AS request_key, r.time_stamp AS time_stamp, "
             f"{', '.join([*optional, *body])} FROM cfurl_cache_response r{join} ORDER BY r.time_stamp, r.entry_ID")
    path = file.device_path or file.source
    folder = path.rsplit("/", 2)[-2] if path.count("/") >= 2 else None
    for row in db.rows(query):
        keys = row.keys()
        url = text_field(row["request_key"])
        cached_at = _cache_time(row["time_stamp"])
        policy = row["storage_policy"] if "storage_policy" in keys else None
        on_fs = row["on_fs"]
        yield Record(
            timestamp=cached_at,
            timestamp_desc="response cached",
            message=f"{folder or 'Cache.db'} cached {url or '(no URL)'}",
            fields={
                "url": url,
                "cached_at": iso_utc(cached_at),
                "time_stamp_raw": scalar_field(row["time_stamp"]),
                "entry_id": scalar_field(row["entry_id"]),
                "version": scalar_field(row["version"]) if "version" in keys else None,
                "hash_value": scalar_field(row["hash_value"]) if "hash_value" in keys else None,
                "storage_policy": scalar_field(policy),
                "storage_policy_name": STORAGE_POLICIES.get(policy) if isinstance(policy, int) else None,
                "partition": text_field(row["partition"]) if "partition" in keys else None,
                "body_on_disk": None if on_fs is None else bool(on_fs),
                "body_size": scalar_field(row["body_size"]),
                "body_file": text_field(row["body_file"]),
                "cache_folder": folder,
            },
            observables=observables(("url", url)),
        )


def _cache_time(value: object) -> datetime | None:
    """SQLite's CURRENT_TIMESTAMP text, in UTC; anything else is kept raw only."""
    text = text_field(value, 64)
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
