"""Apple threat notification received in Messages: Apple warned this person of a targeted attack.

Reads the `sms` records. Since November 2021 Apple warns people it believes were targeted by
mercenary spyware with an iMessage from threat-notifications@apple.com, an email (from
threat-notifications@apple.com or threat-notifications@email.apple.com) and a banner at the top
of appleid.apple.com (account.apple.com). The wording changed over time:

- 2021 to 2023: "ALERT: State-sponsored attackers may be targeting your iPhone" and "Apple
  believes you are being targeted by state-sponsored attackers who are trying to remotely
  compromise the iPhone associated with your Apple ID";
- April 2024 on: "ALERT: Apple detected a targeted mercenary spyware attack against your
  iPhone" and "Apple detected that you are being targeted by a mercenary spyware attack that is
  trying to remotely compromise the iPhone associated with your Apple ID" ("Apple Account" from
  late 2024), also sent localised (Italian in April 2025).

Apple's support article on them is support.apple.com/102174 (formerly HT212960). A received
message from Apple's sender is a warning to read, not proof of infection, but rare and serious:
high. The wording from anyone else is surfaced as a possible lure imitating Apple's warning
(medium); the link alone from anyone else, which may just be someone sharing the page, as low.
Wordings are matched as word sequences, so case, quotes, dashes and line breaks do not matter,
and a message cut off after a distinctive second-person prefix still matches. A person's own
sent message and news about the warnings (which speak of "users", not "you", and do not carry
the notification's sentences) are not flagged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

SENDERS = frozenset({"threat-notifications@apple.com", "threat-notifications@email.apple.com"})
# Pre-filter: the shortest prefix taken of every wording, and every link, holds one of these
# (lower case), so a message without any is skipped before it is normalised.
MARKERS = ("targeted", "mercenar", "sponsored", "102174", "ht212960")
# Apple's article on threat notifications, with or without a locale or the old "kb/" path.
SUPPORT_LINK = re.compile(
    r"support\.apple\.com/(?:[a-z]{2,3}(?:[-_][a-z0-9]{2,4})*/)?(?:kb/)?(?:102174|ht212960)(?![0-9a-z])")
_DROPPED = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff'\u2018\u2019\u02bc`"), None)
_WORD = re.compile(r"[^\W_]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{2,}")


@dataclass(frozen=True)
class Wording:
    """A distinctive sentence of a notification, as words; `min_words` is the shortest prefix
    still taken for it when the message is cut off (a preview, a length limit)."""

    words: tuple[str, ...]
    min_words: int
    era: str

    @classmethod
    def of(cls, sentence: str, min_words: int, era: str) -> Wording:
        return cls(tuple(normalised_words(sentence)), min_words, era)


def normalised_words(text: str) -> list[str]:
    """The words of `text`, lower case: quotes, apostrophes, dashes, hyphens, line breaks and
    repeated spaces do not matter ("state‐sponsored", "state-sponsored", "state sponsored")."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).translate(_DROPPED).casefold())


STATE = "Apple's 2021-2023 warning about \"state-sponsored attackers\""
MERCENARY = "Apple's warning, used since 2024, about a \"mercenary spyware attack\""
# The prefixes kept are second person ("you are being targeted", "your iPhone"), which news
# about the warnings does not use; the sentences stop before "Apple ID"/"Apple Account".
WORDINGS = (
    Wording.of("State-sponsored attackers may be targeting your iPhone", 7, STATE),
    Wording.of("Apple believes you are being targeted by state-sponsored attackers who are trying to "
               "remotely compromise the iPhone associated with your Apple", 6, STATE),
    Wording.of("you are being targeted by state-sponsored attackers who are trying to remotely "
               "compromise the iPhone", 7, STATE),
    Wording.of("Apple detected a targeted mercenary spyware attack against your iPhone", 7, MERCENARY),
    Wording.of("Apple detected that you are being targeted by a mercenary spyware attack that is trying "
               "to remotely compromise the iPhone associated with your Apple", 7, MERCENARY),
    Wording.of("you are being targeted by a mercenary spyware attack that is trying to remotely "
               "compromise the iPhone", 7, MERCENARY),
    Wording.of("Apple ha rilevato un attacco spyware mercenario mirato contro il tuo iPhone", 7, MERCENARY),
)


