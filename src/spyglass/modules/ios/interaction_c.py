"""CoreDuet interactions: who the phone exchanged messages, mail and calls with, by which app.

Reads:   interactionC.db, HomeDomain Library/CoreDuet/People/interactionC.db
         (/private/var/mobile/Library/CoreDuet/People/). ZINTERACTIONS (ZSTARTDATE,
         ZENDDATE, ZCREATIONDATE Apple time, ZBUNDLEID, ZTARGETBUNDLEID, ZDIRECTION 0 in /
         1 out, ZMECHANISM, ZDOMAINIDENTIFIER, ZACCOUNT, ZSENDER -> ZCONTACTS) and the
         recipients through the Core Data many-to-many table Z_<n>INTERACTIONRECIPIENT
         (Z_<n>RECIPIENTS -> ZCONTACTS, Z_<m>INTERACTIONRECIPIENT -> ZINTERACTIONS). Core Data
         renumbers that table when entities change between releases, so it is found by its
         columns; columns such as ZGROUPNAME, ZDERIVEDINTENTIDENTIFIER or ZMECHANISM are read
         only where present.
Yields:  one record per interaction, timestamped at its start; observables are the sender
         and recipient identifiers (phone or email), and the app bundle ids.
Seen:    iOS 12 to 17 (MVT reads three column sets).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import handle_observables
from spyglass.records import Record, iso_utc, observables
from spyglass.sqlite import Database
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="interaction_c",
    description="CoreDuet interactions (contacts and apps)",
    paths=('/private/var/mobile/Library/CoreDuet/People/interactionC.db',),
    tables={"ZINTERACTIONS": {"Z_PK", "ZSTARTDATE", "ZBUNDLEID"},
            "ZCONTACTS": {"Z_PK", "ZIDENTIFIER"}},
    os_versions="iOS 12-17",
)

INTERACTION_COLUMNS = {
    "ZSTARTDATE": "start_raw", "ZENDDATE": "end_raw", "ZCREATIONDATE": "created_raw",
    "ZBUNDLEID": "bundle_id", "ZTARGETBUNDLEID": "target_bundle_id", "ZDIRECTION": "direction",
    "ZMECHANISM": "mechanism", "ZDOMAINIDENTIFIER": "domain_identifier", "ZACCOUNT": "account",
    "ZRECIPIENTCOUNT": "recipient_count", "ZISRESPONSE": "is_response", "ZGROUPNAME": "group_name",
    "ZDERIVEDINTENTIDENTIFIER": "derived_intent_id", "ZCONTENTURL": "content_url",
    "ZLOCATIONUUID": "location_uuid", "ZUUID": "uuid", "ZSENDER": "sender_pk",
}
DIRECTIONS = {0: "incoming", 1: "outgoing"}
JOIN_TABLE = re.compile(r"^Z_\d+INTERACTIONRECIPIENT$")
RECIPIENT_LIMIT = 200


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = ", ".join(db.present("ZINTERACTIONS", INTERACTION_COLUMNS, "i"))
    contacts = _contacts(db)
    recipients = _recipients(db)
    for row in db.rows(f'SELECT i.Z_PK AS interaction_pk, {selected} FROM ZINTERACTIONS i ORDER BY i.Z_PK'):
        yield _record(dict(row), contacts, recipients.get(row["interaction_pk"], []))


def _contacts(db: Database) -> dict[int, dict[str, Any]]:
    extra = "".join(f", {item}" for item in db.present("ZCONTACTS", ("ZDISPLAYNAME", "ZPERSONID")))
    found = {}
    for row in db.rows(f'SELECT Z_PK, ZIDENTIFIER{extra} FROM ZCONTACTS'):
        contact = dict(row)
        found[row["Z_PK"]] = {
            "identifier": _text(contact["ZIDENTIFIER"]),
            "display_name": _text(contact.get("ZDISPLAYNAME")),
            "person_id": _text(contact.get("ZPERSONID")),
        }
    return found


def _recipients(db: Database) -> dict[int, list[int]]:
    """Interaction Z_PK -> recipient contact Z_PKs, from whichever join table this release has."""
    for table in sorted(db.tables()):
        if not JOIN_TABLE.match(table):
            continue
        columns = db.columns(table)
        contact_column = next((c for c in columns if re.match(r"^Z_\d+RECIPIENTS$", c)), None)
        interaction_column = next((c for c in columns if JOIN_TABLE.match(c)), None)
        if not contact_column or not interaction_column:
            continue
        found: dict[int, list[int]] = {}
        for row in db.rows(f'SELECT "{interaction_column}", "{contact_column}" FROM "{table}"'):
            found.setdefault(row[0], []).append(row[1])
        return found
    return {}


def _record(row: dict[str, Any], contacts: dict[int, dict[str, Any]], recipient_pks: list[int]) -> Record:
    started = apple_time(row.get("start_raw"))
    sender = contacts.get(row.get("sender_pk")) if row.get("sender_pk") is not None else None
    recipients = [contacts[pk] for pk in recipient_pks[:RECIPIENT_LIMIT] if pk in contacts]
    direction = DIRECTIONS.get(row.get("direction"), row.get("direction"))
    bundle_id = _text(row.get("bundle_id"))
    parties = observables()
    for party in ([sender] if sender else []) + recipients:
        parties += handle_observables(party["identifier"])
    names = [_party_name(r) for r in recipients]
    who = f"from {_party_name(sender)}" if sender else (f"to {', '.join(names)}" if names else "")
    return Record(
        timestamp=started,
        timestamp_desc="interaction started",
        message=" ".join(part for part in (f"{bundle_id or 'unknown app'}", str(direction or "interaction"),
                                           who) if part),
        fields={
            "interaction_id": row.get("interaction_pk"),
            "bundle_id": bundle_id,
            "target_bundle_id": _text(row.get("target_bundle_id")),
            "direction": direction,
            "mechanism": row.get("mechanism"),
            "domain_identifier": _text(row.get("domain_identifier")),
            "account": _text(row.get("account")),
            "group_name": _text(row.get("group_name")),
            "derived_intent_id": _text(row.get("derived_intent_id")),
            "content_url": _text(row.get("content_url")),
            "recipient_count": row.get("recipient_count"),
            "is_response": row.get("is_response"),
            "start_date": iso_utc(started),
            "end_date": iso_utc(apple_time(row.get("end_raw"))),
            "creation_date": iso_utc(apple_time(row.get("created_raw"))),
            "sender": sender,
            "recipients": recipients,
            "raw_start_date": row.get("start_raw"),
        },
        observables=_dedupe(parties + observables(("app_id", bundle_id), ("app_id", _text(row.get("target_bundle_id"))))),
    )


def _party_name(party: dict[str, Any] | None) -> str:
    if not party:
        return "unknown"
    name, identifier = party.get("display_name"), party.get("identifier")
    if name and identifier:
        return f"{name} ({identifier})"
    return name or identifier or "unknown"


def _dedupe(items: tuple) -> tuple:
    return tuple(dict.fromkeys(items))


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if value is None:
        return None
    text = str(value).strip()
    return text or None
