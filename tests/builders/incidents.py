"""Findings at chosen times, for the incident tests: Detection objects as the analyser makes them.

`CHAIN_AT` starts an infection chain across modules within minutes (a link by SMS, the site
opened in Safari two minutes later, the implant's process on the network 20 seconds after
that, its file written); `LATER_AT`, three days later, a second chain (an operator's account
looked up, then a profile installed); lone findings in between, and findings without a time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spyglass.detections import INDICATOR, SUSPICIOUS, Detection
from spyglass.records import Observable, Record

CHAIN_AT = datetime(2023, 3, 14, 9, 30, tzinfo=UTC)
LATER_AT = CHAIN_AT + timedelta(days=3, hours=2)
LINK = "https://track.badsite.example/x/91"


def indicator(module: str, at: datetime | None, kind: str, value: str, *, malware: str = "Pegasus",
              severity: str = "critical", desc: str = "", source: str = "") -> Detection:
    observable = Observable(kind, value)
    record = Record(timestamp=at, timestamp_desc=desc, message=f"{module} row naming {value}",
                    fields={"value": value}, observables=(observable,), module=module,
                    source=source or f"{module}.db")
    return Detection(kind=INDICATOR, severity=severity, message=f"{module}: {value}, a known {malware} {kind}",
                     record=record, observable=observable,
                     indicator={"type": kind, "value": value, "feed": "test", "malware": malware,
                                "id": f"indicator--{kind}-{value}"})


def suspicious(module: str, at: datetime | None, heuristic: str, message: str,
               severity: str = "medium") -> Detection:
    record = Record(timestamp=at, timestamp_desc="", message=f"{module} row", module=module,
                    source=f"{module}.db")
    return Detection(kind=SUSPICIOUS, severity=severity, message=message, record=record, heuristic=heuristic)


def first_chain(at: datetime = CHAIN_AT) -> list[Detection]:
    return [
        indicator("sms", at, "url", LINK, severity="high", desc="message received"),
        indicator("safari_history", at + timedelta(minutes=2), "domain", "track.badsite.example",
                  severity="high", desc="visited"),
        indicator("datausage", at + timedelta(minutes=2, seconds=20), "process", "bh",
                  desc="process first used the network"),
        indicator("manifest", at + timedelta(minutes=2, seconds=20), "file_name", "roleaccountd.plist",
                  desc="file modified"),
        suspicious("datausage", at + timedelta(minutes=2, seconds=20), "unknown_process",
                   'A program "bh" used the network that is not one of the programs iOS ships. Ask an expert.'),
    ]


def second_chain(at: datetime = LATER_AT) -> list[Detection]:
    return [
        indicator("idstatuscache", at, "email", "operator@icloud.example", malware="Predator",
                  desc="account looked up"),
        indicator("configuration_profiles", at + timedelta(minutes=10), "profile_id", "9A2F-PROFILE",
                  malware="Predator", desc="profile installed"),
    ]


def lone_findings() -> list[Detection]:
    """Each more than a day from anything else."""
    return [
        indicator("chrome_history", CHAIN_AT + timedelta(days=1), "domain", "badsite.example", severity="high"),
        indicator("netusage", CHAIN_AT + timedelta(days=2), "process", "bh"),
        suspicious("backup_info", CHAIN_AT - timedelta(days=30), "apps_outside_store",
                   "App org.example.beta was installed from TestFlight (a beta), not the App Store.",
                   severity="low"),
        suspicious("idstatuscache", CHAIN_AT - timedelta(days=20), "idstatus_nul",
                   "The phone looked up an account with a hidden character: this is how some attacks begin.",
                   severity="high"),
    ]


def without_time() -> list[Detection]:
    return [indicator("backup_info", None, "app_id", "com.spy.agent"),
            suspicious("backup_info", None, "apps_outside_store", "App com.spy.agent has no App Store record.")]


def everything() -> list[Detection]:
    """All of the above, in the order the analyser would write them (most severe first)."""
    return sorted(first_chain() + second_chain() + lone_findings() + without_time(), key=Detection.sort_key)
