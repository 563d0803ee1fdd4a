"""Android acquisitions written in code in their real formats: androidqf folders and zips (and
the zip age-encrypted with pyrage), `adb bugreport` zips, and `adb backup` (.ab) files, plain,
deflated and AES-256 encrypted as AOSP's BackupManagerService writes them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.builders.archives import MTIME, write_folder, write_zip

ACQUISITION_JSON = json.dumps({"uuid": "2a1f6e2c-8f0b-4c4e-9a57-3f6a0c1d2b3e", "androidqf_version": "1.7.0",
                               "storage_path": "/home/analyst/androidqf/2a1f6e2c", "started": "2024-06-01T10:00:00Z",
                               "completed": "2024-06-01T10:04:12Z", "collector": None}).encode()
GETPROP = b"[ro.build.version.release]: [14]\n[ro.product.model]: [Pixel 7]\n[ro.build.version.security_patch]: [2024-05-05]\n"


@dataclass
class AndroidQFBuilder:
    """The files of one androidqf acquisition folder, by name."""

    name: str = "2a1f6e2c-8f0b-4c4e-9a57-3f6a0c1d2b3e"
    files: dict[str, bytes] = field(default_factory=lambda: {"acquisition.json": ACQUISITION_JSON,
                                                             "getprop.txt": GETPROP})

    def add(self, relative: str, data: bytes) -> AndroidQFBuilder:
        self.files[relative] = data
        return self

    def build_folder(self, parent: Path) -> Path:
        return write_folder(parent / self.name, self.files)

    def build_zip(self, parent: Path, *, inner_folder: bool = False) -> Path:
        prefix = f"{self.name}/" if inner_folder else ""
        return write_zip(parent / f"{self.name}.zip", {prefix + k: v for k, v in self.files.items()})

    def build_age(self, parent: Path, *, recipient: object | None = None, passphrase: str | None = None) -> Path:
        import pyrage

        data = self.build_zip(parent).read_bytes()
        encrypted = (pyrage.passphrase.encrypt(data, passphrase) if passphrase is not None
                     else pyrage.encrypt(data, [recipient]))
        path = parent / f"{self.name}.zip.age"
        path.write_bytes(encrypted)
        return path


@dataclass
class BugreportBuilder:
    """An `adb bugreport` zip: main_entry.txt naming the dumpstate text, version.txt, FS/ files."""

    name: str = "bugreport-panther-UQ1A.240205.004-2024-06-01-10-00-00"
    dumpstate: bytes = b"========================================================\n== dumpstate: 2024-06-01 10:00:00\n"
    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, relative: str, data: bytes) -> BugreportBuilder:
        self.files[relative] = data
        return self

    def build_zip(self, parent: Path) -> Path:
        members = {"version.txt": b"2.0", "main_entry.txt": f"{self.name}.txt".encode(),
                   f"{self.name}.txt": self.dumpstate, **self.files}
        return write_zip(parent / f"{self.name}.zip", members)


def tar_stream(files: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, MTIME
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _java_chars(key: bytes) -> bytes:
    return "".join(chr(b if b < 0x80 else 0xFF00 | b) for b in key).encode("utf-8")


def android_backup(files: Mapping[str, bytes], *, compressed: bool = True, password: str | None = None,
                   version: int = 5, rounds: int = 10_000) -> bytes:
    """An .ab file of `files` (tar member paths such as apps/com.android.providers.telephony/...)."""
    data = tar_stream(files)
    if compressed:
        data = zlib.compress(data)
    lines = [b"ANDROID BACKUP", str(version).encode(), b"1" if compressed else b"0"]
    if password is None:
        return b"\n".join([*lines, b"none"]) + b"\n" + data
    user_salt, checksum_salt, user_iv = os.urandom(64), os.urandom(64), os.urandom(16)
    master, master_iv = os.urandom(32), os.urandom(16)
    user_key = hashlib.pbkdf2_hmac("sha1", password.encode(), user_salt, rounds, 32)
    checksum = hashlib.pbkdf2_hmac("sha1", _java_chars(master) if version >= 2 else master, checksum_salt, rounds, 32)
    blob = bytes([16]) + master_iv + bytes([32]) + master + bytes([32]) + checksum
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(user_key), modes.CBC(user_iv)).encryptor()
    master_blob = encryptor.update(padder.update(blob) + padder.finalize()) + encryptor.finalize()
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(master), modes.CBC(master_iv)).encryptor()
    body = encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()
    lines += [b"AES-256", user_salt.hex().upper().encode(), checksum_salt.hex().upper().encode(),
              str(rounds).encode(), user_iv.hex().upper().encode(), master_blob.hex().upper().encode()]
    return b"\n".join(lines) + b"\n" + body


# -- dumpsys package "Packages:" list, and backup _manifest files (android_packages) -----------------
# The layouts follow AOSP Settings.dumpPackageLPr as each version prints it: Android 9 (LineageOS 16
# source: "userId=", firstInstallTime with the package, installerPackageName only when set, no
# requested permissions in a full dump), Android 10 as MVT's tests/artifacts/android_data/
# dumpsys_packages.txt shows it (a Samsung build printing requested permissions), and Android 15/16
# (AOSP main: "appId=", installerPackageName / installerPackageUid / initiatingPackageName /
# originatingPackageName / packageSource always printed, "null" when unset, firstInstallTime per user).


@dataclass
class DumpedUserSpec:
    user: int = 0
    installed: bool = True
    hidden: bool = False
    suspended: bool = False
    enabled: int = 0
    runtime: tuple[tuple[str, bool], ...] = ()
    first_install: str = "2024-05-01 10:00:00"


@dataclass
class DumpedPackageSpec:
    name: str
    uid: int = 10250
    code_path: str | None = None
    version_code: int = 1
    version_name: str = "1.0"
    system: bool = False
    installer: str | None = "com.android.vending"
    initiating: str | None = None
    first_install: str = "2024-05-01 10:00:00"
    last_update: str = "2024-05-20 18:30:00"
    signatures: tuple[str, ...] = ("b378e95c",)
    install: tuple[tuple[str, bool], ...] = (("android.permission.INTERNET", True),)
    requested: tuple[str, ...] = ()
    users: tuple[DumpedUserSpec, ...] = (DumpedUserSpec(),)


def _flags(spec: DumpedPackageSpec) -> str:
    return "[ SYSTEM HAS_CODE ALLOW_CLEAR_USER_DATA ]" if spec.system else "[ HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP ]"


def _code_path(spec: DumpedPackageSpec, layout: int) -> str:
    if spec.code_path:
        return spec.code_path
    return f"/data/app/{spec.name}-1" if layout < 11 else f"/data/app/~~Q2hx1w==/{spec.name}-nM0bXQ=="


def dumped_package(spec: DumpedPackageSpec, layout: int = 9) -> str:
    """One "  Package [name] (hash):" block as dumpsys package prints it on Android `layout`
    (9, 10 or 15)."""
    code = _code_path(spec, layout)
    ident = "appId" if layout >= 15 else "userId"
    lines = [f"  Package [{spec.name}] (d151a2):", f"    {ident}={spec.uid}",
             f"    pkg=Package{{254559d {spec.name}}}", f"    codePath={code}", f"    resourcePath={code}",
             f"    legacyNativeLibraryDir={code}/lib", "    primaryCpuAbi=arm64-v8a", "    secondaryCpuAbi=null"]
    if layout >= 15:
        lines += [f"    versionCode={spec.version_code} minSdk=28 targetSdk=34", "    minExtensionVersions=[]",
                  f"    versionName={spec.version_name}", "    hiddenApiEnforcementPolicy=2", "    usesNonSdkApi=false"]
    else:
        lines += [f"    versionCode={spec.version_code} minSdk=28 targetSdk=29", f"    versionName={spec.version_name}"]
    lines += ["    splits=[base]", "    apkSigningVersion=2"]
    if layout < 15:
        lines.append(f"    applicationInfo=ApplicationInfo{{46c7a12 {spec.name}}}")
    lines += [f"    flags={_flags(spec)}",
              "    privateFlags=[ PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION ]"]
    if layout < 15:
        lines.append(f"    dataDir=/data/user/0/{spec.name}")
    else:
        lines += ["    forceQueryable=false", "    pageSizeCompat=0", "", "    scannedAsStoppedSystemApp=false"]
    lines.append("    supportsScreens=[small, medium, large, xlarge, resizeable, anyDensity]")
    lines.append(f"    timeStamp={spec.last_update}")
    if layout < 15:
        lines.append(f"    firstInstallTime={spec.first_install}")
    lines.append(f"    lastUpdateTime={spec.last_update}")
    if layout >= 15:
        lines += [f"    installerPackageName={spec.installer or 'null'}", "    installerPackageUid=10120",
                  f"    initiatingPackageName={spec.initiating or spec.installer or 'null'}",
                  "    originatingPackageName=null", "    packageSource=0",
                  "    appMetadataFilePath=null", "    appMetadataSource=0"]
    elif spec.installer:
        lines.append(f"    installerPackageName={spec.installer}")
    hashes = ", ".join(spec.signatures)
    lines += [f"    signatures=PackageSignatures{{b4da5e3 version:2, signatures:[{hashes}], past signatures:[]}}",
              "    installPermissionsFixed=true", f"    pkgFlags={_flags(spec)}"]
    if layout >= 15:
        lines += ["    privatePkgFlags=[ PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION ]",
                  "    apexModuleName=null"]
    if spec.requested and layout == 10:
        lines += ["    requested permissions:", *(f"      {name}" for name in spec.requested)]
    if spec.install:
        lines += ["    install permissions:",
                  *(f"      {name}: granted={str(ok).lower()}" for name, ok in spec.install)]
    for user in spec.users:
        state = (f"ceDataInode=4001 installed={str(user.installed).lower()} hidden={str(user.hidden).lower()} "
                 f"suspended={str(user.suspended).lower()}")
        if layout >= 15:
            lines += [f"    User {user.user}: {state.replace('ceDataInode=4001', 'ceDataInode=4001 deDataInode=0')} "
                      f"distractionFlags=0 stopped=false notLaunched=false enabled={user.enabled} instant=false "
                      "virtual=false quarantined=false",
                      "      installReason=0", f"      dataDir=/data/user/{user.user}/{spec.name}",
                      f"      firstInstallTime={user.first_install}", "      uninstallReason=0"]
        else:
            lines.append(f"    User {user.user}: {state} stopped=false notLaunched=false enabled={user.enabled} "
                         "instant=false virtual=false")
        lines.append("      gids=[3003]")
        if user.runtime:
            lines += ["      runtime permissions:",
                      *(f"        {name}: granted={str(ok).lower()}, flags=[ USER_SET|USER_SENSITIVE_WHEN_GRANTED ]"
                        for name, ok in user.runtime)]
    return "\n".join(lines) + "\n"


def dumpsys_packages(specs: list[DumpedPackageSpec], layout: int = 9, *, hidden: list[DumpedPackageSpec] = ()) -> str:
    """The body of a "package" dumpsys section: the tables before the package list, "Packages:",
    then "Hidden system packages:" (the factory copies of updated system apps) and "Queries:"."""
    head = ("Database versions:\n  Internal:\n    sdkVersion=34 databaseVersion=3\n\n"
            "Verifiers:\n  Required: com.android.vending (uid=10019)\n\n"
            "Receiver Resolver Table:\n  Non-Data Actions:\n      android.intent.action.BOOT_COMPLETED:\n"
            "        6d2b9b0 com.android.settings/.BootReceiver\n\n"
            "Key Set Manager:\n  [com.android.settings]\n      Signing KeySets: 1\n\n")
    text = head + "Packages:\n" + "".join(dumped_package(spec, layout) for spec in specs)
    if hidden:
        text += "\nHidden system packages:\n" + "".join(dumped_package(spec, layout) for spec in hidden)
    return text + "\nQueries:\n  system apps queryable: false\n"


def backup_manifest(package: str, *, version_code: int = 1, sdk: int = 33, installer: str = "",
                    with_apk: bool = False, certificates: tuple[bytes, ...] = ()) -> bytes:
    """apps/<package>/_manifest as AOSP AppMetadataBackupWriter writes it: manifest version 1,
    package, version code, SDK, installer ("" for none), APK flag, signature count, then each
    signing certificate's DER bytes in hex (Signature.toCharsString)."""
    lines = ["1", package, str(version_code), str(sdk), installer, "1" if with_apk else "0", str(len(certificates)),
             *(der.hex() for der in certificates)]
    return ("\n".join(lines) + "\n").encode()


