"""Real-format bytes for iOS web and messaging artifacts: Safari, WebKit, Chrome, Firefox, Shortcuts, WhatsApp.

Every function returns the file's bytes as the app writes it (SQLite schemas as created by the app,
binary plists laid out as the app encodes them), one function per artifact and per OS/app-version
variant, so unit tests, end-to-end tests, the demo and benchmarks share them. Times are given as
timezone-aware datetimes and converted to the artifact's own epoch here.
"""

from __future__ import annotations

import plistlib
import struct
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tests.builders.sqlite import build_sqlite

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def apple_seconds(moment: datetime) -> float:
    return (moment - APPLE_EPOCH).total_seconds()


def unix_seconds(moment: datetime) -> float:
    return (moment - UNIX_EPOCH).total_seconds()


def webkit_microseconds(moment: datetime) -> int:
    return int((moment - WEBKIT_EPOCH).total_seconds() * 1_000_000)


def _rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(item) for item in items]


# Core Data bookkeeping tables every Core Data SQLite store carries.
CORE_DATA_TABLES = """
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
"""


# -- Safari BrowserState.db ------------------------------------------------------------------------

# Schema version 8 (iOS 17/18): tab groups (iOS 15) and profiles (iOS 17) columns present.
BROWSER_STATE_SCHEMA_IOS17 = """
CREATE TABLE browser_windows (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL,type INTEGER DEFAULT 0,
 active_document_index INTEGER DEFAULT 0,active_private_document_index INTEGER DEFAULT 0,
 active_document_is_valid BOOL DEFAULT 1,tab_state_successfully_loaded BOOL DEFAULT 0,
 legacy_plist_file_version INTEGER DEFAULT 0,scene_ID TEXT,active_profile_identifier TEXT NOT NULL DEFAULT '',
 CONSTRAINT uuid_type_index UNIQUE(uuid, type));
CREATE TABLE tabs (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL UNIQUE,title TEXT,url TEXT COLLATE NOCASE,
 user_visible_url TEXT COLLATE NOCASE,order_index INTEGER NOT NULL,last_viewed_time REAL DEFAULT NULL,
 readinglist_bookmark_id INTEGER DEFAULT 0,opened_from_link BOOL DEFAULT 0,showing_reader BOOL DEFAULT 0,
 reader_view_top_scroll_offset INTEGER DEFAULT 0,private_browsing BOOL DEFAULT 0,
 displaying_standalone_image BOOL DEFAULT 0,browser_window_uuid TEXT NOT NULL,browser_window_id INTEGER NOT NULL,
 tab_group_uuid TEXT NOT NULL DEFAULT '',profile_uuid TEXT NOT NULL DEFAULT '',
 FOREIGN KEY(browser_window_id) REFERENCES browser_windows(id) ON DELETE CASCADE);
CREATE INDEX tabs__uuid ON tabs (uuid);
CREATE TABLE tab_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT,tab_uuid TEXT NOT NULL UNIQUE,
 session_data BLOB DEFAULT NULL,uncompressed_session_data_size INTEGER NOT NULL DEFAULT 0,
 FOREIGN KEY(tab_uuid) REFERENCES tabs(uuid) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX tab_sessions__uuid ON tab_sessions (tab_uuid);
"""

# iOS 13/14: tab_sessions split out (schema 3, iOS 12), scenes (iOS 13), no tab groups nor profiles yet.
BROWSER_STATE_SCHEMA_IOS14 = """
CREATE TABLE browser_windows (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL,type INTEGER DEFAULT 0,
 active_document_index INTEGER DEFAULT 0,active_private_document_index INTEGER DEFAULT 0,
 active_document_is_valid BOOL DEFAULT 1,tab_state_successfully_loaded BOOL DEFAULT 0,
 legacy_plist_file_version INTEGER DEFAULT 0,scene_ID TEXT,CONSTRAINT uuid_type_index UNIQUE(uuid, type));
CREATE TABLE tabs (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL UNIQUE,title TEXT,url TEXT COLLATE NOCASE,
 user_visible_url TEXT COLLATE NOCASE,order_index INTEGER NOT NULL,last_viewed_time REAL DEFAULT NULL,
 readinglist_bookmark_id INTEGER DEFAULT 0,opened_from_link BOOL DEFAULT 0,showing_reader BOOL DEFAULT 0,
 reader_view_top_scroll_offset INTEGER DEFAULT 0,private_browsing BOOL DEFAULT 0,
 displaying_standalone_image BOOL DEFAULT 0,browser_window_uuid TEXT NOT NULL,browser_window_id INTEGER NOT NULL,
 FOREIGN KEY(browser_window_id) REFERENCES browser_windows(id) ON DELETE CASCADE);
CREATE INDEX tabs__uuid ON tabs (uuid);
CREATE TABLE tab_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT,tab_uuid TEXT NOT NULL UNIQUE,
 session_data BLOB DEFAULT NULL,uncompressed_session_data_size INTEGER NOT NULL DEFAULT 0,
 FOREIGN KEY(tab_uuid) REFERENCES tabs(uuid) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX tab_sessions__uuid ON tab_sessions (tab_uuid);
"""

# iOS 11 and earlier (schema version 2): the session blob still lives in the tabs table.
BROWSER_STATE_SCHEMA_IOS11 = """
CREATE TABLE browser_windows (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL,type INTEGER DEFAULT 0,
 active_document_index INTEGER DEFAULT 0,active_private_document_index INTEGER DEFAULT 0,
 active_document_is_valid BOOL DEFAULT 1,tab_state_successfully_loaded BOOL DEFAULT 0,
 legacy_plist_file_version INTEGER DEFAULT 0,CONSTRAINT uuid_type_index UNIQUE(uuid, type));
CREATE TABLE tabs (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL UNIQUE,title TEXT,url TEXT COLLATE NOCASE,
 user_visible_url TEXT COLLATE NOCASE,order_index INTEGER NOT NULL,last_viewed_time REAL DEFAULT NULL,
 readinglist_bookmark_id INTEGER DEFAULT 0,opened_from_link BOOL DEFAULT 0,showing_reader BOOL DEFAULT 0,
 reader_view_top_scroll_offset INTEGER DEFAULT 0,private_browsing BOOL DEFAULT 0,
 displaying_standalone_image BOOL DEFAULT 0,browser_window_uuid TEXT NOT NULL,browser_window_id INTEGER NOT NULL,
 session_data BLOB DEFAULT NULL,uncompressed_session_data_size INTEGER NOT NULL DEFAULT 0,
 FOREIGN KEY(browser_window_id) REFERENCES browser_windows(id) ON DELETE CASCADE);
"""

BROWSER_STATE_SCHEMAS = {"ios11": BROWSER_STATE_SCHEMA_IOS11, "ios14": BROWSER_STATE_SCHEMA_IOS14,
                         "ios17": BROWSER_STATE_SCHEMA_IOS17}
