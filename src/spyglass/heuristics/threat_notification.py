"""Apple threat notification received in Messages: Apple warned this person of a targeted attack.

Reads the `sms` records. Since 2021 Apple sends an iMessage (and an email from
threat-notifications@apple.com) to people it believes were targeted: first "Apple believes
you are being targeted by state-sponsored attackers...", since 2024 "Apple detected that you
are being targeted by a mercenary spyware attack...". It is a warning to read, not proof of
infection, but it is rare and serious: high.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="threat_notification",
    description="Apple threat notification received",
    modules=frozenset({"sms"}),
    keep=lambda record: is_notification(record),
)

# Phrases of Apple's own notification text, lower case, spaces and quotes normalised.
PHRASES = (
    "you are being targeted by a mercenary spyware attack",
    "you are being targeted by state-sponsored attackers",
    "targeted by a mercenary spyware attack that is trying to remotely compromise",
    "state-sponsored attackers who are trying to remotely compromise the iphone",
)
SENDERS = frozenset({"threat-notifications@apple.com", "threat-notifications@email.apple.com",
                     "threatnotifications@apple.com"})
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-", "\u00a0": " "})


def _sender(record: Record) -> str:
    return str(record.fields.get("handle") or "").lower().removeprefix("mailto:")


def is_notification(record: Record) -> bool:
    """A received message from Apple's threat-notification sender or with its wording."""
    if record.fields.get("is_from_me"):
        return False
    text = _SPACES.sub(" ", str(record.fields.get("text") or "").translate(_QUOTES).lower())
    return _sender(record) in SENDERS or any(phrase in text for phrase in PHRASES)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("sms", ()):
        if is_notification(record):
            handle = _sender(record)
            yield suspicious(
                HEURISTIC, record,
                "Apple threat notification received: Apple warned that this person is targeted by "
                "mercenary (state-sponsored) spyware. Read it and seek expert help; it is a warning, "
                "not proof of infection",
                severity="high",
                observable=Observable("email", handle) if handle in SENDERS else None)
