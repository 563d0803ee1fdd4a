from __future__ import annotations

from spyglass.heuristics import quadream_calendar
from spyglass.records import Observable, Record

SOURCE = "HomeDomain/Library/Calendar/Calendar.sqlitedb"
ME = {"email": "me@example.com", "phone": None, "type": 1, "status": 0, "role": 1, "is_self": True}


def _event(summary="Lunch", description=None, start="2021-08-01T10:00:00Z", created="2021-08-31T10:00:00Z",
           organizer="x@icloud.com", organizer_phone=None, hidden=False, organizer_self=False, attendees=(ME,)):
    person = None
    if organizer or organizer_phone:
        person = {"email": organizer, "phone": organizer_phone, "type": 1, "status": 0, "role": 0,
                  "is_self": organizer_self}
    return Record(timestamp=None, timestamp_desc="calendar item created", message="", module="calendar",
                  source=SOURCE, fields={"summary": summary, "description": description, "start_date": start,
                                         "creation_date": created, "hidden": hidden, "has_attendees": True,
                                         "organizer": person, "attendees": list(attendees)})


def _contact(emails=(), phones=()):
    return Record(timestamp=None, timestamp_desc="contact created", message="", module="contacts", source="",
                  fields={"emails": [{"value": e, "label": None} for e in emails],
                          "phones": [{"value": p, "label": None} for p in phones]})


def _check(events, contacts=()):
    return list(quadream_calendar.check({"calendar": list(events), "contacts": list(contacts)}))


def test_quadream_calendar_backdated_invitation_from_stranger():
    (found,) = _check([_event(hidden=True)])
    assert found.severity == "high"
    assert found.observable == Observable("email", "x@icloud.com")
    assert found.message == ("A calendar invitation from unknown sender x@icloud.com was for an event already past "
                             "when it arrived and hidden from view, as QuaDream spyware's ENDOFDAYS exploit was "
                             "delivered")


def test_quadream_calendar_meeting_notes_signature():
    (found,) = _check([_event(summary="Meeting", description="Notes", created="2021-08-01T09:00:00Z")])
    assert found.severity == "high"
    (own,) = _check([_event(summary="Meeting", description="Notes", organizer=None)])
    assert own.severity == "medium"


def test_quadream_calendar_hidden_invitation_medium():
    (found,) = _check([_event(start="2021-09-01T10:00:00Z", organizer=None, organizer_phone="+15550001111",
                              hidden=True)])
    assert found.severity == "medium"
    assert found.observable == Observable("phone", "+15550001111")


def test_quadream_calendar_near_misses():
    events = [
        _event(start="2021-09-01T10:00:00Z"),                            # future event from a stranger
        _event(organizer="friend@example.org"),                          # backdated, but a known contact
        _event(organizer_phone="+1 555 000 2222", organizer=None),       # known by phone, written differently
        _event(organizer="me@example.com"),                              # my own address as organizer
        _event(organizer_self=True),                                     # organized by the phone owner
        _event(organizer=None),                                          # my own event, entered afterwards
        _event(created="2021-08-01T12:00:00Z"),                          # a same-day late invitation
        _event(created=None),
    ]
    contacts = [_contact(emails=["Friend@Example.org"], phones=["+15550002222"])]
    assert _check(events, contacts) == []
