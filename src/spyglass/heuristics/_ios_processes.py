"""The programs iOS ships, and the folders it runs programs from: for heuristics that flag the rest.

The names live in `spyglass/data/ios_processes.txt` (sources, licences and how to refresh it are
in its header). A name is compared as iOS shows it, case-sensitively (Pegasus ran as
`Diagnosticd` beside Apple's `diagnosticd`), and cut short the way the kernel cuts it: a process
name is kept in `p_comm` (MAXCOMLEN, 16 characters) and `p_name` (2 * MAXCOMLEN, 32), and
DataUsage.sqlite and netusage.sqlite show names cut at either length (`CommCenterMobile`,
`TwitterNotificationServiceExtens`); tools that count the terminating NUL cut one character
earlier. A name of such a length is known when it begins a known name. Apple's code-signing
identifiers (`com.apple.kbd`, as netusage names some daemons) are known when the rest is.
"""

from __future__ import annotations

import bisect
from functools import cache
from importlib.resources import files

DATA_FILE = "ios_processes.txt"
TRUNCATED_LENGTHS = frozenset({15, 16, 31, 32})
APPLE = "com.apple."
MAX_NAME_CHARS = 1024

# Folders of the sealed system volume (and the cryptexes and developer disk image mounted
# beside it) and of Apple's removable system apps: programs there are Apple's.
SYSTEM_FOLDERS = ("/System/", "/usr/", "/bin/", "/sbin/", "/Applications/", "/Developer/",
                  "/private/preboot/Cryptexes/", "/private/var/staged_system_apps/")
# Files of the system that are no folder: the kernel is listed as /kernel (shutdown.log, iOS 26).
SYSTEM_FILES = frozenset({"/kernel"})
# Installed apps (App Store, TestFlight, developer and enterprise installs): each in a UUID
# folder, its executables inside the .app bundle (extensions under PlugIns/ and Extensions/).
APP_BUNDLES = "/private/var/containers/Bundle/Application/"
# iOS links /var to /private/var and /tmp to /private/var/tmp; reports show either spelling.
PATH_ALIASES = (("/var/", "/private/var/"), ("/tmp/", "/private/var/tmp/"), ("/private/tmp/", "/private/var/tmp/"),
                ("/preboot/", "/private/preboot/"), ("/etc/", "/private/etc/"))


@cache
def _catalogue() -> tuple[frozenset[str], tuple[str, ...], dict[str, str]]:
    """The known names, the same sorted (for prefix look-ups), and by lower case (for look-alikes)."""
    text = (files("spyglass") / "data" / DATA_FILE).read_text(encoding="utf-8")
    names = frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return names, tuple(sorted(names)), {name.lower(): name for name in sorted(names)}


def known_names() -> frozenset[str]:
    return _catalogue()[0]


def is_known(name: str) -> bool:
    """Whether `name` (a process name or a com.apple identifier, as iOS shows it) is one iOS ships."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
        return False
    names, ordered, _ = _catalogue()
    rest = name[len(APPLE):] if name.startswith(APPLE) else None
    if name in names or (rest is not None and rest in names):
        return True
    if len(name) in TRUNCATED_LENGTHS:
        return _begins_a_name(name, ordered) or (rest is not None and bool(rest) and _begins_a_name(rest, ordered))
    return False


def resembles(name: str) -> str | None:
    """The known name `name` differs from only in capital letters (a look-alike), if any."""
    if not isinstance(name, str) or is_known(name):
        return None
    return _catalogue()[2].get(name.lower())


def normal_path(path: str) -> str:
    for alias, real in PATH_ALIASES:
        if path.startswith(alias):
            return real + path[len(alias):]
    return path


def place(path: str) -> str:
    """Where a program at `path` lives: "system" (Apple's), "app" (an installed app's bundle) or
    "odd" (anywhere else: the data folders, where iOS keeps no programs)."""
    path = normal_path(path)
    if any(part in (".", "..") for part in path.split("/")):
        return "odd"     # a path that climbs cannot vouch for the folder it names
    if path in SYSTEM_FILES or path.startswith(SYSTEM_FOLDERS):
        return "system"
    if path.startswith(APP_BUNDLES):
        parts = path[len(APP_BUNDLES):].split("/")
        # <UUID>/<Name>.app/<executable>, or deeper inside the bundle; never above it.
        if len(parts) >= 3 and parts[1].endswith(".app"):
            return "app"
    return "odd"


def _begins_a_name(prefix: str, ordered: tuple[str, ...]) -> bool:
    index = bisect.bisect_left(ordered, prefix)
    return index < len(ordered) and ordered[index].startswith(prefix)
