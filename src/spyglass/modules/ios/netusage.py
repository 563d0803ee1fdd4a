"""Network use per process kept by networkd: which processes used Wi-Fi, cellular or wired data.

Reads:   /private/var/networkd/netusage.sqlite, and /private/var/networkd/db/netusage.sqlite
         where newer iOS versions keep it (MVT's Netusage module reads both). Full filesystem
         dumps only: backups do not carry it (mac4n6.com, "Network and Application Usage using
         netusage.sqlite & DataUsage.sqlite"). The Core Data schema of DataUsage.sqlite:
         ZPROCESS (Z_PK, ZPROCNAME, ZBUNDLENAME, ZFIRSTTIMESTAMP, ZTIMESTAMP) and ZLIVEUSAGE
         (Z_PK, ZHASPROCESS -> ZPROCESS.Z_PK, ZTIMESTAMP, ZKIND, ZWIFIIN/OUT, ZWWANIN/OUT, and
         ZWIREDIN/OUT since iOS 10; iOS 10-11 also ZXIN/ZXOUT) - APOLLO netusage_zliveusage,
         iLEAPP netusage. Times are Apple seconds. Process names are as the kernel reports
         them, cut short (often at 15 or 16 characters).
Yields:  the record shape of `datausage` (the same field names, so one heuristic reads both):
         one record per process row (first and last network use) and one per live-usage row,
         plus wired_in/wired_out. A live-usage row whose process row is gone is still yielded,
         marked `process_missing`: Pegasus process names (bh, roleaccountd, ...) were found
         here and its process rows deleted (Amnesty International, Forensic Methodology Report,
         2021). Observables: the process name, the part before a slash, the bundle id.
Seen:    iOS 10 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import process_part, string_text
from spyglass.records import Record, iso_utc, observables, scalar_field
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="netusage",
    description="Network use per process (networkd)",
    paths=("/private/var/networkd/netusage.sqlite", "/private/var/networkd/db/netusage.sqlite"),
    tables={"ZPROCESS": {"Z_PK", "ZPROCNAME"}, "ZLIVEUSAGE": {"Z_PK"}},
    os_versions="iOS 10-18",
)

PROCESS_COLUMNS = {"ZBUNDLENAME": "bundle_id", "ZFIRSTTIMESTAMP": "first_seen", "ZTIMESTAMP": "last_seen"}
USAGE_COLUMNS = {"ZTIMESTAMP": "timestamp", "ZWIFIIN": "wifi_in", "ZWIFIOUT": "wifi_out",
                 "ZWWANIN": "wwan_in", "ZWWANOUT": "wwan_out", "ZWIREDIN": "wired_in",
                 "ZWIREDOUT": "wired_out", "ZKIND": "kind"}
COUNTERS = ("wifi_in", "wifi_out", "wwan_in", "wwan_out", "wired_in", "wired_out")
# The relationship column is ZHASPROCESS; some Core Data copies name it after the entity.
LINK_COLUMNS = ("ZHASPROCESS", "ZPROCESS")
MAX_TEXT = 1024


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = ", ".join(["Z_PK AS process_id", "ZPROCNAME AS process_name", *db.present("ZPROCESS", PROCESS_COLUMNS)])
    processes: dict[int, dict[str, Any]] = {}
    for row in db.rows(f"SELECT {selected} FROM ZPROCESS ORDER BY Z_PK"):
        process = dict(row)
        if isinstance(process["process_id"], int):
            processes[process["process_id"]] = process
        yield _process_record(process)

    usage_columns = db.columns("ZLIVEUSAGE")
    link = next((column for column in LINK_COLUMNS if column in usage_columns), None)
    selected = ", ".join(["Z_PK AS usage_id", f'"{link}" AS process_id' if link else "NULL AS process_id",
                          *db.present("ZLIVEUSAGE", USAGE_COLUMNS)])
    for row in db.rows(f"SELECT {selected} FROM ZLIVEUSAGE ORDER BY Z_PK"):
        yield _usage_record(dict(row), processes)


def _process_record(process: dict[str, Any]) -> Record:
    name = string_text(process.get("process_name"), MAX_TEXT)
    bundle_id = string_text(process.get("bundle_id"), MAX_TEXT)
    first_seen = apple_time(process.get("first_seen"))
    last_seen = apple_time(process.get("last_seen"))
    fields = {
        "record_type": "process",
        "process_id": scalar_field(process.get("process_id")),
        "process_name": name,
        "bundle_id": bundle_id,
        "first_seen": iso_utc(first_seen),
        "last_seen": iso_utc(last_seen),
        "raw_first_seen": scalar_field(process.get("first_seen")),
        "raw_last_seen": scalar_field(process.get("last_seen")),
    }
    return Record(
        timestamp=first_seen or last_seen,
        timestamp_desc="process first used the network" if first_seen else "process last used the network",
        message=f"Process {name or '(no name)'} ({bundle_id or 'no bundle'}) used the network (netusage), "
                f"last {fields['last_seen'] or 'unknown'}",
        fields=fields,
        observables=_observables(name, bundle_id),
    )


def _usage_record(usage: dict[str, Any], processes: dict[int, dict[str, Any]]) -> Record:
    process_id = usage.get("process_id")
    linked = isinstance(process_id, int) and process_id > 0
    process = processes.get(process_id) if linked else None
    name = string_text(process.get("process_name"), MAX_TEXT) if process else None
    bundle_id = string_text(process.get("bundle_id"), MAX_TEXT) if process else None
    counters = {counter: scalar_field(usage.get(counter), 64) for counter in COUNTERS}
    fields = {
        "record_type": "live_usage",
        "usage_id": scalar_field(usage.get("usage_id")),
        "process_id": scalar_field(process_id),
        "process_missing": linked and process is None,
        "process_name": name,
        "bundle_id": bundle_id,
        **counters,
        "kind": scalar_field(usage.get("kind"), 64),
        "raw_timestamp": scalar_field(usage.get("timestamp")),
    }
    who = name or (f"deleted process #{process_id}" if fields["process_missing"] else "no process")
    message = (f"Network use by {who} (netusage): Wi-Fi in {counters['wifi_in']} out {counters['wifi_out']}, "
               f"cellular in {counters['wwan_in']} out {counters['wwan_out']}")
    if counters["wired_in"] or counters["wired_out"]:
        message += f", wired in {counters['wired_in']} out {counters['wired_out']}"
    return Record(
        timestamp=apple_time(usage.get("timestamp")),
        timestamp_desc="network use recorded",
        message=message,
        fields=fields,
        observables=_observables(name, bundle_id),
    )


def _observables(name: str | None, bundle_id: str | None) -> tuple:
    # Some rows name the process as "name/bundle id"; the part before the slash is the process.
    return observables(("process", name), ("process", process_part(name)), ("app_id", bundle_id))
