"""Reports rendered from a case folder alone: terminal summary, HTML, STIX 2.1 sightings."""

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
        lines.append(f"This check is incomplete: files that {len(missing)} checks read are missing from the "
                     f"{what} ({', '.join(missing)}), so what they hold could not be looked at.{advice}")
    if failed:
        lines.append(f"This check is incomplete: {len(failed)} checks could not read their files "
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
