"""The stalkerware-indicators YAML format (`ioc.yaml`, `watchware.yaml`): a list of apps.

Feed: AssoEchap/stalkerware-indicators. Each app: `name` (the malware name here), `names`
(other brand names), `type` (stalkerware / watchware), `packages` (Android package names),
`certificates` (APK signing certificate SHA-1, sometimes SHA-256), `websites`,
`distribution` (download hosts), `ios_bundles` (iOS bundle ids), `c2: {ips | ip, domains}`. Fields that are not indicators
(`certificate_organizations`, `certificate_cname_re`) are counted as skipped.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from spyglass.errors import SpyglassError
from spyglass.indicators.model import Indicator, LoadedFeed
from spyglass.indicators.normalize import normalize
from spyglass.indicators.stix import feed_name, read_feed_bytes

MAX_VALUES = 1_000_000
METADATA_FIELDS = {"name", "names", "type"}
LIST_FIELDS = {"packages": "app_id", "ios_bundles": "app_id", "websites": "domain",
               "distribution": "domain"}
C2_FIELDS = {"domains": "domain", "ips": "ip", "ip": "ip"}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def decode_yaml(data: bytes, where: str) -> Any:
    try:
        return yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise SpyglassError(f"{where}: not valid YAML ({getattr(error, 'problem', None) or 'error'}{line})") from None
    except (RecursionError, ValueError, UnicodeDecodeError) as error:
        raise SpyglassError(f"{where}: not valid YAML ({type(error).__name__})") from None


def is_stalkerware_document(document: Any) -> bool:
    return (isinstance(document, list) and bool(document) and isinstance(document[0], dict)
            and "name" in document[0] and bool(set(document[0]) & {"packages", "c2", "websites", "certificates"}))


def load_stalkerware(path: Path, name: str | None = None) -> LoadedFeed:
    path = Path(path)
    data = read_feed_bytes(path)
    return parse_stalkerware(data, name or feed_name(path), path)


def parse_stalkerware(data: bytes, name: str, path: Path | None = None) -> LoadedFeed:
    where = str(path) if path else name
    document = decode_yaml(data, where)
    if not is_stalkerware_document(document):
        raise SpyglassError(f"{where}: not a stalkerware-indicators YAML list of apps")
    return feed_from_apps(document, name, path, hashlib.sha256(data).hexdigest())


def feed_from_apps(apps: list[Any], name: str, path: Path | None, sha256: str) -> LoadedFeed:
    feed = LoadedFeed(name=name, path=path, sha256=sha256, format="stalkerware-yaml")
    indicators: list[Indicator] = []
    malwares: dict[str, None] = {}
    budget = [MAX_VALUES]
    for app in apps:
        app_name = app.get("name") if isinstance(app, dict) else None
        if not isinstance(app_name, str) or not app_name.strip():
            feed.skip("malformed entry")
            continue
        app_name = app_name.strip()
        malwares.setdefault(app_name)
        for field, values in app.items():
            if field in METADATA_FIELDS:
                continue
            if field in LIST_FIELDS:
                indicators.extend(_values(values, LIST_FIELDS[field], app_name, feed, budget))
            elif field == "certificates":
                indicators.extend(_values(values, "certificate", app_name, feed, budget))
            elif field == "c2" and isinstance(values, dict):
                for c2_field, c2_values in values.items():
                    if c2_field in C2_FIELDS:
                        indicators.extend(_values(c2_values, C2_FIELDS[c2_field], app_name, feed, budget))
                    else:
                        feed.skip(f"unsupported field c2.{str(c2_field)[:40]}")
            else:
                feed.skip(f"unsupported field {str(field)[:40]}")
    feed.add(indicators)
    feed.malwares = tuple(malwares)
    return feed


def _values(values: Any, kind: str, malware: str, feed: LoadedFeed, budget: list[int]) -> list[Indicator]:
    if not isinstance(values, list):
        feed.skip("malformed value list")
        return []
    made: list[Indicator] = []
    for value in values:
        budget[0] -= 1
        if budget[0] < 0:
            feed.skip("too many values")
            return made
        if not isinstance(value, str):
            feed.skip("malformed value")
            continue
        value_kind = kind
        if kind == "domain" and "://" in value:  # a download page (github.com/x/y), not a whole host
            value_kind = "url"
        elif kind == "certificate":  # SHA-1 fingerprints mostly; a few SHA-256
            value_kind = "cert_sha256" if len(value.strip().replace(":", "")) == 64 else "cert_sha1"
        normal = normalize(value_kind, value)
        if normal is None:
            feed.skip(f"invalid {value_kind} value")
            continue
        made.append(Indicator(value_kind, normal, value, feed.name, malware))
    return made
