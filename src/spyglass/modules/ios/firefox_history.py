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
from spyglass.modules import Artifact
from spyglass.modules.ios._browsers import FIREFOX_VISIT_TYPES, firefox_visit, web_record
from spyglass.modules.ios._locations import firefox_profile_paths
from spyglass.records import Record, flag, iso_utc, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="firefox_history",
    description="Firefox for iOS browsing history",
    paths=firefox_profile_paths('browser.db'),
    tables={"history": {"id", "url"}, "visits": {"siteID", "date"}},
    os_versions="iOS 9-17",
)

VISIT_TYPES = {**FIREFOX_VISIT_TYPES, 9: "recently_closed"}
HISTORY_COLUMNS = ("title", "guid", "is_deleted", "local_modified", "server_modified")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    history_part = ", ".join(["h.id AS site_id", "h.url", *db.present("history", HISTORY_COLUMNS, "h")])
    visit_part = ", ".join(["v.date AS visit_date",
                            *db.present("visits", {"id": "id", "type": "visit_type", "is_local": "is_local"}, "v")])
    query = (f"SELECT {visit_part}, {history_part} "
             "FROM visits v JOIN history h ON h.id = v.siteID ORDER BY v.date")
    for row in db.rows(query):
        row = dict(row)
        yield firefox_visit(row, VISIT_TYPES, "site_id", {"guid": text_field(row.get("guid")),
                                                          "is_deleted": flag(row.get("is_deleted"))})
    query = f"SELECT {history_part} FROM history h WHERE h.id NOT IN (SELECT siteID FROM visits) ORDER BY h.id"
    for row in db.rows(query):
        row = dict(row)
        url, title = text_field(row["url"]), text_field(row.get("title"))
        modified_raw = row.get("local_modified") or row.get("server_modified")
        modified_at = unix_time(modified_raw)
        yield web_record(
            modified_at, "last modified", f"Firefox history page {url or '(no URL)'} (no visit rows left)",
            {"site_id": row["site_id"], "url": url, "title": title, "guid": text_field(row.get("guid")),
             "modified": iso_utc(modified_at), "modified_raw": modified_raw,
             "is_deleted": flag(row.get("is_deleted"))},
            url, title=title)
