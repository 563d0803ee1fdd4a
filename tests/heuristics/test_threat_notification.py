from __future__ import annotations

import json

import pytest

from spyglass.check import check as run_check
from spyglass.extract import extract
from spyglass.heuristics import threat_notification
from spyglass.indicators.index import IndicatorIndex
from spyglass.modules.ios import sms
from spyglass.records import Observable, Record
from tests.builders.ios_artifacts_core import add_sms, run_module, sms_rows, typedstream_string
from tests.builders.ios_backup import BackupBuilder

APPLE = "threat-notifications@apple.com"
STRANGER = "+41791112233"
NOTICE_2024 = ("ALERT: Apple detected a targeted mercenary spyware attack against your iPhone.\n"
               "Apple detected that you are being targeted by a mercenary spyware attack that is trying "
               "to remotely compromise the iPhone associated with your Apple Account -xxx-.")
NOTICE_2021 = ("Apple believes you are being targeted by state\u2010sponsored attackers who are trying to "
               "remotely compromise the iPhone associated with your Apple ID.")
STATE = "Apple's 2021-2023 warning about \"state-sponsored attackers\""
MERCENARY = "Apple's warning, used since 2024, about a \"mercenary spyware attack\""
CHECK_YOURSELF = ("Do not click links in it; to see whether Apple really warned you, sign in at "
                  "appleid.apple.com yourself (a real warning shows at the top of the page)")
RECEIVED = ("Apple threat notification received: Apple warned that this person is targeted by "
            "mercenary (state-sponsored) spyware. Read it and seek expert help; it is a warning, "
            "not proof of infection")


def lure(era: str, sender: str = STRANGER) -> str:
    return (f"Possible lure imitating Apple's threat notification: this message copies the text of {era}, "
            f"but it did not come from Apple (sender: {sender}), so it may be a phishing lure. {CHECK_YOURSELF}")


def link_only(sender: str = STRANGER) -> str:
    return (f"Link to Apple's page on threat notifications in a message that did not come from Apple "
            f"(sender: {sender}): someone may be sharing the page, or it may be a lure imitating Apple's "
            f"spyware warning. {CHECK_YOURSELF}")


def message(text: str | None, handle: str | None = STRANGER, *, from_me: bool = False) -> Record:
    """A Messages record as the sms module yields it: the other party and the text's observables."""
    return Record(timestamp=None, timestamp_desc="message received", message="",
                  fields={"message_id": 1, "text": text, "handle": handle, "is_from_me": from_me,
                          "service": "iMessage"},
                  observables=sms.handle_observables(handle) + extract(text))


def findings(*records: Record) -> list[tuple[str, str, Observable | None]]:
    kept = [record for record in records if threat_notification.HEURISTIC.keep(record)]
    return [(d.severity, d.message, d.observable) for d in threat_notification.check({"sms": kept})]


# Each wording Apple has used, with where it was reported.
WORDINGS = [
    # Nov 2021, first wave (Thai activists): email quoted by The Independent, 26 Nov 2021, and
    # The Guardian, 25 Nov 2021.
    pytest.param("Apple believes you are being targeted by state-sponsored attackers who are trying to remotely "
                 "compromise the iPhone. These attackers are likely targeting you individually because of who "
                 "you are or what you do.", STATE, id="2021-body"),
    # Oct 2023 (India): subject of the email and iMessage, Livemint and OpIndia, 31 Oct 2023.
    pytest.param("ALERT: State-sponsored attackers may be targeting your iPhone", STATE, id="2021-2023-subject"),
    # Oct 2023 (India): email body, Livemint 31 Oct 2023, The Register 1 Nov 2023.
    pytest.param("Apple believes you are being targeted by state-sponsored attackers who are trying to remotely "
                 "compromise the iPhone associated with your Apple ID. If your device is compromised by a "
                 "state-sponsored attacker, they may be able to remotely access your sensitive data, "
                 "communications, or even the camera and microphone.", STATE, id="2023-body"),
    # 10 Apr 2024 (92 countries) and 10 Jul 2024 (98 countries): TechCrunch 10 Apr 2024 (also
    # Amnesty International, Apr 2024; Moonlock, 18 Jul 2024).
    pytest.param("Apple detected that you are being targeted by a mercenary spyware attack that is trying to "
                 "remotely compromise the iPhone associated with your Apple ID -xxx-", MERCENARY,
                 id="2024-body-apple-id"),
    # Late 2024 and 2025 ("Apple Account"): the sample Access Now gave TechCrunch (Nov 2024) and
    # Ciro Pellegrino's email of 29 Apr 2025 (TechCrunch, 30 Apr 2025).
    pytest.param("Apple detected that you are being targeted by a mercenary spyware attack that is trying to "
                 "remotely compromise the iPhone associated with your Apple Account", MERCENARY,
                 id="2024-2025-body-apple-account"),
    # Short form, 2024-2025: the notification Jay Gibson received (TechCrunch, "You've been
    # targeted by government spyware. Now what?", 2025); Mashable, 30 Apr 2025.
    pytest.param("ALERT: Apple detected a targeted mercenary spyware attack against your iPhone.", MERCENARY,
                 id="2024-2025-short"),
    # 29 Apr 2025, Italian: the message Ciro Pellegrino (Fanpage) received, Il Fatto Quotidiano,
    # 30 Apr 2025.
    pytest.param("Apple ha rilevato un attacco spyware mercenario mirato contro il tuo iPhone.", MERCENARY,
                 id="2025-italian"),
]


