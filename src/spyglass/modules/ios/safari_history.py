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
from spyglass.limits import MAX_FIELD_CHARS
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
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
    optional = [c for c in OPTIONAL_VISIT_COLUMNS if c in present]
    selected = "".join(f', v."{c}" AS "{c}"' for c in optional)
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
    url = _text(row.get("url"))
    visited = apple_time(row.get("visit_time"))
    fields = {
        "visit_id": row.get("visit_id"),
        "item_id": row.get("item_id"),
        "url": url,
        "title": _text(row.get("title")),
        "visited_at": iso_utc(visited),
        "visit_time": row.get("visit_time"),
        "load_successful": _flag(row.get("load_successful")),
        "http_non_get": _flag(row.get("http_non_get")),
        "origin": row.get("origin"),
        "redirect_source": row.get("redirect_source"),
        "redirect_source_url": _text(row.get("redirect_source_url")),
        "redirect_source_time": row.get("redirect_source_time"),
        "redirect_destination": row.get("redirect_destination"),
        "redirect_destination_url": _text(row.get("redirect_destination_url")),
        "redirect_destination_time": row.get("redirect_destination_time"),
        "profile": profile,
    }
    message = f"Visited {url or '(no url)'}"
    if fields["redirect_destination_url"]:
        message += f", redirected to {fields['redirect_destination_url']}"
    return Record(timestamp=visited, timestamp_desc="visited", message=message, fields=fields,
                  observables=observables(("url", url)))


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)


def _text(value: object) -> str | None:
    return value[:MAX_FIELD_CHARS] if isinstance(value, str) and value else None
