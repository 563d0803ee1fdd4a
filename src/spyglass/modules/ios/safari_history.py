"""Safari browsing history: every visit, with the redirects that led to or from it.

Reads:   History.db, HomeDomain Library/Safari/History.db (/private/var/mobile/Library/Safari/),
         the per-profile histories Library/Safari/Profiles/<uuid>/History.db (iOS 17+), and
         the app-container copy (AppDomain-com.apple.mobilesafari) some versions keep.
         `history_visits` joined with `history_items`; visit_time is Apple time in seconds.
         `redirect_source` / `redirect_destination` are ids of other visits, resolved here to
         their urls and times: a visit redirected within a second to an unrelated domain is
         how network injection (Pegasus) looked in Safari.
Yields:  one record per visit, timestamped when visited; observable the visited url.
Seen:    iOS 12 to 18.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._browsers import web_record
from spyglass.records import Record, flag, iso_utc, text_field
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="safari_history",
    description="Safari visits and redirects",
    paths=('/private/var/mobile/Library/Safari/History.db',
           '/private/var/mobile/Library/Safari/Profiles/*/History.db',
           '/private/var/mobile/Containers/Data/Application/{com.apple.mobilesafari}/Library/Safari/History.db'),
    tables={"history_items": {"id", "url"}, "history_visits": {"id", "history_item", "visit_time"}},
    os_versions="iOS 12-18",
)

OPTIONAL_VISIT_COLUMNS = ("title", "load_successful", "http_non_get", "origin", "redirect_source",
                          "redirect_destination")
PROFILE = re.compile(r"Safari/Profiles/([^/]+)/History\.db$")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    present = db.columns("history_visits")
    selected = "".join(f", {item}" for item in db.present("history_visits", OPTIONAL_VISIT_COLUMNS, "v"))
    redirects = ""
    for link, side in (("redirect_source", "src"), ("redirect_destination", "dst")):
        if link in present:
            selected += f', {side}_item.url AS "{link}_url", {side}.visit_time AS "{link}_time"'
            redirects += (f" LEFT JOIN history_visits {side} ON {side}.id = v.{link}"
                          f" LEFT JOIN history_items {side}_item ON {side}_item.id = {side}.history_item")
    query = (f"SELECT v.id AS visit_id, v.history_item AS item_id, v.visit_time AS visit_time, "
             f"i.url AS url{selected} FROM history_visits v "
             f"LEFT JOIN history_items i ON i.id = v.history_item{redirects} ORDER BY v.visit_time, v.id")
    match = PROFILE.search(file.source)
    profile = match.group(1) if match else None
    for row in db.rows(query):
        yield _record(dict(row), profile)


def _record(row: dict, profile: str | None) -> Record:
    url = text_field(row.get("url")) or None
    visited = apple_time(row.get("visit_time"))
    fields = {
        "visit_id": row.get("visit_id"),
        "item_id": row.get("item_id"),
        "url": url,
        "title": text_field(row.get("title")) or None,
        "visited_at": iso_utc(visited),
        "visit_time": row.get("visit_time"),
        "load_successful": flag(row.get("load_successful")),
        "http_non_get": flag(row.get("http_non_get")),
        "origin": row.get("origin"),
        "redirect_source": row.get("redirect_source"),
        "redirect_source_url": text_field(row.get("redirect_source_url")) or None,
        "redirect_source_time": row.get("redirect_source_time"),
        "redirect_destination": row.get("redirect_destination"),
        "redirect_destination_url": text_field(row.get("redirect_destination_url")) or None,
        "redirect_destination_time": row.get("redirect_destination_time"),
        "profile": profile,
    }
    message = f"Visited {url or '(no url)'}"
    if fields["redirect_destination_url"]:
        message += f", redirected to {fields['redirect_destination_url']}"
    return web_record(visited, "visited", message, fields, url)
