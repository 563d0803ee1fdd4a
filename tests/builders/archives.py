"""Containers built in code: a tree as a folder, a .tar (plain or gzip) and a .zip, with the
hostile members an attacker can put in an archive (absolute and climbing paths, links out,
special files, names stored twice)."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

MTIME = 1_625_133_600   # 2021-07-01T10:00:00Z


def write_folder(root: Path, files: Mapping[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (MTIME, MTIME))
    return root


def write_tar(path: Path, files: Mapping[str, bytes], *, compression: str = "", hostile: bool = False) -> Path:
    with tarfile.open(path, f"w:{compression}", format=tarfile.PAX_FORMAT) as tar:
        folders = sorted({str(Path(name).parent) for name in files} - {"."})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
        if hostile:
            for name, kind, link in HOSTILE_TAR:
                info = tarfile.TarInfo(name)
                info.type, info.linkname, info.mtime = kind, link, MTIME
                data = b"planted" if kind == tarfile.REGTYPE else None
                info.size = len(data) if data else 0
                tar.addfile(info, io.BytesIO(data) if data else None)
    return path


HOSTILE_TAR = [
    ("/etc/evil", tarfile.REGTYPE, ""),
    ("../../escape.txt", tarfile.REGTYPE, ""),
    ("private/var/link-out", tarfile.SYMTYPE, "../../../../etc/passwd"),
    ("private/var/link-abs", tarfile.SYMTYPE, "/etc/passwd"),
    ("private/var/hard-out", tarfile.LNKTYPE, "../outside"),
    ("private/var/device", tarfile.CHRTYPE, ""),
    ("private/var/fifo", tarfile.FIFOTYPE, ""),
]


def write_zip(path: Path, files: Mapping[str, bytes], *, hostile: bool = False) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2021, 7, 1, 10, 0, 0))
            info.external_attr = (0o100644 << 16)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        if hostile:
            for name in ("/etc/evil", "../../escape.txt", "C:/Windows/evil.dll"):
                archive.writestr(zipfile.ZipInfo(name, date_time=(2021, 7, 1, 10, 0, 0)), b"planted")
            link = zipfile.ZipInfo("private/var/link-out", date_time=(2021, 7, 1, 10, 0, 0))
            link.external_attr = (0o120777 << 16)
            archive.writestr(link, b"../../../etc/passwd")
    return path