WINDOW_UUID = "6F1B8C52-3D0A-4B8E-9C3E-2F5A1D7E9B01"
CLOSED_WINDOW_UUID = "6F1B8C52-3D0A-4B8E-9C3E-2F5A1D7E9B02"


def safari_session_data(entries: list[dict[str, Any]], current_index: int | None = None,
                        version: int = 2) -> bytes:
    """A WebKit session state blob: a big-endian uint32 version, then a binary plist.

    Each entry is {url, original_url?, title?}; SessionHistoryEntryData holds WebKit's own
    encoded history item (an opaque blob starting with an unused uint64).
    """
    history_entries = []
    for entry in entries:
        item: dict[str, Any] = {
            "SessionHistoryEntryURL": entry["url"],
            "SessionHistoryEntryOriginalURL": entry.get("original_url", entry["url"]),
            "SessionHistoryEntryTitle": entry.get("title", ""),
            "SessionHistoryEntryData": b"\x00" * 8 + b"\x02\x00\x00\x00" + b"\x00" * 20,
            "SessionHistoryEntryShouldOpenExternalURLsPolicyKey": 1,
        }
        history_entries.append(item)
    session = {
        "SessionHistory": {
            "SessionHistoryVersion": 1,
            "SessionHistoryCurrentIndex": current_index if current_index is not None else max(len(entries) - 1, 0),
            "SessionHistoryEntries": history_entries,
        },
        "IsAppInitiated": False,
        "RenderTreeSize": 2311,
    }
    return struct.pack(">I", version) + plistlib.dumps(session, fmt=plistlib.FMT_BINARY)


def safari_browser_state_db(tabs: list[dict[str, Any]], variant: str = "ios17") -> bytes:
    """BrowserState.db. Each tab: uuid, title, url, last_viewed (datetime), private (bool),
    closed (bool: in the recently closed window), session (bytes blob or None), order_index;
    variant "ios17", "ios14" or "ios11"."""
    schema = BROWSER_STATE_SCHEMAS[variant]
    windows = [{"id": 1, "uuid": WINDOW_UUID, "type": 0}, {"id": 2, "uuid": CLOSED_WINDOW_UUID, "type": 2}]
    tab_rows, session_rows = [], []
    for index, tab in enumerate(tabs):
        row: dict[str, Any] = {
            "uuid": tab["uuid"], "title": tab.get("title"), "url": tab.get("url"),
            "user_visible_url": tab.get("user_visible_url", tab.get("url")),
            "order_index": tab.get("order_index", index),
            "last_viewed_time": apple_seconds(tab["last_viewed"]) if tab.get("last_viewed") else None,
            "opened_from_link": int(tab.get("opened_from_link", False)),
            "private_browsing": int(tab.get("private", False)),
            "browser_window_uuid": CLOSED_WINDOW_UUID if tab.get("closed") else WINDOW_UUID,
            "browser_window_id": 2 if tab.get("closed") else 1,
        }
        session = tab.get("session")
        if variant == "ios17":
            row["tab_group_uuid"] = tab.get("tab_group_uuid", "")
            row["profile_uuid"] = tab.get("profile_uuid", "")
        if variant == "ios11":
            row["session_data"] = session
        elif session is not None:
            session_rows.append({"tab_uuid": tab["uuid"], "session_data": session,
                                 "uncompressed_session_data_size": 0})
        tab_rows.append(row)
    rows: dict[str, list[Any]] = {"browser_windows": windows, "tabs": tab_rows}
    if variant != "ios11":
        rows["tab_sessions"] = session_rows
    return build_sqlite(schema + "PRAGMA user_version = 8;", rows)


# -- WebKit full_browsing_session_resourceLog.plist ------------------------------------------------

def webkit_resource_log_plist(statistics: list[dict[str, Any]], model_version: int = 17) -> bytes:
    """full_browsing_session_resourceLog.plist as WebKit's KeyedEncoder writes it.

    Each statistic: domain, last_seen (datetime), user_interaction (bool), redirects_to,
    redirects_from, subframe_under, subresource_under (lists of domains). Model 15 and later
    (iOS 13+) key the entry by PrevalentResourceDomain and list {"domain": d}; older models by
    PrevalentResourceOrigin with {"origin": d, "count": n}.
    """
    modern = model_version >= 15

    def domain_list(values: list[str]) -> list[dict[str, Any]]:
        if modern:
            return [{"domain": value} for value in values]
        return [{"origin": value, "count": 1} for value in values]

    lists = {
        "redirects_to": "topFrameUniqueRedirectsTo",
        "redirects_from": "topFrameUniqueRedirectsFrom",
        "subframe_under": "subframeUnderTopFrameDomains" if modern else "subframeUnderTopFrameOrigins",
        "subresource_under": "subresourceUnderTopFrameDomains" if modern else "subresourceUnderTopFrameOrigins",
    }
    encoded = []
    for stat in statistics:
        entry: dict[str, Any] = {
            ("PrevalentResourceDomain" if modern else "PrevalentResourceOrigin"): stat["domain"],
            "lastSeen": unix_seconds(stat["last_seen"]),
            "hadUserInteraction": bool(stat.get("user_interaction", False)),
            "mostRecentUserInteraction": unix_seconds(stat["interaction"]) if stat.get("interaction") else 0.0,
            "grandfathered": False,
            "isPrevalentResource": bool(stat.get("prevalent", False)),
            "isVeryPrevalentResource": False,
            "dataRecordsRemoved": 0,
            "timesAccessedAsFirstPartyDueToUserInteraction": 0,
            "timesAccessedAsFirstPartyDueToStorageAccessAPI": 0,
        }
        for key, label in lists.items():
            if stat.get(key):
                entry[label] = domain_list(stat[key])
        encoded.append(entry)
    document = {
        "version": model_version,
        "endOfGrandfatheringTimestamp": 1625133600.0,
        "browsingStatistics": encoded,
        "operatingDates": [{"date": 1625097600.0}],
    }
    return plistlib.dumps(document, fmt=plistlib.FMT_BINARY)


# -- WebKit ResourceLoadStatistics observations.db -------------------------------------------------

_OBSERVED_DOMAINS_IOS14 = """CREATE TABLE ObservedDomains (domainID INTEGER PRIMARY KEY,
 registrableDomain TEXT NOT NULL UNIQUE ON CONFLICT FAIL, lastSeen REAL NOT NULL, hadUserInteraction INTEGER NOT NULL,
 mostRecentUserInteractionTime REAL NOT NULL, grandfathered INTEGER NOT NULL, isPrevalent INTEGER NOT NULL,
 isVeryPrevalent INTEGER NOT NULL, dataRecordsRemoved INTEGER NOT NULL,
 timesAccessedAsFirstPartyDueToUserInteraction INTEGER NOT NULL,
 timesAccessedAsFirstPartyDueToStorageAccessAPI INTEGER NOT NULL);"""

