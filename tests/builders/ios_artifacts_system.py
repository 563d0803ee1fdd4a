"""Real-format bytes of iOS system artifacts: preferences, CoreDuet, call history, contacts,
calendar, TCC, configuration profiles, locationd clients.

One function per artifact (and per OS-version variant where the format changed). Each returns
the file's bytes, ready for `BackupBuilder.add_file`, an end-to-end test, the demo or a
benchmark. Defaults are plausible values; pass your own rows to change them. SQLite schemas
follow what the OS writes (Core Data `Z`-prefixed tables with Z_PK/Z_ENT/Z_OPT, TIMESTAMP and
FLOAT Apple-time columns); plists are written as the OS writes them (binary).
"""

from __future__ import annotations

import plistlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tests.builders.sqlite import build_sqlite

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def apple_seconds(moment: datetime) -> float:
    """Seconds since 2001-01-01 UTC (Cocoa / Core Data time)."""
    return (moment - APPLE_EPOCH).total_seconds()


def _binary_plist(value: Any) -> bytes:
    return plistlib.dumps(value, fmt=plistlib.FMT_BINARY)


def _naive(moment: datetime) -> datetime:
    # plistlib writes naive datetimes as UTC; the OS stores UTC.
    return moment.astimezone(UTC).replace(tzinfo=None)


# -- com.apple.osanalytics.addaily.plist -----------------------------------------------------
ADDAILY_DEFAULT = {
    "com.apple.WebKit.WebContent": (datetime(2023, 1, 10, 8, 0, tzinfo=UTC), 1024, 512, 2048, 256),
    "nehelper": (datetime(2023, 1, 10, 8, 1, tzinfo=UTC), 10, 20, 30, 40),
}


def addaily_plist(baseline: Mapping[str, tuple[datetime, int, int, int, int]] | None = None,
                  extra: Mapping[str, Any] | None = None) -> bytes:
    """HomeDomain Library/Preferences/com.apple.osanalytics.addaily.plist.

    `netUsageBaseline` maps each process to [date, wifiIn, wifiOut, wwanIn, wwanOut].
    """
    entries = ADDAILY_DEFAULT if baseline is None else baseline
    value: dict[str, Any] = {
        "netUsageBaseline": {name: [_naive(row[0]), *row[1:]] for name, row in entries.items()},
        "lastSummaryDate": datetime(2023, 1, 10, 0, 0),
    }
    value.update(extra or {})
    return _binary_plist(value)


# -- interactionC.db ---------------------------------------------------------------------------
INTERACTION_C_IOS14_SCHEMA = """
CREATE TABLE ZCONTACTS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZINCOMINGRECIPIENTCOUNT INTEGER, ZINCOMINGSENDERCOUNT INTEGER, ZOUTGOINGRECIPIENTCOUNT INTEGER,
  ZTYPE INTEGER, ZCREATIONDATE TIMESTAMP, ZFIRSTINCOMINGRECIPIENTDATE TIMESTAMP,
  ZFIRSTINCOMINGSENDERDATE TIMESTAMP, ZFIRSTOUTGOINGRECIPIENTDATE TIMESTAMP,
  ZLASTINCOMINGRECIPIENTDATE TIMESTAMP, ZLASTINCOMINGSENDERDATE TIMESTAMP,
  ZLASTOUTGOINGRECIPIENTDATE TIMESTAMP, ZCUSTOMIDENTIFIER VARCHAR, ZDISPLAYNAME VARCHAR,
  ZIDENTIFIER VARCHAR, ZPERSONID VARCHAR, ZPERSONIDTYPE INTEGER );
CREATE TABLE ZINTERACTIONS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZDIRECTION INTEGER, ZISRESPONSE INTEGER, ZMECHANISM INTEGER, ZRECIPIENTCOUNT INTEGER,
  ZSENDER INTEGER, ZCREATIONDATE TIMESTAMP, ZENDDATE TIMESTAMP, ZSTARTDATE TIMESTAMP,
  ZACCOUNT VARCHAR, ZBUNDLEID VARCHAR, ZDOMAINIDENTIFIER VARCHAR, ZLOCATIONUUID VARCHAR,
  ZTARGETBUNDLEID VARCHAR, ZUUID VARCHAR, ZCONTENTURL VARCHAR );
CREATE TABLE Z_2INTERACTIONRECIPIENT ( Z_2RECIPIENTS INTEGER, Z_3INTERACTIONRECIPIENT INTEGER,
  PRIMARY KEY (Z_2RECIPIENTS, Z_3INTERACTIONRECIPIENT) );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
"""

