"""Modules run in worker processes beside the check, on a machine with more than one core.

A check is otherwise bound to one core: each record is parsed, written, timed and matched in
turn. `plan` shares the modules among this process and worker processes by their estimated
work (the size of the files a module reads, the entries of a listing), and cuts the listing
module (`manifest`: a backup's Manifest rows, a dump's files; usually the heaviest) into slices,
each listed by a worker of its own. A worker opens the same acquisition itself, from its path,
runs its modules as the check would, and writes into the case folder what the check would have
written for them: their records files, and their timeline rows as sorted runs. It hands back,
as one JSON line per module, the module's outcome and what matching kept of it (findings, the
records the heuristics read, shortened links). The check takes these in its modules' order, as
if it had run them itself: the case folder is byte for byte that of a serial check
(tests/test_parallel.py).

Never a secret crosses to a worker: an acquisition that needed one (an encrypted backup, an
age-encrypted androidqf zip) is checked in one process. A worker that fails, or a module it ran
that did not end cleanly, is forgotten, and the module runs in this process as usual.
SPYGLASS_JOBS=N uses N processes (default: the machine's cores); SPYGLASS_JOBS=1 none.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import Acquisition, EvidenceFile
from spyglass.limits import MAX_MODULE_RECORDS
from spyglass.modules import Module
from spyglass.runner import OK, ModuleResult, locate

# Estimated seconds of work (parse, write, time, match), measured on the benchmark inputs: a
# Manifest row costs about 0.1 ms as a record (a dump's entry 0.04 ms), a module that only looks
# through the listing (app bundles, executables) a tenth of that, a megabyte of a database 0.25-1 s.
ENTRY_SECONDS = 1e-4
PASS_SECONDS = 1e-5
MEGABYTE_SECONDS = 0.5
# Below this much estimated work a worker is not started: it costs about 0.4 s of start-up
# (Python, spyglass's imports, the acquisition opened again) and the check would not gain.
MIN_SECONDS = 2.0
# Modules that read the listing entry by entry, one record each, and so can be sliced.
SLICED_MODULES = frozenset({"manifest"})
MAX_JOBS = 8
WORKER = [sys.executable, "-m", "spyglass.parallel"]


@dataclass(frozen=True)
class Unit:
    """One module, or one slice `part` of `parts` of a sliced module, run by one worker."""

    module: str
    part: int = 0
    parts: int = 1


def _setting(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


def jobs() -> int:
    """Processes a check may use: SPYGLASS_JOBS, else the machine's cores (at most MAX_JOBS)."""
    cores = os.cpu_count() or 1
    return max(1, min(int(_setting("SPYGLASS_JOBS", cores)), cores, MAX_JOBS))


def plan(acquisition: Acquisition, modules: list[Module], secrets: Any = None) -> list[list[Unit]]:
    """The units of each worker to start, [] for a check in this process alone. The modules in
    no unit are this process's.

    Longest first, each to the least loaded process; a sliced module's slices go one to each of
    `jobs()` workers of their own (one process more than there are cores: the slices and the
    rest share the cores, and none waits for another)."""
    count = jobs()
    if count < 2 or getattr(acquisition, "encrypted", False) or getattr(secrets, "source", None) is not None:
        return []
    weights = _weights(modules, acquisition)
    total, least = sum(weights.values()), _setting("SPYGLASS_PARALLEL_MIN_SECONDS", MIN_SECONDS)
    if total < least:
        return []
    sliced = [module.name for module in modules
              if module.name in SLICED_MODULES and acquisition.slices_listing
              and weights[module.name] > total / (count + 1) and weights[module.name] >= least]
    loads = [0.0] * (count + (1 if sliced else 0))      # loads[0]: this process
    units: list[list[Unit]] = [[] for _ in loads]
    for name in sliced:
        for part in range(count):
            units[part + 1].append(Unit(name, part, count))
            loads[part + 1] += weights[name] / count
    for name in sorted((n for n in weights if n not in sliced), key=lambda n: (-weights[n], n)):
        least = min(range(len(loads)), key=lambda index: (loads[index], index))
        loads[least] += weights[name]
        if least:
            units[least].append(Unit(name))
    order = {module.name: number for number, module in enumerate(modules)}
    return [sorted(share, key=lambda unit: (order[unit.module], unit.part)) for share in units[1:] if share]


