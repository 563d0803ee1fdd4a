"""The evidence around an incident: its context (a mini-timeline) and its leads.

Context: the records of every module with a time within the incident's span widened by a
margin (DEFAULT_MARGIN, five minutes, before and after), one row per distinct time a record holds (its
own timestamp and the other times reports/timesketch.py's RECORD_TIMES declares: a file's
created and changed times, a process's first and last network use), sorted by time. At most
`limit` rows (MAX_CONTEXT_ROWS); when there are more, the rows of findings are kept first, then
those nearest the incident's span, and the number left out is said.

Leads: observables in an incident's context (and the domain of each URL) that no feed lists: a domain visited seconds after
an exploit link, a process first seen in the incident's minutes, an account looked up just
before. They are candidates for new indicators, for a person or a lab to judge, never findings:
they change no verdict, no strength and no exit status. Left out: values already matched (and
for a domain, its subdomains; for a URL, one on a matched domain; for a matched record, its program, files, app and hashes,
which name the thing matched), the domains every phone
reaches (spyglass/data/common_domains.txt, and their subdomains), programs iOS ships
(heuristics/_ios_processes.py) and those of the platform's own apps, Apple's and Android's own app ids, Apple's own sender addresses (@apple.com), file paths outside system
folders and file names (the path says more), and processes not seen starting (a row saying
a last use is no first sighting). Informational incidents (minor suspicious signs only) get none.

The case's records are streamed, never loaded whole: a line is decoded only when one of the
ISO 8601 times written in it falls in some incident's window, so a case of a million records
is read in bounded memory with one pass for all incidents.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from spyglass import wording
from spyglass.case import loads, read_detections
from spyglass.detections import INDICATOR, Detection
from spyglass.errors import SpyglassError
from spyglass.incidents import finding_ids, read_incidents
from spyglass.records import Record, iso_utc, parse_iso
from spyglass.reports.timesketch import record_times

DEFAULT_MARGIN = timedelta(minutes=5)
MAX_CONTEXT_ROWS = 200
MAX_LEADS = 50
MAX_LEAD_CANDIDATES = 2000      # distinct values weighed per incident before the nearest are kept
MAX_ROW_MESSAGE = 300
MAX_ROW_OBSERVABLES = 20
MAX_LEAD_VALUE = 1000
MAX_WINDOW_HOURS = 100_000
CANDIDATE = "candidate"
# How ISO 8601 times are written in records/*.jsonl (records.iso_utc): any time a record holds
# is written in its line in this form, so a line without one in a window needs no decoding.
IP_LIKE = re.compile(r"^[\d.]+$|:")
ISO_IN_LINE = re.compile(r'"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))"')

# Where the system keeps its programs and settings: a file written there is worth a look.
SYSTEM_FOLDERS = (
    # iOS (device paths as the acquisitions give them)
    "/System/", "/usr/", "/bin/", "/sbin/", "/Library/", "/private/var/db/", "/private/var/root/",
    "/private/var/tmp/", "/private/var/containers/Shared/SystemGroup/", "/private/var/mobile/Library/Preferences/",
    "/private/etc/", "/private/preboot/",
    # Android
    "/system/", "/system_ext/", "/vendor/", "/product/", "/apex/", "/odm/", "/data/local/tmp/",
    "/data/system/", "/data/misc/", "/data/adb/", "/data/dalvik-cache/", "/cache/",
)
LEAD_TYPES = frozenset({"domain", "url", "ip", "email", "phone", "process", "app_id", "file_path", "sha256",
                        "sha1", "md5", "cert_sha256", "cert_sha1", "cert_md5", "profile_id"})
SAME_THING = frozenset({"process", "file_path", "file_name", "app_id", "sha256", "sha1", "md5", "cert_sha256",
                        "cert_sha1", "cert_md5"})
PLATFORM_APPS = ("com.apple.", "com.android.", "com.google.android.", "android.", "com.qualcomm.",
                 "com.samsung.android.", "com.sec.android.")
ANDROID_PROCESSES = frozenset({"system_server", "zygote", "zygote64", "init", "surfaceflinger", "servicemanager",
                               "vold", "netd", "logd", "lmkd", "installd", "adbd", "app_process", "app_process64"})


def in_system_folder(path: str) -> bool:
    return isinstance(path, str) and path.startswith(SYSTEM_FOLDERS)


@cache
def common_domains() -> frozenset[str]:
    text = (files("spyglass") / "data" / "common_domains.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _under(domain: str, parents: Iterable[str] | frozenset[str]) -> bool:
    """Whether `domain` is one of `parents` or a subdomain of one."""
    labels = domain.lower().rstrip(".").split(".")
    names = parents if isinstance(parents, frozenset | set) else set(parents)
    return any(".".join(labels[index:]) in names for index in range(len(labels)))


def _host(url: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else url
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    return host.rsplit(":", 1)[0].strip("[]").lower() if host.count(":") == 1 else host.strip("[]").lower()


# -- windows and the one pass over the records ---------------------------------------------------
@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


class _Windows:
    """Which of many windows hold a moment."""

    def __init__(self, windows: list[Window]) -> None:
        self.order = sorted(range(len(windows)), key=lambda index: windows[index].start)
        self.starts = [windows[index].start for index in self.order]
        self.windows = windows
        self.longest = max((w.end - w.start for w in windows), default=timedelta(0))
        # The UTC hours the windows touch, as records write them ("2023-03-14T09"): a time in no
        # such hour needs no parsing. None when the windows span too many hours to list.
        self.hours: set[str] | None = set()
        for window in windows:
            hour = window.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            while hour <= window.end and len(self.hours) <= MAX_WINDOW_HOURS:
                self.hours.add(hour.strftime("%Y-%m-%dT%H"))
                hour += timedelta(hours=1)
            if len(self.hours) > MAX_WINDOW_HOURS:
                self.hours = None
                break

    def holding(self, moment: datetime) -> list[int]:
        found = []
        position = bisect_right(self.starts, moment) - 1
        while position >= 0 and self.starts[position] >= moment - self.longest:
            index = self.order[position]
            if self.windows[index].end >= moment:
                found.append(index)
            position -= 1
        return sorted(found)

    def any_in(self, line: str) -> bool:
        for text in ISO_IN_LINE.findall(line):
            if self.hours is not None and text.endswith("Z"):
                if text[:13] in self.hours:
                    return True         # a candidate: the record's times are checked once decoded
                continue
            try:
                moment = parse_iso(text).astimezone(UTC)
            except (ValueError, OverflowError):
                continue
            if self.holding(moment):
                return True
        return False


def scan(case_dir: Path, windows: list[Window]) -> Iterator[tuple[list[int], Record, datetime, str]]:
    """(windows holding it, record, moment, description) for every time of every stored record
    that falls in one of `windows`, module by module (file name order), in written order."""
    if not windows:
        return
    lookup = _Windows(windows)
    folder = case_dir / "records"
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip() or not lookup.any_in(line):
                    continue
                try:
                    record = Record.from_dict(loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise SpyglassError(f"{path}:{number}: not a spyglass record ({exc})") from exc
                for moment, description in record_times(record):
                    holding = lookup.holding(moment)
                    if holding:
                        yield holding, record, moment, description


def record_key(record: Record) -> tuple[str, str, str, str, str]:
    """What ties a stored record to the findings made from it."""
    return (record.module, record.source, iso_utc(record.timestamp) or "", record.timestamp_desc, record.message)


def finding_keys(detections: list[Detection]) -> dict[tuple[str, str, str, str, str], list[str]]:
    keys: dict[tuple[str, str, str, str, str], list[str]] = {}
    for identifier, detection in zip(finding_ids(detections), detections, strict=True):
        if detection.severity != "info":
            keys.setdefault(record_key(detection.record), []).append(identifier)
    return keys


def row(record: Record, moment: datetime, description: str, findings: list[str]) -> dict[str, Any]:
    message = " ".join(str(record.message).split())
    return {
        "time": iso_utc(moment),
        "timestamp_desc": description,
        "module": record.module,
        "source": record.source,
        "message": message if len(message) <= MAX_ROW_MESSAGE else message[:MAX_ROW_MESSAGE - 3] + "...",
        "observables": [o.to_dict() for o in record.observables[:MAX_ROW_OBSERVABLES]],
        "findings": list(findings),
    }


def row_order(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item["time"], item["module"], item["source"], item["timestamp_desc"], item["message"],
            json.dumps(item["observables"], sort_keys=True))


# -- context -------------------------------------------------------------------------------------
@dataclass
class Context:
    """The rows around one incident, sorted; `left_out` rows beyond the bound."""

    incident: dict[str, Any]
    start: datetime
    end: datetime
    margin: timedelta
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    left_out: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"incident": self.incident.get("id"), "headline": self.incident.get("headline"),
                "from": iso_utc(self.start), "to": iso_utc(self.end),
                "margin_minutes": self.margin.total_seconds() / 60, "total": self.total,
                "left_out": self.left_out, "rows": self.rows}


class _Bounded:
    """At most `limit` rows, the rows of findings first, then the nearest to the span."""

    def __init__(self, span: Window, limit: int) -> None:
        self.span, self.limit, self.rows, self.total = span, limit, [], 0

    def _rank(self, item: dict[str, Any], moment: datetime) -> tuple[Any, ...]:
        distance = max(self.span.start - moment, moment - self.span.end, timedelta(0))
        return (0 if item["findings"] else 1, distance, row_order(item))

    def add(self, item: dict[str, Any], moment: datetime) -> None:
        self.total += 1
        self.rows.append((self._rank(item, moment), item))
        if len(self.rows) > 2 * self.limit + 64:
            self._cut()

    def _cut(self) -> None:
        self.rows.sort(key=lambda pair: pair[0])
        del self.rows[self.limit:]

    def result(self) -> list[dict[str, Any]]:
        self._cut()
        return sorted((item for _, item in self.rows), key=row_order)


def incident_window(incident: dict[str, Any], margin: timedelta) -> tuple[Window, Window]:
    """(the incident's span, the span widened by `margin`)."""
    try:
        start, end = parse_iso(str(incident["start"])), parse_iso(str(incident["end"]))
    except (KeyError, ValueError) as exc:
        raise SpyglassError(f"incident {incident.get('id')}: no readable span ({exc})") from exc
    return Window(start, end), Window(start - margin, end + margin)


def find_incident(document: dict[str, Any], wanted: str | int) -> dict[str, Any]:
    """An incident of incidents.json by its number (1 is the first listed) or its id."""
    incidents = [i for i in document.get("incidents") or [] if isinstance(i, dict)]
    text = str(wanted).strip()
    if text.isdigit() and 1 <= int(text) <= len(incidents):
        return incidents[int(text) - 1]
    for incident in incidents:
        if str(incident.get("id")) in (text, f"incident-{text}"):
            return incident
    count = len(incidents)
    raise SpyglassError(f"no incident {text}: this case has {count} incident{'s' if count != 1 else ''}"
                        + (f" (1 to {count}, or an id such as {incidents[0].get('id')})" if count else ""))


def context(case_dir: Path, incident: str | int | dict[str, Any], margin: timedelta = DEFAULT_MARGIN,
            limit: int = MAX_CONTEXT_ROWS) -> Context:
    """The mini-timeline of one incident of the case (by number, id, or its incidents.json entry)."""
    if margin < timedelta(0):
        raise SpyglassError("the context margin cannot be negative")
    if not isinstance(incident, dict):
        document = read_incidents(case_dir)
        if document is None:
            raise SpyglassError(f"{case_dir}: no incidents.json (run a check or recheck first)")
        incident = find_incident(document, incident)
    span, window = incident_window(incident, margin)
    keys = finding_keys(read_detections(case_dir))
    bounded = _Bounded(span, max(limit, 0))
    for _, record, moment, description in scan(case_dir, [window]):
        bounded.add(row(record, moment, description, keys.get(record_key(record), [])), moment)
    rows = bounded.result()
    return Context(incident, window.start, window.end, margin, rows, bounded.total, bounded.total - len(rows))


# -- leads ---------------------------------------------------------------------------------------
class _Matched:
    """The values the case's indicator findings matched, to leave out of the leads."""

    def __init__(self, detections: list[Detection]) -> None:
        self.values: set[tuple[str, str]] = set()
        self.domains: set[str] = set()
        self.records: set[tuple[str, str, str, str, str]] = set()
        for detection in detections:
            if detection.kind != INDICATOR:
                continue
            self.records.add(record_key(detection.record))
            pairs = [(detection.observable.type, detection.observable.value)] if detection.observable else []
            indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
            if isinstance(indicator.get("type"), str) and isinstance(indicator.get("value"), str):
                pairs.append((indicator["type"], indicator["value"]))
            for kind, value in pairs:
                value = str(value)
                self.values.add((kind, value.lower()))
                if kind == "domain":
                    self.domains.add(value.lower().rstrip("."))
                elif kind == "url":
                    self.domains.add(_host(value))
        self.domains.discard("")
        self.frozen = frozenset(self.domains)

    def has(self, kind: str, value: str, record: Record) -> bool:
        if (kind, value.lower()) in self.values:
            return True
        # A matched record's program, file and hashes name the thing matched; its links, sender
        # and accounts may still be leads.
        if kind in SAME_THING and record_key(record) in self.records:
            return True
        if kind == "domain":
            return _under(value, self.frozen)
        if kind == "url":
            return _under(_host(value), self.frozen)
        return False


def is_noise(kind: str, value: str, description: str) -> bool:
    """Values no lead is made of: the platform's own, a phone's everyday traffic."""
    from spyglass.heuristics._ios_processes import is_known

    if kind not in LEAD_TYPES or not value or len(value) > MAX_LEAD_VALUE:
        return True
    if kind == "domain":
        return "." not in value or _under(value, common_domains())
    if kind == "url":
        host = _host(value)
        return not host or _under(host, common_domains())
    if kind == "process":
        said = description.lower()
        first = "first" in said or "start" in said
        return not first or is_known(value) or value in ANDROID_PROCESSES or value.startswith(PLATFORM_APPS)
    if kind == "app_id":
        return value.startswith(PLATFORM_APPS)
    if kind == "email":    # Apple's own senders (threat notifications, receipts); not its users' accounts
        return value.lower().endswith("@apple.com")
    if kind == "file_path":
        return not in_system_folder(value)
    return False


def _values(record: Record) -> Iterator[tuple[str, str]]:
    """A record's observables as (type, value), with the domain of each URL (a site opened is
    named by its link): each pair once."""
    seen: set[tuple[str, str]] = set()
    for observable in record.observables:
        pairs = [(observable.type, str(observable.value))]
        if observable.type == "url":
            host = _host(str(observable.value))
            if host and not IP_LIKE.search(host):
                pairs.append(("domain", host))
        for pair in pairs:
            if pair not in seen:
                seen.add(pair)
                yield pair


@dataclass
class _Findings:
    """The times and modules of an incident's findings, for saying where a lead lies."""

    times: list[tuple[datetime, str]]

    def why(self, moment: datetime, description: str, module: str) -> str:
        what = f"{description or 'seen'} in {module}"
        first, last = self.times[0], self.times[-1]
        same = next((m for t, m in self.times if abs(t - moment) < timedelta(seconds=1)), None)
        if same is not None:
            return f"{what}, at the same moment as a finding in {same}"
        if moment < first[0]:
            return f"{what}, {wording.duration(first[0] - moment)} before the incident's first finding (in {first[1]})"
        if moment > last[0]:
            return f"{what}, {wording.duration(moment - last[0])} after the incident's last finding (in {last[1]})"
        before = max((item for item in self.times if item[0] < moment), key=lambda item: item[0])
        after = min((item for item in self.times if item[0] > moment), key=lambda item: item[0])
        return (f"{what}, between the incident's findings: {wording.duration(moment - before[0])} after one in "
                f"{before[1]}, {wording.duration(after[0] - moment)} before one in {after[1]}")


class _Leads:
    """The leads of one incident, the one nearest its span kept for each value."""

    def __init__(self, span: Window, findings: _Findings) -> None:
        self.span, self.findings = span, findings
        self.best: dict[tuple[str, str], tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self.overflow = 0

    def add(self, record: Record, moment: datetime, description: str, matched: _Matched) -> None:
        distance = max(self.span.start - moment, moment - self.span.end, timedelta(0))
        platform = any(o.type == "app_id" and str(o.value).startswith(PLATFORM_APPS) for o in record.observables)
        for kind, value in _values(record):
            if is_noise(kind, value, description) or matched.has(kind, value, record):
                continue
            if kind == "process" and platform:     # a program of the platform's own app
                continue
            key = (kind, value)
            rank = (distance, iso_utc(moment), record.module, record.source, description)
            known = self.best.get(key)
            if known is not None and known[0] <= rank:
                continue
            if known is None and len(self.best) >= MAX_LEAD_CANDIDATES:
                self.overflow += 1
                continue
            self.best[key] = (rank, {"type": kind, "value": value, "module": record.module,
                                     "source": record.source, "time": iso_utc(moment),
                                     "timestamp_desc": description, "status": CANDIDATE})

    def result(self) -> tuple[list[dict[str, Any]], int]:
        ranked = sorted(self.best.values(), key=lambda pair: (pair[0], pair[1]["type"], pair[1]["value"]))
        kept = [lead for _, lead in ranked[:MAX_LEADS]]
        for lead in kept:
            lead["why"] = self.findings.why(parse_iso(lead["time"]), lead["timestamp_desc"], lead["module"])
        kept.sort(key=lambda lead: (lead["time"], lead["type"], lead["value"], lead["module"]))
        return kept, len(ranked) - len(kept) + self.overflow


def with_leads(case_dir: Path, document: dict[str, Any], detections: list[Detection],
               margin: timedelta = DEFAULT_MARGIN) -> dict[str, Any]:
    """`document` (incidents.json as build_incidents made it from `detections`, in the order of
    detections.jsonl) with each incident's `leads` and `leads_left_out`, from one pass over the
    case's stored records."""
    incidents = [i for i in document.get("incidents") or [] if isinstance(i, dict)]
    for incident in incidents:
        incident["leads"], incident["leads_left_out"] = [], 0
    document["lead_margin_minutes"] = margin.total_seconds() / 60
    wanted = [i for i in incidents if i.get("strength") != "informational"]
    collectors, windows = [], []
    for incident in wanted:
        span, window = incident_window(incident, margin)
        lines = [n for n in incident.get("lines") or [] if isinstance(n, int) and 1 <= n <= len(detections)]
        times = sorted((detections[n - 1].timestamp, detections[n - 1].module) for n in lines
                       if detections[n - 1].timestamp is not None)
        if not times:
            continue
        collectors.append((incident, _Leads(span, _Findings(times))))
        windows.append(window)
    if not windows:
        return document
    matched = _Matched(detections)
    for holding, record, moment, description in scan(case_dir, windows):
        for index in holding:
            collectors[index][1].add(record, moment, description, matched)
    for incident, collector in collectors:
        incident["leads"], incident["leads_left_out"] = collector.result()
    return document


def case_leads(case_dir: Path) -> list[dict[str, Any]]:
    """Every lead of the case's incidents.json, each with the incident it came from."""
    document = read_incidents(case_dir) or {}
    found = []
    for incident in document.get("incidents") or []:
        if not isinstance(incident, dict):
            continue
        for lead in incident.get("leads") or []:
            if isinstance(lead, dict) and isinstance(lead.get("type"), str) and isinstance(lead.get("value"), str):
                found.append({**lead, "incident": incident.get("id"), "headline": incident.get("headline")})
    return found


def print_context(console: Any, found: Context) -> None:
    """The mini-timeline of one incident on the terminal, the rows of its findings marked."""
    from rich.markup import escape
    from rich.table import Table

    incident = found.incident
    console.print(f"[bold]{escape(str(incident.get('id')))}[/] ({escape(str(incident.get('strength')))}): "
                  f"{escape(str(incident.get('headline')))}", soft_wrap=True)
    table = Table(title=f"Context: {iso_utc(found.start)} to {iso_utc(found.end)} "
                        f"(the incident's span and {found.margin.total_seconds() / 60:g} minutes either side)")
    for column in ("time (UTC)", "module", "what", "record"):
        table.add_column(column)
    for item in found.rows:
        mark = "[bold red]FINDING[/] " if item["findings"] else ""
        table.add_row(escape(item["time"] or ""), escape(item["module"]), escape(item["timestamp_desc"]),
                      mark + escape(item["message"]))
    console.print(table)
    if found.left_out:
        console.print(f"{found.left_out} of {found.total} rows left out (the {len(found.rows)} kept are the "
                      "findings' and those nearest the incident).")
    leads = [lead for lead in incident.get("leads") or [] if isinstance(lead, dict)]
    if leads:
        console.print("[bold]Leads[/] (candidates for new indicators, not findings: no feed lists them):")
        for lead in leads:
            console.print(f"  {escape(str(lead.get('type')))} {escape(str(lead.get('value')))}: "
                          f"{escape(str(lead.get('why')))}", soft_wrap=True)
