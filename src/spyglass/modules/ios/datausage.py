"""Network data usage per process: which processes used Wi-Fi or cellular data, and when.

Reads:   DataUsage.sqlite, WirelessDomain Library/Databases/DataUsage.sqlite
         (/private/var/wireless/Library/Databases/), and DataUsage-watch.sqlite (a paired
         Apple Watch's usage) beside it. Core Data tables: ZPROCESS (Z_PK, ZPROCNAME,
         ZBUNDLENAME, ZFIRSTTIMESTAMP, ZTIMESTAMP) and ZLIVEUSAGE (Z_PK, bytes in and out
         over Wi-Fi and WWAN, ZTIMESTAMP) pointing at its process through ZHASPROCESS (named
         ZPROCESS in some copies). Times are Apple seconds. Process names are as the kernel
         reports them, cut short (often 15 or 16 characters), so a match may be a prefix.
Yields:  one record per process row (first and last network use) and one per live-usage row;
         a live-usage row whose process row is gone is still yielded, marked
         `process_missing`: Pegasus deleted its own process rows but not their usage.
Seen:    iOS 12 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import live_usage_rows, process_observables, process_rows, string_text
from spyglass.records import Record, iso_utc
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="datausage",
    description="Network use per process",
    paths=('/private/var/wireless/Library/Databases/DataUsage.sqlite',
           '/private/var/wireless/Library/Databases/DataUsage-watch.sqlite'),
    tables={"ZPROCESS": {"Z_PK", "ZPROCNAME"}, "ZLIVEUSAGE": {"Z_PK"}},
    os_versions="iOS 12-18",
)

PROCESS_COLUMNS = {"ZBUNDLENAME": "bundle_id", "ZFIRSTTIMESTAMP": "first_seen", "ZTIMESTAMP": "last_seen"}
USAGE_COLUMNS = {"ZTIMESTAMP": "timestamp", "ZWIFIIN": "wifi_in", "ZWIFIOUT": "wifi_out",
                 "ZWWANIN": "wwan_in", "ZWWANOUT": "wwan_out", "ZKIND": "kind"}
MAX_TEXT = 1024


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    processes: dict[int, dict[str, Any]] = {}
    for process in process_rows(db, PROCESS_COLUMNS):
        if isinstance(process["process_id"], int):
            processes[process["process_id"]] = process
        yield _process_record(process)
    for usage in live_usage_rows(db, USAGE_COLUMNS):
        yield _usage_record(usage, processes)


def _process_record(process: dict[str, Any]) -> Record:
    name = string_text(process.get("process_name"), MAX_TEXT)
    bundle_id = string_text(process.get("bundle_id"), MAX_TEXT)
    first_seen = apple_time(process.get("first_seen"))
    last_seen = apple_time(process.get("last_seen"))
    fields = {
        "record_type": "process",
        "process_id": process.get("process_id"),
        "process_name": name,
        "bundle_id": bundle_id,
        "first_seen": iso_utc(first_seen),
        "last_seen": iso_utc(last_seen),
        "raw_first_seen": process.get("first_seen"),
        "raw_last_seen": process.get("last_seen"),
    }
    return Record(
        timestamp=first_seen or last_seen,
        timestamp_desc="process first used the network" if first_seen else "process last used the network",
        message=f"Process {name or '(no name)'} ({bundle_id or 'no bundle'}) used the network, "
                f"last {fields['last_seen'] or 'unknown'}",
        fields=fields,
        observables=process_observables(name, bundle_id),
    )


def _usage_record(usage: dict[str, Any], processes: dict[int, dict[str, Any]]) -> Record:
    process_id = usage.get("process_id")
    linked = isinstance(process_id, int) and process_id > 0
    process = processes.get(process_id) if linked else None
    name = string_text(process.get("process_name"), MAX_TEXT) if process else None
    bundle_id = string_text(process.get("bundle_id"), MAX_TEXT) if process else None
    moment = apple_time(usage.get("timestamp"))
    fields = {
        "record_type": "live_usage",
        "usage_id": usage.get("usage_id"),
        "process_id": process_id,
        "process_missing": linked and process is None,
        "process_name": name,
        "bundle_id": bundle_id,
        "wifi_in": usage.get("wifi_in"),
        "wifi_out": usage.get("wifi_out"),
        "wwan_in": usage.get("wwan_in"),
        "wwan_out": usage.get("wwan_out"),
        "kind": usage.get("kind"),
        "raw_timestamp": usage.get("timestamp"),
    }
    who = name or (f"deleted process #{process_id}" if fields["process_missing"] else "no process")
    return Record(
        timestamp=moment,
        timestamp_desc="network use recorded",
        message=f"Network use by {who}: Wi-Fi in {usage.get('wifi_in')} out {usage.get('wifi_out')}, "
                f"cellular in {usage.get('wwan_in')} out {usage.get('wwan_out')}",
        fields=fields,
        observables=process_observables(name, bundle_id),
    )
