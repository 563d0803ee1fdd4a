"""Calendar: events and invitations, with their organizer and attendees.

Reads:   Calendar.sqlitedb, HomeDomain Library/Calendar/Calendar.sqlitedb
         (/private/var/mobile/Library/Calendar/). CalendarItem (summary, description, url,
         start_date, end_date, creation_date, last_modified in Apple seconds, hidden,
         has_attendees, invitation_status, organizer_id -> Participant.ROWID, calendar_id ->
         Calendar.ROWID), Participant (owner_id -> CalendarItem.ROWID, email, phone_number,
         type, status, role, is_self; entity_type 7 attendee, 8 organizer) and Calendar
         (title, store_id -> Store.name). Columns missing from older releases are skipped.
Yields:  one record per calendar item, timestamped when it was created on the phone (else
         its start); observables are the organizer's and attendees' emails and phones, the
         item url, and the urls, domains and emails in its title, notes and url (shared
         extractor). QuaDream's ENDOFDAYS exploit arrived as iCloud calendar invitations for
         events in the past: those are visible here as an organizer, a creation date after
         the start date, and possibly `hidden`.
Seen:    iOS 12 to 18 (iLEAPP, MVT).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.extract import extract
from spyglass.limits import MAX_FIELD_CHARS
from spyglass.modules import Artifact
from spyglass.records import Record, flag, iso_utc, observables
from spyglass.sqlite import Database
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="calendar",
    description="Calendar events and invitations",
    paths=('/private/var/mobile/Library/Calendar/Calendar.sqlitedb',),
    tables={"CalendarItem": {"ROWID", "summary", "start_date"}},
    os_versions="iOS 12-18",
)

ITEM_COLUMNS = ("summary", "description", "url", "start_date", "end_date", "creation_date",
                "last_modified", "all_day", "hidden", "has_attendees", "invitation_status", "status",
                "organizer_id", "self_attendee_id", "calendar_id", "UUID", "unique_identifier",
                "external_id", "entity_type", "conference_url", "junk_status")
PARTICIPANT_COLUMNS = ("ROWID", "owner_id", "email", "phone_number", "type", "status", "role",
                       "is_self", "entity_type", "comment")
MAX_PARTICIPANTS = 500


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    participants = _participants(db)
    calendars = _calendars(db)
    selected = ", ".join(db.present("CalendarItem", ITEM_COLUMNS))
    for row in db.rows(f"SELECT ROWID AS item_id, {selected} FROM CalendarItem ORDER BY ROWID"):
        yield _record(dict(row), participants, calendars)


def _participants(db: Database) -> dict[int, dict[str, Any]]:
    columns = db.columns("Participant")
    if not {"ROWID", "owner_id"} <= columns:
        return {}
    selected = ", ".join(db.present("Participant", PARTICIPANT_COLUMNS))
    return {row["ROWID"]: dict(row) for row in db.rows(f"SELECT {selected} FROM Participant ORDER BY ROWID")}


def _calendars(db: Database) -> dict[int, dict[str, Any]]:
    columns = db.columns("Calendar")
    if not {"ROWID", "title"} <= columns:
        return {}
    store = ""
    if "store_id" in columns and {"ROWID", "name"} <= db.columns("Store"):
        store = ", (SELECT s.name FROM Store s WHERE s.ROWID = c.store_id) AS store_name"
    return {row["ROWID"]: dict(row) for row in db.rows(f"SELECT c.ROWID, c.title{store} FROM Calendar c")}


def _person(participant: dict[str, Any]) -> dict[str, Any]:
    email = participant.get("email")
    return {
        "email": email.strip().lower() if isinstance(email, str) and email.strip() else None,
        "phone": participant.get("phone_number") or None,
        "type": participant.get("type"),
        "status": participant.get("status"),
        "role": participant.get("role"),
        "is_self": flag(participant.get("is_self")),
    }


def _record(row: dict[str, Any], participants: dict[int, dict[str, Any]],
            calendars: dict[int, dict[str, Any]]) -> Record:
    item_id = row["item_id"]
    organizer_row = participants.get(row.get("organizer_id")) if row.get("organizer_id") else None
    organizer = _person(organizer_row) if organizer_row else None
    attendees = [_person(p) for pid, p in participants.items()
                 if p.get("owner_id") == item_id and pid != row.get("organizer_id")][:MAX_PARTICIPANTS]
    created = apple_time(row.get("creation_date"))
    starts = apple_time(row.get("start_date"))
    calendar = calendars.get(row.get("calendar_id"), {})
    summary = _clip(row.get("summary"))
    description = _clip(row.get("description"))
    url = _clip(row.get("url"))
    people = ([organizer] if organizer else []) + attendees
    pairs = [("email", p["email"]) for p in people] + [("phone", p["phone"]) for p in people]
    found = observables(*pairs, ("url", url))
    for text in (summary, description, url, _clip(row.get("conference_url"))):
        found += extract(text)
    invited_by = f", invitation from {organizer['email'] or organizer['phone']}" if organizer else ""
    return Record(
        timestamp=created or starts,
        timestamp_desc="calendar item created" if created else "event starts",
        message=f"Calendar event {summary or '(no title)'!r} on {iso_utc(starts) or 'unknown date'}{invited_by}",
        fields={
            "item_id": item_id,
            "uuid": row.get("UUID"),
            "unique_identifier": row.get("unique_identifier"),
            "summary": summary,
            "description": description,
            "url": url,
            "conference_url": row.get("conference_url"),
            "start_date": iso_utc(starts),
            "end_date": iso_utc(apple_time(row.get("end_date"))),
            "creation_date": iso_utc(created),
            "last_modified": iso_utc(apple_time(row.get("last_modified"))),
            "all_day": flag(row.get("all_day")),
            "hidden": flag(row.get("hidden")),
            "has_attendees": flag(row.get("has_attendees")),
            "invitation_status": row.get("invitation_status"),
            "status": row.get("status"),
            "junk_status": row.get("junk_status"),
            "calendar_id": row.get("calendar_id"),
            "calendar_title": calendar.get("title"),
            "calendar_store": calendar.get("store_name"),
            "organizer": organizer,
            "attendees": attendees,
            "raw_start_date": row.get("start_date"),
            "raw_creation_date": row.get("creation_date"),
        },
        observables=tuple(dict.fromkeys(found)),
    )


def _clip(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:MAX_FIELD_CHARS] if text else None
