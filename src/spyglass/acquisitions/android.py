"""Android acquisitions whose files are named, not placed at device paths: androidqf output
(a folder, its zip, or that zip age-encrypted) and `adb bugreport` zips.

androidqf (github.com/mvt-project/androidqf) writes one folder per acquisition: acquisition.json,
getprop.txt, settings_*.txt, processes.txt, packages.json, dumpsys.txt, files.json,
root_binaries.json, mounts.txt, logcat*.txt, backup.ab, bugreport.zip, apks/, tombstones/, ... A
bug report (`adb bugreport`) is a zip with main_entry.txt naming its dumpstate text
(bugreport-*.txt), and an FS/ tree of copied device files. Modules name these files in the
device-path glob dialect, relative to the acquisition's folder (`Artifact.extra`); FS/ members
also answer device-path globs (`/data/...` is `FS/data/...`). An age-encrypted androidqf zip is
decrypted in memory with pyrage (an identity file, or the passphrase as for any secret), never to
disk.

What androidqf collected inside its folder is opened as part of it, one level deep: its backup.ab
(members `backup.ab/<tar path>`) and its bugreport.zip (members `bugreport.zip/<zip path>`; a zip
inside that zip is a file like any other, never opened). The nested bug report's FS/ tree answers
device-path globs, except files androidqf pulled itself (logs/<device path>, tombstones/<name>,
same name and size): those are read once, from androidqf's copy. Its dumpstate is named
`bugreport.zip/bugreport-*.txt`; the dumpsys modules name only androidqf's own dumpsys.txt for an
androidqf, which holds every service the dumpstate's DUMPSYS pass holds, so nothing is counted
twice.

Acquisition facts (`facts`, also in case.json through `describe()`):
  acquired_at           ISO 8601 UTC, or None when only the phone's local time is known
  acquired_at_local     the phone's local wall-clock time "YYYY-MM-DD HH:MM:SS", when known
  acquired_at_source    where the time was read
  acquired_at_note      said when the time is local with no zone known
  acquisition_completed androidqf's completion time (ISO UTC), else None
  timezone              the phone's IANA time zone (persist.sys.timezone), validated with zoneinfo;
                        an unknown or absurd one is a warning and left out
  timezone_source       where the zone was read
androidqf's acquisition.json holds `started` and `completed` as Go's time.Time encodes it (RFC 3339
with nanoseconds, written in UTC: acquisition/acquisition.go `time.Now().UTC()`; an unset one is
Go's zero time 0001-01-01T00:00:00Z), beside uuid, androidqf_version, storage_path, collector and,
in later versions, tmp_dir, sdcard, cpu; it names no zone. The zone is getprop's
persist.sys.timezone (getprop.txt "[persist.sys.timezone]: [Europe/Paris]"). A bug report's
dumpstate opens with "== dumpstate: 2024-06-01 12:00:00", the phone's local time (AOSP
frameworks/native/cmds/dumpstate/dumpstate.cpp, strftime of localtime), and holds getprop output
with the same property.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from spyglass.acquisitions.base import ANDROID_BUGREPORT, ANDROIDQF, EvidenceFile, FileEntry
from spyglass.acquisitions.containers import FILE, ZIP_ERRORS, Member, ZipContainer, open_container
from spyglass.acquisitions.devpath import DevicePattern, path_name
from spyglass.acquisitions.named import NamedFilesAcquisition, marked_root
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.limits import MAX_AGE_BYTES, MAX_NESTED_ARCHIVE_BYTES, MAX_SQLITE_BYTES, MAX_TEXT_BYTES
from spyglass.timestamps import local_to_utc, named_zone

AGE_MAGIC = b"age-encryption.org/v1\n"
ANDROIDQF_MARKERS = ("acquisition.json", "packages.json", "getprop.txt", "dumpsys.txt", "processes.txt", "backup.ab")
BUGREPORT_MARKERS = ("main_entry.txt", "version.txt")
PROBE_MEMBERS = 5_000
NESTED_BACKUP = "backup.ab"
NESTED_BUGREPORT = "bugreport.zip"
NESTED_FS = f"{NESTED_BUGREPORT}/FS/"
MAX_SMALL_FILE_BYTES = 1024 * 1024          # acquisition.json, main_entry.txt
MAX_HEADER_BYTES = 64 * 1024                # where the dumpstate header is looked for
# The dumpstate text as main_entry.txt names it, or by its usual names (older reports).
DUMPSTATE_NAMES = ("bugreport-*.txt", "dumpstate-*.txt", "dumpstate.txt")
DUMPSTATE_HEADER = b"== dumpstate: "
TIMEZONE_PROPERTY = b"[persist.sys.timezone]: ["
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
# Acquisition times outside these years are a clock never set, or a forgery: left out.
EARLIEST_YEAR, LATEST_YEAR = 2008, 2100
MAX_ZONE_CHARS = 64
LOCAL_NOTE = "the phone's local time; its time zone is unknown"


def empty_facts() -> dict[str, Any]:
    return {"acquired_at": None, "acquired_at_local": None, "acquired_at_source": None, "acquired_at_note": None,
            "acquisition_completed": None, "timezone": None, "timezone_source": None}


class AndroidQF(NamedFilesAcquisition):
    """androidqf output: a folder, its zip, or the zip encrypted with age (`.zip.age`)."""

    kind = ANDROIDQF
    markers = ANDROIDQF_MARKERS

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self.encrypted = root.is_file() and _starts_with(root, AGE_MAGIC)
        container = ZipContainer(root, _age_decrypt(root, secrets)) if self.encrypted else open_container(root)
        self._open(container)
        self._nested: dict[str, tuple[Member, bytes | None]] = {}
        self._bugreport: ZipContainer | None = None
        self._bugreport_members: dict[str, Member] = {}
        self._open_backup(secrets)
        self._open_bugreport()
        self.device = {"os": "Android"}
        self.facts = empty_facts()
        self._facts_source: str | None = None
        self._read_facts()

    def _open_backup(self, secrets: Any) -> None:
        """androidqf's backup.ab (the SMS it could back up): its members named `backup.ab/<path>`,
        read once, in memory; an encrypted one with the password as for any backup."""
        member = self.container.member(self.prefix + NESTED_BACKUP)
        if member is None or member.kind != FILE:
            return
        from spyglass.acquisitions.android_backup import read_backup

        try:
            data = self.container.read(member.path, MAX_SQLITE_BYTES)
            _header, members, held = read_backup(io.BytesIO(data), NESTED_BACKUP, secrets, self.warnings)
        except SpyglassError as exc:     # encrypted without a password, a wrong one, a damaged header
            self.warnings.append(f"{NESTED_BACKUP}: {exc}; the messages in it were not read")
            return
        for path, nested in members.items():
            self._nested[f"{NESTED_BACKUP}/{path}"] = (nested, held.get(path))
        self._relative = sorted([*self._relative, *self._nested])

    def _open_bugreport(self) -> None:
        """androidqf's bugreport.zip: its members named `bugreport.zip/<path>`, one level deep."""
        member = self.container.member(self.prefix + NESTED_BUGREPORT)
        if member is None or member.kind != FILE:
            return
        inner: ZipContainer | None = None
        try:
            inner = ZipContainer(Path(NESTED_BUGREPORT), self.container.read(member.path, MAX_NESTED_ARCHIVE_BYTES))
            members = inner.members()
        except (EvidenceError, *ZIP_ERRORS) as exc:
            if inner is not None:
                inner.close()
            said = str(exc) if str(exc).startswith(NESTED_BUGREPORT) else f"{NESTED_BUGREPORT}: {exc}"
            self.warnings.append(f"{said}; the bug report androidqf collected was not read")
            return
        prefix = marked_root((m.path for m in members), BUGREPORT_MARKERS)
        if prefix is None:
            inner.close()
            self.warnings.append(f"{NESTED_BUGREPORT}: holds none of {', '.join(BUGREPORT_MARKERS)}: "
                                 "not a bug report; not read")
            return
        self.warnings.extend(f"{NESTED_BUGREPORT}: {refusal}" for refusal in inner.refused)
        self._bugreport = inner
        for nested in members:
            if nested.path.startswith(prefix) and len(nested.path) > len(prefix):
                self._bugreport_members[f"{NESTED_BUGREPORT}/{nested.path[len(prefix):]}"] = nested
        self._relative = sorted([*self._relative, *self._bugreport_members])

    def _read_facts(self) -> None:
        facts, warnings = self.facts, self.warnings
        for file in self.named("acquisition.json"):
            info = _json_object(file, warnings)
            started = _go_time(info.get("started"), f"{file.source} started", warnings)
            completed = _go_time(info.get("completed"), f"{file.source} completed", warnings)
            if started is not None or completed is not None:
                facts["acquired_at"] = _iso(started or completed)
                facts["acquired_at_source"] = f"{file.source} ({'started' if started else 'completed'})"
                facts["acquisition_completed"] = _iso(completed)
                self._facts_source = file.source
        for file in self.named("getprop.txt"):
            zone = _zone(_property(_read(file, MAX_SMALL_FILE_BYTES * 16, warnings), TIMEZONE_PROPERTY),
                         file.source, warnings)
            if zone is not None:
                facts["timezone"], facts["timezone_source"] = zone, f"{file.source} (persist.sys.timezone)"
                self._facts_source = self._facts_source or file.source
        if facts["timezone"] is None or facts["acquired_at"] is None:
            # The bug report androidqf collected says what androidqf's own files did not.
            dumpstate = _dumpstate(self, f"{NESTED_BUGREPORT}/", warnings)
            if dumpstate is not None:
                _dumpstate_facts(dumpstate, facts, warnings)
                self._facts_source = self._facts_source or dumpstate.source
        _complete(facts)

    @classmethod
    def probe(cls, path: Path) -> bool:
        if path.is_file() and _starts_with(path, AGE_MAGIC):
            return True     # age-encrypted: androidqf is the tool that writes these
        return cls._probe_container(path)

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["encrypted"] = self.encrypted
        described["facts"] = dict(self.facts)
        if self._bugreport is not None:
            described["nested_bugreport_members"] = len(self._bugreport_members)
        return described

    def whole_source(self, what: str) -> str | None:
        return self._facts_source if what == "device" else super().whole_source(what)

    def named(self, name: str) -> list[EvidenceFile]:
        pattern = DevicePattern("/" + name)
        found = [file for file in super().named(name)
                 if file.source not in self._nested and file.source not in self._bugreport_members]
        for relative, (member, _data) in sorted(self._nested.items()):
            if member.kind == FILE and pattern.match("/" + relative):
                found.append(EvidenceFile(self, relative, None, member.size,
                                          {"size": member.size, "modified": member.modified}, ("nested", relative)))
        for relative, member in self._bugreport_members.items():
            if member.kind == FILE and pattern.match("/" + relative):
                found.append(self._nested_file(relative, member))
        return sorted(found, key=lambda file: file.source)

    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        """Device files the nested bug report copied under FS/, less those androidqf pulled itself."""
        found = []
        for relative, member in sorted(self._bugreport_members.items()):
            if member.kind != FILE or not relative.startswith(NESTED_FS):
                continue
            device_path = relative[len(NESTED_FS) - 1:]
            if pattern.match(device_path) and not self._holds_own_copy(device_path, member.size):
                found.append(self._nested_file(relative, member, device_path))
        return found

    def _holds_own_copy(self, device_path: str, size: int) -> bool:
        """Whether androidqf pulled this device file itself (modules/logs.go keeps it at
        logs/<device path>; tombstones/<name>), at the same size: then it is read from there."""
        own = [f"logs{device_path}"]
        if device_path.startswith("/data/tombstones/"):
            own.append(f"tombstones/{PurePosixPath(device_path).name}")
        for relative in own:
            member = self.container.member(self.prefix + relative)
            if member is not None and member.kind == FILE and member.size == size:
                return True
        return False

    def _nested_file(self, relative: str, member: Member, device_path: str | None = None) -> EvidenceFile:
        meta = {"size": member.size, "mode": member.mode, "modified": member.modified}
        return EvidenceFile(self, relative, device_path, member.size, meta, ("bugreport", member.path))

    def listing(self) -> Iterator[FileEntry]:
        yield from super().listing()
        for relative, member in self._bugreport_members.items():
            device_path = relative[len(NESTED_FS) - 1:] if relative.startswith(NESTED_FS) else None
            yield FileEntry(source=relative, device_path=device_path, kind=member.kind, size=member.size,
                            mode=member.mode, modified=member.modified, name=path_name(relative))

    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        if isinstance(file.key, tuple) and file.key[0] == "bugreport" and self._bugreport is not None:
            try:
                data = self._bugreport.read(file.key[1], limit)
            except EvidenceError as exc:    # named by the member's path inside the nested zip
                raise EvidenceError(f"{NESTED_BUGREPORT}/{exc}") from exc
            return bytearray(data) if mutable else data
        if isinstance(file.key, tuple):
            data = self._nested[file.key[1]][1]
            if data is None:
                raise EvidenceError(f"{file.source}: too large to hold from a streamed backup")
            if len(data) > limit:
                raise EvidenceError(f"{file.source}: {len(data)} bytes is over the {limit} byte bound")
            return bytearray(data) if mutable else data
        return super()._read(file, limit, mutable)

    def close(self) -> None:
        if self._bugreport is not None:
            self._bugreport.close()
        super().close()


