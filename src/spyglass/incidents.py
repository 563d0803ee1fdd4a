"""Incidents: findings that lie close in time, joined into one story a non-expert can read.

Findings are sorted by time and chained: each finding within `gap` (15 minutes unless told
otherwise) of the one before it belongs to the same incident. A finding without a timestamp
belongs to no incident (incidents.json counts them); context (severity "info") is no finding.
Each incident names its findings by a stable id (`finding_id`: the first 16 hex digits of the
sha256 of the finding's canonical JSON, keys sorted, compact, ASCII, as `Detection.to_dict()`
gives it) and by their line numbers in detections.jsonl, says which modules, evidence classes and spyware families are involved,
reads as one headline built from the findings in time order, and has a strength with its reason.

Evidence classes (MODULE_CLASSES, the one table): execution (a program ran, a file an implant
left, a profile or app installed), delivery (a link in a message), navigation (a site opened or
loaded), account (an operator's account seen or looked up), heuristic (a suspicious pattern,
no indicator). Only indicator findings take their module's class; suspicious findings are
heuristic whatever their module.

Rendered from detections alone: the same detections, in any order, give the same incidents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from spyglass import wording
from spyglass.case import loads
from spyglass.detections import INDICATOR, SEVERITY_RANK, Detection
from spyglass.records import iso_utc

DEFAULT_GAP = timedelta(minutes=15)
INCIDENTS_FILE = "incidents.json"
CONTEXT = "info"        # a severity that tells the reader something, never a sign against the phone

EXECUTION, DELIVERY, NAVIGATION, ACCOUNT, HEURISTIC = "execution", "delivery", "navigation", "account", "heuristic"
CLASS_ORDER = (DELIVERY, NAVIGATION, ACCOUNT, EXECUTION, HEURISTIC)   # also the order of equal times
CLASS_RANK = {name: rank for rank, name in enumerate(CLASS_ORDER)}

# module -> (evidence class, verb, place): "a known Pegasus site" + "opened in" + "Safari".
MODULE_CLASSES: dict[str, tuple[str, str, str]] = {
    # execution: a program ran
    "datausage": (EXECUTION, "used the network", ""),
    "netusage": (EXECUTION, "used the network", ""),
    "os_analytics_ad_daily": (EXECUTION, "used the network", ""),
    "shutdown_log": (EXECUTION, "was still running at a reboot", ""),
    "ps": (EXECUTION, "was running", ""),
    "taskinfo": (EXECUTION, "was running", ""),
    "spindump": (EXECUTION, "was running", ""),
    "android_processes": (EXECUTION, "was running", ""),
    "uuid_paths": (EXECUTION, "ran", ""),
    "analytics": (EXECUTION, "ran", ""),
    "crash_reports": (EXECUTION, "crashed", ""),
    "android_tombstones": (EXECUTION, "crashed", ""),
    "locationd_clients": (EXECUTION, "used location services", ""),
    "tcc": (EXECUTION, "was granted a privacy permission", ""),
    "android_intrusion_security": (EXECUTION, "was logged by Intrusion Logging", ""),
    # execution: a file an implant left
    "manifest": (EXECUTION, "was written on the phone", ""),
    "unexpected_executables": (EXECUTION, "was left on the phone", ""),
    "android_files": (EXECUTION, "was on the phone", ""),
    "android_fs_timeline": (EXECUTION, "was on the phone", ""),
    "android_root_binaries": (EXECUTION, "was on the phone", ""),
    # execution: a profile, an app or a setting installed
    "configuration_profiles": (EXECUTION, "was installed", ""),
    "configuration_profile_events": (EXECUTION, "was installed or removed", ""),
    "network_extensions": (EXECUTION, "was set up as a VPN or filter", ""),
    "android_packages": (EXECUTION, "was installed", ""),
    "backup_info": (EXECUTION, "was installed", ""),
    "app_bundles": (EXECUTION, "was installed", ""),
    "mobile_installation": (EXECUTION, "was installed", ""),
    "dumpsys_package_events": (EXECUTION, "was installed", ""),
    "dumpsys_accessibility": (EXECUTION, "was an accessibility service", ""),
    "dumpsys_device_admin": (EXECUTION, "was a device administrator", ""),
    "dumpsys_notification_listeners": (EXECUTION, "could read notifications", ""),
    "dumpsys_receivers": (EXECUTION, "listened for system events", ""),
    "dumpsys_appops": (EXECUTION, "used protected operations", ""),
    "dumpsys_dbinfo": (EXECUTION, "had databases open", ""),
    "dumpsys_platform_compat": (EXECUTION, "had compatibility overrides", ""),
    "android_getprop": (EXECUTION, "was set", ""),
    "android_settings": (EXECUTION, "was set", ""),
    "android_mounts": (EXECUTION, "was mounted", ""),
    # delivery: a link in a message
    "sms": (DELIVERY, "received by", "SMS or iMessage"),
    "sms_attachments": (DELIVERY, "received by", "Messages"),
    "android_sms": (DELIVERY, "received by", "SMS"),
    "whatsapp": (DELIVERY, "received by", "WhatsApp"),
    "email": (DELIVERY, "received by", "email"),
    "calendar": (DELIVERY, "received by", "a calendar invitation"),
    # navigation: a site opened or loaded
    "safari_history": (NAVIGATION, "opened in", "Safari"),
    "safari_browser_state": (NAVIGATION, "opened in", "Safari"),
    "safari_favicons": (NAVIGATION, "opened in", "Safari"),
    "chrome_history": (NAVIGATION, "opened in", "Chrome"),
    "chrome_favicons": (NAVIGATION, "opened in", "Chrome"),
    "firefox_history": (NAVIGATION, "opened in", "Firefox"),
    "firefox_favicons": (NAVIGATION, "opened in", "Firefox"),
    "firefox_places": (NAVIGATION, "opened in", "Firefox"),
    "webkit_resource_load_statistics": (NAVIGATION, "loaded by", "a browser or app"),
    "webkit_session_resource_log": (NAVIGATION, "loaded by", "a browser or app"),
    "webkit_website_data": (NAVIGATION, "loaded by", "a browser or app"),
    "cache_files": (NAVIGATION, "loaded by", "an app"),
    "shortcuts": (NAVIGATION, "named in", "a Shortcuts automation"),
    "short_links": (NAVIGATION, "reached through", "a shortened link"),
    "android_intrusion_dns": (NAVIGATION, "looked up by", "the phone"),
    "android_intrusion_connect": (NAVIGATION, "contacted by", "the phone"),
    # account: an operator's account looked up or kept
    "idstatuscache": (ACCOUNT, "looked up by", "iMessage or FaceTime"),
    "contacts": (ACCOUNT, "kept in", "the contacts"),
    "whatsapp_contacts": (ACCOUNT, "kept in", "WhatsApp contacts"),
    "call_history": (ACCOUNT, "in", "the call history"),
    "interaction_c": (ACCOUNT, "in", "recent interactions"),
}
# A module missing from the table takes its class from what matched.
OBSERVABLE_CLASSES = {
    "process": EXECUTION, "file_name": EXECUTION, "file_path": EXECUTION, "app_id": EXECUTION,
    "profile_id": EXECUTION, "android_property": EXECUTION, "sha256": EXECUTION, "sha1": EXECUTION,
    "md5": EXECUTION, "cert_sha256": EXECUTION, "cert_sha1": EXECUTION,
    "email": ACCOUNT, "phone": ACCOUNT, "domain": NAVIGATION, "url": NAVIGATION, "ip": NAVIGATION,
}
FALLBACK_WORDS = {EXECUTION: ("was on the phone", ""), ACCOUNT: ("seen in", "{module}"),
                  NAVIGATION: ("seen in", "{module}"), DELIVERY: ("received by", "{module}")}
# The record's own words, where they say more than the module's.
DESC_VERBS = {"process first used the network": "first used the network",
              "process last used the network": "last used the network"}

LINK_TYPES = frozenset({"domain", "url", "ip"})
MAX_STEPS = 6
MAX_VALUE = 60
MAX_HEURISTIC_TEXT = 120
MAX_FAMILIES = 20


def finding_id(detection: Detection) -> str:
    """Stable id of a finding: sha256 of its canonical JSON, first 16 hex digits."""
    data = detection.to_dict()
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    except TypeError:    # keys of mixed types cannot be sorted
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:16]


def finding_ids(detections: Iterable[Detection]) -> list[str]:
    """The ids of `detections` in their order. Two findings with the same JSON say the same
    thing; they keep apart by a suffix (`-2`, `-3`...)."""
    ids: list[str] = []
    seen: dict[str, int] = {}
    for detection in detections:
        identifier = finding_id(detection)
        repeats = seen.get(identifier, 0)
        seen[identifier] = repeats + 1
        ids.append(f"{identifier}-{repeats + 1}" if repeats else identifier)
    return ids


def evidence_class(detection: Detection) -> str:
    if detection.kind != INDICATOR:
        return HEURISTIC
    known = MODULE_CLASSES.get(detection.module)
    if known:
        return known[0]
    kind = detection.observable.type if detection.observable else ""
    return OBSERVABLE_CLASSES.get(kind, NAVIGATION)


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    line: int               # 1-based, in detections.jsonl as written with these detections
    at: datetime
    evidence: str
    detection: Detection

    def order(self) -> tuple[Any, ...]:
        return (self.at, CLASS_RANK[self.evidence], self.detection.module, self.id)


@dataclass
class Incident:
    number: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"incident-{self.number}"

    @property
    def start(self) -> datetime:
        return self.findings[0].at

    @property
    def end(self) -> datetime:
        return self.findings[-1].at

    def families(self) -> list[str]:
        names = {str(f.detection.indicator.get("malware"))[:MAX_VALUE] for f in self.findings
                 if f.detection.indicator and f.detection.indicator.get("malware")}
        return sorted(names)[:MAX_FAMILIES]

    def classes(self) -> list[str]:
        present = {f.evidence for f in self.findings}
        return [name for name in CLASS_ORDER if name in present]

    def to_dict(self) -> dict[str, Any]:
        strength, reason = strength_of(self.findings)
        severities = sorted({f.detection.severity for f in self.findings}, key=lambda s: SEVERITY_RANK.get(s, 9))
        return {
            "id": self.id,
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            "headline": headline(self.findings),
            "strength": strength,
            "strength_reason": reason,
            "severity": severities[0],
            "count": len(self.findings),
            "classes": self.classes(),
            "modules": sorted({f.detection.module for f in self.findings}),
            "malware": self.families(),
            "findings": [f.id for f in self.findings],
            "lines": [f.line for f in self.findings],
        }


def build_incidents(detections: Iterable[Detection], gap: timedelta = DEFAULT_GAP) -> dict[str, Any]:
    """The incidents.json document for `detections` (in the order written to detections.jsonl)."""
    if gap < timedelta(0):
        raise ValueError("the incident gap cannot be negative")
    timed: list[Finding] = []
    untimed = 0
    detections = list(detections)
    for line, (identifier, detection) in enumerate(zip(finding_ids(detections), detections, strict=True), start=1):
        if detection.severity == CONTEXT:
            continue
        if detection.timestamp is None:
            untimed += 1
            continue
        timed.append(Finding(identifier, line, detection.timestamp, evidence_class(detection), detection))
    timed.sort(key=Finding.order)
    incidents: list[Incident] = []
    for finding in timed:
        if not incidents or finding.at - incidents[-1].end > gap:
            incidents.append(Incident(len(incidents) + 1))
        incidents[-1].findings.append(finding)
    return {
        "gap_minutes": gap.total_seconds() / 60,
        "finding_id": "first 16 hex digits of the sha256 of the finding's JSON, keys sorted, compact, ASCII",
        "findings_without_time": untimed,
        "incidents": [incident.to_dict() for incident in incidents],
    }


# -- strength ----------------------------------------------------------------------------------
def strength_of(findings: list[Finding]) -> tuple[str, str]:
    classes = {f.evidence for f in findings}
    executions = {(f.detection.module, f.detection.observable.type if f.detection.observable else "",
                   f.detection.observable.value if f.detection.observable else "")
                  for f in findings if f.evidence == EXECUTION}
    joined = [name for name in (DELIVERY, NAVIGATION, ACCOUNT) if name in classes]
    if executions and joined:
        how = {DELIVERY: "a spyware link received", NAVIGATION: "a spyware site opened",
               ACCOUNT: "a spyware operator's account seen"}
        traces = "A trace" if len(executions) == 1 else f"{len(executions)} traces"
        return "strong", (f"{traces} of spyware running or installed, close in time to "
                          f"{wording.join([how[name] for name in joined])}.")
    if len(executions) > 1:
        return "strong", (f"{wording.count(len(executions), 'separate trace')} of spyware running or installed, "
                          "close together in time.")
    if executions:
        return "moderate", ("One trace of spyware running or installed, with no link, site or account "
                            "around it in time: have an expert confirm it.")
    if joined:
        said = {DELIVERY: "this link was received", NAVIGATION: "this page was opened",
                ACCOUNT: "this account was seen"}
        return "weak", (f"Only that {wording.join([said[name] for name in joined])}: nothing shows that spyware "
                        "ran, which does not mean the phone was infected.")
    if any(SEVERITY_RANK.get(f.detection.severity, 9) < SEVERITY_RANK["low"] for f in findings):
        return "weak", "Only suspicious signs, no known spyware indicator: worth an expert's look."
    return "informational", "Only minor suspicious signs, no known spyware indicator."


# -- headline ----------------------------------------------------------------------------------
@dataclass
class _Step:
    at: datetime
    subject: str
    actions: dict[str, list[str]] = field(default_factory=dict)     # verb -> places, in order

    def says(self, verb: str, place: str) -> bool:
        return verb in self.actions and (not place or place in self.actions[verb])

    def add(self, verb: str, place: str) -> None:
        places = self.actions.setdefault(verb, [])
        if place and place not in places:
            places.append(place)

    def text(self) -> str:
        said = [" ".join(part for part in (verb, wording.join(places)) if part) for verb, places in self.actions.items()]
        return " ".join(part for part in (self.subject, wording.join([s for s in said if s])) if part)


def headline(findings: list[Finding]) -> str:
    """One line, in time order: what happened first, then how long after it each next thing came."""
    indicated = [f for f in findings if f.evidence != HEURISTIC]
    signs = len(findings) - len(indicated)
    steps = _indicator_steps(indicated) if indicated else _heuristic_steps(findings)
    parts: list[str] = []
    previous: datetime | None = None
    for step in steps[:MAX_STEPS]:
        text = step.text()
        if previous is not None:
            delta = step.at - previous
            text = f", {text}" if delta < timedelta(seconds=1) else f"; {wording.duration(delta)} later, {text}"
        parts.append(text)
        previous = step.at
    line = "".join(parts)
    line = line[:1].upper() + line[1:]
    if len(steps) > MAX_STEPS:
        line += f"; and {wording.count(len(steps) - MAX_STEPS, 'more trace')}"
    if indicated and signs:
        line += f" ({wording.count(signs, 'suspicious sign')} too)"
    return line


def _indicator_steps(findings: list[Finding]) -> list[_Step]:
    """Findings of the same moment and subject make one step; what was said before is not repeated."""
    steps: list[_Step] = []
    for finding in findings:
        subject, verb, place = _words(finding)
        same = [step for step in steps if step.subject == subject]
        if any(step.says(verb, place) for step in same):
            continue
        now = next((step for step in same if finding.at - step.at < timedelta(seconds=1)), None)
        if now is None:
            now = _Step(finding.at, subject)
            steps.append(now)
        now.add(verb, place)
    return steps


def _heuristic_steps(findings: list[Finding]) -> list[_Step]:
    steps: list[_Step] = []
    said: set[str] = set()
    for finding in findings:
        text = _first_sentence(finding.detection.message)
        if text and text not in said:
            said.add(text)
            steps.append(_Step(finding.at, text[:1].lower() + text[1:] if text[1:2].islower() else text))
    return steps


def _words(finding: Finding) -> tuple[str, str, str]:
    detection = finding.detection
    malware = str((detection.indicator or {}).get("malware") or "spyware")[:MAX_VALUE]
    kind = detection.observable.type if detection.observable else ""
    value = _short(detection.observable.value) if detection.observable else ""
    verb, place = MODULE_CLASSES.get(detection.module, (finding.evidence, *FALLBACK_WORDS[finding.evidence]))[1:]
    place = place.format(module=detection.module)
    verb = DESC_VERBS.get(detection.record.timestamp_desc, verb)
    if finding.evidence == EXECUTION:
        return _execution_subject(kind, value, malware), verb, place
    if finding.evidence == DELIVERY:
        subject = f"a known {malware} link" if kind in LINK_TYPES or not kind else \
            f"a message from a known {malware} account"
        return subject, verb, place
    if finding.evidence == ACCOUNT:
        return f"a known {malware} operator's account", verb, place
    return f"a known {malware} site", verb, place


def _execution_subject(kind: str, value: str, malware: str) -> str:
    if kind == "process":
        return f"{malware} process '{value}'"
    if kind in ("file_name", "file_path"):
        return f"{malware} file '{value}'"
    if kind == "app_id":
        return f"{malware} app '{value}'"
    if kind == "profile_id":
        return f"{_a(malware)} {malware} configuration profile"
    if kind == "android_property":
        return f"{malware} system property '{value}'"
    if kind in ("sha256", "sha1", "md5"):
        return f"{_a(malware)} {malware} file (by its hash)"
    if kind in ("cert_sha256", "cert_sha1"):
        return f"an app signed with {_a(malware)} {malware} certificate"
    return f"{_a(malware)} {malware} trace"


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _first_sentence(message: str) -> str:
    text = " ".join(message.split())
    for mark in (". ", ": "):
        if mark in text:
            text = text.split(mark, 1)[0]
    text = text.rstrip(".")
    return text if len(text) <= MAX_HEURISTIC_TEXT else text[:MAX_HEURISTIC_TEXT - 3].rstrip() + "..."


def _short(value: str) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= MAX_VALUE else value[:MAX_VALUE - 3] + "..."


# -- a case's incidents, and what a recheck changed ---------------------------------------------
def read_incidents(case_dir: Path) -> dict[str, Any] | None:
    """incidents.json of a case folder; None when there is none or it cannot be read."""
    try:
        # orjson where it reads the file as written (it holds no integer past 64 bits): the
        # report reads it, and leads make it large.
        document = loads((case_dir / INCIDENTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("incidents"), list):
        return None
    return document


def incident_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """Incidents new (sharing no finding with any before), grown (findings added), shrunk
    (findings lost, some kept) and gone (no finding kept), matched by their finding ids."""
    old = [i for i in (before or {}).get("incidents") or [] if isinstance(i, dict)]
    new = [i for i in after.get("incidents") or [] if isinstance(i, dict)]
    old_sets = [set(_ids(i)) for i in old]
    changes: dict[str, list[dict[str, Any]]] = {"new": [], "grown": [], "shrunk": [], "gone": []}
    matched: set[int] = set()
    for incident in new:
        ids = set(_ids(incident))
        was = [number for number, old_ids in enumerate(old_sets) if old_ids & ids]
        matched.update(was)
        if not was:
            changes["new"].append(_brief(incident))
            continue
        before_ids = set().union(*(old_sets[number] for number in was))
        added, lost = len(ids - before_ids), len(before_ids - ids)
        entry = {**_brief(incident), "was": [str(old[number].get("id")) for number in was],
                 "was_strength": str(old[was[0]].get("strength")), "added": added, "lost": lost}
        if added:
            changes["grown"].append(entry)
        elif lost:
            changes["shrunk"].append(entry)
    for number, incident in enumerate(old):
        if number not in matched:
            changes["gone"].append({"was": str(incident.get("id")), "headline": str(incident.get("headline", "")),
                                    "strength": str(incident.get("strength", ""))})
    return {"before": len(old), "after": len(new), **changes}


def _ids(incident: dict[str, Any]) -> list[str]:
    ids = incident.get("findings")
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _brief(incident: dict[str, Any]) -> dict[str, Any]:
    return {"id": incident.get("id"), "headline": incident.get("headline"), "strength": incident.get("strength")}
