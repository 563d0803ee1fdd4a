"""What the browser modules (Safari, Chrome and Firefox for iOS) build alike: declared once here.

Not a module (the leading underscore keeps it out of discovery).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from spyglass.extract import extract
from spyglass.records import Record, flag, iso_utc, observables, text_field
from spyglass.timestamps import unix_time

# Firefox for iOS visit types 1-8, the same in browser.db and places.db (9 and up differ).
FIREFOX_VISIT_TYPES = {1: "link", 2: "typed", 3: "bookmark", 4: "embed", 5: "permanent_redirect",
                       6: "temporary_redirect", 7: "download", 8: "framed_link"}


def web_record(timestamp: datetime | None, timestamp_desc: str, message: str, fields: dict[str, Any],
               *urls: str | None, title: str | None = None) -> Record:
    """A record about web pages: url observables for `urls` in that order, then what `title` names."""
    return Record(timestamp=timestamp, timestamp_desc=timestamp_desc, message=message, fields=fields,
                  observables=observables(*(("url", url) for url in urls), *extract(title)))


def visit(browser: str, visited_at: datetime | None, ids: dict[str, Any], url: str | None, title: str | None,
          rest: dict[str, Any], *, note: str = "", came_from: str | None = None) -> Record:
    """One visit as Chrome and Firefox records it: the fields `ids`, then url, title and visited
    (ISO time), then `rest`; observables the url, the page it came from and what the title names.
    (Safari's visits name the time visited_at: see safari_history.)"""
    fields = {**ids, "url": url, "title": title, "visited": iso_utc(visited_at), **rest}
    return web_record(visited_at, "visited", f"{browser} visit {url or '(no URL)'}{note}", fields, url, came_from,
                      title=title)


def firefox_visit(row: Mapping[str, Any], visit_types: Mapping[int, str], page: str, rest: dict[str, Any],
                  came_from: str | None = None) -> Record:
    """A visit of Firefox for iOS, from browser.db or places.db, its row selected as: visit_date
    (Unix time), id, visit_type, is_local (any of these three may be absent), url, title and the
    page's id under the field name `page`; `rest` follows is_local."""
    url, title = text_field(row["url"]), text_field(row.get("title"))
    raw_type = row.get("visit_type")
    visit_type = visit_types.get(raw_type) if isinstance(raw_type, int) else None
    return visit(
        "Firefox", unix_time(row["visit_date"]), {"visit_id": row.get("id"), page: row[page]}, url, title,
        {"visit_date_raw": row["visit_date"], "visit_type": visit_type or raw_type,
         "is_local": flag(row.get("is_local")), **rest},
        note=f" ({visit_type})" if visit_type else "", came_from=came_from)