@pytest.mark.parametrize(("text", "era"), WORDINGS)
def test_threat_notification_wording_from_apple_is_high(text, era):
    assert findings(message(text, APPLE)) == [("high", RECEIVED, Observable("email", APPLE))]
    assert findings(message(text, "mailto:threat-notifications@email.apple.com")) == [
        ("high", RECEIVED, Observable("email", "threat-notifications@email.apple.com"))]


@pytest.mark.parametrize(("text", "era"), WORDINGS)
def test_threat_notification_wording_from_stranger_is_lure(text, era):
    assert findings(message(text)) == [("medium", lure(era), Observable("phone", STRANGER))]


@pytest.mark.parametrize(("text", "era"), [
    pytest.param("Apple detected that you are being targeted by a merc", MERCENARY, id="cut-mid-word"),
    pytest.param("ALERT: Apple detected a targeted mercenary spyware attack\u2026", MERCENARY, id="cut-ellipsis"),
    pytest.param("ALERT: State-sponsored attackers may be targeting your", STATE, id="cut-before-iphone"),
    pytest.param("Apple believes you are being targeted", STATE, id="cut-after-prefix"),
    pytest.param("ALERT:\n\nAPPLE   detected that you are\r\nbeing   targeted by a MERCENARY spyware attack that is "
                 "trying to remotely compromise the iPhone", MERCENARY, id="line-breaks-case-spaces"),
    pytest.param("\u201cApple believes you are being targeted by state\u2011sponsored\u00a0attackers\u201d \u2014 "
                 "who are trying to remotely compromise the iPhone associated with your Apple\u00a0ID",
                 STATE, id="curly-quotes-nb-hyphen-nbsp"),
    pytest.param("Apple detected that you are being tar\u200bgeted by a mercenary spyware attack", MERCENARY,
                 id="zero-width-space"),
])
def test_threat_notification_variants_recognised(text, era):
    assert findings(message(text)) == [("medium", lure(era), Observable("phone", STRANGER))]


@pytest.mark.parametrize("text", [
    pytest.param("Apple detected that you are", id="prefix-too-short"),
    pytest.param("Apple detected that you are being targeted by a merchant", id="last-word-not-a-prefix"),
])
def test_threat_notification_short_or_wrong_cut_not_recognised(text):
    assert findings(message(text)) == []


@pytest.mark.parametrize("link", [
    "https://support.apple.com/102174",
    "https://support.apple.com/en-us/102174",
    "support.apple.com/en-us/HT212960",
    "https://support.apple.com/kb/HT212960?locale=fr_FR",
])
def test_threat_notification_support_link(link):
    text = f"More information: {link}"
    assert findings(message(text, APPLE)) == [("high", RECEIVED, Observable("email", APPLE))]
    assert findings(message(text)) == [("low", link_only(), Observable("phone", STRANGER))]


def test_threat_notification_link_in_observables_only():
    record = Record(timestamp=None, timestamp_desc="message received", message="",
                    fields={"text": "Read this", "handle": "someone@example.org", "is_from_me": False},
                    observables=(Observable("url", "https://support.apple.com/en-gb/102174"),))
    assert findings(record) == [("low", link_only("someone@example.org"), Observable("email", "someone@example.org"))]


def test_threat_notification_lure_with_link_from_other_email():
    text = f"{NOTICE_2024}\nSecure your device now: https://support.apple.com/102174"
    sender = "apple-security@icloud.com"
    assert findings(message(text, sender)) == [("medium", lure(MERCENARY, sender), Observable("email", sender))]


def test_threat_notification_lure_sender_unknown():
    assert findings(message(NOTICE_2021, None)) == [
        ("medium", lure(STATE).replace(f"sender: {STRANGER}", "sender unknown"), None)]


