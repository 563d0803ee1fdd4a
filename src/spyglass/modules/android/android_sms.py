"""SMS and text MMS: the messages the telephony provider puts in a backup.

Reads:   in an Android backup (.ab) the members apps/com.android.providers.telephony/d_f/
         NNNNNN_sms_backup and NNNNNN_mms_backup; in an androidqf acquisition the same members of
         its backup.ab (an .ab of the telephony provider the kind opens in memory, named
         backup.ab/apps/...). AOSP TelephonyBackupAgent
         (packages/providers/TelephonyProvider, Android 6+) writes each file as a JSON list of up
         to 1000 messages, zlib-deflated (DeflaterOutputStream); values are mostly strings.
         SMS keys: address, body, date and date_sent (Unix ms), type (1 inbox, 2 sent, 3 draft,
         4 outbox, 5 failed, 6 queued), status, subject, self_phone, sms_recipients (a group's
         numbers). MMS keys: date and date_sent (Unix *seconds*), msg_box (as type), sub
         (subject), ct_l (content location URL), mms_body, mms_addresses (a list of {type,
         address, charset}, type 137 from, 151 to, 130 cc, 129 bcc: WAP-209 PduHeaders). MVT
         (mvt/android/parsers/backup.py) reads the same files.
Yields:  one record per message (fields address, body, date, direction "received"/"sent"/
         "draft"/None, message_type "sms"/"mms", ...), timestamped with its date; observables
         the address (phone, or email for a mail gateway) and what the shared extractor finds in
         the body, subject and MMS content location.
Seen:    Android 6-16.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import ANDROID_BACKUP, ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.extract import extract
from spyglass.limits import MAX_AB_MEMBER_BYTES, MAX_TEXT_BYTES
from spyglass.modules import Artifact
from spyglass.modules.android._json import load_json
from spyglass.records import Record, iso_utc, observables, scalar_field, text_field
from spyglass.timestamps import unix_time

TELEPHONY = "apps/com.android.providers.telephony/d_f"
ARTIFACT = Artifact(
    name="android_sms",
    description="SMS and text MMS from the telephony provider's backup",
    platform="android",
    extra={ANDROID_BACKUP: (f"{TELEPHONY}/*_sms_backup", f"{TELEPHONY}/*_mms_backup"),
           ANDROIDQF: (f"backup.ab/{TELEPHONY}/*_sms_backup", f"backup.ab/{TELEPHONY}/*_mms_backup")},
    os_versions="Android 6-16",
)

MAX_INFLATED_BYTES = MAX_TEXT_BYTES     # one backup file's JSON, inflated
MAX_JSON_DEPTH = 8                      # a list of messages, an MMS's address list of objects
MAX_ADDRESSES = 200                     # an MMS's addresses kept
BOXES = {1: "inbox", 2: "sent", 3: "draft", 4: "outbox", 5: "failed", 6: "queued"}
DIRECTIONS = {1: "received", 2: "sent", 3: "draft", 4: "sent", 5: "sent", 6: "sent"}
MMS_ROLES = {137: "from", 151: "to", 130: "cc", 129: "bcc"}
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9 ().\-]*\Z")


def parse(file: EvidenceFile) -> Iterator[Record]:
    member = file.source.removeprefix("backup.ab/")
    yield from _messages(file.read_bytes(MAX_AB_MEMBER_BYTES), file.source, member if member != file.source else None)


def _inflate(data: bytes, source: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        plain = inflater.decompress(data, MAX_INFLATED_BYTES)
    except zlib.error as exc:
        raise EvidenceError(f"{source}: not a deflated message backup ({exc})") from None
    if inflater.unconsumed_tail:
        raise EvidenceError(f"{source}: inflates past the {MAX_INFLATED_BYTES} byte bound")
    if not inflater.eof:
        raise EvidenceError(f"{source}: the deflated message backup is cut short")
    return plain


def _messages(data: bytes, source: str, member: str | None) -> Iterator[Record]:
    messages = load_json(_inflate(data, source), source, "the message list", MAX_JSON_DEPTH)
    if not isinstance(messages, list):
        raise EvidenceError(f"{source}: the message backup is JSON but not a list")
    name = member or source
    is_mms = name.endswith("_mms_backup") or (not name.endswith("_sms_backup") and _looks_mms(messages))
    for index, entry in enumerate(messages):
        if isinstance(entry, dict):
            yield (_mms if is_mms else _sms)(entry, index, member)


def _looks_mms(messages: list[Any]) -> bool:
    return any(isinstance(m, dict) and ("mms_addresses" in m or "msg_box" in m) for m in messages[:10])


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(1 << 63) <= value < (1 << 63) else None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 20:
        return int(value)
    return None


def _address_observables(address: str | None) -> list[tuple[str, str]]:
    if not address:
        return []
    if "@" in address:
        return [("email", address)]
    return [("phone", address)] if _PHONE_LIKE.match(address.strip()) else []


def _sms(entry: dict[str, Any], index: int, member: str | None) -> Record:
    address, body = text_field(entry.get("address")), text_field(entry.get("body"))
    box = _number(entry.get("type"))
    recipients = entry.get("sms_recipients")
    recipients = [r for r in (text_field(v) for v in recipients[:MAX_ADDRESSES]) if r] \
        if isinstance(recipients, list) else []
    extra = {"subject": text_field(entry.get("subject")), "status": scalar_field(entry.get("status")),
             "recipients": recipients}
    found = [pair for r in recipients for pair in _address_observables(r)]
    return _record("sms", entry, index, member, address, body, box, unix_time(entry.get("date")), extra, found)


def _mms(entry: dict[str, Any], index: int, member: str | None) -> Record:
    box = _number(entry.get("msg_box"))
    addresses = []
    raw = entry.get("mms_addresses")
    for item in raw[:MAX_ADDRESSES] if isinstance(raw, list) else ():
        if isinstance(item, dict) and (text := text_field(item.get("address"))):
            addresses.append({"address": text, "role": MMS_ROLES.get(_number(item.get("type")) or 0)})
    # The other party: who it came from when received, whom it went to otherwise.
    wanted = "from" if box == 1 else "to"
    address = next((a["address"] for a in addresses if a["role"] == wanted),
                   addresses[0]["address"] if addresses else None)
    location = text_field(entry.get("ct_l"))
    extra = {"subject": text_field(entry.get("sub")), "addresses": addresses, "content_location": location,
             "message_class": scalar_field(entry.get("m_type"))}
    found = [pair for a in addresses for pair in _address_observables(a["address"])]
    found += [*extract(extra["subject"]), *extract(location)]
    body = text_field(entry.get("mms_body"))
    return _record("mms", entry, index, member, address, body, box, unix_time(entry.get("date")), extra, found)


def _record(kind: str, entry: dict[str, Any], index: int, member: str | None, address: str | None,
            body: str | None, box: int | None, moment: Any, extra: dict[str, Any], found: list[Any]) -> Record:
    direction = DIRECTIONS.get(box) if box is not None else None
    label = kind.upper()
    towards = {"received": "from", "sent": "to"}.get(direction or "", "with")
    message = f"{label} {towards} {address or 'unknown'}" + (f": {body[:200]}" if body else "")
    fields = {
        "message_type": kind, "address": address, "body": body, "date": iso_utc(moment),
        "date_sent": iso_utc(unix_time(entry.get("date_sent"))), "direction": direction,
        "box": BOXES.get(box) if box is not None else None, "read": scalar_field(entry.get("read")),
        "self_phone": text_field(entry.get("self_phone")), **extra, "index": index, "member": member,
    }
    return Record(
        timestamp=moment,
        timestamp_desc=f"{label} {direction}" if direction else f"{label} date",
        message=message,
        fields=fields,
        observables=observables(*_address_observables(address), *found, *extract(body)),
    )
