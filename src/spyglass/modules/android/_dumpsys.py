"""The shared dumpsys section splitter: one reader for androidqf's dumpsys.txt and a bug report's
dumpstate text, which hold the same sections.

Format (AOSP frameworks/native/cmds/dumpsys/dumpsys.cpp, writeDumpHeader / writeDumpFooter; seen
in MVT's tests/artifacts/androidqf/dumpsys.txt and android_data/bugreport/dumpstate.txt): every
service's dump opens with a line of 79 dashes and "DUMP OF SERVICE <name>:" (dumpstate's priority
passes write "DUMP OF SERVICE CRITICAL <name>:" / "HIGH <name>:"), and closes with
"--------- 0.053s was the duration of dumpsys <name>, ending at: 2022-03-29 23:14:27" (the
device's local time). A bug report's dumpstate also holds getprop output
("[persist.sys.timezone]: [Europe/Paris]") before its dumpsys passes: the zone that turns the
local times printed by services into UTC. androidqf's dumpsys.txt has no zone: times stay local.

The file is read once, line by line (each line already cut by `EvidenceFile.lines`); only the
sections asked for are kept, each bounded in lines and characters, and a section cut short
(a truncated file, no footer) is still given, marked `complete=False`.

Also here, shared by the modules that read them: dumpstate's own command sections
(`command_lines`: "------ SYSTEM PROPERTIES (getprop) ------"), and the "Packages:" list of
dumpsys package (`dumped_packages`), with the layouts they follow per Android version.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from spyglass.acquisitions.base import ANDROID_BUGREPORT, ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError, NotPresent
from spyglass.timestamps import named_zone

# Where the dumpsys text is in each kind: androidqf names it; a bug report's main_entry.txt
# names bugreport-<device>-<build>-<date>.txt (older reports: dumpstate-<date>.txt, or plain
# dumpstate.txt, as in MVT's own test bug report).
DUMPSYS_FILES = {ANDROIDQF: ("dumpsys.txt",), ANDROID_BUGREPORT: ("bugreport-*.txt", "dumpstate-*.txt", "dumpstate.txt")}

SEPARATOR = "-" * 79
HEADER = "DUMP OF SERVICE "
PRIORITIES = frozenset({"CRITICAL", "HIGH", "NORMAL"})
FOOTER = re.compile(r"-{9} [\d.]+s was the duration of dumpsys (\S+), ending at: "
                    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
TIMEZONE = re.compile(r"\[persist\.sys\.timezone\]: \[([A-Za-z0-9_+\-/]{1,64})\]")
MAX_SECTION_LINES = 1_000_000
MAX_SECTION_CHARS = 64 * 1024 * 1024
MAX_SECTIONS = 64            # occurrences of the asked-for services kept from one file
MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class Section:
    """One service's dump: its lines (header and footer left out)."""

    service: str
    lines: list[str]
    ended_at: str | None     # the footer's local time, "2022-03-29 23:14:27"
    timezone: str | None     # persist.sys.timezone seen before the section, if any
    complete: bool           # its footer or the next section's separator was seen
    truncated: bool          # cut at MAX_SECTION_LINES / MAX_SECTION_CHARS


def service_name(line: str) -> str | None:
    """The service a "DUMP OF SERVICE [PRIORITY] <name>:" line opens, else None."""
    if not line.startswith(HEADER) or not line.endswith(":"):
        return None
    name = line[len(HEADER):-1].strip()
    priority, _, rest = name.partition(" ")
    if rest and priority in PRIORITIES:
        name = rest.strip()
    if not name or len(name) > MAX_NAME_CHARS or " " in name:
        return None
    return name


