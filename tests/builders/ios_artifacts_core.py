"""Core iOS artifacts as the OS writes them: sms.db, Safari History.db, DataUsage.sqlite,
IDStatusCache, iTunesMetadata; one function per artifact and per iOS-version variant.

Each `add_*` function puts the artifact into a `BackupBuilder` at its real domain and path,
so unit tests, end-to-end tests and the demo build the same evidence. `run_module` drives a
module through the real backup layout (build, open with IOSBackup, find, parse).
"""

from __future__ import annotations

import plistlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.records import Record
from spyglass.runner import locate, parse_file
from tests.builders.ios_backup import BackupBuilder

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def apple_seconds(moment: datetime) -> float:
    return (moment - APPLE_EPOCH).total_seconds()


def apple_nanoseconds(moment: datetime) -> int:
    return int(round(apple_seconds(moment))) * 1_000_000_000


def run_module(builder: BackupBuilder, root: Path, module: ModuleType) -> list[Record]:
    """Build the backup under `root`, open it, and parse every file the module's artifact finds."""
    backup = IOSBackup(builder.build(root))
    try:
        return [record for file in locate(module.ARTIFACT, backup) for record in parse_file(module.ARTIFACT, module.parse, file)]
    finally:
        backup.close()


def found_files(builder: BackupBuilder, root: Path, module: ModuleType) -> list[str]:
    backup = IOSBackup(builder.build(root))
    try:
        return [file.source for file in locate(module.ARTIFACT, backup)]
    finally:
        backup.close()


# -- sms.db ------------------------------------------------------------------------------------
# The message table as Messages creates it. Columns are added over the years; the variants
# below add them by iOS major version so modules are tested against what each version has.
_MESSAGE_COLUMNS_IOS10 = """
    ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
    replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT,
    country TEXT, attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0,
    service TEXT, account TEXT, account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER,
    date_read INTEGER, date_delivered INTEGER, is_delivered INTEGER DEFAULT 0,
    is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0,
    is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, is_auto_reply INTEGER DEFAULT 0,
    is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, is_system_message INTEGER DEFAULT 0,
    is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0, is_service_message INTEGER DEFAULT 0,
    is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0, is_archive INTEGER DEFAULT 0,
    cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, was_data_detected INTEGER DEFAULT 0,
    was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, is_played INTEGER DEFAULT 0,
    date_played INTEGER, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0,
    group_title TEXT, group_action_type INTEGER DEFAULT 0, share_status INTEGER DEFAULT 0,
    share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0,
    message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0,
    associated_message_guid TEXT, associated_message_type INTEGER DEFAULT 0,
    balloon_bundle_id TEXT, payload_data BLOB, expressive_send_style_id TEXT,
    associated_message_range_location INTEGER DEFAULT 0, associated_message_range_length INTEGER DEFAULT 0,
    time_expressive_send_played INTEGER, message_summary_info BLOB"""
_MESSAGE_COLUMNS_IOS14 = """,
    ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT, ck_record_change_tag TEXT,
    destination_caller_id TEXT, sr_ck_sync_state INTEGER DEFAULT 0, sr_ck_record_id TEXT,
    sr_ck_record_change_tag TEXT, is_corrupt INTEGER DEFAULT 0, reply_to_guid TEXT,
    sort_id INTEGER, is_spam INTEGER DEFAULT 0, has_unseen_mention INTEGER DEFAULT 0,
    thread_originator_guid TEXT, thread_originator_part TEXT, syndication_ranges TEXT,
    was_delivered_quietly INTEGER DEFAULT 0, did_notify_recipient INTEGER DEFAULT 0,
    synced_syndication_ranges TEXT"""
_MESSAGE_COLUMNS_IOS16 = """,
    date_retracted INTEGER DEFAULT 0, date_edited INTEGER DEFAULT 0, was_detonated INTEGER DEFAULT 0,
    part_count INTEGER, is_stewie INTEGER DEFAULT 0, is_kt_verified INTEGER DEFAULT 0"""
