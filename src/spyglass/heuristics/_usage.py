"""Shared by the heuristics over per-process network-use databases (DataUsage.sqlite and
netusage.sqlite, one Core Data schema): processes erased from them.

Both modules yield the same record shape (`record_type` "process" or "live_usage",
`process_id`, `process_missing`). Core Data never reuses a primary key, so
  - a live-usage row pointing at a process key that no longer exists is strong evidence of
    tampering (high): Pegasus removed its own process rows and left their usage behind
    (Amnesty International, Forensic Methodology Report, 2021; MVT's check_manipulated);
  - a hole in the ZPROCESS keys alone means rows were deleted, which iOS itself rarely does but
    an uninstall or a database migration can explain (medium; MVT's find_deleted).
Not a heuristic itself (the leading underscore keeps it out of discovery).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Record


def erased_processes(heuristic: Heuristic, records: Iterable[Record], database: str) -> Iterator[Detection]:
    """Detections of `heuristic` for processes erased from `database` (its file name, as the
    messages name it), read from the records of the module that parsed it."""
    processes: dict[str, list[tuple[int, Record]]] = defaultdict(list)
    for record in records:
        fields = record.fields
        if fields.get("record_type") == "live_usage" and fields.get("process_missing"):
            yield suspicious(
                heuristic, record,
                f"Network use recorded for process #{fields.get('process_id')}, whose process entry was "
                f"deleted from {database}: spyware (Pegasus) erased its own entries this way",
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
                    heuristic, record,
                    f"Process {missing} missing from {database} (keys are never reused): "
                    "processes were deleted, possibly to hide them",
                    severity="medium")