def _address(value: object) -> str:
    return str(value or "").strip().lower().removeprefix("mailto:").removeprefix("tel:")


def _sender(record: Record) -> str:
    """The other party; Apple's address also when only the conversation names it (no handle)."""
    handle = _address(record.fields.get("handle"))
    chat = _address(record.fields.get("chat_identifier"))
    return chat if not handle and chat in SENDERS else handle


def _text(record: Record) -> str:
    text = record.fields.get("text")
    return text if isinstance(text, str) else ""


def is_candidate(record: Record) -> bool:
    """Cheap test run on every message: received, and from Apple's sender or holding a marker."""
    if record.fields.get("is_from_me"):
        return False
    if _sender(record) in SENDERS:
        return True
    text = _text(record).lower()
    return any(marker in text for marker in MARKERS) or any(
        o.type == "url" and ("102174" in o.value or "ht212960" in o.value.lower()) for o in record.observables)


def _says(words: list[str], joined: str, wording: Wording) -> bool:
    """The wording in full, or the message ending partway through it (last word maybe cut)."""
    if f" {' '.join(wording.words)} " in joined:
        return True
    if not words:
        return False
    last = words[-1]
    for count in range(wording.min_words, len(wording.words)):
        if words[-count:] == list(wording.words[:count]):
            return True
        if (len(words) > count and wording.words[count].startswith(last)
                and words[-count - 1:-1] == list(wording.words[:count])):
            return True
    return False


def matched_wording(text: str) -> Wording | None:
    """The first notification wording `text` carries, or None."""
    words = normalised_words(text)
    joined = f" {' '.join(words)} "
    return next((wording for wording in WORDINGS if _says(words, joined, wording)), None)


def has_support_link(record: Record) -> bool:
    links = [unicodedata.normalize("NFKC", _text(record)).lower()]
    links += [o.value.lower() for o in record.observables if o.type == "url"]
    return any(SUPPORT_LINK.search(link) for link in links)


def _party(sender: str) -> Observable | None:
    if "@" in sender:
        return Observable("email", sender)
    return Observable("phone", sender) if _PHONE.fullmatch(sender) else None


HEURISTIC = Heuristic(
    name="threat_notification",
    description="Apple threat notification received, or a message imitating one",
    modules=frozenset({"sms"}),
    keep=is_candidate,
)

RECEIVED = ("Apple threat notification received: Apple warned that this person is targeted by "
            "mercenary (state-sponsored) spyware. Read it and seek expert help; it is a warning, "
            "not proof of infection")
CHECK_YOURSELF = ("Do not click links in it; to see whether Apple really warned you, sign in at "
                  "appleid.apple.com yourself (a real warning shows at the top of the page)")


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("sms", ()):
        if not is_candidate(record):
            continue
        sender = _sender(record)
        if sender in SENDERS:
            yield suspicious(HEURISTIC, record, RECEIVED, severity="high",
                             observable=Observable("email", sender))
            continue
        origin = f"sender: {sender}" if sender else "sender unknown"
        wording = matched_wording(_text(record))
        if wording is not None:
            yield suspicious(
                HEURISTIC, record,
                f"Possible lure imitating Apple's threat notification: this message copies the text of "
                f"{wording.era}, but it did not come from Apple ({origin}), so it may be a phishing "
                f"lure. {CHECK_YOURSELF}",
                severity="medium", observable=_party(sender))
        elif has_support_link(record):
            yield suspicious(
                HEURISTIC, record,
                f"Link to Apple's page on threat notifications in a message that did not come from "
                f"Apple ({origin}): someone may be sharing the page, or it may be a lure imitating "
                f"Apple's spyware warning. {CHECK_YOURSELF}",
                severity="low", observable=_party(sender))