def signing_certificate(common_name: str, seed: int) -> bytes:
    """A self-signed X.509 certificate in DER, the same bytes on every run (an Ed25519 key from
    `seed`, whose signatures are deterministic, and fixed validity dates): what an APK is signed with."""
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.x509.oid import NameOID

    key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(seed).not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
                   .not_valid_after(datetime(2050, 1, 1, tzinfo=UTC)).sign(key, None))
    return certificate.public_bytes(serialization.Encoding.DER)


# -- logcat and acquisition facts (android_logcat, android_acquisition, the nested bug report) --

def logcat_line(when: str, pid: int, tid: int, level: str, tag: str, message: str, *, uid: str | None = None) -> str:
    """One line as logcat's threadtime format prints it (AOSP liblog logprint.cpp: "%s %s%5d %5d %c
    %-8s: "; `-v uid` puts the uid, "%5s" or "%5d", before the PID)."""
    owner = f"{uid:>5} " if uid is not None else ""
    return f"{when} {owner}{pid:5d} {tid:5d} {level} {tag:<8}: {message}\n"


# `logcat -d -b all` as androidqf collects it (Android 10+ wording): a process start in the
# system buffer, its am_proc_start in the events buffer, an install, a link, and ordinary lines.
LOGCAT_THREADTIME = (
    "--------- beginning of main\n"
    + logcat_line("05-31 23:58:01.120", 1234, 1250, "D", "chromium", "loading https://evil.example.net/a?b=1 now")
    + logcat_line("05-31 23:58:02.000", 1234, 1250, "I", "libc", "dlopen /system/lib64/libart.so failed")
    + "--------- beginning of system\n"
    + logcat_line("06-01 11:59:01.345", 1402, 1460, "I", "ActivityManager",
                  "Start proc 4567:com.example.spy/u0a234 for service {com.example.spy/com.example.spy.SyncService}")
    + logcat_line("06-01 11:59:02.000", 1402, 1533, "I", "PackageManager",
                  "Integrity check passed for file:///data/app/vmdl1234.tmp package:com.example.spy")
    + logcat_line("06-01 11:59:03.000", 1402, 1533, "D", "ConnectivityService", "requestNetwork for uid/pid:10234/4567")
    + "--------- beginning of events\n"
    + logcat_line("06-01 11:59:01.340", 1402, 1460, "I", "am_proc_start",
                  "[0,4567,10234,com.example.spy,service,{com.example.spy/com.example.spy.SyncService}]")
)