# Later releases add group names and derived intent ids (columns MVT reads when present). Core
# Data numbers many-to-many join tables by entity order, so the numbers change when entities
# are added; the numbers here are illustrative, to exercise the module's lookup by columns.
INTERACTION_C_IOS17_SCHEMA = """
CREATE TABLE ZCONTACTS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZINCOMINGRECIPIENTCOUNT INTEGER, ZINCOMINGSENDERCOUNT INTEGER, ZOUTGOINGRECIPIENTCOUNT INTEGER,
  ZTYPE INTEGER, ZCREATIONDATE TIMESTAMP, ZFIRSTINCOMINGRECIPIENTDATE TIMESTAMP,
  ZFIRSTINCOMINGSENDERDATE TIMESTAMP, ZFIRSTOUTGOINGRECIPIENTDATE TIMESTAMP,
  ZLASTINCOMINGRECIPIENTDATE TIMESTAMP, ZLASTINCOMINGSENDERDATE TIMESTAMP,
  ZLASTOUTGOINGRECIPIENTDATE TIMESTAMP, ZCUSTOMIDENTIFIER VARCHAR, ZDISPLAYNAME VARCHAR,
  ZIDENTIFIER VARCHAR, ZPERSONID VARCHAR, ZPERSONIDTYPE INTEGER );
CREATE TABLE ZINTERACTIONS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZDIRECTION INTEGER, ZISRESPONSE INTEGER, ZMECHANISM INTEGER, ZRECIPIENTCOUNT INTEGER,
  ZSENDER INTEGER, ZCREATIONDATE TIMESTAMP, ZENDDATE TIMESTAMP, ZSTARTDATE TIMESTAMP,
  ZACCOUNT VARCHAR, ZBUNDLEID VARCHAR, ZDERIVEDINTENTIDENTIFIER VARCHAR, ZDOMAINIDENTIFIER VARCHAR,
  ZGROUPNAME VARCHAR, ZLOCATIONUUID VARCHAR, ZTARGETBUNDLEID VARCHAR, ZUUID VARCHAR,
  ZCONTENTURL VARCHAR );
CREATE TABLE ZKEYWORDS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKEYWORD VARCHAR );
CREATE TABLE Z_3INTERACTIONRECIPIENT ( Z_3RECIPIENTS INTEGER, Z_5INTERACTIONRECIPIENT INTEGER,
  PRIMARY KEY (Z_3RECIPIENTS, Z_5INTERACTIONRECIPIENT) );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
"""

INTERACTION_START = datetime(2023, 3, 1, 12, 0, tzinfo=UTC)


def _interaction_rows(contacts: Sequence[Mapping[str, Any]] | None,
                      interactions: Sequence[Mapping[str, Any]] | None) -> tuple[list, list]:
    start = apple_seconds(INTERACTION_START)
    if contacts is None:
        contacts = [
            {"Z_PK": 1, "Z_ENT": 1, "Z_OPT": 1, "ZDISPLAYNAME": "Alice Example", "ZIDENTIFIER": "+15551230001",
             "ZPERSONID": "A1B2", "ZCREATIONDATE": start - 86400, "ZINCOMINGSENDERCOUNT": 3},
            {"Z_PK": 2, "Z_ENT": 1, "Z_OPT": 1, "ZDISPLAYNAME": "Bob", "ZIDENTIFIER": "mailto:Bob@Example.org",
             "ZCREATIONDATE": start - 3600, "ZOUTGOINGRECIPIENTCOUNT": 1},
            {"Z_PK": 3, "Z_ENT": 1, "Z_OPT": 1, "ZDISPLAYNAME": None, "ZIDENTIFIER": "carol@example.net",
             "ZCREATIONDATE": start - 60},
        ]
    if interactions is None:
        interactions = [
            {"Z_PK": 1, "Z_ENT": 3, "Z_OPT": 1, "ZDIRECTION": 0, "ZMECHANISM": 4, "ZRECIPIENTCOUNT": 0,
             "ZSENDER": 1, "ZSTARTDATE": start, "ZENDDATE": start + 1, "ZCREATIONDATE": start + 2,
             "ZBUNDLEID": "com.apple.MobileSMS", "ZDOMAINIDENTIFIER": "iMessage;-;+15551230001",
             "ZACCOUNT": "E:me@example.com", "recipients": []},
            {"Z_PK": 2, "Z_ENT": 3, "Z_OPT": 1, "ZDIRECTION": 1, "ZMECHANISM": 4, "ZRECIPIENTCOUNT": 2,
             "ZSENDER": None, "ZSTARTDATE": start + 600, "ZENDDATE": start + 601, "ZCREATIONDATE": start + 602,
             "ZBUNDLEID": "com.apple.mobilemail", "ZDOMAINIDENTIFIER": None, "recipients": [2, 3]},
        ]
    return list(contacts), list(interactions)