class AndroidBugreport(NamedFilesAcquisition):
    """An `adb bugreport` zip (or its extracted folder): dumpstate text, FS/ tree, ..."""

    kind = ANDROID_BUGREPORT
    markers = BUGREPORT_MARKERS

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self._open(open_container(root))
        self.device = {"os": "Android"}
        self.facts = empty_facts()
        self._facts_source: str | None = None
        dumpstate = _dumpstate(self, "", self.warnings)
        if dumpstate is not None:
            _dumpstate_facts(dumpstate, self.facts, self.warnings)
            self._facts_source = dumpstate.source
        _complete(self.facts)

    @classmethod
    def probe(cls, path: Path) -> bool:
        return cls._probe_container(path)

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["facts"] = dict(self.facts)
        return described

    def whole_source(self, what: str) -> str | None:
        return self._facts_source if what == "device" else super().whole_source(what)

    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        """Device files copied under FS/ (FS/data/... is /data/...)."""
        found = []
        for relative in self._relative:
            if relative.startswith("FS/") and pattern.match(relative[2:]):
                member = self.container.member(self.prefix + relative)
                if member is not None and member.kind == FILE:
                    found.append(self._file(member, relative, relative[2:]))
        return found


def _dumpstate(acquisition: NamedFilesAcquisition, folder: str, warnings: list[str]) -> EvidenceFile | None:
    """The dumpstate text of the bug report in `folder` ("" or "bugreport.zip/"): the file its
    main_entry.txt names, else the first of its usual names."""
    entries = acquisition.named(f"{folder}main_entry.txt")
    if entries:
        name = _read(entries[0], 4096, warnings).decode("utf-8", "replace").strip()
        plain = name and len(name) < 256 and name.isprintable() and not any(c in name for c in "*?{}[]")
        try:
            named = acquisition.named(f"{folder}{name}") if plain else []
        except ValueError:      # "//x", "/x": not a name of the glob dialect
            named = []
        if named:
            return named[0]
    for pattern in DUMPSTATE_NAMES:
        found = acquisition.named(f"{folder}{pattern}")
        if found:
            return found[0]
    return None


