"""A backup holding every artifact spyglass reads, with planted traces and look-alike decoys.

Used by the end-to-end tests (with `tests/builders/full_backup.py:e2e_feed`) and, with real
Pegasus indicators, by the bundled demo. Every planted trace is named here so tests can
assert the exact findings: each module gets one value an indicator names, and decoys that
a careless matcher would confuse with it (`notevil-cdn.com`, `evil-cdn.com.example.net`,
process `bhx`, app `com.spy.agent.helper`).
"""

from __future__ import annotations

import plistlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.builders import ios_artifacts_system as system
from tests.builders import ios_artifacts_web as web
from tests.builders import ios_webdata as webdata
from tests.builders.ios_artifacts_core import (
    add_apps,
    add_datausage,
    add_idstatus_cache,
    add_safari_history,
    add_sms,
    apple_nanoseconds,
    attachment_rows,
    datausage_erased_rows,
    datausage_live,
    datausage_process,
    idstatus_cache,
)
from tests.builders.ios_artifacts_web import add_web_artifacts
from tests.builders.ios_backup import BackupBuilder

PLANTED = {
    "domain": "evil-cdn.com",            # a link in SMS and in every browser/app artifact
    "link": "https://lnk.evil-cdn.com/a/7f3e",
    "safari_domain": "free247downloads.com",
    "process": "bh",
    "email": "bogus.attacker@icloud.com",
    "file_name": "roleaccountd.plist",
    "app_id": "com.spy.agent",
    "profile_id": "9A2F0A6B-1C2D-4E5F-8A9B-0C1D2E3F4A5B",
}
DECOYS = ("notevil-cdn.com", "evil-cdn.com.example.net", "bhx", "com.spy.agent.helper", "roleaccountd.plist.bak")
WHEN = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
# Apple's wording since April 2024, from its own threat-notification address.
THREAT_TEXT = ("Apple detected that you are being targeted by a mercenary spyware attack that is trying to "
               "remotely compromise the iPhone associated with your Apple Account -xxx-")
THREAT_SENDER = "threat-notifications@apple.com"


def _sms_rows(link: str) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[Any]] = {name: list(values) for name, values in attachment_rows().items()}
    rows["attachment"].append({
        "ROWID": 3, "guid": "at_0_8A1B7B1E-0003", "original_guid": "at_0_8A1B7B1E-0003",
        "created_date": int((datetime(2021, 7, 1, 10, 0, 4, tzinfo=UTC) - datetime(2001, 1, 1, tzinfo=UTC))
                            .total_seconds()),
        "filename": "/private/var/tmp/com.apple.messages/8A1B7B1E-0003/1.gif", "mime_type": "image/gif",
        "transfer_name": "1.gif", "total_bytes": 748, "is_outgoing": 0})
    rows["message_attachment_join"].append({"message_id": 1, "attachment_id": 3})
    rows["handle"].append({"ROWID": 3, "id": THREAT_SENDER, "country": "us", "service": "iMessage"})
    rows["chat"].append({"ROWID": 3, "guid": f"iMessage;-;{THREAT_SENDER}", "style": 45, "state": 3,
                         "chat_identifier": THREAT_SENDER, "service_name": "iMessage", "display_name": ""})
    rows["chat_handle_join"].append({"chat_id": 3, "handle_id": 3})
    messages = [
        (3, f"Your delivery is late, reschedule: {link}"),
        (4, "Not these: https://notevil-cdn.com/x and http://evil-cdn.com.example.net/y"),
        (5, THREAT_TEXT),
    ]
    for rowid, text in messages:
        rows["message"].append({
            "ROWID": rowid, "guid": f"8A1B7B1E-0000-4000-8000-00000000000{rowid}", "text": text,
            "handle_id": 3 if rowid == 5 else 1,
            "service": "SMS" if rowid != 5 else "iMessage", "date": apple_nanoseconds(WHEN.replace(minute=rowid)),
            "is_from_me": 0, "is_finished": 1})
        rows["chat_message_join"].append({"chat_id": 3 if rowid == 5 else 1, "message_id": rowid,
                                          "message_date": apple_nanoseconds(WHEN.replace(minute=rowid))})
    return rows


