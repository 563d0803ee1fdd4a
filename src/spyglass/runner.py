"""Runs modules over an acquisition, each isolated: one failing module never stops the others."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from spyglass.acquisitions.base import Acquisition
from spyglass.errors import EvidenceError, NotPresent, SpyglassError
from spyglass.modules import Module
from spyglass.records import Record

OK, NOT_PRESENT, ERROR = "ok", "not present", "error"


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


def run_module(module: Module, acquisition: Acquisition, result: ModuleResult) -> Iterator[Record]:
    """Yield the module's records with module and source filled in; outcome goes into `result`.

    An error on one file is recorded and the module's other files are still read; the module
    is `error` when no file could be read, `ok` otherwise (with the per-file errors listed).
    """
    started = time.perf_counter()
    try:
        try:
            files = acquisition.find(module.artifact)
        except (EvidenceError, SpyglassError, OSError, ValueError) as exc:
            result.status, result.message = ERROR, f"could not look the artifact up: {exc}"
            return
        if not files:
            result.status = NOT_PRESENT
            return
        failures = 0
        for file in files:
            result.files.append(file.source)
            try:
                for record in module.parse(file):
                    if not record.module or not record.source:
                        # Direct construction: dataclasses.replace costs more than the record.
                        record = Record(record.timestamp, record.timestamp_desc, record.message, record.fields,
                                        record.observables, record.module or module.name,
                                        record.source or file.source)
                    result.records += 1
                    yield record
            except NotPresent:
                result.files.remove(file.source)
            except RecursionError:
                failures += 1
                result.errors.append(f"{file.source}: structure nested too deeply")
            except Exception as exc:  # a module bug or hostile input: recorded, never fatal
                failures += 1
                text = _describe(exc)
                result.errors.append(text if text.startswith(file.source) else f"{file.source}: {text}")
        if not result.files:
            result.status = NOT_PRESENT
        elif failures and failures == len(result.files):
            result.status = ERROR
            result.message = "; ".join(result.errors)
        elif failures:
            result.message = f"{failures} of {len(result.files)} files could not be read"
    finally:
        result.seconds = time.perf_counter() - started


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EvidenceError | SpyglassError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
