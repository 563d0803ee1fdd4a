"""The HTML report: one self-contained file for the person whose phone was checked.

Rendered from the case folder alone (case.json, detections.jsonl, incidents.json, and
timeline.csv for the analyst's chart). Inline CSS and inline SVG, no script, no external font,
stylesheet, image or link, and a Content-Security-Policy that forbids loading anything, so
opening the report fetches nothing and runs nothing. Every string that comes from the case is
evidence, and evidence is hostile: it is escaped, bidirectional and control characters are shown
as code points, long values are cut, and no evidence ever becomes a URL, an id, a class or an
attribute other than escaped text. The only links are to the report's own sections
(#finding-N, #incident-N, #analyst).

Order: the verdict (spyglass/verdict.py), what to do next, a compact overview with links,
the incidents as blocks (headline, span, strength explained, a time chart of their findings),
the finding cards; then, for the analyst, every finding in one table with script-free filters
(checkboxes and CSS :has()) and a timeline of the records around the findings; what was
checked, the module tables and the fingerprints last.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from spyglass import wording
from spyglass.case import read_case, read_detections
from spyglass.detections import INDICATOR, SEVERITIES, Detection, FindingGroup, group_findings, is_finding
from spyglass.devices import model_name
from spyglass.incidents import (
    ACCOUNT,
    DELIVERY,
    EXECUTION,
    HEURISTIC,
    NAVIGATION,
    evidence_class,
    finding_id,
    read_incidents,
)
from spyglass.reports import KIND_NAMES, LOCAL_HELPLINE, chain_text, redirect_chains
from spyglass.verdict import DELIVERY_TIER, EXECUTION_TIER, HEURISTIC_TIER, NOTHING_TIER, Verdict, assess

MAX_FINDINGS_SHOWN = 2000
MAX_TEXT_CHARS = 2000
MAX_RECORD_CHARS = 16 * 1024
MESSAGE_MODULES = ("sms", "imessage", "message", "whatsapp", "signal", "telegram", "chat", "mail", "notes")
BROWSER_MODULES = ("safari", "chrome", "firefox", "browser", "webkit", "history")

# Control and bidirectional-override characters in evidence are shown as <U+202E>: an
# attacker's message must not be able to reorder or hide what the report says.
_VISIBLE = {code: f"<U+{code:04X}>" for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,
                                                   *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                                                   *range(0x2066, 0x206A), 0xFEFF]}

EXPLANATIONS = {
    "process": "A program with the name of a known spyware component ran on this phone: the phone's own "
               "records list it. This is one of the strongest signs of an infection.",
    "file_name": "A file with a name known from spyware was found on the phone.",
    "file_path": "A file in a place known to be used by spyware was found on the phone.",
    "sha256": "A file on the phone is identical, byte for byte, to a known piece of spyware.",
    "cert": "An app or file on the phone is signed with a certificate known to be used by spyware.",
    "app_id": "An app known to be spyware, or to deliver it, is or was installed on the phone.",
    "profile_id": "A configuration profile known from spyware was installed. Profiles can change how the "
                  "phone connects to the internet and which servers it trusts.",
    "android_property": "A system setting known to be changed by spyware was found on the phone.",
    "email": "An account (an e-mail address or Apple ID) known to be used by attackers interacted with the "
             "phone, for example by sending it a message. Attacks that need no click work this way.",
    "phone": "A phone number known to be used by attackers is in the phone's records.",
    "link_message": "A message contained a link to a server known to deliver spyware. Receiving a link does "
                    "not prove an infection: what matters is whether it was opened, which an expert can "
                    "check. It does show that someone tried to target this phone.",
    "link_browser": "The phone's browser opened an address known to deliver spyware.",
    "network": "The phone recorded contact with a server known to be part of spyware infrastructure.",
    "suspicious": "This is not a match with known spyware but a pattern spyware has shown before (for "
                  "example a program running from an unusual place). It can have an innocent explanation "
                  "and deserves a closer look by an expert.",
}

NEXT_STEPS = {
    "danger": [
        "Do not reset, restore or update the phone, and do not delete the backup or this case folder: "
        "they are the evidence an expert needs. Resetting may remove the spyware but also the proof.",
        "Contact a helpline that handles spyware cases, free of charge for civil society: Access Now's "
        "Digital Security Helpline (help@accessnow.org, www.accessnow.org/help) or Amnesty International's "
        "Security Lab (securitylab.amnesty.org). Reach them from a device other than this phone.",
        "Until then, assume that this phone can be listened to and read: keep it away from sensitive "
        "conversations, and warn the people whose safety depends on your communications.",
        "Keep this report private. It contains personal data: messages, contacts and places.",
    ],
    "targeted": [
        "Keep the backup and this case folder, and do not reset or restore the phone before an expert has "
        "looked: they show who tried to reach you, and how.",
        "Ask a helpline to look further: Access Now's Digital Security Helpline (help@accessnow.org, "
        "www.accessnow.org/help) or Amnesty International's Security Lab (securitylab.amnesty.org).",
        "Do not open links in messages from senders you do not know, and do not answer them.",
        "Keep the phone's system and apps up to date, and consider Lockdown Mode (iPhone) or Advanced "
        "Protection (Android): they block many of the ways such links attack a phone.",
        "Keep this report private. It contains personal data: messages, contacts and places.",
    ],
    "warning": [
        "Keep the backup and this case folder; do not reset the phone before an expert has looked.",
        "Ask a helpline to review the findings: Access Now's Digital Security Helpline "
        "(help@accessnow.org, www.accessnow.org/help) or Amnesty International's Security Lab "
        "(securitylab.amnesty.org).",
        "Keep this report private. It contains personal data: messages, contacts and places.",
    ],
    "clean": [
        "Keep the phone's system and apps up to date: most spyware relies on flaws that updates fix.",
        "If you are at risk because of who you are or what you do, turn on Lockdown Mode (iPhone) or "
        "Advanced Protection (Android), and restart the phone regularly.",
        "New traces are published often. Check the phone again later with updated indicators "
        "(`spyglass iocs update`, then `spyglass recheck` on this case folder).",
        "If you still have reasons to worry, ask Access Now's Digital Security Helpline "
        "(help@accessnow.org, www.accessnow.org/help).",
    ],
}

TIER_LEVELS = {EXECUTION_TIER: "danger", DELIVERY_TIER: "targeted", HEURISTIC_TIER: "warning", NOTHING_TIER: "clean"}
STRENGTH_TEXT = {
    "strong": "Strong evidence: traces of spyware running or installed on the phone, with other traces close "
              "in time.",
    "moderate": "Moderate evidence: one trace of spyware running or installed, alone; an expert should "
                "confirm it.",
    "weak": "Weak evidence: a link received, a page opened or a suspicious sign, and no trace that spyware ran.",
    "informational": "For information: minor signs, most often harmless.",
}
CLASS_NAMES = {DELIVERY: "link received", NAVIGATION: "page opened", ACCOUNT: "account seen",
               EXECUTION: "spyware ran or was installed", HEURISTIC: "suspicious sign"}
SEVERITY_COLOURS = {"critical": "#7a0b0b", "high": "#c81e1e", "medium": "#b7791f", "low": "#2b6cb0", "info": "#2f855a"}
MAX_INCIDENTS_SHOWN = 200
MAX_ANALYST_ROWS = 5000
MAX_FILTER_VALUES = 40
MAX_TIMELINE_ROWS = 20_000_000
MAX_BINS = 72
MIN_BINS = 24
MAX_PERIODS = 4
PERIOD_GAP = timedelta(days=2)
BIN_SIZES = (timedelta(minutes=10), timedelta(hours=1), timedelta(days=1), timedelta(days=7), timedelta(days=30), timedelta(days=365))

CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#f5f5f7;margin:0}
main{max-width:960px;margin:0 auto;padding:24px 16px}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:32px;font-size:1.3em}
.muted{color:#6e6e73;font-size:.9em}
.verdict{border-radius:12px;padding:20px 24px;margin:20px 0;border:2px solid}
.verdict h2{margin:0 0 8px;font-size:1.5em}
.danger{background:#fde8e8;border-color:#c81e1e}.warning{background:#fff4d6;border-color:#b7791f}
.targeted{background:#ffedd5;border-color:#c05621}.clean{background:#e6f4ea;border-color:#1e7e34}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid #d2d2d7;padding:6px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
table.wide{min-width:600px}td.path{word-break:break-all;min-width:16ch}
th{background:#ececf0}
td.when,td.num,td.nowrap,th.nowrap,span.when{white-space:nowrap;overflow-wrap:normal}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.hash{word-break:break-all;font-family:ui-monospace,monospace;font-size:.85em;min-width:12ch}
a{color:#0b57d0}
.finding,.incident{background:#fff;border:1px solid #d2d2d7;border-left:6px solid #6e6e73;border-radius:8px;padding:12px 16px;margin:12px 0}
.finding h3,.incident h3{margin:0 0 8px;font-size:1.05em;overflow-wrap:anywhere}
.sev-critical{border-left-color:#7a0b0b}.sev-high{border-left-color:#c81e1e}
.sev-medium{border-left-color:#b7791f}.sev-low{border-left-color:#2b6cb0}.sev-info{border-left-color:#2f855a}
.strength-strong{border-left-color:#7a0b0b}.strength-moderate{border-left-color:#c05621}
.strength-weak{border-left-color:#2b6cb0}.strength-informational{border-left-color:#6e6e73}
.sample{background:#fff4d6;border:2px dashed #b7791f;padding:.75em;font-size:1.1em}
.badge{display:inline-block;border-radius:4px;padding:0 6px;margin-right:6px;color:#fff;background:#6e6e73;font-size:.85em;text-transform:uppercase;white-space:nowrap}
.badge.critical,.badge.strong{background:#7a0b0b}.badge.high{background:#c81e1e}.badge.medium{background:#b7791f}
.badge.moderate{background:#c05621}.badge.low,.badge.weak{background:#2b6cb0}.badge.info{background:#2f855a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}
dt{color:#6e6e73}dd{margin:0;overflow-wrap:anywhere}
.explain{background:#f5f5f7;border-radius:6px;padding:8px 12px;margin:8px 0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f5f7;padding:8px;border-radius:6px;font-size:.85em}
code{overflow-wrap:anywhere}
svg.chart{width:100%;max-width:720px;height:auto;display:block;background:#fff;border:1px solid #d2d2d7;border-radius:6px;margin:8px 0}
svg.chart text{font:11px system-ui,sans-serif;fill:#6e6e73}
.overview li{margin:4px 0}
p,li,h3,h4{overflow-wrap:anywhere}table.list td{overflow-wrap:anywhere}
table.analyst{min-width:880px;font-size:.9em}table.analyst td{overflow-wrap:normal}
table.analyst td.value{overflow-wrap:anywhere;min-width:16ch}
.filters{display:flex;flex-wrap:wrap;gap:8px 24px;background:#fff;border:1px solid #d2d2d7;border-radius:6px;padding:8px 12px}
.filters fieldset{border:0;margin:0;padding:0}.filters legend{font-weight:bold;padding:0}
.filters label{margin-right:10px;white-space:nowrap}
.status-error{color:#c81e1e;font-weight:bold}.status-ok{color:#1e7e34}.status-not-present{color:#6e6e73}
@media print{body{background:#fff}details{display:block}.filters{display:none}
/* A closed <details> prints nothing but its summary: the evidence is printed open. */
details::details-content{content-visibility:visible;display:block}
.appendix{break-before:page}}
"""


