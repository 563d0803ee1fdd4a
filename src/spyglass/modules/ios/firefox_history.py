"""Firefox for iOS browsing history (browser.db): every visit and every history page.

Reads:   AppDomainGroup-group.org.mozilla.ios.Firefox (also .Fennec, .FirefoxBeta)
         Profile.profile/browser.db (/private/var/mobile/Containers/Shared/AppGroup/<UUID>/...).
         history: id, guid, url, title, local_modified and server_modified (Unix ms),
         is_deleted; visits: siteID (-> history.id), date (Unix microseconds), type, is_local.
         Visit types: 1 link, 2 typed, 3 bookmark, 4 embed, 5 permanent redirect,
         6 temporary redirect, 7 download, 8 framed link, 9 recently closed.
Yields:  one record per visit (visited) and one per history page that has no visit left
         (last modified); url observables.
Seen:    Firefox for iOS up to its 2022-2023 migration (browser.db schema v4-v44), iOS 9-17.
         Newer versions keep history in places.db (application-services, moz_places and
         moz_historyvisits, times in Unix ms), a separate artifact this module does not read.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.extract import extract
from spyglass.modules import Artifact
from spyglass.modules.ios._locations import firefox_profile_paths
from spyglass.records import Record, iso_utc, observables, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="firefox_history",
    description="Firefox for iOS browsing history",
    paths=firefox_profile_paths('browser.db'),
    tables={"history": {"id", "url"}, "visits": {"siteID", "date"}},
    os_versions="iOS 9-17",
)

VISIT_TYPES = {1: "link", 2: "typed", 3: "bookmark", 4: "embed", 5: "permanent_redirect",
               6: "temporary_redirect", 7: "download", 8: "framed_link", 9: "recently_closed"}


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    history_columns, visit_columns = db.columns("history"), db.columns("visits")

    def optional(table: str, columns: set[str], *names: str) -> str:
        return ", ".join(f"{table}.{n}" if n in columns else f"NULL AS {n}" for n in names)

    history_part = optional("h", history_columns, "title", "guid", "is_deleted", "local_modified", "server_modified")
    visit_part = optional("v", visit_columns, "id", "type", "is_local")
    query = (f"SELECT v.date, {visit_part}, h.id AS site_id, h.url, {history_part} "
             "FROM visits v JOIN history h ON h.id = v.siteID ORDER BY v.date")
    for row in db.rows(query):
        url, title = text_field(row["url"]), text_field(row["title"])
        visited_at = unix_time(row["date"])
        visit_type = VISIT_TYPES.get(row["type"]) if isinstance(row["type"], int) else None
        yield Record(
            timestamp=visited_at,
            timestamp_desc="visited",
            message=f"Firefox visit {url or '(no URL)'}" + (f" ({visit_type})" if visit_type else ""),
            fields={
                "visit_id": row["id"],
                "site_id": row["site_id"],
                "url": url,
                "title": title,
                "visited": iso_utc(visited_at),
                "visit_date_raw": row["date"],
                "visit_type": visit_type or row["type"],
                "is_local": None if row["is_local"] is None else bool(row["is_local"]),
                "guid": text_field(row["guid"]),
                "is_deleted": None if row["is_deleted"] is None else bool(row["is_deleted"]),
            },
            observables=observables(("url", url), *extract(title)),
        )
    query = (f"SELECT h.id AS site_id, h.url, {history_part} FROM history h "
             "WHERE h.id NOT IN (SELECT siteID FROM visits) ORDER BY h.id")
    for row in db.rows(query):
        url, title = text_field(row["url"]), text_field(row["title"])
        modified_raw = row["local_modified"] or row["server_modified"]
        modified_at = unix_time(modified_raw)
        yield Record(
            timestamp=modified_at,
            timestamp_desc="last modified",
            message=f"Firefox history page {url or '(no URL)'} (no visit rows left)",
            fields={"site_id": row["site_id"], "url": url, "title": title, "guid": text_field(row["guid"]),
                    "modified": iso_utc(modified_at), "modified_raw": modified_raw,
                    "is_deleted": None if row["is_deleted"] is None else bool(row["is_deleted"])},
            observables=observables(("url", url), *extract(title)),
        )




