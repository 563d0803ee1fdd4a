"""Incidents: findings joined in time (spyglass/incidents.py), alone and through check/recheck."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.case import read_detections
from spyglass.check import check, recheck
from spyglass.cli import main
from spyglass.incidents import MODULE_CLASSES, build_incidents, evidence_class, finding_id
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules import discover
from tests.builders.full_backup import add_everything, e2e_feed
from tests.builders.incidents import (
    CHAIN_AT,
    LATER_AT,
    everything,
    first_chain,
    indicator,
    lone_findings,
    second_chain,
    without_time,
)
from tests.builders.ios_backup import BackupBuilder

CHAIN_HEADLINE = ("A known Pegasus link received by SMS or iMessage; 2 minutes later, a known Pegasus site "
                  "opened in Safari; 20 seconds later, Pegasus process 'bh' first used the network, Pegasus "
                  "file 'roleaccountd.plist' was written on the phone (1 suspicious sign too)")


def by_start(document: dict) -> dict[str, dict]:
    return {incident["start"]: incident for incident in document["incidents"]}


def test_incidents_chains_lone_findings_and_untimed() -> None:
    detections = everything()
    document = build_incidents(detections)
    assert document["gap_minutes"] == 15.0
    assert document["findings_without_time"] == 2
    assert [i["id"] for i in document["incidents"]] == [f"incident-{n}" for n in range(1, 7)]
    assert [(i["start"], i["end"], i["strength"], i["count"]) for i in document["incidents"]] == [
        ("2023-02-12T09:30:00Z", "2023-02-12T09:30:00Z", "informational", 1),
        ("2023-02-22T09:30:00Z", "2023-02-22T09:30:00Z", "weak", 1),
        ("2023-03-14T09:30:00Z", "2023-03-14T09:32:20Z", "strong", 5),
        ("2023-03-15T09:30:00Z", "2023-03-15T09:30:00Z", "weak", 1),
        ("2023-03-16T09:30:00Z", "2023-03-16T09:30:00Z", "moderate", 1),
        ("2023-03-17T11:30:00Z", "2023-03-17T11:40:00Z", "strong", 2),
    ]
    chain = document["incidents"][2]
    assert chain["headline"] == CHAIN_HEADLINE
    assert chain["strength_reason"] == ("2 traces of spyware running or installed, close in time to a spyware "
                                        "link received and a spyware site opened.")
    assert chain["classes"] == ["delivery", "navigation", "execution", "heuristic"]
    assert chain["modules"] == ["datausage", "manifest", "safari_history", "sms"]
    assert chain["malware"] == ["Pegasus"]
    assert chain["severity"] == "critical"
    # membership: exactly the first chain, in time order, named by id and by line in detections.jsonl
    assert [detections[line - 1] for line in chain["lines"]] == first_chain()
    assert set(chain["findings"]) == {finding_id(d) for d in first_chain()}
    assert [detections[line - 1].module for line in chain["lines"]] == [
        "sms", "safari_history", "datausage", "manifest", "datausage"]
    later = document["incidents"][5]
    assert set(later["findings"]) == {finding_id(d) for d in second_chain()}
    assert later["headline"] == ("A known Predator operator's account looked up by iMessage or FaceTime; "
                                 "10 minutes later, a Predator configuration profile was installed")
    assert later["malware"] == ["Predator"]
    assert later["classes"] == ["account", "execution"]
    # lone findings stay alone, each with the strength of what it is
    assert document["incidents"][3]["headline"] == "A known Pegasus site opened in Chrome"
    assert document["incidents"][3]["strength_reason"].startswith("Only that this page was opened")
    assert "infected" not in document["incidents"][3]["headline"]
    assert document["incidents"][4]["headline"] == "Pegasus process 'bh' used the network"
    assert document["incidents"][0]["headline"] == \
        "App org.example.beta was installed from TestFlight (a beta), not the App Store"
    assert document["incidents"][1]["headline"] == "The phone looked up an account with a hidden character"
    untimed = {finding_id(d) for d in without_time()}
    assert not untimed & {f for i in document["incidents"] for f in i["findings"]}


def test_incidents_two_chains_days_apart_not_merged_even_with_a_day_gap() -> None:
    document = build_incidents(first_chain() + second_chain(), gap=timedelta(days=1))
    assert [i["count"] for i in document["incidents"]] == [5, 2]
    document = build_incidents(first_chain() + second_chain(), gap=timedelta(days=4))
    assert [i["count"] for i in document["incidents"]] == [7]
    assert document["incidents"][0]["malware"] == ["Pegasus", "Predator"]


def test_incidents_gap_option_splits_and_chains() -> None:
    # the chain's steps are 2 minutes and 20 seconds apart: a one-minute gap cuts after the link
    document = build_incidents(first_chain(), gap=timedelta(minutes=1))
    assert [(i["count"], i["strength"]) for i in document["incidents"]] == [(1, "weak"), (4, "strong")]
    assert document["gap_minutes"] == 1.0
    # chained, not measured from the start: each finding 10 minutes after the previous one
    spaced = [indicator("datausage", CHAIN_AT + timedelta(minutes=10 * n), "process", f"p{n}") for n in range(5)]
    assert [i["count"] for i in build_incidents(spaced)["incidents"]] == [5]
    assert [i["count"] for i in build_incidents(spaced, gap=timedelta(minutes=9))["incidents"]] == [1] * 5
    assert build_incidents(spaced)["incidents"][0]["strength_reason"] == \
        "5 separate traces of spyware running or installed, close together in time."
    with pytest.raises(ValueError, match="cannot be negative"):
        build_incidents(spaced, gap=timedelta(minutes=-1))


def test_incidents_deterministic_whatever_the_order() -> None:
    detections = everything()
    expected = json.dumps(build_incidents(detections), sort_keys=True)
    assert json.dumps(build_incidents(detections), sort_keys=True) == expected
    shuffled = list(detections)
    random.Random(7).shuffle(shuffled)
    document = build_incidents(shuffled)
    # same incidents, same findings in the same order; only line numbers follow the input order
    for mine, theirs in zip(document["incidents"], build_incidents(detections)["incidents"], strict=True):
        assert {k: v for k, v in mine.items() if k != "lines"} == {k: v for k, v in theirs.items() if k != "lines"}


def test_incidents_findings_without_time_only() -> None:
    document = build_incidents(without_time())
    assert document["incidents"] == [] and document["findings_without_time"] == 2
    assert build_incidents([]) == {**build_incidents([]), "incidents": [], "findings_without_time": 0}


def test_incidents_identical_findings_keep_apart() -> None:
    same = [indicator("datausage", LATER_AT, "process", "bh")] * 2
    incident = build_incidents(same)["incidents"][0]
    assert incident["findings"] == [finding_id(same[0]), finding_id(same[0]) + "-2"]
    assert incident["headline"] == "Pegasus process 'bh' used the network"
    assert incident["strength"] == "moderate"


def test_incidents_context_is_no_finding() -> None:
    context = indicator("global_preferences", CHAIN_AT, "domain", "x.example", severity="info")
    assert build_incidents([context])["incidents"] == []


def test_incidents_heuristic_only_strengths() -> None:
    low, high = lone_findings()[2], lone_findings()[3]
    assert build_incidents([low])["incidents"][0]["strength"] == "informational"
    assert build_incidents([high])["incidents"][0]["strength"] == "weak"


def test_module_classes_name_real_modules() -> None:
    names = {module.name for module in discover()} | {"short_links", "email"}
    assert set(MODULE_CLASSES) <= names
    assert evidence_class(indicator("some_new_module", CHAIN_AT, "process", "bh")) == "execution"
    assert evidence_class(first_chain()[4]) == "heuristic"


# -- through check and recheck ------------------------------------------------------------------
@pytest.fixture(scope="module")
def full_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("full")
    feed = root / "e2e.stix2"
    feed.write_text(json.dumps(e2e_feed()))
    backup = add_everything(BackupBuilder()).build(root / "backup")
    check(backup, root / "case", [], IndicatorIndex(load_paths([feed])))
    return root


def test_check_writes_the_planted_chain_as_one_strong_incident(full_case: Path) -> None:
    case = full_case / "case"
    document = json.loads((case / "incidents.json").read_text())
    # incidents.json is build_incidents' document with each incident's leads (spyglass/context.py)
    assert document.pop("lead_margin_minutes") == 5.0
    for incident in document["incidents"]:
        assert isinstance(incident.pop("leads"), list) and isinstance(incident.pop("leads_left_out"), int)
    assert document == build_incidents(read_detections(case))
    chain = by_start(document)["2021-07-01T10:00:00Z"]
    assert chain["end"] == "2021-07-01T10:05:00Z"
    assert chain["strength"] == "strong"
    assert chain["classes"] == ["delivery", "navigation", "account", "execution", "heuristic"]
    assert chain["malware"] == ["E2E Spyware"]
    assert chain["modules"] == [
        "chrome_favicons", "chrome_history", "datausage", "firefox_favicons", "firefox_history",
        "firefox_places", "idstatuscache", "manifest", "safari_browser_state", "safari_favicons", "shortcuts",
        "sms", "sms_attachments", "webkit_resource_load_statistics", "webkit_session_resource_log",
        "webkit_website_data", "whatsapp"]
    assert chain["headline"] == (
        "A known E2E Spyware link received by WhatsApp, a known E2E Spyware site opened in Chrome, Firefox "
        "and Safari, named in a Shortcuts automation and loaded by a browser or app, a known E2E Spyware "
        "operator's account looked up by iMessage or FaceTime, E2E Spyware process 'bh' first used the "
        "network, E2E Spyware file 'roleaccountd.plist' was written on the phone; 3 minutes later, a known "
        "E2E Spyware link received by SMS or iMessage (5 suspicious signs too)")
    # the same process an hour later is an incident of its own, not part of the chain
    assert by_start(document)["2021-07-01T11:00:00Z"]["strength"] == "moderate"
    assert document["findings_without_time"] == 4


def test_recheck_records_what_changed(full_case: Path, tmp_path: Path) -> None:
    case = full_case / "case"
    before = json.loads((case / "incidents.json").read_text())
    # the same feed again: nothing changed
    same = recheck(case, IndicatorIndex(load_paths([full_case / "e2e.stix2"])))
    assert json.loads((case / "incidents.json").read_text()) == before
    assert same.case["history"][-1]["incidents"] == {
        "before": len(before["incidents"]), "after": len(before["incidents"]),
        "new": [], "grown": [], "shrunk": [], "gone": []}
    # no feed at all: the indicator incidents go, the chain keeps its suspicious signs (shrunk)
    outcome = recheck(case, None, incident_gap=timedelta(minutes=15))
    changes = outcome.case["history"][-1]["incidents"]
    after = json.loads((case / "incidents.json").read_text())
    assert changes["after"] == len(after["incidents"]) and changes["new"] == [] and changes["grown"] == []
    assert {g["was"] for g in changes["gone"]} == {
        by_start(before)[start]["id"] for start in ("2021-07-01T11:00:00Z", "2022-08-15T14:20:00Z")}
    shrunk = [s for s in changes["shrunk"] if s["was"] == [by_start(before)["2021-07-01T10:00:00Z"]["id"]]]
    assert shrunk and shrunk[0]["was_strength"] == "strong" and shrunk[0]["strength"] == "weak"
    # the feed back: the chain grows again, the lone indicator incidents are new
    regrown = recheck(case, IndicatorIndex(load_paths([full_case / "e2e.stix2"])))
    changes = regrown.case["history"][-1]["incidents"]
    assert json.loads((case / "incidents.json").read_text()) == before
    assert [g["strength"] for g in changes["grown"]] == ["strong", "weak"]
    assert {n["id"] for n in changes["new"]} == {
        by_start(before)[start]["id"] for start in ("2021-07-01T11:00:00Z", "2022-08-15T14:20:00Z")}
    assert changes["gone"] == [] and changes["shrunk"] == []


def test_cli_incident_gap_and_summary(full_case: Path, tmp_path: Path) -> None:
    backup, feed = full_case / "backup", full_case / "e2e.stix2"
    result = CliRunner().invoke(main, ["check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"),
                                       "--no-html", "--incident-gap", "120"], catch_exceptions=False)
    assert result.exit_code == 1
    document = json.loads((tmp_path / "case" / "incidents.json").read_text())
    assert document["gap_minutes"] == 120.0
    # two hours chain the 10:00 chain, the 11:00 process and the 12:10 visit; not the 01:00 sign
    assert by_start(document)["2021-07-01T10:00:00Z"]["end"] == "2021-07-01T12:10:00.400000Z"
    assert by_start(document)["2021-07-01T01:00:00Z"]["count"] == 1
    assert "Incidents" in result.output and "strong" in result.output
    # incidents first, then the findings outside them (the summary's wording of that list varies)
    rest = [result.output.find(title) for title in ("Findings (", "Findings outside any incident")]
    assert result.output.index("Incidents") < max(rest)
    result = CliRunner().invoke(main, ["recheck", str(tmp_path / "case"), "--only-iocs", str(feed), "--no-html",
                                       "--incident-gap", "15"], catch_exceptions=False)
    assert result.exit_code == 1
    assert json.loads((tmp_path / "case" / "incidents.json").read_text())["gap_minutes"] == 15.0
