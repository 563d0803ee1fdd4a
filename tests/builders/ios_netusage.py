"""Filesystem-dump artifacts of network use and analytics, in the formats iOS writes them:
networkd's netusage.sqlite, the Security framework's Analytics databases
(/private/var/Keychains/Analytics/*.db), analyticsd journals and the software update log.

Sources of the formats are named in the modules (netusage, analytics, os_update_history).
"""

from __future__ import annotations

import json
import plistlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from spyglass.acquisitions import open_acquisition
from spyglass.modules import Module
from spyglass.records import Record
from spyglass.runner import ModuleResult, locate, parse_file, run_module
from tests.builders.ios_fs import FilesystemBuilder, system_version
from tests.builders.sqlite import build_sqlite

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def apple_seconds(moment: datetime) -> float:
    return (moment - APPLE_EPOCH).total_seconds()


def unix_seconds(moment: datetime) -> float:
    return (moment - UNIX_EPOCH).total_seconds()


def dump(version: str = "15.0", build: str = "19A346") -> FilesystemBuilder:
    """An empty dump of a phone on `version`: SystemVersion.plist and a private/var folder."""
    return (FilesystemBuilder().add("System/Library/CoreServices/SystemVersion.plist", system_version(version, build))
            .add("private/var/.keep", b""))


def parse_dump(builder: FilesystemBuilder, root: Path, module: ModuleType) -> list[Record]:
    """Write the dump as a folder, open it, and parse every file the module's artifact finds."""
    acquisition = open_acquisition(builder.build_folder(root))
    try:
        return [record for file in locate(module.ARTIFACT, acquisition)
                for record in parse_file(module.ARTIFACT, module.parse, file)]
    finally:
        acquisition.close()


def run_dump(builder: FilesystemBuilder, root: Path, module: ModuleType) -> tuple[list[Record], ModuleResult]:
    """The module run over the dump by the runner: its records (module and source filled in)
    and its outcome."""
    acquisition = open_acquisition(builder.build_folder(root))
    result = ModuleResult(module.ARTIFACT.name, module.ARTIFACT.description)
    try:
        records = list(run_module(Module(module.ARTIFACT, module.parse, module), acquisition, result))
    finally:
        acquisition.close()
    return records, result


# -- netusage.sqlite ---------------------------------------------------------------------------
# networkd's Core Data store: the DataUsage.sqlite entities plus wired counters and the network
# attachments (APOLLO netusage_zliveusage, iLEAPP netusage).
NETUSAGE_PATH = "private/var/networkd/netusage.sqlite"
NETUSAGE_DB_PATH = "private/var/networkd/db/netusage.sqlite"

_NETUSAGE_COMMON = """
CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
    ZFIRSTTIMESTAMP TIMESTAMP, ZTIMESTAMP TIMESTAMP, ZBUNDLENAME VARCHAR, ZPROCNAME VARCHAR);
CREATE TABLE ZNETWORKATTACHMENT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKIND INTEGER,
    ZFIRSTTIMESTAMP TIMESTAMP, ZTIMESTAMP TIMESTAMP, ZIDENTIFIER VARCHAR);
CREATE TABLE ZLIVEROUTEPERF (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZBYTESIN FLOAT,
    ZBYTESOUT FLOAT, ZCONNATTEMPTS FLOAT, ZCONNSUCCESSES FLOAT, ZPACKETSIN FLOAT, ZPACKETSOUT FLOAT);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
CREATE INDEX ZLIVEUSAGE_ZHASPROCESS_INDEX ON ZLIVEUSAGE (ZHASPROCESS);
"""
NETUSAGE_SCHEMA = """
CREATE TABLE ZLIVEUSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKIND INTEGER,
    ZMETADATA INTEGER, ZTAG INTEGER, ZHASPROCESS INTEGER, ZTIMESTAMP TIMESTAMP, ZWIFIIN FLOAT,
    ZWIFIOUT FLOAT, ZWIREDIN FLOAT, ZWIREDOUT FLOAT, ZWWANIN FLOAT, ZWWANOUT FLOAT);
""" + _NETUSAGE_COMMON
# iOS 10-11 kept two more counters (ZXIN, ZXOUT) that APOLLO's query names.
NETUSAGE_SCHEMA_IOS11 = """
CREATE TABLE ZLIVEUSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKIND INTEGER,
    ZMETADATA INTEGER, ZTAG INTEGER, ZHASPROCESS INTEGER, ZTIMESTAMP TIMESTAMP, ZWIFIIN FLOAT,
    ZWIFIOUT FLOAT, ZWIREDIN FLOAT, ZWIREDOUT FLOAT, ZWWANIN FLOAT, ZWWANOUT FLOAT, ZXIN FLOAT, ZXOUT FLOAT);
""" + _NETUSAGE_COMMON


