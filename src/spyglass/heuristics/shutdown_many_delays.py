"""Reboots held up again and again by programs that would not stop (shutdown.log).

Reads the `shutdown_log` reboot records. Kaspersky's iShutdown_detect.py (KasperskyLab/iShutdown)
counts the "these clients are still here" notices before each reboot and flags a reboot with 3
or more; on the Pegasus-infected phone of its README, 29 of 41 reboots were. Ordinary programs
hold a reboot up too (iAnonymous3000/tracescan's test mirroring a real iOS 26.5.2 log has two
notices a reboot), so this is a weak sign: low, one finding for the whole log, on the reboot
with the most notices. A reboot seen in two copies of the log (shutdown.log and shutdown.0.log)
is counted once.
Not reported: many different programs at one reboot (that real iOS 26.5.2 log listed 2,279
clients over 50 reboots: tracescan VALIDATION.md), or one program from an odd place at several
reboots (shutdown_lingering reports that, as high).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Record

HEURISTIC = Heuristic(
    name="shutdown_many_delays",
    description="Reboots held up 3 or more times (shutdown.log)",
    modules=frozenset({"shutdown_log"}),
    keep=lambda record: record.fields.get("record_type") == "reboot",
)

THRESHOLD = 3


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    reboots: dict[object, Record] = {}
    for record in records.get("shutdown_log", ()):
        fields = record.fields
        if fields.get("record_type") != "reboot":
            continue
        key = fields.get("reboot_time") or (record.source, fields.get("reboot_number"))
        kept = reboots.get(key)
        if kept is None or _notices(record) > _notices(kept):
            reboots[key] = record
    delayed = [r for r in reboots.values() if _notices(r) >= THRESHOLD]
    if not delayed:
        return
    worst = max(delayed, key=lambda r: (_notices(r), -(r.timestamp.timestamp() if r.timestamp else 0)))
    when = worst.fields.get("reboot_time")
    share = (f"{len(delayed)} of the {len(reboots)} reboots" if len(reboots) > 1
             else "The only reboot")
    yield suspicious(
        HEURISTIC, worst,
        f"{share} recorded in the shutdown log {'was' if len(delayed) == 1 else 'were'} held up {THRESHOLD} or more "
        f"times by programs that would not stop (at most {_notices(worst)} times"
        f"{f', at the restart of {when}' if when else ''}). Kaspersky saw this on iPhones infected with "
        "Pegasus, but ordinary apps do it too: it matters only alongside other signs",
        severity="low")


def _notices(record: Record) -> int:
    value = record.fields.get("delay_notices")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