def sections(file: EvidenceFile, services: Collection[str]) -> Iterator[Section]:
    """Every section of `services` in `file`, in file order.

    EvidenceError when the file holds no "DUMP OF SERVICE" section at all (not dumpsys output);
    NotPresent when it holds sections, none of them one asked for."""
    wanted = frozenset(services)
    # The acquisition's zone (androidqf's getprop, a bug report's properties) when it knows one,
    # else what the file names before a section.
    timezone = device_zone(file)
    current: str | None = None
    lines: list[str] = []
    chars = 0
    truncated = False
    headers = found = 0

    def close(ended_at: str | None, complete: bool) -> Section:
        return Section(current or "", lines, ended_at, timezone, complete, truncated)

    for line in file.lines():
        name = service_name(line) if line.startswith(HEADER) else None
        if name is not None:
            headers += 1
            if current is not None:
                found += 1
                yield close(None, True)
            current, lines, chars, truncated = None, [], 0, False
            if name in wanted and found < MAX_SECTIONS:
                current = name
            continue
        if line.startswith("---------"):
            footer = FOOTER.match(line)
            if footer or line == SEPARATOR:
                if current is not None:
                    found += 1
                    yield close(footer.group(2) if footer else None, True)
                current = None
                continue
        if current is None:
            if timezone is None and line.startswith("[persist.sys.timezone]"):
                match = TIMEZONE.match(line)
                timezone = match.group(1) if match else None
            continue
        if truncated:
            continue
        if len(lines) >= MAX_SECTION_LINES or chars + len(line) > MAX_SECTION_CHARS:
            truncated = True
            continue
        lines.append(line)
        chars += len(line)
    if current is not None:
        found += 1
        yield close(None, False)
    if not headers:
        raise EvidenceError(f"{file.source}: no 'DUMP OF SERVICE' section: not dumpsys output")
    if not found:
        raise NotPresent(f"{file.source}: no dumpsys section of {', '.join(sorted(wanted))}")


def device_zone(file: EvidenceFile) -> str | None:
    """The acquisition's `timezone` fact (an IANA name it checked), or None."""
    facts = getattr(getattr(file, "acquisition", None), "facts", None)
    name = facts.get("timezone") if isinstance(facts, dict) else None
    return name if named_zone(name) is not None else None


def local_time(text: str | None, fmt: str, timezone: str | None) -> datetime | None:
    """A local time as a service printed it, in UTC when the device's zone is known, else None."""
    tz = named_zone(timezone)
    if tz is None or not text:
        return None
    try:
        moment = datetime.strptime(text, fmt)
    except ValueError:
        return None
    if not 1990 <= moment.year < 2100:
        return None
    return moment.replace(tzinfo=tz).astimezone(UTC)


DURATION = re.compile(r"([+-]?)((?:\d{1,9}(?:d|h|ms|m|s))+)$")
_UNIT = re.compile(r"(\d{1,9})(ms|d|h|m|s)")
_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def duration(text: str) -> timedelta | None:
    """An Android TimeUtils.formatDuration text ("+1d2h3m4s5ms", "-4h50m23s772ms") as a positive
    timedelta (the sign is the caller's to read), None when it is not one."""
    match = DURATION.match(text.strip())
    if not match:
        return None
    seconds = sum(int(number) * _SECONDS[unit] for number, unit in _UNIT.findall(match.group(2)))
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        return None


def package_of(component: str) -> str | None:
    """The package of a flattened component ("com.a/.Svc", "ComponentInfo{com.a/com.a.Svc}")."""
    package, slash, _ = component.removeprefix("ComponentInfo{").rstrip("}").partition("/")
    package = package.strip()
    return package if slash and _PACKAGE.fullmatch(package) else None


def component_text(component: str) -> str:
    """A component as ComponentName.flattenToString writes it: "com.a/.Svc" (the short form
    dumps print) and "ComponentInfo{com.a/com.a.Svc}" both become "com.a/com.a.Svc", so one
    component reads the same in every section."""
    text = component.strip().removeprefix("ComponentInfo{").removesuffix("}").strip()
    package, slash, name = text.partition("/")
    if slash and name.startswith("."):
        return f"{package}/{package}{name}"
    return text


_PACKAGE = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")


