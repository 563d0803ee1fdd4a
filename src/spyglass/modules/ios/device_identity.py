"""Device identity in a sysdiagnose: model, OS version and build, serial number and UDID, and the
devices the phone was connected to when it was taken.

Reads:   in a sysdiagnose remotectl_dumpstate.txt (iOS 15 on) and sysdiagnose.log.
         remotectl_dumpstate.txt is indented with tabs: a "Local device" block, then one
         "Found <name> (<kind>)" block per peer, each with "Key: value" lines (UUID, Product
         Type, OS Build "17.5.1 (21F90)") and a "Properties: {" block of "Key => Value" lines
         closed by "}" - ProductType, OSVersion, BuildVersion, SerialNumber, UniqueDeviceID,
         UniqueChipID, HWModel, ModelNumber, RegionInfo, DeviceClass, ProductName, ReleaseType
         (EC-DIGIT-CSIRC/sysdiagnose tests/test_tabbasedhierarchy.py and its case metadata,
         which reads the serial from there; pymobiledevice3 misc/RemoteXPC.md for the keys).
         Deeper blocks (lists of OIDs, a service's own properties) are skipped.
         sysdiagnose.log names the folder being written,
         IN_PROGRESS_sysdiagnose_<YYYY.MM.DD_HH-MM-SS±ZZZZ>_iPhone-OS_iPhone_<build> (the
         separator is sometimes "_" instead of "-"); its date carries the phone's UTC offset.
Yields:  one record per remotectl block ("local_device", "peer_device"), timestamped when the
         file was written; one "sysdiagnose" record from sysdiagnose.log, timestamped when the
         sysdiagnose started. No observables: these name the device, not what ran on it.
Seen:    iOS 15-18 (remotectl_dumpstate.txt); sysdiagnose.log iOS 12-18.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc
from spyglass.timestamps import unix_time, utc_offset

ARTIFACT = Artifact(
    name="device_identity",
    description="Device model, OS version, serial number and connected devices (sysdiagnose)",
    extra={SYSDIAGNOSE: ("remotectl_dumpstate.txt", "sysdiagnose.log")},
    os_versions="iOS 12-18",
)

MAX_SECTIONS = 200
MAX_PROPERTIES = 500
# remotectl property -> record field.
PROPERTIES = {
    "ProductType": "product_type", "OSVersion": "os_version", "BuildVersion": "build",
    "SerialNumber": "serial_number", "UniqueDeviceID": "udid", "UniqueChipID": "ecid", "HWModel": "hardware_model",
    "ModelNumber": "model_number", "RegionInfo": "region", "DeviceClass": "device_class",
    "ProductName": "product_name", "ReleaseType": "release_type", "SupplementalBuildVersion": "supplemental_build",
}
_OS_BUILD = re.compile(r"(\S+)\s+\(([0-9A-Za-z]+)\)")
_SYSDIAGNOSE = re.compile(r"(?:IN_PROGRESS_)?sysdiagnose_(\d{4})\.(\d{2})\.(\d{2})_(\d{2})-(\d{2})-(\d{2})([+-])(\d{2})(\d{2})_"
                          r"([A-Za-z]+)[-_](OS)_([A-Za-z]+)_([0-9A-Za-z]+)")
_PRODUCT_TYPE = re.compile(r"\b((?:iPhone|iPad|iPod)\d{1,3},\d{1,3})\b")
_OS_VERSION = re.compile(r"\b((?:iPhone OS|iPadOS|iOS) \d{1,2}(?:\.\d{1,3}){0,2}) \(([0-9A-Za-z]{4,12})\)")


def parse(file: EvidenceFile) -> Iterator[Record]:
    if file.source.rsplit("/", 1)[-1] == "sysdiagnose.log":
        yield from _sysdiagnose_log(file)
    else:
        yield from _remotectl(file)


# -- remotectl_dumpstate.txt -----------------------------------------------------------------

def _remotectl(file: EvidenceFile) -> Iterator[Record]:
    sections = _sections(file.lines())
    if sections and not any(section["name"] == "Local device" or section["name"].startswith("Found ")
                            for section in sections):
        raise EvidenceError(f"{file.source}: not a remotectl dumpstate (no Local device or Found block)")
    written = unix_time(file.meta.get("modified"))
    for section in sections:
        if section["name"] == "Local device" or section["name"].startswith("Found "):
            yield _device_record(section, written)


def _sections(lines: Iterator[str]) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    in_properties = False
    for line in lines:
        body = line.strip()
        if not body:
            continue
        depth = len(line) - len(line.lstrip("\t"))
        if depth == 0:
            if len(sections) >= MAX_SECTIONS:
                break
            current = {"name": body[:256], "header": {}, "properties": {}}
            sections.append(current)
            in_properties = False
        elif current is None:
            continue
        elif depth == 1:
            in_properties = body.startswith("Properties:") and body.endswith("{")
            key, colon, value = body.partition(":")
            if colon and value.strip() and not in_properties and len(current["header"]) < MAX_PROPERTIES:
                current["header"].setdefault(key.strip(), _clean(value))
        elif depth == 2 and in_properties and "=>" in body and len(current["properties"]) < MAX_PROPERTIES:
            key, _, value = body.partition("=>")
            value = _clean(value)
            # "Key => [<capacity = 2>" opens a list, not a value.
            if value and not value.startswith(("[", "{", "<")):
                current["properties"].setdefault(key.strip(), value)
    return sections


def _device_record(section: dict[str, Any], written: datetime | None) -> Record:
    header, properties = section["header"], section["properties"]
    local = section["name"] == "Local device"
    fields: dict[str, Any] = {"record_type": "local_device" if local else "peer_device", "section": section["name"],
                              "uuid": header.get("UUID")}
    for key, name in PROPERTIES.items():
        fields[name] = properties.get(key)
    fields["product_type"] = fields["product_type"] or header.get("Product Type")
    os_build = _OS_BUILD.fullmatch(header.get("OS Build") or "")
    if os_build:
        fields["os_version"] = fields["os_version"] or os_build.group(1)
        fields["build"] = fields["build"] or os_build.group(2)
    fields["state"] = header.get("State")
    fields["properties"] = properties
    what = fields["product_type"] or "unknown model"
    version = ", ".join(part for part in (fields["os_version"] and f"OS {fields['os_version']}",
                                          fields["build"] and f"build {fields['build']}") if part)
    serial = f", serial {fields['serial_number']}" if fields["serial_number"] else ""
    subject = "This device" if local else f"Connected device {section['name'].removeprefix('Found ')}"
    message = f"{subject}: {what}" + (f" ({version})" if version else "") + serial
    return Record(timestamp=written, timestamp_desc="device state recorded", message=message, fields=fields)


def _clean(value: str) -> str:
    value = value.strip()[:1024]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return value


# -- sysdiagnose.log -------------------------------------------------------------------------

def _sysdiagnose_log(file: EvidenceFile) -> Iterator[Record]:
    name = product_type = os_version = None
    for line in file.lines():
        if name is None:
            name = _SYSDIAGNOSE.search(line)
        if product_type is None and (found := _PRODUCT_TYPE.search(line)):
            product_type = found.group(1)
        if os_version is None:
            os_version = _OS_VERSION.search(line)
        if name and product_type and os_version:
            break
    if name is None and product_type is None and os_version is None:
        return
    fields: dict[str, Any] = {"record_type": "sysdiagnose", "sysdiagnose_name": None, "started_at": None,
                              "utc_offset": None, "platform": None, "model_family": None, "build": None,
                              "product_type": product_type,
                              "os_version": os_version.group(1) if os_version else None}
    started = None
    if name:
        year, month, day, hour, minute, second, sign, zone_hours, zone_minutes = name.groups()[:9]
        fields["sysdiagnose_name"] = name.group(0).removeprefix("IN_PROGRESS_")
        fields["platform"] = f"{name.group(10)} {name.group(11)}"
        fields["model_family"], fields["build"] = name.group(12), name.group(13)
        fields["utc_offset"] = f"{sign}{zone_hours}:{zone_minutes}"
        started = _moment(year, month, day, hour, minute, second, sign, zone_hours, zone_minutes)
        fields["started_at"] = iso_utc(started)
    if os_version and not fields["build"]:
        fields["build"] = os_version.group(2)
    details = ", ".join(part for part in (fields["product_type"] or fields["model_family"], fields["os_version"],
                                          fields["build"] and f"build {fields['build']}") if part)
    message = f"Sysdiagnose taken on {details}" if details else "Sysdiagnose taken"
    yield Record(timestamp=started, timestamp_desc="sysdiagnose started", message=message, fields=fields)


def _moment(*parts: str) -> datetime | None:
    year, month, day, hour, minute, second, sign, zone_hours, zone_minutes = parts
    tz = utc_offset(f"{sign}{zone_hours}{zone_minutes}")
    if tz is None:
        return None
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except ValueError:
        return None
    return moment.astimezone(UTC)
