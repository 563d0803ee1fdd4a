"""Installed packages: every app the phone listed, with what each source says of it.

Reads:   - androidqf packages.json (androidqf adb/packages.go, modules/packages.go): a JSON list of
           {name, files, installer, uid, disabled, system, third_party}, built from
           `pm list packages -U -u -i` and `pm path`. `installer` is the text after `installer=`:
           "null" when no store installed the app (sideloaded or adb), "" when the phone refused
           `-i`. `files` is null when `pm path` gave nothing. Each file is {path, local_name,
           sha256} (2021), plus md5, sha1, sha512 (2022), plus certificate {Md5, Sha1, Sha256,
           Issuer, Subject, ValidFrom, ValidTo, ...} (apkverifier's CertInfo),
           verified_certificate, trusted_certificate, certificate_error and error (2023 on).
           packages.json holds no permissions or install times: when the acquisition's
           dumpsys.txt holds the package service, its "Packages:" list gives them (matched by
           name). packages.json wins: with it, dumpsys.txt yields no package records of its own,
           so no package is listed twice.
         - the "Packages:" list of dumpsys package (see _dumpsys.dumped_packages for the layout
           per Android version): in a bug report's dumpstate text, and in androidqf's dumpsys.txt
           when there is no packages.json. It names the installer (installerPackageName; and the
           app that started the install, installInitiatingPackageName / initiatingPackageName),
           the SYSTEM flag, the install permissions and each user's runtime permissions with
           granted=true/false, the requested permissions (on versions that print them), the
           install and update times (the phone's local time, no zone printed: turned into UTC
           with the acquisition's `timezone` fact, else the zone the dumpstate's getprop names,
           else left None with the local text kept), and the user's enabled state
           (COMPONENT_ENABLED_STATE: 2, 3 and 4 are disabled). It prints no certificate
           digest: "signatures=PackageSignatures{... signatures:[b378e95c]}" holds 32-bit
           Signature.hashCode values, kept as `signature_hashes`, never as certificates; no APK
           hash either (`certificates` and `apk_files` are None), and no launcher flag.
         - in an Android backup (.ab), apps/<package>/_manifest, which AOSP's
           AppMetadataBackupWriter writes for every app in a full backup: lines "1" (the manifest
           version), the package name, its version code, the SDK level of the phone, the
           installer package ("" for none), "1" when the APK is in the backup too
           (apps/<package>/a/base.apk), the number of signatures, then each signing certificate
           as hex of its DER bytes (Signature.toCharsString), whose SHA-256 is the certificate
           digest feeds name. A backup says nothing of system flags, permissions or times: None.
Yields:  one record per package: `package_name`, `installer`, `system`, `third_party`,
         `disabled`, `uid`, `permissions` (granted), `requested_permissions`, `certificates`
         (sha256), `apk_files`, `first_install`, `last_update` (ISO UTC or None),
         `first_install_local`, `last_update_local` (the local text dumpsys printed),
         `hidden_launcher` (None: no source here tells it), and per source more (versions, users,
         signature hashes); timestamped with the first install when its UTC time is known;
         observables app_id, file_path and hashes of each APK (the code path for dumpsys),
         cert_sha256 / cert_sha1 / cert_md5 of its signers.
Seen:    Android 6-16 (androidqf 1.0-1.7); dumpsys package of Android 8-16; backups of Android 6-14.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from spyglass.acquisitions.base import ANDROID_BACKUP, ANDROID_BUGREPORT, ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError, NotPresent
from spyglass.limits import MAX_AB_MEMBER_BYTES, MAX_PACKAGE_LIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import (
    DUMPSYS_FILES,
    DumpedPackage,
    dumped_packages,
    granted,
    local_time,
    sections,
)
from spyglass.modules.android._json import json_items
from spyglass.records import Record, flag, iso_utc, observables, text_field

PACKAGES_JSON = "packages.json"
ARTIFACT = Artifact(
    name="android_packages",
    description="Installed packages (androidqf packages.json, dumpsys package, backup manifests)",
    platform="android",
    extra={ANDROIDQF: (PACKAGES_JSON, *DUMPSYS_FILES[ANDROIDQF]),
           ANDROID_BUGREPORT: DUMPSYS_FILES[ANDROID_BUGREPORT],
           ANDROID_BACKUP: ("apps/*/_manifest",)},
    os_versions="Android 6-16",
)

_MAX_FILES = 256   # APK splits of one package; real ones have a few dozen at most
_HASH = 256        # characters of a hex digest kept (sha512 is 128)
_MAX_PERMISSIONS = 2_000
_LOCAL = "%Y-%m-%d %H:%M:%S"
_LOCAL_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
_DISABLED_STATES = frozenset({2, 3, 4})   # COMPONENT_ENABLED_STATE_DISABLED, _USER, _UNTIL_USED


# Fields of the record contract that packages.json and a backup's manifest do not give (times
# come from dumpsys package when androidqf has it; no source here says whether an icon is hidden).
NOT_KNOWN = {"first_install": None, "last_update": None, "first_install_local": None, "last_update_local": None,
             "hidden_launcher": None}


def parse(file: EvidenceFile) -> Iterator[Record]:
    kind = file.acquisition.kind
    if kind == ANDROID_BACKUP:
        yield _manifest_record(file)
    elif kind == ANDROIDQF and PurePosixPath(file.source).name == PACKAGES_JSON:
        yield from _packages_json(file)
    elif kind == ANDROIDQF and file.acquisition.named(PACKAGES_JSON):
        return          # packages.json lists the packages; dumpsys.txt only completes them
    else:
        yield from _dumpsys(file)


# -- androidqf packages.json -----------------------------------------------------------------------

def _packages_json(file: EvidenceFile) -> Iterator[Record]:
    # Streamed: 40,000 packages with their files and certificates are 35 MB of JSON, and were
    # 430 MB of Python objects when the list was decoded whole.
    packages = json_items(file.text_pieces(MAX_PACKAGE_LIST_BYTES), file.source, "packages")
    dumped, timezone = _androidqf_dumpsys(file)
    for package in packages:
        if not isinstance(package, dict):
            continue
        name = text_field(package.get("name"), 1024)
        if not name:
            continue
        yield _json_record(name, package, dumped.get(name), timezone)


def _androidqf_dumpsys(file: EvidenceFile) -> tuple[dict[str, DumpedPackage], str | None]:
    """The packages of the acquisition's dumpsys.txt by name, and the zone of its times; nothing
    when there is no dumpsys.txt or it holds no package service (packages.json stands alone)."""
    dumped: dict[str, DumpedPackage] = {}
    timezone = None
    for other in file.acquisition.named(DUMPSYS_FILES[ANDROIDQF][0]):
        try:
            for section in sections(other, ("package",)):
                timezone = section.timezone
                for package in dumped_packages(section.lines):
                    dumped.setdefault(package.name, package)
        except (EvidenceError, NotPresent):
            continue
    return dumped, timezone


def _json_record(name: str, package: dict[str, Any], dumped: DumpedPackage | None, timezone: str | None) -> Record:
    installer = text_field(package.get("installer"), 1024)
    if installer in ("", "null"):
        installer = None
    apk_files, certificates, found = [], [], [("app_id", name)]
    files = package.get("files")
    for entry in files[:_MAX_FILES] if isinstance(files, list) else ():
        if not isinstance(entry, dict):
            continue
        apk = {"path": text_field(entry.get("path"), 4096),
               **{kind: _digest(entry.get(kind)) for kind in ("sha256", "md5", "sha1")}}
        certificate = entry.get("certificate")
        certificate = certificate if isinstance(certificate, dict) else {}
        signer = {kind: _digest(certificate.get(key)) for kind, key in
                  (("cert_sha256", "Sha256"), ("cert_sha1", "Sha1"), ("cert_md5", "Md5"))}
        if signer["cert_sha256"]:
            apk["certificate_sha256"] = signer["cert_sha256"]
            apk["certificate_subject"] = text_field(certificate.get("Subject"), 4096)
            if signer["cert_sha256"] not in certificates:
                certificates.append(signer["cert_sha256"])
        for key in ("verified_certificate", "trusted_certificate"):
            if key in entry:
                apk[key] = flag(entry.get(key))
        apk_files.append(apk)
        found += [("file_path", apk["path"]), ("sha256", apk["sha256"]), ("sha1", apk["sha1"]),
                  ("md5", apk["md5"]), *signer.items()]
    system, third_party, disabled = (bool(flag(package.get(key))) for key in ("system", "third_party", "disabled"))
    uid = package.get("uid")
    fields = {
        "package_name": name,
        "installer": installer,
        "system": system,
        "third_party": third_party,
        "disabled": disabled,
        "uid": uid if isinstance(uid, int) and not isinstance(uid, bool) and 0 <= uid < 1 << 32 else None,
        "permissions": [],
        "requested_permissions": [],
        "certificates": certificates,
        "apk_files": apk_files,
        **NOT_KNOWN,
    }
    installed = None
    if dumped is not None:
        times = _times(dumped, timezone)
        installed = times[0]
        fields.update(permissions=_granted_permissions(dumped), requested_permissions=_requested(dumped),
                      first_install=iso_utc(times[0]), last_update=iso_utc(times[1]),
                      first_install_local=times[2], last_update_local=times[3])
    how = f"installed by {installer}" if installer else "no installer recorded"
    kind = "system" if system else "third-party" if third_party else "package"
    return Record(
        timestamp=installed,
        timestamp_desc="package first installed" if installed else "",
        message=f"Package {name} ({kind}, {how}{', disabled' if disabled else ''})",
        fields=fields,
        observables=observables(*found),
    )


def _digest(value: Any) -> str | None:
    text = text_field(value, _HASH)
    return text.strip().lower() or None if text else None


# -- dumpsys package -------------------------------------------------------------------------------

def _dumpsys(file: EvidenceFile) -> Iterator[Record]:
    seen: set[str] = set()
    for section in sections(file, ("package",)):
        timezone = section.timezone
        for package in dumped_packages(section.lines):
            if package.name in seen:
                continue
            seen.add(package.name)
            yield _dumped_record(package, timezone)


def _dumped_record(package: DumpedPackage, timezone: str | None) -> Record:
    values, name = package.values, package.name
    first_user = package.users[0] if package.users else None
    flags = set(_flags(values.get("flags"))) | set(_flags(values.get("pkgFlags")))
    system = "SYSTEM" in flags
    installer = _package_name(values.get("installerPackageName"))
    enabled_state = _int(first_user.state.get("enabled")) if first_user else None
    disabled = enabled_state in _DISABLED_STATES
    code_path = text_field(values.get("codePath"), 4096) or None
    first_install, last_update, first_local, last_local = _times(package, timezone)
    version = values.get("versionCode", "")
    fields = {
        "package_name": name,
        "installer": installer,
        "installer_initiating": _package_name(values.get("installInitiatingPackageName")
                                              or values.get("initiatingPackageName")),
        "installer_originating": _package_name(values.get("installOriginatingPackageName")
                                               or values.get("originatingPackageName")),
        "package_source": _int(values.get("packageSource")),
        "system": system,
        "third_party": not system,
        "disabled": disabled,
        "uid": _uid(values.get("userId", values.get("appId"))),
        "permissions": _granted_permissions(package),
        "requested_permissions": _requested(package),
        "certificates": None,
        "signature_hashes": _signature_hashes(values.get("signatures")),
        "apk_signing_version": _int(values.get("apkSigningVersion")),
        "apk_files": None,
        "code_path": code_path,
        "version_code": _int(version.split(" ", 1)[0]),
        "version_name": text_field(values.get("versionName"), 1024),
        "target_sdk": _int(_word(version, "targetSdk")),
        "first_install": iso_utc(first_install),
        "last_update": iso_utc(last_update),
        "first_install_local": first_local,
        "last_update_local": last_local,
        "hidden_launcher": None,
        "installed": _bool(first_user.state.get("installed")) if first_user else None,
        "users": [{"user": user.user, "installed": _bool(user.state.get("installed")),
                   "hidden": _bool(user.state.get("hidden")), "suspended": _bool(user.state.get("suspended")),
                   "enabled_state": _int(user.state.get("enabled"))} for user in package.users],
        "source": "dumpsys package",
    }
    how = f"installed by {installer}" if installer else "no installer recorded"
    return Record(
        timestamp=first_install,
        timestamp_desc="package first installed" if first_install else "",
        message=f"Package {name} ({'system' if system else 'third-party'}, {how}{', disabled' if disabled else ''})",
        fields=fields,
        observables=observables(("app_id", name), ("file_path", code_path)),
    )


def _times(package: DumpedPackage, timezone: str | None) -> tuple[datetime | None, datetime | None, str | None, str | None]:
    """First install and last update, in UTC when the zone is known, and as printed (local).
    Android 14 and later print the first install per user: the first user's is taken."""
    first = package.values.get("firstInstallTime")
    if first is None and package.users:
        first = package.users[0].values.get("firstInstallTime")
    last = package.values.get("lastUpdateTime")
    first_local, last_local = _local_text(first), _local_text(last)
    return (local_time(first_local, _LOCAL, timezone), local_time(last_local, _LOCAL, timezone),
            first_local, last_local)