def _dumpstate_facts(file: EvidenceFile, facts: dict[str, Any], warnings: list[str]) -> None:
    """The dumpstate header's local time, and persist.sys.timezone from its getprop section."""
    data = _read(file, MAX_TEXT_BYTES, warnings)
    if facts["timezone"] is None:
        zone = _zone(_property(data, TIMEZONE_PROPERTY), file.source, warnings)
        if zone is not None:
            facts["timezone"], facts["timezone_source"] = zone, f"{file.source} (persist.sys.timezone)"
    if facts["acquired_at"] is not None:
        return
    head = data[:MAX_HEADER_BYTES]
    start = head.find(DUMPSTATE_HEADER)
    if start < 0:
        return
    text = head[start + len(DUMPSTATE_HEADER):].split(b"\n", 1)[0].strip().decode("ascii", "replace")
    try:
        local = datetime.strptime(text[:19], LOCAL_FORMAT)
    except ValueError:
        warnings.append(f"{file.source}: the dumpstate header's time {text[:40]!r} is not a time; ignored")
        return
    if not EARLIEST_YEAR <= local.year < LATEST_YEAR:
        warnings.append(f"{file.source}: the dumpstate header's time {text[:19]} is implausible; ignored")
        return
    facts["acquired_at_local"] = local.strftime(LOCAL_FORMAT)
    facts["acquired_at_source"] = f"{file.source} (dumpstate header)"


