"""Erased DataUsage processes: network use whose process row was deleted, and holes in the keys.

Reads the `datausage` records. Pegasus removed its own process rows from DataUsage.sqlite
but left their live-usage rows behind, and Core Data never reuses a primary key, so
  - a live-usage row pointing at a process key that no longer exists is strong evidence
    of tampering (high);
  - a hole in the ZPROCESS keys alone means rows were deleted, which iOS itself rarely
    does but an uninstall or a database migration can explain (medium).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Record

HEURISTIC = Heuristic(
    name="datausage_erased",
    description="Processes erased from the network-usage database",
    modules=frozenset({"datausage"}),
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    processes: dict[str, list[tuple[int, Record]]] = defaultdict(list)
    for record in records.get("datausage", ()):
        fields = record.fields
        if fields.get("record_type") == "live_usage" and fields.get("process_missing"):
            yield suspicious(
                HEURISTIC, record,
                f"Network use recorded for process #{fields.get('process_id')}, whose process entry was "
                "deleted from DataUsage.sqlite: spyware (Pegasus) erased its own entries this way",
                severity="high")
        elif fields.get("record_type") == "process" and isinstance(fields.get("process_id"), int):
            processes[record.source].append((fields["process_id"], record))
    for rows in processes.values():
        rows.sort(key=lambda pair: pair[0])
        for (previous, _), (current, record) in zip(rows, rows[1:], strict=False):
            if current - previous > 1:
                missing = (f"entry #{previous + 1} is" if current - previous == 2
                           else f"entries #{previous + 1} to #{current - 1} are")
                yield suspicious(
                    HEURISTIC, record,
                    f"Process {missing} missing from DataUsage.sqlite (keys are never reused): "
                    "processes were deleted, possibly to hide them",
                    severity="medium")
