"""The verdict tiers: execution traces, delivery or navigation only, heuristics only, nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from spyglass.detections import Detection
from spyglass.incidents import build_incidents
from spyglass.records import Observable, Record
from spyglass.verdict import assess, assess_case, checked_statement
from tests.reports.test_html import CASE, make_case, odd_path, process_match, sms_link

AT = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)


def indicator(module: str, kind: str, value: str, *, when: datetime | None = AT, malware: str = "Pegasus",
              severity: str = "high") -> Detection:
    record = Record(timestamp=when, timestamp_desc="seen", message=value, module=module, source="x",
                    observables=(Observable(kind, value),))
    return Detection(kind="indicator", severity=severity, message=f"{module}: {value}", record=record,
                     observable=Observable(kind, value),
                     indicator={"type": kind, "value": value, "feed": "f", "malware": malware, "id": "indicator--1"})


def sign(severity: str, when: datetime | None = AT) -> Detection:
    record = Record(timestamp=when, timestamp_desc="", message="m", module="backup_info", source="Info.plist")
    return Detection(kind="suspicious", severity=severity, message=f"A {severity} sign", record=record, heuristic="h")


def verdict_of(detections: list[Detection], case: dict | None = None):
    return assess(CASE if case is None else case, detections, build_incidents(detections))


def test_process_with_a_link_is_execution() -> None:
    verdict = verdict_of([sms_link(when=datetime(2021, 7, 2, 3, 0, tzinfo=UTC)), process_match()])
    assert verdict.tier == "execution" and verdict.name == "execution traces"
    assert verdict.headline == "Traces of known spyware were found (Pegasus): signs that it ran on this phone"
    assert verdict.explanation.startswith("The phone's own records show Pegasus running or installed on it.")
    assert verdict.details == {"strong_incidents": 1, "execution_traces": 1}
    assert (verdict.exit_status, verdict.findings, verdict.families) == (1, 2, ("Pegasus",))


def test_lone_process_is_execution_to_be_confirmed() -> None:
    verdict = verdict_of([process_match()])
    assert verdict.tier == "execution"
    assert verdict.headline == ("Traces of known spyware were found (Pegasus): one sign that it ran on this "
                                "phone, to be confirmed")
    assert "One trace alone can be a coincidence of names, so an expert needs to confirm it" in verdict.explanation


def test_execution_finding_without_time_is_still_execution() -> None:
    verdict = verdict_of([indicator("manifest", "file_name", "roleaccountd.plist", when=None)])
    assert (verdict.tier, verdict.details["execution_traces"]) == ("execution", 1)


def test_two_execution_traces_without_an_incident_are_signs_that_it_ran() -> None:
    verdict = verdict_of([indicator("datausage", "process", "bh", when=None),
                          indicator("manifest", "file_name", "roleaccountd.plist", when=None)])
    assert verdict.headline.endswith(": signs that it ran on this phone")


def test_link_received_is_delivery_not_infection() -> None:
    verdict = verdict_of([sms_link()])
    assert verdict.tier == "delivery" and verdict.name == "delivery or navigation only"
    assert verdict.headline == ("Someone tried to reach this phone with known spyware (Pegasus); nothing shows "
                                "that it ran")
    assert verdict.explanation == (
        "spyglass found that a link to a known spyware server was received in a message. This shows that someone "
        "targeted the phone. It does not show an infection: no trace of the spyware running on the phone was "
        "found. Keep the phone and the backup as they are, and let an expert look further.")
    assert verdict.exit_status == 1


def test_page_opened_and_account_seen_are_delivery() -> None:
    verdict = verdict_of([indicator("safari_history", "domain", "evil.com"),
                          indicator("idstatuscache", "email", "op@example.com", malware="Predator")])
    assert verdict.tier == "delivery"
    assert verdict.headline.startswith("Someone tried to reach this phone with known spyware (Pegasus, Predator);")
    assert verdict.explanation.startswith(
        "spyglass found that a page of a known spyware server was opened or loaded and an account known to be "
        "used by spyware operators contacted the phone or was looked up.")


def test_suspicious_signs_only_are_heuristics() -> None:
    verdict = verdict_of([odd_path(), sign("low")])
    assert verdict.tier == "heuristic" and verdict.name == "heuristics only"
    assert verdict.headline == "No known spyware matched, but 2 suspicious signs deserve an expert's look"
    assert verdict.families == () and verdict.exit_status == 1


def test_minor_signs_only_say_minor() -> None:
    verdict = verdict_of([sign("low")])
    assert verdict.headline == "No known spyware matched; 1 minor sign noted"
    assert verdict.details == {"serious": 0}


def test_nothing_found_says_what_was_and_was_not_checked() -> None:
    case = dict(CASE, modules={"sms": {"status": "ok"}, "tcc": {"status": "ok"},
                               "datausage": {"status": "not present"}, "calendar": {"status": "missing"},
                               "notes": {"status": "error"}}, indicators=1400)
    verdict = verdict_of([], case)
    assert verdict.tier == "nothing" and verdict.exit_status == 0
    assert verdict.headline == "No known traces of spyware found \u2014 this does not prove the phone is clean"
    assert verdict.checked == (
        "spyglass read 2 kinds of records and compared them with 1400 known spyware traces from 1 list; 1 other "
        "kind was not in this acquisition (apps or features the phone does not use or does not copy); 1 could "
        "not be looked at because their files are missing; 1 could not be read.")
    assert verdict.caveats[0].startswith("This check is incomplete: files that 1 check reads are missing")
    assert verdict.to_dict() == {"tier": "nothing", "headline": verdict.headline}


def test_nothing_found_without_feeds_says_so() -> None:
    assert checked_statement({"modules": {"sms": {"status": "ok"}}}) == (
        "spyglass read 1 kind of records but compared them with no list of known spyware traces.")
    verdict = verdict_of([], {"modules": {"sms": {"status": "ok"}}})
    assert verdict.caveats == ("No lists of known spyware traces were used: only general checks for suspicious "
                               "patterns ran.",)


def test_context_alone_is_nothing_and_exits_0() -> None:
    # Lockdown Mode on ("info") is a good sign, never a finding.
    verdict = verdict_of([sign("info")])
    assert (verdict.tier, verdict.findings, verdict.exit_status) == ("nothing", 0, 0)


def test_strength_of_incidents_is_read_when_given() -> None:
    # A case whose incidents.json says "strong" (written by this version) is execution even if
    # its detections alone would not say so (an older finding format).
    verdict = assess(CASE, [sms_link()], {"incidents": [{"strength": "strong"}]})
    assert verdict.tier == "execution"


def test_many_families_are_capped_and_bounded() -> None:
    detections = [indicator("sms", "domain", f"d{n}.com", malware=f"Family {n} " + "x" * 100) for n in range(9)]
    families = verdict_of(detections).families
    assert len(families) == 7 and families[-1] == "3 more" and all(len(name) <= 60 for name in families)


def test_assess_case_reads_the_case_folder(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "case", CASE, [sms_link()])
    (folder / "incidents.json").write_text(json.dumps(build_incidents([sms_link()])), encoding="utf-8")
    assert assess_case(folder).tier == "delivery"


def test_check_and_recheck_write_the_tier_into_case_json(tmp_path: Path) -> None:
    from spyglass.check import check, recheck
    from spyglass.indicators.index import IndicatorIndex
    from spyglass.indicators.loader import load_paths
    from tests.builders.ios_artifacts_core import add_safari_history, add_sms
    from tests.builders.ios_backup import BackupBuilder
    from tests.test_cli import FEED

    builder = BackupBuilder()
    add_sms(builder)
    add_safari_history(builder)
    backup = builder.build(tmp_path / "backup")
    feed = tmp_path / "feed.stix2"
    feed.write_text(json.dumps(FEED), encoding="utf-8")
    index = IndicatorIndex(load_paths([feed]))

    class Planned:
        """A progress display that takes the number of modules (RichProgress does)."""
        total = None

        def modules_planned(self, total: int) -> None:
            self.total = total

        def phase(self, text: str) -> None: ...
        def module_started(self, name: str, description: str) -> None: ...
        def module_record(self, name: str, count: int) -> None: ...
        def module_finished(self, result: object) -> None: ...

    shown = Planned()
    outcome = check(backup, tmp_path / "case", [], index, progress=shown)
    expected = {"tier": "delivery", "headline": "Someone tried to reach this phone with known spyware (Pegasus); "
                                                "nothing shows that it ran"}
    assert json.loads((tmp_path / "case" / "case.json").read_text())["verdict_tier"] == expected
    assert outcome.exit_status == 1 and shown.total == len(json.loads((tmp_path / "case" / "case.json")
                                                                      .read_text())["modules"])
    recheck(tmp_path / "case", IndicatorIndex(load_paths([])))
    # Re-checked without the indicator: the tier follows (the builder's history holds one suspicious sign).
    assert json.loads((tmp_path / "case" / "case.json").read_text())["verdict_tier"] == {
        "tier": "heuristic", "headline": "No known spyware matched, but 1 suspicious sign deserves an expert's look"}
