"""Programs and launchd jobs where iOS keeps none: each a finding.

Reads the `unexpected_executables` records (full-filesystem dumps). iOS runs programs only from
its sealed system volume and from the installed apps' bundles; a Mach-O program, a script or a
launchd job in the data folders was put there by something else, as Pegasus, QuaDream's
KingsPawn and Predator put theirs (see the module's docstring for the reports). A Mach-O, a
script or a launchd job is high; a file that only carries the executable mode bit, with no
program in it that iOS could start, is medium.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="unexpected_executables",
    description="Programs and launchd jobs in folders where iOS keeps none",
    modules=frozenset({"unexpected_executables"}),
)

WHAT = {
    "mach-o": "A program file",
    "script": "A script marked as a program",
    "launch-item": "A launchd job (a file that makes the phone start a program)",
    "executable-mode": "A file marked as a program",
}
SEVERITY = {"mach-o": "high", "script": "high", "launch-item": "high", "executable-mode": "medium"}


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("unexpected_executables", ()):
        fields = record.fields
        reason, path = fields.get("reason"), fields.get("file_path")
        if fields.get("record_type") != "file" or reason not in WHAT or not isinstance(path, str):
            continue
        detail = f" ({fields['detail']})" if isinstance(fields.get("detail"), str) else ""
        yield suspicious(
            HEURISTIC, record,
            f"{WHAT[reason]} sits at {path}{detail}, a folder where iOS keeps no programs. Spyware puts its "
            "programs in such folders (Pegasus in /private/var/db/, Predator in /private/var/tmp/). "
            "Have the phone examined by an expert.",
            severity=SEVERITY[reason], observable=Observable("file_path", path))
