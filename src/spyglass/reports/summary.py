"""The terminal summary of a case, rendered from the case folder alone.

Short by default: the phone, what was compared, the verdict (spyglass/verdict.py) with its
counts, the incidents (headline, span, strength) and the evidence values of their findings,
the findings that belong to no incident, what to do, who can help, where the report is.
`show_modules` adds the module table. Evidence values are never cut: lines that hold one are
printed without wrapping (the terminal wraps them; piped output keeps them whole on one line).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from spyglass.case import read_case, read_detections
from spyglass.detections import INDICATOR, SEVERITIES, Detection, is_finding
from spyglass.devices import model_name
from spyglass.incidents import MODULE_CLASSES, finding_id, read_incidents
from spyglass.reports import KIND_NAMES, chain_text, helplines, redirect_chains
from spyglass.verdict import DELIVERY_TIER, EXECUTION_TIER, HEURISTIC_TIER, Verdict, assess

SEVERITY_STYLES = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "green"}
STATUS_STYLES = {"ok": "green", "not present": "dim", "missing": "yellow", "error": "bold red"}
TIER_STYLES = {EXECUTION_TIER: "red", DELIVERY_TIER: "dark_orange", HEURISTIC_TIER: "yellow"}
STRENGTH_STYLES = {"strong": "bold red", "moderate": "yellow", "weak": "cyan", "informational": "dim"}
MAX_SHOWN = 200           # evidence lines
MAX_INCIDENTS = 20
MAX_HEADLINE = 1000
MAX_VALUE = 4096          # a value longer than this is not a value a person reads in a terminal
MAX_PLACES = 8
TYPE_WORDS = {"process": "process", "domain": "domain", "url": "link", "ip": "server address", "email": "account",
              "phone": "phone number", "file_name": "file", "file_path": "file", "app_id": "app",
              "profile_id": "profile", "android_property": "system property", "sha256": "file",
              "sha1": "file", "md5": "file", "cert_sha256": "certificate", "cert_sha1": "certificate"}


def print_summary(console: Console, case_dir: Path, *, show_modules: bool = False) -> None:
    case = read_case(case_dir)
    detections = read_detections(case_dir)
    document = read_incidents(case_dir)
    verdict = assess(case, detections, document)
    if isinstance(case.get("sample"), str):
        console.print(f"[bold yellow]{escape(case['sample'])}[/]")
    _device(console, case, case_dir)
    if show_modules:
        _modules(console, case)
    _feeds(console, case)
    style = TIER_STYLES.get(verdict.tier, "green")
    body = f"[bold]{escape(verdict.headline)}[/]\n{escape(verdict.explanation)}"
    if verdict.checked:
        body += f"\n{escape(verdict.checked)}"
    console.print(Panel(body, title="Verdict", border_style=style))
    counts = _counts(detections, document)
    if counts:
        console.print(counts)
    for line in verdict.caveats:
        console.print(f"[bold yellow]{escape(line)}[/]")
    names = {name: str(info.get("description")) for name, info in (case.get("modules") or {}).items()
             if isinstance(info, dict) and info.get("description")} if isinstance(case.get("modules"), dict) else {}
    shown = _incidents(console, detections, document, names)
    _outside(console, detections, shown, names)
    _chains(console, detections)
    _context(console, detections)
    _short_links(console, case)
    for warning in case.get("warnings") or []:
        console.print(f"[yellow]Warning:[/] {escape(str(warning))}")
    console.print(f"[bold]What to do now:[/] {escape(verdict.next_step)}")
    if verdict.findings:
        console.print("Where to get help: " + "; ".join(escape(line) for line in helplines()))
    report = case_dir / "report.html"
    if report.exists():
        console.print(f"Read the report: {escape(str(report))}", soft_wrap=True)
    console.print(f"Case folder: {escape(str(case_dir))}", soft_wrap=True)


def tier_style(verdict: Verdict) -> str:
    return TIER_STYLES.get(verdict.tier, "green")


def _device(console: Console, case: dict[str, Any], case_dir: Path) -> None:
    acquisition = case.get("acquisition") if isinstance(case.get("acquisition"), dict) else {}
    device = acquisition.get("device") if isinstance(acquisition.get("device"), dict) else {}
    parts = []
    model = model_name(device, case_dir)
    if model:
        parts.append(escape(model))
    if device.get("os_version"):
        parts.append(f"{escape(str(device.get('os', '')))} {escape(str(device['os_version']))}".strip())
    kind = str(acquisition.get("kind", ""))
    what = KIND_NAMES.get(kind, kind or "acquisition")
    when = _moment(device.get("backup_date"))
    parts.append(f"{escape(what)} of {escape(when)}" if when else escape(what))
    if acquisition.get("encrypted"):
        parts.append("encrypted")
    console.print("Phone: " + ", ".join(parts))


def _modules(console: Console, case: dict[str, Any]) -> None:
    table = Table(title="Modules", show_lines=False)
    table.add_column("module")
    table.add_column("records", justify="right")
    table.add_column("status")
    for name, info in sorted((case.get("modules") or {}).items()):
        status = str(info.get("status", "?"))
        text = f"[{STATUS_STYLES.get(status, 'white')}]{escape(status)}[/]"
        if info.get("message"):
            text += f" [dim]{escape(str(info['message'])[:120])}[/]"
        table.add_row(escape(name), str(info.get("records", 0)), text)
    console.print(table)


def _feeds(console: Console, case: dict[str, Any]) -> None:
    feeds = [feed for feed in case.get("feeds") or [] if isinstance(feed, dict)]
    if not feeds:
        console.print("[yellow]No indicator feeds were used: only heuristics ran.[/]")
        return
    # One count (distinct indicators, as matched) and one date (when the newest copy was taken,
    # the date the staleness warning speaks of too).
    distinct = case.get("indicators")
    total = distinct if isinstance(distinct, int) and distinct else sum(int(f.get("count") or 0) for f in feeds)
    copies = sorted(str(f["retrieved"])[:10] for f in feeds if f.get("retrieved"))
    newest = f", the newest copied on {escape(copies[-1])}" if copies else ""
    console.print(f"Indicators: {total} from {len(feeds)} {'feed' if len(feeds) == 1 else 'feeds'}{newest}")


def _counts(detections: list[Detection], document: dict[str, Any] | None) -> str:
    findings = [d for d in detections if is_finding(d)]
    if not findings:
        return ""
    severities = {name: sum(1 for d in findings if d.severity == name) for name in SEVERITIES}
    shown = ", ".join(f"{count} {name}" for name, count in severities.items() if count)
    known = sum(1 for d in findings if d.kind == INDICATOR)
    line = (f"Findings: {len(findings)} ({shown}): {known} known spyware {'trace' if known == 1 else 'traces'}, "
            f"{len(findings) - known} suspicious {'sign' if len(findings) - known == 1 else 'signs'}")
    incidents = _incident_list(document)
    if incidents:
        strengths = [str(i.get("strength", "")) for i in incidents]
        said = ", ".join(f"{strengths.count(name)} {name}" for name in STRENGTH_STYLES if strengths.count(name))
        line += f"; {len(incidents)} {'incident' if len(incidents) == 1 else 'incidents'} ({said})"
    return escape(line) + "."


def _incident_list(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    items = (document or {}).get("incidents")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _incidents(console: Console, detections: list[Detection], document: dict[str, Any] | None,
               names: dict[str, str]) -> set[int]:
    """Print the incidents with their evidence; return the lines (1-based) of the findings shown."""
    incidents = _incident_list(document)
    shown: set[int] = set()
    if not incidents:
        return shown
    by_line = {number: detection for number, detection in enumerate(detections, start=1)}
    console.print("[bold]Incidents[/] (findings close in time, read together; strongest evidence first)")
    ordered = sorted(incidents, key=lambda i: (list(STRENGTH_STYLES).index(i.get("strength"))
                                                if i.get("strength") in STRENGTH_STYLES else 9, str(i.get("start"))))
    budget = MAX_SHOWN
    for incident in ordered[:MAX_INCIDENTS]:
        strength = str(incident.get("strength", ""))
        span = _span(str(incident.get("start") or ""), str(incident.get("end") or ""))
        # Our own sentences wrap under their indent; evidence lines below are never wrapped.
        _wrapped(console, f"{strength}, {span}: {str(incident.get('headline', ''))[:MAX_HEADLINE]}", 2,
                 STRENGTH_STYLES.get(strength, "white"), len(strength))
        _wrapped(console, str(incident.get("strength_reason", ""))[:300], 4, "dim")
        lines = [n for n in incident.get("lines") or [] if isinstance(n, int) and n in by_line]
        members = [by_line[n] for n in lines if _matches(by_line[n], incident)]
        shown.update(n for n in lines if _matches(by_line[n], incident))
        budget -= _evidence(console, members, budget, "    ", names)
    if len(ordered) > MAX_INCIDENTS:
        console.print(f"  ... and {len(ordered) - MAX_INCIDENTS} more incidents in incidents.json")
    return shown


def _wrapped(console: Console, text: str, indent: int, style: str, styled: int | None = None) -> None:
    """Our own sentence, wrapped under its indent at the console's width (no trailing blanks);
    `styled` characters at its start take `style`, else the whole of it."""
    width = max(20, console.width - indent)
    for number, line in enumerate(textwrap.wrap(" ".join(text.split()), width, break_long_words=False, break_on_hyphens=False) or [""]):
        if number == 0 and styled is not None:
            shown = f"[{style}]{escape(line[:styled])}[/]{escape(line[styled:])}"
        else:
            shown = escape(line) if styled is not None else f"[{style}]{escape(line)}[/]"
        console.print(" " * indent + shown, soft_wrap=True)


def _matches(detection: Detection, incident: dict[str, Any]) -> bool:
    """incidents.json names findings by line and id: a line whose finding changed since is not it."""
    ids = incident.get("findings")
    if not isinstance(ids, list):
        return True
    base = finding_id(detection)
    return any(isinstance(i, str) and i.split("-")[0] == base for i in ids)


def _outside(console: Console, detections: list[Detection], shown: set[int], names: dict[str, str]) -> None:
    rest = [d for number, d in enumerate(detections, start=1) if number not in shown and is_finding(d)]
    if not rest:
        return
    title = "Findings outside any incident" if shown else "Findings"
    console.print(f"[bold]{title}[/] ({len(rest)})")
    _evidence(console, sorted(rest, key=Detection.sort_key), MAX_SHOWN, "  ", names)


def _evidence(console: Console, detections: Iterable[Detection], budget: int, indent: str,
              names: dict[str, str]) -> int:
    """One line per distinct value (or, for a suspicious sign, per message), most severe first,
    saying where it was seen and when; the value whole. Returns the lines printed."""
    groups: dict[tuple[str, str], list[Detection]] = {}
    for detection in sorted(detections, key=Detection.sort_key):
        if detection.kind == INDICATOR and detection.observable is not None:
            key = ("value", detection.observable.value)
        else:
            key = ("message", detection.message)
        groups.setdefault(key, []).append(detection)
    printed = 0
    for (what, text), members in groups.items():
        if printed >= budget:
            console.print(f"{indent}... and {len(groups) - printed} more in the HTML report and detections.jsonl")
            break
        first = members[0]
        style = SEVERITY_STYLES.get(first.severity, "white")
        when = _times([d.timestamp for d in members])
        if what == "value":
            malware = str((first.indicator or {}).get("malware") or "known spyware")
            kind = first.observable.type if first.observable else "value"
            kind = TYPE_WORDS.get(kind, kind.replace("_", " "))
            places = _places(members, names)
            line = (f"{escape(_whole(text))} [dim]({escape(malware)} {escape(kind)}; seen in {escape(places)}"
                    f"{'; ' + escape(when) if when else ''})[/]")
        else:
            line = f"{escape(_whole(text))}" + (f" [dim]({escape(when)})[/]" if when else "")
        console.print(f"{indent}[{style}]{first.severity}[/] {line}", soft_wrap=True)
        printed += 1
    return printed


def _places(detections: list[Detection], descriptions: dict[str, str]) -> str:
    """Where a value was seen, in the owner's words (Safari, WhatsApp, the module's description)."""
    places: list[str] = []
    for detection in detections:
        place = (MODULE_CLASSES.get(detection.module, ("", "", ""))[2]
                 or descriptions.get(detection.module, "")[:80] or detection.module)
        if place not in places:
            places.append(place)
    extra = len(places) - MAX_PLACES
    text = ", ".join(places[:MAX_PLACES]) + (f" and {extra} more" if extra > 0 else "")
    count = len(detections)
    return f"{text} ({count} records)" if count > 1 else text


def _chains(console: Console, detections: list[Detection]) -> None:
    chains = redirect_chains(detections)
    if not chains:
        return
    console.print(f"[bold]Redirects between known spyware domains[/] ({len(chains)})")
    for chain in chains[:MAX_SHOWN]:
        when = _minute(chain["at"])
        console.print(f"  {escape(_whole(chain_text(chain)))} [dim](Safari{', ' + when if when else ''})[/]",
                      soft_wrap=True)


def _context(console: Console, detections: list[Detection]) -> None:
    notes = sorted({d.message for d in detections if not is_finding(d)})
    for note in notes[:20]:
        console.print(f"[green]Noted (not a sign against the phone):[/] {escape(_whole(note))}", soft_wrap=True)


def _times(moments: list[datetime | None]) -> str:
    known = sorted(m for m in moments if m is not None)
    if not known:
        return ""
    first, last = _minute(known[0]), _minute(known[-1])
    return first if first == last else f"{first} to {last}"


def _span(start: str, end: str) -> str:
    first, last = start[:16].replace("T", " "), end[:16].replace("T", " ")
    if first == last:
        return f"{first} UTC"
    return f"{first} to {last[11:]} UTC" if first[:10] == last[:10] else f"{first} to {last} UTC"


def _minute(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _moment(value: Any) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)[:40]
    if moment.tzinfo is None:       # plist dates (Info.plist's Last Backup Date) are UTC, kept naive
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _whole(text: str) -> str:
    """A value as one line: line breaks shown as spaces, nothing cut below MAX_VALUE."""
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + f"... ({len(text) - MAX_VALUE} more characters)"


def _short_links(console: Console, case: dict[str, Any]) -> None:
    short = case.get("short_links") or {}
    if isinstance(short, dict) and short.get("count"):
        console.print(f"[yellow]{short['count']} shortened links were not expanded[/] "
                      "(their targets are unknown; see case.json, or use --expand-short-links).")

