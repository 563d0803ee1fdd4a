"""Identity Services status cache: which accounts the phone looked up for iMessage and FaceTime.

Reads:   HomeDomain Library/Preferences/com.apple.identityservices.idstatuscache.plist
         (iOS 14 and older) and Library/IdentityServices/idstatuscache.plist (iOS 15+), under
         /private/var/mobile. A dictionary per service (com.apple.madrid is iMessage,
         com.apple.ess and com.apple.private.alloy.* FaceTime and others) of looked-up
         accounts ("mailto:x@y", "tel:+1...") with LookupDate (Apple seconds) and IDStatus
         (1 reachable, 2 not). Attackers' accounts show up here when they probed a target;
         an account holding NUL bytes is a Pegasus pattern.
Yields:  one record per service and account, timestamped at the lookup; the account is kept
         with control characters escaped visibly (`\\x00`); observables its email or phone.
Seen:    iOS 12 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_date
from spyglass.records import Record, iso_utc, observables, scalar_field, text_field
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="idstatuscache",
    description="iMessage and FaceTime account lookups",
    paths=('/private/var/mobile/Library/Preferences/com.apple.identityservices.idstatuscache.plist',
           '/private/var/mobile/Library/IdentityServices/idstatuscache.plist'),
    os_versions="iOS 12-18",
)

ID_STATUS = {0: "unknown", 1: "reachable", 2: "not reachable"}
MAX_ACCOUNT_CHARS = 1024


def parse(file: EvidenceFile) -> Iterator[Record]:
    cache = file.plist()
    if not isinstance(cache, dict):
        raise EvidenceError(f"{file.source}: expected a dictionary of services")
    for service, accounts in cache.items():
        if not isinstance(accounts, dict):
            continue
        for account, lookup in accounts.items():
            yield _record(_key_text(service), _key_text(account), lookup if isinstance(lookup, dict) else {})


def _key_text(key: Any) -> str:
    # Keys are strings; a binary plist may also key by data, a number or a date.
    text = text_field(key, MAX_ACCOUNT_CHARS)
    return text if text is not None else str(key)[:MAX_ACCOUNT_CHARS]


def _record(service: str, account: str, lookup: dict[str, Any]) -> Record:
    # Only scalars are kept: a plist value may be a structure of shared references, tiny on
    # disk and exponential once formatted into the message or written.
    raw_date = lookup.get("LookupDate")
    if not isinstance(raw_date, datetime):
        raw_date = scalar_field(raw_date, MAX_ACCOUNT_CHARS)
    looked_up = plist_date(raw_date) or apple_time(raw_date)
    status = scalar_field(lookup.get("IDStatus"), MAX_ACCOUNT_CHARS)
    scheme, _, address = account.partition(":") if ":" in account else ("", "", account)
    clean = address.replace("\x00", "").strip()
    kind = "email" if scheme.lower() == "mailto" or "@" in clean else "phone" if scheme.lower() == "tel" else None
    shown = escape_controls(account)
    fields = {
        "service": service,
        "account": shown,
        "account_type": kind,
        "address": escape_controls(clean) or None,
        "has_nul": "\x00" in account,
        "has_control_chars": shown != account,
        "id_status": status,
        "id_status_name": ID_STATUS.get(status) if isinstance(status, int) else None,
        "lookup_date": iso_utc(looked_up),
        "raw_lookup_date": raw_date.isoformat() if isinstance(raw_date, datetime) else raw_date,
    }
    return Record(
        timestamp=looked_up,
        timestamp_desc="account looked up",
        message=f"{service} looked up {shown} ({fields['id_status_name'] or status})",
        fields=fields,
        observables=observables((kind, clean.lower() if kind == "email" else clean)) if kind and clean else (),
    )


def escape_controls(text: str) -> str:
    """The text with control characters (NUL, newlines...) written as visible \\xNN escapes."""
    return "".join(f"\\x{ord(char):02x}" if ord(char) < 0x20 or ord(char) == 0x7F else char for char in text)