def add_everything(builder: BackupBuilder, planted: dict[str, str] = PLANTED) -> BackupBuilder:
    """Every artifact module's file, with the planted traces of `planted` and the decoys."""
    add_apps(builder)
    builder.add_app(planted["app_id"], version="1.0", name="Agent")
    builder.add_app("com.spy.agent.helper", version="1.0", name="Helper")
    add_sms(builder, 17, _sms_rows(planted["link"]))
    add_safari_history(builder)
    datausage = datausage_erased_rows()
    datausage["ZPROCESS"] += [datausage_process(4, planted["process"], None, WHEN, WHEN.replace(hour=11)),
                              datausage_process(5, "bhx", None, WHEN, WHEN.replace(hour=11))]
    datausage["ZLIVEUSAGE"].append(datausage_live(4, 4, WHEN.replace(hour=11), 10.0, 20.0))
    add_datausage(builder, datausage)
    cache = idstatus_cache()
    cache["com.apple.madrid"][f"mailto:{planted['email']}"] = {"IDStatus": 2, "LookupDate": 646826400.0}
    add_idstatus_cache(builder, cache, ios_major=17)
    add_web_artifacts(builder, link=planted["link"], when=WHEN)
    builder.add_file(web.FIREFOX_DOMAIN, web.FIREFOX_PLACES_PATH, web.firefox_places_db(
        [{"id": 1, "url": planted["link"], "title": "Delivery", "last_local": WHEN}],
        [{"id": 1, "place_id": 1, "visited": WHEN}]))
    home = "HomeDomain"
    # Safari keeps a site's local storage under its origin's name, after its history is cleared.
    builder.add_file(home, f"Library/WebKit/WebsiteData/LocalStorage/https_{planted['domain']}_0.localstorage",
                     webdata.localstorage_db({"session": "1"}))
    builder.add_file(home, "Library/Preferences/com.apple.osanalytics.addaily.plist", system.addaily_plist())
    builder.add_file(home, "Library/CoreDuet/People/interactionC.db", system.interaction_c_db_ios17())
    builder.add_file(home, "Library/CallHistoryDB/CallHistory.storedata", system.call_history_db())
    builder.add_file(home, "Library/AddressBook/AddressBook.sqlitedb", system.address_book_db())
    builder.add_file(home, "Library/Calendar/Calendar.sqlitedb", system.calendar_db())
    builder.add_file(home, "Library/TCC/TCC.db", system.tcc_db_v3())
    profiles = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
    builder.add_file(profiles, "Library/ConfigurationProfiles/profile-3f1c0d.stub",
                     system.profile_stub_plist(uuid=planted["profile_id"]))
    builder.add_file(profiles, "Library/ConfigurationProfiles/MCProfileEvents.plist", system.profile_events_plist())
    builder.add_file(home, "Library/Preferences/.GlobalPreferences.plist", system.global_preferences_plist(lockdown=False))
    builder.add_file("RootDomain", "Library/Caches/locationd/clients.plist", system.locationd_clients_plist())
    builder.add_file("RootDomain", f"Library/Preferences/{planted['file_name']}",
                     plistlib.dumps({"Label": "roleaccountd"}, fmt=plistlib.FMT_BINARY))
    builder.add_file("RootDomain", "Library/Preferences/roleaccountd.plist.bak", b"decoy")
    return builder


def indicator_bundle(indicators: list[tuple[str, str]], malware: str = "E2E Spyware") -> dict[str, Any]:
    """A STIX 2.1 bundle: one malware and an `indicates` relationship per (pattern key, value)."""
    stamp = "2021-07-18T00:00:00.000Z"
    malware_id = "malware--00000000-0000-4000-8000-000000000001"
    objects: list[dict[str, Any]] = [{"type": "malware", "spec_version": "2.1", "id": malware_id, "created": stamp,
                                      "modified": stamp, "name": malware, "is_family": False}]
    for number, (key, value) in enumerate(indicators, start=1):
        indicator_id = f"indicator--00000000-0000-4000-8000-{number:012d}"
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        objects.append({"type": "indicator", "spec_version": "2.1", "id": indicator_id, "created": stamp,
                        "modified": stamp, "pattern": f"[{key} = '{escaped}']", "pattern_type": "stix",
                        "valid_from": "2021-07-18T00:00:00Z", "indicator_types": ["malicious-activity"]})
        objects.append({"type": "relationship", "spec_version": "2.1",
                        "id": f"relationship--00000000-0000-4000-8000-{number:012d}", "created": stamp,
                        "modified": stamp, "relationship_type": "indicates", "source_ref": indicator_id,
                        "target_ref": malware_id})
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objects}


def e2e_feed(planted: dict[str, str] = PLANTED) -> dict[str, Any]:
    return indicator_bundle([
        ("domain-name:value", planted["domain"]),
        ("domain-name:value", planted["safari_domain"]),
        ("process:name", planted["process"]),
        ("email-addr:value", planted["email"]),
        ("file:name", planted["file_name"]),
        ("app:id", planted["app_id"]),
        ("configuration-profile:id", planted["profile_id"]),
    ])


TRIANGULATION_AT = datetime(2022, 9, 12, 17, 6, tzinfo=UTC)
WRM_LINK_SELECTION = "com.apple.locationd.bundle-/System/Library/LocationBundles/WRMLinkSelection.bundle"


def triangulation_backup(root: Path, noise: int = 0) -> Path:
    """A backup showing the Operation Triangulation pattern within a minute: SMS attachment
    folders changed, the ImageIO settings file changed, BackupAgent and nehelper used the
    network, a location service stopped; plus `noise` unrelated Manifest rows."""
    at = TRIANGULATION_AT
    builder = BackupBuilder(ios_version="15.7")
    base = int(at.timestamp())
    for path in ("Library/SMS/Attachments/5c", "Library/SMS/Attachments/5c/12"):
        builder.add_directory("MediaDomain", path).modified = base
    builder.add_file("RootDomain", "Library/Preferences/com.apple.ImageIO.plist", b"bplist00", modified=base + 20)
    builder.add_file("HomeDomain", "Library/Preferences/com.apple.osanalytics.addaily.plist",
                     system.addaily_plist({"nehelper": (at + timedelta(seconds=40), 1, 2, 3, 4)}))
    builder.add_file("RootDomain", "Library/Caches/locationd/clients.plist", system.locationd_clients_plist(
        {WRM_LINK_SELECTION: {"LocationTimeStopped": system.apple_seconds(at + timedelta(seconds=50))}}))
    add_datausage(builder, {"ZPROCESS": [datausage_process(1, "BackupAgent", None, at, at)],
                            "ZLIVEUSAGE": [datausage_live(1, 1, at)]})
    for number in range(noise):
        builder.add_directory("CameraRollDomain", f"Media/DCIM/100APPLE/IMG_{number:04d}.HEIC").modified = base
    return builder.build(root)
