"""androidqf output files written in their real formats (androidqf modules/*.go, adb/*.go,
android-collector cmd/*.go), bug-report tombstones (text and AOSP tombstone.proto), and a helper
that runs a module over an acquisition folder or zip as the runner does."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

from spyglass.acquisitions import open_acquisition
from spyglass.records import Record
from spyglass.runner import locate, parse_file
from tests.builders.android import AndroidQFBuilder, BugreportBuilder

# `adb shell getprop` (Android 14, Pixel 7); a value with a line break, as some vendors' have.
GETPROP = (b"[persist.sys.timezone]: [Europe/Berlin]\n"
           b"[ro.build.fingerprint]: [google/panther/panther:14/UQ1A.240205.004/11269751:user/release-keys]\n"
           b"[ro.build.version.release]: [14]\n"
           b"[ro.build.version.security_patch]: [2024-02-05]\n"
           b"[ro.product.model]: [Pixel 7]\n"
           b"[vendor.banner]: [first line\n"
           b"second line]\n"
           b"[vendor.empty]: []\n")
# Android 8 (Samsung) getprop: CRLF line ends, as adb shell wrote them before shell protocol v2.
GETPROP_ANDROID8 = (b"[ro.build.version.release]: [8.0.0]\r\n"
                    b"[ro.build.version.security_patch]: [2018-09-01]\r\n"
                    b"[ro.product.model]: [SM-G950F]\r\n")

SETTINGS_GLOBAL = (b"adb_enabled=1\n"
                   b"package_verifier_user_consent=-1\n"
                   b"verifier_verify_adb_installs=0\n"
                   b"device_name=Pixel 7\n"
                   b"wifi_country_code=null\n")
SETTINGS_SECURE = b"install_non_market_apps=1\nenabled_accessibility_services=com.evil/.Svc:com.ok/.Reader\n"

# toybox `ps -A` (Android 8+): WCHAN blank for a running process.
PS_TOYBOX = (b"USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\n"
             b"root             1     0 10904636  11620 0                   0 S init\n"
             b"root             2     0       0      0 0                   0 S [kthreadd]\n"
             b"system         612     1 11270540 25848 binder_ioctl_write_read 0 S /system/bin/surfaceflinger\n"
             b"u0_a171       9321   845 15276016 120172                    0 R com.whatsapp:remote\n")
# toolbox `ps` (Android 7 and older): no S column in the header, the state before NAME.
PS_TOOLBOX = (b"USER      PID   PPID  VSIZE  RSS   WCHAN              PC  NAME\n"
              b"root      1     0     17820  1524  SyS_epoll_ 0000000000 S /init\n"
              b"u0_a68    4210  523   1583480 63212 SyS_epoll_ 0000000000 S com.android.chrome\n")
# toybox `ps -A -Z`: the SELinux context first.
PS_LABELLED = (b"LABEL                          USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\n"
               b"u:r:init:s0                    root             1     0 10904636  11620 0                   0 S init\n"
               b"u:r:untrusted_app:s0:c512,c768 u0_a99        7001   845 14806564 98765 0                   0 S com.spy.agent\n")
COLLECTOR_PROCESSES = [
    {"pid": 1, "uid": 0, "ppid": 0, "pgroup": 0, "psid": 0, "filename": "(init)", "priority": 20, "state": "S",
     "user_time": 0, "kernel_time": 0, "path": "", "context": "u:r:init:s0", "previous_context": "u:r:kernel:s0",
     "command_line": ["/system/bin/init", "second_stage"], "env": None, "cwd": "/"},
    {"pid": 9321, "uid": 10171, "ppid": 845, "pgroup": 845, "psid": 0, "filename": "(com.whatsapp)", "priority": 20,
     "state": "S", "user_time": 3, "kernel_time": 1, "path": "", "context": "u:r:untrusted_app:s0:c171,c256,c512,c768",
     "previous_context": "u:r:zygote:s0", "command_line": None, "env": None, "cwd": ""},
]

WHATSAPP_CERT = {"Md5": "556c6019249bbc0cab70495178d3a9d1", "Sha1": "38a0f7d505fe18fec64fbf343ecaaaf310dbd799",
                 "Sha256": "3987d043d10aefaf5a8710b3671418fe57e0e19b653c9df82558feb5ffce5d44",
                 "ValidFrom": "2010-06-25T23:07:16Z", "ValidTo": "2044-02-15T23:07:16Z",
                 "Issuer": "C=US, ST=California, L=Santa Clara, O=WhatsApp Inc., OU=Engineering, CN=Brian Acton",
                 "Subject": "C=US, ST=California, L=Santa Clara, O=WhatsApp Inc., OU=Engineering, CN=Brian Acton",
                 "SignatureAlgorithm": "DSA-SHA1", "SerialNumber": 1277507236}


def package_file(path: str, sha256: str, *, certificate: dict[str, Any] | None = None) -> dict[str, Any]:
    """One entry of a package's `files` as androidqf 1.5+ writes it (adb.PackageFile)."""
    return {"path": path, "local_name": "", "md5": "5870bd06e642de410c54705226ecfa9a",
            "sha1": "6cb06e9ab5619345f930c2b2096b4dd013a10ec9", "sha256": sha256, "sha512": "f2" * 64, "error": "",
            "verified_certificate": certificate is not None, "certificate": certificate or {
                "Md5": "", "Sha1": "", "Sha256": "", "ValidFrom": "0001-01-01T00:00:00Z", "ValidTo": "0001-01-01T00:00:00Z",
                "Issuer": "", "Subject": "", "SignatureAlgorithm": "", "SerialNumber": None},
            "certificate_error": "" if certificate else "no certificate", "trusted_certificate": False}


