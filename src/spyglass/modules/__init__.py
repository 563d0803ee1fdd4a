"""Artifact modules: one file per artifact, each a declaration (`ARTIFACT`) and a generator (`parse`).

A module file under `modules/ios/` or `modules/android/` defines

    ARTIFACT = Artifact(name=..., description=..., kinds=..., backup=[...], fs=[...], tables={...})
    def parse(file: EvidenceFile) -> Iterator[Record]: ...

The runner finds the artifact's files in the acquisition, calls `parse` once per file, and
fills in each record's module and source. Modules never print, write, or match indicators.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spyglass.acquisitions.base import EvidenceFile
    from spyglass.records import Record


@dataclass(frozen=True)
class Artifact:
    """What a module reads.

    backup: (domain, relativePath) glob pairs inside an iOS backup's Manifest.db.
    fs:     device paths (globs, no leading slash) in a full filesystem dump.
    meta:   files at the root of the acquisition itself (Info.plist, Manifest.db of a backup).
    paths:  Android paths inside an androidqf / bug report / backup acquisition.
    tables: tables and the columns the module needs; checked before parse runs, views refused.
    """

    name: str
    description: str
    kinds: frozenset[str]
    backup: tuple[tuple[str, str], ...] = ()
    fs: tuple[str, ...] = ()
    meta: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    tables: dict[str, set[str]] = field(default_factory=dict)
    os_versions: str = ""


@dataclass(frozen=True)
class Module:
    artifact: Artifact
    parse: Callable[[EvidenceFile], Iterator[Record]]
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


def modules_for(kind: str) -> list[Module]:
    return [m for m in discover() if kind in m.artifact.kinds]
