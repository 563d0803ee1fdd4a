"""`spyglass check` and `spyglass recheck`: acquisition -> modules -> records -> matching -> case."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from spyglass import __version__, heuristics
from spyglass.acquisitions import open_acquisition
from spyglass.analysis import Analyser, summarise, verdict
from spyglass.case import (
    CaseWriter,
    check_output,
    discard_output,
    iter_records,
    prepare_output,
    read_case,
    read_detections,
    write_case_json,
    write_detections,
    write_incidents,
)
from spyglass.detections import Detection, is_finding
from spyglass.errors import SpyglassError
from spyglass.incidents import DEFAULT_GAP, build_incidents, incident_changes, read_incidents
from spyglass.modules import discover, modules_for
from spyglass.records import Record, iso_utc, observables
from spyglass.runner import ModuleResult, run_module


class Progress(Protocol):
    def phase(self, text: str) -> None: ...
    def module_started(self, name: str, description: str) -> None: ...
    def module_record(self, name: str, count: int) -> None: ...
    def module_finished(self, result: ModuleResult) -> None: ...


class SilentProgress:
    def phase(self, text: str) -> None:
        pass

    def module_started(self, name: str, description: str) -> None:
        pass

    def module_record(self, name: str, count: int) -> None:
        pass

    def module_finished(self, result: ModuleResult) -> None:
        pass


@dataclass
class CheckOutcome:
    case_dir: Path
    case: dict[str, Any]
    detections: list[Detection]

    @property
    def exit_status(self) -> int:
        return 1 if any(is_finding(d) for d in self.detections) else 0


SAMPLE_NOTICE = ("Sample data: a generated iPhone backup with planted traces, made for the spyglass demo. "
                 "This is not your phone.")


def now() -> str:
    return iso_utc(datetime.now(UTC)) or ""


def default_output(evidence: Path) -> Path:
    """A new folder in the working directory named after the evidence and the time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path.cwd() / f"spyglass-{evidence.resolve().name}-{stamp}"
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def check(evidence: Path, out: Path | None, feeds: Sequence[Any], index: Any, *, kind: str | None = None,
          force: bool = False, secrets: Any = None, progress: Progress | None = None,
          feed_info: list[dict[str, Any]] | None = None, warnings: Sequence[str] = (),
          expand_short_links: bool = False, incident_gap: timedelta = DEFAULT_GAP,
          sample: bool = False) -> CheckOutcome:
    progress = progress or SilentProgress()
    started = now()
    out = check_output(out or default_output(evidence), force, evidence)
    progress.phase("Opening the acquisition")
    # Opened before anything is written: a check that cannot run (no such path, an input it
    # cannot read, a wrong password) leaves nothing behind.
    acquisition = open_acquisition(evidence, kind, secrets)
    existed = out.exists()
    try:
        out = prepare_output(out, force, evidence)
    except BaseException:
        acquisition.close()
        raise
    try:
        modules = modules_for(acquisition.kind)
        loaded_heuristics = heuristics.discover()
        descriptions = {m.name: m.artifact.description for m in modules}
        analyser = Analyser(index, loaded_heuristics, descriptions)
        writer = CaseWriter(out)
        results: dict[str, ModuleResult] = {}
        for module in modules:
            result = ModuleResult(module.name, module.artifact.description)
            progress.module_started(module.name, module.artifact.description)
            writer.begin_module(module.name)
            for record in run_module(module, acquisition, result):
                writer.write_record(record)
                analyser.add(record)
                if result.records % 5000 == 0:
                    progress.module_record(module.name, result.records)
            writer.end_module()
            results[module.name] = result
            progress.module_finished(result)
        _something_was_read(acquisition, results, {m.name for m in modules if m.artifact.whole})
        if expand_short_links and analyser.short_links:
            progress.phase("Expanding shortened links (network)")
            results["short_links"] = _expand_short_links(analyser, writer)
        progress.phase("Running heuristics")
        detections = analyser.finish()
        case = {
            "tool": {"name": "spyglass", "version": __version__, "python": sys.version.split()[0],
                     "platform": platform.platform()},
            "command": "check",
            "started_at": started,
            "finished_at": None,
            "acquisition": acquisition.describe(),
            "inputs": dict(sorted(acquisition.inputs.items())),
            "feeds": feed_info if feed_info is not None else [],
            "indicators": len(index) if index is not None else 0,   # distinct, after merging the feeds
            "modules": {name: result.to_dict() for name, result in results.items()},
            "heuristics": analyser.heuristic_results,
            "findings": summarise(detections),
            "short_links": {"count": analyser.short_link_count, "links": analyser.short_links},
            "verdict": verdict(detections),
            "warnings": [*warnings, *acquisition.warnings],
            "history": [],
        }
        if sample:   # the demo: every report says it is generated data, not someone's phone
            case["sample"] = SAMPLE_NOTICE
        progress.phase("Writing the case")
        case["finished_at"] = now()
        write_incidents(out, build_incidents(detections, incident_gap))
        writer.finish(case, detections)
    except KeyboardInterrupt:
        raise       # the folder stays, marked incomplete: the same command may replace it
    except BaseException:
        discard_output(out, existed)
        raise
    finally:
        acquisition.close()
    return CheckOutcome(out, case, detections)