def _complete(facts: dict[str, Any]) -> None:
    """Each of UTC and local time from the other when the zone is known; the note when it is not."""
    zone = named_zone(facts["timezone"]) if facts["timezone"] else None
    if facts["acquired_at"] is None and facts["acquired_at_local"] is not None:
        facts["acquired_at"] = _iso(local_to_utc(datetime.strptime(facts["acquired_at_local"], LOCAL_FORMAT), zone))
        if facts["acquired_at"] is None:
            facts["acquired_at_note"] = LOCAL_NOTE
    elif facts["acquired_at"] is not None and facts["acquired_at_local"] is None and zone is not None:
        moment = datetime.fromisoformat(facts["acquired_at"].replace("Z", "+00:00"))
        facts["acquired_at_local"] = moment.astimezone(zone).strftime(LOCAL_FORMAT)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds") + "Z"


def _read(file: EvidenceFile, limit: int, warnings: list[str]) -> bytes:
    try:
        return bytes(file.read_bytes(limit))
    except EvidenceError as exc:
        warnings.append(f"{exc}; the acquisition facts in it were not read")
        return b""


def _json_object(file: EvidenceFile, warnings: list[str]) -> dict[str, Any]:
    data = _read(file, MAX_SMALL_FILE_BYTES, warnings)
    if not data:
        return {}
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        warnings.append(f"{file.source}: not JSON; the acquisition time in it was not read")
        return {}
    if not isinstance(value, dict):
        warnings.append(f"{file.source}: not a JSON object; the acquisition time in it was not read")
        return {}
    return value


