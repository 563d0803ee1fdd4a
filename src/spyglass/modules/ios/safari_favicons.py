"""Safari favicons (Favicons.db): the pages Safari cached an icon for, kept after history is cleared.

Reads:   HomeDomain Library/Image Cache/Favicons/Favicons.db (/private/var/mobile/Library/...,
         the older location) and the Safari container's copy (AppDomain-com.apple.mobilesafari;
         /private/var/mobile/Containers/Data/Application/<uuid>/Library/Image Cache/Favicons/,
         where file system dumps of iOS 12.4-18 have it). iTunes backups of iOS 13 and later
         mostly leave the file out: expect it in full file system dumps.
         page_url: url, uuid; icon_info: uuid, url (the icon's own URL), timestamp, and from
         schema 2 width, height, from schema 3 has_generated_representations; rejected_resources
         (schema 4): page_url, icon_url, timestamp, the icons Safari fetched and refused.
         Times are Cocoa seconds since 2001-01-01. icon_info.timestamp is set when the icon is
         stored and reset whenever another page is linked to it: the last link, not the first visit.
Yields:  one record per page-to-icon mapping (a page whose icon row is gone: one without icon),
         timestamped when the icon was last saved, and one per rejected resource, timestamped
         when rejected; url observables for the page and the icon.
Seen:    iOS 12-18.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._browsers import web_record
from spyglass.records import Record, iso_utc, text_field
from spyglass.timestamps import apple_time

FAVICONS_PATH = "Library/Image Cache/Favicons/Favicons.db"

ARTIFACT = Artifact(
    name="safari_favicons",
    description="Safari favicons of visited pages, and rejected icons",
    paths=('/private/var/mobile/Library/Image Cache/Favicons/Favicons.db',
           '/private/var/mobile/Containers/Data/Application/{com.apple.mobilesafari}/Library/Image Cache/Favicons/Favicons.db'),
    tables={"page_url": {"url", "uuid"}, "icon_info": {"uuid", "url", "timestamp"}},
    os_versions="iOS 12-18",
)

# Columns added by later schema versions; a file of an older version answers NULL for them.
SIZE_COLUMNS = ("width", "height", "has_generated_representations")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    sizes = "".join(f", {item}" for item in db.present("icon_info", SIZE_COLUMNS, "i"))
    query = (f"SELECT p.rowid AS row_id, p.url AS page_url, p.uuid, i.url AS icon_url, i.timestamp{sizes} "
             "FROM page_url p LEFT JOIN icon_info i ON i.uuid = p.uuid ORDER BY i.timestamp, p.url, p.rowid")
    for row in db.rows(query):
        row = dict(row)
        page_url, icon_url = text_field(row["page_url"]), text_field(row["icon_url"])
        saved_at = apple_time(row["timestamp"])
        yield web_record(
            saved_at, "icon last saved", f"Safari favicon {icon_url or '(no icon)'} for {page_url or '(no page)'}",
            {
                "table": "page_url",
                "row_id": row["row_id"],
                "page_url": page_url,
                "icon_url": icon_url,
                "icon_uuid": text_field(row["uuid"]),
                "width": row.get("width"),
                "height": row.get("height"),
                "has_generated_representations": row.get("has_generated_representations"),
                "saved": iso_utc(saved_at),
                "timestamp_raw": row["timestamp"],
            },
            page_url, icon_url)
    if not {"page_url", "icon_url", "timestamp"} <= db.columns("rejected_resources"):
        return
    query = ("SELECT rowid AS row_id, page_url, icon_url, timestamp FROM rejected_resources "
             "ORDER BY timestamp, page_url, rowid")
    for row in db.rows(query):
        page_url, icon_url = text_field(row["page_url"]), text_field(row["icon_url"])
        rejected_at = apple_time(row["timestamp"])
        yield web_record(
            rejected_at, "icon rejected",
            f"Safari rejected favicon {icon_url or '(no icon)'} for {page_url or '(no page)'}",
            {
                "table": "rejected_resources",
                "row_id": row["row_id"],
                "page_url": page_url,
                "icon_url": icon_url,
                "rejected": iso_utc(rejected_at),
                "timestamp_raw": row["timestamp"],
            },
            page_url, icon_url)
