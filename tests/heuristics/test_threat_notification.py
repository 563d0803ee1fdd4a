from __future__ import annotations

from spyglass.heuristics import threat_notification
from spyglass.modules.ios import sms
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import add_sms, run_module, sms_rows, typedstream_string
from tests.builders.ios_backup import BackupBuilder

NOTICE_2024 = ("ALERT: Apple detected a targeted mercenary spyware attack against your iPhone.\n"
               "Apple detected that you are being targeted by a mercenary spyware attack that is trying "
               "to remotely compromise the iPhone associated with your Apple Account -xxx-.")
NOTICE_2021 = ("Apple believes you are being targeted by state\u2010sponsored attackers who are trying to "
               "remotely compromise the iPhone associated with your Apple ID.")


def _check(messages, tmp_path):
    rows = sms_rows(18)
    rows["handle"].append({"ROWID": 9, "id": "threat-notifications@apple.com", "service": "iMessage"})
    rows["message"].extend(messages)
    builder = BackupBuilder()
    add_sms(builder, 18, rows)
    return list(threat_notification.check({"sms": run_module(builder, tmp_path / "b", sms)}))


def test_threat_notification_found(tmp_path):
    found = _check([
        {"ROWID": 10, "guid": "n1", "text": None, "attributedBody": typedstream_string(NOTICE_2024),
         "handle_id": 9, "service": "iMessage", "date": 700000000000000000, "is_from_me": 0},
        {"ROWID": 11, "guid": "n2", "text": NOTICE_2021, "handle_id": 2, "service": "iMessage",
         "date": 660000000000000000, "is_from_me": 0},
    ], tmp_path)
    assert [(d.severity, d.record.fields["message_id"]) for d in found] == [("high", 10), ("high", 11)]
    assert found[0].observable == Observable("email", "threat-notifications@apple.com")
    assert found[1].observable is None
    assert "not proof of infection" in found[0].message


def test_threat_notification_near_miss(tmp_path):
    found = _check([
        {"ROWID": 10, "guid": "n1", "text": "Apple sent threat notifications about mercenary spyware "
         "to users in 92 countries, says TechCrunch", "handle_id": 2, "date": 1, "is_from_me": 0},
        {"ROWID": 11, "guid": "n2", "text": NOTICE_2024, "handle_id": 2, "date": 2, "is_from_me": 1},
    ], tmp_path)
    assert found == []
