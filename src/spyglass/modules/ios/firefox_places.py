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
from spyglass.extract import extract
from spyglass.modules import Artifact
from spyglass.modules.ios._locations import firefox_profile_paths
from spyglass.records import Record, iso_utc, observables, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="firefox_places",
    description="Firefox for iOS browsing history (places.db)",
    paths=firefox_profile_paths('places.db'),
    tables={"moz_places": {"id", "url"}, "moz_historyvisits": {"place_id", "visit_date"}},
    os_versions="iOS 15-18",
)

VISIT_TYPES = {1: "link", 2: "typed", 3: "bookmark", 4: "embed", 5: "permanent_redirect",
               6: "temporary_redirect", 7: "download", 8: "framed_link", 9: "reload", 10: "update_place"}

PLACE_COLUMNS = ("title", "guid", "hidden", "typed", "foreign_count", "visit_count_local",
                 "visit_count_remote", "last_visit_date_local", "last_visit_date_remote")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    place_columns, visit_columns = db.columns("moz_places"), db.columns("moz_historyvisits")
    place_part = _optional("p", place_columns, *PLACE_COLUMNS)
    visit_part = _optional("v", visit_columns, "id", "visit_type", "is_local", "from_visit")
    # The page a visit came from (a redirect chain, a link followed) is one more join away.
    from_join, from_url = "", "NULL AS from_url"
    if "from_visit" in visit_columns and "id" in visit_columns:
        from_join = ("LEFT JOIN moz_historyvisits f ON f.id = v.from_visit "
                     "LEFT JOIN moz_places fp ON fp.id = f.place_id")
        from_url = "fp.url AS from_url"
    query = (f"SELECT v.visit_date, {visit_part}, {from_url}, p.id AS place_id, p.url, {place_part} "
             f"FROM moz_historyvisits v JOIN moz_places p ON p.id = v.place_id {from_join} "
             "ORDER BY v.visit_date, v.place_id")
    for row in db.rows(query):
        url, title, came_from = text_field(row["url"]), text_field(row["title"]), text_field(row["from_url"])
        visited_at = unix_time(row["visit_date"])
        visit_type = VISIT_TYPES.get(row["visit_type"]) if isinstance(row["visit_type"], int) else None
        yield Record(
            timestamp=visited_at,
            timestamp_desc="visited",
            message=f"Firefox visit {url or '(no URL)'}" + (f" ({visit_type})" if visit_type else ""),
            fields={
                "visit_id": row["id"],
                "place_id": row["place_id"],
                "url": url,
                "title": title,
                "visited": iso_utc(visited_at),
                "visit_date_raw": row["visit_date"],
                "visit_type": visit_type or row["visit_type"],
                "is_local": _flag(row["is_local"]),
                "from_visit_id": row["from_visit"],
                "from_url": came_from,
                "guid": text_field(row["guid"]),
                "hidden": _flag(row["hidden"]),
            },
            observables=observables(("url", url), ("url", came_from), *extract(title)),
        )
    query = (f"SELECT p.id AS place_id, p.url, {place_part} FROM moz_places p "
             "WHERE p.id NOT IN (SELECT place_id FROM moz_historyvisits WHERE place_id IS NOT NULL) "
             "ORDER BY p.id")
    for row in db.rows(query):
        url, title = text_field(row["url"]), text_field(row["title"])
        local_raw, remote_raw = row["last_visit_date_local"], row["last_visit_date_remote"]
        local_at, remote_at = unix_time(local_raw), unix_time(remote_raw)
        # Visits expire or are cleared while the page row stays (bookmarked, or synced with
        # only its last date): the later of the two dates is the last visit known.
        last_at = max((moment for moment in (local_at, remote_at) if moment), default=None)
        where = None if last_at is None else ("local" if last_at == local_at else "remote")
        yield Record(
            timestamp=last_at,
            timestamp_desc="last visited",
            message=f"Firefox place {url or '(no URL)'} (no visit rows left"
                    + (f", last visited {where})" if where else ", never visited)"),
            fields={
                "place_id": row["place_id"],
                "url": url,
                "title": title,
                "guid": text_field(row["guid"]),
                "last_visited": iso_utc(last_at),
                "last_visit_source": where,
                "last_visit_date_local_raw": local_raw,
                "last_visit_date_remote_raw": remote_raw,
                "visit_count_local": row["visit_count_local"],
                "visit_count_remote": row["visit_count_remote"],
                "typed": row["typed"],
                "foreign_count": row["foreign_count"],
                "hidden": _flag(row["hidden"]),
            },
            observables=observables(("url", url), *extract(title)),
        )


def _optional(table: str, columns: set[str], *names: str) -> str:
    return ", ".join(f"{table}.{name}" if name in columns else f"NULL AS {name}" for name in names)


def _flag(value: object) -> bool | None:
    return bool(value) if isinstance(value, int) else None
