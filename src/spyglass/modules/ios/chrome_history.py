"""Chrome for iOS browsing history: every visit, with how it was reached and redirect chains.

Reads:   AppDomain-com.google.chrome.ios Library/Application Support/Google/Chrome/<profile>/History
         (/private/var/mobile/Containers/Data/Application/<UUID>/Library/...).
         urls: id, url, title, visit_count, typed_count, last_visit_time, hidden;
         visits: id, url (-> urls.id), visit_time, from_visit (-> visits.id), transition,
         visit_duration. Times are WebKit microseconds since 1601-01-01.
         transition: core type in the low byte (link, typed, ...), qualifier bits above
         (forward/back, chain start/end, client and server redirect).
Yields:  one record per visit (visited), plus one per URL whose visits have expired
         (last visited); url observables for the page and the page it came from.
Seen:    Chrome for iOS 2018-2025 (History versions 40-68), iOS 12-18.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._browsers import visit, web_record
from spyglass.records import Record, iso_utc, text_field
from spyglass.timestamps import webkit_time

ARTIFACT = Artifact(
    name="chrome_history",
    description="Chrome for iOS browsing history",
    paths=('/private/var/mobile/Containers/Data/Application/{com.google.chrome.ios}/Library/Application Support/Google/Chrome/*/History',),
    tables={"urls": {"id", "url"}, "visits": {"id", "url", "visit_time"}},
    os_versions="iOS 12-18",
)

CORE_TRANSITIONS = {
    0: "link", 1: "typed", 2: "auto_bookmark", 3: "auto_subframe", 4: "manual_subframe", 5: "generated",
    6: "auto_toplevel", 7: "form_submit", 8: "reload", 9: "keyword", 10: "keyword_generated",
}
TRANSITION_QUALIFIERS = {
    0x00800000: "blocked", 0x01000000: "forward_back", 0x02000000: "from_address_bar", 0x04000000: "home_page",
    0x08000000: "from_api", 0x10000000: "chain_start", 0x20000000: "chain_end",
    0x40000000: "client_redirect", 0x80000000: "server_redirect",
}


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    url_columns, visit_columns = db.columns("urls"), db.columns("visits")
    title = db.present("urls", ("title",), "u")
    selected = ["v.id AS visit_id", "v.visit_time", "u.id AS url_id", "u.url", *title,
                *db.present("visits", ("transition", "visit_duration"), "v")]
    join = ""
    if "from_visit" in visit_columns:
        selected += ["v.from_visit AS from_visit", "pu.url AS from_url"]
        join = " LEFT JOIN visits pv ON pv.id = v.from_visit LEFT JOIN urls pu ON pu.id = pv.url"
    query = (f"SELECT {', '.join(selected)} "
             f"FROM visits v JOIN urls u ON u.id = v.url{join} ORDER BY v.visit_time, v.id")
    for row in db.rows(query):
        yield _visit(dict(zip(row.keys(), row, strict=True)))
    if "last_visit_time" in url_columns:
        selected = ["u.id AS url_id", "u.url", *title, "u.last_visit_time",
                    *db.present("urls", ("visit_count", "typed_count"), "u")]
        query = (f"SELECT {', '.join(selected)} "
                 "FROM urls u WHERE u.id NOT IN (SELECT url FROM visits) ORDER BY u.last_visit_time, u.id")
        for row in db.rows(query):
            yield _expired_url(dict(zip(row.keys(), row, strict=True)))


def _visit(row: dict[str, Any]) -> Record:
    url, title, from_url = text_field(row["url"]), text_field(row.get("title")), text_field(row.get("from_url"))
    visited_at = webkit_time(row["visit_time"])
    core, qualifiers = transition_names(row.get("transition"))
    note = ""
    if "server_redirect" in qualifiers or "client_redirect" in qualifiers:
        note = f" (redirect from {from_url})" if from_url else " (redirect)"
    elif from_url:
        note = f" (from {from_url})"
    return visit("Chrome", visited_at, {"visit_id": row["visit_id"], "url_id": row["url_id"]}, url, title, {
        "visit_time_raw": row["visit_time"],
        "transition": row.get("transition"),
        "transition_type": core,
        "transition_qualifiers": qualifiers,
        "from_visit": row.get("from_visit") or None,
        "from_url": from_url,
        "visit_duration_us": row.get("visit_duration"),
    }, note=note, came_from=from_url)


def _expired_url(row: dict[str, Any]) -> Record:
    url, title = text_field(row["url"]), text_field(row.get("title"))
    visited_at = webkit_time(row["last_visit_time"])
    return web_record(
        visited_at, "last visited", f"Chrome history URL {url or '(no URL)'} (no visit rows left)",
        {"url_id": row["url_id"], "url": url, "title": title, "last_visited": iso_utc(visited_at),
         "last_visit_time_raw": row["last_visit_time"], "visit_count": row.get("visit_count"),
         "typed_count": row.get("typed_count")},
        url, title=title)


def transition_names(value: Any) -> tuple[str | None, list[str]]:
    """Chrome's page transition: the core type and the qualifier flags set."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None, []
    value &= 0xFFFFFFFF
    core = CORE_TRANSITIONS.get(value & 0xFF, str(value & 0xFF))
    return core, [name for bit, name in TRANSITION_QUALIFIERS.items() if value & bit]
