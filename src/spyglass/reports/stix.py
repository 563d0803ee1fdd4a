"""STIX 2.1 sightings of the indicators a case matched, for feed maintainers and analysts.

Rendered from the case folder alone (case.json, detections.jsonl) to OUT/sightings.stix2: one
bundle holding an `identity` for spyglass and, per matched indicator,
- the `indicator`: under the feed's own id when the feed gave a valid one, else under a UUIDv5
  of its pattern; its pattern rebuilt from the indicator's type and value;
- an `observed-data` for the evidence: the values that matched, as STIX Cyber-observable objects
  (domain-name, url, ipv4-addr/ipv6-addr, email-addr, file with its directory, process with its
  image file, x509-certificate), `number_observed` the number of detections, first/last observed
  their earliest and latest times (the check's time when none had one);
- a `sighting` of the indicator pointing at that observed-data, with `count` and, when the
  detections had times, `first_seen`/`last_seen`.
Matched values with no STIX Cyber-observable object (phone numbers, app and profile ids, Android
properties) are counted in the sighting but have no observed object.

Ids: SCOs take the STIX 2.1 deterministic id (UUIDv5 in the SCO namespace over the canonical JSON
of the id-contributing properties, spec section 2.9). The others (SDOs, SROs, the bundle, a process,
which has no id-contributing property) must or should be UUIDv4: theirs are UUIDv4 in form, made
from a hash of stable values rather than at random (`_stable_uuid`). Timestamps come from the case, so writing the sightings
of a case twice gives the same file. An indicator written under a feed's id is the value spyglass
matched, not the feed's own object (which stays the reference): it names no creator.
No evidence beyond the matched values and the module names leaves the case: no device
identifiers, no record contents.
Source: STIX 2.1 specification (OASIS, 2021): 2.9 identifiers, 4.7 indicator, 4.14 observed-data,
5.2 sighting, 6 cyber-observable objects; checked with the OASIS stix2 and stix2-validator libraries.

Leads (`write_leads`, OUT/leads.stix2): the values spyglass/context.py found near incidents that no
feed lists, as candidate indicators. STIX 2.1 has no status for an unconfirmed indicator, and
custom properties (`x_...`) are refused by strict readers, so a candidate is said with the
specification's own properties: `indicator_types` ["unknown"] (indicator-type-ov, 10.13),
`labels` ["candidate"] and a low `confidence` (15: "Low" on the None/Low/Med/High scale of
appendix A), the reason it was listed in its description, and one `note` (4.12) over all of them
saying that they are candidates for review, not findings.
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
IDENTITY_ID = "identity--95cd2875-f9a3-4c01-ac03-217e1bed80f8"  # _stable_uuid('identity:spyglass'), fixed
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


SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1, section 2.9
HASH_NAMES = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5",
              "cert_sha256": "SHA-256", "cert_sha1": "SHA-1", "cert_md5": "MD5"}
SIMPLE_SCOS = {"domain": "domain-name", "url": "url", "email": "email-addr"}


def write_sightings(case_dir: Path, out: Path | None = None) -> Path:
    """Write the sightings bundle of `case_dir` to `out` (default: case_dir/sightings.stix2)."""
    target = out if out is not None else case_dir / "sightings.stix2"
    bundle = sightings_bundle(read_case(case_dir), read_detections(case_dir))
    target.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", errors="backslashreplace")
    return target


def sightings_bundle(case: dict[str, Any], detections: Iterable[Detection]) -> dict[str, Any]:
    """The STIX 2.1 bundle (a dict ready for json.dumps) of the indicator detections."""
    made_at = _stix_time(case.get("finished_at") or case.get("started_at")) or IDENTITY_CREATED
    case_key = acquisition_key(case)
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
    observables: dict[str, dict[str, Any]] = {}
    for indicator_id in sorted(groups):
        group = groups[indicator_id]
        objects.append(group.indicator)
        observed = group.observed_data(case_key, made_at, observables)
        if observed is not None:
            objects.append(observed)
        objects.append(group.sighting(case_key, made_at, observed))
    objects += [observables[key] for key in sorted(observables)]
    ids = "\n".join(item["id"] for item in objects)
    return {"type": "bundle", "id": f"bundle--{_stable_uuid(f'bundle:{case_key}:{ids}')}",
            "objects": objects}


class _Group:
    """The detections of one indicator."""

    def __init__(self, indicator: dict[str, Any]) -> None:
        self.indicator = indicator
        self.count = 0
        self.times: list[datetime] = []
        self.modules: set[str] = set()
        self.values: dict[tuple[str, str], None] = {}

    def add(self, detection: Detection) -> None:
        self.count += 1
        if detection.timestamp is not None:
            self.times.append(detection.timestamp)
        if detection.module:
            self.modules.add(detection.module)
        seen = detection.observable
        if seen is not None and isinstance(seen.value, str) and seen.value:
            self.values[(seen.type, seen.value)] = None

    def observed_data(self, case_key: str, made_at: str,
                      observables: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        """The observed-data of the matched values (their SCOs added to `observables`), or None
        when no value has a STIX Cyber-observable object."""
        refs: list[str] = []
        for kind, value in self.values:
            objects = cyber_observables(kind, value)
            for item in objects:   # the objects a value's object refers to are part of the observation
                observables.setdefault(item["id"], item)
                refs.append(item["id"])
        if not refs:
            return None
        refs = sorted(set(refs))
        first = iso_stix(min(self.times)) if self.times else made_at
        last = iso_stix(max(self.times)) if self.times else made_at
        indicator_id = self.indicator["id"]
        return {
            "type": "observed-data",
            "spec_version": "2.1",
            "id": f"observed-data--{_stable_uuid(f'observed:{case_key}:{indicator_id}')}",
            "created": made_at,
            "modified": made_at,
            "created_by_ref": IDENTITY_ID,
            "first_observed": first,
            "last_observed": last,
            "number_observed": min(max(self.count, 1), MAX_COUNT),
            "object_refs": refs,
        }

    def sighting(self, case_key: str, made_at: str, observed: dict[str, Any] | None) -> dict[str, Any]:
        indicator_id = self.indicator["id"]
        sighting: dict[str, Any] = {
            "type": "sighting",
            "spec_version": "2.1",
            "id": f"sighting--{_stable_uuid(f'sighting:{case_key}:{indicator_id}')}",
            "created": made_at,
            "modified": made_at,
            "created_by_ref": IDENTITY_ID,
            "sighting_of_ref": indicator_id,
            "count": min(self.count, MAX_COUNT),
        }
        if self.times:
            sighting["first_seen"] = iso_stix(min(self.times))
            sighting["last_seen"] = iso_stix(max(self.times))
        if observed is not None:
            sighting["observed_data_refs"] = [observed["id"]]
        if self.modules:
            sighting["description"] = "Seen by spyglass in: " + ", ".join(sorted(self.modules))
        return sighting


def cyber_observables(kind: str, value: str) -> list[dict[str, Any]]:
    """The STIX Cyber-observable objects of a matched value, the objects it refers to first and
    the value's own object last; [] for a type STIX has no object for."""
    if kind in SIMPLE_SCOS:
        return [_sco(SIMPLE_SCOS[kind], {"value": value})]
    if kind == "ip":
        return [_sco("ipv6-addr" if ":" in value else "ipv4-addr", {"value": value})]
    if kind in ("sha256", "sha1", "md5"):
        return [_sco("file", {"hashes": {HASH_NAMES[kind]: value}})]
    if kind in ("cert_sha256", "cert_sha1", "cert_md5"):
        return [_sco("x509-certificate", {"hashes": {HASH_NAMES[kind]: value}})]
    if kind == "file_name":
        return [_sco("file", {"name": value})]
    if kind == "file_path":
        folder, _, name = value.rpartition("/")
        if not name:
            return [_sco("directory", {"path": value})]
        if not folder and not value.startswith("/"):
            return [_sco("file", {"name": name})]
        directory = _sco("directory", {"path": folder or "/"})
        return [directory, _sco("file", {"name": name, "parent_directory_ref": directory["id"]})]
    if kind == "process":
        image = _sco("file", {"name": value})
        process = {"type": "process", "spec_version": "2.1",
                   "id": f"process--{_stable_uuid('process:' + image['id'])}", "image_ref": image["id"]}
        return [image, process]
    return []