@dataclass
class _View:
    """What the sections share: the case, its findings in both orders, the cards and incidents."""

    case: dict[str, Any]
    detections: list[Detection]                 # most severe first
    in_file: list[Detection]                    # as in detections.jsonl (incidents name their lines)
    groups: list[FindingGroup]
    incidents: list[dict[str, Any]]
    members: dict[str, list[int]]               # incident id -> card numbers of its findings, in time order
    card_incident: dict[int, str]               # card number -> the incident it belongs to
    verdict: Verdict
    chains: list[dict[str, Any]] = field(default_factory=list)   # redirects between spyware domains

    def card(self, detection: Detection) -> int:
        return self._cards.get(_group_key(detection), 0)

    def __post_init__(self) -> None:
        self._cards = {_group_key(group.first): number for number, group in enumerate(self.groups, start=1)}


def write_html(case_dir: Path, out: Path | None = None) -> Path:
    """Render the report of `case_dir` to `out` (default: case_dir/report.html)."""
    target = out if out is not None else case_dir / "report.html"
    target.write_text(render_html(case_dir), encoding="utf-8", errors="backslashreplace")
    return target


def render_html(case_dir: Path) -> str:
    """The whole report as one HTML document."""
    view = _view(case_dir)
    level = TIER_LEVELS[view.verdict.tier]
    analyst, analyst_css = _analyst(view, case_dir)
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<meta name=\"referrer\" content=\"no-referrer\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>Spyware check report \u2014 {_text(_device_label(view.case, case_dir))}</title>",
        f"<style>{CSS}{analyst_css}</style></head><body><main>",
        _sample_banner(view.case),
        _header(view.case),
        # What the person needs first: the verdict, what it means, what to do; then a compact
        # overview with links, the incidents and the cards; the analyst's part; what was checked
        # and how comes last (a printout used to reach "what to do" on page 23).
        _verdict(view, level),
        _next_steps(level),
        _overview(view),
        _incidents(view),
        _findings(view, _descriptions(view.case)),
        _leads(view),
        analyst,
        _checked(view.case, case_dir),
        _modules(view.case),
        _warnings(view.case),
        _inputs(view.case),
        "<footer><p class=\"muted\">This report was made on this computer, offline; nothing was sent "
        "anywhere. It contains personal data from the phone: share it only with people you trust.</p>"
        "</footer></main></body></html>\n",
    ]
    return "\n".join(part for part in parts if part)


