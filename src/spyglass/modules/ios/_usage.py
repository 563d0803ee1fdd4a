"""Network use per process, as DataUsage.sqlite (CommCenter) and netusage.sqlite (networkd)
keep it: one Core Data schema, read once here for both modules.

ZPROCESS (Z_PK, ZPROCNAME, ZBUNDLENAME, ZFIRSTTIMESTAMP, ZTIMESTAMP) and ZLIVEUSAGE (Z_PK, a link
to ZPROCESS, ZTIMESTAMP, ZKIND, ZWIFIIN/OUT, ZWWANIN/OUT; netusage also ZWIREDIN/OUT). Times are
Apple seconds. Not a module (the leading underscore keeps it out of discovery).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.modules.ios._shared import live_usage_rows, process_observables, process_rows, string_text
from spyglass.records import Record, iso_utc, scalar_field
from spyglass.sqlite import Database
from spyglass.timestamps import apple_time

TABLES = {"ZPROCESS": {"Z_PK", "ZPROCNAME"}, "ZLIVEUSAGE": {"Z_PK"}}
PROCESS_COLUMNS = {"ZBUNDLENAME": "bundle_id", "ZFIRSTTIMESTAMP": "first_seen", "ZTIMESTAMP": "last_seen"}
USAGE_COLUMNS = {"ZTIMESTAMP": "timestamp", "ZWIFIIN": "wifi_in", "ZWIFIOUT": "wifi_out",
                 "ZWWANIN": "wwan_in", "ZWWANOUT": "wwan_out", "ZWIREDIN": "wired_in",
                 "ZWIREDOUT": "wired_out", "ZKIND": "kind"}
MAX_TEXT = 1024


def usage_records(db: Database, *, wired: bool, label: str = "") -> Iterator[Record]:
    """A record per process row, then one per live-usage row (a row whose process row is gone
    is kept and marked `process_missing`). `wired` adds the wired counters; `label` names the
    database in messages ("netusage")."""
    columns = USAGE_COLUMNS if wired else {k: v for k, v in USAGE_COLUMNS.items() if "WIRED" not in k}
    counters = [name for name in columns.values() if name not in ("timestamp", "kind")]
    processes: dict[int, dict[str, Any]] = {}
    for process in process_rows(db, PROCESS_COLUMNS):
        if isinstance(process["process_id"], int):
            processes[process["process_id"]] = process
        yield _process_record(process, label)
    for usage in live_usage_rows(db, columns):
        yield _usage_record(usage, processes, counters, label)


def _process_record(process: dict[str, Any], label: str) -> Record:
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
    where = f" ({label})" if label else ""
    return Record(
        timestamp=first_seen or last_seen,
        timestamp_desc="process first used the network" if first_seen else "process last used the network",
        message=f"Process {name or '(no name)'} ({bundle_id or 'no bundle'}) used the network{where}, "
                f"last {fields['last_seen'] or 'unknown'}",
        fields=fields,
        observables=process_observables(name, bundle_id),
    )


def _usage_record(usage: dict[str, Any], processes: dict[int, dict[str, Any]], counters: list[str],
                  label: str) -> Record:
    process_id = usage.get("process_id")
    linked = isinstance(process_id, int) and process_id > 0
    process = processes.get(process_id) if linked else None
    name = string_text(process.get("process_name"), MAX_TEXT) if process else None
    bundle_id = string_text(process.get("bundle_id"), MAX_TEXT) if process else None
    values = {counter: scalar_field(usage.get(counter), 64) for counter in counters}
    fields = {
        "record_type": "live_usage",
        "usage_id": scalar_field(usage.get("usage_id")),
        "process_id": scalar_field(process_id),
        "process_missing": linked and process is None,
        "process_name": name,
        "bundle_id": bundle_id,
        **values,
        "kind": scalar_field(usage.get("kind"), 64),
        "raw_timestamp": scalar_field(usage.get("timestamp")),
    }
    who = name or (f"deleted process #{process_id}" if fields["process_missing"] else "no process")
    where = f" ({label})" if label else ""
    message = (f"Network use by {who}{where}: Wi-Fi in {values['wifi_in']} out {values['wifi_out']}, "
               f"cellular in {values['wwan_in']} out {values['wwan_out']}")
    if values.get("wired_in") or values.get("wired_out"):
        message += f", wired in {values['wired_in']} out {values['wired_out']}"
    return Record(timestamp=apple_time(usage.get("timestamp")), timestamp_desc="network use recorded",
                  message=message, fields=fields, observables=process_observables(name, bundle_id))
