"""Erased netusage processes: network use whose process row was deleted, and holes in the keys.

Reads the `netusage` records (netusage.sqlite, the DataUsage.sqlite schema kept by networkd on
full filesystem dumps). Pegasus process names were found in this database too, their process
rows deleted and their usage left behind (Amnesty International, Forensic Methodology Report,
2021). Same rules as `datausage_erased` (heuristics/_usage.py): a live-usage row pointing at a
process key that no longer exists is high, a hole in the ZPROCESS keys alone medium.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic
from spyglass.heuristics._usage import erased_processes
from spyglass.records import Record

HEURISTIC = Heuristic(
    name="netusage_erased",
    description="Processes erased from networkd's network-usage database",
    modules=frozenset({"netusage"}),
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    yield from erased_processes(HEURISTIC, records.get("netusage", ()), "netusage.sqlite")