def _view(case_dir: Path) -> _View:
    case = read_case(case_dir)
    in_file = read_detections(case_dir)
    detections = sorted(in_file, key=Detection.sort_key)
    document = read_incidents(case_dir)
    groups = group_findings(detections)
    incidents = [i for i in (document or {}).get("incidents") or [] if isinstance(i, dict)][:MAX_INCIDENTS_SHOWN]
    view = _View(case, detections, in_file, groups, incidents, {}, {}, assess(case, in_file, document),
                 redirect_chains(detections))
    for number, incident in enumerate(incidents, start=1):
        key = _incident_anchor(number)
        cards: list[int] = []
        for detection in _incident_findings(incident, in_file):
            card = view.card(detection)
            if card and card not in cards:
                cards.append(card)
            view.card_incident.setdefault(card, key)
        view.members[key] = cards
    return view


def _incident_findings(incident: dict[str, Any], in_file: list[Detection]) -> list[Detection]:
    """The findings an incident names by line, each checked against the id it names (a line whose
    finding changed since incidents.json was written is not that finding)."""
    lines = incident.get("lines") if isinstance(incident.get("lines"), list) else []
    ids = {str(i).split("-")[0] for i in incident.get("findings") or [] if isinstance(i, str)} \
        if isinstance(incident.get("findings"), list) else set()
    found = []
    for line in lines:
        if isinstance(line, int) and not isinstance(line, bool) and 1 <= line <= len(in_file):
            detection = in_file[line - 1]
            if not ids or finding_id(detection) in ids:
                found.append(detection)
    return found


# -- sections ----------------------------------------------------------------------------------
def _header(case: dict[str, Any]) -> str:
    tool = _dict(case.get("tool"))
    made = f"Made by {_text(tool.get('name') or 'spyglass')} {_text(tool.get('version') or '')}".rstrip()
    finished = case.get("finished_at") or case.get("started_at")
    when = f", check finished {_text(_when(finished))}" if finished else ""
    return f"<header><h1>Spyware check report</h1><p class=\"muted\">{made}{when}.</p></header>"


def _verdict(view: _View, level: str) -> str:
    verdict = view.verdict
    lines = [f"<section class=\"verdict {level}\" id=\"verdict\"><h2>{_text(verdict.headline)}</h2>",
             f"<p>{_text(verdict.explanation)}</p>"]
    if verdict.checked:
        lines.append(f"<p>{_text(verdict.checked)}</p>")
    if verdict.families:
        lines.append(f"<p>The traces found belong to: <strong>{_text(', '.join(verdict.families))}</strong>.</p>")
    findings = [d for d in view.detections if is_finding(d)]
    if findings:
        severities = Counter(d.severity for d in findings)
        shown = ", ".join(f"{severities[name]} {name}" for name in SEVERITIES if severities[name])
        known = sum(1 for d in findings if d.kind == INDICATOR)
        lines.append(f"<p>Findings: {len(findings)} ({_text(shown)}): {wording.count(known, 'known spyware trace')}, "
                     f"{wording.count(len(findings) - known, 'suspicious sign')}.</p>")
    if verdict.caveats:
        lines.append("<ul>" + "".join(f"<li>{_text(item)}</li>" for item in verdict.caveats) + "</ul>")
    lines.append(f"<p class=\"muted\">Strength of the evidence: {_text(verdict.name)}.</p>")
    lines.append("</section>")
    return "\n".join(lines)


