from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_dbinfo
from spyglass.records import Observable
from tests.builders.dumpsys_text import (
    DBINFO,
    DBINFO_10,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)

LOOT = "/data/user/0/com.spy.helper/databases/loot.db"


def test_dumpsys_dbinfo_normal_bugreport(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_dbinfo, dumpstate(section("dbinfo", DBINFO)))
    assert [(r.fields["process_name"], r.fields["database_path"], r.fields["operation"]) for r in records] == [
        ("com.spy.helper", LOOT, "executeForCursorWindow"), ("com.spy.helper", LOOT, "executeForLong"),
        ("com.android.providers.telephony:remote",
         "/data/user_de/0/com.android.providers.telephony/databases/mmssms.db", None)]
    assert records[0].fields == {
        "process_name": "com.spy.helper", "pid": 8817, "package_name": "com.spy.helper", "database_path": LOOT,
        "operation": "executeForCursorWindow", "sql": "SELECT body FROM sms WHERE address = ?", "status": "succeeded",
        "executed_local": "2024-06-01 11:21:44.097", "executed_at": "2024-06-01T09:21:44.097000Z"}
    assert records[0].timestamp == datetime(2024, 6, 1, 9, 21, 44, 97000, tzinfo=UTC)
    assert records[0].observables == (Observable("process", "com.spy.helper"), Observable("app_id", "com.spy.helper"),
                                      Observable("file_path", LOOT))
    assert records[2].fields["package_name"] == "com.android.providers.telephony"


def test_dumpsys_dbinfo_androidqf_and_android10_wording(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_dbinfo, dumpsys_txt(section("dbinfo", DBINFO)))
    assert len(qf) == 3 and qf[0].fields["executed_at"] is None and qf[0].timestamp is None
    old = from_bugreport(tmp_path, dumpsys_dbinfo, dumpstate(section("dbinfo", DBINFO_10)))
    # No year in the time: kept as printed, never guessed.
    assert [(r.fields["operation"], r.fields["sql"], r.fields["executed_local"], r.fields["executed_at"], r.fields["pid"])
            for r in old] == [("executeForChangedRowCount", "DELETE FROM notes WHERE id=?", "05-31 08:00:01.250", None, 4242)]


def test_dumpsys_dbinfo_empty_section(tmp_path):
    assert from_androidqf(tmp_path, dumpsys_dbinfo, dumpsys_txt(section("dbinfo", "Applications Database Info:\n"))) == []


def test_dumpsys_dbinfo_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section"):
        from_androidqf(tmp_path, dumpsys_dbinfo, b"SQLite format 3\x00" + bytes(100))
    body = "** Database info for pid x [\x00] **\n        0: [garbage] sql=\"\n"
    assert from_bugreport(tmp_path, dumpsys_dbinfo, dumpstate(section("dbinfo", body))) == []