PACKAGES = [
    {"name": "com.whatsapp",
     "files": [package_file("/data/app/~~Xw==/com.whatsapp-Yg==/base.apk",
                            "744ed47f8176ec423840344c33e88bd2c96e8988cda0797f3415bb5229efc12b", certificate=WHATSAPP_CERT)],
     "installer": "com.android.vending", "uid": 10271, "disabled": False, "system": False, "third_party": True},
    {"name": "com.spy.agent", "files": [package_file("/data/app/com.spy.agent-1/base.apk", "ab" * 32)],
     "installer": "null", "uid": 10299, "disabled": False, "system": False, "third_party": True},
    {"name": "com.android.vending", "files": None, "installer": "", "uid": 10101, "disabled": True, "system": True,
     "third_party": False},
]
# androidqf 1.0 (2021): files held only path, local_name and sha256.
PACKAGES_2021 = [{"name": "com.whatsapp", "files": [{"path": "/data/app/com.whatsapp-1/base.apk",
                                                      "local_name": "com.whatsapp.apk", "sha256": "CD" * 32}],
                  "installer": "com.android.vending", "uid": 10080, "disabled": False, "system": False,
                  "third_party": True}]


def androidqf_package(name: str, installer: str, *, system: bool = False) -> dict[str, Any]:
    """One packages.json entry as androidqf writes it: one APK with a verified certificate."""
    folder = f"/system/priv-app/{name}" if system else f"/data/app/~~Q2hx1w==/{name}-nM0bXQ==/"
    return {"name": name, "files": [{
        "path": f"{folder}/base.apk", "local_name": "", "md5": "0" * 32, "sha1": "1" * 40, "sha256": "2" * 64,
        "sha512": "3" * 128, "error": "", "verified_certificate": True,
        "certificate": {"Md5": "4" * 32, "Sha1": "5" * 40, "Sha256": "6" * 64, "ValidFrom": "2020-01-01T00:00:00Z",
                        "ValidTo": "2050-01-01T00:00:00Z", "Issuer": "CN=Example", "Subject": "CN=Example",
                        "SignatureAlgorithm": "SHA256-RSA", "SerialNumber": 1},
        "certificate_error": "", "trusted_certificate": True}],
        "installer": installer, "uid": 1000 if system else 10250, "disabled": False,
        "system": system, "third_party": not system}


def file_info(path: str, **values: Any) -> dict[str, Any]:
    """One files.json entry as androidqf's collector writes it (adb.FileInfo)."""
    entry = {"path": path, "size": 0, "mode": "", "user_id": 0, "user_name": "", "group_id": 0, "group_name": "",
             "changed_time": 0, "modified_time": 0, "access_time": 0, "error": "", "context": "",
             "sha1": "", "sha256": "", "sha512": "", "md5": ""}
    entry.update(values)
    return entry


FILES = [
    file_info("/data/local/tmp/collector", size=4190208, mode="-rwxr-xr-x", user_id=2000, group_id=2000,
              changed_time=1717236000, modified_time=1717236000, access_time=1717236005,
              context="u:object_r:shell_data_file:s0", sha256="AA" * 32),
    file_info("/sdcard/Download/update.apk", size=2048, mode="-rw-rw----", user_id=0, group_id=1015,
              changed_time=1700000000, modified_time=1699999000, access_time=1700000100,
              context="u:object_r:sdcardfs:s0"),
]
# `find -printf '%T@ %m %s %u %g %p'` (no collector): octal mode, owner names, modification time only.
FILES_FIND = [file_info("/system/xbin/su", size=104640, mode="755", user_name="root", group_name="shell",
                        modified_time=1230768000)]
