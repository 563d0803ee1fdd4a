"""Firefox for iOS browsing history (places.db): every visit, and every page with no visit left.

Reads:   AppDomainGroup-group.org.mozilla.ios.Firefox (also .FirefoxBeta, .Fennec,
         .Fennec.enterprise) profile.profile/places.db, i.e.
         /private/var/mobile/Containers/Shared/AppGroup/<UUID>/profile.profile/places.db.
         The app names the directory "profile." + its profile name ("profile"); Profile.profile
         is matched too, as for browser.db. The database is application-services Places:
         moz_places: id, url, title, guid, hidden, typed, foreign_count (bookmark references),
         visit_count_local/_remote, last_visit_date_local/_remote (Unix ms, 0 = never);
         moz_historyvisits: id, place_id (-> moz_places.id), visit_date (Unix ms),
         visit_type, is_local (0 = came in by Sync), from_visit (-> moz_historyvisits.id).
         Visit types: 1 link, 2 typed, 3 bookmark, 4 embed, 5 permanent redirect,
         6 temporary redirect, 7 download, 8 framed link, 9 reload, 10 update place.
Yields:  one record per visit (visited) and one per page that has no visit row left (last
         visited; no timestamp for a page never visited, such as a bookmark); url
         observables, plus those found in titles.
Seen:    Places schema v15-v20 (unchanged history columns since 2019, unknown_fields added in
         v17). The file holds bookmarks from about 2020; history moved here from browser.db
         with the v107-v110 migration (late 2022 - 2023), iOS 15-18. Private tabs are not
         recorded.
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
    name="firefox_places",
    description="Firefox for iOS browsing history (places.db)",
    paths=firefox_profile_paths('places.db'),
    tables={"moz_places": {"id", "url"}, "moz_historyvisits": {"place_id", "visit_date"}},
    os_versions="iOS 15-18",
)

VISIT_TYPES = {**FIREFOX_VISIT_TYPES, 9: "reload", 10: "update_place"}

PLACE_COLUMNS = ("title", "guid", "hidden", "typed", "foreign_count", "visit_count_local",
                 "visit_count_remote", "last_visit_date_local", "last_visit_date_remote")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    visit_columns = db.columns("moz_historyvisits")
    place_part = ", ".join(["p.id AS place_id", "p.url", *db.present("moz_places", PLACE_COLUMNS, "p")])
    visit_part = ["v.visit_date", *db.present("moz_historyvisits", ("id", "visit_type", "is_local", "from_visit"), "v")]
    # The page a visit came from (a redirect chain, a link followed) is one more join away.
    from_join = ""
    if "from_visit" in visit_columns and "id" in visit_columns:
        from_join = ("LEFT JOIN moz_historyvisits f ON f.id = v.from_visit "
                     "LEFT JOIN moz_places fp ON fp.id = f.place_id")
        visit_part.append("fp.url AS from_url")
    query = (f"SELECT {', '.join(visit_part)}, {place_part} "
             f"FROM moz_historyvisits v JOIN moz_places p ON p.id = v.place_id {from_join} "
             "ORDER BY v.visit_date, v.place_id")
    for row in db.rows(query):
        row = dict(row)
        came_from = text_field(row.get("from_url"))
        yield firefox_visit(row, VISIT_TYPES, "place_id", {
            "from_visit_id": row.get("from_visit"),
            "from_url": came_from,
            "guid": text_field(row.get("guid")),
            "hidden": flag(row.get("hidden")),
        }, came_from)
    query = (f"SELECT {place_part} FROM moz_places p "
             "WHERE p.id NOT IN (SELECT place_id FROM moz_historyvisits WHERE place_id IS NOT NULL) "
             "ORDER BY p.id")
    for row in db.rows(query):
        row = dict(row)
        url, title = text_field(row["url"]), text_field(row.get("title"))
        local_raw, remote_raw = row.get("last_visit_date_local"), row.get("last_visit_date_remote")
        local_at, remote_at = unix_time(local_raw), unix_time(remote_raw)
        # Visits expire or are cleared while the page row stays (bookmarked, or synced with
        # only its last date): the later of the two dates is the last visit known.
        last_at = max((moment for moment in (local_at, remote_at) if moment), default=None)
        where = None if last_at is None else ("local" if last_at == local_at else "remote")
        yield web_record(
            last_at, "last visited",
            f"Firefox place {url or '(no URL)'} (no visit rows left"
            + (f", last visited {where})" if where else ", never visited)"),
            {
                "place_id": row["place_id"],
                "url": url,
                "title": title,
                "guid": text_field(row.get("guid")),
                "last_visited": iso_utc(last_at),
                "last_visit_source": where,
                "last_visit_date_local_raw": local_raw,
                "last_visit_date_remote_raw": remote_raw,
                "visit_count_local": row.get("visit_count_local"),
                "visit_count_remote": row.get("visit_count_remote"),
                "typed": row.get("typed"),
                "foreign_count": row.get("foreign_count"),
                "hidden": flag(row.get("hidden")),
            },
            url, title=title)
