"""STIX 2.1 feeds: bundles of `indicator`, `malware` and `relationship` objects.

Feeds seen: AmnestyTech/investigations (*.stix2), mvt-project/mvt-indicators (*.stix2).
Only single-comparison patterns `[object-type:property = 'value']` are indicators here;
anything else (AND/OR, other operators, qualifiers, unknown keys) is counted as skipped with
its reason. Patterns are read by a small scanner, not a full STIX pattern grammar: feeds hold
tens of thousands of indicators and loading must stay linear and fast.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from spyglass.errors import SpyglassError
from spyglass.indicators.model import Indicator, LoadedFeed
from spyglass.indicators.normalize import normalize

MAX_FEED_BYTES = 256 * 1024 * 1024

# (object type, property path...) -> observable type. `file:path`, `app:*`,
# `configuration-profile:id` and `android-property:name` are not STIX cyber observables;
# they are the conventions of the MVT and Amnesty feeds.
KEY_TYPES: dict[tuple[str, ...], str] = {
    ("domain-name", "value"): "domain",
    ("url", "value"): "url",
    ("ipv4-addr", "value"): "ip",
    ("ipv6-addr", "value"): "ip",
    ("email-addr", "value"): "email",
    ("phone-number", "value"): "phone",
    ("process", "name"): "process",
    ("file", "name"): "file_name",
    ("file", "path"): "file_path",
    ("app", "id"): "app_id",
    ("configuration-profile", "id"): "profile_id",
    ("android-property", "name"): "android_property",
}
for _algorithm in ("sha256", "sha1", "md5"):
    KEY_TYPES["file", "hashes", _algorithm] = _algorithm
    KEY_TYPES["x509-certificate", "hashes", _algorithm] = f"cert_{_algorithm}"
    KEY_TYPES["app", "cert", _algorithm] = f"cert_{_algorithm}"
    KEY_TYPES["app", "cert", "hashes", _algorithm] = f"cert_{_algorithm}"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_WHITESPACE = " \t\r\n"
_KEY = re.compile(r"[^=!<>\s']*(?:'[^']*'[^=!<>\s']*)*")


class PatternSkipped(Exception):
    """A pattern that is not one `[key = 'value']` comparison; the message is the reason."""


def parse_pattern(pattern: str) -> tuple[str, str]:
    """`[file:hashes.'SHA-256' = 'ab\\'c']` -> ("file:hashes.'SHA-256'", "ab'c").

    Raises PatternSkipped with a short reason for any other shape."""
    text = pattern.strip()
    end = len(text)
    if not text.startswith("["):
        raise PatternSkipped("pattern not in brackets")
    position = _skip_space(text, 1)
    # The object path runs to the operator; a quoted component (hashes.'SHA-256') may hold anything.
    key_match = _KEY.match(text, position)
    key = key_match.group()
    position = key_match.end()
    if text.startswith("'", position):
        raise PatternSkipped("unterminated quote in key")
    if not key or ":" not in key:
        raise PatternSkipped("no object path")
    position = _skip_space(text, position)
    if not text.startswith("=", position) or text.startswith("==", position):
        operator = text[position:].split(None, 1)[0][:12] if position < end else "nothing"
        raise PatternSkipped(f"operator {operator}")
    position = _skip_space(text, position + 1)
    if not text.startswith("'", position):
        raise PatternSkipped("value is not a string")
    value, position = _read_string(text, position + 1)
    position = _skip_space(text, position)
    if text.startswith("]", position):
        if text[position + 1:].strip():
            raise PatternSkipped("more than one observation expression or a qualifier")
        return key, value
    if text.startswith(("AND", "OR"), position):
        raise PatternSkipped("compound comparison (AND/OR)")
    raise PatternSkipped("unparsable pattern")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The string literal starting after its opening quote; \\' and \\\\ are its only escapes."""
    closing = text.find("'", start)
    backslash = text.find("\\", start)
    if closing >= 0 and (backslash < 0 or backslash > closing):  # the common case: no escapes
        return text[start:closing], closing + 1
    chars: list[str] = []
    position = start
    while position < len(text):
        char = text[position]
        if char == "'":
            return "".join(chars), position + 1
        if char == "\\":
            following = text[position + 1:position + 2]
            if following not in ("'", "\\"):
                raise PatternSkipped("invalid escape in string")
            chars.append(following)
            position += 2
            continue
        chars.append(char)
        position += 1
    raise PatternSkipped("unterminated string")


@functools.lru_cache(maxsize=4096)
def key_type(key: str) -> str | None:
    """The observable type of a pattern's object path, None when unsupported."""
    object_type, _, path = key.partition(":")
    parts = [object_type.strip().lower()]
    for component in _split_path(path):
        component = component.strip().strip("'").lower()
        parts.append(component.replace("-", "").replace("_", "") if parts[-1] in ("hashes", "cert")
                     else component)
    return KEY_TYPES.get(tuple(parts))