def _overview(view: _View) -> str:
    """A compact list of what was found, each line a link to its incident or card."""
    if not view.groups:
        return ""
    lines = ["<section id=\"overview\" class=\"overview\"><h2>At a glance</h2>"]
    if view.incidents:
        items = []
        for number, incident in enumerate(view.incidents, start=1):
            strength = _strength(incident)
            items.append(f"<li><a href=\"#{_incident_anchor(number)}\"><span class=\"badge {strength}\">"
                         f"{strength}</span>{_text(_span(incident))}</a>: {_text(incident.get('headline'), 300)}</li>")
        lines.append("<h3>Incidents: findings close in time</h3><ol>" + "".join(items) + "</ol>")
    rows = []
    for number, group in enumerate(view.groups[:MAX_FINDINGS_SHOWN], start=1):
        detection = group.first
        severity = _severity(detection)
        seen = f", seen {group.count} times" if group.count > 1 else ""
        rows.append(f"<tr><td><span class=\"badge {severity}\">{_text(detection.severity)}</span></td>"
                    f"<td><a href=\"#{_card_anchor(number)}\">{_text(detection.message, 300)}</a><br>"
                    f"<span class=\"muted\"><span class=\"when\">{_text(_when(group.earliest) or 'time unknown')}"
                    f"</span>{seen}</span></td></tr>")
    if view.chains:
        items = "".join(f"<li><a href=\"#{_card_anchor(view.card(chain['detection']))}\">{_text(chain_text(chain))}"
                        f"</a> ({_text(_when(chain['at']) or 'time unknown')})</li>" for chain in view.chains)
        lines.append(f"<h3>Redirects between known spyware domains</h3><ul>{items}</ul>")
    lines.append("<h3>Findings</h3><div class=\"scroll\"><table class=\"list\"><thead><tr><th>Severity</th><th>Finding, "
                 "first seen</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")
    lines.append("<p class=\"muted\"><a href=\"#analyst\">Every finding in one table, for an expert</a></p>")
    lines.append("</section>")
    return "\n".join(lines)


def _incidents(view: _View) -> str:
    if not view.incidents:
        return ""
    lines = ["<section id=\"incidents\"><h2>Incidents: findings close in time, read together</h2>",
             "<p class=\"muted\">Findings that lie minutes apart tell one story: a link received, then a page "
             "opened, then a program running. How strong the evidence is depends on what kind of traces "
             "are joined.</p>"]
    for number, incident in enumerate(view.incidents, start=1):
        anchor = _incident_anchor(number)
        strength = _strength(incident)
        cards = view.members.get(anchor, [])
        findings = _incident_findings(incident, view.in_file)
        items = "".join(f"<li><a href=\"#{_card_anchor(card)}\">{_text(view.groups[card - 1].first.message, 300)}"
                        f"</a></li>" for card in cards)
        lines.append("\n".join([
            f"<article class=\"incident strength-{strength}\" id=\"{anchor}\">",
            f"<h3><span class=\"badge {strength}\">{strength}</span>{_text(incident.get('headline'), 1000)}</h3>",
            _key_values([("When", _span(incident)), ("Findings", incident.get("count")),
                         ("Spyware", ", ".join(str(m) for m in incident.get("malware") or [] if m)
                          if isinstance(incident.get("malware"), list) else None)]),
            f"<p class=\"explain\"><strong>{_text(STRENGTH_TEXT.get(strength, ''))}</strong> "
            f"{_text(incident.get('strength_reason'), 500)}</p>",
            _incident_chart(view, findings),
            f"<ol>{items}</ol>" if items else "",
            "</article>",
        ]))
    lines.append("</section>")
    return "\n".join(lines)


def _leads(view: _View) -> str:
    """Each incident's leads (incidents.json): values seen around it that no feed lists."""
    rows: list[tuple[Any, ...]] = []
    left_out = 0
    for number, incident in enumerate(view.incidents, start=1):
        leads = incident.get("leads")
        extra = incident.get("leads_left_out")
        left_out += extra if isinstance(extra, int) and not isinstance(extra, bool) and extra > 0 else 0
        for lead in leads if isinstance(leads, list) else ():
            lead = _dict(lead)
            rows.append((_Link(_incident_anchor(number), f"Incident {number}"), _Cell(_when(lead.get("time")), "when"),
                         lead.get("type"), _Cell(lead.get("value"), "path"), lead.get("module"), lead.get("why")))
    if not rows:
        return ""
    more = f" {left_out} more are in incidents.json." if left_out else ""
    return ("<section id=\"leads\"><h2>Leads: values worth an expert's look (not findings)</h2>"
            "<p class=\"muted\">These values were seen within minutes of the findings above, and no indicator "
            "list names them. They are not signs against the phone and do not change the verdict: they are "
            "candidates an expert may check and, if they prove malicious, share as new indicators "
            f"(<code>spyglass report CASE --leads</code> exports them).{more}</p>"
            + _table(["Incident", "When", "Type", "Value", "Seen in", "Why it is a lead"], rows) + "</section>")


def _findings(view: _View, descriptions: dict[str, str]) -> str:
    lines = ["<section id=\"findings\"><h2>Findings, most serious first</h2>"]
    if not view.detections:
        lines.append("<p>None.</p></section>")
        return "\n".join(lines)
    for number, group in enumerate(view.groups[:MAX_FINDINGS_SHOWN], start=1):
        chains = [chain_text(chain) for chain in view.chains if view.card(chain["detection"]) == number]
        lines.append(_finding(number, group, descriptions, view.card_incident.get(number), chains))
    if len(view.groups) > MAX_FINDINGS_SHOWN:
        lines.append(f"<p><strong>{len(view.groups) - MAX_FINDINGS_SHOWN} more findings are not shown "
                     f"here.</strong> All {len(view.detections)} are in detections.jsonl in the case folder.</p>")
    lines.append("</section>")
    return "\n".join(lines)


def _finding(number: int, group: FindingGroup, descriptions: dict[str, str], incident: str | None,
             chains: tuple[str, ...] | list[str] = ()) -> str:
    detection = group.first
    severity = _severity(detection)
    kind = "Known spyware trace" if detection.kind == INDICATOR else "Suspicious sign"
    indicator = _dict(detection.indicator)
    when = _when(group.earliest) or "time unknown"
    if group.latest and group.latest != group.earliest:
        when = f"{when} to {_when(group.latest)}"
    rows: list[tuple[str, Any]] = [
        ("When", when),
        ("Found in", f"{descriptions[detection.module]} ({detection.module})"
         if descriptions.get(detection.module) else detection.module),
        ("File on the phone", detection.source),
    ]
    if detection.observable is not None:
        rows.append(("Value seen", f"{detection.observable.value} ({detection.observable.type})"))
    if indicator:
        rows.append(("Known trace", f"{indicator.get('value', '')} ({indicator.get('type', '')})"))
        rows.append(("Spyware", indicator.get("malware")))
        rows.append(("From the list", indicator.get("feed")))
    if detection.heuristic:
        rows.append(("Check", detection.heuristic))
    if group.count > 1:
        rows.append(("Seen", f"{group.count} times (details below are of the first)"))
    rows.extend(("Redirect chain", text) for text in chains)
    link = (f"<p class=\"muted\">Part of <a href=\"#{incident}\">incident {incident.rsplit('-', 1)[1]}</a>.</p>"
            if incident else "")
    return "\n".join([
        f"<article class=\"finding sev-{severity}\" id=\"{_card_anchor(number)}\">",
        f"<h3><span class=\"badge {severity}\">{_text(detection.severity)}</span>{_text(kind)}: "
        f"{_text(detection.message)}</h3>",
        _key_values(rows),
        link,
        f"<p class=\"explain\"><strong>What this means.</strong> {_text(_explanation(detection))}</p>",
        _record_details(detection),
        "</article>",
    ])