_OBSERVED_DOMAINS_IOS17 = """CREATE TABLE ObservedDomains (domainID INTEGER PRIMARY KEY,
 registrableDomain TEXT NOT NULL UNIQUE ON CONFLICT FAIL, lastSeen REAL NOT NULL, hadUserInteraction INTEGER NOT NULL,
 mostRecentUserInteractionTime REAL NOT NULL, grandfathered INTEGER NOT NULL, isPrevalent INTEGER NOT NULL,
 isVeryPrevalent INTEGER NOT NULL, dataRecordsRemoved INTEGER NOT NULL,
 timesAccessedAsFirstPartyDueToUserInteraction INTEGER NOT NULL,
 timesAccessedAsFirstPartyDueToStorageAccessAPI INTEGER NOT NULL,
 isScheduledForAllButCookieDataRemoval INTEGER NOT NULL, mostRecentWebPushInteractionTime REAL NOT NULL);"""

_OBSERVATIONS_RELATIONS = """
CREATE TABLE TopLevelDomains (topLevelDomainID INTEGER PRIMARY KEY, CONSTRAINT fkDomainID FOREIGN KEY(topLevelDomainID)
 REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE TopFrameUniqueRedirectsTo (sourceDomainID INTEGER NOT NULL, toDomainID INTEGER NOT NULL,
 FOREIGN KEY(sourceDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE,
 FOREIGN KEY(toDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE TopFrameUniqueRedirectsFrom (targetDomainID INTEGER NOT NULL, fromDomainID INTEGER NOT NULL,
 FOREIGN KEY(targetDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE,
 FOREIGN KEY(fromDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE SubframeUnderTopFrameDomains (subFrameDomainID INTEGER NOT NULL, lastUpdated REAL NOT NULL,
 topFrameDomainID INTEGER NOT NULL);
CREATE TABLE SubresourceUnderTopFrameDomains (subresourceDomainID INTEGER NOT NULL, lastUpdated REAL NOT NULL,
 topFrameDomainID INTEGER NOT NULL);
CREATE TABLE OperatingDates (year INTEGER NOT NULL, month INTEGER NOT NULL, monthDay INTEGER NOT NULL);
"""


def observations_db(domains: list[dict[str, Any]], redirects: list[tuple[str, str]] = (),
                    subresources: list[tuple[str, str]] = (), variant: str = "ios17",
                    with_redirect_tables: bool = True) -> bytes:
    """observations.db. domains: {domain, last_seen, user_interaction?, interaction?, prevalent?};
    redirects: (from_domain, to_domain) top-frame redirects, stored in both directions' tables;
    subresources: (subresource_domain, top_frame_domain). variant "ios17" or "ios14"."""
    ids = {d["domain"]: index for index, d in enumerate(domains, start=1)}
    rows = []
    for d in domains:
        row = {
            "domainID": ids[d["domain"]], "registrableDomain": d["domain"],
            "lastSeen": unix_seconds(d["last_seen"]),
            "hadUserInteraction": int(d.get("user_interaction", False)),
            "mostRecentUserInteractionTime": unix_seconds(d["interaction"]) if d.get("interaction") else -1.0,
            "grandfathered": 0, "isPrevalent": int(d.get("prevalent", False)), "isVeryPrevalent": 0,
            "dataRecordsRemoved": 0, "timesAccessedAsFirstPartyDueToUserInteraction": 0,
            "timesAccessedAsFirstPartyDueToStorageAccessAPI": 0,
        }
        if variant == "ios17":
            row["isScheduledForAllButCookieDataRemoval"] = 0
            row["mostRecentWebPushInteractionTime"] = -1.0
        rows.append(row)
    schema = _OBSERVED_DOMAINS_IOS17 if variant == "ios17" else _OBSERVED_DOMAINS_IOS14
    tables: dict[str, list[Any]] = {"ObservedDomains": rows}
    if with_redirect_tables:
        schema += _OBSERVATIONS_RELATIONS
        tables["TopFrameUniqueRedirectsTo"] = [{"sourceDomainID": ids[a], "toDomainID": ids[b]} for a, b in redirects]
        tables["TopFrameUniqueRedirectsFrom"] = [{"targetDomainID": ids[b], "fromDomainID": ids[a]}
                                                 for a, b in redirects]
        tables["SubresourceUnderTopFrameDomains"] = [
            {"subresourceDomainID": ids[a], "lastUpdated": 1625133600.0, "topFrameDomainID": ids[b]}
            for a, b in subresources]
    return build_sqlite(schema, tables)


# -- Safari Favicons.db (Image Cache/Favicons) ----------------------------------------------------

# Safari's favicon store (SafariShared WBSFaviconProviderDatabaseController) as a fresh file is
# created: schema 1 tables, then migrations 2 (icon size), 3 (generated representations) and 4
# (rejected_resources) applied with ALTER/CREATE, which is the form SQLite keeps them in. Times
# are Cocoa seconds (timeIntervalSinceReferenceDate) written as doubles into INTEGER columns.
SAFARI_FAVICONS_SCHEMA_V1 = """
CREATE TABLE page_url (url TEXT NOT NULL ON CONFLICT FAIL UNIQUE ON CONFLICT REPLACE,uuid TEXT NOT NULL ON CONFLICT FAIL);
CREATE INDEX PageURLIndex ON page_url (url);
CREATE TABLE icon_info (uuid TEXT PRIMARY KEY NOT NULL,url TEXT NOT NULL,timestamp INTEGER);
CREATE TABLE database_info (key TEXT PRIMARY KEY NOT NULL,value TEXT NOT NULL);
"""

SAFARI_FAVICONS_SCHEMA_V4 = SAFARI_FAVICONS_SCHEMA_V1 + """
ALTER TABLE icon_info ADD width INTEGER DEFAULT 0;
ALTER TABLE icon_info ADD height INTEGER DEFAULT 0;
ALTER TABLE icon_info ADD has_generated_representations INTEGER DEFAULT 0;
CREATE TABLE rejected_resources (page_url TEXT NOT NULL ON CONFLICT FAIL,icon_url TEXT NOT NULL ON CONFLICT FAIL,
 timestamp INTEGER,UNIQUE(page_url, icon_url));
"""

SAFARI_FAVICONS_SCHEMAS = {"v1": SAFARI_FAVICONS_SCHEMA_V1, "v4": SAFARI_FAVICONS_SCHEMA_V4}


def safari_favicons_db(icons: list[dict[str, Any]], rejected: list[dict[str, Any]] = (),
                       variant: str = "v4") -> bytes:
    """Favicons.db. icons: {uuid, icon_url, page_urls: [...], saved (datetime), width?, height?,
    generated?}; rejected: {page_url, icon_url, rejected (datetime)}, kept only by schema v4.
    variant "v4" (current) or "v1" (no size columns, no rejected_resources)."""
    icon_rows, page_rows = [], []
    for icon in icons:
        row: dict[str, Any] = {"uuid": icon["uuid"], "url": icon["icon_url"], "timestamp": apple_seconds(icon["saved"])}
        if variant == "v4":
            row.update({"width": icon.get("width", 32), "height": icon.get("height", 32),
                        "has_generated_representations": int(icon.get("generated", False))})
        icon_rows.append(row)
        page_rows.extend({"url": page_url, "uuid": icon["uuid"]} for page_url in icon["page_urls"])
    rows: dict[str, list[Any]] = {"icon_info": icon_rows, "page_url": page_rows}
    if variant == "v4":
        rows["rejected_resources"] = [{"page_url": r["page_url"], "icon_url": r["icon_url"],
                                       "timestamp": apple_seconds(r["rejected"])} for r in rejected]
    return build_sqlite(SAFARI_FAVICONS_SCHEMAS[variant], rows)


