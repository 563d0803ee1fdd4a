"""`spyglass check` and `spyglass recheck`: acquisition -> modules -> records -> matching -> case."""

from __future__ import annotations

import json
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from spyglass import __version__, heuristics, parallel
from spyglass.acquisitions import open_acquisition
from spyglass.analysis import Analyser, summarise, verdict
from spyglass.case import (
    CaseWriter,
    Timeline,
    check_output,
    discard_output,
    iter_records,
    prepare_output,
    read_case,
    read_detections,
    read_records,
    records_file,
    timeline_current,
    timeline_tags,
    write_case_json,
    write_detections,
    write_incidents,
)
from spyglass.context import with_leads
from spyglass.detections import INDICATOR, Detection, is_finding
from spyglass.errors import SpyglassError
from spyglass.incidents import DEFAULT_GAP, build_incidents, incident_changes, read_incidents
from spyglass.modules import discover, modules_for
from spyglass.records import Record, iso_utc, observables
from spyglass.runner import ModuleResult, run_module
from spyglass.verdict import assess_case


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
    changes: dict[str, Any] | None = None     # a recheck's: see finding_changes

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
    opening = time.perf_counter()
    acquisition = open_acquisition(evidence, kind, secrets)
    opened_in = time.perf_counter() - opening
    existed = out.exists()
    try:
        out = prepare_output(out, force, evidence)
    except BaseException:
        acquisition.close()
        raise
    timeline_job: parallel.TimelineWriter | None = None
    try:
        modules = modules_for(acquisition.kind)
        getattr(progress, "modules_planned", lambda total: None)(len(modules))   # "module n of N"
        loaded_heuristics = heuristics.discover()
        descriptions = {m.name: m.artifact.description for m in modules}
        analyser = Analyser(index, loaded_heuristics, descriptions)
        writer = CaseWriter(out)
        results: dict[str, ModuleResult] = {}
        # On more than one core, worker processes run a share of the modules meanwhile
        # (spyglass/parallel.py); theirs are taken after this process's own, in module order,
        # which changes nothing written.
        shares = parallel.plan(acquisition, modules, secrets, opened_in)
        workers = parallel.Workers(acquisition, out, shares, index, modules) if shares else None
        try:
            for module in modules:
                if workers is None or module.name not in workers.units:
                    results[module.name] = _run_here(module, acquisition, writer, analyser, progress)
            taken = workers.results() if workers is not None else {}
            for module in modules:
                if module.name in results:
                    continue
                if module.name not in taken:      # the worker failed: run here after all
                    results[module.name] = _run_here(module, acquisition, writer, analyser, progress)
                    continue
                result = ModuleResult(module.name, module.artifact.description)
                progress.module_started(module.name, module.artifact.description)
                parallel.take(taken[module.name], result, out, writer.timeline, analyser.take, acquisition)
                results[module.name] = result
                progress.module_finished(result)
        finally:
            if workers is not None:
                workers.stop()
        results = {m.name: results[m.name] for m in modules}
        _something_was_read(acquisition, results, {m.name for m in modules if m.artifact.whole})
        if expand_short_links and analyser.short_links:
            progress.phase("Expanding shortened links (network)")
            results["short_links"] = _expand_short_links(analyser, writer)
        progress.phase("Running heuristics")
        detections = analyser.finish()
        # A large timeline.csv is written by a worker meanwhile (spyglass/parallel.py).
        timeline_job = parallel.TimelineWriter.start(writer.timeline, detections)
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
        write_incidents(out, with_leads(out, build_incidents(detections, incident_gap), detections))
        case["verdict_tier"] = assess_case(out, case, detections).to_dict()   # spyglass/verdict.py
        writer.finish(case, detections, timeline_written=timeline_job is not None and timeline_job.written())
    except KeyboardInterrupt:
        raise       # the folder stays, marked incomplete: the same command may replace it
    except BaseException:
        discard_output(out, existed)
        raise
    finally:
        if timeline_job is not None:
            timeline_job.stop()
        acquisition.close()
    return CheckOutcome(out, case, detections)


def _run_here(module: Any, acquisition: Any, writer: CaseWriter, analyser: Analyser,
              progress: Progress) -> ModuleResult:
    result = ModuleResult(module.name, module.artifact.description)
    progress.module_started(module.name, module.artifact.description)
    writer.begin_module(module.name)
    for record in run_module(module, acquisition, result):
        writer.write_record(record)
        analyser.add(record)
        if result.records % 5000 == 0:
            progress.module_record(module.name, result.records)
    writer.end_module()
    progress.module_finished(result)
    return result


