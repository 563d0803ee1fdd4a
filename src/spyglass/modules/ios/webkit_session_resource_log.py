"""WebKit resource load statistics log: every site WebKit saw load, and who redirected to whom.

Reads:   full_browsing_session_resourceLog.plist, written by WebKit's Intelligent Tracking
         Prevention in Safari, SafariViewController and every app's WKWebView:
         Library/WebKit/WebsiteData/ResourceLoadStatistics/ (iOS 12+) or
         Library/WebKit/WebsiteData/ (iOS 11) under HomeDomain, app containers (AppDomain-*,
         AppDomainGroup-*, AppDomainPlugin-*, incl. SystemData/com.apple.SafariViewService),
         system containers (SysContainerDomain-*, SysSharedContainerDomain-*) and web clips
         (Library/WebClips/*/Storage/).
         browsingStatistics: one dictionary per registrable domain, PrevalentResourceDomain
         (model 15+, iOS 13+) or PrevalentResourceOrigin (older), lastSeen and
         mostRecentUserInteraction (Unix seconds, WebKit WallTime), and lists of related domains
         ({"domain": d}, or {"origin": d, "count": n} before model 15): topFrameUniqueRedirectsTo/
         From, subframe/subresource under top frame, subresource redirects, link decorations.
Yields:  one record per domain, timestamped when WebKit last saw it; a domain observable for the
         domain and every domain it lists. An exploit server is seen here even when it only
         loaded in a hidden frame or bounced the browser on within milliseconds.
Seen:    iOS 11-18.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.extract import url_host
from spyglass.modules import Artifact
from spyglass.modules.ios._locations import in_every_container
from spyglass.modules.ios._shared import wall_time, webkit_domain_record
from spyglass.records import Record, iso_utc

LOG_NAME = "full_browsing_session_resourceLog.plist"

ARTIFACT = Artifact(
    name="webkit_session_resource_log",
    description="WebKit resource load statistics log: sites loaded and redirects between them",
    # iOS 11 kept the log in WebsiteData/, iOS 12+ in WebsiteData/ResourceLoadStatistics/.
    paths=(f"/private/var/mobile/Library/WebKit/WebsiteData/**/{LOG_NAME}",
           f"/private/var/mobile/Library/WebClips/*/Storage/{LOG_NAME}",
           *in_every_container(f"**/Library/WebKit/WebsiteData/**/{LOG_NAME}")),
    os_versions="iOS 11-18",
)

# Record field -> the keys WebKit has used for that list (model 15+ first).
RELATED_LISTS = {
    "redirects_to": ("topFrameUniqueRedirectsTo",),
    "redirects_from": ("topFrameUniqueRedirectsFrom",),
    "subframe_under": ("subframeUnderTopFrameDomains", "subframeUnderTopFrameOrigins"),
    "subresource_under": ("subresourceUnderTopFrameDomains", "subresourceUnderTopFrameOrigins"),
    "subresource_redirects_to": ("subresourceUniqueRedirectsTo",),
    "subresource_redirects_from": ("subresourceUniqueRedirectsFrom",),
    "storage_access_under": ("storageAccessUnderTopFrameDomains", "storageAccessUnderTopFrameOrigins"),
    "link_decorations_from": ("topFrameLinkDecorationsFrom",),
    "third_party_scripts": ("topFrameLoadedThirdPartyScripts",),
}
MAX_RELATED = 10_000
MAX_DOMAIN_CHARS = 2048


def parse(file: EvidenceFile) -> Iterator[Record]:
    document = file.plist_dict()
    statistics = document.get("browsingStatistics")
    if not isinstance(statistics, list):
        return
    model_version = document.get("version")
    for entry in statistics:
        if isinstance(entry, dict):
            yield _record(entry, model_version if isinstance(model_version, int) else None)


def _record(entry: dict[str, Any], model_version: int | None) -> Record:
    domain = _domain(entry.get("PrevalentResourceDomain")) or _domain(entry.get("PrevalentResourceOrigin"))
    related = {name: _domain_list(entry, keys) for name, keys in RELATED_LISTS.items()}
    last_seen = wall_time(entry.get("lastSeen"))
    interaction = wall_time(entry.get("mostRecentUserInteraction"))
    fields: dict[str, Any] = {
        "domain": domain,
        "last_seen": iso_utc(last_seen),
        "last_seen_raw": _raw(entry.get("lastSeen")),
        "had_user_interaction": bool(entry.get("hadUserInteraction")),
        "most_recent_user_interaction": iso_utc(interaction),
        "is_prevalent": bool(entry.get("isPrevalentResource")),
        "is_very_prevalent": bool(entry.get("isVeryPrevalentResource")),
        "grandfathered": bool(entry.get("grandfathered")),
        "data_records_removed": _raw(entry.get("dataRecordsRemoved")),
        "model_version": model_version,
        **related,
    }
    return webkit_domain_record(domain, last_seen, related, fields)


def _domain_list(entry: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    found: dict[str, None] = {}
    for key in keys:
        items = entry.get(key)
        if not isinstance(items, list):
            continue
        for item in items[:MAX_RELATED]:
            if isinstance(item, dict):
                item = item.get("domain", item.get("origin"))
            name = _domain(item)
            if name:
                found.setdefault(name, None)
    return list(found)


def _domain(value: Any) -> str | None:
    """A registrable domain as WebKit wrote it; an origin written as a URL gives its host."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()[:MAX_DOMAIN_CHARS]
    if "://" in value:
        return url_host(value)
    return value.lower()


def _raw(value: Any) -> Any:
    return value if isinstance(value, int | float | str) else None