# -- Chrome History and Favicons -------------------------------------------------------------------

CHROME_HISTORY_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,
 typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,
 from_visit INTEGER,external_referrer_url TEXT,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,
 visit_duration INTEGER DEFAULT 0 NOT NULL,incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,
 opener_visit INTEGER,originator_cache_guid TEXT,originator_visit_id INTEGER,originator_from_visit INTEGER,
 originator_opener_visit INTEGER,is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,
 consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL,visited_link_id INTEGER DEFAULT 0 NOT NULL,
 app_id TEXT);
CREATE TABLE visit_source(id INTEGER PRIMARY KEY,source INTEGER NOT NULL);
CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL,url_id INTEGER NOT NULL,term LONGVARCHAR NOT NULL,
 normalized_term LONGVARCHAR NOT NULL);
"""

# Chrome about 2019 (History version 42): no external referrer, opener nor originator columns.
CHROME_HISTORY_SCHEMA_2019 = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,
 typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit INTEGER,
 transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL,
 incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL);
"""


def chrome_history_db(urls: list[dict[str, Any]], visits: list[dict[str, Any]], variant: str = "2024") -> bytes:
    """Chrome History. urls: {id, url, title, visit_count?, last_visit}; visits: {id, url_id, visited
    (datetime), transition, from_visit?}. variant "2024" (version 68 columns) or "2019"."""
    schema = CHROME_HISTORY_SCHEMA if variant == "2024" else CHROME_HISTORY_SCHEMA_2019
    version = "68" if variant == "2024" else "42"
    url_rows = [{"id": u["id"], "url": u["url"], "title": u.get("title", ""), "visit_count": u.get("visit_count", 1),
                 "typed_count": u.get("typed_count", 0), "last_visit_time": webkit_microseconds(u["last_visit"]),
                 "hidden": 0} for u in urls]
    visit_rows = [{"id": v["id"], "url": v["url_id"], "visit_time": webkit_microseconds(v["visited"]),
                   "from_visit": v.get("from_visit", 0), "transition": v.get("transition", 0),
                   "segment_id": 0, "visit_duration": v.get("duration", 0)} for v in visits]
    return build_sqlite(schema, {"meta": [{"key": "version", "value": version}], "urls": url_rows,
                                 "visits": visit_rows})


CHROME_FAVICONS_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE icon_mapping(id INTEGER PRIMARY KEY,page_url LONGVARCHAR NOT NULL,icon_id INTEGER,page_url_type INTEGER DEFAULT 0);
CREATE TABLE favicons(id INTEGER PRIMARY KEY,url LONGVARCHAR NOT NULL,icon_type INTEGER DEFAULT 1);
CREATE TABLE favicon_bitmaps(id INTEGER PRIMARY KEY,icon_id INTEGER NOT NULL,last_updated INTEGER DEFAULT 0,
 image_data BLOB,width INTEGER DEFAULT 0,height INTEGER DEFAULT 0,last_requested INTEGER DEFAULT 0);
"""

# Older Favicons (version 7, about 2018): no page_url_type, no last_requested.
CHROME_FAVICONS_SCHEMA_2018 = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE icon_mapping(id INTEGER PRIMARY KEY,page_url LONGVARCHAR NOT NULL,icon_id INTEGER);
CREATE TABLE favicons(id INTEGER PRIMARY KEY,url LONGVARCHAR NOT NULL,icon_type INTEGER DEFAULT 1);
CREATE TABLE favicon_bitmaps(id INTEGER PRIMARY KEY,icon_id INTEGER NOT NULL,last_updated INTEGER DEFAULT 0,
 image_data BLOB,width INTEGER DEFAULT 0,height INTEGER DEFAULT 0);
"""

PNG_1X1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c63f8cf00000301010018dd8db00000000049454e44ae426082")


def chrome_favicons_db(icons: list[dict[str, Any]], variant: str = "2024") -> bytes:
    """Chrome Favicons. icons: {id, icon_url, page_urls: [...], updated (datetime), requested?}."""
    schema = CHROME_FAVICONS_SCHEMA if variant == "2024" else CHROME_FAVICONS_SCHEMA_2018
    favicons, bitmaps, mappings = [], [], []
    for icon in icons:
        favicons.append({"id": icon["id"], "url": icon["icon_url"], "icon_type": 1})
        bitmap = {"id": icon["id"], "icon_id": icon["id"], "last_updated": webkit_microseconds(icon["updated"]),
                  "image_data": PNG_1X1, "width": 16, "height": 16}
        if variant == "2024":
            bitmap["last_requested"] = webkit_microseconds(icon["requested"]) if icon.get("requested") else 0
        bitmaps.append(bitmap)
        for page_url in icon["page_urls"]:
            mappings.append({"id": len(mappings) + 1, "page_url": page_url, "icon_id": icon["id"]})
    return build_sqlite(schema, {"meta": [{"key": "version", "value": "8" if variant == "2024" else "7"}],
                                 "favicons": favicons, "favicon_bitmaps": bitmaps, "icon_mapping": mappings})


# -- Firefox browser.db ----------------------------------------------------------------------------

_FIREFOX_COMMON = """
CREATE TABLE domains (id INTEGER PRIMARY KEY AUTOINCREMENT, domain TEXT NOT NULL UNIQUE, showOnTopSites TINYINT NOT NULL DEFAULT 1);
CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT NOT NULL UNIQUE, url TEXT UNIQUE, title TEXT NOT NULL,
 server_modified INTEGER, local_modified INTEGER, is_deleted TINYINT NOT NULL, should_upload TINYINT NOT NULL,
 domain_id INTEGER REFERENCES domains(id) ON DELETE CASCADE, CONSTRAINT urlOrDeleted CHECK (url IS NOT NULL OR is_deleted = 1));
CREATE TABLE favicons (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE, width INTEGER, height INTEGER,
 type INTEGER NOT NULL, date REAL NOT NULL);
CREATE TABLE visits (id INTEGER PRIMARY KEY AUTOINCREMENT, siteID INTEGER NOT NULL REFERENCES history(id) ON DELETE CASCADE,
 date REAL NOT NULL, type INTEGER NOT NULL, is_local TINYINT NOT NULL, UNIQUE (siteID, date, type));
"""

