"""MISP event of a case's findings, for an analyst's MISP instance: OUT/misp_event.json.

Rendered from the case folder alone (case.json, detections.jsonl). One event (`{"Event": {...}}`,
as MISP exports and imports events) holding
- one attribute per value found (MISP type and category below), merging the findings of the
  same value: tagged `spyglass:severity="<most severe>"` and `malware:"<name>"` for each
  malware its indicators name, `first_seen`/`last_seen` the earliest and latest times of its
  findings, the comment saying what matched and where; `to_ids` set for indicator matches only
  (a value a heuristic flagged is no indicator);
- one attribute per feed the findings name, in category "External analysis": a `link` when the
  feed's source is a URL, else `text` naming the feed, its version, date and sha256;
- the event's tags (every attribute's tags), `threat_level_id` from the most severe finding
  (1 high, 2 medium, 3 low), `analysis` 2 (complete: the check finished), `distribution` 0
  (this organisation only: the findings come from one person's phone) and `published` false.
Heuristic findings with no observable value are not written: MISP holds values, not prose.
No evidence beyond the matched values and the module names leaves the case.

UUIDs are made from hashes of stable values: writing the event of a case twice gives the same file.
Format facts: MISP core format (draft-dulaunoy-misp-core-format, sections 2.2 event, 2.3
attribute, 2.6 tag); attribute types and their categories from MISP's describeTypes.json (as
PyMISP ships it); checked by loading the file with PyMISP's MISPEvent.load.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from spyglass.case import read_case, read_detections
from spyglass.detections import INDICATOR, SEVERITY_RANK, Detection
from spyglass.records import iso_utc, parse_iso
from spyglass.reports.stix import acquisition_key

NAMESPACE = uuid.UUID("6f0e3b8e-3c1d-4c57-9a52-2b8f64f1c0d4")
MAX_COMMENT = 1000

# Observable type -> (MISP attribute type, category). A process is written as the file name of
# its program: MISP has no attribute type for a process name.
ATTRIBUTE_TYPES = {
    "domain": ("domain", "Network activity"),
    "url": ("url", "Network activity"),
    "ip": ("ip-dst", "Network activity"),
    "email": ("email-src", "Payload delivery"),
    "phone": ("phone-number", "Person"),
    "process": ("filename", "Artifacts dropped"),
    "file_name": ("filename", "Artifacts dropped"),
    "file_path": ("filename", "Artifacts dropped"),
    "sha256": ("sha256", "Artifacts dropped"),
    "sha1": ("sha1", "Artifacts dropped"),
    "md5": ("md5", "Artifacts dropped"),
    "cert_sha256": ("x509-fingerprint-sha256", "Network activity"),
    "cert_sha1": ("x509-fingerprint-sha1", "Network activity"),
    "cert_md5": ("x509-fingerprint-md5", "Network activity"),
    "app_id": ("mobile-application-id", "Payload installation"),
    "profile_id": ("text", "Payload installation"),
    "android_property": ("text", "Other"),
}
THREAT_LEVELS = {"critical": "1", "high": "1", "medium": "2", "low": "3"}


def write_misp(case_dir: Path, out: Path | None = None) -> Path:
    """Write the MISP event of `case_dir` to `out` (default: case_dir/misp_event.json)."""
    target = out if out is not None else case_dir / "misp_event.json"
    event = misp_event(read_case(case_dir), read_detections(case_dir))
    target.write_text(json.dumps(event, ensure_ascii=False, indent=2) + "\n", encoding="utf-8",
                      errors="backslashreplace")
    return target


def misp_event(case: dict[str, Any], detections: Iterable[Detection]) -> dict[str, Any]:
    """The MISP event (a dict ready for json.dumps) of the case's findings."""
    case_key = acquisition_key(case)
    values: dict[tuple[str, str], _Value] = {}
    feeds: dict[str, None] = {}
    worst = None
    for detection in detections:
        seen = detection.observable
        if seen is None or seen.type not in ATTRIBUTE_TYPES or not isinstance(seen.value, str) or not seen.value:
            continue
        misp_type = ATTRIBUTE_TYPES[seen.type][0]
        entry = values.get((misp_type, seen.value))
        if entry is None:
            entry = values[(misp_type, seen.value)] = _Value(seen.type, seen.value)
        entry.add(detection)
        for name in _feeds_of(detection):
            feeds[name] = None
        if worst is None or SEVERITY_RANK.get(detection.severity, 9) < SEVERITY_RANK.get(worst, 9):
            worst = detection.severity
    attributes = [values[key].attribute(case_key) for key in sorted(values)]
    attributes += [_feed_attribute(name, case, case_key) for name in feeds]
    tags: dict[str, None] = {}
    for attribute in attributes:
        for tag in attribute.get("Tag", ()):
            tags[tag["name"]] = None
    finished = _moment(case.get("finished_at") or case.get("started_at"))
    event: dict[str, Any] = {
        "uuid": str(_uuid(f"event:{case_key}")),
        "info": f"spyglass: {case.get('verdict') or 'findings of a phone check'}"[:MAX_COMMENT],
        "threat_level_id": THREAT_LEVELS.get(worst or "", "4"),
        "analysis": "2",
        "distribution": "0",
        "published": False,
        "Attribute": attributes,
        "Tag": [{"name": name} for name in sorted(tags)],
    }
    if finished is not None:
        event["date"] = finished.date().isoformat()
        event["timestamp"] = str(int(finished.timestamp()))
    return {"Event": event}