def _local_text(text: str | None) -> str | None:
    """A "2024-05-01 10:00:00" time as printed, None when it is not a real time."""
    if not text or not _LOCAL_TEXT.fullmatch(text):
        return None
    try:
        datetime.strptime(text, _LOCAL)
    except ValueError:
        return None
    return text


def _granted_permissions(package: DumpedPackage) -> list[str]:
    """Install permissions granted, then every user's runtime permissions granted."""
    found: dict[str, None] = {}
    lists = [package.lists.get("install permissions", []),
             *(user.lists.get("runtime permissions", []) for user in package.users)]
    for items in lists:
        for permission, state in granted(items):
            if state and len(found) < _MAX_PERMISSIONS:
                found.setdefault(permission, None)
    return list(found)


def _requested(package: DumpedPackage) -> list[str]:
    found: dict[str, None] = {}
    for permission, _state in granted(package.lists.get("requested permissions", [])):
        if len(found) < _MAX_PERMISSIONS:
            found.setdefault(permission, None)
    return list(found)


def _flags(text: str | None) -> list[str]:
    """The names of "[ SYSTEM HAS_CODE ALLOW_BACKUP ]"."""
    if not text or not text.startswith("[") or not text.endswith("]"):
        return []
    return text[1:-1].split()[:256]


