"""The report's verdict tiers, incidents, overview links, analyst table, filters and timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from spyglass.case import write_incidents
from spyglass.detections import Detection
from spyglass.incidents import build_incidents
from spyglass.records import Record
from spyglass.reports.html import render_html
from tests.reports.test_html import CASE, make_case, odd_path, process_match, sms_link

TIMELINE = ("datetime,timestamp_desc,message,module,source\n"
            "2021-07-01T10:00:00Z,received,m,sms,s\n"
            "2021-07-01T10:03:00Z,read,m,sms,s\n"
            "2021-07-02T03:04:05Z,last seen,m,datausage,s\n"
            "2021-07-09T00:00:00Z,far away,m,sms,s\n")


def story_case(folder: Path) -> tuple[Path, str]:
    # An SMS link twice, five minutes apart; a day later a process alone; a sign without a time.
    detections = [sms_link(), sms_link(when=datetime(2021, 7, 1, 10, 5, tzinfo=UTC)), process_match(), odd_path()]
    case = make_case(folder, CASE, detections)
    write_incidents(case, build_incidents(detections))
    (case / "timeline.csv").write_text(TIMELINE, encoding="utf-8")
    return case, render_html(case)


def test_delivery_only_is_targeted_not_infected(tmp_path: Path) -> None:
    page = render_html(make_case(tmp_path / "out", CASE, [sms_link()]))
    assert ('<section class="verdict targeted" id="verdict"><h2>Someone tried to reach this phone with known '
            "spyware (Pegasus); nothing shows that it ran</h2>") in page
    assert ("<p>spyglass found that a link to a known spyware server was received in a message. This shows that "
            "someone targeted the phone. It does not show an infection") in page
    assert "<li>Do not open links in messages from senders you do not know, and do not answer them.</li>" in page
    assert "Until then, assume that this phone can be listened to" not in page


def test_incidents_as_blocks_with_chart_and_links(tmp_path: Path) -> None:
    _, page = story_case(tmp_path / "out")
    assert ('<article class="incident strength-weak" id="incident-1">\n<h3><span class="badge weak">weak</span>'
            "A known Pegasus link received by SMS or iMessage</h3>") in page
    assert ("<dl><dt>When</dt><dd>2021-07-01 10:00:00 to 10:05:00 UTC</dd><dt>Findings</dt><dd>2</dd>"
            "<dt>Spyware</dt><dd>Pegasus</dd></dl>") in page
    assert ('<p class="explain"><strong>Weak evidence: a link received, a page opened or a suspicious sign, and '
            "no trace that spyware ran.</strong> Only that this link was received") in page
    # The chart: one lane (links received), the two findings at 1 and 6 minutes of a 7-minute axis.
    assert ('<a href="#finding-2"><circle cx="230.0" cy="22.0" r="6" fill="#c81e1e"><title>2021-07-01 10:00:00 '
            "UTC: SMS link to a Pegasus domain</title></circle></a>") in page
    assert '<circle cx="530.0" cy="22.0" r="6"' in page
    assert '<text x="8" y="26.0">link received</text>' in page
    assert '<ol><li><a href="#finding-2">SMS link to a Pegasus domain</a></li></ol>' in page
    # A lone process is moderate, and its card says which incident it belongs to.
    assert '<article class="incident strength-moderate" id="incident-2">' in page
    assert ('<article class="finding sev-critical" id="finding-1">' in page
            and '<p class="muted">Part of <a href="#incident-2">incident 2</a>.</p>' in page)


def test_overview_links_every_incident_and_card(tmp_path: Path) -> None:
    _, page = story_case(tmp_path / "out")
    overview = page[page.index('id="overview"'):page.index('id="incidents"')]
    assert ('<li><a href="#incident-1"><span class="badge weak">weak</span>2021-07-01 10:00:00 to 10:05:00 UTC</a>: '
            "A known Pegasus link received by SMS or iMessage</li>") in overview
    assert ('<tr><td><span class="badge high">high</span></td><td><a href="#finding-2">SMS link to a Pegasus '
            'domain</a><br><span class="muted"><span class="when">2021-07-01 10:00:00 UTC</span>, seen 2 times'
            "</span></td></tr>") in overview
    assert re.findall(r'href="#(finding-\d+)"', overview) == ["finding-1", "finding-2", "finding-3"]
    # Every in-page link has its target.
    for target in set(re.findall(r'href="#([a-z0-9-]+)"', page)):
        assert f'id="{target}"' in page
    assert page.index('id="next"') < page.index('id="overview"') < page.index('id="incidents"') \
        < page.index('id="findings"') < page.index('id="analyst"') < page.index('id="checked"')


def test_analyst_table_lists_every_repeat_with_filters(tmp_path: Path) -> None:
    _, page = story_case(tmp_path / "out")
    analyst = page[page.index('id="analyst"'):page.index('id="checked"')]
    rows = re.findall(r'<tr class="([^"]+)">', analyst)
    assert rows == ["sev-0 sp-1 mod-0 feed-1", "sev-1 sp-1 mod-2 feed-1", "sev-1 sp-1 mod-2 feed-1",
                    "sev-2 sp-0 mod-1 feed-0"]
    # The feed's source is named beside it (case.json's "source" of the feed).
    assert ('<tr class="sev-1 sp-1 mod-2 feed-1"><td><span class="badge high">high</span></td><td class="when">'
            '2021-07-01 10:05:00 UTC</td><td>Pegasus</td><td>sms</td><td class="value">x.evil.com</td>'
            '<td class="hash">indicator--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d</td><td>Pegasus (Amnesty)<br>pegasus.stix2</td>'
            '<td class="num"><a href="#finding-2">2</a></td></tr>') in analyst
    assert ('<fieldset><legend>Module</legend><label><input type="checkbox" id="f-mod-0" checked> datausage</label>'
            '<label><input type="checkbox" id="f-mod-1" checked> shutdown_log</label><label><input type="checkbox" '
            'id="f-mod-2" checked> sms</label></fieldset>') in analyst
    assert "#analyst:has(#f-mod-2:not(:checked)) .mod-2{display:none}" in page
    assert "<script" not in page and "default-src 'none'; style-src 'unsafe-inline'" in page


def test_analyst_timeline_counts_records_around_the_findings(tmp_path: Path) -> None:
    _, page = story_case(tmp_path / "out")
    # One period (the findings lie within two days of each other), per hour; the record a week
    # later is outside it.
    assert "<h4>2021-07-01 07:00 to 2021-07-02 07:00 UTC: 3 findings, 3 records, per hour</h4>" in page
    assert "<title>2 records from 2021-07-01 10:00:00 UTC</title>" in page
    assert "<title>1 record from 2021-07-02 03:00:00 UTC</title>" in page
    assert ('<a href="#finding-1"><circle cx="495.0" cy="16" r="6" fill="#7a0b0b"><title>2021-07-02 03:04:05 '
            "UTC: Pegasus process bh</title></circle></a>") in page


def test_analyst_timeline_periods_far_apart_drawn_apart(tmp_path: Path) -> None:
    far = Record(timestamp=datetime(2020, 1, 1, 12, 0, tzinfo=UTC), timestamp_desc="installed", message="old",
                 module="backup_info", source="Info.plist")
    old = Detection(kind="suspicious", severity="low", message="An old sign", record=far, heuristic="x")
    folder = make_case(tmp_path / "out", CASE, [old, sms_link()])
    (folder / "timeline.csv").write_text(TIMELINE, encoding="utf-8")
    page = render_html(folder)
    assert re.findall(r"<h4>([^<]+)</h4>", page) == [
        "2020-01-01 10:10 to 2020-01-01 14:00 UTC: 1 finding, 0 records, per 10 minutes",
        "2021-07-01 08:10 to 2021-07-01 12:00 UTC: 1 finding, 2 records, per 10 minutes"]


def test_hostile_values_in_filters_and_charts_stay_text(tmp_path: Path) -> None:
    hostile = sms_link(message='<svg onload=alert(1)>"', body="x")
    indicator = dict(hostile.indicator or {}, malware="</style><script>alert(2)</script>", feed="a\" onclick=\"x")
    detection = Detection(kind=hostile.kind, severity=hostile.severity, message=hostile.message,
                          record=hostile.record, observable=hostile.observable, indicator=indicator)
    folder = make_case(tmp_path / "out", CASE, [detection, process_match()])
    write_incidents(folder, build_incidents([detection, process_match()]))
    page = render_html(folder)
    assert "&lt;svg onload=alert(1)&gt;&quot;" in page and "<svg onload" not in page
    assert "&lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page and "<script" not in page
    assert 'onclick="x' not in page
    # Class and id names come from fixed words and numbers only.
    assert set(re.findall(r'id="([^"]+)"', page)) <= {
        "sample", "verdict", "next", "overview", "incidents", "findings", "analyst", "checked", "modules",
        "warnings", "inputs", *(f"incident-{n}" for n in range(1, 4)), *(f"finding-{n}" for n in range(1, 4)),
        *(f"f-{name}-{n}" for name in ("sev", "sp", "mod", "feed") for n in range(4))}


def safari_visit(url: str, domain: str, *, source: str | None = None, target: str | None = None,
                 when: datetime = datetime(2021, 7, 1, 12, 10, tzinfo=UTC)) -> Detection:
    from spyglass.records import Observable
    fields = {"url": url, "redirect_source_url": source, "redirect_destination_url": target}
    record = Record(timestamp=when, timestamp_desc="visited", message=f"Visited {url}", fields=fields,
                    observables=(Observable("url", url),), module="safari_history", source="History.db")
    return Detection(kind="indicator", severity="high", message=f"Safari visits and redirects: {domain}",
                     record=record, observable=Observable("domain", domain),
                     indicator={"type": "domain", "value": domain, "feed": "f", "malware": "Pegasus", "id": "i"})


def redirect_pair() -> list[Detection]:
    first = "http://first-evil.com/a"
    second = "https://second-evil.net/exploit?id=1"
    return [safari_visit(first, "first-evil.com", target=second),
            safari_visit(second, "second-evil.net", source=first,
                         when=datetime(2021, 7, 1, 12, 10, 1, tzinfo=UTC))]


def test_redirect_chain_between_two_indicator_domains_names_both(tmp_path: Path) -> None:
    from spyglass.reports import redirect_chains

    chains = redirect_chains(redirect_pair())
    assert [(c["from"], c["to"], c["from_malware"], c["to_malware"]) for c in chains] == [
        ("http://first-evil.com/a", "https://second-evil.net/exploit?id=1", "Pegasus", "Pegasus")]
    page = render_html(make_case(tmp_path / "out", CASE, redirect_pair()))
    text = ("Redirected from http://first-evil.com/a to https://second-evil.net/exploit?id=1: both known Pegasus "
            "domains")
    assert (f'<h3>Redirects between known spyware domains</h3><ul><li><a href="#finding-1">{text}</a> '
            "(2021-07-01 12:10:00 UTC)</li></ul>") in page.replace("&#x27;", "'")
    assert f"<dt>Redirect chain</dt><dd>{text}</dd>" in page


def test_redirect_to_an_unknown_domain_or_within_one_host_is_no_chain() -> None:
    from spyglass.reports import redirect_chains

    plain = safari_visit("http://first-evil.com/a", "first-evil.com", target="https://news.example.org/")
    same = safari_visit("http://first-evil.com/a", "first-evil.com", target="http://first-evil.com/b")
    assert redirect_chains([plain]) == [] and redirect_chains([same]) == []
