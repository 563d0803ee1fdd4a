"""Calendar invitations shaped like QuaDream's ENDOFDAYS exploit.

Reads the `calendar` records, and the `contacts` records to tell known senders from unknown
ones. Citizen Lab and Microsoft (April 2023) found QuaDream's zero-click exploit ENDOFDAYS
delivered as invisible iCloud calendar invitations, many backdated: for events already in the
past when they arrived, so the phone showed no prompt or notification. MVT also
flags events titled "Meeting" with the notes "Notes" as a potential QuaDream exploit.
  - an invitation from a sender not in the contacts whose event started more than a day
    before the invitation reached the phone (creation date after start date): high;
  - an invitation titled "Meeting" with notes "Notes": high; such an event that is not an
    invitation: medium;
  - a hidden invitation from a sender not in the contacts: medium.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record, parse_iso

HEURISTIC = Heuristic(
    name="quadream_calendar",
    description="Calendar invitation shaped like QuaDream's ENDOFDAYS exploit",
    modules=frozenset({"calendar", "contacts"}),
)

BACKDATED_BY = timedelta(days=1)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    known = _known_handles(records.get("contacts", ()))
    for record in records.get("calendar", ()):
        fields = record.fields
        organizer = fields.get("organizer") if isinstance(fields.get("organizer"), dict) else None
        sender = _handle(organizer)
        invitation = bool(organizer) and organizer.get("is_self") is not True and not _is_own(fields, sender)
        unknown = invitation and not (sender and _forms(sender) & known)
        observable = Observable("email" if sender and "@" in sender else "phone", sender) if sender else None
        who = f"unknown sender {sender}" if sender else "an unknown sender"
        hidden = " and hidden from view" if fields.get("hidden") else ""
        if unknown and _backdated(fields):
            yield suspicious(
                HEURISTIC, record,
                f"A calendar invitation from {who} was for an event already past when it arrived{hidden}, "
                "as QuaDream spyware's ENDOFDAYS exploit was delivered",
                severity="high", observable=observable)
        elif fields.get("summary") == "Meeting" and fields.get("description") == "Notes":
            yield suspicious(
                HEURISTIC, record,
                "A calendar event titled \"Meeting\" with notes \"Notes\" matches the QuaDream spyware "
                "exploit invitations seen by researchers",
                severity="high" if invitation else "medium", observable=observable)
        elif unknown and fields.get("hidden"):
            yield suspicious(
                HEURISTIC, record,
                f"A hidden calendar invitation from {who} is on this phone; QuaDream spyware used "
                "invisible invitations",
                severity="medium", observable=observable)


def _handle(person: dict[str, Any] | None) -> str | None:
    if not person:
        return None
    return person.get("email") or person.get("phone") or None


def _is_own(fields: dict[str, Any], sender: str | None) -> bool:
    """Whether the organizer is one of the phone owner's own addresses (an attendee marked self)."""
    if not sender:
        return False
    own = {_handle(a) for a in fields.get("attendees") or () if isinstance(a, dict) and a.get("is_self")}
    return sender in own


def _backdated(fields: dict[str, Any]) -> bool:
    start, created = fields.get("start_date"), fields.get("creation_date")
    if not start or not created:
        return False
    try:
        return parse_iso(created) - parse_iso(start) > BACKDATED_BY
    except ValueError:
        return False


def _known_handles(contacts: Sequence[Record]) -> set[str]:
    known: set[str] = set()
    for record in contacts:
        for kind in ("emails", "phones"):
            for entry in record.fields.get(kind) or ():
                value = entry.get("value") if isinstance(entry, dict) else None
                if isinstance(value, str):
                    known |= _forms(value)
    return known


def _forms(handle: str) -> set[str]:
    """A handle as written (lowercased) and, for an international number, as + and digits."""
    text = handle.strip().lower()
    forms = {text}
    if text.startswith("+"):
        forms.add("+" + "".join(c for c in text if c.isdigit()))
    return forms