def _go_time(value: object, source: str, warnings: list[str]) -> datetime | None:
    """A time as Go's encoding/json writes time.Time (RFC 3339, nanoseconds), in UTC; None for
    an absent or zero one (0001-01-01T00:00:00Z); a naive one is read as UTC (androidqf writes UTC)."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    text = value.strip()[:64]
    head, dot, rest = text.partition(".")
    if dot:   # Python reads at most microseconds: the nanoseconds' last digits dropped
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}" if digits else head + rest
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        warnings.append(f"{source}: {value[:64]!r} is not a time; ignored")
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if not EARLIEST_YEAR <= moment.year < LATEST_YEAR:
        warnings.append(f"{source}: {value[:64]!r} is implausible; ignored")
        return None
    return moment


def _property(data: bytes, prefix: bytes) -> str | None:
    """The value of a getprop line "[name]: [value]" at the start of a line, the first one."""
    start = 0
    while (found := data.find(prefix, start)) >= 0:
        if found == 0 or data[found - 1:found] in (b"\n", b"\r"):
            value = data[found + len(prefix):found + len(prefix) + 4 * MAX_ZONE_CHARS].split(b"\n", 1)[0]
            value = value.rstrip(b"\r").removesuffix(b"]")
            return value.decode("utf-8", "replace")
        start = found + 1
    return None


def _zone(name: str | None, source: str, warnings: list[str]) -> str | None:
    """`name` if it is an IANA zone zoneinfo knows, else None (a warning when one was given; never
    zoneinfo's own error text, which names the analyst's files)."""
    if name is None or not name.strip():
        return None
    name = name.strip()
    if named_zone(name) is not None:
        return name
    warnings.append(f"{source}: the time zone {name[:MAX_ZONE_CHARS]!r} is not a known time zone; ignored")
    return None


def _age_decrypt(path: Path, secrets: Any) -> bytes:
    """The plaintext of an age file, in memory: to an X25519 identity, or to a passphrase."""
    import pyrage

    size = path.stat().st_size
    if size > MAX_AGE_BYTES:
        raise EvidenceError(f"{path.name}: {size} bytes is over the {MAX_AGE_BYTES} byte bound for decryption in memory")
    data = path.read_bytes()
    header = data[:4096]
    if secrets is None:
        raise SpyglassError(f"{path.name} is age-encrypted: give --age-identity FILE or its passphrase")
    try:
        if b"\n-> scrypt " in header:
            return pyrage.passphrase.decrypt(data, secrets.secret_password().reveal().decode("utf-8"))
        text = secrets.age_identities().reveal().decode("utf-8", "replace")
        identities = [pyrage.x25519.Identity.from_str(line.strip()) for line in text.splitlines()
                      if line.strip().startswith("AGE-SECRET-KEY-")]
        if not identities:
            raise SpyglassError("the --age-identity file holds no AGE-SECRET-KEY- line")
        return pyrage.decrypt(data, identities)
    except pyrage.DecryptError:
        # Never echo what pyrage says: it may quote the header, and the secret is ours to keep.
        raise SpyglassError(f"{path.name}: cannot decrypt with the identity or passphrase given "
                            "(wrong key or passphrase, or a damaged file)") from None
    except pyrage.IdentityError:
        raise SpyglassError("the --age-identity file is not an age identity") from None
    finally:
        if hasattr(secrets, "forget"):
            secrets.forget()


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(magic)) == magic
    except OSError:
        return False