_SIGNATURES = re.compile(r"signatures:\[([0-9a-fA-F, ]{0,4000})\]")
_OLD_SIGNATURES = re.compile(r"PackageSignatures\{[0-9a-fA-F]{1,16} \[([0-9a-fA-F, ]{0,4000})\]")


def _signature_hashes(text: str | None) -> list[str]:
    match = (_SIGNATURES.search(text) or _OLD_SIGNATURES.search(text)) if text else None
    if match is None:
        return []
    return [value.strip().lower() for value in match.group(1).split(",") if value.strip()][:64]


def _word(text: str, key: str) -> str | None:
    for word in text.split():
        name, _, value = word.partition("=")
        if name == key:
            return value
    return None


def _int(text: Any) -> int | None:
    if not isinstance(text, str) or not text.strip().lstrip("-").isdigit() or len(text) > 20:
        return None
    value = int(text)
    return value if -(1 << 63) <= value < 1 << 63 else None


def _uid(text: str | None) -> int | None:
    value = _int(text)
    return value if value is not None and 0 <= value < 1 << 32 else None


def _bool(text: str | None) -> bool | None:
    return True if text == "true" else False if text == "false" else None


def _package_name(text: str | None) -> str | None:
    """An installer as printed: None for "null", absent, or not a package name."""
    text = (text or "").strip()
    return text if len(text) <= 1024 and _PACKAGE_NAME.fullmatch(text) and text != "null" else None


