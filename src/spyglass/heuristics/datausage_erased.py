"""Erased DataUsage processes: network use whose process row was deleted, and holes in the keys.

Reads the `datausage` records. Pegasus removed its own process rows from DataUsage.sqlite
but left their live-usage rows behind, and Core Data never reuses a primary key, so
  - a live-usage row pointing at a process key that no longer exists is strong evidence
    of tampering (high);
  - a hole in the ZPROCESS keys alone means rows were deleted, which iOS itself rarely
    does but an uninstall or a database migration can explain (medium).
The logic is shared with `netusage_erased` (heuristics/_usage.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic
from spyglass.heuristics._usage import erased_processes
from spyglass.records import Record

HEURISTIC = Heuristic(
    name="datausage_erased",
    description="Processes erased from the network-usage database",
    modules=frozenset({"datausage"}),
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    yield from erased_processes(HEURISTIC, records.get("datausage", ()), "DataUsage.sqlite")
