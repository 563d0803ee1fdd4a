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

import contextlib
import json
import multiprocessing
import os
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
    """The worker process running `manifest` into `records_path`."""

    def __init__(self, evidence: Path, kind: str, records_path: Path) -> None:
        context = multiprocessing.get_context("spawn")    # the same on Linux, macOS and Windows
        self._receive, send = context.Pipe(duplex=False)
        self.records_path = records_path
        self._process = context.Process(target=_work, args=(str(evidence), kind, str(records_path), send),
                                        daemon=True, name="spyglass-listing")
        self._process.start()
        send.close()

    def result(self) -> dict[str, Any] | None:
        """The worker's ModuleResult fields and acquisition inputs, once it is done; None when it
        failed (its records file then removed)."""
        outcome: Any = None
        try:
            outcome = self._receive.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            self._receive.close()
            self._process.join(timeout=60)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        if not isinstance(outcome, dict) or outcome.get("failed"):
            self.records_path.unlink(missing_ok=True)
            return None
        return outcome

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()


def read_back(path: Path) -> Iterator[tuple[Record, str]]:
    """(record, its line as written) of the worker's records file."""
    with path.open(encoding="utf-8", newline="\n") as handle:
        for line in handle:
            text = line.rstrip("\n")
            if text:
                yield Record.from_dict(json.loads(text)), text


def _work(evidence: str, kind: str, records_path: str, send: Any) -> None:
    """In the worker: open the acquisition, run `manifest`, write its records file."""
    from spyglass.acquisitions import open_acquisition
    from spyglass.case import dumps
    from spyglass.modules import discover
    from spyglass.runner import ModuleResult, run_module

    try:
        [module] = [m for m in discover() if m.name == AHEAD_MODULE]
        acquisition = open_acquisition(Path(evidence), kind, None)
        try:
            result = ModuleResult(module.name, module.artifact.description)
            with Path(records_path).open("w", encoding="utf-8", newline="\n") as handle:
                for record in run_module(module, acquisition, result):
                    handle.write(dumps(record.to_dict()) + "\n")
            send.send({"status": result.status, "records": result.records, "files": result.files,
                       "message": result.message, "errors": result.errors, "seconds": result.seconds,
                       "inputs": dict(acquisition.inputs)})
        finally:
            acquisition.close()
    except BaseException as exc:   # any failure: this process runs the module itself instead
        with contextlib.suppress(OSError, ValueError):
            send.send({"failed": f"{type(exc).__name__}: {exc}"[:500]})
    finally:
        send.close()
