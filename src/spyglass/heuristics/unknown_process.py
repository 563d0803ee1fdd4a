"""Unknown programs: process names iOS does not ship, and programs run from its data folders.

Reads the `datausage`, `netusage`, `ps` and `crash_reports` records (each names
a program in `process_name`, and `process_path` where it knows the path), compared with the
list of programs iOS ships (`_ios_processes`, spyglass/data/ios_processes.txt).

  - A program run from a folder where iOS keeps no programs (anything but the system volume,
    the cryptexes, Apple's removable apps and the installed apps' bundles) is high, whatever
    its name: Pegasus ran from /private/var/db/ and Predator from /private/var/tmp/
    (Kaspersky, "A lightweight method to detect potential iOS malware", January 2024, on
    shutdown.log), both under names like Apple's own (Amnesty, 2021-07-18_nso/processes.txt).
  - A program at a system path, or inside an installed app, is not reported: spyware cannot
    write there without breaking the sealed system volume, and apps name their programs freely.
  - A name alone (DataUsage.sqlite and netusage.sqlite keep no path) that iOS does not ship is
    medium: it may be a program spyglass's list does not know, or spyware (Pegasus's process
    names were exactly that). A name that differs from Apple's only in capitals (Pegasus's
    `Diagnosticd`) is medium from any artifact. Otherwise a bare name from the other artifacts
    is not reported: they give the path of the programs they can, and their lists of every
    process in memory (jetsam reports, stackshots) name installed apps without one.
  - Apps are not programs iOS ships, and are not reported: a row whose bundle id is not Apple's
    is an installed app or its extension (DataUsage lists them as `Name/bundle id` on iOS 15
    and later, `Name` with ZBUNDLENAME before); a row attributed to one of Apple's known apps
    is that app's own extension. `terminusd/...` rows are a paired Apple Watch's programs, and
    DataUsage-watch.sqlite is the watch's database: watchOS names are not in the list.
  - An Apple identifier (com.apple.*) spyglass does not know, attributed to itself, is low: most
    likely a newer Apple app.
One finding per program (name and path) per artifact. shutdown.log's clients are left to
`shutdown_lingering`, which says the same of them in its own words (one finding, not two).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _ios_processes, suspicious
from spyglass.records import Observable, Record

NETWORK_MODULES = frozenset({"datausage", "netusage"})
MODULES = NETWORK_MODULES | {"ps", "crash_reports"}
UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z")
WATCH_PROXY = "terminusd"
WATCH_DATABASE = "DataUsage-watch.sqlite"
USAGE_CATEGORY = "com.apple.datausage."     # DataUsage's accounting categories, not apps
MAX_TEXT = 1024


def _has_program(record: Record) -> bool:
    return bool(record.fields.get("process_name") or record.fields.get("process_path"))


HEURISTIC = Heuristic(
    name="unknown_process",
    description="Programs iOS does not ship, or run from its data folders",
    modules=MODULES,
    keep=_has_program,
)


@dataclass(frozen=True)
class Verdict:
    name: str
    severity: str
    message: str


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for module in sorted(MODULES):
        for record in records.get(module, ()):
            if record.source.endswith(WATCH_DATABASE):
                continue
            name, path = _text(record.fields.get("process_name")), _text(record.fields.get("process_path"))
            key = (module, name or "", path, _text(record.fields.get("bundle_id")))
            if key in seen:
                continue
            seen.add(key)
            verdict = _judge(module, record, name, path)
            if verdict is not None:
                yield suspicious(HEURISTIC, record, verdict.message, verdict.severity,
                                 observable=Observable("process", verdict.name))


def _judge(module: str, record: Record, name: str | None, path: str | None) -> Verdict | None:
    if path is not None and not path.startswith("/"):
        path = None
    if path is not None:
        name = name or path.rsplit("/", 1)[-1]
        return _judge_path(name, path)
    if name is None:
        return None
    return _judge_name(module, name, _text(record.fields.get("bundle_id")))


def _judge_path(name: str, path: str) -> Verdict | None:
    if _ios_processes.place(path) != "odd":
        return None
    file_name = path.rsplit("/", 1)[-1]
    if _ios_processes.is_known(name) or _ios_processes.is_known(file_name):
        return Verdict(name, "high",
                       f"A program named like Apple's own \"{name}\" ran from {path}. Apple's programs live in "
                       "the system folders, never there: this copy is an impostor, the way spyware (Pegasus, "
                       "Predator) hides. Have the phone examined by an expert.")
    return Verdict(name, "high",
                   f"An unknown program \"{name}\" ran from {path}, a folder where iOS keeps no programs. "
                   "Spyware runs from such folders (Pegasus from /private/var/db/, Predator from "
                   "/private/var/tmp/). Have the phone examined by an expert.")


def _judge_name(module: str, name: str, bundle_id: str | None) -> Verdict | None:
    process, _, attributed = name.partition("/")
    if UUID.match(process) or process == WATCH_PROXY or not process:
        return None
    owner = bundle_id or attributed or None
    if _ios_processes.is_known(process):
        return None
    if owner is not None and not owner.startswith(_ios_processes.APPLE):
        return None     # an installed app, or one of its extensions
    if owner is not None and not owner.startswith(USAGE_CATEGORY) and owner != process \
            and _ios_processes.is_known(owner):
        return None     # an extension of one of Apple's apps, attributed to the app
    look_alike = _ios_processes.resembles(process)
    used = "used the network" if module in NETWORK_MODULES else "ran on this phone"
    if look_alike is not None:
        return Verdict(process, "medium",
                       f"A program \"{process}\" {used}: its name is Apple's \"{look_alike}\" with different "
                       "capital letters. iOS has no such program; spyware (Pegasus) used look-alike names. "
                       "Have the phone examined by an expert.")
    if module not in NETWORK_MODULES:
        return None     # lists of every process in memory (jetsam, stackshots) name apps this way
    if owner is not None and owner == process and not owner.startswith(USAGE_CATEGORY):
        return Verdict(process, "low",
                       f"An app with Apple's identifier \"{process}\" used the network, but spyglass does not "
                       "know it. It is most likely a newer Apple app; if the phone's iOS is not newer than "
                       "spyglass's list, have it looked at.")
    return Verdict(process, "medium",
                   f"A program \"{process}\" used the network that is not one of the programs iOS ships. It "
                   "may belong to an app or be a program newer than spyglass's list; spyware (Pegasus) also "
                   "ran under invented names like this. If no installed app explains it, have the phone "
                   "examined by an expert.")


def _text(value: object) -> str | None:
    return value[:MAX_TEXT] if isinstance(value, str) and value.strip() else None