def _weights(modules: list[Module], acquisition: Acquisition) -> dict[str, float]:
    """Estimated seconds per module. A file several modules read (sms.db: messages and their
    attachments) is shared among them evenly."""
    weights: dict[str, float] = {}
    readers: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for module in modules:
        weights[module.name] = 0.0
        try:
            if module.artifact.whole == "listing":
                weights[module.name] = _entries(acquisition) * (
                    ENTRY_SECONDS if module.name in SLICED_MODULES else PASS_SECONDS)
            elif module.artifact.whole is None:
                for target in locate(module.artifact, acquisition):
                    if isinstance(target, EvidenceFile):
                        readers.setdefault(target.source, []).append(module.name)
                        sizes[target.source] = target.size or 0
        except Exception:   # the module says what is wrong when it runs; here it only weighs nothing
            continue
    for source, names in readers.items():
        for name in names:
            weights[name] += sizes[source] / 1e6 * MEGABYTE_SECONDS / len(names)
    return weights


def _entries(acquisition: Acquisition) -> int:
    database = getattr(acquisition, "database", None)
    if database is not None:
        return sum(int(row[0] or 0) for row in database.rows("SELECT COUNT(*) FROM Files"))
    container = getattr(acquisition, "container", None)
    return len(container.members()) if container is not None else 0


def part_path(out: Path, unit: Unit) -> Path:
    """Where a worker writes the records of a slice (the module's own file for a whole module)."""
    from spyglass.case import SAFE_NAME

    name = SAFE_NAME.sub("_", unit.module)
    if unit.parts == 1:
        return out / "records" / f"{name}.jsonl"
    return out / "records" / f".{name}.part-{unit.part}-of-{unit.parts}.tmp"


