"""Installed packages: every app androidqf listed, with its APK files' hashes and certificates.

Reads:   androidqf packages.json (androidqf adb/packages.go, modules/packages.go): a JSON list of
         {name, files, installer, uid, disabled, system, third_party}, built from
         `pm list packages -U -u -i` and `pm path`. `installer` is the text after `installer=`:
         "null" when no store installed the app (sideloaded or adb), "" when the phone refused
         `-i`. `files` is null when `pm path` gave nothing. Each file is {path, local_name,
         sha256} (2021), plus md5, sha1, sha512 (2022), plus certificate {Md5, Sha1, Sha256,
         Issuer, Subject, ValidFrom, ValidTo, ...} (apkverifier's CertInfo), verified_certificate,
         trusted_certificate, certificate_error and error (2023 on) when the APK was pulled.
         packages.json holds no permissions or install times: those fields are empty here
         (dumpsys package has them).
Yields:  one record per package, without a timestamp: `package_name`, `installer`, `system`,
         `third_party`, `disabled`, `uid`, `apk_files`, `certificates` (sha256), and the
         contract's `permissions`, `requested_permissions` ([]), `first_install`, `last_update`,
         `hidden_launcher` (None); observables app_id, file_path and hashes of each APK,
         cert_sha256 / cert_sha1 / cert_md5 of its signer.
Seen:    Android 6-16 (androidqf 1.0-1.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import ANDROIDQF, EvidenceFile
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.android._json import json_list
from spyglass.records import Record, flag, observables, text_field

ARTIFACT = Artifact(
    name="android_packages",
    description="Installed packages (androidqf packages.json)",
    platform="android",
    extra={ANDROIDQF: ("packages.json",)},
    os_versions="Android 6-16",
)

_MAX_FILES = 256   # APK splits of one package; real ones have a few dozen at most
_HASH = 256        # characters of a hex digest kept (sha512 is 128)


def parse(file: EvidenceFile) -> Iterator[Record]:
    packages = json_list(file.read_bytes(MAX_PLIST_BYTES), file.source, "packages")
    if packages is None:
        return
    for package in packages:
        if not isinstance(package, dict):
            continue
        name = text_field(package.get("name"), 1024)
        if not name:
            continue
        yield _record(name, package)


def _record(name: str, package: dict[str, Any]) -> Record:
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
        "first_install": None,
        "last_update": None,
        "hidden_launcher": None,
    }
    how = f"installed by {installer}" if installer else "no installer recorded"
    kind = "system" if system else "third-party" if third_party else "package"
    return Record(
        timestamp=None,
        timestamp_desc="",
        message=f"Package {name} ({kind}, {how}{', disabled' if disabled else ''})",
        fields=fields,
        observables=observables(*found),
    )


def _digest(value: Any) -> str | None:
    text = text_field(value, _HASH)
    return text.strip().lower() or None if text else None
