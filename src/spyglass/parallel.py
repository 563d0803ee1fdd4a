"""The file listing of a large acquisition, run in a second process beside the other modules.

A check is bound by one core, and one module outweighs the others on a large backup or dump:
`manifest`, which turns every entry of the listing (each Manifest row's MBFile, each file of a
dump) into a record. On a machine with more than one core it runs in a worker process that
opens the same acquisition itself and writes the module's records file in the case folder,
while this process runs every other module. This process then reads that file back, in the
module's place among the others, and matches and times its records as it would have: the case
folder is byte for byte the one a serial check writes.

Only for acquisitions that need no secret (a plain backup, a dump), and only for listings of
at least PARALLEL_MIN_ENTRIES entries: starting the worker costs about half a second. A worker
that fails for any reason is forgotten and the module runs here as usual. SPYGLASS_JOBS=1 turns
it off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import IOS_BACKUP, IOS_FS, Acquisition
from spyglass.records import Record

AHEAD_MODULE = "manifest"
PARALLEL_MIN_ENTRIES = 20_000
_KINDS = frozenset({IOS_BACKUP, IOS_FS})


def _setting(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


def worth_running_ahead(acquisition: Acquisition, module_names: list[str]) -> bool:
    """Whether `manifest` should run in a worker for this acquisition."""
    if AHEAD_MODULE not in module_names or acquisition.kind not in _KINDS:
        return False
    if _setting("SPYGLASS_JOBS", os.cpu_count() or 1) < 2 or (os.cpu_count() or 1) < 2:
        return False
    if getattr(acquisition, "encrypted", False):
        return False     # the worker would need the key: secrets never leave this process
    return _entries(acquisition) >= _setting("SPYGLASS_PARALLEL_MIN_ENTRIES", PARALLEL_MIN_ENTRIES)


def _entries(acquisition: Acquisition) -> int:
    database = getattr(acquisition, "database", None)
    if database is not None:
        for row in database.rows("SELECT COUNT(*) FROM Files"):
            return int(row[0] or 0)
    container = getattr(acquisition, "container", None)
    return len(container.members()) if container is not None else 0


class AheadRun:
    """The worker process running `manifest` into `records_path`: `python -m spyglass.parallel`,
    given paths only (never a secret), answering with one JSON object on its output."""

    def __init__(self, evidence: Path, kind: str, records_path: Path) -> None:
        self.records_path = records_path
        self._process = subprocess.Popen(
            [sys.executable, "-m", "spyglass.parallel", str(evidence), kind, str(records_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def result(self) -> dict[str, Any] | None:
        """The worker's ModuleResult fields and acquisition inputs, once it is done; None when it
        failed (its records file then removed)."""
        try:
            output, _ = self._process.communicate()
            outcome = json.loads(output) if self._process.returncode == 0 else None
        except (OSError, ValueError):
            outcome = None
        if not isinstance(outcome, dict) or outcome.get("failed") or not _complete(outcome):
            self.records_path.unlink(missing_ok=True)
            return None
        return outcome

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def _complete(outcome: dict[str, Any]) -> bool:
    return (isinstance(outcome.get("status"), str) and isinstance(outcome.get("records"), int)
            and isinstance(outcome.get("files"), list) and isinstance(outcome.get("errors"), list)
            and isinstance(outcome.get("seconds"), int | float) and isinstance(outcome.get("inputs"), dict))


def read_back(path: Path) -> Iterator[tuple[Record, str]]:
    """(record, its line as written) of the worker's records file."""
    with path.open(encoding="utf-8", newline="\n") as handle:
        for line in handle:
            text = line.rstrip("\n")
            if text:
                yield Record.from_dict(json.loads(text)), text


def main(argv: list[str]) -> int:
    """In the worker: open the acquisition, run `manifest`, write its records file, print the outcome."""
    from spyglass.acquisitions import open_acquisition
    from spyglass.case import dumps
    from spyglass.modules import discover
    from spyglass.runner import ModuleResult, run_module

    evidence, kind, records_path = argv
    try:
        [module] = [m for m in discover() if m.name == AHEAD_MODULE]
        acquisition = open_acquisition(Path(evidence), kind, None)
        try:
            result = ModuleResult(module.name, module.artifact.description)
            with Path(records_path).open("w", encoding="utf-8", newline="\n") as handle:
                for record in run_module(module, acquisition, result):
                    handle.write(dumps(record.to_dict()) + "\n")
            outcome: dict[str, Any] = {
                "status": result.status, "records": result.records, "files": result.files,
                "message": result.message, "errors": result.errors, "seconds": result.seconds,
                "inputs": dict(acquisition.inputs)}
        finally:
            acquisition.close()
    except Exception as exc:   # any failure: the check runs the module itself instead
        outcome = {"failed": f"{type(exc).__name__}: {exc}"[:500]}
    sys.stdout.write(json.dumps(outcome, ensure_ascii=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
