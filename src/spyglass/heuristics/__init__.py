"""Heuristics: suspicious patterns found in records without any indicator.

A heuristic file under `spyglass/heuristics/` defines

    HEURISTIC = Heuristic(name=..., description=..., modules=frozenset({"datausage", ...}))
    def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]: ...

`records` maps each module named in `modules` to that module's records (an empty sequence
when the module found nothing). A heuristic that needs only a few records of a large module
(the Manifest's hundreds of thousands of rows) says which with `keep`, a predicate applied
as records stream by, so a check keeps in memory only what some heuristic will read. Heuristics run on records only, so a finished case
is re-checked by them without the device. Each finding is `suspicious(...)`, with a reason
a non-expert can read.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

from spyglass.detections import SUSPICIOUS, Detection
from spyglass.records import Observable, Record


@dataclass(frozen=True)
class Heuristic:
    name: str
    description: str
    modules: frozenset[str]
    keep: Callable[[Record], bool] | None = None   # None: every record of `modules`


@dataclass(frozen=True)
class LoadedHeuristic:
    heuristic: Heuristic
    check: Callable[[Mapping[str, Sequence[Record]]], Iterator[Detection]]
    python_module: ModuleType

    @property
    def name(self) -> str:
        return self.heuristic.name


def suspicious(heuristic: Heuristic, record: Record, message: str, severity: str = "medium",
               observable: Observable | None = None) -> Detection:
    """A suspicious finding of `heuristic` about `record`; `message` is the one-line reason."""
    return Detection(kind=SUSPICIOUS, severity=severity, message=message, record=record,
                     observable=observable, heuristic=heuristic.name)


def discover() -> list[LoadedHeuristic]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        heuristic = getattr(module, "HEURISTIC", None)
        check = getattr(module, "check", None)
        if isinstance(heuristic, Heuristic) and callable(check):
            found.append(LoadedHeuristic(heuristic, check, module))
    return sorted(found, key=lambda h: h.name)