def _something_was_read(acquisition: Any, results: dict[str, ModuleResult], whole: set[str]) -> None:
    """Never a false all-clear: when no module could read anything, the check did not run.

    A check whose every artifact was absent, missing or unreadable would print "no findings"
    for a phone it never looked at; it ends with exit status 2 instead, saying why. A module of
    the whole acquisition (its listing) that found nothing does not count as having read it."""
    if any(result.status == "ok" and (result.records or name not in whole) for name, result in results.items()):
        return
    failed = sorted(name for name, result in results.items() if result.status in ("error", "missing"))
    reasons = "; ".join(f"{name}: {(results[name].message or '')[:160]}" for name in failed[:5])
    # What the acquisition itself could not open (an encrypted backup.ab without its password,
    # say) is often the reason: said first, so the person knows what to give.
    said = "; ".join(warning[:300] for warning in acquisition.warnings[:3])
    raise SpyglassError(f"{acquisition.root}: nothing in this {acquisition.kind} acquisition could be read, so "
                        f"nothing was checked" + (f": {said}" if said else "") + (f" ({reasons})" if reasons else ""))


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
    """Re-match the stored records of a case; rewrite its detections and timeline, and record in
    its history what the case held before and what changed (`finding_changes`)."""
    progress = progress or SilentProgress()
    case = read_case(case_dir)
    before = read_detections(case_dir)
    started = now()
    known = {m.name: m.artifact.description for m in discover()}
    module_names = sorted(set(case.get("modules", {})) |
                          {p.stem for p in (case_dir / "records").glob("*.jsonl")})
    descriptions = {name: (case.get("modules", {}).get(name, {}) or {}).get("description") or known.get(name, name)
                    for name in module_names}
    progress.phase("Matching stored records")
    getattr(progress, "modules_planned", lambda total: None)(len(module_names))
    analyser = _match_stored(case_dir, module_names, index, descriptions, progress,
                             {name: (case.get("modules", {}).get(name) or {}).get("status", "ok")
                              for name in module_names})
    detections = analyser.finish()
    # timeline.csv changes only in the tags of the records that are findings: when those are the
    # same (new feeds that match nothing new, the weekly re-hunt's usual outcome), it is kept as
    # it is, and the records are read once, not twice.
    timeline: Timeline | None = None
    if timeline_tags(detections) != timeline_tags(before) or not timeline_current(case_dir):
        progress.phase("Rewriting the timeline")
        timeline = Timeline(case_dir)
        try:
            for name in module_names:
                for record in iter_records(case_dir, name):
                    timeline.add(record)
        except BaseException:
            timeline.discard()
            raise
    feeds_now = feed_info if feed_info is not None else []
    changes = finding_changes(before, detections, case.get("feeds") or [], feeds_now)
    incidents = with_leads(case_dir, build_incidents(detections, incident_gap), detections)
    history = list(case.get("history") or [])
    history.append({"at": case.get("finished_at"), "command": case.get("command"),
                    "feeds": case.get("feeds"), "findings": case.get("findings"),
                    "verdict": case.get("verdict"),
                    "incidents": incident_changes(_incidents_before(case_dir, incident_gap), incidents),
                    "changes": changes})
    case.update({
        "command": "recheck",
        "rechecked_at": started,
        "feeds": feeds_now,
        "indicators": len(index) if index is not None else 0,
        "heuristics": analyser.heuristic_results,
        "findings": summarise(detections),
        "short_links": {"count": analyser.short_link_count, "links": analyser.short_links},
        "verdict": verdict(detections),
        "warnings": list(warnings),
        "history": history,
        "finished_at": now(),
    })
    write_detections(case_dir, detections)
    if timeline is not None:
        timeline.write(detections)
    write_incidents(case_dir, incidents)
    case["verdict_tier"] = assess_case(case_dir, case, detections).to_dict()   # spyglass/verdict.py
    write_case_json(case_dir, case)
    return CheckOutcome(case_dir, case, detections, changes)