def _something_was_read(acquisition: Any, results: dict[str, ModuleResult], whole: set[str]) -> None:
    """Never a false all-clear: when no module could read anything, the check did not run.

    A check whose every artifact was absent, missing or unreadable would print "no findings"
    for a phone it never looked at; it ends with exit status 2 instead, saying why. A module of
    the whole acquisition (its listing) that found nothing does not count as having read it."""
    if any(result.status == "ok" and (result.records or name not in whole) for name, result in results.items()):
        return
    failed = sorted(name for name, result in results.items() if result.status in ("error", "missing"))
    reasons = "; ".join(f"{name}: {(results[name].message or '')[:160]}" for name in failed[:5])
    raise SpyglassError(f"{acquisition.root}: nothing in this {acquisition.kind} acquisition could be read, so "
                        f"nothing was checked" + (f" ({reasons})" if reasons else ""))


def _expand_short_links(analyser: Analyser, writer: CaseWriter) -> ModuleResult:
    """Resolve the shortened links seen and match their targets, as records of their own."""
    from spyglass.shortlinks import expand

    result = ModuleResult("short_links", "Shortened links expanded")
    by_url = {link["url"]: link for link in analyser.short_links}
    writer.begin_module("short_links")
    for expansion in expand(list(by_url)):
        link = by_url[expansion.url]
        link["status"] = "expanded" if expansion.target else f"not expanded ({expansion.error or 'no redirect'})"
        link["target"] = expansion.target
        if not expansion.hops:
            continue
        record = Record(timestamp=None, timestamp_desc="", module="short_links", source=link["source"],
                        message=f"Shortened link {expansion.url} leads to {expansion.target}",
                        fields={"url": expansion.url, "hops": expansion.hops, "seen_in": link["module"]},
                        observables=observables(*(("url", hop) for hop in expansion.hops)))
        writer.write_record(record)
        analyser.add(record)
        result.records += 1
    writer.end_module()
    return result


def recheck(case_dir: Path, index: Any, *, progress: Progress | None = None,
            feed_info: list[dict[str, Any]] | None = None, warnings: Sequence[str] = (),
            incident_gap: timedelta = DEFAULT_GAP) -> CheckOutcome:
    """Re-match the stored records of a case; rewrite its detections, keep the old ones in history."""
    progress = progress or SilentProgress()
    case = read_case(case_dir)
    started = now()
    known = {m.name: m.artifact.description for m in discover()}
    module_names = sorted(set(case.get("modules", {})) |
                          {p.stem for p in (case_dir / "records").glob("*.jsonl")})
    descriptions = {name: (case.get("modules", {}).get(name, {}) or {}).get("description") or known.get(name, name)
                    for name in module_names}
    analyser = Analyser(index, heuristics.discover(), descriptions)
    progress.phase("Matching stored records")
    for name in module_names:
        progress.module_started(name, descriptions[name])
        count = 0
        for record in iter_records(case_dir, name):
            analyser.add(record)
            count += 1
        result = ModuleResult(name, descriptions[name], records=count,
                              status=(case.get("modules", {}).get(name) or {}).get("status", "ok"))
        progress.module_finished(result)
    detections = analyser.finish()
    incidents = build_incidents(detections, incident_gap)
    history = list(case.get("history") or [])
    history.append({"at": case.get("finished_at"), "command": case.get("command"),
                    "feeds": case.get("feeds"), "findings": case.get("findings"),
                    "verdict": case.get("verdict"),
                    "incidents": incident_changes(_incidents_before(case_dir, incident_gap), incidents)})
    case.update({
        "command": "recheck",
        "rechecked_at": started,
        "feeds": feed_info if feed_info is not None else [],
        "heuristics": analyser.heuristic_results,
        "findings": summarise(detections),
        "short_links": {"count": analyser.short_link_count, "links": analyser.short_links},
        "verdict": verdict(detections),
        "warnings": list(warnings),
        "history": history,
        "finished_at": now(),
    })
    write_detections(case_dir, detections)
    write_incidents(case_dir, incidents)
    write_case_json(case_dir, case)
    return CheckOutcome(case_dir, case, detections)


def _incidents_before(case_dir: Path, gap: timedelta) -> dict[str, Any]:
    """The incidents the case held; a case written before incidents existed has them computed
    from its findings."""
    return read_incidents(case_dir) or build_incidents(read_detections(case_dir), gap)