_MESSAGE_COLUMNS_IOS18 = """,
    is_sos INTEGER DEFAULT 0, is_critical INTEGER DEFAULT 0, bia_reference_id TEXT DEFAULT NULL,
    fallback_hash TEXT DEFAULT NULL, associated_message_emoji TEXT DEFAULT NULL,
    is_pending_satellite_send INTEGER DEFAULT 0, needs_relay INTEGER DEFAULT 0,
    schedule_type INTEGER DEFAULT 0, schedule_state INTEGER DEFAULT 0,
    sent_or_received_off_grid INTEGER DEFAULT 0"""

_SMS_OTHER_TABLES = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL,
    country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT,
    UNIQUE (id, service));
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT,
    service_name TEXT, room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0,
    last_addressed_handle TEXT, display_name TEXT, group_id TEXT, is_filtered INTEGER DEFAULT 0,
    successful_query INTEGER, engram_id TEXT, server_change_token TEXT, ck_sync_state INTEGER DEFAULT 0,
    original_group_id TEXT, last_read_message_timestamp INTEGER DEFAULT 0,
    cloudkit_record_id TEXT, last_addressed_sim_id TEXT, is_blackholed INTEGER DEFAULT 0);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
    handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
    message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0,
    PRIMARY KEY (chat_id, message_id));
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    created_date INTEGER DEFAULT 0, start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT,
    mime_type TEXT, transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0,
    user_info BLOB, transfer_name TEXT, total_bytes INTEGER DEFAULT 0, is_sticker INTEGER DEFAULT 0,
    sticker_user_info BLOB, attribution_info BLOB, hide_attachment INTEGER DEFAULT 0,
    ck_sync_state INTEGER DEFAULT 0, ck_server_change_token_blob BLOB, ck_record_id TEXT,
    original_guid TEXT UNIQUE NOT NULL, sr_ck_sync_state INTEGER DEFAULT 0,
    sr_ck_server_change_token_blob BLOB, sr_ck_record_id TEXT, is_commsafety_sensitive INTEGER DEFAULT 0);
CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
    attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE, UNIQUE(message_id, attachment_id));