def _split_path(path: str) -> list[str]:
    if "'" not in path:
        return path.split(".")
    components, current, quoted = [], [], False
    for char in path:
        if char == "'":
            quoted = not quoted
        if char == "." and not quoted:
            components.append("".join(current))
            current = []
        else:
            current.append(char)
    components.append("".join(current))
    return components


def load_stix(path: Path, name: str | None = None) -> LoadedFeed:
    """Load one STIX 2.1 file (a bundle, a bare list of objects, or one object). The feed is
    named `name`, else after the file (`pegasus.stix2` -> `pegasus`).

    Raises SpyglassError naming the file when it cannot be read or is not STIX."""
    path = Path(path)
    data = read_feed_bytes(path)
    return parse_stix(data, name=name or feed_name(path), path=path)


def read_feed_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FEED_BYTES:
            raise SpyglassError(f"{path}: feed file too large ({size} bytes)")
        return path.read_bytes()
    except OSError as error:
        raise SpyglassError(f"{path}: cannot read feed file ({error.strerror or error})") from None


def feed_name(path: Path) -> str:
    """`.../2021-07-18_nso/pegasus.stix2` -> `pegasus`."""
    return path.name.split(".", 1)[0] or path.name


def decode_json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        raise SpyglassError(f"{where}: not valid JSON ({error.msg}, line {error.lineno} column "
                            f"{error.colno})") from None
    except (UnicodeDecodeError, RecursionError, ValueError) as error:
        raise SpyglassError(f"{where}: not valid JSON ({type(error).__name__})") from None


def stix_objects(document: Any) -> list[Any] | None:
    """The objects of a STIX document, or None when the document is not STIX."""
    if isinstance(document, dict):
        if document.get("type") == "bundle":
            objects = document.get("objects", [])
            return objects if isinstance(objects, list) else None
        if isinstance(document.get("type"), str) and isinstance(document.get("id"), str):
            return [document]
        return None
    if isinstance(document, list) and all(isinstance(item, dict) and "type" in item for item in document):
        return document
    return None


def parse_stix(data: bytes, name: str, path: Path | None = None) -> LoadedFeed:
    """A LoadedFeed from the bytes of a STIX file; `name` becomes the feed name."""
    where = str(path) if path else name
    objects = stix_objects(decode_json(data, where))
    if objects is None:
        raise SpyglassError(f"{where}: not a STIX 2 bundle")
    return feed_from_objects(objects, name, path, hashlib.sha256(data).hexdigest())


def feed_from_objects(objects: list[Any], name: str, path: Path | None, sha256: str) -> LoadedFeed:
    feed = LoadedFeed(name=name, path=path, sha256=sha256, format="stix2")
    malware_names: dict[str, str] = {}
    indicates: dict[str, list[str]] = {}
    indicator_objects: list[dict[str, Any]] = []
    newest = ""
    for item in objects:
        if not isinstance(item, dict):
            feed.skip("not a STIX object")
            continue
        kind = item.get("type")
        if kind == "indicator":
            indicator_objects.append(item)
        elif kind == "malware" and isinstance(item.get("id"), str):
            malware_names[item["id"]] = _text(item.get("name")) or name
        elif kind == "relationship":
            source, target = item.get("source_ref"), item.get("target_ref")
            if isinstance(source, str) and isinstance(target, str) and source.startswith("indicator--"):
                indicates.setdefault(source, []).append(target)
        stamp = _text(item.get("modified")) or _text(item.get("created"))
        if stamp and _DATE.match(stamp) and stamp > newest:
            newest = stamp
    only_malware = next(iter(malware_names.values())) if len(malware_names) == 1 else None
    loaded: list[Indicator] = []
    for item in indicator_objects:
        related = (malware_names[target] for target in indicates.get(_text(item.get("id")) or "", ())
                   if target in malware_names)
        indicator = _indicator(item, feed, next(related, None) or only_malware or name)
        if indicator is not None:
            loaded.append(indicator)
    feed.add(loaded)
    feed.date = newest[:10] or None
    feed.malwares = tuple(dict.fromkeys(malware_names.values()))
    return feed


def _indicator(item: dict[str, Any], feed: LoadedFeed, malware: str) -> Indicator | None:
    if item.get("revoked") is True:
        feed.skip("revoked")
        return None
    pattern_type = item.get("pattern_type", "stix")
    if pattern_type != "stix":
        feed.skip(f"pattern_type {str(pattern_type)[:20]}")
        return None
    pattern = item.get("pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        feed.skip("indicator without a pattern")
        return None
    try:
        key, original = parse_pattern(pattern)
    except PatternSkipped as reason:
        feed.skip(str(reason))
        return None
    observable_type = key_type(key)
    if observable_type is None:
        feed.skip(f"unsupported key {key[:60]}")
        return None
    value = normalize(observable_type, original)
    if value is None:
        single_label = observable_type == "domain" and "." not in original.strip(". ")
        feed.skip("domain without a dot" if single_label else f"invalid {observable_type} value")
        return None
    return Indicator(type=observable_type, value=value, original=original, feed=feed.name,
                     malware=malware, stix_id=_text(item.get("id")) or "")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
