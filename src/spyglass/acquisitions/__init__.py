"""Opening evidence: detect what a path holds and open it with the right acquisition class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spyglass.acquisitions.android import AndroidBugreport, AndroidQF
from spyglass.acquisitions.android_backup import AndroidBackup
from spyglass.acquisitions.android_intrusion import AndroidIntrusionLogs
from spyglass.acquisitions.base import (
    ANDROID_BACKUP,
    ANDROID_BUGREPORT,
    ANDROID_INTRUSION,
    ANDROIDQF,
    IOS_BACKUP,
    IOS_FS,
    KINDS,
    SYSDIAGNOSE,
    Acquisition,
)
from spyglass.acquisitions.containers import release_probed
from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.acquisitions.ios_fs import IOSFilesystem
from spyglass.acquisitions.sysdiagnose import Sysdiagnose
from spyglass.errors import SpyglassError

# Probed in this order: a backup's layout is the most specific, a dump's the least.
ACQUISITION_CLASSES: dict[str, type[Acquisition]] = {
    IOS_BACKUP: IOSBackup, ANDROID_BACKUP: AndroidBackup, SYSDIAGNOSE: Sysdiagnose, ANDROIDQF: AndroidQF,
    ANDROID_BUGREPORT: AndroidBugreport, ANDROID_INTRUSION: AndroidIntrusionLogs, IOS_FS: IOSFilesystem}


def _backup_folders_below(path: Path) -> list[Path]:
    """A folder that holds backups (e.g. MobileSync/Backup) rather than being one."""
    try:
        return sorted(child for child in path.iterdir() if child.is_dir() and IOSBackup.probe(child))
    except OSError:
        return []


def detect(path: Path) -> tuple[str, Path]:
    """The kind of acquisition at `path`, and the path to open (a lone backup inside a folder)."""
    if not path.exists():
        raise SpyglassError(f"{path}: no such file or folder")
    for kind, cls in ACQUISITION_CLASSES.items():
        if cls.probe(path):
            return kind, path
    if path.is_dir():
        backups = _backup_folders_below(path)
        if len(backups) == 1:
            return IOS_BACKUP, backups[0]
        if len(backups) > 1:
            names = ", ".join(b.name for b in backups[:5])
            raise SpyglassError(f"{path} holds {len(backups)} iOS backups ({names}); name one of them")
    raise SpyglassError(
        f"{path}: not a recognised acquisition. spyglass reads iOS backups (a folder with Manifest.db "
        "and Info.plist, or a .zip or .tar of one), sysdiagnose archives, iOS filesystem dumps (a folder, .tar or .zip "
        "holding private/var), androidqf acquisitions (folder, zip, .zip.age), Android bug reports and "
        "Android backups (.ab), Android intrusion logs; "
        "use --kind to say what it is")


def open_acquisition(path: Path, kind: str | None = None, secrets: Any = None) -> Acquisition:
    """Open `path` read-only as `kind` (detected when None)."""
    try:
        if kind is None:
            kind, path = detect(path)
        elif kind not in KINDS:
            raise SpyglassError(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")
        cls = ACQUISITION_CLASSES.get(kind)
        if cls is None:
            raise SpyglassError(f"acquisitions of kind {kind!r} are not supported yet")
        if not cls.probe(path):
            if kind == IOS_BACKUP and path.is_dir() and len(found := _backup_folders_below(path)) == 1:
                path = found[0]
            else:
                raise SpyglassError(f"{path}: does not look like an acquisition of kind {kind!r}")
        return cls(path, secrets)
    finally:
        release_probed()     # the archive the probes read, if the kind did not take it over


def open_detected(path: Path, kind: str, secrets: Any = None) -> Acquisition:
    """Open `path` as `kind` that this check has already detected and probed (a worker process of
    it): not probed again, since a probe of a .tar.gz reads 20,000 member headers."""
    cls = ACQUISITION_CLASSES.get(kind)
    if cls is None:
        raise SpyglassError(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")
    return cls(path, secrets)
