"""Firefox for iOS favicons (browser.db): icons fetched for visited pages, kept past history.

Reads:   AppDomainGroup-group.org.mozilla.ios.Firefox (also .Fennec, .FirefoxBeta)
         Profile.profile/browser.db. favicons: id, url, width, height, type, date (Unix
         seconds). Pages are linked by favicon_sites (siteID -> history.id, schema v4+) and,
         from schema v40 (Firefox 20, 2019), by favicon_site_urls (site_url, faviconID).
Yields:  one record per icon-to-page link (an icon with no link: one record without a page),
         timestamped when the icon was fetched; url observables for icon and page.
Seen:    Firefox for iOS until history moved to places.db (2022-2023), iOS 9-17.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._browsers import web_record
from spyglass.modules.ios._locations import firefox_profile_paths
from spyglass.records import Record, iso_utc, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="firefox_favicons",
    description="Firefox for iOS favicons of visited pages",
    paths=firefox_profile_paths('browser.db'),
    tables={"favicons": {"id", "url", "date"}},
    os_versions="iOS 9-17",
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    extra = ", ".join(["f.date", *db.present("favicons", ("width", "height", "type"), "f")])
    links = []
    if {"siteID", "faviconID"} <= db.columns("favicon_sites") and {"id", "url"} <= db.columns("history"):
        links.append("SELECT fs.faviconID AS icon_id, h.url AS page_url, h.id AS site_id, 'favicon_sites' AS link "
                     "FROM favicon_sites fs JOIN history h ON h.id = fs.siteID")
    if {"site_url", "faviconID"} <= db.columns("favicon_site_urls"):
        links.append("SELECT faviconID, site_url, NULL, 'favicon_site_urls' FROM favicon_site_urls")
    if links:
        linked = " UNION ALL ".join(links)
        query = (f"SELECT f.id AS icon_id, f.url AS icon_url, {extra}, l.page_url, l.site_id, l.link "
                 f"FROM favicons f LEFT JOIN ({linked}) l ON l.icon_id = f.id ORDER BY f.date, f.id, l.page_url")
    else:
        query = (f"SELECT f.id AS icon_id, f.url AS icon_url, {extra}, NULL AS page_url, NULL AS site_id, "
                 "NULL AS link FROM favicons f ORDER BY f.date, f.id")
    for row in db.rows(query):
        row = dict(row)
        icon_url, page_url = text_field(row["icon_url"]), text_field(row["page_url"])
        fetched_at = unix_time(row["date"])
        yield web_record(
            fetched_at, "icon fetched",
            f"Firefox favicon {icon_url or '(no URL)'}" + (f" for {page_url}" if page_url else ""),
            {
                "icon_id": row["icon_id"],
                "icon_url": icon_url,
                "page_url": page_url,
                "site_id": row["site_id"],
                "linked_by": row["link"],
                "width": row.get("width"),
                "height": row.get("height"),
                "icon_type": row.get("type"),
                "fetched": iso_utc(fetched_at),
                "date_raw": row["date"],
            },
            icon_url, page_url)