@pytest.mark.parametrize(("chat", "expected"), [
    # No handle, but the conversation is Apple's: the Apple channel.
    (APPLE, [("high", RECEIVED, Observable("email", APPLE))]),
    # No handle in a group conversation: its identifier is not a sender.
    ("chat123456789", [("medium", lure(MERCENARY).replace(f"sender: {STRANGER}", "sender unknown"), None)]),
])
def test_threat_notification_sender_from_conversation(chat, expected):
    record = message(NOTICE_2024, None)
    record.fields["chat_identifier"] = chat
    assert findings(record) == expected


@pytest.mark.parametrize("record", [
    # One's own sent message quoting the notification, even from an Apple address or with the link.
    pytest.param(message(NOTICE_2024, APPLE, from_me=True), id="sent-quote"),
    pytest.param(message(f"{NOTICE_2021} https://support.apple.com/102174", from_me=True), id="sent-quote-link"),
    # Journalistic paraphrases: third person, no sentence of the notification.
    pytest.param(message("Apple sent threat notifications to users in 92 countries, warning that they were "
                         "targeted by mercenary spyware attacks"), id="news-92-countries"),
    pytest.param(message("Apple sent threat notifications about mercenary spyware to users in 92 countries, "
                         "says TechCrunch", "friend@example.org"), id="news-techcrunch"),
    pytest.param(message("Yesterday I got a verified threat notification from Apple stating they detected a "
                         "mercenary spyware attack against my iPhone"), id="first-person-post"),
    pytest.param(message("'State-sponsored attackers may be targeting your iPhones': Apple warns Opposition MPs"),
                 id="news-headline"),
    pytest.param(message("Apple detected a targeted mercenary spyware attack against Italian journalists"),
                 id="news-third-person"),
    pytest.param(message("Apple support: https://support.apple.com/en-us/102568"), id="other-apple-article"),
])
def test_threat_notification_near_miss(record):
    assert findings(record) == []


def test_threat_notification_keep_passes_every_shortest_prefix():
    for wording in threat_notification.WORDINGS:
        assert threat_notification.HEURISTIC.keep(message(" ".join(wording.words[:wording.min_words]))), wording


def test_threat_notification_keep_skips_ordinary_messages():
    assert not threat_notification.HEURISTIC.keep(message("See you at 5"))
    assert not threat_notification.HEURISTIC.keep(message(NOTICE_2024, from_me=True))
    assert threat_notification.HEURISTIC.keep(message(None, APPLE))


def _backup(messages: list[dict]) -> BackupBuilder:
    rows = sms_rows(18)
    rows["handle"].append({"ROWID": 9, "id": APPLE, "service": "iMessage"})
    rows["message"].extend(messages)
    builder = BackupBuilder()
    add_sms(builder, 18, rows)
    return builder


def test_threat_notification_from_sms_db(tmp_path):
    builder = _backup([
        {"ROWID": 10, "guid": "n1", "text": None, "attributedBody": typedstream_string(NOTICE_2024),
         "handle_id": 9, "service": "iMessage", "date": 700000000000000000, "is_from_me": 0},
        {"ROWID": 11, "guid": "n2", "text": NOTICE_2021, "handle_id": 2, "service": "iMessage",
         "date": 660000000000000000, "is_from_me": 0},
    ])
    records = run_module(builder, tmp_path / "b", sms)
    found = list(threat_notification.check({"sms": [r for r in records if threat_notification.HEURISTIC.keep(r)]}))
    assert [(d.severity, d.record.fields["message_id"], d.observable) for d in found] == [
        ("high", 10, Observable("email", APPLE)), ("medium", 11, Observable("email", "friend@example.org"))]
    assert found[0].message == RECEIVED
    assert found[1].message == lure(STATE, "friend@example.org")


def test_threat_notification_end_to_end(tmp_path):
    # A 2024-style notification as iOS 16+ stores it (text only in attributedBody), from Apple.
    backup = _backup([
        {"ROWID": 10, "guid": "8A1B7B1E-0000-4000-8000-000000000010", "text": None,
         "attributedBody": typedstream_string(NOTICE_2024), "handle_id": 9, "service": "iMessage",
         "date": 734400000000000000, "is_from_me": 0, "is_finished": 1},
    ]).build(tmp_path / "backup")
    outcome = run_check(backup, tmp_path / "case", [], IndicatorIndex())
    rows = [json.loads(line) for line in (tmp_path / "case" / "detections.jsonl").read_text().splitlines()]
    assert [(d["module"], d["heuristic"], d["severity"], d["observable"], d["message"],
             d["record"]["fields"]["message_id"]) for d in rows if d.get("heuristic") == "threat_notification"] == [
        ("sms", "threat_notification", "high", {"type": "email", "value": APPLE}, RECEIVED, 10)]
    assert outcome.case["modules"]["sms"]["status"] == "ok"
