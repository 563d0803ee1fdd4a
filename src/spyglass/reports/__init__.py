"""Reports rendered from a case folder alone: terminal summary, HTML, STIX 2.1 sightings.

Shared here: the wording of an incomplete check, the helplines, and the redirect chains between
two known spyware domains that both the summary and the HTML report name."""

from __future__ import annotations

from typing import Any

KIND_NAMES = {"ios-backup": "backup", "ios-fs": "filesystem dump", "sysdiagnose": "sysdiagnose",
              "androidqf": "androidqf acquisition", "android-bugreport": "bug report",
              "android-backup": "Android backup", "android-intrusion-logs": "intrusion logs"}


def incomplete(case: dict[str, Any]) -> list[str]:
    """What a person must hear when the check could not read everything, in plain words: files
    missing from the acquisition (theirs to fix) apart from checks that failed (ours)."""
    modules = case.get("modules") if isinstance(case.get("modules"), dict) else {}
    heuristics = case.get("heuristics") if isinstance(case.get("heuristics"), dict) else {}
    missing = sorted(name for name, info in modules.items() if isinstance(info, dict) and info.get("status") == "missing")
    failed = sorted(name for name, info in (*modules.items(), *heuristics.items())
                    if isinstance(info, dict) and info.get("status") == "error")
    kind = (case.get("acquisition") or {}).get("kind") if isinstance(case.get("acquisition"), dict) else None
    what = KIND_NAMES.get(str(kind), "acquisition")
    lines = []
    if missing:
        advice = " Make a new, encrypted backup and check that one." if kind == "ios-backup" else ""
        read = "checks read" if len(missing) > 1 else "check reads"
        lines.append(f"This check is incomplete: files that {len(missing)} {read} are missing from the "
                     f"{what} ({', '.join(missing)}), so what they hold could not be looked at.{advice}")
    if failed:
        could = "checks could not read their" if len(failed) > 1 else "check could not read its"
        lines.append(f"This check is incomplete: {len(failed)} {could} files "
                     f"({', '.join(failed)}); case.json says why.")
    return lines


HELPLINES = ("Access Now's Digital Security Helpline: help@accessnow.org, www.accessnow.org/help",
             "Amnesty International's Security Lab: securitylab.amnesty.org")
LOCAL_HELPLINE = "SPYGLASS_LOCAL_HELPLINE"   # a lab or helpline that hands spyglass out names itself here


def helplines() -> list[str]:
    """Who a person can ask for help: the local helpline configured for this installation
    (environment variable SPYGLASS_LOCAL_HELPLINE, "name: how to reach it"), then the public ones."""
    import os

    local = os.environ.get(LOCAL_HELPLINE, "").strip()[:300]
    return ([local] if local else []) + list(HELPLINES)


# -- redirect chains between two known spyware domains ----------------------------------------
REDIRECT_MODULES = ("safari_history",)      # visits that name the visit they redirected from or to
MAX_CHAINS = 200


def redirect_chains(detections: list[Any]) -> list[dict[str, Any]]:
    """Redirects from one page to another where both hosts are known spyware domains (as the
    indicator findings of this case name them): a page of one server sending the phone on to
    another, as exploit chains do. Safari's history names, for each visit, the visit it was
    redirected from and to (safari_history's redirect_source_url / redirect_destination_url).
    Each chain once, in time order: {"from", "to", "from_malware", "to_malware", "at", "module",
    "detection"} where "detection" is the finding of the page the chain was read from."""
    from spyglass.detections import INDICATOR
    from spyglass.extract import url_host

    known: dict[str, str] = {}
    for detection in detections:
        indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
        if detection.kind == INDICATOR and indicator.get("type") in ("domain", "url") and indicator.get("value"):
            value = str(indicator["value"]).lower()
            host = url_host(value) if indicator.get("type") == "url" else value
            if host:
                known.setdefault(host, str(indicator.get("malware") or "known spyware"))

    def malware_of(url: Any) -> str | None:
        host = url_host(url) if isinstance(url, str) else None
        if not host:
            return None
        for domain, malware in known.items():
            if host == domain or host.endswith("." + domain):
                return malware
        return None

    chains: dict[tuple[str, str], dict[str, Any]] = {}
    for detection in detections:
        if detection.kind != INDICATOR or detection.module not in REDIRECT_MODULES:
            continue
        fields = detection.record.fields if isinstance(detection.record.fields, dict) else {}
        url = fields.get("url")
        if not isinstance(url, str):
            continue
        for source, target in ((fields.get("redirect_source_url"), url), (url, fields.get("redirect_destination_url"))):
            if not isinstance(source, str) or not isinstance(target, str) or (source, target) in chains:
                continue
            if url_host(source) == url_host(target):
                continue
            first, second = malware_of(source), malware_of(target)
            if first and second and len(chains) < MAX_CHAINS:
                chains[(source, target)] = {"from": source, "to": target, "from_malware": first,
                                            "to_malware": second, "at": detection.timestamp,
                                            "module": detection.module, "detection": detection}
    return sorted(chains.values(), key=lambda chain: (chain["at"] is None, chain["at"] or 0, chain["from"]))


def chain_text(chain: dict[str, Any]) -> str:
    """One sentence naming both ends of a redirect chain."""
    both = (f"both known {chain['from_malware']} domains" if chain["from_malware"] == chain["to_malware"]
            else f"known {chain['from_malware']} and {chain['to_malware']} domains")
    return f"Redirected from {chain['from']} to {chain['to']}: {both}"