# Android 8's wording of a process start, and `-v year -v zone -v uid` (the form a lab may run).
LOGCAT_OLDER = (
    logcat_line("2019-12-31 23:59:59.999 +0100", 1402, 1460, "I", "ActivityManager",
                "Start proc com.example.old:remote for broadcast com.example.old/.Receiver: pid=3210 uid=10099 "
                "gids={50099, 3003}", uid="1000")
    + logcat_line("2020-01-01 00:00:01.000 +0100", 1402, 1460, "I", "PackageManager",
                  "pm install -r /data/local/tmp/payload.apk", uid="1000")
)


def dumpstate_logcat(system_log: str, event_log: str = "", *, timezone: str | None = "Europe/Paris",
                     header: str = "2024-06-01 12:00:00", utc: bool = False) -> bytes:
    """A bug report's dumpstate text with its logcat sections (AOSP dumpstate.cpp titles)."""
    props = "[ro.build.version.release]: [14]\n"
    if timezone:
        props += f"[persist.sys.timezone]: [{timezone}]\n"
    utc_flag = " -v UTC" if utc else ""
    text = ("========================================================\n"
            f"== dumpstate: {header}\n"
            "========================================================\n\n"
            "Build: UQ1A.240205.004\n"
            "------ SYSTEM PROPERTIES (getprop) ------\n" + props +
            "------ 0.030s was the duration of 'SYSTEM PROPERTIES' ------\n"
            f"------ SYSTEM LOG (logcat -v threadtime -v printable -v uid{utc_flag} -d *:v) ------\n"
            "--------- beginning of main\n" + system_log +
            "------ 0.600s was the duration of 'SYSTEM LOG' ------\n"
            f"------ EVENT LOG (logcat -b events -v threadtime -v printable -v uid{utc_flag} -d *:v) ------\n"
            "--------- beginning of events\n" + event_log +
            "------ 0.100s was the duration of 'EVENT LOG' ------\n"
            "------ NETWORK DEV INFO (/proc/net/dev) ------\n"
            + logcat_line("06-01 11:00:00.000", 1, 1, "I", "NotLogcat", "https://outside.example.org/") +
            "------ 0.001s was the duration of 'NETWORK DEV INFO' ------\n")
    return text.encode()


def bugreport_bytes(builder: BugreportBuilder, where: Path) -> bytes:
    """A bug report zip's bytes (to put inside an androidqf folder as its bugreport.zip)."""
    where.mkdir(parents=True, exist_ok=True)
    return builder.build_zip(where).read_bytes()
