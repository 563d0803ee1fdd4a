"""Computers trusted for USB/Wi-Fi debugging (dumpsys adb): their keys and last connection.

Reads:   the "adb" section of androidqf's dumpsys.txt or of a bug report's dumpstate text
         (see _dumpsys). AdbDebuggingManager's dump (Android 11+, "ADB MANAGER STATE (dumpsys
         adb):", as in MVT's tests/artifacts/android_data/dumpsys_adb*.txt) holds
         "debugging_manager={" with "connected_to_adb=true", "last_key_received=<MD5
         fingerprint>", "user_keys=" (the /data/misc/adb/adb_keys file as it is: one
         "<base64 key> user@host" per line, continuation lines at the margin) and "keystore="
         (adb_temp_keys.xml: '<adbKey key="<base64> user@host" lastConnection="<Unix ms>" />',
         or the same in Android's binary XML, ABX, where the time cannot be read back from
         text). An adb public key is the base64 of a 524-byte RSA key block starting with its
         length 64, so it reads "QAAAA..."; its fingerprint, as adb shows it, is the MD5 of the
         decoded bytes in colon-separated upper-case hex.
Yields:  one record per key: `key`, `key_fingerprint`, `user` (the comment, user@host),
         `last_connected` (ISO UTC or None), `in_user_keys`, `in_keystore`, `last_key_received`
         (bool), `connected_to_adb`; and one for a `last_key_received` fingerprint no listed key
         has (`key` None). Timestamped with the last connection when known.
Seen:    Android 11-16.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, sections
from spyglass.records import Record, iso_utc
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="dumpsys_adb",
    description="Computers trusted for USB debugging (dumpsys adb)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 11-16",
)

KEY = re.compile(r"(QAAAA[A-Za-z0-9+/]{16,4000}={0,2})(?:[ \t]+([^\s\"<>]{1,300}))?")
XML_KEY = re.compile(r'<adbKey key="(QAAAA[A-Za-z0-9+/]{16,4000}={0,2})(?: ([^"]{1,300}))?"'
                     r'(?: lastConnection="(\d{1,16})")?')
CONTEXT = re.compile(r"\s*(user_keys|system_keys|keystore|last_key_received|connected_to_adb)=(.*)$")
FINGERPRINT = re.compile(r"(?:[0-9A-Fa-f]{2}:){15}[0-9A-Fa-f]{2}")
MAX_KEYS = 10_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    for section in sections(file, ("adb",)):
        yield from _records(section.lines)


def fingerprint(key: str) -> str | None:
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return None
    digest = hashlib.md5(raw, usedforsecurity=False).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def _records(lines: list[str]) -> Iterator[Record]:
    keys: dict[str, dict[str, Any]] = {}
    context: str | None = None
    connected: bool | None = None
    last_received: str | None = None
    for line in lines:
        if match := CONTEXT.match(line):
            context, rest = match.group(1), match.group(2)
            if context == "connected_to_adb":
                connected = rest.strip() == "true"
            elif context == "last_key_received" and (found := FINGERPRINT.search(rest)):
                last_received = found.group(0).upper()
        else:
            rest = line
        if context not in ("user_keys", "system_keys", "keystore"):
            continue
        for xml in XML_KEY.finditer(rest):
            entry = _entry(keys, xml.group(1), xml.group(2))
            if entry is not None:
                entry["in_keystore"] = True
                moment = unix_time(int(xml.group(3))) if xml.group(3) else None
                if moment is not None and (entry["_last"] is None or moment > entry["_last"]):
                    entry["_last"] = moment
        if "<adbKey" in rest:
            continue
        for match in KEY.finditer(rest):
            entry = _entry(keys, match.group(1), match.group(2) if context != "keystore" else None)
            if entry is not None:
                entry["in_keystore" if context == "keystore" else "in_user_keys"] = True
    for key, entry in keys.items():
        moment = entry.pop("_last")
        entry.update(last_connected=iso_utc(moment), connected_to_adb=connected,
                     last_key_received=last_received is not None and entry["key_fingerprint"] == last_received)
        who = f" ({entry['user']})" if entry["user"] else ""
        yield Record(timestamp=moment, timestamp_desc="last connected" if moment else "",
                     message=f"Trusted debugging key {entry['key_fingerprint'] or key[:16]}{who}", fields=entry)
    if last_received and not any(e["key_fingerprint"] == last_received for e in keys.values()):
        yield Record(timestamp=None, timestamp_desc="", message=f"Last debugging key received {last_received}",
                     fields={"key": None, "key_fingerprint": last_received, "user": None, "in_user_keys": False,
                             "in_keystore": False, "last_connected": None, "connected_to_adb": connected,
                             "last_key_received": True})


def _entry(keys: dict[str, dict[str, Any]], key: str, user: str | None) -> dict[str, Any] | None:
    if key not in keys:
        if len(keys) >= MAX_KEYS:
            return None
        keys[key] = {"key": key, "key_fingerprint": fingerprint(key), "user": None,
                     "in_user_keys": False, "in_keystore": False, "_last": None}
    entry = keys[key]
    if user and not entry["user"]:
        entry["user"] = user
    return entry
