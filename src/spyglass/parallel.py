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

The same workers write a large timeline.csv from the sorted runs while the check goes on
(`TimelineWriter`), and share a recheck's records files among processes (`plan_reading`,
`Readers`).

A worker's input is a pickle written by this process into the pipe it started the worker with;
nothing else writes there. An encrypted iOS backup's workers get the backup key this process
derived (the key a --key-file holds) in that pickle, and only there: never on disk, in argv, in
the environment or in a report, and no worker derives it again. Any other acquisition that
needed a secret (an age-encrypted androidqf zip) is checked in one process. A worker that
fails, or a module it ran that did not end cleanly, is forgotten, and the work is done in this
process as usual. SPYGLASS_JOBS=N uses N processes (default: the machine's cores); 1 none.
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
from spyglass.secrets import Hidden, Secrets

# Estimated seconds of work (parse, write, time, match), measured on the benchmark inputs: a
# Manifest row costs about 0.1 ms as a record (a dump's entry 0.04 ms), a module that only looks
# through the listing (app bundles, executables) a tenth of that, a megabyte of a database 0.25-1 s.
ENTRY_SECONDS = 1e-4
PASS_SECONDS = 1e-5
MEGABYTE_SECONDS = 0.5
# Below this much estimated work a worker is not started: it costs about 0.5 s of start-up
# (Python, spyglass's imports, the index unpickled, the acquisition opened again).
WORKER_START_SECONDS = 0.5
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


def plan(acquisition: Acquisition, modules: list[Module], secrets: Any = None,
         opened_in: float = 0.0) -> list[list[Unit]]:
    """The units of each worker to start, [] for a check in this process alone. The modules in
    no unit are this process's. `opened_in`: the seconds this process took to open the
    acquisition, which each worker spends again (a .tar.gz is inflated to be listed).

    Longest first, each to the least loaded process; a sliced module's slices go one to each of
    `jobs()` workers of their own (one process more than there are cores: the slices and the
    rest share the cores, and none waits for another)."""
    count = jobs()
    needs_secret = getattr(acquisition, "encrypted", False) or getattr(secrets, "source", None) is not None
    if count < 2 or (needs_secret and worker_secret(acquisition) is None):
        return []
    weights = _weights(modules, acquisition)
    total, floor = sum(weights.values()), _setting("SPYGLASS_PARALLEL_MIN_SECONDS", MIN_SECONDS)
    if total < floor:
        return []
    sliced = [module.name for module in modules
              if module.name in SLICED_MODULES and acquisition.slices_listing
              and weights[module.name] > total / (count + 1) and weights[module.name] >= floor]
    loads = [opened_in] * (count + (1 if sliced else 0))
    loads[0] = 0.0                                      # this process: already open
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
    if total - max(loads) < floor / 2:
        return []    # one module outweighs the rest (androidqf's files.json): a worker would only wait
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


def worker_secret(acquisition: Acquisition) -> Hidden | None:
    """The key an encrypted iOS backup was unlocked with, for its workers; None for any other
    acquisition that needed a secret (an age-encrypted androidqf zip: each worker would decrypt
    the whole zip again), which is then checked in this process alone."""
    decryptor = getattr(acquisition, "decryptor", None)
    key = getattr(decryptor, "key", None)
    return key if isinstance(key, Hidden) else None


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


class _Processes:
    """Worker processes, `python -m spyglass.parallel`, each given its payload on its input
    (paths, indicators, its share of the work, an encrypted backup's key), each writing one JSON line
    per finished piece of work to `.worker-N.jsonl` in the case folder."""

    def __init__(self, out: Path, payloads: list[dict[str, Any]]) -> None:
        self.out = out
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        for number, payload in enumerate(payloads, start=1):
            report = out / f".worker-{number}.jsonl"
            report.unlink(missing_ok=True)
            data = pickle.dumps({**payload, "prefix": f"w{number}-", "report": str(report)},
                                protocol=pickle.HIGHEST_PROTOCOL)
            try:
                process = subprocess.Popen(WORKER, stdin=subprocess.PIPE,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError:
                continue         # not started: its work is done here
            # Handed over from a thread: the worker reads it only once its imports are done, and
            # this process has work of its own meanwhile.
            threading.Thread(target=_hand_over, args=(process, data), daemon=True).start()
            self.processes.append((process, report))
        self.started = len(self.processes) == len(payloads)

    def reports(self) -> list[tuple[int, list[dict[str, Any]]]]:
        """Once every worker has ended: each one's exit status and finished pieces."""
        found = []
        for process, report in self.processes:
            process.wait()
            found.append((process.returncode, _read_report(report)))
            report.unlink(missing_ok=True)
        return found

    def stop(self) -> None:
        """Every worker ended (killed if still running: the check stopped). What they wrote and
        the check did not take is removed by `results`, or with the case (`discard_output`)."""
        for process, report in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            report.unlink(missing_ok=True)


class Workers(_Processes):
    """The workers of one check, each running its units of `plan`."""

    def __init__(self, acquisition: Acquisition, out: Path, shares: list[list[Unit]], index: Any,
                 modules: list[Module]) -> None:
        self.units = {unit.module: unit.parts for share in shares for unit in share}
        where = {module.name: module.python_module.__name__ for module in modules}
        secret = worker_secret(acquisition)
        handed = acquisition.handed_index()
        super().__init__(out, [{"mode": "check", "evidence": str(acquisition.root), "kind": acquisition.kind,
                                "container": handed,
                                "out": str(out), "units": [(u.module, u.part, u.parts) for u in share],
                                "modules": sorted({where[u.module] for u in share}), "index": index,
                                "key": secret.reveal() if secret is not None else None}
                               for share in shares])

    def results(self) -> dict[str, list[dict[str, Any]]]:
        """Once every worker has ended: each module whose every slice ended cleanly, with the
        outcomes of its slices in order. What the others left is removed."""
        outcomes: dict[str, dict[int, dict[str, Any]]] = {}
        for _, finished in self.reports():
            for outcome in finished:
                if _complete(outcome):
                    outcomes.setdefault(outcome["module"], {})[outcome["part"]] = outcome
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


# -- recheck: the stored records matched in several processes -------------------------------------
# Measured: a case of 1M records (400 MB of records files) is read and matched in about 8 s on one core.
READ_BYTE_SECONDS = 2e-8


def plan_reading(case_dir: Path, names: list[str]) -> list[list[tuple[str, int, int]]]:
    """The records files of `names`, in that order, cut into `jobs()` contiguous shares of about
    equal bytes, each a list of (module, start, stop) byte ranges beginning at a line; share 0
    is this process's. [] when one process is enough."""
    from spyglass.case import records_file

    count = jobs()
    sizes = []
    for name in names:
        path = records_file(case_dir, name)
        sizes.append((name, path, path.stat().st_size if path.is_file() else 0))
    total = sum(size for _, _, size in sizes)
    if count < 2 or total * READ_BYTE_SECONDS < _setting("SPYGLASS_PARALLEL_MIN_SECONDS", MIN_SECONDS):
        return []
    # This process starts at once, a worker about WORKER_START_SECONDS later: this one reads more.
    head = int(WORKER_START_SECONDS / READ_BYTE_SECONDS)
    each = max(0, total - head) // count
    cuts = [min(total, head + each * number) for number in range(1, count)]
    shares: list[list[tuple[str, int, int]]] = [[] for _ in range(count)]
    share = position = 0
    for name, path, size in sizes:
        start = 0
        while start < size:
            if share == len(cuts) or cuts[share] >= position + size:
                shares[share].append((name, start, size))
                break
            stop = max(start, _line_start(path, cuts[share] - position))
            if stop > start:
                shares[share].append((name, start, stop))
            start, share = stop, share + 1
        position += size
    workers = [piece for piece in shares[1:] if piece]
    return [shares[0], *workers] if workers else []


def _line_start(path: Path, offset: int) -> int:
    """The first line beginning at or after byte `offset` (the file's size when none does)."""
    if offset <= 0:
        return 0
    with path.open("rb") as handle:
        handle.seek(offset - 1)
        handle.readline()
        return handle.tell()


class Readers(_Processes):
    """The workers of one recheck, each reading and matching its share of `plan_reading`."""

    def __init__(self, case_dir: Path, shares: list[list[tuple[str, int, int]]], index: Any,
                 descriptions: dict[str, str]) -> None:
        self.expected = [len(share) for share in shares]
        super().__init__(case_dir, [{"mode": "match", "out": str(case_dir), "pieces": share, "index": index,
                                     "descriptions": descriptions} for share in shares])

    def results(self) -> list[dict[str, Any]] | None:
        """Every share's pieces in order, once all have ended; None if any worker failed (the
        recheck then reads everything itself, and says where a record file is damaged)."""
        reports = self.reports()
        if not self.started or len(reports) != len(self.expected):
            return None
        pieces = []
        for (status, finished), expected in zip(reports, self.expected, strict=True):
            if status != 0 or len(finished) != expected or not all(_piece(p) for p in finished):
                return None
            pieces.extend(finished)
        return pieces


def _piece(outcome: dict[str, Any]) -> bool:
    return (isinstance(outcome.get("module"), str) and isinstance(outcome.get("records"), int)
            and isinstance(outcome.get("share"), dict))


# -- timeline.csv written beside the rest of the case ---------------------------------------------
# Measured: merging and writing 250k rows (the benchmark backup) takes about 1.3 s, while the
# check builds incidents and their leads; below this many bytes of rows it is written in place.
TIMELINE_MIN_BYTES = 20_000_000


class TimelineWriter(_Processes):
    """A worker writing timeline.csv from the timeline's sorted runs (the check's own rows spilled
    to one more), while the check goes on with the rest of the case."""

    @classmethod
    def start(cls, timeline: Any, detections: list[Any]) -> TimelineWriter | None:
        """The worker, or None where one core or a small timeline makes it not worth starting."""
        from spyglass.case import timeline_tags

        if jobs() < 2 or timeline.size() < _setting("SPYGLASS_TIMELINE_MIN_BYTES", TIMELINE_MIN_BYTES):
            return None
        runs = [str(run) for run in timeline.spill_all()]
        timeline.adopt([Path(run) for run in runs])
        return cls(timeline.out, [{"mode": "timeline", "out": str(timeline.out), "runs": runs,
                                   "tags": timeline_tags(detections)}])

    def written(self) -> bool:
        """Whether the worker wrote timeline.csv whole (else the check writes it itself)."""
        reports = self.reports()
        return self.started and len(reports) == 1 and reports[0][0] == 0 and reports[0][1] == [{"written": True}]


def _timeline(payload: dict[str, Any]) -> int:
    from spyglass.case import Timeline

    timeline = Timeline(Path(payload["out"]))
    timeline.adopt([Path(run) for run in payload["runs"]])
    timeline.write_tagged(payload["tags"])
    Path(payload["report"]).write_text('{"written": true}\n', encoding="utf-8")
    return 0


def _hand_over(process: subprocess.Popen[bytes], payload: bytes) -> None:
    try:
        assert process.stdin is not None
        process.stdin.write(payload)
        process.stdin.close()
    except OSError:      # the worker ended first: it reports nothing, and its units run here
        pass


def _read_report(path: Path) -> list[dict[str, Any]]:
    from spyglass.case import loads

    # Line by line: one line can hold what a module shares with the heuristics (every package of
    # an androidqf listing, 35 MB of JSON at 40,000), and only one line's text is held at a time.
    found = []
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    outcome = loads(line)
                except ValueError:
                    break        # the line a worker was writing when it stopped
                if isinstance(outcome, dict):
                    found.append(outcome)
    except OSError:
        return []
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
    """In a worker: do the work given on standard input; one JSON line per finished piece."""
    payload = pickle.load(sys.stdin.buffer)
    if payload["mode"] == "timeline":
        return _timeline(payload)
    return _match(payload) if payload["mode"] == "match" else _check(payload)


def _match(payload: dict[str, Any]) -> int:
    from spyglass import heuristics
    from spyglass.analysis import Analyser
    from spyglass.case import dumps, read_records, records_file

    out, loaded = Path(payload["out"]), heuristics.discover()
    with Path(payload["report"]).open("w", encoding="utf-8") as said:
        for name, start, stop in payload["pieces"]:
            analyser, count = Analyser(payload["index"], loaded, payload["descriptions"]), 0
            for record in read_records(records_file(out, name), start, stop):
                analyser.add(record)
                count += 1
            said.write(dumps({"module": name, "start": start, "records": count, "share": analyser.share(name)}) + "\n")
    return 0


def _check(payload: dict[str, Any]) -> int:
    from spyglass import heuristics
    from spyglass.acquisitions import open_detected
    from spyglass.acquisitions.containers import hand_over
    from spyglass.analysis import Analyser
    from spyglass.case import CaseWriter, dumps
    from spyglass.modules import load
    from spyglass.runner import run_module

    out, report = Path(payload["out"]), Path(payload["report"])
    modules = {module.name: module for module in load(payload["modules"])}
    descriptions = {name: module.artifact.description for name, module in modules.items()}
    loaded = heuristics.discover()
    key = payload.pop("key", None)
    secrets = Secrets.given_key(Hidden(key)) if key is not None else None
    del key
    handed = payload.pop("container", None)
    if handed is not None:
        hand_over(Path(payload["evidence"]), handed)
    acquisition = open_detected(Path(payload["evidence"]), payload["kind"], secrets)
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
