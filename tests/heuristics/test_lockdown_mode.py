from __future__ import annotations

from spyglass.heuristics import lockdown_mode
from spyglass.records import Record


def _preferences(lockdown):
    return Record(timestamp=None, timestamp_desc="", message="", module="global_preferences",
                  source="HomeDomain/Library/Preferences/.GlobalPreferences.plist",
                  fields={"lockdown_mode": lockdown, "locale": "en_US", "languages": [], "settings": {}})


def test_lockdown_mode_on():
    (found,) = lockdown_mode.check({"global_preferences": [_preferences(True)]})
    assert found.severity == "low"
    assert found.kind == "suspicious"
    assert found.heuristic == "lockdown_mode"
    assert found.message == ("Lockdown Mode is on: not a sign of infection, but this person may be at risk "
                             "of targeted spyware")


def test_lockdown_mode_off_or_unknown():
    records = [_preferences(False), _preferences(None), _preferences("true")]
    assert list(lockdown_mode.check({"global_preferences": records})) == []


def test_lockdown_mode_no_records():
    assert list(lockdown_mode.check({"global_preferences": []})) == []
