"""Findings: an indicator match or a suspicious pattern, tied to the record that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spyglass.records import Observable, Record, iso_utc, parse_iso

INDICATOR = "indicator"
SUSPICIOUS = "suspicious"
# "info": context for the reader (Lockdown Mode is on), never a sign against the phone: it
# neither changes the verdict nor makes `check` exit 1.
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
INFO = "info"


def is_finding(detection: Detection) -> bool:
    """Whether a detection counts against the phone (everything but context)."""
    return detection.severity != INFO


@dataclass(frozen=True, slots=True)
class Detection:
    """One finding. `indicator` is set for indicator matches, None for heuristics."""

    kind: str
    severity: str
    message: str
    record: Record
    observable: Observable | None = None
    indicator: dict[str, Any] | None = None
    heuristic: str | None = None

    @property
    def module(self) -> str:
        return self.record.module

    @property
    def source(self) -> str:
        return self.record.source

    @property
    def timestamp(self) -> datetime | None:
        return self.record.timestamp

    def sort_key(self) -> tuple[Any, ...]:
        return (SEVERITY_RANK.get(self.severity, 9), 0 if self.kind == INDICATOR else 1,
                iso_utc(self.timestamp) or "", self.module, self.message)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "severity": self.severity,
            "module": self.module,
            "source": self.source,
            "timestamp": iso_utc(self.timestamp),
            "observable": self.observable.to_dict() if self.observable else None,
            "indicator": self.indicator,
            "message": self.message,
            "record": self.record.to_dict(),
        }
        if self.heuristic:
            data["heuristic"] = self.heuristic
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Detection:
        observable = data.get("observable")
        return cls(
            kind=data["kind"], severity=data["severity"], message=data.get("message", ""),
            record=Record.from_dict(data.get("record") or {}),
            observable=Observable(observable["type"], observable["value"]) if observable else None,
            indicator=data.get("indicator"), heuristic=data.get("heuristic"),
        )


def timestamp_of(data: dict[str, Any]) -> datetime | None:
    stamp = data.get("timestamp")
    return parse_iso(stamp) if stamp else None


@dataclass
class FindingGroup:
    """Findings that say the same thing (same kind, severity, module and message), as a reader sees
    them: a process seen in 80 network-usage rows is one finding, seen 80 times."""

    first: Detection
    count: int
    earliest: datetime | None
    latest: datetime | None


def group_findings(detections: list[Detection]) -> list[FindingGroup]:
    """Groups in the order of their first detection (detections come most severe first)."""
    groups: dict[tuple[str, str, str, str], FindingGroup] = {}
    for detection in detections:
        key = (detection.kind, detection.severity, detection.module, detection.message)
        when = detection.record.timestamp
        group = groups.get(key)
        if group is None:
            groups[key] = FindingGroup(detection, 1, when, when)
            continue
        group.count += 1
        if when is not None:
            group.earliest = when if group.earliest is None else min(group.earliest, when)
            group.latest = when if group.latest is None else max(group.latest, when)
    return list(groups.values())
