"""Security framework analytics: failure and note events that name processes and hosts.

Reads:   /private/var/Keychains/Analytics/*.db (networking_analytics.db, TLS, trust, CloudKit,
         keychain sync ... one per SFAnalytics client; MVT's Analytics module). Full filesystem
         dumps only. Written by Apple's SFAnalyticsSQLiteStore (Security, open source): tables
         hard_failures, soft_failures, and all_events (early versions) or notes (later; the
         schema drops all_events), each (id, timestamp REAL, data BLOB) kept as a ring buffer
         (about 1000 rows) by a trigger; iOS 26 also has rockwell (event_type, timestamp, data).
         `timestamp` is Unix seconds; `data` a binary plist of the event: eventType (its name),
         eventTime (Unix milliseconds), eventClass (0 success, 1 hard failure, 2 soft failure,
         3 note), build, product, modelid (SFAnalytics addOSVersionToEvent), errorDomain,
         errorCode and the client's own attributes.
Yields:  one record per event row, timestamped with the row's time (else eventTime); the event
         kept as a bounded copy. Observables: processes under keys that name one (process,
         processName, proc, executable, ...; a path also as file_path), bundle ids under
         bundle-id keys, hosts under host keys (hostname, host, domain, sni, serverName, ...;
         a domain or an IP), and the URLs, domains, IPs and e-mail addresses `extract` finds in
         every string value. The client attributes are not documented: the keys are matched by
         name, not by a list of known events.
Seen:    iOS 11 to 26.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import IOS_FS, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.extract import extract
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_scalar, string_text
from spyglass.plists import load_plist
from spyglass.records import Observable, Record, iso_utc, observables, scalar_field
from spyglass.timestamps import to_utc, unix_time

ARTIFACT = Artifact(
    name="analytics",
    description="Security framework analytics events (Keychains/Analytics)",
    paths=("/private/var/Keychains/Analytics/*.db",),
    tables={"hard_failures": {"timestamp", "data"}},
    defining_table="hard_failures",
    # Backups do not carry it: a filesystem dump does.
    kinds=frozenset({IOS_FS}),
    os_versions="iOS 11-26",
)

EVENT_TABLES = ("hard_failures", "soft_failures", "notes", "all_events", "rockwell")
EVENT_CLASSES = {0: "success", 1: "hard failure", 2: "soft failure", 3: "note"}

# Keys as compared: lowercased, only letters and digits ("process_name" -> "processname").
PROCESS_KEYS = frozenset({"process", "processname", "proc", "procname", "pname", "executable",
                          "executablename", "clientprocess", "sourceprocess", "responsibleprocess",
                          "effectiveprocess", "processpath", "executablepath"})
APP_ID_KEYS = frozenset({"appid", "applicationid", "applicationidentifier", "signingidentifier"})
HOST_KEYS = frozenset({"host", "domain", "sni", "servername", "peername", "remotehost", "tlsservername",
                       "website"})

MAX_EVENT_VALUES = 2_000      # values copied from one event (shared plist objects count each time)
MAX_EVENT_DEPTH = 6           # nesting copied (the record keeps the event two levels down)
MAX_VALUE_CHARS = 4_096       # one string of an event
MAX_SCANNED_CHARS = 256 * 1024  # text of one event read by `extract`
MAX_OBSERVABLES = 100
MAX_NAME_CHARS = 256


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    database = _database_name(file)
    for table in EVENT_TABLES:
        columns = db.columns(table)
        if not {"timestamp", "data"} <= columns:
            continue
        row_id = '"id"' if "id" in columns else "NULL"
        event_type = '"event_type"' if "event_type" in columns else "NULL"
        for row in db.rows(f'SELECT {row_id} AS row_id, "timestamp" AS stamp, "data" AS data, '
                           f'{event_type} AS event_type FROM "{table}" ORDER BY {row_id}'):
            yield _record(database, table, row)


def _record(database: str, table: str, row: Any) -> Record:
    row_id = scalar_field(row["row_id"])
    event, error = _event(row["data"], f"{table} row {row_id}")
    walk = _Walk()
    copied = walk.copy(event, "", 0) if event is not None else None
    top = event if isinstance(event, dict) else {}
    event_type = string_text(top.get("eventType"), MAX_NAME_CHARS) or string_text(row["event_type"], MAX_NAME_CHARS)
    event_class = top.get("eventClass")
    known_class = isinstance(event_class, int) and not isinstance(event_class, bool)
    class_name = EVENT_CLASSES.get(event_class) if known_class else None
    event_time = _event_time(top.get("eventTime"))
    moment = unix_time(row["stamp"]) or event_time
    found = walk.observables()
    processes = [o.value for o in found if o.type == "process"]
    paths = [o.value for o in found if o.type == "file_path"]
    hosts = [o.value for o in found if o.type in ("domain", "ip")]
    fields = {
        "database": database,
        "table": table,
        "row_id": row_id,
        "event_type": event_type,
        "event_class": class_name or plist_scalar(event_class, 64),
        "event_time": iso_utc(event_time),
        "build": string_text(top.get("build"), 64),
        "product": string_text(top.get("product"), 64),
        "model_id": string_text(top.get("modelid"), 64),
        "error_domain": string_text(top.get("errorDomain"), MAX_NAME_CHARS),
        "error_code": plist_scalar(top.get("errorCode"), 64),
        "process_name": processes[0] if processes else None,
        "process_path": paths[0] if paths else None,
        "hosts": hosts[:20],
        "event": copied,
        "event_cut": walk.cut,
        "data_error": error,
        "raw_timestamp": scalar_field(row["stamp"]),
    }
    message = f"{database} {class_name or table.replace('_', ' ')}: {event_type or '(no event type)'}"
    if processes:
        message += f", process {', '.join(processes[:3])}"
    if hosts:
        message += f", host {', '.join(hosts[:3])}"
    return Record(
        timestamp=moment,
        timestamp_desc="analytics event recorded",
        message=message,
        fields=fields,
        observables=found,
    )


def _event(data: Any, where: str) -> tuple[Any, str | None]:
    """The event plist of a row and, when it cannot be read, why (one bad row spoils no other)."""
    if data is None or data in (b"", ""):
        return None, "no event data"
    if isinstance(data, str):
        data = data.encode("utf-8", errors="replace")
    if not isinstance(data, bytes):
        return None, f"event data is {type(data).__name__}, not a plist"
    try:
        return load_plist(data, where), None
    except EvidenceError as exc:
        return None, str(exc)


def _event_time(value: Any) -> datetime | None:
    # SFAnalytics writes eventTime in milliseconds ("our backend wants timestamps in milliseconds").
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return unix_time(value)


def _database_name(file: EvidenceFile) -> str:
    name = (file.device_path or file.source).rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".db") else name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class _Walk:
    """A bounded copy of one event, gathering the strings it holds and the key each was under."""

    __slots__ = ("budget", "cut", "named", "scanned", "texts")

    def __init__(self) -> None:
        self.budget, self.cut, self.scanned = MAX_EVENT_VALUES, False, 0
        self.named: list[tuple[int, str, str]] = []   # (depth, observable type, value) by key
        self.texts: list[str] = []                 # every string, for extract

    def copy(self, value: Any, key: str, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            self.cut = True
            return None
        if isinstance(value, dict | list):
            if depth >= MAX_EVENT_DEPTH:
                self.cut = True
                return None
            if isinstance(value, list):
                return [self.copy(item, key, depth + 1) for item in value[:max(self.budget, 0)]]
            copied: dict[str, Any] = {}
            for name, item in value.items():
                if self.budget <= 0:
                    self.cut = True
                    break
                text = name[:MAX_NAME_CHARS] if isinstance(name, str) else str(scalar_field(name, MAX_NAME_CHARS))
                copied[text] = self.copy(item, _key(text), depth + 1)
            return copied
        if isinstance(value, str):
            text = value[:MAX_VALUE_CHARS]
            self.cut = self.cut or len(value) > MAX_VALUE_CHARS
            self._gather(key, text, depth)
            return text
        if isinstance(value, datetime):
            return iso_utc(to_utc(value))
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        scalar = scalar_field(value, 64)
        return scalar if scalar is not None or value is None else f"<{type(value).__name__}>"

    def _gather(self, key: str, text: str, depth: int) -> None:
        value = text.strip()
        if not value:
            return
        if key in PROCESS_KEYS or key.endswith(("processname", "procname")):
            if value.startswith("/"):
                self.named.append((depth, "file_path", value))
                value = value.rstrip("/").rsplit("/", 1)[-1]
            if 0 < len(value) <= MAX_NAME_CHARS:
                self.named.append((depth, "process", value))
        elif key in APP_ID_KEYS or key.endswith(("bundleid", "bundleidentifier")):
            if len(value) <= MAX_NAME_CHARS and " " not in value:
                self.named.append((depth, "app_id", value))
        elif (key in HOST_KEYS or key.endswith("hostname")) and "://" not in value and len(value) <= 253:
            host = value.rstrip(".")
            if _is_ip(host.strip("[]")):
                self.named.append((depth, "ip", host.strip("[]")))
            elif "." in host and not any(c.isspace() for c in host):
                self.named.append((depth, "domain", host))
        if self.scanned < MAX_SCANNED_CHARS:
            self.texts.append(text[:MAX_SCANNED_CHARS - self.scanned])
            self.scanned += len(self.texts[-1])

    def observables(self) -> tuple[Observable, ...]:
        """Named values first, the event's own (shallowest) before those of nested attributes,
        then what `extract` finds in the text."""
        named = [(kind, value) for _, kind, value in sorted(self.named, key=lambda item: item[0])]
        extracted = [item for text in self.texts for item in extract(text)]
        return observables(*named, *extracted)[:MAX_OBSERVABLES]
