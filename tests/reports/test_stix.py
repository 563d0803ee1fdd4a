"""STIX 2.1 sightings, written from case folders built here with Detection and Record objects."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stix2
import stix2validator as validator  # a test dependency: installed by the test extras, never skipped

from spyglass.detections import Detection
from spyglass.indicators.stix import key_type, parse_pattern
from spyglass.records import Observable, Record, parse_iso
from spyglass.reports.stix import IDENTITY_ID, cyber_observables, is_stix_id, stix_pattern, write_sightings

ValidationOptions, validate_instance = validator.ValidationOptions, validator.validate_instance

FEED_ID = "indicator--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d"
STIX_ID = re.compile(r"^[a-z][a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
STIX_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
CASE = {"tool": {"name": "spyglass", "version": "0.1.0"}, "command": "check",
        "started_at": "2024-05-01T09:00:00Z", "finished_at": "2024-05-01T09:02:30.123456Z",
        "acquisition": {"kind": "ios-backup", "path": "/cases/backup", "device": {"udid": "0000-SECRET"}},
        "inputs": {"Manifest.db": {"sha256": "ab" * 32, "size": 123}}}
REQUIRED = {
    "identity": {"type", "spec_version", "id", "created", "modified", "name"},
    "indicator": {"type", "spec_version", "id", "created", "modified", "pattern", "pattern_type", "valid_from"},
    "sighting": {"type", "spec_version", "id", "created", "modified", "sighting_of_ref"},
    "observed-data": {"type", "spec_version", "id", "created", "modified", "first_observed", "last_observed",
                      "number_observed", "object_refs"},
}
SCOS = {"domain-name", "url", "ipv4-addr", "ipv6-addr", "email-addr", "file", "directory", "process",
        "x509-certificate"}


def match(kind: str, value: str, *, indicator_id: str = FEED_ID, module: str = "sms",
          when: datetime | None = None, suspicious: bool = False, seen: str | None = None) -> Detection:
    seen = seen or value
    record = Record(timestamp=when, timestamp_desc="received", message=f"seen {seen}",
                    fields={"text": seen}, observables=(Observable(kind, seen),), module=module,
                    source="HomeDomain/Library/SMS/sms.db")
    if suspicious:
        return Detection(kind="suspicious", severity="medium", message="odd", record=record, heuristic="odd")
    return Detection(kind="indicator", severity="high", message=f"match {value}", record=record,
                     observable=Observable(kind, seen),
                     indicator={"type": kind, "value": value, "feed": "Pegasus (Amnesty)",
                                "malware": "Pegasus", "id": indicator_id})


def make_case(folder: Path, detections: list[Detection], case: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_text(json.dumps(case if case is not None else CASE), encoding="utf-8")
    (folder / "detections.jsonl").write_text(
        "".join(json.dumps(item.to_dict()) + "\n" for item in detections), encoding="utf-8")
    return folder


def bundle_of(folder: Path) -> dict[str, Any]:
    return json.loads(write_sightings(folder).read_text(encoding="utf-8"))


def assert_valid(bundle: dict[str, Any]) -> None:
    """Our own checks, then the two readers analysts use: the OASIS stix2 library in strict mode
    (no custom objects or properties) and the OASIS STIX 2.1 validator in strict mode."""
    parsed = stix2.parse(json.dumps(bundle), allow_custom=False, version="2.1")
    assert [item.id for item in parsed.objects] == [item["id"] for item in bundle["objects"]]
    results = validate_instance(bundle, ValidationOptions(version="2.1", strict=True, enforce_refs=True))
    assert results.is_valid, [str(error) for error in results.errors]
    assert [str(warning) for warning in results.warnings] == []
    assert bundle["type"] == "bundle" and STIX_ID.match(bundle["id"]) and bundle["id"].startswith("bundle--")
    assert "spec_version" not in bundle
    ids = [item["id"] for item in bundle["objects"]]
    assert len(ids) == len(set(ids))
    for item in bundle["objects"]:
        if item["type"] in SCOS:
            continue
        assert REQUIRED[item["type"]] <= set(item), item
        assert item["spec_version"] == "2.1"
        assert STIX_ID.match(item["id"]) and item["id"].startswith(item["type"] + "--")
        for key in ("created", "modified", "valid_from", "first_seen", "last_seen"):
            if key in item:
                assert STIX_TIME.match(item[key]), (key, item[key])
        if item["type"] == "sighting":
            assert STIX_ID.match(item["sighting_of_ref"])
            assert item["created_by_ref"] == IDENTITY_ID
            assert 0 <= item["count"] <= 999_999_999
            if "first_seen" in item:
                assert parse_iso(item["first_seen"]) <= parse_iso(item["last_seen"])


def test_write_sightings_counts_per_indicator(tmp_path: Path) -> None:
    detections = [
        match("domain", "evil.com", when=datetime(2021, 7, 1, 10, 0, 0, 500000, tzinfo=UTC), seen="x.evil.com"),
        match("domain", "evil.com", when=datetime(2021, 7, 1, 10, 0, 0, tzinfo=UTC), module="safari_history"),
        match("domain", "evil.com", when=None),
        match("process", "bh", suspicious=True),
    ]
    folder = make_case(tmp_path / "out", detections)
    assert write_sightings(folder) == folder / "sightings.stix2"
    bundle = bundle_of(folder)
    assert_valid(bundle)
    identity, indicator, observed, sighting, domain, subdomain = bundle["objects"]
    assert identity == {"type": "identity", "spec_version": "2.1", "id": IDENTITY_ID,
                        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                        "name": "spyglass", "identity_class": "system",
                        "description": "spyglass, an offline checker of phone acquisitions for mercenary spyware"}
    assert indicator == {
        "type": "indicator", "spec_version": "2.1", "id": FEED_ID,
        "created": "2024-05-01T09:02:30.123Z", "modified": "2024-05-01T09:02:30.123Z",
        "name": "Pegasus domain: evil.com", "indicator_types": ["malicious-activity"],
        "pattern": "[domain-name:value = 'evil.com']", "pattern_type": "stix", "pattern_version": "2.1",
        "valid_from": "2024-05-01T09:02:30.123Z", "description": "From the feed Pegasus (Amnesty)"}
    # SCO ids as the OASIS library derives them (STIX 2.1 section 2.9).
    assert domain == {"type": "domain-name", "spec_version": "2.1", "id": stix2.DomainName(value="evil.com").id,
                      "value": "evil.com"}
    assert subdomain["id"] == stix2.DomainName(value="x.evil.com").id and subdomain["value"] == "x.evil.com"
    assert observed == {
        "type": "observed-data", "spec_version": "2.1", "id": observed["id"],
        "created": "2024-05-01T09:02:30.123Z", "modified": "2024-05-01T09:02:30.123Z",
        "created_by_ref": IDENTITY_ID, "first_observed": "2021-07-01T10:00:00Z",
        "last_observed": "2021-07-01T10:00:00.500000Z", "number_observed": 3,
        "object_refs": sorted([domain["id"], subdomain["id"]])}
    assert sighting == {
        "type": "sighting", "spec_version": "2.1", "id": sighting["id"],
        "created": "2024-05-01T09:02:30.123Z", "modified": "2024-05-01T09:02:30.123Z",
        "created_by_ref": IDENTITY_ID, "sighting_of_ref": FEED_ID, "count": 3,
        "first_seen": "2021-07-01T10:00:00Z", "last_seen": "2021-07-01T10:00:00.500000Z",
        "observed_data_refs": [observed["id"]],
        "description": "Seen by spyglass in: safari_history, sms",
    }
    text = (folder / "sightings.stix2").read_text(encoding="utf-8")
    assert "0000-SECRET" not in text and "/cases/backup" not in text and "seen evil.com" not in text


def test_write_sightings_generates_indicator_without_feed_id(tmp_path: Path) -> None:
    detections = [match("process", "bad'name\\x", indicator_id="indicator--not-a-uuid"),
                  match("ip", "2001:db8::1", indicator_id=""),
                  match("sha256", "ef" * 32, indicator_id="malware--4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d")]
    bundle = bundle_of(make_case(tmp_path / "out", detections))
    assert_valid(bundle)
    indicators = {item["pattern"]: item for item in bundle["objects"] if item["type"] == "indicator"}
    assert sorted(indicators) == [
        "[file:hashes.'SHA-256' = '" + "ef" * 32 + "']",
        "[ipv6-addr:value = '2001:db8::1']",
        "[process:name = 'bad\\'name\\\\x']",
    ]
    process = indicators["[process:name = 'bad\\'name\\\\x']"]
    assert {key: process[key] for key in ("name", "description", "pattern_type", "pattern_version",
                                          "indicator_types", "valid_from", "created_by_ref")} == {
        "name": "Pegasus process: bad'name\\x", "description": "From the feed Pegasus (Amnesty)",
        "pattern_type": "stix", "pattern_version": "2.1", "indicator_types": ["malicious-activity"],
        "valid_from": "2024-05-01T09:02:30.123Z", "created_by_ref": IDENTITY_ID}
    sightings = [item for item in bundle["objects"] if item["type"] == "sighting"]
    assert sorted(item["sighting_of_ref"] for item in sightings) == sorted(indicators[p]["id"] for p in indicators)
    assert all(item["count"] == 1 and "first_seen" not in item for item in sightings)
    observed = {item["id"]: item for item in bundle["objects"] if item["type"] == "observed-data"}
    # No time in the evidence: observed when the check ran.
    assert {(item["first_observed"], item["last_observed"]) for item in observed.values()} == {
        ("2024-05-01T09:02:30.123Z", "2024-05-01T09:02:30.123Z")}
    image = stix2.File(name="bad'name\\x")
    scos = {item["id"]: item for item in bundle["objects"] if item["type"] not in REQUIRED}
    assert sorted(scos) == sorted([image.id, stix2.File(hashes={"SHA-256": "ef" * 32}).id,
                                   stix2.IPv6Address(value="2001:db8::1").id,
                                   next(key for key in scos if key.startswith("process--"))])
    process = next(item for item in scos.values() if item["type"] == "process")
    assert process["image_ref"] == image.id and set(process) == {"type", "spec_version", "id", "image_ref"}
    assert sorted(ref for item in observed.values() for ref in item["object_refs"]) == sorted(scos)


def test_cyber_observables_ids_match_the_stix2_library() -> None:
    folder = stix2.Directory(path="/private/var/db")
    expected = {
        ("url", "https://evil.com/a"): [stix2.URL(value="https://evil.com/a")],
        ("email", "a@evil.com"): [stix2.EmailAddress(value="a@evil.com")],
        ("ip", "10.0.0.1"): [stix2.IPv4Address(value="10.0.0.1")],
        ("file_name", "x.plist"): [stix2.File(name="x.plist")],
        ("file_path", "/private/var/db/x"): [folder, stix2.File(name="x", parent_directory_ref=folder.id)],
        ("file_path", "Library/x.plist"): [stix2.Directory(path="Library"),
                                           stix2.File(name="x.plist",
                                                      parent_directory_ref=stix2.Directory(path="Library").id)],
        ("sha1", "ab" * 20): [stix2.File(hashes={"SHA-1": "ab" * 20})],
        ("md5", "ab" * 16): [stix2.File(hashes={"MD5": "ab" * 16})],
        ("cert_sha256", "cd" * 32): [stix2.X509Certificate(hashes={"SHA-256": "cd" * 32})],
    }
    for (kind, value), objects in expected.items():
        made = cyber_observables(kind, value)
        assert [item["id"] for item in made] == [item.id for item in objects], (kind, value)
        for item, reference in zip(made, objects, strict=True):
            assert {key: item[key] for key in item if key != "spec_version"} == {
                key: reference[key] for key in reference if key not in ("spec_version", "defanged")}
    for kind in ("phone", "app_id", "profile_id", "android_property"):
        assert cyber_observables(kind, "x") == []


def test_write_sightings_value_without_observable_object(tmp_path: Path) -> None:
    bundle = bundle_of(make_case(tmp_path / "out", [match("phone", "+15550100000")]))
    assert_valid(bundle)
    assert [item["type"] for item in bundle["objects"]] == ["identity", "indicator", "sighting"]
    assert "observed_data_refs" not in bundle["objects"][2]


def test_write_sightings_app_id_pattern_as_feeds_write_it(tmp_path: Path) -> None:
    # `app:id` is the MVT/Amnesty feeds' convention; STIX has no app object and the validator
    # refuses a pattern naming an `id` property. The indicator is written as the feed has it.
    bundle = bundle_of(make_case(tmp_path / "out", [match("app_id", "com.evil.app")]))
    stix2.parse(json.dumps(bundle), allow_custom=False, version="2.1")
    results = validate_instance(bundle, ValidationOptions(version="2.1", strict=True, enforce_refs=True))
    assert [str(error) for error in results.errors] == [
        f"{FEED_ID}: Pattern failed to validate: 'id' is not a valid observable property name."]
    assert bundle["objects"][1]["pattern"] == "[app:id = 'com.evil.app']"


def test_stix_pattern_round_trips_through_the_feed_loader() -> None:
    cases = {"domain": "evil.com", "url": "https://evil.com/a'b", "email": "a@evil.com",
             "phone": "+15550100000", "process": "bh", "file_name": "x.plist",
             "file_path": "/private/var/db/x\\y", "app_id": "com.evil.app", "profile_id": "com.evil.profile",
             "android_property": "persist.evil", "sha256": "ab" * 32, "sha1": "ab" * 20, "md5": "ab" * 16,
             "cert_sha256": "cd" * 32, "cert_sha1": "cd" * 20, "cert_md5": "cd" * 16, "ip": "10.0.0.1"}
    for kind, value in cases.items():
        pattern = stix_pattern(kind, value)
        assert pattern is not None
        key, parsed = parse_pattern(pattern)
        assert (key_type(key), parsed) == (kind, value)
    assert stix_pattern("unknown", "x") is None


def test_write_sightings_deterministic(tmp_path: Path) -> None:
    detections = [match("domain", "evil.com"), match("url", "https://b.evil.com/x", indicator_id="")]
    first = write_sightings(make_case(tmp_path / "one", detections)).read_bytes()
    again = write_sightings(make_case(tmp_path / "two", detections)).read_bytes()
    assert first == again
    other_case = dict(CASE, inputs={"Manifest.db": {"sha256": "99" * 32, "size": 1}})
    other = json.loads(write_sightings(make_case(tmp_path / "three", detections, other_case)).read_bytes())
    ids = {item["id"] for item in json.loads(first)["objects"] if item["type"] == "sighting"}
    assert ids.isdisjoint({item["id"] for item in other["objects"] if item["type"] == "sighting"})


def test_write_sightings_no_indicator_detections(tmp_path: Path) -> None:
    folder = make_case(tmp_path / "out", [match("process", "bh", suspicious=True)], case={})
    out = tmp_path / "elsewhere.stix2"
    assert write_sightings(folder, out) == out
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert_valid(bundle)
    assert [item["type"] for item in bundle["objects"]] == ["identity"]
    assert not (folder / "sightings.stix2").exists()


def test_is_stix_id() -> None:
    assert is_stix_id(FEED_ID, "indicator")
    assert is_stix_id(FEED_ID.upper().replace("INDICATOR", "indicator"), "indicator")
    assert not is_stix_id("indicator--4e5b6c1a0d2f4a3b9c8d7e6f5a4b3c2d", "indicator")
    assert not is_stix_id("indicator--{4e5b6c1a-0d2f-4a3b-9c8d-7e6f5a4b3c2d}", "indicator")
    assert not is_stix_id("indicator--4e5b6c1a-0d2f-4a3b-0c8d-7e6f5a4b3c2d", "indicator")  # NCS variant
    assert not is_stix_id(FEED_ID.replace("indicator", "malware"), "indicator")