# Schema v34 (Firefox iOS 10-11, 2017-2018): favicons linked to history rows by favicon_sites.
FIREFOX_SCHEMA_V34 = _FIREFOX_COMMON + """
CREATE TABLE favicon_sites (id INTEGER PRIMARY KEY AUTOINCREMENT, siteID INTEGER NOT NULL REFERENCES history(id)
 ON DELETE CASCADE, faviconID INTEGER NOT NULL REFERENCES favicons(id) ON DELETE CASCADE, UNIQUE (siteID, faviconID));
"""

# Schema v40+ (Firefox iOS 20+): favicons linked to page URLs by favicon_site_urls.
FIREFOX_SCHEMA_V40 = _FIREFOX_COMMON + """
CREATE TABLE favicon_sites (id INTEGER PRIMARY KEY AUTOINCREMENT, siteID INTEGER NOT NULL REFERENCES history(id)
 ON DELETE CASCADE, faviconID INTEGER NOT NULL REFERENCES favicons(id) ON DELETE CASCADE, UNIQUE (siteID, faviconID));
CREATE TABLE favicon_site_urls (id INTEGER PRIMARY KEY AUTOINCREMENT, site_url TEXT NOT NULL,
 faviconID INTEGER NOT NULL REFERENCES favicons(id) ON DELETE CASCADE, UNIQUE (site_url, faviconID));
"""


def firefox_browser_db(history: list[dict[str, Any]], visits: list[dict[str, Any]],
                       favicons: list[dict[str, Any]] = (), variant: str = "v40") -> bytes:
    """Firefox for iOS browser.db. history: {id, url, title, modified (datetime)}; visits: {id,
    site_id, visited (datetime), type}; favicons: {id, url, date (datetime), site_ids: [...],
    site_urls: [...]} (site_urls only land in v40's favicon_site_urls)."""
    schema = FIREFOX_SCHEMA_V40 if variant == "v40" else FIREFOX_SCHEMA_V34
    history_rows = [{"id": h["id"], "guid": f"guid{h['id']:08d}", "url": h["url"], "title": h.get("title", ""),
                     "server_modified": None, "local_modified": int(unix_seconds(h["modified"]) * 1000),
                     "is_deleted": 0, "should_upload": 1, "domain_id": None} for h in history]
    visit_rows = [{"id": v["id"], "siteID": v["site_id"], "date": int(unix_seconds(v["visited"]) * 1_000_000),
                   "type": v.get("type", 1), "is_local": 1} for v in visits]
    icon_rows, site_links, url_links = [], [], []
    for icon in favicons:
        icon_rows.append({"id": icon["id"], "url": icon["url"], "width": 32, "height": 32, "type": 1,
                          "date": unix_seconds(icon["date"])})
        site_links.extend({"siteID": site, "faviconID": icon["id"]} for site in icon.get("site_ids", ()))
        url_links.extend({"site_url": url, "faviconID": icon["id"]} for url in icon.get("site_urls", ()))
    rows: dict[str, list[Any]] = {"history": history_rows, "visits": visit_rows, "favicons": icon_rows,
                                  "favicon_sites": site_links}
    if variant == "v40":
        rows["favicon_site_urls"] = url_links
    return build_sqlite(schema + f"PRAGMA user_version = {40 if variant == 'v40' else 34};", rows)


# -- Shortcuts.sqlite ------------------------------------------------------------------------------

# iOS 15-18: actions hang off the shortcut through ZSHORTCUTACTIONS.ZSHORTCUT.
SHORTCUTS_SCHEMA_IOS16 = CORE_DATA_TABLES + """
CREATE TABLE ZSHORTCUT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZACTIONCOUNT INTEGER,
 ZHASSHORTCUTINPUTVARIABLES INTEGER, ZHIDDENFROMLIBRARYANDSYNC INTEGER, ZICONCOLOR INTEGER, ZICONGLYPH INTEGER,
 ZMINIMUMCLIENTVERSION INTEGER, ZTOMBSTONED INTEGER, ZACTIONS INTEGER, ZCREATIONDATE TIMESTAMP,
 ZLASTRUNEVENTDATE TIMESTAMP, ZMODIFICATIONDATE TIMESTAMP, ZACTIONSDESCRIPTION VARCHAR, ZASSOCIATEDAPPBUNDLEIDENTIFIER VARCHAR,
 ZGALLERYIDENTIFIER VARCHAR, ZNAME VARCHAR, ZSOURCE VARCHAR, ZWORKFLOWID VARCHAR, ZWORKFLOWSUBTITLE VARCHAR );
CREATE TABLE ZSHORTCUTACTIONS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSHORTCUT INTEGER, ZDATA BLOB );
"""

# Older stores (Shortcuts 2.x, iOS 12-13), modelled rather than copied from a device: fewer columns,
# and the one-to-one link kept only on ZSHORTCUT.ZACTIONS (Core Data may keep it on either side).
SHORTCUTS_SCHEMA_IOS13 = CORE_DATA_TABLES + """
CREATE TABLE ZSHORTCUT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZACTIONCOUNT INTEGER,
 ZICONCOLOR INTEGER, ZICONGLYPH INTEGER, ZTOMBSTONED INTEGER, ZACTIONS INTEGER, ZCREATIONDATE TIMESTAMP,
 ZMODIFICATIONDATE TIMESTAMP, ZNAME VARCHAR, ZWORKFLOWID VARCHAR );
CREATE TABLE ZSHORTCUTACTIONS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZDATA BLOB );
"""


def shortcut_actions_blob(actions: list[dict[str, Any]]) -> bytes:
    """ZSHORTCUTACTIONS.ZDATA: a binary plist array of {WFWorkflowActionIdentifier, WFWorkflowActionParameters}."""
    return plistlib.dumps([{"WFWorkflowActionIdentifier": a["identifier"],
                            "WFWorkflowActionParameters": a.get("parameters", {})} for a in actions],
                          fmt=plistlib.FMT_BINARY)


def shortcut_text_token(text: str) -> dict[str, Any]:
    """A Shortcuts text field holding plain text (WFTextTokenString without variables)."""
    return {"Value": {"string": text, "attachmentsByRange": {}}, "WFSerializationType": "WFTextTokenString"}


def shortcuts_db(shortcuts: list[dict[str, Any]], variant: str = "ios16") -> bytes:
    """Shortcuts.sqlite. shortcuts: {id, name, created, modified, description?, actions: bytes|None}."""
    schema = SHORTCUTS_SCHEMA_IOS16 if variant == "ios16" else SHORTCUTS_SCHEMA_IOS13
    shortcut_rows, action_rows = [], []
    for item in shortcuts:
        row: dict[str, Any] = {"Z_PK": item["id"], "Z_ENT": 5, "Z_OPT": 3, "ZACTIONCOUNT": item.get("action_count", 1),
                               "ZTOMBSTONED": 0, "ZACTIONS": item["id"], "ZNAME": item["name"],
                               "ZCREATIONDATE": apple_seconds(item["created"]),
                               "ZMODIFICATIONDATE": apple_seconds(item["modified"]),
                               "ZWORKFLOWID": f"{item['id']:08X}-0000-4000-8000-000000000000"}
        if variant == "ios16":
            row["ZACTIONSDESCRIPTION"] = item.get("description")
        shortcut_rows.append(row)
        if item.get("actions") is not None:
            action = {"Z_PK": item["id"], "Z_ENT": 6, "Z_OPT": 1, "ZDATA": item["actions"]}
            if variant == "ios16":
                action["ZSHORTCUT"] = item["id"]
            action_rows.append(action)
    return build_sqlite(schema, {"ZSHORTCUT": shortcut_rows, "ZSHORTCUTACTIONS": action_rows})


