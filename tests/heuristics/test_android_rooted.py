from __future__ import annotations

from spyglass.heuristics import android_rooted
from spyglass.records import Observable
from tests.builders.android_records import getprop, mount, root_binary, run


def test_android_rooted_found():
    records = [
        root_binary("/system/xbin/su"),
        root_binary("/debug_ramdisk/magisk"),
        root_binary("/system/xbin/busybox"),
        getprop("ro.boot.selinux", "permissive"),
        mount("/system", "/dev/block/dm-0", "ext4", "rw,seclabel,relatime"),
        mount("/", "/dev/block/dm-1", "ext4", "rw,seclabel,relatime"),
        mount("/vendor", "/dev/block/dm-2", "ext4", "rw,seclabel,relatime"),
    ]
    found = run(android_rooted, records)
    assert [(d.record.module, d.severity, d.observable) for d in found] == [
        ("android_root_binaries", "medium", Observable("file_path", "/system/xbin/su")),
        ("android_root_binaries", "medium", Observable("file_path", "/debug_ramdisk/magisk")),
        ("android_root_binaries", "low", Observable("file_path", "/system/xbin/busybox")),
        ("android_getprop", "medium", Observable("android_property", "ro.boot.selinux")),
        ("android_mounts", "medium", None),
        ("android_mounts", "medium", None),
        ("android_mounts", "medium", None),
    ]
    assert "/vendor" in found[6].message


def test_android_rooted_near_miss():
    # A stock phone: SELinux enforcing, system partitions read-only, the rootfs of Android 7
    # and data partitions read-write, and no root binaries.
    records = [
        getprop("ro.boot.selinux", "enforcing"),
        getprop("ro.build.selinux", "1"),
        mount("/", "/dev/block/dm-4", "erofs", "ro,seclabel,relatime"),
        mount("/", "rootfs", "rootfs", "rw,seclabel"),
        mount("/system", "/dev/block/bootdevice/by-name/system", "ext4", "ro,seclabel,relatime"),
        mount("/vendor", "/dev/block/dm-5", "erofs", "ro,seclabel,relatime"),
        mount("/data", "/dev/block/dm-48", "f2fs", "rw,lazytime,seclabel,nosuid,nodev,noatime"),
        mount("/mnt/vendor/persist", "/dev/block/sda2", "ext4", "rw,seclabel,nosuid,nodev,noatime"),
        mount("/vendor/firmware_mnt", "/dev/block/sde4", "vfat", "ro,context=u:object_r:firmware_file:s0"),
        root_binary("/system/bin/toybox"),
    ]
    assert run(android_rooted, records) == []