# A plain `find`: only the path.
FILES_SIMPLE = [file_info("/vendor/bin/hw/android.hardware.gnss-service")]

ROOT_BINARIES = ["/system/bin/su\n/system/xbin/su", "/data/local/tmp/magisk", "/system/bin/su"]

MOUNTS = ["/dev/block/dm-7 on / type ext4 (ro,seclabel,relatime)",
          "/dev/block/dm-8 on /system_ext type ext4 (ro,seclabel,relatime)",
          "tmpfs on /dev type tmpfs (rw,seclabel,nosuid,relatime,size=3869816k,nr_inodes=967454,mode=755)",
          "/dev/block/dm-7 / ext4 ro,seclabel,relatime 0 0",
          "/dev/block/sda12 /mnt/vendor/My\\040Files vfat rw,relatime 0 0",
          "/dev/block/dm-9 /system ext4 rw,seclabel,relatime 0 0"]

TOMBSTONE_TEXT = b"""*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***
Build fingerprint: 'Redmi/rosemary_global/rosemary:12/SP1A.210812.016/V13.0.13.0.SKLMIXM:user/release-keys'
Revision: '0'
ABI: 'arm'
Timestamp: 2023-04-12 12:32:40.518290770+0200
Process uptime: 0s
Cmdline: /vendor/bin/hw/android.hardware.media.c2@1.2-mediatek
pid: 25541, tid: 21307, name: mtk.ape.decoder  >>> /vendor/bin/hw/android.hardware.media.c2@1.2-mediatek <<<
uid: 1046
signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0
Cause: null pointer dereference
    r0  0006ba86  r1  00000000  r2  00000000  r3  00000000

backtrace:
      #00 pc 0004bd80  /apex/com.android.runtime/lib/bionic/libc.so (je_large_dalloc+32)
"""
# Android 9: no Timestamp line, the abort message of an app's process.
TOMBSTONE_ANDROID9 = b"""*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***
Build fingerprint: 'samsung/a10eea/a10:9/PPR1.180610.011/A105FXXU1ASG8:user/release-keys'
Revision: '5'
ABI: 'arm'
pid: 9850, tid: 9893, name: Thread-7  >>> com.example.media <<<
signal 6 (SIGABRT), code -6 (SI_TKILL), fault addr --------
Abort message: 'Check failed: payload.size() <= bytes_left'
"""


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pb_field(number: int, value: int | bytes | str) -> bytes:
    """One protobuf field: an int as a varint (wire type 0), text or bytes length-delimited (2)."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def tombstone_pb() -> bytes:
    """A tombstone as AOSP debuggerd/proto/tombstone.proto lays it out (field numbers there)."""
    signal = pb_field(1, 11) + pb_field(2, "SIGSEGV") + pb_field(3, 1) + pb_field(4, "SEGV_MAPERR")
    thread = pb_field(1, 4242) + pb_field(2, "binder:4242_2")
    return b"".join([
        pb_field(1, 1),                                  # arch ARM64
        pb_field(2, "google/panther/panther:14/UQ1A.240205.004/11269751:user/release-keys"),
        pb_field(3, "0"),
        pb_field(4, "2024-06-01 12:00:00.123456789+0200"),
        pb_field(5, 4242), pb_field(6, 4242), pb_field(7, 10299),
        pb_field(8, "u:r:untrusted_app:s0:c43,c257,c512,c768"),
        pb_field(9, "com.spy.agent"),
        pb_field(10, signal),
        pb_field(15, pb_field(1, "null pointer dereference")),
        pb_field(16, pb_field(1, 4242) + pb_field(2, thread)),
        pb_field(20, 12),
    ])


def as_json(value: Any) -> bytes:
    return json.dumps(value, indent=4).encode()


def run(module: ModuleType, builder: AndroidQFBuilder | BugreportBuilder, where: Path, *,
        form: str = "folder") -> list[Record]:
    """Build the acquisition (androidqf as a folder or zip, a bug report as a zip), open it and
    run `module` over every file it names, as the runner does."""
    where.mkdir(parents=True, exist_ok=True)
    if isinstance(builder, BugreportBuilder):
        path = builder.build_zip(where)
    else:
        path = builder.build_folder(where) if form == "folder" else builder.build_zip(where)
    acquisition = open_acquisition(path)
    try:
        return [record for file in locate(module.ARTIFACT, acquisition)
                for record in parse_file(module.ARTIFACT, module.parse, file)]
    finally:
        acquisition.close()


def sources(module: ModuleType, builder: AndroidQFBuilder, where: Path) -> list[str]:
    acquisition = open_acquisition(builder.build_folder(where))
    try:
        return [file.source for file in locate(module.ARTIFACT, acquisition)]
    finally:
        acquisition.close()