def _interaction_db(schema: str, join: tuple[str, str, str], contacts: Any, interactions: Any,
                    drop: Sequence[str] = ()) -> bytes:
    contact_rows, interaction_rows = _interaction_rows(contacts, interactions)
    table, recipient_column, interaction_column = join

    def populate(connection: Any) -> None:
        for row in contact_rows:
            _insert(connection, "ZCONTACTS", row)
        for row in interaction_rows:
            values = {k: v for k, v in row.items() if k != "recipients" and k not in drop}
            _insert(connection, "ZINTERACTIONS", values)
            for contact in row.get("recipients") or ():
                connection.execute(f"INSERT INTO {table} ({recipient_column}, {interaction_column}) VALUES (?, ?)",
                                   (contact, row["Z_PK"]))
    return build_sqlite(schema, populate=populate)


def interaction_c_db_ios14(contacts: Sequence[Mapping[str, Any]] | None = None,
                           interactions: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """HomeDomain Library/CoreDuet/People/interactionC.db, earlier layout (ZMECHANISM, no group name).

    Interaction rows may carry "recipients": a list of ZCONTACTS Z_PKs.
    """
    return _interaction_db(INTERACTION_C_IOS14_SCHEMA,
                           ("Z_2INTERACTIONRECIPIENT", "Z_2RECIPIENTS", "Z_3INTERACTIONRECIPIENT"),
                           contacts, interactions)


def interaction_c_db_ios17(contacts: Sequence[Mapping[str, Any]] | None = None,
                           interactions: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """interactionC.db with the later columns (group name, derived intent) and renumbered join table."""
    return _interaction_db(INTERACTION_C_IOS17_SCHEMA,
                           ("Z_3INTERACTIONRECIPIENT", "Z_3RECIPIENTS", "Z_5INTERACTIONRECIPIENT"),
                           contacts, interactions)


def _insert(connection: Any, table: str, row: Mapping[str, Any]) -> None:
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    connection.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', tuple(row.values()))


# -- CallHistory.storedata ---------------------------------------------------------------------
CALL_HISTORY_SCHEMA = """
CREATE TABLE ZCALLRECORD ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZANSWERED INTEGER, ZCALL_CATEGORY INTEGER, ZCALLTYPE INTEGER, ZDISCONNECTED_CAUSE INTEGER,
  ZFACE_TIME_DATA BLOB, ZHANDLE_TYPE INTEGER, ZNUMBER_AVAILABILITY INTEGER, ZORIGINATED INTEGER,
  ZREAD INTEGER, ZJUNKCONFIDENCE INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS VARCHAR,
  ZDEVICE_ID VARCHAR, ZISO_COUNTRY_CODE VARCHAR, ZLOCATION VARCHAR, ZNAME VARCHAR,
  ZSERVICE_PROVIDER VARCHAR, ZUNIQUE_ID VARCHAR, ZPARTICIPANTGROUPUUID BLOB );
CREATE TABLE ZHANDLE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZTYPE INTEGER,
  ZNORMALIZEDVALUE VARCHAR, ZVALUE VARCHAR );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
"""

# An older layout without the CallKit-era columns (service provider, handle type, category);
# the module must read a table lacking them.
CALL_HISTORY_LEGACY_SCHEMA = """
CREATE TABLE ZCALLRECORD ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZANSWERED INTEGER, ZCALLTYPE INTEGER, ZDISCONNECTED_CAUSE INTEGER, ZFACE_TIME_DATA BLOB,
  ZNUMBER_AVAILABILITY INTEGER, ZORIGINATED INTEGER, ZREAD INTEGER, ZDATE TIMESTAMP,
  ZDURATION FLOAT, ZADDRESS VARCHAR, ZDEVICE_ID VARCHAR, ZISO_COUNTRY_CODE VARCHAR,
  ZLOCATION VARCHAR, ZNAME VARCHAR, ZUNIQUE_ID VARCHAR );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
"""

CALL_START = datetime(2023, 2, 1, 18, 30, tzinfo=UTC)


def call_history_db(calls: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """HomeDomain Library/CallHistoryDB/CallHistory.storedata (current layout).

    ZADDRESS is declared VARCHAR but the OS often stores it as a blob of UTF-8 bytes.
    """
    start = apple_seconds(CALL_START)
    rows = calls if calls is not None else [
        {"Z_PK": 1, "Z_ENT": 2, "Z_OPT": 1, "ZADDRESS": b"+15551230001", "ZDATE": start, "ZDURATION": 62.5,
         "ZORIGINATED": 1, "ZANSWERED": 1, "ZCALLTYPE": 1, "ZHANDLE_TYPE": 2,
         "ZSERVICE_PROVIDER": "com.apple.Telephony", "ZLOCATION": "California", "ZISO_COUNTRY_CODE": "us",
         "ZUNIQUE_ID": "0C3E8A57-1C74-4C3B-9B8E-5D5C2C0D6F01", "ZDISCONNECTED_CAUSE": 0},
        {"Z_PK": 2, "Z_ENT": 2, "Z_OPT": 1, "ZADDRESS": "Friend@iCloud.com", "ZDATE": start + 3600,
         "ZDURATION": 0.0, "ZORIGINATED": 0, "ZANSWERED": 0, "ZCALLTYPE": 16, "ZHANDLE_TYPE": 3,
         "ZSERVICE_PROVIDER": "com.apple.FaceTime", "ZUNIQUE_ID": "6B1F2D77-8E0A-4A4E-A5A1-1E2C3D4F5A02",
         "ZDISCONNECTED_CAUSE": 6},
    ]
    return build_sqlite(CALL_HISTORY_SCHEMA, {"ZCALLRECORD": rows})


def call_history_db_legacy(calls: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """CallHistory.storedata without the CallKit-era columns (older releases)."""
    start = apple_seconds(CALL_START)
    rows = calls if calls is not None else [
        {"Z_PK": 1, "Z_ENT": 2, "Z_OPT": 1, "ZADDRESS": "+4930123456", "ZDATE": start, "ZDURATION": 12.0,
         "ZORIGINATED": 0, "ZANSWERED": 1, "ZCALLTYPE": 1, "ZLOCATION": "Germany"},
    ]
    return build_sqlite(CALL_HISTORY_LEGACY_SCHEMA, {"ZCALLRECORD": rows})


# -- AddressBook.sqlitedb ----------------------------------------------------------------------
ADDRESS_BOOK_SCHEMA = """
CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT, Middle TEXT,
  FirstPhonetic TEXT, MiddlePhonetic TEXT, LastPhonetic TEXT, Organization TEXT, Department TEXT,
  Note TEXT, Kind INTEGER, Birthday TEXT, JobTitle TEXT, Nickname TEXT, Prefix TEXT, Suffix TEXT,
  FirstSort TEXT, LastSort TEXT, CreationDate INTEGER, ModificationDate INTEGER,
  CompositeNameFallback TEXT, ExternalIdentifier TEXT, ExternalModificationTag TEXT, ExternalUUID TEXT,
  StoreID INTEGER, DisplayName TEXT, ExternalRepresentation BLOB, FirstSortSection TEXT,
  LastSortSection TEXT, FirstSortLanguageIndex INTEGER DEFAULT 2147483647,
  LastSortLanguageIndex INTEGER DEFAULT 2147483647, PersonLink INTEGER DEFAULT -1, ImageURI TEXT,
  IsPreferredName INTEGER DEFAULT 1, guid TEXT, PhonemeData TEXT, AlternateBirthday TEXT,
  MapsData TEXT, FirstPronunciation TEXT, MiddlePronunciation TEXT, LastPronunciation TEXT,
  OrganizationPhonetic TEXT, OrganizationPronunciation TEXT, PreviousFamilyName TEXT,
  PreferredLikenessSource TEXT, PreferredPersonaIdentifier TEXT);
CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER,
  identifier INTEGER, label INTEGER, value TEXT, guid TEXT);
CREATE TABLE ABMultiValueLabel (value TEXT, UNIQUE(value));
CREATE TABLE ABMultiValueEntry (parent_id INTEGER, key INTEGER, value TEXT, UNIQUE(parent_id, key));
CREATE TABLE ABMultiValueEntryKey (value TEXT, UNIQUE(value));
CREATE TABLE ABStore (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT, Type INTEGER);
"""

CONTACT_CREATED = datetime(2022, 5, 4, 9, 0, tzinfo=UTC)


def address_book_db(people: Sequence[Mapping[str, Any]] | None = None,
                    values: Sequence[Mapping[str, Any]] | None = None,
                    labels: Sequence[str] = ("_$!<Mobile>!$_", "_$!<Home>!$_", "_$!<Work>!$_")) -> bytes:
    """HomeDomain Library/AddressBook/AddressBook.sqlitedb.

    ABMultiValue.property: 3 phone, 4 email, 22 URL; `label` is the ABMultiValueLabel rowid.
    """
    created = apple_seconds(CONTACT_CREATED)
    people = people if people is not None else [
        {"ROWID": 1, "First": "Alice", "Last": "Example", "Organization": "Example Corp", "Kind": 0,
         "CreationDate": int(created), "ModificationDate": int(created + 86400), "StoreID": 1},
        {"ROWID": 2, "First": None, "Last": None, "Organization": "Pizza Place", "Kind": 1,
         "CreationDate": int(created + 60), "ModificationDate": int(created + 60), "StoreID": 1},
    ]
    values = values if values is not None else [
        {"UID": 1, "record_id": 1, "property": 3, "identifier": 0, "label": 1, "value": "+1 (555) 123-0001"},
        {"UID": 2, "record_id": 1, "property": 4, "identifier": 0, "label": 2, "value": "Alice@Example.com"},
        {"UID": 3, "record_id": 1, "property": 22, "identifier": 0, "label": 3, "value": "https://alice.example.com/"},
        {"UID": 4, "record_id": 2, "property": 3, "identifier": 0, "label": 3, "value": "+1 555 987 6543"},
        {"UID": 5, "record_id": 2, "property": 5, "identifier": 0, "label": 3, "value": None},
    ]
    return build_sqlite(ADDRESS_BOOK_SCHEMA, {
        "ABStore": [{"ROWID": 1, "Name": "Local", "Type": 0}],
        "ABMultiValueLabel": [(label,) for label in labels],
        "ABPerson": people,
        "ABMultiValue": values,
    })


# -- Calendar.sqlitedb -------------------------------------------------------------------------
CALENDAR_SCHEMA = """
CREATE TABLE Store (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, default_alarm_offset INTEGER,
  type INTEGER, constraint_path TEXT, disabled INTEGER, external_id TEXT, persistent_id TEXT,
  flags INTEGER, UUID TEXT);
CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, store_id INTEGER, title TEXT,
  flags INTEGER, color TEXT, type TEXT, supported_entity_types INTEGER, external_id TEXT,
  external_mod_tag TEXT, external_id_tag TEXT, external_rep BLOB, display_order INTEGER,
  UUID TEXT, shared_owner_name TEXT, shared_owner_address TEXT, sharing_status INTEGER,
  notes TEXT, owner_identity_id INTEGER);
CREATE TABLE Participant (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, entity_type INTEGER, type INTEGER,
  status INTEGER, pending_status INTEGER, role INTEGER, identity_id INTEGER, owner_id INTEGER,
  external_rep BLOB, UUID TEXT, email TEXT, phone_number TEXT, is_self INTEGER, comment TEXT,
  schedule_agent INTEGER, flags INTEGER, last_modified REAL, proposed_start_date REAL,
  invited_by TEXT, proposed_start_date_status INTEGER, comment_last_modified REAL);
CREATE TABLE Identity (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, display_name TEXT, address TEXT,
  first_name TEXT, last_name TEXT);
CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, summary TEXT, location_id INTEGER,
  client_location_id INTEGER, description TEXT, start_date REAL, start_tz TEXT, end_date REAL,
  end_tz TEXT, all_day INTEGER, calendar_id INTEGER, orig_item_id INTEGER, orig_date REAL,
  organizer_id INTEGER, self_attendee_id INTEGER, status INTEGER, invitation_status INTEGER,
  availability INTEGER, privacy_level INTEGER, url TEXT, last_modified REAL, sequence_num INTEGER,
  birthday_id INTEGER, modified_properties INTEGER, external_tracking_status INTEGER,
  external_id TEXT, external_mod_tag TEXT, unique_identifier TEXT, external_schedule_id TEXT,
  external_rep BLOB, response_comment TEXT, last_synced_response_comment TEXT, hidden INTEGER,
  has_recurrences INTEGER, has_attendees INTEGER, UUID TEXT, entity_type INTEGER, priority INTEGER,
  due_date REAL, due_tz TEXT, due_all_day INTEGER, completion_date REAL, creation_date REAL,
  action TEXT, app_link BLOB, display_order INTEGER, created_by_id INTEGER, modified_by_id INTEGER,
  shared_item_created_date REAL, shared_item_created_tz TEXT, shared_item_modified_date REAL,
  shared_item_modified_tz TEXT, invitation_changed_properties INTEGER, default_alarm_removed INTEGER,
  phantom_master INTEGER, participation_status_modified_date REAL, calendar_scale TEXT,
  travel_time INTEGER, travel_advisory_behavior INTEGER, start_location_id INTEGER,
  end_location_id INTEGER, suggested_event_info_id INTEGER, first_alert_date REAL,
  proposed_start_date REAL, can_forward INTEGER, location_prediction_state INTEGER, fired_ttl INTEGER,
  disallow_propose_new_time INTEGER, structured_data BLOB, local_structured_data BLOB,
  junk_status INTEGER, conference_url TEXT, contact_identifier TEXT, recurrence_set TEXT,
  flags INTEGER, contact_name TEXT);
"""

# An older layout: CalendarItem without the conference, junk and structured-data columns,
# Participant without phone_number, Calendar without owner identity.
CALENDAR_LEGACY_SCHEMA = """
CREATE TABLE Store (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, default_alarm_offset INTEGER,
  type INTEGER, constraint_path TEXT, disabled INTEGER, external_id TEXT, persistent_id TEXT,
  flags INTEGER);
CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, store_id INTEGER, title TEXT,
  flags INTEGER, color TEXT, type TEXT, supported_entity_types INTEGER, external_id TEXT,
  external_mod_tag TEXT, external_id_tag TEXT, external_rep BLOB, display_order INTEGER, UUID TEXT);
CREATE TABLE Participant (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, entity_type INTEGER, type INTEGER,
  status INTEGER, pending_status INTEGER, role INTEGER, identity_id INTEGER, owner_id INTEGER,
  external_rep BLOB, UUID TEXT, email TEXT, is_self INTEGER, comment TEXT, schedule_agent INTEGER,
  flags INTEGER, last_modified REAL);
CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, summary TEXT, location_id INTEGER,
  description TEXT, start_date REAL, start_tz TEXT, end_date REAL, end_tz TEXT, all_day INTEGER,
  calendar_id INTEGER, orig_item_id INTEGER, orig_date REAL, organizer_id INTEGER,
  self_attendee_id INTEGER, status INTEGER, invitation_status INTEGER, availability INTEGER,
  privacy_level INTEGER, url TEXT, last_modified REAL, sequence_num INTEGER, birthday_id INTEGER,
  modified_properties INTEGER, external_tracking_status INTEGER, external_id TEXT,
  external_mod_tag TEXT, unique_identifier TEXT, external_schedule_id TEXT, external_rep BLOB,
  response_comment TEXT, last_synced_response_comment TEXT, hidden INTEGER, has_recurrences INTEGER,
  has_attendees INTEGER, UUID TEXT, entity_type INTEGER, priority INTEGER, due_date REAL,
  due_tz TEXT, due_all_day INTEGER, completion_date REAL, creation_date REAL, action TEXT,
  app_link BLOB, display_order INTEGER, created_by_id INTEGER, modified_by_id INTEGER);
"""

EVENT_START = datetime(2023, 4, 3, 15, 0, tzinfo=UTC)


def calendar_rows(items: Sequence[Mapping[str, Any]] | None = None,
                  participants: Sequence[Mapping[str, Any]] | None = None) -> dict[str, list]:
    start = apple_seconds(EVENT_START)
    items = items if items is not None else [
        {"ROWID": 1, "summary": "Team sync", "description": "Agenda: https://docs.example.com/agenda",
         "start_date": start, "end_date": start + 3600, "calendar_id": 1, "organizer_id": 1,
         "self_attendee_id": 2, "url": None, "hidden": 0, "has_attendees": 1, "entity_type": 2,
         "creation_date": start - 7 * 86400, "last_modified": start - 7 * 86400,
         "UUID": "6F0B7A32-3D3E-4B6A-9C1C-0A1B2C3D4E01", "invitation_status": 0, "status": 1},
        {"ROWID": 2, "summary": "Dentist", "description": None, "start_date": start + 86400,
         "end_date": start + 86400 + 1800, "calendar_id": 1, "organizer_id": None, "hidden": 0,
         "has_attendees": 0, "entity_type": 2, "creation_date": start - 86400, "url": "https://dentist.example/",
         "UUID": "6F0B7A32-3D3E-4B6A-9C1C-0A1B2C3D4E02"},
    ]
    participants = participants if participants is not None else [
        {"ROWID": 1, "entity_type": 8, "type": 1, "status": 0, "role": 0, "owner_id": 1,
         "email": "Organizer@Example.org", "is_self": 0, "UUID": "P-1"},
        {"ROWID": 2, "entity_type": 7, "type": 1, "status": 1, "role": 1, "owner_id": 1,
         "email": "me@example.com", "is_self": 1, "UUID": "P-2"},
        {"ROWID": 3, "entity_type": 7, "type": 1, "status": 0, "role": 1, "owner_id": 1,
         "email": "guest@example.net", "is_self": 0, "UUID": "P-3"},
    ]
    return {
        "Store": [{"ROWID": 1, "name": "iCloud", "type": 2}],
        "Calendar": [{"ROWID": 1, "store_id": 1, "title": "Home", "UUID": "C-1"}],
        "CalendarItem": list(items),
        "Participant": list(participants),
    }


def calendar_db(items: Sequence[Mapping[str, Any]] | None = None,
                participants: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """HomeDomain Library/Calendar/Calendar.sqlitedb (current layout).

    Participant.entity_type 7 is an attendee, 8 the organizer; CalendarItem.organizer_id
    points at the organizer's Participant row. Dates are Apple time.
    """
    return build_sqlite(CALENDAR_SCHEMA, calendar_rows(items, participants))


def calendar_db_legacy(items: Sequence[Mapping[str, Any]] | None = None,
                       participants: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """Calendar.sqlitedb in the older layout (no phone_number on Participant)."""
    rows = calendar_rows(items, participants)
    for participant in rows["Participant"]:
        participant.pop("phone_number", None)
    return build_sqlite(CALENDAR_LEGACY_SCHEMA, rows)


# -- TCC.db ------------------------------------------------------------------------------------
TCC_SCHEMA_V3 = """
CREATE TABLE admin (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
CREATE TABLE policies ( id INTEGER NOT NULL PRIMARY KEY, bundle_id TEXT NOT NULL, uuid TEXT NOT NULL,
  display TEXT NOT NULL, UNIQUE (bundle_id, uuid));
CREATE TABLE access ( service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL,
  auth_value INTEGER NOT NULL, auth_reason INTEGER NOT NULL, auth_version INTEGER NOT NULL,
  csreq BLOB, policy_id INTEGER, indirect_object_identifier_type INTEGER,
  indirect_object_identifier TEXT NOT NULL DEFAULT 'UNUSED', indirect_object_code_identity BLOB,
  flags INTEGER, last_modified INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)),
  PRIMARY KEY (service, client, client_type, indirect_object_identifier),
  FOREIGN KEY (policy_id) REFERENCES policies(id) ON DELETE CASCADE ON UPDATE CASCADE);
"""

# Before iOS 14: `allowed` and `prompt_count` instead of auth_value/auth_reason.
TCC_SCHEMA_V2 = """
CREATE TABLE admin (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
CREATE TABLE access ( service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL,
  allowed INTEGER NOT NULL, prompt_count INTEGER NOT NULL, csreq BLOB, policy_id INTEGER,
  indirect_object_identifier_type INTEGER, indirect_object_identifier TEXT,
  indirect_object_code_identity BLOB, flags INTEGER, last_modified INTEGER NOT NULL
  DEFAULT (CAST(strftime('%s','now') AS INTEGER)),
  PRIMARY KEY (service, client, client_type, indirect_object_identifier));
"""

TCC_MODIFIED = int(datetime(2022, 11, 5, 10, 0, tzinfo=UTC).timestamp())


def tcc_db_v3(access: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """HomeDomain Library/TCC/TCC.db as iOS 14 and later write it (auth_value, Unix last_modified)."""
    rows = access if access is not None else [
        {"service": "kTCCServiceMicrophone", "client": "net.whatsapp.WhatsApp", "client_type": 0,
         "auth_value": 2, "auth_reason": 2, "auth_version": 1, "flags": 0, "last_modified": TCC_MODIFIED},
        {"service": "kTCCServiceCamera", "client": "/private/var/containers/Bundle/tool", "client_type": 1,
         "auth_value": 0, "auth_reason": 4, "auth_version": 1, "flags": 0, "last_modified": TCC_MODIFIED + 60},
    ]
    return build_sqlite(TCC_SCHEMA_V3, {"admin": [{"key": "version", "value": 20}], "access": rows})


def tcc_db_v2(access: Sequence[Mapping[str, Any]] | None = None) -> bytes:
    """TCC.db with `allowed` and `prompt_count` (before iOS 14)."""
    rows = access if access is not None else [
        {"service": "kTCCServicePhotos", "client": "com.example.photos", "client_type": 0,
         "allowed": 1, "prompt_count": 1, "last_modified": TCC_MODIFIED},
    ]
    return build_sqlite(TCC_SCHEMA_V2, {"admin": [{"key": "version", "value": 15}], "access": rows})


# -- Configuration profiles ---------------------------------------------------------------------
PROFILE_INSTALLED = datetime(2022, 8, 15, 14, 20, tzinfo=UTC)


def profile_stub_plist(identifier: str = "com.example.vpn.profile",
                       uuid: str = "9A2F0A6B-1C2D-4E5F-8A9B-0C1D2E3F4A5B",
                       display_name: str = "Example VPN",
                       organization: str | None = "Example Corp",
                       content: Sequence[Mapping[str, Any]] | None = None,
                       install_date: datetime | None = PROFILE_INSTALLED,
                       extra: Mapping[str, Any] | None = None) -> bytes:
    """SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles
    Library/ConfigurationProfiles/profile-<hash>.stub: the installed profile's top level."""
    content = content if content is not None else [
        {"PayloadType": "com.apple.vpn.managed", "PayloadIdentifier": f"{identifier}.vpn",
         "PayloadUUID": "1B2C3D4E-5F60-4172-8394-A5B6C7D8E9F0", "PayloadDisplayName": "VPN",
         "PayloadVersion": 1, "VPNType": "IKEv2", "UserDefinedName": "Example"},
    ]
    value: dict[str, Any] = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": uuid,
        "PayloadDisplayName": display_name,
        "PayloadDescription": "Installs the company VPN",
        "PayloadContent": [dict(item) for item in content],
        "PayloadRemovalDisallowed": False,
        "IsEncrypted": False,
        "InstallOptions": {"isInstalledByMDM": False},
    }
    if organization is not None:
        value["PayloadOrganization"] = organization
    if install_date is not None:
        value["InstallDate"] = _naive(install_date)
    value.update(extra or {})
    return _binary_plist(value)


def profile_events_plist(events: Sequence[tuple[str, str, str, datetime]] | None = None) -> bytes:
    """Library/ConfigurationProfiles/MCProfileEvents.plist: ProfileEvents is a list of
    one-key dicts {profile identifier: {operation, process, timestamp}}."""
    events = events if events is not None else [
        ("com.example.vpn.profile", "install", "/usr/libexec/mdmd", PROFILE_INSTALLED),
        ("com.example.old.profile", "remove", "/Applications/Preferences.app/Preferences",
         datetime(2022, 9, 1, 8, 0, tzinfo=UTC)),
    ]
    return _binary_plist({"ProfileEvents": [
        {profile: {"operation": operation, "process": process, "timestamp": _naive(moment)}}
        for profile, operation, process, moment in events
    ]})


# -- .GlobalPreferences.plist --------------------------------------------------------------------
def global_preferences_plist(lockdown: bool | None = True, extra: Mapping[str, Any] | None = None) -> bytes:
    """HomeDomain Library/Preferences/.GlobalPreferences.plist (LDMGlobalEnabled since iOS 16)."""
    value: dict[str, Any] = {
        "AppleLocale": "en_US",
        "AppleLanguages": ["en-US", "fr-FR"],
        "AppleICUForce24HourTime": True,
        "AppleLanguagesDidMigrate": "20F66",
    }
    if lockdown is not None:
        value["LDMGlobalEnabled"] = lockdown
    value.update(extra or {})
    return _binary_plist(value)


# -- locationd clients.plist ----------------------------------------------------------------------
LOCATION_STOPPED = datetime(2023, 6, 1, 7, 45, tzinfo=UTC)


def locationd_clients_plist(clients: Mapping[str, Any] | None = None) -> bytes:
    """RootDomain Library/Caches/locationd/clients.plist: one dictionary per client, keyed by
    bundle id (often with a type prefix and a trailing colon) or by a location bundle path;
    times are Apple time. Non-dictionary values (migration markers) sit beside them."""
    stopped = apple_seconds(LOCATION_STOPPED)
    clients = clients if clients is not None else {
        "com.apple.Maps:": {"BundleId": "com.apple.Maps", "Authorization": 2, "Authorized": True,
                             "LocationTimeStopped": stopped, "ConsumptionPeriodBegin": stopped - 600,
                             "ReceivingLocationInformationTimeStopped": stopped - 5,
                             "Whitelisted": False, "Executable": "/Applications/Maps.app/Maps"},
        "com.apple.locationd.bundle-/System/Library/LocationBundles/WRMLinkSelection.bundle": {
            "BundlePath": "/System/Library/LocationBundles/WRMLinkSelection.bundle", "Authorized": True,
            "LocationTimeStopped": stopped + 30, "Registered": ""},
        "Version": 1,
    }
    return _binary_plist(dict(clients))


# -- com.apple.CrashReporter.plist ----------------------------------------------------------------
def crash_reporter_plist(values: Mapping[str, Any] | None = None) -> bytes:
    """RootDomain Library/Preferences/com.apple.CrashReporter.plist as a normal device has it:
    per-process resource-diagnostic dates and a few scheduler integers."""
    value = dict(values) if values is not None else {
        "ExcResourceDiagInfo_cloudd": datetime(2023, 5, 2, 3, 4, 5),
        "ExcResourceDiagInfo_geod": datetime(2023, 5, 3, 1, 2, 3),
        "NANDTaskScheduler_Priority": 0,
        "defTS": 704851200,
    }
    return _binary_plist(value)
