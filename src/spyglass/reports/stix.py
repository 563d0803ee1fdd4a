"""STIX 2.1 sightings of the indicators a case matched, for feed maintainers and analysts.

Rendered from the case folder alone (case.json, detections.jsonl) to OUT/sightings.stix2:
one bundle holding an `identity` for spyglass and one `sighting` per matched indicator, with
`count` the number of detections of it and `first_seen`/`last_seen` their earliest and latest
timestamps. A sighting points at the feed's own indicator id when the feed gave a valid one;
otherwise an `indicator` object is written too, its pattern rebuilt from type and value.
Ids are UUIDv5 of stable values, and timestamps come from the case, so writing the sightings
of a case twice gives the same file. No evidence beyond the matched values and the module
names leaves the case: no device identifiers, no record contents.
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
from spyglass.detections import INDICATOR, Detection
from spyglass.records import iso_utc, parse_iso

NAMESPACE = uuid.UUID("2a2f6a5b-0134-50e9-8cb2-7d31a01f508c")
IDENTITY_ID = f"identity--{uuid.uuid5(NAMESPACE, 'identity:spyglass')}"
IDENTITY_CREATED = "2024-01-01T00:00:00.000Z"
MAX_COUNT = 999_999_999  # the largest `count` STIX 2.1 allows

# Observable type -> object path of a comparison, as the STIX loader reads them back.
# `file:path`, `app:id`, `configuration-profile:id`, `android-property:name` and
# `phone-number:value` follow the MVT and Amnesty feeds, not the STIX observable objects.
PATTERN_PATHS = {
    "domain": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "phone": "phone-number:value",
    "process": "process:name",
    "file_name": "file:name",
    "file_path": "file:path",
    "app_id": "app:id",
    "profile_id": "configuration-profile:id",
    "android_property": "android-property:name",
    "sha256": "file:hashes.'SHA-256'",
    "sha1": "file:hashes.'SHA-1'",
    "md5": "file:hashes.MD5",
    "cert_sha256": "x509-certificate:hashes.'SHA-256'",
    "cert_sha1": "x509-certificate:hashes.'SHA-1'",
    "cert_md5": "x509-certificate:hashes.MD5",
}


def write_sightings(case_dir: Path, out: Path | None = None) -> Path:
    """Write the sightings bundle of `case_dir` to `out` (default: case_dir/sightings.stix2)."""
    target = out if out is not None else case_dir / "sightings.stix2"
    bundle = sightings_bundle(read_case(case_dir), read_detections(case_dir))
    target.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", errors="backslashreplace")
    return target


def sightings_bundle(case: dict[str, Any], detections: Iterable[Detection]) -> dict[str, Any]:
    """The STIX 2.1 bundle (a dict ready for json.dumps) of the indicator detections."""
    made_at = _stix_time(case.get("finished_at") or case.get("started_at")) or IDENTITY_CREATED
    case_key = _case_key(case)
    groups: dict[str, _Group] = {}
    for detection in detections:
        if detection.kind != INDICATOR or not isinstance(detection.indicator, dict):
            continue
        indicator = _indicator_object(detection.indicator, made_at)
        if indicator is None:
            continue
        group = groups.get(indicator["id"])
        if group is None:
            group = groups[indicator["id"]] = _Group(indicator)
        group.add(detection)
    objects: list[dict[str, Any]] = [_identity()]
    for indicator_id in sorted(groups):
        group = groups[indicator_id]
        if not group.indicator.get("_from_feed"):
            objects.append({key: value for key, value in group.indicator.items() if not key.startswith("_")})
        objects.append(group.sighting(case_key, made_at))
    ids = "\n".join(item["id"] for item in objects)
    return {"type": "bundle", "id": f"bundle--{uuid.uuid5(NAMESPACE, f'bundle:{case_key}:{ids}')}",
            "objects": objects}


class _Group:
    """The detections of one indicator."""

    def __init__(self, indicator: dict[str, Any]) -> None:
        self.indicator = indicator
        self.count = 0
        self.times: list[datetime] = []
        self.modules: set[str] = set()

    def add(self, detection: Detection) -> None:
        self.count += 1
        if detection.timestamp is not None:
            self.times.append(detection.timestamp)
        if detection.module:
            self.modules.add(detection.module)

    def sighting(self, case_key: str, made_at: str) -> dict[str, Any]:
        indicator_id = self.indicator["id"]
        sighting: dict[str, Any] = {
            "type": "sighting",
            "spec_version": "2.1",
            "id": f"sighting--{uuid.uuid5(NAMESPACE, f'sighting:{case_key}:{indicator_id}')}",
            "created": made_at,
            "modified": made_at,
            "created_by_ref": IDENTITY_ID,
            "sighting_of_ref": indicator_id,
            "count": min(self.count, MAX_COUNT),
        }
        if self.times:
            sighting["first_seen"] = iso_utc(min(self.times))
            sighting["last_seen"] = iso_utc(max(self.times))
        if self.modules:
            sighting["description"] = "Seen by spyglass in: " + ", ".join(sorted(self.modules))
        return sighting


def _identity() -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": IDENTITY_ID,
            "created": IDENTITY_CREATED, "modified": IDENTITY_CREATED, "name": "spyglass",
            "identity_class": "system",
            "description": "spyglass, an offline checker of phone acquisitions for mercenary spyware"}


def _indicator_object(indicator: dict[str, Any], made_at: str) -> dict[str, Any] | None:
    """The feed's indicator when its id is valid (`_from_feed`), else a generated one; None
    when the detection names neither a valid id nor a type with a pattern."""
    feed_id = indicator.get("id")
    if isinstance(feed_id, str) and is_stix_id(feed_id, "indicator"):
        return {"id": feed_id.lower(), "_from_feed": True}
    kind, value = indicator.get("type"), indicator.get("value")
    if not isinstance(kind, str) or not isinstance(value, str) or not value:
        return None
    pattern = stix_pattern(kind, value)
    if pattern is None:
        return None
    malware = str(indicator.get("malware") or "").strip()
    feed = str(indicator.get("feed") or "").strip()
    generated = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(NAMESPACE, f'indicator:{pattern}')}",
        "created": made_at,
        "modified": made_at,
        "created_by_ref": IDENTITY_ID,
        "name": f"{malware or 'Spyware'} {kind}: {value}"[:1000],
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": made_at,
    }
    if feed:
        generated["description"] = f"From the feed {feed}"[:1000]
    return generated


def stix_pattern(kind: str, value: str) -> str | None:
    """`[domain-name:value = 'evil.com']` for an observable type and value; None for a type
    with no pattern. In a STIX string literal only `\\` and `'` are escaped."""
    path = PATTERN_PATHS.get(kind)
    if kind == "ip":
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
    if path is None:
        return None
    literal = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{path} = '{literal}']"


def is_stix_id(value: str, object_type: str) -> bool:
    """`object_type--` followed by an RFC 4122 UUID in its canonical form."""
    prefix = f"{object_type}--"
    if not value.lower().startswith(prefix):
        return False
    text = value[len(prefix):]
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        return False
    return str(parsed) == text.lower() and parsed.variant == uuid.RFC_4122


def _case_key(case: dict[str, Any]) -> str:
    """What tells one acquisition from another in the ids: the hashes of its inputs, else
    its path, hashed (the bundle is meant to be shared, the path is not)."""
    inputs = case.get("inputs")
    hashes = sorted(str(info.get("sha256")) for info in inputs.values()
                    if isinstance(info, dict) and info.get("sha256")) if isinstance(inputs, dict) else []
    acquisition = case.get("acquisition") if isinstance(case.get("acquisition"), dict) else {}
    material = "\n".join(hashes) if hashes else str(acquisition.get("path") or "")
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def _stix_time(value: Any) -> str | None:
    """A case timestamp as a STIX timestamp with millisecond precision, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        return None
    return f"{(iso_utc(moment) or '')[:19]}.{moment.microsecond // 1000:03d}Z"
