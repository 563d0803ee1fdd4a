"""Chrome for iOS favicons: the pages Chrome fetched an icon for, kept after history is cleared.

Reads:   AppDomain-com.google.chrome.ios Library/Application Support/Google/Chrome/<profile>/Favicons.
         icon_mapping: page_url, icon_id; favicons: id, url (the icon's own URL), icon_type;
         favicon_bitmaps: icon_id, last_updated, last_requested (newer) - WebKit microseconds
         since 1601-01-01. Very old databases kept last_updated in favicons itself.
Yields:  one record per page-to-icon mapping, timestamped when the icon was last fetched;
         url observables for the page and the icon.
Seen:    Chrome for iOS 2018-2025, iOS 12-18.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._browsers import web_record
from spyglass.records import Record, iso_utc, text_field
from spyglass.timestamps import webkit_time

ARTIFACT = Artifact(
    name="chrome_favicons",
    description="Chrome for iOS favicons of visited pages",
    paths=('/private/var/mobile/Containers/Data/Application/{com.google.chrome.ios}/Library/Application Support/Google/Chrome/*/Favicons',),
    tables={"icon_mapping": {"id", "page_url", "icon_id"}, "favicons": {"id", "url"}},
    os_versions="iOS 12-18",
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    bitmap_columns, icon_columns = db.columns("favicon_bitmaps"), db.columns("favicons")
    updated, requested, join = "NULL", "NULL", ""
    if {"icon_id", "last_updated"} <= bitmap_columns:
        # An icon has one bitmap per size; the newest fetch is the one that tells when.
        requested_expr = "MAX(last_requested)" if "last_requested" in bitmap_columns else "NULL"
        join = (" LEFT JOIN (SELECT icon_id, MAX(last_updated) AS last_updated, "
                f"{requested_expr} AS last_requested FROM favicon_bitmaps GROUP BY icon_id) b ON b.icon_id = f.id")
        updated, requested = "b.last_updated", "b.last_requested"
    elif "last_updated" in icon_columns:
        updated = "f.last_updated"
    icon_type = "".join(f", {item}" for item in db.present("favicons", ("icon_type",), "f"))
    query = (f"SELECT m.id AS mapping_id, m.page_url, f.id AS icon_id, f.url AS icon_url{icon_type}, "
             f"{updated} AS last_updated, {requested} AS last_requested "
             f"FROM icon_mapping m JOIN favicons f ON f.id = m.icon_id{join} ORDER BY {updated}, m.id")
    for row in db.rows(query):
        row = dict(row)
        page_url, icon_url = text_field(row["page_url"]), text_field(row["icon_url"])
        updated_at = webkit_time(row["last_updated"])
        yield web_record(
            updated_at, "icon last updated",
            f"Chrome favicon {icon_url or '(no URL)'} for {page_url or '(no page)'}",
            {
                "page_url": page_url,
                "icon_url": icon_url,
                "icon_id": row["icon_id"],
                "icon_type": row.get("icon_type"),
                "last_updated": iso_utc(updated_at),
                "last_updated_raw": row["last_updated"],
                "last_requested": iso_utc(webkit_time(row["last_requested"])),
            },
            page_url, icon_url)