def _sco(kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    """An SCO with its deterministic id: UUIDv5 over the JCS (RFC 8785) form of its properties,
    all of which are id-contributing for the objects made here."""
    canonical = json.dumps(properties, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    identifier = uuid.uuid5(SCO_NAMESPACE, canonical.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
    return {"type": kind, "spec_version": "2.1", "id": f"{kind}--{identifier}", **properties}


def _stable_uuid(material: str) -> uuid.UUID:
    """A UUIDv4 in form, made from a hash of `material` in our namespace rather than at random:
    STIX asks for UUIDv4 ids where no deterministic id is defined (SDOs, SROs, bundles, a
    process), and the same case must give the same file."""
    digest = hashlib.sha256(NAMESPACE.bytes + material.encode("utf-8", "surrogatepass")).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def _identity() -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": IDENTITY_ID,
            "created": IDENTITY_CREATED, "modified": IDENTITY_CREATED, "name": "spyglass",
            "identity_class": "system",
            "description": "spyglass, an offline checker of phone acquisitions for mercenary spyware"}


def _indicator_object(indicator: dict[str, Any], made_at: str) -> dict[str, Any] | None:
    """The indicator matched: under the feed's id when valid, else under a generated one; None
    when it has no type with a pattern."""
    kind, value = indicator.get("type"), indicator.get("value")
    if not isinstance(kind, str) or not isinstance(value, str) or not value:
        return None
    pattern = stix_pattern(kind, value)
    if pattern is None:
        return None
    feed_id = indicator.get("id")
    from_feed = isinstance(feed_id, str) and is_stix_id(feed_id, "indicator")
    malware = str(indicator.get("malware") or "").strip()
    feed = str(indicator.get("feed") or "").strip()
    made: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": feed_id.lower() if from_feed else f"indicator--{_stable_uuid(f'indicator:{pattern}')}",
        "created": made_at,
        "modified": made_at,
    }
    if not from_feed:
        made["created_by_ref"] = IDENTITY_ID
    made.update({
        "name": f"{malware or 'Spyware'} {kind}: {value}"[:1000],
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": made_at,
    })
    if feed:
        made["description"] = f"From the feed {feed}"[:1000]
    return made


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


def acquisition_key(case: dict[str, Any]) -> str:
    """What tells one acquisition from another in the ids: the hashes of its inputs, else
    its path, hashed (the bundle is meant to be shared, the path is not)."""
    inputs = case.get("inputs")
    hashes = sorted(str(info.get("sha256")) for info in inputs.values()
                    if isinstance(info, dict) and info.get("sha256")) if isinstance(inputs, dict) else []
    acquisition = case.get("acquisition") if isinstance(case.get("acquisition"), dict) else {}
    material = "\n".join(hashes) if hashes else str(acquisition.get("path") or "")
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def iso_stix(moment: datetime) -> str:
    """A STIX timestamp (RFC 3339, UTC, `Z`) keeping the evidence's precision."""
    return iso_utc(moment) or ""


def _stix_time(value: Any) -> str | None:
    """A case timestamp as a STIX timestamp with millisecond precision, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        return None
    return f"{(iso_utc(moment) or '')[:19]}.{moment.microsecond // 1000:03d}Z"


# -- leads: candidate indicators ------------------------------------------------------------------
LEAD_CONFIDENCE = 15    # STIX 2.1 appendix A: 1-29 is "Low" on the None/Low/Med/High scale
LEAD_LABEL = "candidate"
LEADS_NOTE = ("spyglass lists these values as leads: they were seen on the phone close in time to an incident's "
              "findings, and no feed used in the check lists them. They are candidates for new indicators, to "
              "be reviewed by a person or a lab before any use; they are not findings, and nothing shows that "
              "they are malicious.")


def write_leads(case_dir: Path, out: Path | None = None) -> tuple[Path, int]:
    """Write the leads of `case_dir` (incidents.json) as a STIX 2.1 bundle of candidate indicators
    to `out` (default: case_dir/leads.stix2); the path and the number of indicators written."""
    from spyglass.context import case_leads

    target = out if out is not None else case_dir / "leads.stix2"
    bundle = leads_bundle(read_case(case_dir), case_leads(case_dir))
    target.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8",
                      errors="backslashreplace")
    return target, sum(1 for item in bundle["objects"] if item["type"] == "indicator")


def leads_bundle(case: dict[str, Any], leads: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Leads as candidate indicators: one `indicator` per distinct value (indicator_types
    ["unknown"], labels ["candidate"], a low `confidence`, the reason in its description), and one
    `note` over all of them saying that they are candidates, not findings. Only properties of the
    STIX 2.1 specification: the bundle parses with custom content refused."""
    made_at = _stix_time(case.get("finished_at") or case.get("started_at")) or IDENTITY_CREATED
    case_key = acquisition_key(case)
    indicators: dict[str, dict[str, Any]] = {}
    for lead in leads:
        kind, value = lead.get("type"), lead.get("value")
        if not isinstance(kind, str) or not isinstance(value, str) or not value:
            continue
        pattern = stix_pattern(kind, value)
        if pattern is None:
            continue
        identifier = f"indicator--{_stable_uuid(f'lead:{case_key}:{pattern}')}"
        seen = f"{lead.get('why') or 'seen'} (incident {lead.get('incident')}: {lead.get('headline') or ''})"
        if identifier in indicators:
            known = indicators[identifier]
            if seen not in known["description"] and len(known["description"]) < 4000:
                known["description"] += f"; {seen}"
            continue
        indicators[identifier] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": identifier,
            "created": made_at,
            "modified": made_at,
            "created_by_ref": IDENTITY_ID,
            "name": f"Candidate {kind}: {value}"[:1000],
            "description": f"Candidate indicator, not a finding: {seen}",
            "indicator_types": ["unknown"],
            "pattern": pattern,
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": made_at,
            "confidence": LEAD_CONFIDENCE,
            "labels": [LEAD_LABEL],
        }
    objects: list[dict[str, Any]] = [_identity()]
    objects += [indicators[key] for key in sorted(indicators)]
    if indicators:
        objects.append({"type": "note", "spec_version": "2.1",
                        "id": f"note--{_stable_uuid(f'leads-note:{case_key}')}",
                        "created": made_at, "modified": made_at, "created_by_ref": IDENTITY_ID,
                        "abstract": "Candidate indicators for review, not findings", "content": LEADS_NOTE,
                        "object_refs": sorted(indicators), "labels": [LEAD_LABEL]})
    ids = "\n".join(item["id"] for item in objects)
    return {"type": "bundle", "id": f"bundle--{_stable_uuid(f'leads:{case_key}:{ids}')}", "objects": objects}