def _record_details(detection: Detection) -> str:
    record = detection.record.to_dict()
    fields = json.dumps(record.get("fields"), ensure_ascii=False, indent=2, sort_keys=True, default=str)
    if len(fields) > MAX_RECORD_CHARS:
        fields = fields[:MAX_RECORD_CHARS] + f"\n\u2026 ({len(fields) - MAX_RECORD_CHARS} more characters)"
    observables = ", ".join(f"{item['type']}: {item['value']}" for item in record.get("observables") or [])
    rows = [("Record", record.get("message")), ("Time means", record.get("timestamp_desc")),
            ("Values checked", observables)]
    return ("<details><summary>Record details</summary>" + _key_values(rows)
            + f"<pre>{_text(fields, limit=MAX_RECORD_CHARS + 100)}</pre></details>")


# -- the analyst's part ------------------------------------------------------------------------
def _analyst(view: _View, case_dir: Path) -> tuple[str, str]:
    """Every finding (each repeat too) in one table, filtered without scripts, and a timeline.

    Filters are checkboxes: a rule `#analyst:has(#f-x-3:not(:checked)) .x-3{display:none}` hides
    the rows of an unticked value. Class and id names are built from fixed words and numbers,
    never from evidence; the values themselves appear only as escaped label text."""
    findings = view.detections
    if not findings:
        return "", ""
    feeds = {str(_dict(f).get("name")): _dict(f) for f in view.case.get("feeds") or [] if isinstance(f, dict)}
    dimensions = {
        "sev": [name for name in SEVERITIES if any(d.severity == name for d in findings)],
        "sp": sorted({_spyware(d) for d in findings})[:MAX_FILTER_VALUES],
        "mod": sorted({d.module for d in findings})[:MAX_FILTER_VALUES],
        "feed": sorted({_feed(d) for d in findings})[:MAX_FILTER_VALUES],
    }
    titles = {"sev": "Severity", "sp": "Spyware", "mod": "Module", "feed": "List"}
    index = {name: {value: number for number, value in enumerate(values)} for name, values in dimensions.items()}
    css = []
    boxes = []
    for name, values in dimensions.items():
        labels = []
        for number, value in enumerate(values):
            ident = f"f-{name}-{number}"
            css.append(f"#analyst:has(#{ident}:not(:checked)) .{name}-{number}{{display:none}}")
            labels.append(f"<label><input type=\"checkbox\" id=\"{ident}\" checked> {_text(value, 80)}</label>")
        boxes.append(f"<fieldset><legend>{titles[name]}</legend>{''.join(labels)}</fieldset>")
    rows = []
    for detection in findings[:MAX_ANALYST_ROWS]:
        indicator = _dict(detection.indicator)
        classes = " ".join(f"{name}-{index[name][value]}" for name, value in (
            ("sev", detection.severity), ("sp", _spyware(detection)), ("mod", detection.module),
            ("feed", _feed(detection))) if value in index[name])
        feed = feeds.get(_feed(detection), {})
        report = feed.get("title") or feed.get("source")
        value = detection.observable.value if detection.observable else ""
        rows.append(
            f"<tr class=\"{classes}\"><td><span class=\"badge {_severity(detection)}\">{_text(detection.severity)}"
            f"</span></td><td class=\"when\">{_text(_when(detection.timestamp) or 'unknown')}</td>"
            f"<td>{_text(_spyware(detection))}</td><td>{_text(detection.module)}</td>"
            f"<td class=\"value\">{_text(value, 500)}</td>"
            f"<td class=\"hash\">{_text(indicator.get('id') or detection.heuristic)}</td>"
            f"<td>{_text(_feed(detection))}{'<br>' + _text(report) if report else ''}</td>"
            f"<td class=\"num\"><a href=\"#{_card_anchor(view.card(detection))}\">{view.card(detection)}</a></td></tr>")
    more = (f"<p><strong>{len(findings) - MAX_ANALYST_ROWS} more findings are not in this table</strong>; "
            "detections.jsonl has them all.</p>" if len(findings) > MAX_ANALYST_ROWS else "")
    html_parts = [
        "<section id=\"analyst\" class=\"appendix\"><h2>For the analyst</h2>",
        "<p class=\"muted\">Every finding, each repeat on its own row. Untick a value to hide its rows (no "
        "script runs: the filters are plain checkboxes). Indicator ids are the feeds' STIX ids.</p>",
        "<h3>Timeline</h3>",
        _timeline(view, case_dir),
        f"<div class=\"filters\">{''.join(boxes)}</div>",
        "<div class=\"scroll\"><table class=\"analyst\"><thead><tr><th>Severity</th><th class=\"nowrap\">When"
        "</th><th>Spyware</th><th>Module</th><th>Value</th><th>Indicator or check</th><th>List and its "
        "source</th><th class=\"nowrap\">Card</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>",
        more,
        "</section>",
    ]
    return "\n".join(part for part in html_parts if part), "\n".join(css)


