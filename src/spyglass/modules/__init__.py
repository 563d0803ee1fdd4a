"""Artifact modules: one file per artifact, each a declaration (`ARTIFACT`) and a generator (`parse`).

A module file under `modules/ios/` or `modules/android/` defines

    ARTIFACT = Artifact(name=..., description=..., paths=("/private/var/mobile/Library/SMS/sms.db",),
                        tables={"message": {"ROWID", "text"}})
    def parse(file: EvidenceFile) -> Iterator[Record]: ...

`paths` are device-path globs (`spyglass.acquisitions.devpath`), declared once for every kind
of acquisition that keeps device paths; `extra` names files per kind where a kind has none.
A module that reads the whole acquisition instead of files (`whole="listing"` or `"device"`)
is given the acquisition itself. The runner finds the files, checks the declared tables,
calls `parse` once per file, bounds and completes every record. Modules never print, write,
match indicators, or import a concrete acquisition class.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from spyglass.acquisitions.base import DEVICE_PATH_KINDS
from spyglass.acquisitions.devpath import DevicePattern

if TYPE_CHECKING:
    from spyglass.records import Record


@dataclass(frozen=True)
class Artifact:
    """What a module reads.

    paths:    device-path globs of the artifact (one dialect, for every kind with device paths).
    extra:    per kind, names of files inside the acquisition where the kind has no device path.
    whole:    "listing" (every file with its times) or "device" (device facts, installed apps):
              the module reads the acquisition itself and `parse` is given it.
    tables:   tables and the columns the module needs; checked by the runner before `parse`
              runs, views and virtual tables refused.
    defining_table: a database without this table does not hold the artifact (not present,
              rather than an error).
    kinds:    the kinds the module runs on; by default those of `platform` with device paths,
              plus those named in `extra`.
    """

    name: str
    description: str
    paths: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    whole: str | None = None
    tables: dict[str, set[str]] = field(default_factory=dict)
    defining_table: str | None = None
    kinds: frozenset[str] = frozenset()
    platform: str = "ios"
    os_versions: str = ""
    patterns: tuple[DevicePattern, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", tuple(DevicePattern(path) for path in self.paths))
        if not self.kinds:
            derived = set(DEVICE_PATH_KINDS[self.platform]) if self.paths or self.whole else set()
            object.__setattr__(self, "kinds", frozenset(derived | set(self.extra)))
        if self.whole not in (None, "listing", "device"):
            raise ValueError(f"{self.name}: whole must be 'listing' or 'device'")


@dataclass(frozen=True)
class Module:
    artifact: Artifact
    parse: Callable[[Any], Iterator[Record]]   # an EvidenceFile, or the Acquisition for whole ones
    python_module: ModuleType

    @property
    def name(self) -> str:
        return self.artifact.name


def discover(platform: str | None = None) -> list[Module]:
    """Every module under `spyglass.modules.<platform>`, sorted by name."""
    found: list[Module] = []
    platforms = [platform] if platform else ["ios", "android"]
    for plat in platforms:
        package = importlib.import_module(f"spyglass.modules.{plat}")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            artifact = getattr(module, "ARTIFACT", None)
            parse = getattr(module, "parse", None)
            if isinstance(artifact, Artifact) and callable(parse):
                found.append(Module(artifact, parse, module))
    return sorted(found, key=lambda m: m.name)


def load(python_names: list[str]) -> list[Module]:
    """The modules of these Python modules (`Module.python_module.__name__`): a worker process
    (spyglass/parallel.py) imports only those it runs."""
    found = []
    for name in python_names:
        if not name.startswith("spyglass.modules."):
            continue
        module = importlib.import_module(name)
        artifact, parse = getattr(module, "ARTIFACT", None), getattr(module, "parse", None)
        if isinstance(artifact, Artifact) and callable(parse):
            found.append(Module(artifact, parse, module))
    return found


def modules_for(kind: str) -> list[Module]:
    return [m for m in discover() if kind in m.artifact.kinds]