# -- WhatsApp ChatStorage.sqlite and ContactsV2.sqlite ---------------------------------------------

WHATSAPP_CHAT_SCHEMA = CORE_DATA_TABLES + """
CREATE TABLE ZWACHATSESSION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZARCHIVED INTEGER,
 ZCONTACTABID INTEGER, ZFLAGS INTEGER, ZHIDDEN INTEGER, ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER,
 ZSESSIONTYPE INTEGER, ZUNREADCOUNT INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER, ZLASTMESSAGEDATE TIMESTAMP,
 ZCONTACTIDENTIFIER VARCHAR, ZCONTACTJID VARCHAR, ZETAG VARCHAR, ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR,
 ZSAVEDINPUT VARCHAR );
CREATE TABLE ZWAGROUPMEMBER ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZISACTIVE INTEGER,
 ZISADMIN INTEGER, ZCHATSESSION INTEGER, ZCONTACTABID INTEGER, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTNAME VARCHAR,
 ZFIRSTNAME VARCHAR, ZMEMBERJID VARCHAR );
CREATE TABLE ZWAMESSAGE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCHILDMESSAGESDELIVEREDCOUNT INTEGER,
 ZDOCID INTEGER, ZENCRETRYCOUNT INTEGER, ZFILTEREDRECIPIENTCOUNT INTEGER, ZFLAGS INTEGER, ZGROUPEVENTTYPE INTEGER,
 ZISFROMME INTEGER, ZMESSAGEERRORSTATUS INTEGER, ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZSORT INTEGER,
 ZSPOTLIGHTSTATUS INTEGER, ZSTARRED INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, ZLASTSESSION INTEGER,
 ZMEDIAITEM INTEGER, ZMESSAGEINFO INTEGER, ZPARENTMESSAGE INTEGER, ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP,
 ZFROMJID VARCHAR, ZMEDIASECTIONID VARCHAR, ZPHASH VARCHAR, ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR,
 ZTOJID VARCHAR );
CREATE TABLE ZWAMEDIAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCLOUDSTATUS INTEGER,
 ZFILESIZE INTEGER, ZMEDIAORIGIN INTEGER, ZMOVIEDURATION INTEGER, ZMESSAGE INTEGER, ZASPECTRATIO FLOAT,
 ZHACCURACY FLOAT, ZLATITUDE FLOAT, ZLONGITUDE FLOAT, ZMEDIAURLDATE TIMESTAMP, ZAUTHORNAME VARCHAR,
 ZCOLLECTIONNAME VARCHAR, ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR, ZTITLE VARCHAR,
 ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR, ZXMPPTHUMBPATH VARCHAR, ZMEDIAKEY BLOB, ZMETADATA BLOB );
"""

# An older WhatsApp store (2.17-2.18 era), modelled: no ZSENTDATE, ZSTANZAID, group member link nor
# media URL column - the columns the module must do without.
WHATSAPP_CHAT_SCHEMA_2017 = CORE_DATA_TABLES + """
CREATE TABLE ZWACHATSESSION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSESSIONTYPE INTEGER,
 ZLASTMESSAGEDATE TIMESTAMP, ZCONTACTJID VARCHAR, ZPARTNERNAME VARCHAR );
CREATE TABLE ZWAMESSAGE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZISFROMME INTEGER,
 ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZCHATSESSION INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEDATE TIMESTAMP,
 ZFROMJID VARCHAR, ZPUSHNAME VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR );
CREATE TABLE ZWAMEDIAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZFILESIZE INTEGER,
 ZMESSAGE INTEGER, ZMEDIALOCALPATH VARCHAR, ZTITLE VARCHAR );
"""


def whatsapp_chat_storage_db(sessions: list[dict[str, Any]], messages: list[dict[str, Any]],
                             media: list[dict[str, Any]] = (), members: list[dict[str, Any]] = (),
                             variant: str = "2024") -> bytes:
    """ChatStorage.sqlite. sessions: {id, jid, name, type?}; messages: {id, session_id, from_me,
    date (datetime), text?, from_jid?, to_jid?, media_id?, member_id?, type?}; media: {id,
    message_id, url?, local_path?, title?, size?}; members: {id, session_id, jid, name}."""
    modern = variant == "2024"
    schema = WHATSAPP_CHAT_SCHEMA if modern else WHATSAPP_CHAT_SCHEMA_2017
    session_rows = [{"Z_PK": s["id"], "Z_ENT": 3, "Z_OPT": 1, "ZSESSIONTYPE": s.get("type", 0),
                     "ZCONTACTJID": s["jid"], "ZPARTNERNAME": s.get("name")} for s in sessions]
    message_rows = []
    for m in messages:
        row = {"Z_PK": m["id"], "Z_ENT": 9, "Z_OPT": 2, "ZISFROMME": int(m["from_me"]), "ZMESSAGESTATUS": 8,
               "ZMESSAGETYPE": m.get("type", 0), "ZCHATSESSION": m["session_id"], "ZMEDIAITEM": m.get("media_id"),
               "ZMESSAGEDATE": apple_seconds(m["date"]), "ZFROMJID": m.get("from_jid"), "ZTOJID": m.get("to_jid"),
               "ZTEXT": m.get("text"), "ZPUSHNAME": m.get("push_name")}
        if modern:
            row["ZSENTDATE"] = apple_seconds(m["date"])
            row["ZSTANZAID"] = m.get("stanza_id", f"3EB0{m['id']:016X}")
            row["ZGROUPMEMBER"] = m.get("member_id")
        message_rows.append(row)
    media_rows = []
    for item in media:
        row = {"Z_PK": item["id"], "Z_ENT": 8, "Z_OPT": 1, "ZMESSAGE": item["message_id"],
               "ZFILESIZE": item.get("size", 0), "ZMEDIALOCALPATH": item.get("local_path"), "ZTITLE": item.get("title")}
        if modern:
            row["ZMEDIAURL"] = item.get("url")
        media_rows.append(row)
    rows: dict[str, list[Any]] = {"ZWACHATSESSION": session_rows, "ZWAMESSAGE": message_rows,
                                  "ZWAMEDIAITEM": media_rows}
    if modern:
        rows["ZWAGROUPMEMBER"] = [{"Z_PK": g["id"], "Z_ENT": 6, "Z_OPT": 1, "ZCHATSESSION": g["session_id"],
                                   "ZMEMBERJID": g["jid"], "ZCONTACTNAME": g.get("name")} for g in members]
    return build_sqlite(schema, rows)


