"""Leads (spyglass/context.py): values near an incident that no feed lists, as candidates,
through a real check of a built backup; and their STIX export (reports/stix.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stix2
import stix2validator as validator
from click.testing import CliRunner

from spyglass.analysis import verdict
from spyglass.case import read_detections
from spyglass.check import check, recheck
from spyglass.cli import main
from spyglass.context import is_noise
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.records import Observable, Record
from spyglass.reports.stix import LEADS_NOTE, leads_bundle, write_leads
from tests.builders.leads import LEAD_URL, leads_backup, leads_feed

BETWEEN = ("visited in safari_history, between the incident's findings: 30 seconds after one in "
           "safari_history, 20 seconds before one in safari_history")


@pytest.fixture(scope="module")
def leads_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leads")
    feed = leads_feed(root / "feed.stix2")
    check(leads_backup(root), root / "case", [], IndicatorIndex(load_paths([feed])))
    return root


def incidents_of(case: Path) -> dict:
    return json.loads((case / "incidents.json").read_text())


def test_leads_domain_between_findings_is_a_lead_week_earlier_is_not(leads_case: Path) -> None:
    document = incidents_of(leads_case / "case")
    assert document["lead_margin_minutes"] == 5.0
    [incident] = document["incidents"]
    assert (incident["start"], incident["end"], incident["strength"]) == (
        "2023-03-14T09:30:00Z", "2023-03-14T09:32:00Z", "strong")
    assert [(lead["type"], lead["value"], lead["module"], lead["time"], lead["timestamp_desc"], lead["why"])
            for lead in incident["leads"]] == [
        ("domain", "payload-next.example", "safari_history", "2023-03-14T09:30:30Z", "visited", BETWEEN),
        ("url", LEAD_URL, "safari_history", "2023-03-14T09:30:30Z", "visited", BETWEEN),
        # Its first and last use are one moment: one row, both said.
        ("process", "stage2d", "datausage", "2023-03-14T09:31:00Z",
         "process first used the network; process last used the network",
         "process first used the network; process last used the network in datausage, at the same moment as a "
         "finding in datausage"),
    ]
    assert {lead["status"] for lead in incident["leads"]} == {"candidate"}
    assert incident["leads"][0]["source"] == "HomeDomain/Library/Safari/History.db"
    assert incident["leads_left_out"] == 0
    values = {lead["value"] for lead in incident["leads"]}
    # a week earlier: outside the context; the phone's own site and program; the matched domain
    assert not values & {"week-before.example", "https://week-before.example/", "www.apple.com",
                         "mobilesafari", "exploit.badsite.example", "https://exploit.badsite.example/y", "bh"}


def test_leads_are_never_findings(leads_case: Path) -> None:
    case = leads_case / "case"
    detections = read_detections(case)
    assert not [d for d in detections if "payload-next" in json.dumps(d.to_dict())]
    stored = json.loads((case / "case.json").read_text())
    assert stored["verdict"] == verdict(detections)
    assert "candidate" not in stored["verdict"] and "payload-next" not in stored["verdict"]


def test_leads_same_after_recheck_with_the_same_feed(leads_case: Path) -> None:
    case = leads_case / "case"
    before = incidents_of(case)
    recheck(case, IndicatorIndex(load_paths([leads_case / "feed.stix2"])))
    assert incidents_of(case) == before


def test_leads_noise_left_out() -> None:
    assert is_noise("domain", "p49-caldav.icloud.com", "visited")
    assert is_noise("url", "https://www.google.com/search?q=x", "visited")
    assert not is_noise("domain", "icloud.com.evil.example", "visited")
    assert is_noise("process", "bh", "process last used the network")     # not a first sighting
    assert not is_noise("process", "bh", "process first used the network")
    assert is_noise("process", "mediaserverd", "process first used the network")   # iOS ships it
    assert is_noise("app_id", "com.apple.mobilesafari", "")
    assert is_noise("file_path", "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG", "file modified")
    assert not is_noise("file_path", "/private/var/db/com.apple.xpc.roleaccountd.staging/x", "file modified")
    assert is_noise("email", "threat-notifications@apple.com", "message received")
    assert not is_noise("email", "bogus.attacker@icloud.com", "account looked up")
    assert is_noise("file_name", "x.plist", "file modified")    # the path says more


def assert_strict(bundle: dict) -> None:
    stix2.parse(json.dumps(bundle), allow_custom=False, version="2.1")
    results = validator.validate_instance(bundle, validator.ValidationOptions(version="2.1", strict=True,
                                                                              enforce_refs=True))
    assert results.is_valid, [str(error) for error in results.errors]
    assert [str(warning) for warning in results.warnings] == []


def test_leads_stix_bundle_candidates_strictly_valid(leads_case: Path) -> None:
    case = leads_case / "case"
    path, count = write_leads(case)
    assert path == case / "leads.stix2" and count == 3
    bundle = json.loads(path.read_text())
    assert_strict(bundle)
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert sorted(o["pattern"] for o in indicators) == [
        "[domain-name:value = 'payload-next.example']", "[process:name = 'stage2d']",
        f"[url:value = '{LEAD_URL}']"]
    for item in indicators:
        assert item["indicator_types"] == ["unknown"] and item["labels"] == ["candidate"]
        assert item["confidence"] == 15 and item["name"].startswith("Candidate ")
        assert item["description"].startswith("Candidate indicator, not a finding: ")
    domain = next(o for o in indicators if "domain-name" in o["pattern"])
    assert domain["description"] == f"Candidate indicator, not a finding: {BETWEEN} (incident incident-1: " \
        f"{incidents_of(case)['incidents'][0]['headline']})"
    [note] = [o for o in bundle["objects"] if o["type"] == "note"]
    assert note["content"] == LEADS_NOTE and note["object_refs"] == sorted(o["id"] for o in indicators)
    # the same case gives the same file
    first = path.read_bytes()
    assert write_leads(case)[0].read_bytes() == first


def test_leads_bundle_without_leads_and_unpatterned() -> None:
    bundle = leads_bundle({"finished_at": "2024-01-02T03:04:05Z"}, [{"type": "android_property", "value": ""},
                                                                     {"type": "nonsense", "value": "x"}])
    assert [o["type"] for o in bundle["objects"]] == ["identity"]
    assert_strict(bundle)


def test_cli_report_leads(leads_case: Path, tmp_path: Path) -> None:
    case = leads_case / "case"
    result = CliRunner().invoke(main, ["report", str(case), "--leads"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Leads (3 candidate indicators, not findings)" in result.output
    assert "HTML report" not in result.output and "STIX sightings" not in result.output   # only what was asked
    target = tmp_path / "out.stix2"
    result = CliRunner().invoke(main, ["report", str(case), "--leads", str(target)], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(target.read_text()) == json.loads((case / "leads.stix2").read_text())


def test_leads_from_a_matched_record_keep_its_sender_not_its_program() -> None:
    from spyglass.context import _Matched
    from tests.builders.incidents import indicator

    detection = indicator("datausage", None, "process", "bh")
    record = Record(timestamp=None, timestamp_desc="", message="m", module="sms", source="s",
                    observables=(Observable("phone", "+41790000000"),))
    matched = _Matched([detection])
    assert matched.has("process", "BH", record)            # the value matched, in any case
    assert matched.has("file_path", "/x/bh", detection.record)   # the matched record's own file
    assert not matched.has("phone", "+41790000000", record)


def test_leads_shown_in_the_report_in_their_own_section(leads_case: Path) -> None:
    from spyglass.reports.html import write_html

    page = write_html(leads_case / "case", leads_case / "leads-report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="leads">'):]
    section = section[:section.index("</section>")]
    assert "Leads: values worth an expert's look (not findings)" in section
    assert "do not change the verdict" in section
    # one row per lead, each linking to its incident, the value whole
    assert section.count('<a href="#incident-1">Incident 1</a>') == 3
    assert "payload-next.example" in section and "stage2d" in section
    assert page.index('<section id="findings">') < page.index('<section id="leads">')
