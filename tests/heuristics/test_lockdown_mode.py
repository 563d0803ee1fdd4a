from __future__ import annotations

from spyglass.heuristics import lockdown_mode
from spyglass.records import Record


def _preferences(lockdown):
    return Record(timestamp=None, timestamp_desc="", message="", module="global_preferences",
                  source="HomeDomain/Library/Preferences/.GlobalPreferences.plist",
                  fields={"lockdown_mode": lockdown, "locale": "en_US", "languages": [], "settings": {}})


def test_lockdown_mode_on():
    (found,) = lockdown_mode.check({"global_preferences": [_preferences(True)]})
    assert found.severity == "info"     # context: a good sign, not a suspicious one
    assert found.kind == "suspicious"
    assert found.heuristic == "lockdown_mode"
    assert found.message == ("Lockdown Mode is on: a protection against targeted spyware, not a sign of "
                             "infection. Keep it on if you may be targeted")


def test_lockdown_mode_alone_leaves_a_clean_verdict_and_exit_status():
    from pathlib import Path

    from spyglass.analysis import verdict
    from spyglass.check import CheckOutcome

    detections = list(lockdown_mode.check({"global_preferences": [_preferences(True)]}))
    assert verdict(detections) == "No known traces of spyware were found. This does not prove the phone is clean."
    assert CheckOutcome(Path("case"), {}, detections).exit_status == 0


def test_lockdown_mode_off_or_unknown():
    records = [_preferences(False), _preferences(None), _preferences("true")]
    assert list(lockdown_mode.check({"global_preferences": records})) == []


def test_lockdown_mode_no_records():
    assert list(lockdown_mode.check({"global_preferences": []})) == []