# -- Android backup apps/<package>/_manifest -----------------------------------------------------

_MANIFEST_BYTES = 1024 * 1024     # a manifest is a few kilobytes: the certificates dominate
_MAX_SIGNATURES = 16


def _manifest_record(file: EvidenceFile) -> Record:
    parts = PurePosixPath(file.source).parts
    folder = parts[1] if len(parts) == 3 else ""
    lines = file.read_bytes(_MANIFEST_BYTES).decode("utf-8", "replace").split("\n")
    if len(lines) < 7 or lines[0] != "1" or not _PACKAGE_NAME.fullmatch(lines[1]) or not lines[6].isdigit():
        raise EvidenceError(f"{file.source}: not a backup manifest (version 1, package, version code, SDK, "
                            "installer, APK flag, signatures)")
    name = lines[1]
    if folder and folder != name:
        raise EvidenceError(f"{file.source}: the manifest names {name[:200]}, not the folder's package")
    certificates, found = [], [("app_id", name)]
    for text in lines[7:7 + min(int(lines[6][:4]), _MAX_SIGNATURES)]:
        try:
            der = bytes.fromhex(text.strip())
        except ValueError:
            continue
        if not der:
            continue
        digest = hashlib.sha256(der).hexdigest()
        if digest not in certificates:
            certificates.append(digest)
        found += [("cert_sha256", digest), ("cert_sha1", hashlib.sha1(der, usedforsecurity=False).hexdigest()),
                  ("cert_md5", hashlib.md5(der, usedforsecurity=False).hexdigest())]
    apk_files = _backup_apks(file, name) if lines[5] == "1" else []
    for apk in apk_files:
        found += [("file_path", apk["path"]), ("sha256", apk["sha256"]), ("sha1", apk["sha1"]), ("md5", apk["md5"])]
    installer = _package_name(lines[4])
    fields = {
        "package_name": name,
        "installer": installer,
        "system": None,
        "third_party": None,
        "disabled": None,
        "uid": None,
        "permissions": None,
        "requested_permissions": None,
        "certificates": certificates,
        "apk_files": apk_files,
        **NOT_KNOWN,
        "version_code": _int(lines[2]),
        "backup_sdk": _int(lines[3]),
        "source": "backup manifest",
    }
    how = f"installed by {installer}" if installer else "no installer recorded"
    return Record(timestamp=None, timestamp_desc="", message=f"Package {name} (in the backup, {how})",
                  fields=fields, observables=observables(*found))


def _backup_apks(file: EvidenceFile, name: str) -> list[dict[str, Any]]:
    """The APKs a backup made with -apk holds for the package (apps/<package>/a/), hashed."""
    apks = []
    for apk in file.acquisition.named(f"apps/{name}/a/*.apk")[:_MAX_FILES]:
        entry: dict[str, Any] = {"path": apk.source, "sha256": None, "md5": None, "sha1": None}
        try:
            data = apk.read_bytes(MAX_AB_MEMBER_BYTES)
        except EvidenceError:
            data = None      # too large to hold from the streamed backup: named, not hashed
        if data is not None:
            entry.update(sha256=hashlib.sha256(data).hexdigest(),
                         md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                         sha1=hashlib.sha1(data, usedforsecurity=False).hexdigest())
        apks.append(entry)
    return apks
