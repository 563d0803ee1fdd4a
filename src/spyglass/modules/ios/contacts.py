"""Contacts: the address book's people, with their phone numbers, emails and web addresses.

Reads:   AddressBook.sqlitedb, HomeDomain Library/AddressBook/AddressBook.sqlitedb
         (/private/var/mobile/Library/AddressBook/). ABPerson (First, Middle, Last,
         Organization, Note, CreationDate and ModificationDate in Apple seconds) and
         ABMultiValue (record_id -> ABPerson.ROWID, property 3 phone, 4 email, 22 URL, label ->
         ABMultiValueLabel.rowid, value).
Yields:  one record per person, timestamped at creation; observables are every phone, email
         and URL (a spyware operator's number saved as a contact, a lure URL).
Seen:    iOS 12 to 18 (iLEAPP, MVT).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.limits import MAX_FIELD_CHARS
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.sqlite import Database
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="contacts",
    description="Address book contacts",
    paths=('/private/var/mobile/Library/AddressBook/AddressBook.sqlitedb',),
    tables={"ABPerson": {"ROWID", "First", "Last"},
            "ABMultiValue": {"record_id", "property", "value"}},
    os_versions="iOS 12-18",
)

PERSON_COLUMNS = ("First", "Middle", "Last", "Nickname", "Organization", "Department", "JobTitle",
                  "Note", "CreationDate", "ModificationDate", "DisplayName")
PROPERTIES = {3: "phones", 4: "emails", 22: "urls"}
OBSERVABLE_TYPES = {"phones": "phone", "emails": "email", "urls": "url"}
MAX_VALUES_PER_PERSON = 500


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    values = _values(db)
    selected = ", ".join(db.present("ABPerson", PERSON_COLUMNS))
    for row in db.rows(f"SELECT ROWID AS person_id, {selected} FROM ABPerson ORDER BY ROWID"):
        yield _record(dict(row), values.get(row["person_id"], {}))


def _values(db: Database) -> dict[int, dict[str, list[dict[str, Any]]]]:
    has_labels = db.has_table("ABMultiValueLabel") and "value" in db.columns("ABMultiValueLabel") \
        and "label" in db.columns("ABMultiValue")
    label = "(SELECT l.value FROM ABMultiValueLabel l WHERE l.rowid = m.label)" if has_labels else "NULL"
    found: dict[int, dict[str, list[dict[str, Any]]]] = {}
    query = (f"SELECT m.record_id, m.property, m.value, {label} AS label FROM ABMultiValue m "
             "WHERE m.property IN (3, 4, 22) AND m.value IS NOT NULL ORDER BY m.record_id, m.rowid")
    for row in db.rows(query):
        kind = PROPERTIES[row["property"]]
        bucket = found.setdefault(row["record_id"], {}).setdefault(kind, [])
        if len(bucket) < MAX_VALUES_PER_PERSON:
            bucket.append({"value": str(row["value"])[:MAX_FIELD_CHARS], "label": _label(row["label"])})
    return found


def _label(value: Any) -> str | None:
    # Built-in labels are stored as "_$!<Mobile>!$_"; custom labels as typed.
    if not isinstance(value, str):
        return None
    if value.startswith("_$!<") and value.endswith(">!$_"):
        return value[4:-4]
    return value


def _record(row: dict[str, Any], values: dict[str, list[dict[str, Any]]]) -> Record:
    created = apple_time(row.get("CreationDate"))
    name = " ".join(str(row[k]) for k in ("First", "Middle", "Last") if row.get(k)) or None
    shown = name or row.get("Organization") or row.get("DisplayName") or "(no name)"
    pairs: list[tuple[str, Any]] = []
    for kind, observable_type in OBSERVABLE_TYPES.items():
        for entry in values.get(kind, []):
            value = entry["value"].strip()
            pairs.append((observable_type, value.lower() if observable_type == "email" else value))
    listed = ", ".join(entry["value"] for kind in ("phones", "emails") for entry in values.get(kind, []))
    return Record(
        timestamp=created,
        timestamp_desc="contact created",
        message=f"Contact {shown}" + (f": {listed}" if listed else ""),
        fields={
            "person_id": row.get("person_id"),
            "name": name,
            "first_name": row.get("First"),
            "middle_name": row.get("Middle"),
            "last_name": row.get("Last"),
            "nickname": row.get("Nickname"),
            "organization": row.get("Organization"),
            "job_title": row.get("JobTitle"),
            "note": (str(row["Note"])[:MAX_FIELD_CHARS] if row.get("Note") else None),
            "phones": values.get("phones", []),
            "emails": values.get("emails", []),
            "urls": values.get("urls", []),
            "creation_date": iso_utc(created),
            "modification_date": iso_utc(apple_time(row.get("ModificationDate"))),
        },
        observables=observables(*pairs),
    )