def _timeline(view: _View, case_dir: Path) -> str:
    """Records per hour (or day, week, ...) around the findings, as bars; the findings as marks
    above them, each a link to its card. Findings days apart get a chart each (the periods with
    the most findings first, MAX_PERIODS of them), so that one old finding does not squeeze the
    rest into one bar. Counted from timeline.csv, rendered here as SVG."""
    timed = sorted((d for d in view.detections if d.timestamp is not None), key=lambda d: d.timestamp)  # type: ignore[arg-type,return-value]
    if not timed:
        return "<p class=\"muted\">No finding has a time, so there is no timeline.</p>"
    periods: list[list[Detection]] = []
    for detection in timed:
        if periods and detection.timestamp - periods[-1][-1].timestamp <= PERIOD_GAP:  # type: ignore[operator]
            periods[-1].append(detection)
        else:
            periods.append([detection])
    chosen = sorted(sorted(periods, key=len, reverse=True)[:MAX_PERIODS], key=lambda p: p[0].timestamp)  # type: ignore[arg-type,return-value]
    windows = []
    for period in chosen:
        first, last = period[0].timestamp, period[-1].timestamp
        size = next((size for size in BIN_SIZES if (last - first) / size <= MAX_BINS - 6), BIN_SIZES[-1])  # type: ignore[operator]
        needed = int((_floor(last, size) - _floor(first, size)) / size) + 1  # type: ignore[arg-type]
        pad = max(3, (MIN_BINS - needed) // 2)
        start = _floor(first, size) - pad * size  # type: ignore[arg-type]
        bins = min(MAX_BINS, needed + 2 * pad)
        windows.append((period, start, size, bins))
    counted = _record_counts(case_dir, [(start, size, bins) for _, start, size, bins in windows])
    parts = []
    for (period, start, size, bins), counts in zip(windows, counted, strict=True):
        parts.append(f"<h4>{_text(_when(start)[:16])} to {_text(_when(start + bins * size)[:16])} UTC: "
                     f"{wording.count(len(period), 'finding')}, {sum(counts)} records, per {_SIZE_WORDS[size]}</h4>")
        parts.append(_timeline_chart(view, period, start, size, counts))
    left = len(periods) - len(chosen)
    note = (f" {wording.count(left, 'other period')} with fewer findings {'is' if left == 1 else 'are'} not drawn."
            if left > 0 else "")
    parts.append(f"<p class=\"muted\">Bars: the records of every module in each time slot; dots: the findings, "
                 f"each a link to its card.{note}</p>")
    return "\n".join(parts)


def _timeline_chart(view: _View, period: list[Detection], start: datetime, size: timedelta, counts: list[int]) -> str:
    width, height, top, base = 600, 150, 30, 122
    bins = len(counts)
    step = (width - 20) / bins
    peak = max(counts) if any(counts) else 1
    parts = [f"<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Records per "
             f"{_SIZE_WORDS[size]} around the findings, with the findings marked\">"]
    for number, count in enumerate(counts):
        if count:
            bar = max(1.0, (base - top - 10) * count / peak)
            parts.append(f"<rect x=\"{10 + number * step:.1f}\" y=\"{base - bar:.1f}\" width=\"{max(step - 1, 1):.1f}\" "
                         f"height=\"{bar:.1f}\" fill=\"#c7d2e0\"><title>{wording.count(count, 'record')} from "
                         f"{_when(start + number * size)}</title></rect>")
    parts.append(f"<line x1=\"10\" y1=\"{base}\" x2=\"{width - 10}\" y2=\"{base}\" stroke=\"#6e6e73\"/>")
    for detection in period[:MAX_ANALYST_ROWS]:
        x = 10 + (detection.timestamp - start) / size * step   # type: ignore[operator]
        colour = SEVERITY_COLOURS.get(detection.severity, "#6e6e73")
        parts.append(f"<a href=\"#{_card_anchor(view.card(detection))}\"><circle cx=\"{x:.1f}\" cy=\"{top - 14}\" "
                     f"r=\"6\" fill=\"{colour}\"><title>{_text(_when(detection.timestamp))}: "
                     f"{_text(detection.message, 200)}</title></circle></a>"
                     f"<line x1=\"{x:.1f}\" y1=\"{top - 8}\" x2=\"{x:.1f}\" y2=\"{base}\" stroke=\"{colour}\" "
                     "stroke-opacity=\"0.35\"/>")
    parts.append(f"<text x=\"10\" y=\"{height - 8}\">{_text(_when(start)[:16])}</text>")
    parts.append(f"<text x=\"{width - 10}\" y=\"{height - 8}\" text-anchor=\"end\">"
                 f"{_text(_when(start + bins * size)[:16])}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


_SIZE_WORDS = {BIN_SIZES[0]: "10 minutes", BIN_SIZES[1]: "hour", BIN_SIZES[2]: "day", BIN_SIZES[3]: "week",
               BIN_SIZES[4]: "30 days", BIN_SIZES[5]: "year"}


def _record_counts(case_dir: Path, windows: list[tuple[datetime, timedelta, int]]) -> list[list[int]]:
    """Records per bin of each window from timeline.csv (its first column is the record's
    time), in one bounded pass."""
    counts = [[0] * bins for _, _, bins in windows]
    if not windows:
        return counts
    # The column is written by isoformat() in UTC, so its first 19 characters (to the second)
    # sort as the times do: rows outside every window are passed over without being parsed.
    low = min(start for start, _, _ in windows).astimezone(UTC).isoformat()[:19]
    high = max(start + size * bins for start, size, bins in windows).astimezone(UTC).isoformat()[:19]
    path = case_dir / "timeline.csv"
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            handle.readline()
            for number, line in enumerate(handle):
                if number >= MAX_TIMELINE_ROWS:
                    break
                stamp = line.split(",", 1)[0]
                if not stamp[:1].isdigit():
                    continue        # a message's continuation line, or damage
                if not low <= stamp[:19] <= high:
                    continue
                moment = _parse(stamp)
                if moment is None:
                    continue
                for slots, (start, size, bins) in zip(counts, windows, strict=True):
                    slot = (moment - start) // size
                    if 0 <= slot < bins:
                        slots[slot] += 1
                        break
    except OSError:
        pass
    return counts


def _incident_chart(view: _View, findings: list[Detection]) -> str:
    """The findings of one incident on a time axis, one lane per kind of trace, each a link."""
    timed = [d for d in findings if d.timestamp is not None]
    if len(timed) < 2:
        return ""
    first, last = min(d.timestamp for d in timed), max(d.timestamp for d in timed)   # type: ignore[type-var]
    margin = max(timedelta(minutes=1), (last - first) / 10)
    start, end = first - margin, last + margin
    lanes = [name for name in (DELIVERY, NAVIGATION, ACCOUNT, EXECUTION, HEURISTIC)
             if any(evidence_class(d) == name for d in timed)]
    width, lane_height, left, top = 600, 24, 170, 10
    height = top + lane_height * len(lanes) + 30
    span = (end - start).total_seconds()
    parts = [f"<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"The incident's "
             "findings in time\">"]
    for lane, name in enumerate(lanes):
        y = top + lane * lane_height + lane_height / 2
        parts.append(f"<text x=\"8\" y=\"{y + 4:.1f}\">{CLASS_NAMES[name]}</text>"
                     f"<line x1=\"{left}\" y1=\"{y:.1f}\" x2=\"{width - 10}\" y2=\"{y:.1f}\" stroke=\"#d2d2d7\"/>")
    for detection in timed:
        lane = lanes.index(evidence_class(detection))
        y = top + lane * lane_height + lane_height / 2
        x = left + (detection.timestamp - start).total_seconds() / span * (width - 10 - left)  # type: ignore[operator]
        colour = SEVERITY_COLOURS.get(detection.severity, "#6e6e73")
        parts.append(f"<a href=\"#{_card_anchor(view.card(detection))}\"><circle cx=\"{x:.1f}\" cy=\"{y:.1f}\" r=\"6\" "
                     f"fill=\"{colour}\"><title>{_text(_when(detection.timestamp))}: {_text(detection.message, 200)}"
                     "</title></circle></a>")
    bottom = height - 8
    parts.append(f"<text x=\"{left}\" y=\"{bottom}\">{_text(_when(start))}</text>")
    parts.append(f"<text x=\"{width - 10}\" y=\"{bottom}\" text-anchor=\"end\">{_text(_when(end))}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


# -- what was checked, and how ------------------------------------------------------------------
def _checked(case: dict[str, Any], case_dir: Path) -> str:
    acquisition = _dict(case.get("acquisition"))
    device = _dict(acquisition.get("device"))
    rows = [
        ("Phone", _device_label(case, case_dir)),
        ("Model identifier", device.get("model") if device.get("model") != model_name(device, case_dir) else None),
        ("System", " ".join(str(device[key]) for key in ("os", "os_version") if device.get(key))
         + (f" (build {device['build']})" if device.get("build") else "")),
        ("Backup or copy made", _when(device.get("backup_date"))),
        ("Serial number", device.get("serial")),
        ("Device identifier", device.get("udid") or device.get("imei")),
        ("What was read", KIND_NAMES.get(str(acquisition.get("kind")), acquisition.get("kind"))),
        ("Where it was read from", acquisition.get("path")),
        ("Encrypted", {True: "yes", False: "no"}.get(acquisition.get("encrypted"))),
        ("Check started", _when(case.get("started_at"))),
        ("Check finished", _when(case.get("finished_at"))),
    ]
    lines = ["<section id=\"checked\" class=\"appendix\"><h2>What was checked</h2>", _key_values(rows)]
    notes = acquisition.get("notes")
    if isinstance(notes, list) and notes:
        lines.append("<ul>" + "".join(f"<li>{_text(note)}</li>" for note in notes) + "</ul>")
    feeds = [feed for feed in case.get("feeds") or [] if isinstance(feed, dict)]
    if feeds:
        lines.append("<h3>Lists of known spyware traces (indicators) used</h3>")
        lines.append(_table(["List", "Version", "Date", "Indicators", "File fingerprint (SHA-256)"],
                            [(feed.get("name"), feed.get("version"), _Cell(feed.get("date"), "when"),
                              _Cell(feed.get("count"), "num"), _Cell(feed.get("sha256"), "hash"))
                             for feed in feeds]))
    else:
        lines.append("<p><strong>No lists of known spyware traces were used.</strong></p>")
    lines.append("</section>")
    return "\n".join(lines)


def _sample_banner(case: dict[str, Any]) -> str:
    notice = case.get("sample")
    return f"<p class=\"sample\" id=\"sample\"><strong>{_text(notice)}</strong></p>" if isinstance(notice, str) else ""


def _next_steps(level: str) -> str:
    steps = list(NEXT_STEPS[level])
    local = os.environ.get(LOCAL_HELPLINE, "").strip()[:300]
    if local and level != "clean":
        steps.insert(1, f"A helpline near you: {local}.")
    items = "".join(f"<li>{_text(step)}</li>" for step in steps)
    return f"<section id=\"next\"><h2>What to do next</h2><ol>{items}</ol></section>"


def _modules(case: dict[str, Any]) -> str:
    lines = ["<section id=\"modules\"><h2>Checks that ran</h2>"]
    modules = _dict(case.get("modules"))
    if modules:
        rows = []
        for name, info in sorted(modules.items()):
            info = _dict(info)
            files = info.get("files") if isinstance(info.get("files"), list) else []
            rows.append((name, info.get("description"), _Status(info.get("status") or "unknown"),
                         _Cell(info.get("records"), "num"), _Cell("\n".join(str(item) for item in files), "path"),
                         info.get("message")))
        lines.append("<h3>What was read</h3>")
        lines.append(_table(["Part", "What it is", "Status", "Records", "Files", "Message"], rows))
    heuristics = _dict(case.get("heuristics"))
    if heuristics:
        rows = [(name, _dict(info).get("description"), _Status(_dict(info).get("status") or "unknown"),
                 _Cell(_dict(info).get("findings"), "num"), _dict(info).get("message"))
                for name, info in sorted(heuristics.items())]
        lines.append("<h3>Checks for suspicious patterns</h3>")
        lines.append(_table(["Check", "What it looks for", "Status", "Findings", "Message"], rows))
    if not modules and not heuristics:
        lines.append("<p>The case folder does not list the checks that ran.</p>")
    lines.append("</section>")
    return "\n".join(lines)


def _warnings(case: dict[str, Any]) -> str:
    warnings = case.get("warnings")
    if not isinstance(warnings, list) or not warnings:
        return ""
    items = "".join(f"<li>{_text(item)}</li>" for item in warnings)
    return f"<section id=\"warnings\"><h2>Warnings</h2><ul>{items}</ul></section>"


def _inputs(case: dict[str, Any]) -> str:
    inputs = _dict(case.get("inputs"))
    if not inputs:
        return ""
    rows = [(name, _Cell(_dict(info).get("sha256"), "hash"), _Cell(_dict(info).get("size"), "num"))
            for name, info in sorted(inputs.items())]
    acquisition = _dict(case.get("acquisition"))
    stored = (" This backup is encrypted: each fingerprint is of the file as stored, encrypted, so it matches "
              "the backup on disk (the decrypted data was never written anywhere)."
              if acquisition.get("encrypted") else "")
    return ("<section id=\"inputs\"><h2>Evidence files and their fingerprints</h2>"
            "<p class=\"muted\">An expert can use these SHA-256 fingerprints to confirm that the files "
            "they examine are the ones checked here: each is of a file's bytes as read from the acquisition "
            f"(an archive's member as unpacked).{stored}</p>"
            + _table(["File", "SHA-256", "Size (bytes)"], rows) + "</section>")


# -- helpers -----------------------------------------------------------------------------------
class _Status(str):
    """A module status, rendered with a class derived from a fixed set (never from evidence)."""


@dataclass(frozen=True)
class _Cell:
    """A table value with a layout class of a fixed set: "when", "num", "hash" or "path"."""

    value: Any
    css: str


@dataclass(frozen=True)
class _Link:
    """A table cell linking within the report; `anchor` is built from fixed words and numbers."""

    anchor: str
    label: str


def _group_key(detection: Detection) -> tuple[str, str, str, str]:
    return (detection.kind, detection.severity, detection.module, detection.message)


def _card_anchor(number: int) -> str:
    return f"finding-{number}"


def _incident_anchor(number: int) -> str:
    return f"incident-{number}"


def _severity(detection: Detection) -> str:
    return detection.severity if detection.severity in SEVERITIES else "unknown"


def _strength(incident: dict[str, Any]) -> str:
    strength = incident.get("strength")
    return strength if strength in STRENGTH_TEXT else "informational"


def _span(incident: dict[str, Any]) -> str:
    start, end = _when(incident.get("start")), _when(incident.get("end"))
    if not end or end == start:
        return start
    return f"{start[:19]} to {end[11:]}" if start[:10] == end[:10] else f"{start} to {end}"


def _spyware(detection: Detection) -> str:
    if detection.kind != INDICATOR:
        return "(suspicious sign)"
    return " ".join(str(_dict(detection.indicator).get("malware") or "unnamed").split())[:80]


def _feed(detection: Detection) -> str:
    if detection.kind != INDICATOR:
        return "(heuristic)"
    return " ".join(str(_dict(detection.indicator).get("feed") or "unnamed").split())[:80]


def _explanation(detection: Detection) -> str:
    if detection.kind != INDICATOR:
        return EXPLANATIONS["suspicious"]
    kind = str(_dict(detection.indicator).get("type") or (detection.observable.type if detection.observable else ""))
    if kind in ("domain", "url", "ip"):
        module = detection.module.lower()
        if any(name in module for name in MESSAGE_MODULES):
            return EXPLANATIONS["link_message"]
        if any(name in module for name in BROWSER_MODULES):
            return EXPLANATIONS["link_browser"]
        return EXPLANATIONS["network"]
    if kind in ("sha1", "md5"):
        kind = "sha256"
    if kind.startswith("cert_"):
        kind = "cert"
    return EXPLANATIONS.get(kind, "A value on the phone matches a published trace of mercenary spyware.")


def _descriptions(case: dict[str, Any]) -> dict[str, str]:
    """Module name -> its one-line description, as case.json records it."""
    return {name: str(_dict(info).get("description")) for name, info in _dict(case.get("modules")).items()
            if _dict(info).get("description")}


def _device_label(case: dict[str, Any], case_dir: Path | None = None) -> str:
    device = _dict(_dict(case.get("acquisition")).get("device"))
    parts = [str(device["name"])] if device.get("name") else []
    model = model_name(device, case_dir)
    if model:
        parts.append(model)
    return " \u2014 ".join(parts) or "unknown phone"


def _key_values(rows: list[tuple[str, Any]]) -> str:
    items = "".join(f"<dt>{_text(key)}</dt><dd>{_text(value)}</dd>" for key, value in rows
                    if value not in (None, "", [], {}))
    return f"<dl>{items}</dl>" if items else ""


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{_text(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    # Too wide for a phone: the table scrolls in its own box, words and numbers stay whole.
    return f"<div class=\"scroll\"><table class=\"wide\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _cell(value: Any) -> str:
    if isinstance(value, _Status):
        css = {"ok": "status-ok", "error": "status-error", "not present": "status-not-present"}.get(value, "")
        return f"<td class=\"{css}\">{_text(value)}</td>"
    if isinstance(value, _Link):
        return f"<td><a href=\"#{_text(value.anchor)}\">{_text(value.label)}</a></td>"
    if isinstance(value, _Cell):
        return f"<td class=\"{value.css}\">{_text(value.value).replace(chr(10), '<br>')}</td>"
    text = _text(value).replace("\n", "<br>")
    return f"<td>{text}</td>"


def _text(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """Escaped text for element content or a quoted attribute; None is empty."""
    if value is None:
        return ""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + f"\u2026 ({len(text) - limit} more characters)"
    return html.escape(text.translate(_VISIBLE), quote=True)


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _floor(moment: datetime, size: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // size) * size


def _when(value: Any) -> str:
    """A timestamp as "2021-07-01 10:00:00 UTC"; text that is not one is shown as it is."""
    if value is None or value == "":
        return ""
    moment = _parse(value)
    if moment is None:
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