def _match_stored(case_dir: Path, names: list[str], index: Any, descriptions: dict[str, str],
                  progress: Progress, statuses: dict[str, str]) -> Analyser:
    """Every stored record matched, module by module; on more than one core the records files are
    cut among worker processes (spyglass/parallel.py), their shares taken in order."""
    analyser = Analyser(index, heuristics.discover(), descriptions)
    shares = parallel.plan_reading(case_dir, names)
    readers = parallel.Readers(case_dir, shares[1:], index, descriptions) if shares else None
    counts = dict.fromkeys(names, 0)
    try:
        if readers is not None:
            for name, start, stop in shares[0]:
                for record in read_records(records_file(case_dir, name), start, stop):
                    analyser.add(record)
                    counts[name] += 1
            pieces = readers.results()
            if pieces is not None:
                for piece in pieces:
                    analyser.take(piece["module"], piece["share"])
                    counts[piece["module"]] += piece["records"]
                for name in names:
                    progress.module_started(name, descriptions[name])
                    progress.module_finished(ModuleResult(name, descriptions[name], records=counts[name],
                                                          status=statuses[name]))
                return analyser
            # A worker failed: everything is read here, which says where a damaged file is.
            analyser, counts = Analyser(index, heuristics.discover(), descriptions), dict.fromkeys(names, 0)
    finally:
        if readers is not None:
            readers.stop()
    for name in names:
        progress.module_started(name, descriptions[name])
        for record in iter_records(case_dir, name):
            analyser.add(record)
            counts[name] += 1
        progress.module_finished(ModuleResult(name, descriptions[name], records=counts[name], status=statuses[name]))
    return analyser


# -- what a recheck changed ---------------------------------------------------------------------
MAX_CHANGES_LISTED = 200


def finding_key(detection: Detection) -> tuple[str, ...]:
    """What a finding is about, whichever feed named it: the same value in the same record,
    matched by the same indicator (type and value) or the same heuristic."""
    indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
    observable = detection.observable
    return (detection.kind, detection.heuristic or "", str(indicator.get("type") or ""),
            str(indicator.get("value") or ""), observable.type if observable else "",
            observable.value if observable else "", detection.module, detection.source,
            iso_utc(detection.timestamp) or "", detection.record.message)


def finding_brief(detection: Detection) -> dict[str, Any]:
    indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
    brief: dict[str, Any] = {"severity": detection.severity, "kind": detection.kind, "module": detection.module,
                             "timestamp": iso_utc(detection.timestamp), "message": detection.message}
    if detection.observable:
        brief["value"] = detection.observable.value
    if detection.kind == INDICATOR:
        brief["indicator"] = f"{indicator.get('value')} ({indicator.get('type')})"
        brief["malware"] = indicator.get("malware")
        brief["feeds"] = _feeds_of(detection)
    if detection.heuristic:
        brief["heuristic"] = detection.heuristic
    return brief


def finding_changes(before: Sequence[Detection], after: Sequence[Detection], feeds_before: Sequence[Any],
                    feeds_after: Sequence[Any]) -> dict[str, Any]:
    """New findings, findings no longer matched and the count unchanged (by `finding_key`, a
    finding seen n times counted n times), per feed with its version, and the feeds added,
    removed or updated. The lists hold at most MAX_CHANGES_LISTED findings each, most severe first."""
    old = Counter(finding_key(d) for d in before)
    new = Counter(finding_key(d) for d in after)
    added_keys, gone_keys = new - old, old - new
    added = _take(after, added_keys)
    gone = _take(before, gone_keys)
    versions_before, versions_after = _versions(feeds_before), _versions(feeds_after)
    by_feed: dict[str, dict[str, Any]] = {}
    for label, found, versions in (("new", added, versions_after), ("gone", gone, versions_before)):
        for detection in found:
            for name in _feeds_of(detection):
                entry = by_feed.setdefault(name, {"version": versions.get(name), "new": 0, "gone": 0})
                entry[label] += 1
    feeds = {"added": [{"name": name, "version": version} for name, version in versions_after.items()
                       if name not in versions_before],
             "removed": [{"name": name, "version": version} for name, version in versions_before.items()
                         if name not in versions_after],
             "updated": [{"name": name, "before": versions_before[name], "after": version}
                         for name, version in versions_after.items()
                         if name in versions_before and versions_before[name] != version]}
    return {"new_count": len(added), "gone_count": len(gone),
            "unchanged": sum((old & new).values()),
            "new": [finding_brief(d) for d in sorted(added, key=Detection.sort_key)[:MAX_CHANGES_LISTED]],
            "gone": [finding_brief(d) for d in sorted(gone, key=Detection.sort_key)[:MAX_CHANGES_LISTED]],
            "by_feed": dict(sorted(by_feed.items())), "feeds": feeds}


def _take(detections: Sequence[Detection], wanted: Counter[tuple[str, ...]]) -> list[Detection]:
    left = Counter(wanted)
    taken = []
    for detection in detections:
        key = finding_key(detection)
        if left[key] > 0:
            left[key] -= 1
            taken.append(detection)
    return taken


