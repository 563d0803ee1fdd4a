"""Runs modules over an acquisition, each isolated: one failing module never stops the others."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from spyglass.acquisitions.base import Acquisition, EvidenceFile
from spyglass.errors import EvidenceError, MissingFromAcquisition, NotPresent, SpyglassError
from spyglass.limits import MAX_MODULE_RECORDS, MAX_MODULE_SECONDS
from spyglass.modules import Artifact, Module
from spyglass.records import Record, bounded_record

OK, NOT_PRESENT, ERROR, MISSING = "ok", "not present", "error", "missing"


@dataclass
class ModuleResult:
    name: str
    description: str
    status: str = OK
    records: int = 0
    files: list[str] = field(default_factory=list)
    message: str | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {"status": self.status, "records": self.records, "files": self.files,
                "message": self.message, "description": self.description,
                "seconds": round(self.seconds, 3)}
        if self.errors:
            data["errors"] = self.errors
        return data


def locate(artifact: Artifact, acquisition: Acquisition) -> list[Any]:
    """What `artifact` reads in `acquisition`: its files (by device path, then by the kind's own
    names), in a stable order without duplicates; for a whole-acquisition artifact, the
    acquisition itself when it has that part."""
    if artifact.whole is not None:
        return [acquisition] if acquisition.whole_source(artifact.whole) is not None else []
    found: dict[str, EvidenceFile] = {}
    for pattern in artifact.patterns:
        for file in acquisition.files(pattern):
            found.setdefault(file.source, file)
    for name in artifact.extra.get(acquisition.kind, ()):
        for file in acquisition.named(name):
            found.setdefault(file.source, file)
    return list(found.values())


def parse_file(artifact: Artifact, parse: Callable[[Any], Iterator[Record]], target: Any) -> Iterator[Record]:
    """`parse(target)` after the declared tables are checked (views and virtual tables refused;
    a database without the artifact's defining table holds no such artifact: NotPresent)."""
    if artifact.tables and isinstance(target, EvidenceFile):
        database = target.sqlite()
        if artifact.defining_table is not None and not database.defines(artifact.defining_table):
            raise NotPresent(f"{target.source}: no {artifact.defining_table} table")
        database.require(artifact.tables)
    yield from parse(target)


def run_module(module: Module, acquisition: Acquisition, result: ModuleResult) -> Iterator[Record]:
    """Yield the module's records with module and source filled in; outcome goes into `result`.

    Every record is bounded here (`records.bounded_record`), once for every module: what a
    module copied from evidence may be a structure of shared references, small in memory and
    enormous when written. A module past its budget (MAX_MODULE_RECORDS records, or
    MAX_MODULE_SECONDS) is stopped and recorded as such.

    An error on one file is recorded and the module's other files are still read; the module
    is `error` when no file could be read, `ok` otherwise (with the per-file errors listed).
    """
    started = time.perf_counter()
    artifact = module.artifact
    try:
        try:
            targets = locate(artifact, acquisition)
        except (EvidenceError, SpyglassError, OSError, ValueError) as exc:
            result.status, result.message = ERROR, f"could not look the artifact up: {exc}"
            return
        if not targets:
            result.status = NOT_PRESENT
            return
        failures = missing = damaged = 0
        for target in targets:
            source = target.source if isinstance(target, EvidenceFile) else acquisition.whole_source(artifact.whole)
            result.files.append(source)
            before = result.records
            try:
                for record in parse_file(artifact, module.parse, target):
                    result.records += 1
                    if not result.records % 1000:
                        _within_budget(result, started)
                    yield bounded_record(record, module.name, source)
            except NotPresent:
                result.files.remove(source)
            except MissingFromAcquisition as exc:
                failures += 1
                missing += 1
                result.errors.append(str(exc))
            except RecursionError:
                failures += 1
                result.errors.append(f"{source}: structure nested too deeply")
            except Exception as exc:  # a module bug or hostile input: recorded, never fatal
                text = _describe(exc)
                text = text if text.startswith(source) else f"{source}: {text}"
                if result.records > before:
                    # A damaged file still gave what was intact before the damage: kept, and said.
                    damaged += 1
                    result.errors.append(f"{text} (after {result.records - before} records read)")
                else:
                    failures += 1
                    result.errors.append(text)
            finally:
                if isinstance(target, EvidenceFile):
                    target.close()
        if not result.files:
            result.status = NOT_PRESENT
        elif failures and failures == len(result.files):
            # Files the acquisition lists but lacks are its gap, not spyglass's error.
            result.status = MISSING if missing == failures else ERROR
            result.message = "; ".join(result.errors)
        elif failures or damaged:
            parts = [f"{failures} of {len(result.files)} files could not be read"] if failures else []
            if damaged:
                parts.append(f"{damaged} {'file was' if damaged == 1 else 'files were'} read only up to damage")
            result.message = "; ".join(parts)
    finally:
        result.seconds = time.perf_counter() - started


def _within_budget(result: ModuleResult, started: float) -> None:
    if result.records >= MAX_MODULE_RECORDS:
        raise EvidenceError(f"more than {MAX_MODULE_RECORDS} records: the rest not read (a hostile file?)")
    if time.perf_counter() - started > MAX_MODULE_SECONDS:
        raise EvidenceError(f"stopped after its {MAX_MODULE_SECONDS:g} s budget (a hostile or damaged file?)")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EvidenceError | SpyglassError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
