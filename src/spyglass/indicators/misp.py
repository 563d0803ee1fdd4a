"""MISP events (JSON): the event's `Attribute` list and its `Object`s' attributes.

Feeds seen: stalkerware-indicators `generated/misp_event.json` (an unwrapped event of
`android-app` objects: name, appid, certificate (SHA-1), sha256, domain). Also read: an event
wrapped as {"Event": {...}}, a list of those, and a search answer {"response": [...]}.
The malware name is the object's `name` attribute, else the event's `info`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from spyglass.errors import SpyglassError
from spyglass.indicators.model import Indicator, LoadedFeed
from spyglass.indicators.normalize import normalize
from spyglass.indicators.stix import decode_json, feed_name, read_feed_bytes

MAX_ATTRIBUTES = 2_000_000

# MISP attribute type -> observable type. Composite types (`filename|sha256`) are split.
TYPES = {
    "domain": "domain", "hostname": "domain", "url": "url",
    "ip-dst": "ip", "ip-src": "ip", "ip": "ip",
    "email": "email", "email-src": "email", "email-dst": "email",
    "sha256": "sha256", "sha1": "sha1", "md5": "md5", "filename": "file_name",
    "phone-number": "phone", "whois-registrant-phone": "phone",
    "x509-fingerprint-sha256": "cert_sha256", "x509-fingerprint-sha1": "cert_sha1",
    "x509-fingerprint-md5": "cert_md5",
    "port": None,  # the port half of ip-dst|port: not an indicator
}
# Within an object, the relation says more than the type (an android-app's certificate is a sha1).
RELATIONS = {("certificate", "sha1"): "cert_sha1", ("certificate", "sha256"): "cert_sha256",
             ("certificate", "md5"): "cert_md5", ("appid", "text"): "app_id",
             ("package-name", "text"): "app_id"}
NAME_RELATIONS = ("name",)


def events_of(document: Any) -> list[dict[str, Any]] | None:
    """The events of a MISP JSON document, or None when it is not MISP."""
    if isinstance(document, dict):
        if isinstance(document.get("response"), list):
            document = document["response"]
        elif isinstance(document.get("Event"), dict):
            return [document["Event"]]
        elif "Attribute" in document or "Object" in document:
            return [document]
        else:
            return None
    if isinstance(document, list) and document and all(isinstance(item, dict) for item in document):
        events = [item.get("Event", item) for item in document]
        if all(isinstance(event, dict) and ("Attribute" in event or "Object" in event) for event in events):
            return events
    return None


def load_misp(path: Path, name: str | None = None) -> LoadedFeed:
    path = Path(path)
    data = read_feed_bytes(path)
    return parse_misp(data, name or feed_name(path), path)


def parse_misp(data: bytes, name: str, path: Path | None = None) -> LoadedFeed:
    where = str(path) if path else name
    events = events_of(decode_json(data, where))
    if events is None:
        raise SpyglassError(f"{where}: not a MISP event")
    return feed_from_events(events, name, path, hashlib.sha256(data).hexdigest())


def feed_from_events(events: list[dict[str, Any]], name: str, path: Path | None, sha256: str) -> LoadedFeed:
    feed = LoadedFeed(name=name, path=path, sha256=sha256, format="misp")
    indicators: list[Indicator] = []
    budget = [MAX_ATTRIBUTES]
    malwares: dict[str, None] = {}
    for event in events:
        event_malware = _text(event.get("info")) or name
        for attribute in _list(event.get("Attribute")):
            indicators.extend(_indicators(attribute, None, event_malware, feed, budget))
        for misp_object in _list(event.get("Object")):
            if not isinstance(misp_object, dict):
                feed.skip("malformed object")
                continue
            attributes = _list(misp_object.get("Attribute"))
            object_malware = next((_text(item.get("value")) for item in attributes if isinstance(item, dict)
                                   and item.get("object_relation") in NAME_RELATIONS
                                   and _text(item.get("value"))), None) or event_malware
            malwares.setdefault(object_malware)
            for attribute in attributes:
                indicators.extend(_indicators(attribute, misp_object, object_malware, feed, budget))
        date = _text(event.get("date"))
        if date and (feed.date is None or date > feed.date):
            feed.date = date[:10]
    feed.add(indicators)
    feed.malwares = tuple(malwares) or (name,)
    return feed


def _indicators(attribute: Any, misp_object: dict | None, malware: str, feed: LoadedFeed,
                budget: list[int]) -> list[Indicator]:
    budget[0] -= 1
    if budget[0] < 0:
        feed.skip("too many attributes")
        return []
    if not isinstance(attribute, dict) or not isinstance(attribute.get("type"), str):
        feed.skip("malformed attribute")
        return []
    if attribute.get("deleted") in (True, "1", 1):
        feed.skip("deleted attribute")
        return []
    misp_type, value = attribute["type"], attribute.get("value")
    relation = attribute.get("object_relation")
    if misp_object is not None and relation in NAME_RELATIONS and misp_type == "text":
        return []  # the object's name: the malware name, not an indicator
    if not isinstance(value, str) or not value.strip():
        feed.skip("attribute without a value")
        return []
    if (relation, misp_type) in RELATIONS:
        pairs = [(misp_type, value)]
    else:
        pairs = list(zip(misp_type.split("|"), value.split("|"), strict=False))
    made: list[Indicator] = []
    for part_type, part_value in pairs:
        kind = RELATIONS.get((relation, part_type)) or TYPES.get(part_type, "")
        if kind is None:
            continue
        if not kind:
            feed.skip(f"MISP type {part_type[:40]}")
            continue
        normal = normalize(kind, part_value)
        if normal is None:
            feed.skip(f"invalid {kind} value")
            continue
        made.append(Indicator(kind, normal, part_value, feed.name, malware, _text(attribute.get("uuid")) or ""))
    return made


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