def _feeds_of(detection: Detection) -> list[str]:
    indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
    names = indicator.get("feeds") or ([indicator["feed"]] if indicator.get("feed") else [])
    return [str(name) for name in names] if isinstance(names, list) else [str(names)]


def _versions(feeds: Sequence[Any]) -> dict[str, str | None]:
    """Feed name -> its version as case.json records it (upstream version, else sha256 prefix)."""
    versions: dict[str, str | None] = {}
    for feed in feeds:
        if isinstance(feed, dict) and feed.get("name"):
            version = feed.get("version") or (str(feed.get("sha256") or "")[:12] or None)
            versions[str(feed["name"])] = str(version) if version else None
    return versions


def _incidents_before(case_dir: Path, gap: timedelta) -> dict[str, Any]:
    """The incidents the case held; a case written before incidents existed has them computed
    from its findings."""
    return read_incidents(case_dir) or build_incidents(read_detections(case_dir), gap)
# -- many at once: a folder of acquisitions, a folder of cases -----------------------------------
MAX_BATCH_DEPTH = 4
MAX_BATCH_ENTRIES = 100_000


def acquisitions_in(folder: Path) -> list[Path]:
    """The acquisitions directly inside `folder` when it is not one itself and holds two or more;
    else [] (then `folder` is opened, or refused, as one acquisition)."""
    from spyglass.acquisitions import ACQUISITION_CLASSES, detect
    from spyglass.acquisitions.containers import release_probed

    if not folder.is_dir():
        return []
    try:
        detect(folder)
        return []
    except SpyglassError:
        pass
    try:
        children = sorted(folder.iterdir())[:MAX_BATCH_ENTRIES]
    except OSError:
        return []
    try:
        found = [child for child in children if not child.name.startswith(".")
                 and any(_probes(cls, child) for cls in ACQUISITION_CLASSES.values())]
    finally:
        release_probed()     # the last archive the probes read is not held open meanwhile
    return found if len(found) >= 2 else []


def _probes(cls: Any, path: Path) -> bool:
    try:
        return bool(cls.probe(path))
    except (OSError, SpyglassError, ValueError):
        return False


def case_name(path: Path) -> str:
    """A case folder's name for an acquisition: its file or folder name, made safe."""
    from spyglass.case import SAFE_NAME

    return SAFE_NAME.sub("_", path.name) or "acquisition"


def cases_in(folder: Path) -> list[Path]:
    """The case folders (holding case.json) under `folder`, sorted, not looking inside a case."""
    found: list[Path] = []
    stack = [(folder, 0)]
    seen = 0
    while stack:
        current, depth = stack.pop()
        if (current / "case.json").is_file():
            found.append(current)
            continue
        if depth >= MAX_BATCH_DEPTH:
            continue
        try:
            children = sorted((child for child in current.iterdir() if child.is_dir() and not child.is_symlink()
                               and not child.name.startswith(".")), reverse=True)
        except OSError:
            continue
        seen += len(children)
        if seen > MAX_BATCH_ENTRIES:
            break
        stack.extend((child, depth + 1) for child in children)
    return sorted(found)


def recheck_in_processes(cases: Sequence[Path], arguments: Sequence[str], jobs: int) -> list[dict[str, Any]]:
    """Re-check each case in a process of its own (`spyglass recheck CASE --json ARGUMENTS`),
    at most `jobs` at a time; the summaries in the order of `cases`, whatever order they end in.
    A process that fails gives {"case", "exit_status", "error"}."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    def one(case_dir: Path) -> dict[str, Any]:
        command = [sys.executable, "-m", "spyglass.cli", "recheck", str(case_dir), "--json", *arguments]
        try:
            done = subprocess.run(command, capture_output=True, text=True, errors="backslashreplace",
                                  stdin=subprocess.DEVNULL, check=False)
        except OSError as exc:
            return {"case": str(case_dir), "exit_status": 2, "error": f"could not start: {exc.strerror or exc}"}
        try:
            summary = json.loads(done.stdout)
        except ValueError:
            summary = None
        if not isinstance(summary, dict):
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            return {"case": str(case_dir), "exit_status": done.returncode or 2,
                    "error": lines[-1].strip()[:500] if lines else f"ended with status {done.returncode}"}
        summary.setdefault("exit_status", done.returncode)
        summary.setdefault("case", str(case_dir))
        return summary

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, cases))


def worst_status(statuses: Sequence[int]) -> int:
    """The exit status of many: 2 when any could not run, else 1 when any found something, else 0."""
    return 2 if 2 in statuses or any(s not in (0, 1) for s in statuses) else (1 if 1 in statuses else 0)