class _Value:
    """The findings of one value."""

    def __init__(self, kind: str, value: str) -> None:
        self.kind, self.value = kind, value
        self.severity = "low"
        self.indicator = False
        self.malwares: dict[str, None] = {}
        self.matched: dict[str, None] = {}
        self.modules: dict[str, None] = {}
        self.times: list[datetime] = []

    def add(self, detection: Detection) -> None:
        if SEVERITY_RANK.get(detection.severity, 9) < SEVERITY_RANK.get(self.severity, 9):
            self.severity = detection.severity
        indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
        if detection.kind == INDICATOR:
            self.indicator = True
            for name in indicator.get("malwares") or [indicator.get("malware")]:
                if isinstance(name, str) and name.strip():
                    self.malwares[name.strip()] = None
            if indicator.get("value"):
                self.matched[f"{indicator.get('value')} ({indicator.get('type')})"] = None
        elif detection.heuristic:
            self.matched[f"heuristic {detection.heuristic}"] = None
        if detection.module:
            self.modules[detection.module] = None
        if detection.timestamp is not None:
            self.times.append(detection.timestamp)

    def attribute(self, case_key: str) -> dict[str, Any]:
        misp_type, category = ATTRIBUTE_TYPES[self.kind]
        label = {"process": "process name", "file_path": "file path", "profile_id": "configuration profile",
                 "android_property": "Android property"}.get(self.kind)
        comment = f"matched {', '.join(self.matched)}" if self.matched else "found"
        if self.modules:
            comment += " in " + ", ".join(self.modules)
        if label:
            comment = f"{label}: {comment}"
        attribute: dict[str, Any] = {
            "uuid": str(_uuid(f"attribute:{case_key}:{misp_type}:{self.value}")),
            "type": misp_type,
            "category": category,
            "value": self.value,
            "to_ids": self.indicator,
            "distribution": "5",   # the event's
            "comment": comment[:MAX_COMMENT],
            "Tag": [{"name": f'spyglass:severity="{self.severity}"'},
                    *({"name": f'malware:"{_tag_text(name)}"'} for name in self.malwares)],
        }
        if self.times:
            attribute["first_seen"] = iso_utc(min(self.times))
            attribute["last_seen"] = iso_utc(max(self.times))
        return attribute


def _feed_attribute(name: str, case: dict[str, Any], case_key: str) -> dict[str, Any]:
    info = next((feed for feed in case.get("feeds") or () if isinstance(feed, dict) and feed.get("name") == name), {})
    source = str(info.get("source") or "")
    details = ", ".join(f"{key} {info[key]}" for key in ("version", "date", "sha256") if info.get(key))
    text = f"Indicators from the feed {name}" + (f" ({details})" if details else "")
    is_link = source.startswith(("https://", "http://"))
    return {
        "uuid": str(_uuid(f"feed:{case_key}:{name}")),
        "type": "link" if is_link else "text",
        "category": "External analysis",
        "value": source if is_link else text[:MAX_COMMENT],
        "to_ids": False,
        "distribution": "5",
        "comment": (text if is_link else (f"source {source}" if source else ""))[:MAX_COMMENT],
    }


def _feeds_of(detection: Detection) -> list[str]:
    indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
    if detection.kind != INDICATOR:
        return []
    names = indicator.get("feeds") or [indicator.get("feed")]
    return [name for name in names if isinstance(name, str) and name]


def _tag_text(name: str) -> str:
    """A name inside a quoted tag value: MISP tags are `namespace:predicate="value"`."""
    return name.replace('"', "'")[:200]


def _uuid(material: str) -> uuid.UUID:
    digest = hashlib.sha256(NAMESPACE.bytes + material.encode("utf-8", "surrogatepass")).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None
