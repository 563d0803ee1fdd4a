"""WebKit resource load statistics database (observations.db): every site a WebKit view saw.

Reads:   Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db under HomeDomain
         (Safari), every app container (AppDomain-*, AppDomainGroup-*, AppDomainPlugin-*, incl.
         SystemData/com.apple.SafariViewService) and system containers.
         ObservedDomains: domainID, registrableDomain, lastSeen and mostRecentUserInteractionTime
         (Unix seconds, -1 for never), hadUserInteraction, isPrevalent, isVeryPrevalent,
         grandfathered, dataRecordsRemoved; isScheduledForAllButCookieDataRemoval and
         mostRecentWebPushInteractionTime on newer iOS. TopFrameUniqueRedirectsTo/From,
         SubframeUnderTopFrameDomains and SubresourceUnderTopFrameDomains link domains by ID.
Yields:  one record per observed domain, timestamped when last seen, with the domains it
         redirected to and from and the top frames it loaded under; a domain observable for each.
Seen:    iOS 13-18 (the database replaced the plist log in iOS 13).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.limits import MAX_SQLITE_VALUE_BYTES
from spyglass.modules import Artifact
from spyglass.modules.ios._locations import in_every_container
from spyglass.modules.ios._shared import wall_time, webkit_domain_record
from spyglass.records import Record, flag, iso_utc, text_field
from spyglass.sqlite import Database

DB_PATH = "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db"

ARTIFACT = Artifact(
    name="webkit_resource_load_statistics",
    description="WebKit resource load statistics: domains seen, redirects, third-party loads",
    paths=(f"/private/var/mobile/{DB_PATH}", *in_every_container(f"**/{DB_PATH}")),
    tables={"ObservedDomains": {"domainID", "registrableDomain", "lastSeen"}},
    os_versions="iOS 13-18",
)

OPTIONAL_COLUMNS = ("hadUserInteraction", "mostRecentUserInteractionTime", "grandfathered", "isPrevalent",
                    "isVeryPrevalent", "dataRecordsRemoved", "isScheduledForAllButCookieDataRemoval",
                    "mostRecentWebPushInteractionTime")
# Record field -> (table, column naming the observed domain, column naming the related domain).
RELATIONS = {
    "redirects_to": ("TopFrameUniqueRedirectsTo", "sourceDomainID", "toDomainID"),
    "redirects_from": ("TopFrameUniqueRedirectsFrom", "targetDomainID", "fromDomainID"),
    "subframe_under": ("SubframeUnderTopFrameDomains", "subFrameDomainID", "topFrameDomainID"),
    "subresource_under": ("SubresourceUnderTopFrameDomains", "subresourceDomainID", "topFrameDomainID"),
    "subresource_redirects_to": ("SubresourceUniqueRedirectsTo", "subresourceDomainID", "toDomainID"),
    "subresource_redirects_from": ("SubresourceUniqueRedirectsFrom", "subresourceDomainID", "fromDomainID"),
}
MAX_DOMAIN_CHARS = 2048


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = ["domainID", "registrableDomain", "lastSeen", *db.present("ObservedDomains", OPTIONAL_COLUMNS)]
    rows = [dict(zip(row.keys(), row, strict=True)) for row in db.rows(
        f"SELECT {', '.join(selected)} FROM ObservedDomains ORDER BY lastSeen, domainID")]
    names = {row["domainID"]: _domain(row["registrableDomain"]) for row in rows}
    related = {field: _relation(db, names, *spec) for field, spec in RELATIONS.items()}
    for row in rows:
        domain = names.get(row["domainID"])
        links = {field: related[field].get(row["domainID"], []) for field in RELATIONS}
        last_seen = wall_time(row["lastSeen"])
        interaction = wall_time(row.get("mostRecentUserInteractionTime"))
        fields: dict[str, Any] = {
            "domain_id": row["domainID"],
            "domain": domain,
            "last_seen": iso_utc(last_seen),
            "last_seen_raw": row["lastSeen"],
            "had_user_interaction": flag(row.get("hadUserInteraction")),
            "most_recent_user_interaction": iso_utc(interaction),
            "is_prevalent": flag(row.get("isPrevalent")),
            "is_very_prevalent": flag(row.get("isVeryPrevalent")),
            "grandfathered": flag(row.get("grandfathered")),
            "data_records_removed": row.get("dataRecordsRemoved"),
            "most_recent_web_push_interaction": iso_utc(wall_time(row.get("mostRecentWebPushInteractionTime"))),
            **links,
        }
        yield webkit_domain_record(domain, last_seen, links, fields)


def _relation(db: Database, names: dict[Any, str | None], table: str, own: str, other: str) -> dict[Any, list[str]]:
    """domainID -> related domain names, from a link table (absent on older iOS: empty)."""
    links: dict[Any, list[str]] = defaultdict(list)
    if not {own, other} <= db.columns(table):
        return links
    for row in db.rows(f'SELECT "{own}", "{other}" FROM "{table}" ORDER BY rowid'):
        name = names.get(row[1])
        if name and name not in links[row[0]]:
            links[row[0]].append(name)
    return links


def _domain(value: Any) -> str | None:
    """A registrable domain as stored, lowercased; None when blank or not text. Decoded whole (no
    SQLite value is longer than MAX_SQLITE_VALUE_BYTES): the blanks around it go before the cut."""
    text = text_field(value, MAX_SQLITE_VALUE_BYTES)
    return (text.strip().lower()[:MAX_DOMAIN_CHARS] or None) if text is not None else None
