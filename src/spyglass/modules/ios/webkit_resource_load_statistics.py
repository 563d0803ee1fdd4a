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
from spyglass.modules import Artifact
from spyglass.modules.ios._locations import in_every_container
from spyglass.records import Record, iso_utc, observables
from spyglass.sqlite import Database
from spyglass.timestamps import unix_time

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


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    columns = db.columns("ObservedDomains")
    present = [name for name in OPTIONAL_COLUMNS if name in columns]
    rows = [dict(zip(row.keys(), row, strict=True)) for row in db.rows(
        f"SELECT {', '.join(['domainID', 'registrableDomain', 'lastSeen', *present])} "
        "FROM ObservedDomains ORDER BY lastSeen, domainID")]
    names = {row["domainID"]: _text(row["registrableDomain"]) for row in rows}
    related = {field: _relation(db, names, *spec) for field, spec in RELATIONS.items()}
    for row in rows:
        domain = names.get(row["domainID"])
        links = {field: related[field].get(row["domainID"], []) for field in RELATIONS}
        last_seen = unix_time(_positive(row["lastSeen"]))
        interaction = unix_time(_positive(row.get("mostRecentUserInteractionTime")))
        message = f"WebKit saw {domain or '(no domain)'}"
        if links["redirects_from"]:
            message += f", redirected from {', '.join(links['redirects_from'][:5])}"
        if links["redirects_to"]:
            message += f", redirecting to {', '.join(links['redirects_to'][:5])}"
        fields: dict[str, Any] = {
            "domain_id": row["domainID"],
            "domain": domain,
            "last_seen": iso_utc(last_seen),
            "last_seen_raw": row["lastSeen"],
            "had_user_interaction": _flag(row.get("hadUserInteraction")),
            "most_recent_user_interaction": iso_utc(interaction),
            "is_prevalent": _flag(row.get("isPrevalent")),
            "is_very_prevalent": _flag(row.get("isVeryPrevalent")),
            "grandfathered": _flag(row.get("grandfathered")),
            "data_records_removed": row.get("dataRecordsRemoved"),
            "most_recent_web_push_interaction": iso_utc(
                unix_time(_positive(row.get("mostRecentWebPushInteractionTime")))),
            **links,
        }
        pairs = [("domain", domain)] + [("domain", d) for values in links.values() for d in values]
        yield Record(timestamp=last_seen, timestamp_desc="last seen", message=message, fields=fields,
                     observables=observables(*pairs))


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


def _positive(value: Any) -> Any:
    """-1 and 0 stand for "never" in this database."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    return value.strip().lower()[:2048] or None