# -- dumpstate command sections ------------------------------------------------------------------
# dumpstate (AOSP frameworks/native/cmds/dumpstate/dumpstate.cpp, RunCommand / DurationReporter)
# opens each command's output with "------ <TITLE> (<command>) ------" and, on Android 8 and
# later, closes it with "------ 0.050s was the duration of '<TITLE>' ------". Some commands run
# in parallel, so another command's header or duration line (and its "*** command ... failed"
# note) can land in the middle of a section (seen in real dumps; MVT's bugreport tests keep one):
# only the section's own duration line ends it.

COMMAND_HEADER = re.compile(r"------ (.{1,200}?) \(.{0,1000}\) ------\s*$")
COMMAND_END = re.compile(r"------ [\d.]+s was the duration of '(.{1,200})' ------\s*$")
MAX_COMMAND_LINES = 2_000_000


def command_lines(file: EvidenceFile, title: str) -> Iterator[str]:
    """The output lines of dumpstate's `title` section ("SYSTEM PROPERTIES"), foreign
    "------" and "*** " lines left out, up to its own duration line (or the end of the file).

    EvidenceError when the file holds neither a dumpstate section header nor a dumpsys service
    (not dumpstate output); NotPresent when it holds sections but not this one, or only dumpsys
    output (MVT's sample bug report keeps such a dumpstate.txt: "DUMP OF SERVICE" blocks only)."""
    inside = dumpsys = False
    headers = kept = 0
    for line in file.lines():
        if not line.startswith(("------ ", "*** ")):
            if inside:
                if kept >= MAX_COMMAND_LINES:
                    return
                kept += 1
                yield line
            elif not dumpsys and line.startswith(HEADER):
                dumpsys = True
            continue
        if inside:
            end = COMMAND_END.match(line)
            if end and end.group(1) == title:
                return
            continue
        header = COMMAND_HEADER.match(line)
        if header:
            headers += 1
            inside = header.group(1) == title
    if inside:
        return                     # cut short: what was there is given
    if headers:
        raise NotPresent(f"{file.source}: no '{title}' section")
    if dumpsys:
        raise NotPresent(f"{file.source}: dumpsys output only, no '{title}' section")
    raise EvidenceError(f"{file.source}: no '------ <section> (<command>) ------' line: not dumpstate output")


# -- dumpsys package: the "Packages:" list ---------------------------------------------------------
# AOSP services/core/java/com/android/server/pm/Settings.java, dumpPackageLPr (Android 9 seen in
# LineageOS 16; Android 15/16 in current AOSP), and MVT's tests/artifacts/android_data/
# dumpsys_packages.txt (a Samsung Android 10): under "Packages:" at the margin, one block per
# package opened by "  Package [<name>] (<identity hash>):"; its values at four spaces
# ("    userId=10143" up to Android 13, "    appId=10143" later; "    codePath=", "    versionCode=1
# minSdk=29 targetSdk=29", "    flags=[ SYSTEM HAS_CODE ]", "    firstInstallTime=2024-05-01
# 10:00:00" (local time, SimpleDateFormat "yyyy-MM-dd HH:mm:ss"), "    installerPackageName=" (only
# when set up to Android 13; always, "null" when none, later), "    installInitiatingPackageName=" /
# "    installOriginatingPackageName=" (Android 11-13) or "    initiatingPackageName=" /
# "    originatingPackageName=" and "    packageSource=" (later),
# "    signatures=PackageSignatures{6c98c74 version:2, signatures:[b378e95c], past signatures:[]}"
# (Signature.hashCode in hex, no digest; Android 8: "PackageSignatures{2f0b6c5 [53bc5e6c]}"));
# lists under a four-space header ("    requested permissions:" (only for one package's dump on
# recent versions), "    install permissions:" with "      android.permission.INTERNET:
# granted=true" items); then one line per user, "    User 0: ceDataInode=... installed=true
# hidden=false suspended=false ... enabled=0 ...", with that user's values at six spaces
# ("      firstInstallTime=" on Android 14 and later, "      gids=[3003]") and lists
# ("      runtime permissions:" with items at eight, "      disabledComponents:"). The list ends
# at the next line at the margin ("Hidden system packages:", the factory copies of updated system
# apps, is not read: those packages are listed above already).