WHATSAPP_CONTACTS_SCHEMA = CORE_DATA_TABLES + """
CREATE TABLE ZWAADDRESSBOOKCONTACT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZABOUTTIMESTAMP INTEGER,
 ZISHIDDEN INTEGER, ZISSAVED INTEGER, ZPICTUREID INTEGER, ZSTATUS INTEGER, ZABOUTTEXT VARCHAR, ZBUSINESSNAME VARCHAR,
 ZFULLNAME VARCHAR, ZGIVENNAME VARCHAR, ZHIGHLIGHTEDNAME VARCHAR, ZIDENTIFIER VARCHAR, ZLID VARCHAR,
 ZPHONENUMBER VARCHAR, ZPHONENUMBERLABEL VARCHAR, ZUSERNAME VARCHAR, ZWHATSAPPID VARCHAR );
"""

# An older WhatsApp contacts store (about 2019), modelled: no LID, username, About nor business columns.
WHATSAPP_CONTACTS_SCHEMA_2019 = CORE_DATA_TABLES + """
CREATE TABLE ZWAADDRESSBOOKCONTACT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSTATUS INTEGER,
 ZFULLNAME VARCHAR, ZGIVENNAME VARCHAR, ZIDENTIFIER VARCHAR, ZPHONENUMBER VARCHAR, ZPHONENUMBERLABEL VARCHAR,
 ZWHATSAPPID VARCHAR );
"""


def whatsapp_contacts_db(contacts: list[dict[str, Any]], variant: str = "2024") -> bytes:
    """ContactsV2.sqlite. contacts: {id, name, phone, whatsapp_id?, label?, about?, about_time?, lid?}."""
    modern = variant == "2024"
    rows = []
    for c in contacts:
        row = {"Z_PK": c["id"], "Z_ENT": 1, "Z_OPT": 1, "ZFULLNAME": c.get("name"),
               "ZGIVENNAME": (c.get("name") or "").split(" ")[0] or None, "ZPHONENUMBER": c.get("phone"),
               "ZPHONENUMBERLABEL": c.get("label", "mobile"), "ZWHATSAPPID": c.get("whatsapp_id"),
               "ZIDENTIFIER": f"{c['id']:08X}-AAAA-4BBB-8CCC-DDDDDDDDDDDD:ABPerson"}
        if modern:
            row["ZABOUTTEXT"] = c.get("about")
            row["ZABOUTTIMESTAMP"] = int(apple_seconds(c["about_time"])) if c.get("about_time") else None
            row["ZLID"] = c.get("lid")
        rows.append(row)
    schema = WHATSAPP_CONTACTS_SCHEMA if modern else WHATSAPP_CONTACTS_SCHEMA_2019
    return build_sqlite(schema, {"ZWAADDRESSBOOKCONTACT": rows})


# Domains and paths, for tests and end-to-end builds.
SAFARI_DOMAIN = "HomeDomain"
SAFARI_APP_DOMAIN = "AppDomain-com.apple.mobilesafari"
BROWSER_STATE_PATH = "Library/Safari/BrowserState.db"
SAFARI_FAVICONS_PATH = "Library/Image Cache/Favicons/Favicons.db"
RESOURCE_LOG_PATH = "Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist"
RESOURCE_LOG_PATH_LEGACY = "Library/WebKit/WebsiteData/full_browsing_session_resourceLog.plist"
OBSERVATIONS_PATH = "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db"
CHROME_DOMAIN = "AppDomain-com.google.chrome.ios"
CHROME_HISTORY_PATH = "Library/Application Support/Google/Chrome/Default/History"
CHROME_FAVICONS_PATH = "Library/Application Support/Google/Chrome/Default/Favicons"
FIREFOX_DOMAIN = "AppDomainGroup-group.org.mozilla.ios.Firefox"
FIREFOX_PATH = "Profile.profile/browser.db"
SHORTCUTS_PATH = "Library/Shortcuts/Shortcuts.sqlite"
WHATSAPP_DOMAIN = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
WHATSAPP_CHAT_PATH = "ChatStorage.sqlite"
WHATSAPP_CONTACTS_PATH = "ContactsV2.sqlite"


def add_web_artifacts(builder: Any, link: str = "https://lnk.evil-cdn.com/a/7f3e",
                      when: datetime = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)) -> None:
    """Put every artifact of this file into a BackupBuilder, each showing `link` once, so an
    end-to-end test, the demo or a benchmark can check that every module surfaces it."""
    host = link.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    domain = ".".join(host.split(".")[-2:])
    builder.add_file(SAFARI_DOMAIN, BROWSER_STATE_PATH, safari_browser_state_db([
        {"uuid": "0D6C3A0E-4B7F-4B8A-8B3E-111111111111", "title": "News", "url": "https://news.example.org/",
         "last_viewed": when, "session": safari_session_data([{"url": link}, {"url": "https://news.example.org/"}])},
    ]))
    builder.add_file(SAFARI_DOMAIN, RESOURCE_LOG_PATH, webkit_resource_log_plist([
        {"domain": domain, "last_seen": when, "redirects_to": ["example.org"]}]))
    builder.add_file(SAFARI_DOMAIN, OBSERVATIONS_PATH, observations_db([
        {"domain": domain, "last_seen": when}, {"domain": "example.org", "last_seen": when}],
        redirects=[(domain, "example.org")]))
    builder.add_file(SAFARI_DOMAIN, SAFARI_FAVICONS_PATH, safari_favicons_db(
        [{"uuid": "5B0C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3", "icon_url": f"https://{host}/favicon.ico",
          "page_urls": [link], "saved": when}],
        [{"page_url": "https://news.example.org/", "icon_url": "https://news.example.org/favicon.ico",
          "rejected": when}]))
    builder.add_file(CHROME_DOMAIN, CHROME_HISTORY_PATH, chrome_history_db(
        [{"id": 1, "url": link, "title": "", "last_visit": when}],
        [{"id": 1, "url_id": 1, "visited": when, "transition": 0}]))
    builder.add_file(CHROME_DOMAIN, CHROME_FAVICONS_PATH, chrome_favicons_db(
        [{"id": 1, "icon_url": f"https://{host}/favicon.ico", "page_urls": [link], "updated": when}]))
    builder.add_file(FIREFOX_DOMAIN, FIREFOX_PATH, firefox_browser_db(
        [{"id": 1, "url": link, "title": "", "modified": when}], [{"id": 1, "site_id": 1, "visited": when}],
        [{"id": 1, "url": f"https://{host}/favicon.ico", "date": when, "site_ids": [1]}]))
    builder.add_file("HomeDomain", SHORTCUTS_PATH, shortcuts_db([
        {"id": 1, "name": "Open", "created": when, "modified": when,
         "actions": shortcut_actions_blob([{"identifier": "is.workflow.actions.openurl",
                                            "parameters": {"WFURLActionURL": shortcut_text_token(link)}}])}]))
    builder.add_file(WHATSAPP_DOMAIN, WHATSAPP_CHAT_PATH, whatsapp_chat_storage_db(
        [{"id": 1, "jid": "4915112345678@s.whatsapp.net", "name": "Parcel"}],
        [{"id": 1, "session_id": 1, "from_me": False, "date": when, "from_jid": "4915112345678@s.whatsapp.net",
          "text": f"Your parcel: {link}"}]))
    builder.add_file(WHATSAPP_DOMAIN, WHATSAPP_CONTACTS_PATH, whatsapp_contacts_db(
        [{"id": 1, "name": "Parcel", "phone": "+49 151 12345678", "whatsapp_id": "4915112345678@s.whatsapp.net"}]))


