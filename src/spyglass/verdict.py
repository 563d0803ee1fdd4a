"""The verdict of a case, in one place: how strong the evidence is, said in plain words.

Four tiers, weighed by the strength of the evidence (see incidents.py for how findings are
joined in time and weighed):

- "execution":  signs that spyware ran or was installed on the phone: an incident of strength
                strong or moderate, or an indicator finding of the execution class (a process
                name in network-usage logs, a file an implant left, a profile installed);
- "delivery":   delivery or navigation only: a known spyware link received, a page of a known
                spyware server opened, an operator's account seen; nothing shows it ran;
- "heuristic":  suspicious signs only, no known indicator matched;
- "nothing":    no finding, said together with what was and was not checked.

Each tier has wording that neither alarms nor reassures wrongly, for a person who is not an
expert. The exit status rule does not depend on the tier: any finding (context of severity
"info" excepted) makes `check` exit 1. The terminal summary and the HTML report both take
their verdict from `assess`; case.json carries {tier, headline} under "verdict_tier".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spyglass import wording
from spyglass.detections import INDICATOR, SEVERITY_RANK, Detection, is_finding
from spyglass.incidents import ACCOUNT, DELIVERY, EXECUTION, NAVIGATION, evidence_class
from spyglass.reports import incomplete  # the one wording of an incomplete check

EXECUTION_TIER, DELIVERY_TIER, HEURISTIC_TIER, NOTHING_TIER = "execution", "delivery", "heuristic", "nothing"
TIERS = (EXECUTION_TIER, DELIVERY_TIER, HEURISTIC_TIER, NOTHING_TIER)
TIER_NAMES = {EXECUTION_TIER: "execution traces", DELIVERY_TIER: "delivery or navigation only",
              HEURISTIC_TIER: "heuristics only", NOTHING_TIER: "nothing found"}
EXECUTION_STRENGTHS = frozenset({"strong", "moderate"})
MAX_FAMILIES = 6
MAX_FAMILY_CHARS = 60

# The one thing to do, said in the terminal's short form (the HTML report says more).
NEXT_STEP = {
    EXECUTION_TIER: "Do not reset, restore or update the phone, and keep the backup and this case folder: they "
                    "are the evidence. Contact a helpline from another device, and until then assume this phone "
                    "can be listened to and read.",
    DELIVERY_TIER: "Keep the phone and the backup as they are, do not open links from unknown senders, and ask a "
                   "helpline to look further.",
    HEURISTIC_TIER: "Keep the backup and this case folder, and ask a helpline to review the signs if you are "
                    "worried.",
    NOTHING_TIER: "Keep the phone's system and apps up to date, and check again later with updated indicators "
                  "(spyglass iocs update, then spyglass recheck on this case folder).",
}

# What a trace of each class says happened, for the "delivery or navigation only" tier.
SEEN = {DELIVERY: "a link to a known spyware server was received in a message",
        NAVIGATION: "a page of a known spyware server was opened or loaded",
        ACCOUNT: "an account known to be used by spyware operators contacted the phone or was looked up"}


@dataclass(frozen=True)
class Verdict:
    tier: str
    headline: str
    explanation: str
    checked: str = ""                       # what was and was not checked ("nothing" tier)
    caveats: tuple[str, ...] = ()           # the check was incomplete, no feed was used, ...
    families: tuple[str, ...] = ()
    findings: int = 0                       # findings (context excluded)
    exit_status: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return TIER_NAMES[self.tier]

    @property
    def next_step(self) -> str:
        return NEXT_STEP[self.tier]

    def to_dict(self) -> dict[str, str]:
        return {"tier": self.tier, "headline": self.headline}


def assess_case(case_dir: Path, case: dict[str, Any] | None = None,
                detections: Sequence[Detection] | None = None) -> Verdict:
    """The verdict of a case folder, from its case.json, detections.jsonl and incidents.json."""
    from spyglass.case import read_case, read_detections
    from spyglass.incidents import read_incidents

    return assess(case if case is not None else read_case(case_dir),
                  detections if detections is not None else read_detections(case_dir), read_incidents(case_dir))


def assess(case: dict[str, Any], detections: Sequence[Detection], incidents: dict[str, Any] | None = None) -> Verdict:
    """The verdict of a case from its findings and (when given) its incidents.json document."""
    findings = [d for d in detections if is_finding(d)]
    indicators = [d for d in findings if d.kind == INDICATOR]
    classes = {evidence_class(d) for d in indicators}
    strengths = [str(i.get("strength")) for i in _incidents(incidents)]
    families = _families(indicators)
    caveats = list(incomplete(case))
    if not case.get("feeds"):
        caveats.append("No lists of known spyware traces were used: only general checks for suspicious "
                       "patterns ran.")
    common = {"caveats": tuple(caveats), "families": families, "findings": len(findings),
              "exit_status": 1 if findings else 0}
    named = f" ({', '.join(families)})" if families else ""
    which = ", ".join(families) if families else "known spyware"
    if EXECUTION in classes or any(s in EXECUTION_STRENGTHS for s in strengths):
        strong = strengths.count("strong")
        traces = {(d.module, d.observable.value if d.observable else d.message)
                  for d in indicators if evidence_class(d) == EXECUTION}
        if strong or len(traces) > 1:
            return Verdict(EXECUTION_TIER, f"Traces of known spyware were found{named}: signs that it ran "
                           "on this phone",
                           f"The phone's own records show {which} running or installed on it. This is "
                           "serious, and it is not your fault: these tools are built to go unnoticed. Before you "
                           "do anything else with the phone, read what to do, below.",
                           details={"strong_incidents": strong, "execution_traces": len(traces)}, **common)
        return Verdict(EXECUTION_TIER, f"Traces of known spyware were found{named}: one sign that it ran "
                       "on this phone, to be confirmed",
                       f"The phone's records hold one trace of {which} running or installed, with nothing "
                       "else around it in time. One trace alone can be a coincidence of names, so an expert "
                       "needs to confirm it; until then, treat the phone as possibly infected and read what to "
                       "do, below.",
                       details={"strong_incidents": 0, "execution_traces": len(traces)}, **common)
    if indicators:
        seen = [SEEN[name] for name in (DELIVERY, NAVIGATION, ACCOUNT) if name in classes]
        return Verdict(DELIVERY_TIER, f"Someone tried to reach this phone with known spyware{named}; "
                       "nothing shows that it ran",
                       f"spyglass found that {wording.join(seen)}. This shows that someone targeted the phone. It "
                       "does not show an infection: no trace of the spyware running on the phone was found. "
                       "Keep the phone and the backup as they are, and let an expert look further.",
                       details={"classes": sorted(classes)}, **common)
    if findings:
        serious = sum(1 for d in findings if SEVERITY_RANK.get(d.severity, 9) <= SEVERITY_RANK["medium"])
        if serious:
            return Verdict(HEURISTIC_TIER, f"No known spyware matched, but {wording.count(len(findings), 'suspicious sign')} "
                           f"{'deserves' if len(findings) == 1 else 'deserve'} an expert's look",
                           "None of the published traces of mercenary spyware matched. spyglass found patterns "
                           "that spyware has shown before; each can have an innocent explanation, and an expert "
                           "can tell which. On their own they are not proof of an infection.",
                           details={"serious": serious}, **common)
        return Verdict(HEURISTIC_TIER, f"No known spyware matched; {wording.count(len(findings), 'minor sign')} noted",
                       "None of the published traces of mercenary spyware matched. The signs noted are minor "
                       "and most often harmless; an expert can tell you more if you are worried.",
                       details={"serious": 0}, **common)
    return Verdict(NOTHING_TIER, "No known traces of spyware found \u2014 this does not prove the phone is clean",
                   "spyglass compared this phone's records with published traces of mercenary spyware and "
                   "found none. Spyware can leave no trace in a backup, and new spyware is not in the lists "
                   "yet: if you still have reasons to worry, ask for help.",
                   checked=checked_statement(case), **common)


def checked_statement(case: dict[str, Any]) -> str:
    """What was and was not looked at, in one sentence: parts read, absent, missing, failed."""
    modules = case.get("modules") if isinstance(case.get("modules"), dict) else {}
    statuses = [info.get("status") for info in modules.values() if isinstance(info, dict)]
    read = sum(1 for status in statuses if status == "ok")
    absent = sum(1 for status in statuses if status == "not present")
    missing = sum(1 for status in statuses if status == "missing")
    failed = sum(1 for status in statuses if status == "error")
    indicators = case.get("indicators")
    feeds = [f for f in case.get("feeds") or [] if isinstance(f, dict)]
    first = f"spyglass read {wording.count(read, 'kind')} of records"
    if feeds:
        total = indicators if isinstance(indicators, int) and indicators > 0 else \
            sum(f["count"] for f in feeds if isinstance(f.get("count"), int))
        first += f" and compared them with {total} known spyware traces from {wording.count(len(feeds), 'list')}"
    else:
        first += " but compared them with no list of known spyware traces"
    parts = [first]
    if absent:
        parts.append(f"{absent} other {'kind was' if absent == 1 else 'kinds were'} not in this acquisition "
                     "(apps or features the phone does not use or does not copy)")
    if missing:
        parts.append(f"{missing} could not be looked at because their files are missing")
    if failed:
        parts.append(f"{failed} could not be read")
    return "; ".join(parts) + "."


def _incidents(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    items = (document or {}).get("incidents") if isinstance(document, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _families(indicators: list[Detection]) -> tuple[str, ...]:
    names = sorted({" ".join(str(d.indicator.get("malware")).split())[:MAX_FAMILY_CHARS]
                    for d in indicators if d.indicator and d.indicator.get("malware")})
    if len(names) > MAX_FAMILIES:
        names = [*names[:MAX_FAMILIES], f"{len(names) - MAX_FAMILIES} more"]
    return tuple(names)