PACKAGE_HEADER = re.compile(r"  Package \[([^\]\s]{1,1024})\] \([0-9a-fA-F]{1,16}\):\s*$")
USER_LINE = re.compile(r"User (\d{1,6}): ?(.*)$")
MAX_PACKAGES = 100_000
MAX_ITEMS = 4_096          # entries of one list (permissions, components) of one package
MAX_VALUES = 256           # key=value lines of one package, or of one of its users
MAX_USERS = 64


@dataclass(slots=True)
class DumpedUser:
    """One "User N:" line of a package and what follows it."""

    user: int
    state: dict[str, str]                                  # installed=true hidden=false ... enabled=0
    values: dict[str, str]                                 # firstInstallTime=..., gids=[...]
    lists: dict[str, list[str]]                            # "runtime permissions": item lines


@dataclass(slots=True)
class DumpedPackage:
    """One "Package [name] (hash):" block of dumpsys package, its text values as printed."""

    name: str
    values: dict[str, str]
    lists: dict[str, list[str]]
    users: list[DumpedUser]


def dumped_packages(lines: list[str]) -> Iterator[DumpedPackage]:
    """The packages of the "Packages:" list of a package section, in dump order."""
    in_list = False
    current: DumpedPackage | None = None
    count = 0
    reader = _PackageReader()
    for line in lines:
        if not in_list:
            in_list = line.rstrip() == "Packages:"
            continue
        if not line.strip():
            continue
        if not line.startswith(" "):
            break                          # the next list at the margin
        header = PACKAGE_HEADER.match(line)
        if header:
            if current is not None:
                yield current
            count += 1
            if count > MAX_PACKAGES:
                return
            current = DumpedPackage(header.group(1), {}, {}, [])
            reader = _PackageReader()
            continue
        if current is not None:
            reader.read(current, line)
    if current is not None:
        yield current


class _PackageReader:
    """Puts one package's lines in their place, by indentation (see the notes above)."""

    __slots__ = ("block", "block_indent", "user")

    def __init__(self) -> None:
        self.block: list[str] | None = None
        self.block_indent = 0
        self.user: DumpedUser | None = None

    def read(self, package: DumpedPackage, line: str) -> None:
        text = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if self.block is not None and indent > self.block_indent:
            if len(self.block) < MAX_ITEMS:
                self.block.append(text)
            return
        self.block = None
        if indent <= 4:
            self.user = None
            if user := USER_LINE.match(text):
                if len(package.users) < MAX_USERS:
                    self.user = DumpedUser(int(user.group(1)), _pairs(user.group(2)), {}, {})
                    package.users.append(self.user)
                return
            self._place(package.values, package.lists, text, indent)
        elif self.user is not None:
            self._place(self.user.values, self.user.lists, text, indent)

    def _place(self, values: dict[str, str], lists: dict[str, list[str]], text: str, indent: int) -> None:
        key, equals, value = text.partition("=")
        if text.endswith(":") and not equals:
            name = text[:-1].strip()
            if name not in lists and len(lists) < MAX_VALUES:
                lists[name] = []
            self.block, self.block_indent = lists.get(name), indent
        elif equals and " " not in key and key not in values and len(values) < MAX_VALUES:
            values[key] = value.strip()


def _pairs(text: str) -> dict[str, str]:
    """The key=value words of a "User 0: ceDataInode=... installed=true ..." line."""
    found: dict[str, str] = {}
    for word in text.split()[:MAX_VALUES]:
        key, equals, value = word.partition("=")
        if equals and key not in found:
            found[key] = value
    return found


def granted(items: list[str]) -> Iterator[tuple[str, bool | None]]:
    """(permission, granted) of "android.permission.CAMERA: granted=true, flags=[ ... ]" items;
    granted None when the item says neither (a requested permission: "X: restricted=true")."""
    for item in items:
        name, _, rest = item.partition(":")
        name = name.strip()
        if not _PERMISSION.fullmatch(name):
            continue
        state = rest.strip()
        yield name, (True if state.startswith("granted=true") else False if state.startswith("granted=false")
                     else None)


_PERMISSION = re.compile(r"[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*")
