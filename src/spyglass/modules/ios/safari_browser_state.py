"""Safari open tabs and each tab's back/forward history (BrowserState.db).

Reads:   HomeDomain and AppDomain-com.apple.mobilesafari Library/Safari/BrowserState.db
         (/private/var/mobile/Library/Safari/BrowserState.db, and the Safari container's copy).
         tabs: uuid, title, url, user_visible_url, last_viewed_time (Apple seconds),
         private_browsing, opened_from_link; tab_group_uuid (iOS 15+), profile_uuid (iOS 17+).
         The tab's session (tab_sessions.session_data from iOS 12, tabs.session_data on
         iOS 11 and earlier) is WebKit session state: a big-endian uint32 version, then a binary plist
         whose SessionHistory -> SessionHistoryEntries lists the pages of the tab's back/forward
         list (SessionHistoryEntryURL, SessionHistoryEntryOriginalURL, SessionHistoryEntryTitle).
         browser_windows.type 2 marks the window of recently closed tabs.
Yields:  one record per tab (last viewed) and one per back/forward entry, timestamped with the
         tab's last view (entries carry no time of their own). A page an exploit link opened
         stays in the tab's back list even after the attacker redirects the tab elsewhere.
         last_viewed_time is when Safari last saved the tab's session, which can be minutes or
         days away from the visit of the URL the row shows: a session time, not a visit time.
Seen:    iOS 11-18.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.ios._browsers import web_record
from spyglass.plists import load_plist
from spyglass.records import Record, iso_utc, text_field
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="safari_browser_state",
    description="Safari open tabs and their back/forward history",
    paths=('/private/var/mobile/Library/Safari/BrowserState.db',
           '/private/var/mobile/Containers/Data/Application/{com.apple.mobilesafari}/Library/Safari/BrowserState.db'),
    tables={"tabs": {"uuid", "url", "title", "last_viewed_time"}},
    os_versions="iOS 11-18",
)

OPTIONAL_TAB_COLUMNS = ("user_visible_url", "private_browsing", "opened_from_link", "browser_window_uuid",
                        "tab_group_uuid", "profile_uuid", "order_index")
MAX_ENTRIES_PER_TAB = 1000       # WebKit keeps 100; anything beyond is not a real back list
BPLIST_MAGIC = b"bplist00"
RECENTLY_CLOSED_WINDOW = 2         # browser_windows.type of the window holding recently closed tabs


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    tab_columns = db.columns("tabs")
    selected = ["tabs.uuid", "tabs.url", "tabs.title", "tabs.last_viewed_time"]
    selected += db.present("tabs", OPTIONAL_TAB_COLUMNS, "tabs")
    join = ""
    if {"tab_uuid", "session_data"} <= db.columns("tab_sessions"):
        selected.append("tab_sessions.session_data AS session_data")
        join = " LEFT JOIN tab_sessions ON tab_sessions.tab_uuid = tabs.uuid"
    elif "session_data" in tab_columns:     # iOS 11 and earlier kept the blob in the tabs row
        selected.append("tabs.session_data AS session_data")
    if "browser_window_id" in tab_columns and {"id", "type"} <= db.columns("browser_windows"):
        selected.append("browser_windows.type AS window_type")
        join += " LEFT JOIN browser_windows ON browser_windows.id = tabs.browser_window_id"
    order = "tabs.order_index" if "order_index" in tab_columns else "tabs.rowid"
    query = f"SELECT {', '.join(selected)} FROM tabs{join} ORDER BY tabs.last_viewed_time, {order}"
    for row in db.rows(query):
        yield from _tab_records(dict(zip(row.keys(), row, strict=True)))


def _tab_records(row: dict[str, Any]) -> Iterator[Record]:
    url, title = text_field(row.get("url")), text_field(row.get("title"))
    viewed_at = apple_time(row.get("last_viewed_time"))
    private = bool(row.get("private_browsing"))
    entries, current_index, session_error = session_history(row.get("session_data"))
    fields = {
        "tab_uuid": text_field(row.get("uuid")),
        "url": url,
        "title": title,
        "user_visible_url": text_field(row.get("user_visible_url")),
        "last_viewed": iso_utc(viewed_at),
        "last_viewed_raw": row.get("last_viewed_time"),
        "private_browsing": private,
        "opened_from_link": bool(row.get("opened_from_link")),
        "browser_window_uuid": text_field(row.get("browser_window_uuid")),
        "tab_group_uuid": text_field(row.get("tab_group_uuid")) or None,
        "profile_uuid": text_field(row.get("profile_uuid")) or None,
        "recently_closed": row.get("window_type") == RECENTLY_CLOSED_WINDOW if "window_type" in row else None,
        "history_entries": len(entries),
        "history_current_index": current_index,
    }
    if session_error:
        fields["session_data_error"] = session_error
    label = "private tab" if private else "tab"
    if fields["recently_closed"]:
        label = f"recently closed {label}"
    yield web_record(viewed_at, "tab last viewed", f"Safari {label} {url or '(no URL)'}" + (f" - {title}" if title else ""),
                     fields, url, fields["user_visible_url"], title=title)
    for index, entry in enumerate(entries):
        entry_url, original_url = entry["url"], entry["original_url"]
        redirected = original_url and original_url != entry_url
        note = " (current page)" if index == current_index else ""
        note += f" (first requested as {original_url})" if redirected else ""
        yield web_record(
            viewed_at, "tab last viewed",
            f"Safari {label} history entry {index + 1}/{len(entries)}: {entry_url or '(no URL)'}{note}",
            {
                "tab_uuid": fields["tab_uuid"],
                "tab_url": url,
                "entry_index": index,
                "is_current": index == current_index,
                "url": entry_url,
                "original_url": original_url,
                "title": entry["title"],
                "entry_data_size": entry["data_size"],
                "private_browsing": private,
                "last_viewed": fields["last_viewed"],
            },
            entry_url, original_url, title=entry["title"])


def session_history(blob: Any) -> tuple[list[dict[str, Any]], int | None, str | None]:
    """The back/forward entries of a session_data blob, the current index, and why it could not
    be read (None when it could, or when there is no blob)."""
    if not isinstance(blob, bytes) or not blob:
        return [], None, None
    # The plist follows a 4-byte version; search a little further in case the header changes.
    start = blob.find(BPLIST_MAGIC, 0, 64)
    if start < 0:
        blob = _inflate(blob)
        start = blob.find(BPLIST_MAGIC, 0, 64) if blob else -1
    if start < 0:
        return [], None, "session data holds no binary property list"
    try:
        state = load_plist(blob[start:], "session_data")
    except EvidenceError as exc:
        return [], None, str(exc)
    history = state.get("SessionHistory") if isinstance(state, dict) else None
    if not isinstance(history, dict):
        return [], None, "session data has no SessionHistory"
    raw_entries = history.get("SessionHistoryEntries")
    if not isinstance(raw_entries, list):
        raw_entries = []
    entries = []
    for item in raw_entries[:MAX_ENTRIES_PER_TAB]:
        if not isinstance(item, dict):
            continue
        data = item.get("SessionHistoryEntryData")
        entries.append({
            "url": text_field(item.get("SessionHistoryEntryURL")),
            "original_url": text_field(item.get("SessionHistoryEntryOriginalURL")),
            "title": text_field(item.get("SessionHistoryEntryTitle")),
            "data_size": len(data) if isinstance(data, bytes) else 0,
        })
    current = history.get("SessionHistoryCurrentIndex")
    current_index = current if isinstance(current, int) and not isinstance(current, bool) else None
    return entries, current_index, None


def _inflate(blob: bytes) -> bytes | None:
    """The blob deflated, if it is. The uncompressed_session_data_size column says Safari may
    store sessions compressed; Apple's Compression framework writes ZLIB as raw deflate."""
    for skip in (0, 4):
        for window in (-15, 15):
            try:
                inflater = zlib.decompressobj(window)
                data = inflater.decompress(blob[skip:], MAX_PLIST_BYTES)
            except zlib.error:
                continue
            if data:
                return data
    return None
