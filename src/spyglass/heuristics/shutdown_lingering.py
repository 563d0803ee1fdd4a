"""A program that delayed a reboot from a place where iOS keeps no programs.

Reads the `shutdown_log` client records. iOS ships its programs read-only, under /System/,
/usr/, /sbin/, /bin/ and /Applications/, in cryptexes (/private/preboot/Cryptexes/, also seen
as /System/Cryptexes/), as apps staged with the system (/private/var/staged_system_apps/,
blacktop/ipsw-diffs) or installed with their extensions (/private/var/containers/Bundle/), and
on the Developer disk image (/Developer/); the kernel is listed as /kernel (iOS 26, tracescan). Kaspersky's
iShutdown research (securelist.com, 2024) found Pegasus delaying reboots from /private/var/db/
(its com.apple.xpc.roleaccountd.staging folder) and Predator from /private/var/tmp/, and flags
both folders; a program anywhere else outside those locations (/private/var/mobile/Library/...,
/private/var/root/...) has no reason to be there either.
  - a client outside the locations above: high, one finding per program path, naming how many
    reboots it delayed;
  - the one exception seen on clean phones, iOS's role-account workspace
    /private/var/db/com.apple.xpc.roleaccountd.staging/exec/<n>.<n>.xpc/<program> (for
    instance com.apple.NRD.UpdateBrainService while an update installs; iAnonymous3000/tracescan
    heuristics.rs): low.
A client logged without a path says nothing of where it ran and is not reported. Paths are
compared after "." and ".." are resolved and /var, /tmp are read as /private/var, /private/var/tmp.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _ios_processes, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="shutdown_lingering",
    description="Program delaying a reboot from outside iOS's program folders (shutdown.log)",
    modules=frozenset({"shutdown_log"}),
    keep=lambda record: record.fields.get("record_type") == "client",
)

STAGING = "/private/var/db/com.apple.xpc.roleaccountd.staging/"
APPLE_WORKSPACE = re.compile(re.escape(STAGING) + r"exec/\d+\.\d+\.xpc/[^/]+")
WHERE = (
    (STAGING, "in the folder where Pegasus hid its programs (/private/var/db/com.apple.xpc.roleaccountd.staging/)"),
    ("/private/var/db/", "in /private/var/db/, where Pegasus ran from"),
    ("/private/var/tmp/", "in /private/var/tmp/, where Predator ran from"),
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    programs: dict[str, list[Record]] = {}
    for record in records.get("shutdown_log", ()):
        path = location(record.fields.get("process_path"))
        if path is not None and not shipped(path):
            programs.setdefault(path, []).append(record)
    for path, seen in programs.items():
        seen.sort(key=lambda r: (r.timestamp is None, r.timestamp or 0))
        first = seen[0]
        name = first.fields.get("process_name") or path.rsplit("/", 1)[-1]
        when = _reboots(seen)
        if APPLE_WORKSPACE.fullmatch(path):
            yield suspicious(
                HEURISTIC, first,
                f"The program {name} was still running {when}, from {path}: a workspace iOS uses for its "
                "own helpers (for instance while installing an update), inside the folder Pegasus also "
                "used. Worth a look only alongside other signs",
                severity="low", observable=Observable("file_path", path))
            continue
        where = next((text for prefix, text in WHERE if path.startswith(prefix)),
                     "in a folder where iOS keeps no programs")
        yield suspicious(
            HEURISTIC, first,
            f"The program {name} ({path}) was still running {when}, and it ran {where}. iOS's own programs "
            "and apps are never kept there; spyware such as Pegasus and Predator was found this way "
            "(Kaspersky, 2024). Seek expert help, and keep the phone as it is",
            severity="high", observable=Observable("file_path", path))


def location(value: object) -> str | None:
    """The folder a client ran from, as compared: absolute, dots resolved, /var read as /private/var."""
    if not isinstance(value, str) or not value.startswith("/"):
        return None
    path = posixpath.normpath(value)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return _ios_processes.normal_path(path)


def shipped(path: str) -> bool:
    """Whether iOS keeps programs where `path` is: the system's folders or an installed app's bundle."""
    return _ios_processes.place(path) != "odd"


def _reboots(seen: list[Record]) -> str:
    times = sorted({r.fields.get("reboot_time") for r in seen if r.fields.get("reboot_time")})
    undated = any(not r.fields.get("reboot_time") for r in seen)
    count = len(times) + undated
    if not times:
        return "when the phone was shutting down (the log gives no time)"
    if count == 1:
        return f"when the phone restarted on {times[0]}"
    span = f"from {times[0]} to {times[-1]}" if len(times) > 1 else f"on {times[0]} and once more"
    return f"at {count} restarts of the phone, {span}"
