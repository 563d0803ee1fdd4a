"""The terminal summary of a case, rendered from the case folder alone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from spyglass.case import read_case, read_detections
from spyglass.detections import INDICATOR, Detection, group_findings, is_finding
from spyglass.incidents import read_incidents
from spyglass.reports import helplines, incomplete

SEVERITY_STYLES = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "green"}
STATUS_STYLES = {"ok": "green", "not present": "dim", "missing": "yellow", "error": "bold red"}
MAX_SHOWN = 200


def print_summary(console: Console, case_dir: Path, *, show_modules: bool = False) -> None:
    case = read_case(case_dir)
    detections = read_detections(case_dir)
    if isinstance(case.get("sample"), str):
        console.print(f"[bold yellow]{escape(case['sample'])}[/]")
    _device(console, case)
    if show_modules:
        _modules(console, case)
    _feeds(console, case)
    _incidents(console, case_dir)
    _findings(console, detections)
    _short_links(console, case)
    for warning in case.get("warnings") or []:
        console.print(f"[yellow]Warning:[/] {escape(str(warning))}")
    for line in incomplete(case):
        console.print(f"[bold yellow]{escape(line)}[/]")
    style = "red" if any(d.kind == INDICATOR for d in detections) else ("yellow" if detections else "green")
    console.print(Panel(escape(str(case.get("verdict", ""))), title="Verdict", border_style=style))
    report = case_dir / "report.html"
    if report.exists():
        console.print(f"Read the report: {escape(str(report))}")
    if any(is_finding(d) for d in detections):
        console.print("Where to get help: " + "; ".join(escape(line) for line in helplines()))
    console.print(f"Case folder: {escape(str(case_dir))}")


def _device(console: Console, case: dict[str, Any]) -> None:
    acquisition = case.get("acquisition") or {}
    device = acquisition.get("device") or {}
    parts = [f"[bold]{escape(str(acquisition.get('kind', '?')))}[/]"]
    if device.get("model"):
        parts.append(escape(str(device["model"])))
    if device.get("os_version"):
        parts.append(f"{escape(str(device.get('os', '')))} {escape(str(device['os_version']))}".strip())
    if device.get("backup_date"):
        parts.append(f"backup of {escape(str(device['backup_date']))}")
    if acquisition.get("encrypted"):
        parts.append("encrypted")
    console.print("Device: " + ", ".join(parts))


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
    feeds = case.get("feeds") or []
    if not feeds:
        console.print("[yellow]No indicator feeds were used: only heuristics ran.[/]")
        return
    # One count (distinct indicators, as matched) and one date (when the newest copy was taken,
    # the date the staleness warning speaks of too).
    distinct = case.get("indicators")
    total = distinct if isinstance(distinct, int) and distinct else sum(int(f.get("count") or 0) for f in feeds)
    copies = sorted(str(f["retrieved"])[:10] for f in feeds if f.get("retrieved"))
    newest = f", the newest copied on {escape(copies[-1])}" if copies else ""
    console.print(f"Indicators: {total} from {len(feeds)} feeds{newest}")


STRENGTH_STYLES = {"strong": "bold red", "moderate": "yellow", "weak": "cyan", "informational": "dim"}
MAX_INCIDENTS = 20


def _incidents(console: Console, case_dir: Path) -> None:
    document = read_incidents(case_dir)
    incidents = [i for i in (document or {}).get("incidents") or [] if isinstance(i, dict)]
    if not incidents:
        return
    console.print(f"[bold]Incidents[/] ({len(incidents)}: findings close in time, read together)")
    for incident in incidents[:MAX_INCIDENTS]:
        strength = str(incident.get("strength", ""))
        start, end = str(incident.get("start") or ""), str(incident.get("end") or "")
        span = _span(start, end)
        console.print(f"  [{STRENGTH_STYLES.get(strength, 'white')}]{escape(strength)}[/] {escape(span)}: "
                      f"{escape(str(incident.get('headline', ''))[:500])}")
        console.print(f"    [dim]{escape(str(incident.get('strength_reason', ''))[:300])}[/]")
    if len(incidents) > MAX_INCIDENTS:
        console.print(f"  ... and {len(incidents) - MAX_INCIDENTS} more in incidents.json")


def _span(start: str, end: str) -> str:
    first, last = start[:16].replace("T", " "), end[:16].replace("T", " ")
    if first == last:
        return first
    return f"{first} to {last[11:]}" if first[:10] == last[:10] else f"{first} to {last}"


def _findings(console: Console, detections: list[Detection]) -> None:
    if not detections:
        console.print("[green]No findings.[/]")
        return
    grouped = group_findings(detections)
    table = Table(title=f"Findings ({len(detections)} in {len(grouped)} groups)", show_lines=False)
    table.add_column("severity")
    table.add_column("kind")
    table.add_column("when")
    table.add_column("seen", justify="right")
    table.add_column("finding")
    for group in grouped[:MAX_SHOWN]:
        detection = group.first
        style = SEVERITY_STYLES.get(detection.severity, "white")
        first, last = _minute(group.earliest), _minute(group.latest)
        when = first if first == last else f"{first} to {last}"
        table.add_row(f"[{style}]{detection.severity}[/]", detection.kind, when, str(group.count),
                      escape(detection.message[:300]))
    console.print(table)
    if len(grouped) > MAX_SHOWN:
        console.print(f"... and {len(grouped) - MAX_SHOWN} more groups in detections.jsonl")


def _minute(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _short_links(console: Console, case: dict[str, Any]) -> None:
    short = case.get("short_links") or {}
    if short.get("count"):
        console.print(f"[yellow]{short['count']} shortened links were not expanded[/] "
                      "(their targets are unknown; see case.json, or use --expand-short-links).")