class Workers:
    """The worker processes of one check: `python -m spyglass.parallel`, each given its units,
    the case folder and the indicator index on its input (paths and indicators, never a
    secret), each writing one JSON line per finished unit to `.worker-N.jsonl` in the case folder."""

    def __init__(self, acquisition: Acquisition, out: Path, shares: list[list[Unit]], index: Any) -> None:
        self.out = out
        self.units = {unit.module: unit.parts for share in shares for unit in share}
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        for number, share in enumerate(shares, start=1):
            report = out / f".worker-{number}.jsonl"
            report.unlink(missing_ok=True)
            payload = pickle.dumps({"evidence": str(acquisition.root), "kind": acquisition.kind, "out": str(out),
                                    "units": [(u.module, u.part, u.parts) for u in share], "index": index,
                                    "prefix": f"w{number}-", "report": str(report)}, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                process = subprocess.Popen(WORKER, stdin=subprocess.PIPE,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError:
                continue         # not started: its units run here
            # Handed over from a thread: the worker reads it only once its imports are done, and
            # this process has modules of its own to run meanwhile.
            threading.Thread(target=_hand_over, args=(process, payload), daemon=True).start()
            self.processes.append((process, report))

    def results(self) -> dict[str, list[dict[str, Any]]]:
        """Once every worker has ended: each module whose every slice ended cleanly, with the
        outcomes of its slices in order. What the others left is removed."""
        outcomes: dict[str, dict[int, dict[str, Any]]] = {}
        for process, report in self.processes:
            process.wait()
            for outcome in _read_report(report):
                outcomes.setdefault(outcome["module"], {})[outcome["part"]] = outcome
            report.unlink(missing_ok=True)
        taken: dict[str, list[dict[str, Any]]] = {}
        for module, parts in self.units.items():
            found = outcomes.get(module, {})
            slices = [found.get(part) for part in range(parts)]
            if all(slices) and _clean(slices):
                taken[module] = slices  # type: ignore[assignment]
            else:
                self.forget([outcome for outcome in slices if outcome], module, parts)
        return taken

    def forget(self, outcomes: list[dict[str, Any]], module: str, parts: int) -> None:
        for outcome in outcomes:
            for run in outcome["runs"]:
                Path(run).unlink(missing_ok=True)
        for part in range(parts):
            if parts > 1:
                part_path(self.out, Unit(module, part, parts)).unlink(missing_ok=True)

    def stop(self) -> None:
        """Every worker ended (killed if still running: the check stopped). What they wrote and
        the check did not take is removed by `results`, or with the case (`discard_output`)."""
        for process, report in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            report.unlink(missing_ok=True)


def _hand_over(process: subprocess.Popen[bytes], payload: bytes) -> None:
    try:
        assert process.stdin is not None
        process.stdin.write(payload)
        process.stdin.close()
    except OSError:      # the worker ended first: it reports nothing, and its units run here
        pass


def _read_report(path: Path) -> list[dict[str, Any]]:
    from spyglass.case import loads

    try:
        with path.open(encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            outcome = loads(line)
        except ValueError:
            break        # the line a worker was writing when it stopped
        if isinstance(outcome, dict) and _complete(outcome):
            found.append(outcome)
    return found


def _complete(outcome: dict[str, Any]) -> bool:
    result = outcome.get("result")
    return (isinstance(outcome.get("module"), str) and isinstance(outcome.get("part"), int)
            and isinstance(outcome.get("runs"), list) and isinstance(outcome.get("share"), dict)
            and isinstance(outcome.get("inputs"), dict) and isinstance(outcome.get("warnings"), list)
            and isinstance(result, dict) and isinstance(result.get("status"), str)
            and isinstance(result.get("records"), int) and isinstance(result.get("files"), list)
            and isinstance(result.get("errors"), list) and isinstance(result.get("seconds"), int | float))


def _clean(slices: list[Any]) -> bool:
    """A whole module is taken as it ended; a sliced one only when every slice read without a
    fault, since a fault's message counts records from the start of the module's own run (that
    module is run again here, whole, and says it as a serial check would)."""
    if len(slices) == 1:
        return True
    return (all(s["result"]["status"] == OK and not s["result"]["errors"] and s["result"].get("message") is None
                for s in slices)
            and sum(s["result"]["records"] for s in slices) < MAX_MODULE_RECORDS)


def take(slices: list[dict[str, Any]], result: ModuleResult, out: Path, timeline: Any,
         add_share: Callable[[str, dict[str, Any]], None], acquisition: Acquisition) -> None:
    """A module a worker ran, into this check: its outcome, records file, timeline runs, what
    matching kept, and the inputs it hashed and warnings it gave."""
    first = slices[0]["result"]
    result.status, result.files, result.message = first["status"], list(first["files"]), first.get("message")
    result.errors = [error for s in slices for error in s["result"]["errors"]]
    result.records = sum(s["result"]["records"] for s in slices)
    result.seconds = sum(s["result"]["seconds"] for s in slices)
    if len(slices) > 1:
        whole = part_path(out, Unit(result.name))
        with whole.open("wb") as joined:
            for s in slices:
                piece = part_path(out, Unit(result.name, s["part"], len(slices)))
                with piece.open("rb") as handle:
                    shutil.copyfileobj(handle, joined, 1 << 20)
                piece.unlink()
    for s in slices:
        timeline.adopt([Path(run) for run in s["runs"]])
        add_share(result.name, s["share"])
        for source, digest in s["inputs"].items():
            acquisition.inputs.setdefault(source, digest)
        for warning in s["warnings"]:
            if warning not in acquisition.warnings:
                acquisition.warnings.append(warning)


def main() -> int:
    """In a worker: run the units given on standard input; one JSON line per finished unit."""
    from spyglass import heuristics
    from spyglass.acquisitions import open_acquisition
    from spyglass.analysis import Analyser
    from spyglass.case import CaseWriter, dumps
    from spyglass.modules import discover
    from spyglass.runner import run_module

    payload = pickle.load(sys.stdin.buffer)
    out, report = Path(payload["out"]), Path(payload["report"])
    modules = {module.name: module for module in discover()}
    descriptions = {name: module.artifact.description for name, module in modules.items()}
    loaded = heuristics.discover()
    acquisition = open_acquisition(Path(payload["evidence"]), payload["kind"], None)
    try:
        writer = CaseWriter(out, prefix=payload["prefix"])
        with report.open("w", encoding="utf-8") as said:
            for name, part, parts in payload["units"]:
                module, unit = modules[name], Unit(name, part, parts)
                acquisition.listing_part = (part, parts) if parts > 1 else None
                warned, hashed = len(acquisition.warnings), set(acquisition.inputs)
                analyser = Analyser(payload["index"], loaded, descriptions)
                result = ModuleResult(name, module.artifact.description)
                started = time.perf_counter()
                writer.begin_module(name, part_path(out, unit))
                for record in run_module(module, acquisition, result):
                    writer.write_record(record)
                    analyser.add(record)
                writer.end_module()
                result.seconds = time.perf_counter() - started
                said.write(dumps({
                    "module": name, "part": part, "result": result.to_dict() | {"errors": result.errors},
                    "runs": [str(run) for run in writer.timeline.spill_all()], "share": analyser.share(name),
                    "inputs": {source: acquisition.inputs[source] for source in acquisition.inputs if source not in hashed},
                    "warnings": acquisition.warnings[warned:]}) + "\n")
                said.flush()
    finally:
        acquisition.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