def netusage_process(pk: int, name: str, bundle: str | None, first: datetime, last: datetime) -> dict[str, Any]:
    return {"Z_PK": pk, "Z_ENT": 9, "Z_OPT": 2, "ZFIRSTTIMESTAMP": apple_seconds(first),
            "ZTIMESTAMP": apple_seconds(last), "ZBUNDLENAME": bundle, "ZPROCNAME": name}


def netusage_live(pk: int, process: int | None, moment: datetime, wifi: tuple[float, float] = (0.0, 0.0),
                  wwan: tuple[float, float] = (0.0, 0.0), wired: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    return {"Z_PK": pk, "Z_ENT": 6, "Z_OPT": 1, "ZKIND": 0, "ZMETADATA": 0, "ZTAG": 0, "ZHASPROCESS": process,
            "ZTIMESTAMP": apple_seconds(moment), "ZWIFIIN": wifi[0], "ZWIFIOUT": wifi[1],
            "ZWWANIN": wwan[0], "ZWWANOUT": wwan[1], "ZWIREDIN": wired[0], "ZWIREDOUT": wired[1]}


NETUSAGE_DAY = datetime(2021, 7, 1, tzinfo=UTC)


def netusage_rows() -> dict[str, list[Mapping[str, Any]]]:
    """Three processes with contiguous keys (one of them Pegasus's `bh`), one usage row each."""
    day = NETUSAGE_DAY
    return {
        "ZPROCESS": [
            netusage_process(1, "mobilesafari", "com.apple.mobilesafari", day, day.replace(hour=9)),
            netusage_process(2, "bh", None, day.replace(hour=2), day.replace(hour=3)),
            netusage_process(3, "WhatsApp/net.whatsapp.WhatsApp", "net.whatsapp.WhatsApp", day.replace(hour=1),
                             day.replace(hour=11)),
        ],
        "ZLIVEUSAGE": [
            netusage_live(1, 1, day.replace(hour=9), wifi=(1000.0, 200.0)),
            netusage_live(2, 2, day.replace(hour=3), wwan=(4096.0, 512.0)),
            netusage_live(3, 3, day.replace(hour=11), wifi=(20.0, 10.0), wired=(7.0, 8.0)),
        ],
        "Z_PRIMARYKEY": [{"Z_ENT": 6, "Z_NAME": "LiveUsage", "Z_SUPER": 0, "Z_MAX": 3},
                         {"Z_ENT": 9, "Z_NAME": "Process", "Z_SUPER": 0, "Z_MAX": 3}],
    }


def netusage_erased_rows() -> dict[str, list[Mapping[str, Any]]]:
    """netusage_rows with `bh`'s process row deleted: a key gap and an orphaned usage row."""
    rows = netusage_rows()
    rows["ZPROCESS"] = [row for row in rows["ZPROCESS"] if row["Z_PK"] != 2]
    return rows


def netusage_db(rows: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
                schema: str = NETUSAGE_SCHEMA) -> bytes:
    return build_sqlite(schema, dict(rows) if rows is not None else netusage_rows())


# -- Security framework analytics databases ---------------------------------------------------
# SFAnalyticsSQLiteStore's schema (Security, SFAnalytics.m): ring buffers kept by triggers.
ANALYTICS_FOLDER = "private/var/Keychains/Analytics"
_RING = """
CREATE TRIGGER IF NOT EXISTS maintain_ring_buffer_{table}_v2 AFTER INSERT ON {table}
BEGIN
DELETE FROM {table} WHERE id <= NEW.id - 1000;
END;
"""
_EVENT_TABLE = "CREATE TABLE IF NOT EXISTS {table} (\nid INTEGER PRIMARY KEY AUTOINCREMENT,\ntimestamp REAL,data BLOB\n);"
_SUCCESS_COUNT = """
CREATE TABLE IF NOT EXISTS success_count (
event_type STRING PRIMARY KEY,
success_count INTEGER,
hard_failure_count INTEGER,
soft_failure_count INTEGER
);
"""
_SAMPLES = """
CREATE TABLE IF NOT EXISTS samples (
id INTEGER PRIMARY KEY AUTOINCREMENT,
timestamp REAL,
name STRING,
value REAL
);
"""
# Later versions (SFAnalytics.m as published): hard_failures, soft_failures, notes; all_events dropped.
ANALYTICS_SCHEMA = "".join(_EVENT_TABLE.format(table=t) + _RING.format(table=t)
                           for t in ("hard_failures", "soft_failures", "notes")) + _SAMPLES + _SUCCESS_COUNT
# iOS 11 (SFAnalyticsLogger): every event also went to all_events; no notes, no samples.
_OLD_RING = """
CREATE TRIGGER IF NOT EXISTS maintain_ring_buffer_{table} AFTER INSERT ON {table}
BEGIN
DELETE FROM {table} WHERE id != NEW.id AND id % 999 = NEW.id % 999;
END;
"""
ANALYTICS_SCHEMA_IOS11 = "".join(_EVENT_TABLE.format(table=t) + _OLD_RING.format(table=t)
                                 for t in ("hard_failures", "soft_failures", "all_events")) + _SUCCESS_COUNT
# iOS 26 adds rockwell events: the columns its code reads (event_type, timestamp, data).
ANALYTICS_SCHEMA_IOS26 = ANALYTICS_SCHEMA + """
CREATE TABLE IF NOT EXISTS rockwell (
event_type STRING,
timestamp REAL,
data BLOB
);
"""
HARD, SOFT, NOTE = 1, 2, 3


def analytics_event(event_type: str, moment: datetime, event_class: int = HARD, build: str | None = "19A346",
                    **attributes: Any) -> bytes:
    """An event as SFAnalytics serialises it: the client's attributes, then eventType,
    eventTime (Unix milliseconds), eventClass and the OS version keys, as a binary plist."""
    event: dict[str, Any] = dict(attributes)
    event.update({"eventType": event_type, "eventTime": unix_seconds(moment) * 1000, "eventClass": event_class})
    if build is not None:
        event.update({"build": build, "product": "iPhone OS", "modelid": "iPhone13,2"})
    return plistlib.dumps(event, fmt=plistlib.FMT_BINARY)


def analytics_row(row_id: int, moment: datetime, data: bytes | None) -> dict[str, Any]:
    return {"id": row_id, "timestamp": unix_seconds(moment), "data": data}


ANALYTICS_DAY = datetime(2021, 9, 14, 8, 30, tzinfo=UTC)


def analytics_rows() -> dict[str, list[Mapping[str, Any]]]:
    """networking_analytics.db: a TLS failure naming a process and its host, a soft failure
    with a URL in its description, a note; attribute names beyond SFAnalytics' own are
    illustrative of the clients' attributes."""
    day = ANALYTICS_DAY
    tls = analytics_event("TLSConnectionFailure", day, HARD, process="bh",
                          hostname="bulb.example-cdn.net", errorDomain="NSOSStatusErrorDomain", errorCode=-9807,
                          peer={"executablePath": "/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd"})
    soft = analytics_event("NetworkRetry", day.replace(minute=45), SOFT,
                           errorDescription="could not load https://tracker.example.org/a?b=1 in time",
                           bundleID="com.example.reader")
    note = analytics_event("TrustEvaluation", day.replace(hour=9), NOTE, build="19A404")
    return {
        "hard_failures": [analytics_row(1, day, tls)],
        "soft_failures": [analytics_row(7, day.replace(minute=45), soft)],
        "notes": [analytics_row(3, day.replace(hour=9), note)],
    }


def analytics_db(rows: Mapping[str, Iterable[Mapping[str, Any]]] | None = None, schema: str = ANALYTICS_SCHEMA) -> bytes:
    return build_sqlite(schema, dict(rows) if rows is not None else analytics_rows())


# -- analyticsd journal and the software update log ------------------------------------------
JOURNAL_FOLDER = "private/var/db/analyticsd"
RESTORE_LOG = "private/var/mobile/MobileSoftwareUpdate/restore.log"


def analytics_journal(os_version: str, timestamp: str, incident: str = "8F2A5C4E-2D7B-4F0E-9A51-3C6E1B7D9A20") -> bytes:
    """An analyticsd journal: the JSON header line (bug_type 211), a metadata line, events."""
    header = {"bug_type": "211", "timestamp": timestamp, "os_version": os_version, "incident_id": incident}
    metadata = {"_marker": "<metadata>", "startTimestamp": timestamp}
    event = {"name": "com.apple.example", "message": {"Count": 1}}
    return "\n".join(json.dumps(line, separators=(",", ":")) for line in (header, metadata, event)).encode() + b"\n"


def update_event(original: str, current: str, moment: datetime, event: str = "OTA Update Complete") -> dict[str, Any]:
    # eventTime is Unix milliseconds written as text (iLEAPP restoreLog reads it so).
    return {"originalOSVersion": original, "currentOSVersion": current, "eventTime": str(int(unix_seconds(moment) * 1000)),
            "event": event, "deviceClass": "iPhone", "deviceModel": "D53gAP", "batteryLevel": "82",
            "batteryIsCharging": False}


def restore_log(events: Iterable[Mapping[str, Any]], noise: bool = True) -> bytes:
    """restore.log lines: what precedes "data = " is illustrative (only the JSON after it is
    documented by the parsers that read it)."""
    lines = ["Tue Oct  5 03:12:40 2021 [42] <notice>: restored_update: starting"] if noise else []
    for number, item in enumerate(events):
        payload = json.dumps({"events": [dict(item)]}, separators=(",", ":"))
        lines.append(f"Tue Oct  5 03:{13 + number:02d}:02 2021 [42] <notice>: UMEventRecorder: reporting data = {payload}")
    return ("\n".join(lines) + "\n").encode()
