"""A rooted or weakened Android: root tools found, SELinux not enforcing, system partitions writable.

Reads `android_root_binaries` (the programs androidqf looks for with `which -a`: su, busybox,
supersu, Superuser.apk, KingoUser.apk, SuperSu.apk, magisk, magiskhide, magiskinit,
magiskpolicy; mvt-project/androidqf modules/root_binaries.go), `android_getprop`
(ro.boot.selinux, set to "permissive" by the bootloader when SELinux does not enforce) and
`android_mounts`. Root lets any program bypass Android's protections; spyware installed by
someone with the phone in hand may root it, and a rooted phone is much easier to spy on.
  - su, Magisk, SuperSU or another root manager found: medium;
  - busybox alone (some custom systems ship it without root): low;
  - SELinux permissive: medium (shipping phones always enforce);
  - /system, /vendor (or /product, /system_ext, /odm, or / on system-as-root phones) mounted
    read-write: medium (MVT reports the same, mvt src/mvt/android/modules/androidqf/mounts.py).
    / counts only on a disk filesystem (ext4, f2fs): on older Android it is a rootfs in memory,
    always read-write.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="android_rooted",
    description="Rooted Android: root tools, SELinux permissive, system mounted writable",
    modules=frozenset({"android_root_binaries", "android_getprop", "android_mounts"}),
    keep=lambda record: record.module != "android_getprop" or record.fields.get("property") == "ro.boot.selinux",
)

ROOT_TOOLS = frozenset({"su", "supersu", "superuser.apk", "kingouser.apk", "supersu.apk", "magisk",
                        "magiskhide", "magiskinit", "magiskpolicy"})
LOW_TOOLS = frozenset({"busybox"})
SYSTEM_MOUNTS = frozenset({"/system", "/vendor", "/product", "/system_ext", "/odm", "/system_root"})
DISK_FILESYSTEMS = frozenset({"ext4", "f2fs", "ext3", "ext2"})
ROOT_MEANING = ("A rooted phone lets programs bypass Android's protections, which makes spying on it far easier. "
                "If you did not root this phone yourself, someone else may have.")


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("android_root_binaries", ()):
        path = _android.text(record.fields.get("file_path")).strip()
        tool = posixpath.basename(path).lower()
        if tool in ROOT_TOOLS:
            yield suspicious(HEURISTIC, record, f"A rooting tool was found on the phone: {path}. {ROOT_MEANING}",
                             severity="medium", observable=Observable("file_path", path))
        elif tool in LOW_TOOLS:
            yield suspicious(HEURISTIC, record, f"The busybox toolbox was found on the phone ({path}): often a sign "
                             "of a rooted or modified system.", severity="low", observable=Observable("file_path", path))
    for record in records.get("android_getprop", ()):
        fields = record.fields
        if fields.get("property") == "ro.boot.selinux" and _android.text(fields.get("value")).strip().lower() == "permissive":
            yield suspicious(HEURISTIC, record, "SELinux, the system's main safety barrier between apps, is switched "
                             "off (permissive). Phones as sold always enforce it: this phone was modified. "
                             + ROOT_MEANING, severity="medium",
                             observable=Observable("android_property", "ro.boot.selinux"))
    for record in records.get("android_mounts", ()):
        fields = record.fields
        point = _android.text(fields.get("mount_point"))
        if fields.get("read_write") is not True:
            continue
        if point in SYSTEM_MOUNTS or (point == "/" and _android.text(fields.get("fs_type")) in DISK_FILESYSTEMS):
            yield suspicious(HEURISTIC, record, f"The system partition {point} can be written to (mounted read-write); "
                             "on a phone as sold it is read-only. Someone may have changed system files. "
                             + ROOT_MEANING, severity="medium")