CREATE INDEX message_idx_handle ON message(handle_id, date);
CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id);
CREATE INDEX message_attachment_join_idx_message_id ON message_attachment_join(message_id);
"""


def sms_schema(ios_major: int) -> str:
    """The sms.db schema of an iOS major version (10 to 18)."""
    columns = _MESSAGE_COLUMNS_IOS10
    if ios_major >= 14:
        columns += _MESSAGE_COLUMNS_IOS14
    if ios_major >= 16:
        columns += _MESSAGE_COLUMNS_IOS16
    if ios_major >= 18:
        columns += _MESSAGE_COLUMNS_IOS18
    return f"CREATE TABLE message ({columns});\n{_SMS_OTHER_TABLES}"


def typedstream_string(text: str, *, length_tag: int | None = None, mutable: bool = False) -> bytes:
    """An attributedBody blob: NSArchiver typedstream of an NSMutableAttributedString.

    The length before the UTF-8 bytes is one byte below 0x80, else 0x81 and a 2-byte
    little-endian count, else 0x82 and a 4-byte count; `length_tag` forces a form.
    """
    data = text.encode()
    size = len(data)
    tag = length_tag if length_tag is not None else (None if size < 0x80 else 0x81 if size < 0x8000 else 0x82)
    if tag is None:
        length = bytes([size])
    elif tag == 0x81:
        length = b"\x81" + size.to_bytes(2, "little")
    else:
        length = b"\x82" + size.to_bytes(4, "little")
    string_class = (b"\x0fNSMutableString\x01\x84\x84\x08NSString\x01\x95" if mutable
                    else b"\x08NSString\x01\x94")
    header = (b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x19NSMutableAttributedString\x00"
              b"\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84"
              + string_class + b"\x84\x01+")
    attributes = (b"\x86\x84\x02iI\x01" + bytes([min(len(text), 0x7F)]) + b"\x92\x84\x84\x84\x0cNSDictionary\x00"
                  b"\x95\x84\x01i\x01\x92\x84\x98\x98\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84"
                  b"\x08NSNumber\x00\x84\x84\x07NSValue\x00\x95\x84\x01*\x84\x9b\x9b\x00\x86\x86\x86")
    return header + length + data + attributes


def sms_rows(ios_major: int = 17) -> dict[str, list[Mapping[str, Any]]]:
    """A small conversation: a received SMS with a link, a sent iMessage, a read receipt."""
    received = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
    sent = datetime(2021, 7, 1, 10, 5, tzinfo=UTC)
    read = datetime(2021, 7, 1, 10, 1, tzinfo=UTC)

    def when(moment: datetime) -> float | int:
        return apple_nanoseconds(moment) if ios_major >= 11 else int(apple_seconds(moment))

    return {
        "handle": [
            {"ROWID": 1, "id": "+41791234567", "country": "ch", "service": "SMS", "uncanonicalized_id": "0791234567"},
            {"ROWID": 2, "id": "friend@example.org", "country": "ch", "service": "iMessage"},
        ],
        "chat": [
            {"ROWID": 1, "guid": "SMS;-;+41791234567", "style": 45, "state": 3, "chat_identifier": "+41791234567",
             "service_name": "SMS", "display_name": ""},
            {"ROWID": 2, "guid": "iMessage;-;friend@example.org", "style": 45, "state": 3,
             "chat_identifier": "friend@example.org", "service_name": "iMessage", "display_name": "Friend"},
        ],
        "message": [
            {"ROWID": 1, "guid": "8A1B7B1E-0000-4000-8000-000000000001",
             "text": "Your parcel is waiting: https://bit-ly.example.com/track?id=42 call +41 79 765 43 21",
             "handle_id": 1, "service": "SMS", "account": "P:+41790000000", "date": when(received),
             "date_read": when(read), "date_delivered": 0, "is_from_me": 0, "is_read": 1, "is_finished": 1},
            {"ROWID": 2, "guid": "8A1B7B1E-0000-4000-8000-000000000002", "text": "See you at 5",
             "handle_id": 2, "service": "iMessage", "account": "E:me@example.org", "date": when(sent),
             "date_read": 0, "date_delivered": when(sent), "is_from_me": 1, "is_sent": 1,
             "is_delivered": 1, "is_finished": 1},
        ],
        "chat_message_join": [
            {"chat_id": 1, "message_id": 1, "message_date": when(received)},
            {"chat_id": 2, "message_id": 2, "message_date": when(sent)},
        ],
        "chat_handle_join": [{"chat_id": 1, "handle_id": 1}, {"chat_id": 2, "handle_id": 2}],
    }


SMS_DOMAIN, SMS_PATH = "HomeDomain", "Library/SMS/sms.db"


def add_sms(builder: BackupBuilder, ios_major: int = 17,
            rows: Mapping[str, Iterable[Mapping[str, Any]]] | None = None) -> None:
    """sms.db for `ios_major` with `rows` (the default conversation when None)."""
    builder.add_sqlite(SMS_DOMAIN, SMS_PATH, sms_schema(ios_major),
                       dict(rows) if rows is not None else sms_rows(ios_major))


def attachment_rows() -> dict[str, list[Mapping[str, Any]]]:
    """sms_rows plus a photo received with message 1 and a file sent with message 2."""
    rows = sms_rows(17)
    rows["attachment"] = [
        {"ROWID": 1, "guid": "at_0_8A1B7B1E-0001", "original_guid": "at_0_8A1B7B1E-0001",
         "created_date": int(apple_seconds(datetime(2021, 7, 1, 10, 0, 3, tzinfo=UTC))),
         "filename": "~/Library/SMS/Attachments/4f/15/8A1B7B1E-0001/IMG_0001.HEIC",
         "uti": "public.heic", "mime_type": "image/heic", "transfer_state": 5, "is_outgoing": 0,
         "transfer_name": "IMG_0001.HEIC", "total_bytes": 1843200},
        {"ROWID": 2, "guid": "at_0_8A1B7B1E-0002", "original_guid": "at_0_8A1B7B1E-0002",
         "created_date": int(apple_seconds(datetime(2021, 7, 1, 10, 5, tzinfo=UTC))),
         "filename": "~/Library/SMS/Attachments/7a/10/8A1B7B1E-0002/plan.pdf",
         "uti": "com.adobe.pdf", "mime_type": "application/pdf", "transfer_state": 5, "is_outgoing": 1,
         "transfer_name": "plan.pdf", "total_bytes": 52011},
    ]
    rows["message_attachment_join"] = [{"message_id": 1, "attachment_id": 1},
                                       {"message_id": 2, "attachment_id": 2}]
    return rows


# -- Safari History.db -------------------------------------------------------------------------
SAFARI_HISTORY_SCHEMA = """
CREATE TABLE history_items (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE,
    domain_expansion TEXT NULL, visit_count INTEGER NOT NULL, daily_visit_counts BLOB NOT NULL,
    weekly_visit_counts BLOB NULL, autocomplete_triggers BLOB NULL,
    should_recompute_derived_visit_counts INTEGER NOT NULL, visit_count_score INTEGER NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_visits (id INTEGER PRIMARY KEY AUTOINCREMENT,
    history_item INTEGER NOT NULL REFERENCES history_items(id) ON DELETE CASCADE,
    visit_time REAL NOT NULL, title TEXT NULL, load_successful BOOLEAN NOT NULL DEFAULT 1,
    http_non_get BOOLEAN NOT NULL DEFAULT 0, synthesized BOOLEAN NOT NULL DEFAULT 0,
    redirect_source INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,
    redirect_destination INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,
    origin INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 0,
    attributes INTEGER NOT NULL DEFAULT 0, score INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_tombstones (id INTEGER PRIMARY KEY AUTOINCREMENT, start_time REAL NOT NULL,
    end_time REAL NOT NULL, url TEXT, generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE metadata (key TEXT NOT NULL UNIQUE, value);
CREATE INDEX history_items__domain_expansion ON history_items (domain_expansion);
CREATE INDEX history_visits__last_visit ON history_visits (history_item, visit_time DESC, synthesized ASC);
CREATE INDEX history_visits__origin ON history_visits (origin, generation);
"""
# iOS 14 and older lack status_code on items (added with iOS 15's Safari).
SAFARI_HISTORY_SCHEMA_IOS14 = SAFARI_HISTORY_SCHEMA.replace(
    ",\n    status_code INTEGER NOT NULL DEFAULT 0)", ")")

SAFARI_DOMAIN, SAFARI_PATH = "HomeDomain", "Library/Safari/History.db"


def safari_item(item_id: int, url: str, visits: int = 1, domain: str | None = None) -> dict[str, Any]:
    return {"id": item_id, "url": url, "domain_expansion": domain, "visit_count": visits,
            "daily_visit_counts": b"", "should_recompute_derived_visit_counts": 0, "visit_count_score": 100}


def safari_visit(visit_id: int, item_id: int, moment: datetime, title: str | None = None, *,
                 redirect_source: int | None = None, redirect_destination: int | None = None,
                 load_successful: int = 1, origin: int = 0) -> dict[str, Any]:
    return {"id": visit_id, "history_item": item_id, "visit_time": apple_seconds(moment), "title": title,
            "load_successful": load_successful, "redirect_source": redirect_source,
            "redirect_destination": redirect_destination, "origin": origin}


def safari_rows() -> dict[str, list[Mapping[str, Any]]]:
    """A plain visit, then an http news page that redirects within 0.4 s to another domain."""
    base = datetime(2021, 7, 1, 12, 0, tzinfo=UTC)
    redirect_at = datetime(2021, 7, 1, 12, 10, tzinfo=UTC)
    return {
        "history_items": [
            safari_item(1, "https://www.example.org/", 3, "example.org"),
            safari_item(2, "http://news.example.com/article", 1),
            safari_item(3, "https://free247downloads.com/x/abc", 1),
        ],
        "history_visits": [
            safari_visit(10, 1, base, "Example"),
            safari_visit(11, 2, redirect_at, None, redirect_destination=12),
            safari_visit(12, 3, redirect_at.replace(microsecond=400000), "", redirect_source=11,
                         load_successful=0),
        ],
    }


def add_safari_history(builder: BackupBuilder, rows: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
                       *, schema: str = SAFARI_HISTORY_SCHEMA, domain: str = SAFARI_DOMAIN,
                       path: str = SAFARI_PATH) -> None:
    builder.add_sqlite(domain, path, schema, dict(rows) if rows is not None else safari_rows())


# -- DataUsage.sqlite --------------------------------------------------------------------------
# Core Data store of per-process network use. ZLIVEUSAGE points at its process through
# ZHASPROCESS; the generic builder keeps that real name.
DATAUSAGE_SCHEMA = """
CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
    ZFIRSTTIMESTAMP TIMESTAMP, ZTIMESTAMP TIMESTAMP, ZBUNDLENAME VARCHAR, ZPROCNAME VARCHAR);
CREATE TABLE ZLIVEUSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKIND INTEGER,
    ZMETADATA INTEGER, ZTAG INTEGER, ZHASPROCESS INTEGER, ZBILLCYCLEEND TIMESTAMP, ZTIMESTAMP TIMESTAMP,
    ZWIFIIN FLOAT, ZWIFIOUT FLOAT, ZWWANIN FLOAT, ZWWANOUT FLOAT);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE INDEX ZLIVEUSAGE_ZHASPROCESS_INDEX ON ZLIVEUSAGE (ZHASPROCESS);
"""
DATAUSAGE_DOMAIN, DATAUSAGE_PATH = "WirelessDomain", "Library/Databases/DataUsage.sqlite"


def datausage_process(pk: int, name: str, bundle: str | None, first: datetime, last: datetime) -> dict[str, Any]:
    return {"Z_PK": pk, "Z_ENT": 8, "Z_OPT": 1, "ZFIRSTTIMESTAMP": apple_seconds(first),
            "ZTIMESTAMP": apple_seconds(last), "ZBUNDLENAME": bundle, "ZPROCNAME": name}


def datausage_live(pk: int, process: int | None, moment: datetime, wifi_in: float = 0.0,
                   wifi_out: float = 0.0, wwan_in: float = 0.0, wwan_out: float = 0.0) -> dict[str, Any]:
    return {"Z_PK": pk, "Z_ENT": 5, "Z_OPT": 1, "ZKIND": 0, "ZMETADATA": 0, "ZTAG": 0,
            "ZHASPROCESS": process, "ZTIMESTAMP": apple_seconds(moment), "ZWIFIIN": wifi_in,
            "ZWIFIOUT": wifi_out, "ZWWANIN": wwan_in, "ZWWANOUT": wwan_out}


def datausage_rows() -> dict[str, list[Mapping[str, Any]]]:
    """Three processes with contiguous keys, each with one live-usage row."""
    day = datetime(2021, 7, 1, tzinfo=UTC)
    return {
        "ZPROCESS": [
            datausage_process(1, "mobilesafari", "com.apple.mobilesafari", day, day.replace(hour=9)),
            datausage_process(2, "nsurlsessiond", None, day, day.replace(hour=10)),
            datausage_process(3, "WhatsApp", "net.whatsapp.WhatsApp", day.replace(hour=1), day.replace(hour=11)),
        ],
        "ZLIVEUSAGE": [
            datausage_live(1, 1, day.replace(hour=9), 1000.0, 200.0, 0.0, 0.0),
            datausage_live(2, 2, day.replace(hour=10), 0.0, 0.0, 4096.0, 512.0),
            datausage_live(3, 3, day.replace(hour=11), 20.0, 10.0, 30.0, 40.0),
        ],
    }


def datausage_erased_rows() -> dict[str, list[Mapping[str, Any]]]:
    """datausage_rows with process 2 deleted: a key gap and an orphaned live-usage row."""
    rows = datausage_rows()
    rows["ZPROCESS"] = [p for p in rows["ZPROCESS"] if p["Z_PK"] != 2]
    return rows


def add_datausage(builder: BackupBuilder, rows: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
                  *, schema: str = DATAUSAGE_SCHEMA, path: str = DATAUSAGE_PATH) -> None:
    builder.add_sqlite(DATAUSAGE_DOMAIN, path, schema, dict(rows) if rows is not None else datausage_rows())


# -- IDStatusCache -----------------------------------------------------------------------------
IDSTATUS_DOMAIN = "HomeDomain"
IDSTATUS_PATH_IOS14 = "Library/Preferences/com.apple.identityservices.idstatuscache.plist"
IDSTATUS_PATH_IOS15 = "Library/IdentityServices/idstatuscache.plist"


def idstatus_cache() -> dict[str, Any]:
    """Lookups per service: two plain accounts and one with an embedded NUL byte."""
    lookup = apple_seconds(datetime(2021, 6, 30, 8, 0, tzinfo=UTC))
    return {
        "com.apple.madrid": {
            "mailto:friend@example.org": {"IDStatus": 1, "LookupDate": lookup},
            "tel:+41791234567": {"IDStatus": 2, "LookupDate": lookup + 60},
        },
        "com.apple.private.alloy.facetime.multi": {
            "mailto:bogus\x00account@example.net": {"IDStatus": 1, "LookupDate": lookup + 120},
        },
    }


def add_idstatus_cache(builder: BackupBuilder, cache: Mapping[str, Any] | None = None, *,
                       ios_major: int = 17) -> None:
    path = IDSTATUS_PATH_IOS15 if ios_major >= 15 else IDSTATUS_PATH_IOS14
    builder.add_plist(IDSTATUS_DOMAIN, path, dict(cache) if cache is not None else idstatus_cache())


# -- Installed applications (Info.plist iTunesMetadata) ----------------------------------------
def itunes_metadata(bundle_id: str, name: str, artist: str, *, source_app: str | None = "com.apple.AppStore",
                    purchased: str = "2020-05-04T09:08:07Z", item_id: int = 310633997) -> dict[str, Any]:
    """The iTunesMetadata plist the App Store writes beside an app it installed."""
    metadata: dict[str, Any] = {
        "artistName": artist,
        "bundleShortVersionString": "2.21.1",
        "bundleVersion": "2.21.1.0",
        "com.apple.iTunesStore.downloadInfo": {
            "accountInfo": {"AppleID": "me@example.org", "DSPersonID": 12345678},
            "purchaseDate": purchased,
        },
        "genre": "Social Networking",
        "itemId": item_id,
        "itemName": name,
        "kind": "software",
        "purchaseDate": purchased,
        "releaseDate": "2009-05-03T07:00:00Z",
        "softwareVersionBundleId": bundle_id,
    }
    if source_app is not None:
        metadata["sourceApp"] = source_app
    return metadata


def add_apps(builder: BackupBuilder) -> None:
    """An App Store app, a TestFlight app, a sideloaded app, and Apple's own app."""
    builder.add_app("net.whatsapp.WhatsApp", version="2.21.1", name="WhatsApp",
                    itunes_metadata=itunes_metadata("net.whatsapp.WhatsApp", "WhatsApp Messenger", "WhatsApp Inc."))
    builder.add_app("org.example.beta", version="0.9", name="Beta",
                    itunes_metadata=itunes_metadata("org.example.beta", "Beta App", "Example Org",
                                                    source_app="com.apple.TestFlight", item_id=1))
    builder.add_app("com.corp.agent", version="3.1", name="Agent")
    builder.add_app("com.apple.Pages", version="13.1", name="Pages")


def plist_bytes(value: Any) -> bytes:
    return plistlib.dumps(value, fmt=plistlib.FMT_BINARY)


def add_core_artifacts(builder: BackupBuilder, ios_major: int = 17, *, suspicious: bool = True) -> None:
    """Every artifact of this file in one backup, for end-to-end tests and the demo.

    With `suspicious`, the evidence holds what the core heuristics look for: an erased
    DataUsage process, a NUL-byte IDStatusCache lookup, an http page redirected in 0.4 s to
    another domain, a received attachment under /private/var/tmp, an app outside the store.
    """
    add_apps(builder)
    rows = attachment_rows()
    if suspicious:
        rows["attachment"].append({
            "ROWID": 3, "guid": "at_0_8A1B7B1E-0003", "original_guid": "at_0_8A1B7B1E-0003",
            "created_date": int(apple_seconds(datetime(2021, 7, 1, 10, 0, 4, tzinfo=UTC))),
            "filename": "/private/var/tmp/com.apple.messages/8A1B7B1E-0003/1.gif", "mime_type": "image/gif",
            "transfer_name": "1.gif", "total_bytes": 748, "is_outgoing": 0})
        rows["message_attachment_join"].append({"message_id": 1, "attachment_id": 3})
    add_sms(builder, ios_major, rows)
    add_safari_history(builder, None if suspicious else {
        "history_items": [safari_item(1, "https://www.example.org/", 3, "example.org")],
        "history_visits": [safari_visit(10, 1, datetime(2021, 7, 1, 12, 0, tzinfo=UTC), "Example")]})
    add_datausage(builder, datausage_erased_rows() if suspicious else datausage_rows())
    cache = idstatus_cache()
    if not suspicious:
        del cache["com.apple.private.alloy.facetime.multi"]
    add_idstatus_cache(builder, cache, ios_major=ios_major)
