"""Process lists of a sysdiagnose: every process running when it was taken, with its full
command line, user and parent.

Reads:   in a sysdiagnose ps.txt and ps_thread.txt. ps.txt is `ps axwww -o user,uid,prsna,pid,
         ppid,flags,%cpu,%mem,pri,ni,vsz,rss,wchan,tt,stat,start,time,command` (iOS 16 on; the
         header reads USER UID PRSNA PID PPID F %CPU %MEM PRI NI VSZ RSS WCHAN TT STAT STARTED
         TIME COMMAND); before iOS 16 without PRSNA and F (EC-DIGIT-CSIRC/sysdiagnose
         tests/test_parsers_ps.py; the sysdiagnose command list). Columns are split on
         whitespace, COMMAND last with its spaces: argv joined, the executable's full path
         first. ps_thread.txt lists threads too (`ps -M`): a process line, then one line per
         further thread without TT and COMMAND, so a line with fewer fields than the header is
         a thread of the process above (EC-DIGIT-CSIRC/sysdiagnose parsers/psthread.py).
         STARTED is the start as ps prints it (a time today, a weekday, or a date), kept as is.
Yields:  one record per process, timestamped when the list was written (the file's time);
         process observable (the executable's name) and file_path (its full path). An app
         path keeps its spaces ("Secure Chat.app/Secure Chat"); for other commands the path
         ends at the first space, where arguments begin.
Seen:    iOS 12-18.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="ps",
    description="Processes running when the sysdiagnose was taken (ps.txt, ps_thread.txt)",
    extra={SYSDIAGNOSE: ("ps.txt", "ps_thread.txt")},
    os_versions="iOS 12-18",
)

MAX_COLUMNS = 40
MAX_COMMAND_CHARS = 16 * 1024
# ps header -> record field; numbers are kept as numbers where the whole value is one.
COLUMNS = {
    "USER": "user", "UID": "uid", "PRSNA": "persona", "PID": "pid", "PPID": "ppid", "F": "flags",
    "%CPU": "cpu_percent", "%MEM": "memory_percent", "PRI": "priority", "NI": "nice", "VSZ": "virtual_size",
    "RSS": "resident_size", "WCHAN": "wait_channel", "TT": "tty", "STAT": "state", "STARTED": "started",
    "TIME": "cpu_time", "STIME": "system_time", "UTIME": "user_time", "COMMAND": "command",
}
INTEGERS = frozenset({"uid", "pid", "ppid", "nice", "virtual_size", "resident_size"})
DECIMALS = frozenset({"cpu_percent", "memory_percent"})
# "<bundle>.app/<executable>": the executable usually has the bundle's name, spaces and all.
_APP = re.compile(r"(/[^ ]*?/([^/]+)\.app)/")


def parse(file: EvidenceFile) -> Iterator[Record]:
    threads = file.source.rsplit("/", 1)[-1] == "ps_thread.txt"
    written = unix_time(file.meta.get("modified"))
    lines = (line for line in file.lines() if line.strip())
    header_line = next(lines, None)
    if header_line is None:
        return
    header = header_line.split()
    if "PID" not in header or header[-1] != "COMMAND" or len(header) > MAX_COLUMNS:
        raise EvidenceError(f"{file.source}: not a ps listing (header {header_line[:120]!r})")
    process: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=2):
        values = line.split(None, len(header) - 1)
        if len(values) < len(header) and threads and process is not None:
            process["thread_count"] += 1
            continue
        if process is not None:
            yield _record(process, written)
        process = _process(header, values, line, number)
        if threads:
            process["thread_count"] = 1
    if process is not None:
        yield _record(process, written)


def _process(header: list[str], values: list[str], line: str, number: int) -> dict[str, Any]:
    process: dict[str, Any] = {"record_type": "process", "line": number}
    if len(values) < len(header):
        # Not a ps row: kept as it is, for a person to read.
        process.update(record_type="unparsed_line", raw_line=line[:MAX_COMMAND_CHARS])
        return process
    for column, value in zip(header, values, strict=True):
        name = COLUMNS.get(column, column.lower())
        process[name] = _number(name, value)
    command = str(process.get("command", ""))[:MAX_COMMAND_CHARS]
    process["command"] = command
    path, name, arguments = split_command(command)
    process.update(process_name=name, process_path=path, arguments=arguments)
    return process


def split_command(command: str) -> tuple[str | None, str | None, str | None]:
    """(path, name, arguments) of a ps COMMAND: the executable's full path when it has one, the
    name iOS shows (the path's last component), and what follows."""
    command = command.strip()
    if not command:
        return None, None, None
    if not command.startswith("/"):
        name, _, rest = command.partition(" ")
        return None, name, rest.strip() or None
    app = _APP.match(command)
    if app:
        bundle, bundle_name = app.group(1), app.group(2)
        rest = command[app.end():]
        # The executable is named after the bundle when it is followed by nothing or a space.
        if rest == bundle_name or rest.startswith(bundle_name + " "):
            executable, arguments = bundle_name, rest[len(bundle_name):]
        else:
            executable, _, arguments = rest.partition(" ")
        if executable and "/" not in executable:
            return f"{bundle}/{executable}", executable, arguments.strip() or None
    path, _, arguments = command.partition(" ")
    return path, path.rsplit("/", 1)[-1] or None, arguments.strip() or None


def _number(name: str, value: str) -> Any:
    if name in INTEGERS and value.lstrip("-").isdigit() and len(value) <= 20:
        return int(value)
    if name in DECIMALS:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _record(process: dict[str, Any], written: Any) -> Record:
    if process["record_type"] == "unparsed_line":
        return Record(timestamp=written, timestamp_desc="process list written",
                      message=f"Line {process['line']} of the process list could not be read", fields=process)
    name, path = process.get("process_name"), process.get("process_path")
    fields = {**process, "listed_at": iso_utc(written)}
    parent = f", parent {process['ppid']}" if "ppid" in process else ""
    threads = f", {process['thread_count']} threads" if "thread_count" in process else ""
    return Record(
        timestamp=written,
        timestamp_desc="process list written",
        message=f"Process {process.get('command') or name} [{process.get('pid')}] running as "
                f"{process.get('user')}{parent}{threads}",
        fields=fields,
        observables=observables(("process", name), ("file_path", path)),
    )