# -- Firefox places.db (application-services Places) -----------------------------------------------

FIREFOX_PLACES_PATH = "profile.profile/places.db"

# The history tables as application-services creates them (create_shared_schema.sql), v15-v16:
# unchanged since 2019. Bookmarks and origins are here because a real file carries them; bookmarked
# pages are moz_places rows that need not have any visit.
_FIREFOX_PLACES_COMMON = """
CREATE TABLE moz_places_tombstones (guid TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE moz_historyvisit_tombstones (place_id INTEGER NOT NULL, visit_date INTEGER NOT NULL,
 FOREIGN KEY(place_id) REFERENCES moz_places(id) ON DELETE CASCADE, PRIMARY KEY(place_id, visit_date));
CREATE TABLE moz_origins (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL, rev_host TEXT NOT NULL,
 frecency INTEGER NOT NULL, UNIQUE (prefix, host));
CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, fk INTEGER DEFAULT NULL, type INTEGER NOT NULL, parent INTEGER,
 position INTEGER NOT NULL, title TEXT, dateAdded INTEGER NOT NULL DEFAULT 0, lastModified INTEGER NOT NULL DEFAULT 0,
 guid TEXT NOT NULL UNIQUE, syncStatus INTEGER NOT NULL DEFAULT 0, syncChangeCounter INTEGER NOT NULL DEFAULT 1,
 FOREIGN KEY(fk) REFERENCES moz_places(id) ON DELETE RESTRICT);
CREATE TABLE moz_meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
CREATE INDEX placedateindex ON moz_historyvisits(place_id, visit_date);
CREATE INDEX dateindex ON moz_historyvisits(visit_date);
"""

_FIREFOX_PLACES_TABLES = """
CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR NOT NULL, title LONGVARCHAR,
 visit_count_local INTEGER NOT NULL DEFAULT 0, visit_count_remote INTEGER NOT NULL DEFAULT 0,
 hidden INTEGER DEFAULT 0 NOT NULL, typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,
 last_visit_date_local INTEGER NOT NULL DEFAULT 0, last_visit_date_remote INTEGER NOT NULL DEFAULT 0,
 guid TEXT NOT NULL UNIQUE, foreign_count INTEGER DEFAULT 0 NOT NULL, url_hash INTEGER DEFAULT 0 NOT NULL,
 description TEXT, preview_image_url TEXT, origin_id INTEGER, sync_status TINYINT NOT NULL DEFAULT 1,
 sync_change_counter INTEGER NOT NULL DEFAULT 0{places_extra},
 FOREIGN KEY(origin_id) REFERENCES moz_origins(id) ON DELETE CASCADE);
CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, is_local INTEGER NOT NULL, from_visit INTEGER,
 place_id INTEGER NOT NULL, visit_date INTEGER NOT NULL, visit_type INTEGER NOT NULL{visits_extra},
 FOREIGN KEY(place_id) REFERENCES moz_places(id) ON DELETE CASCADE,
 FOREIGN KEY(from_visit) REFERENCES moz_historyvisits(id));
"""

# v15/v16 (2021-2022: the file as the history migration of v107-v110 found it).
FIREFOX_PLACES_SCHEMA_V15 = _FIREFOX_PLACES_TABLES.format(places_extra="", visits_extra="") + _FIREFOX_PLACES_COMMON

# v17-v20 (2023 on): unknown_fields added to both history tables.
FIREFOX_PLACES_SCHEMA_V20 = _FIREFOX_PLACES_TABLES.format(
    places_extra=", unknown_fields TEXT", visits_extra=", unknown_fields TEXT") + _FIREFOX_PLACES_COMMON

# Modelled, not seen on a device: only the columns the module requires, so that every optional
# column is absent (a damaged or trimmed copy).
FIREFOX_PLACES_SCHEMA_MINIMAL = """
CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR NOT NULL);
CREATE TABLE moz_historyvisits (place_id INTEGER NOT NULL, visit_date INTEGER NOT NULL);
"""

FIREFOX_PLACES_SCHEMAS = {"v15": (FIREFOX_PLACES_SCHEMA_V15, 15), "v20": (FIREFOX_PLACES_SCHEMA_V20, 20),
                          "minimal": (FIREFOX_PLACES_SCHEMA_MINIMAL, 0)}


def unix_milliseconds(moment: datetime) -> int:
    return round(unix_seconds(moment) * 1000)


def firefox_places_db(places: list[dict[str, Any]], visits: list[dict[str, Any]],
                      variant: str = "v20") -> bytes:
    """Firefox for iOS places.db. places: {id, url, title?, last_local?, last_remote? (datetimes),
    local_visits?, remote_visits?, typed?, hidden?, bookmarked?}; visits: {id, place_id, visited
    (datetime), type?, is_local?, from_visit?}. Times are written in Unix milliseconds; variant
    "v20", "v15" or "minimal" (only id, url / place_id, visit_date are kept)."""
    schema, user_version = FIREFOX_PLACES_SCHEMAS[variant]
    place_rows, visit_rows = [], []
    for place in places:
        row: dict[str, Any] = {"id": place["id"], "url": place["url"]}
        if variant != "minimal":
            row.update({
                "title": place.get("title"), "guid": place.get("guid", f"place{place['id']:07d}"),
                "visit_count_local": place.get("local_visits", 0), "visit_count_remote": place.get("remote_visits", 0),
                "hidden": int(place.get("hidden", False)), "typed": place.get("typed", 0),
                "frecency": 100, "foreign_count": int(place.get("bookmarked", False)),
                "last_visit_date_local": unix_milliseconds(place["last_local"]) if place.get("last_local") else 0,
                "last_visit_date_remote": unix_milliseconds(place["last_remote"]) if place.get("last_remote") else 0,
                "sync_status": 1,
            })
        place_rows.append(row)
    for visit in visits:
        row = {"place_id": visit["place_id"], "visit_date": unix_milliseconds(visit["visited"])}
        if variant != "minimal":
            row.update({"id": visit["id"], "visit_type": visit.get("type", 1),
                        "is_local": int(visit.get("is_local", True)), "from_visit": visit.get("from_visit")})
        visit_rows.append(row)
    return build_sqlite(schema + f"PRAGMA user_version = {user_version};",
                        {"moz_places": place_rows, "moz_historyvisits": visit_rows})
