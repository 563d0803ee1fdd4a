"""What the worker's tasks do, apart from Celery: read the task config, choose the feeds, run
spyglass's check or recheck in a temporary folder, and move the case's files into OpenRelik's
output folder only once everything is written.

A task attempt works in `<output_path>/.spyglass-<task id>-<random>.partial/`, beside the output
and so on the same filesystem. Only when the case folder, its reports and its archive are all
written are the files renamed into `output_path` (a rename within one filesystem is atomic),
under the names OpenRelik's `create_output_file` gives them; the task result listing them is
returned after that. An attempt killed on the way leaves a `.partial` folder (removed by the next
attempt of the same task) or files no result names, which OpenRelik never registers.

Secrets never travel in the task config: OpenRelik sends the config through Redis and keeps it in
its database. The config names a file in the worker's secrets folder instead
(SPYGLASS_WORKER_SECRETS_DIR, default /run/secrets, where Docker mounts secrets), which is handed
to spyglass's `Secrets` as a password, key or age identity file.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from openrelik_worker_common.file_utils import create_output_file

from spyglass.errors import SpyglassError

SECRETS_DIR_ENV = "SPYGLASS_WORKER_SECRETS_DIR"
FEEDS_DIR_ENV = "SPYGLASS_WORKER_FEEDS_DIR"
DEFAULT_SECRETS_DIR = "/run/secrets"
CASE_ARCHIVE_SUFFIX = ".spyglass-case.tar.gz"
CASE_ARCHIVE_TYPE = "spyglass:case:archive"
CASE_TOP = "case"
# An input file whose name ends so is an indicator feed, not an acquisition (the formats
# spyglass reads: STIX 2.1, MISP event JSON, the stalkerware-indicators YAML).
FEED_SUFFIXES = (".stix2", ".stix", ".json", ".yaml", ".yml")
# OpenRelik data types of the case's files, by name in the case folder.
DATA_TYPES = {
    "case.json": "spyglass:case:json",
    "detections.jsonl": "spyglass:case:detections",
    "incidents.json": "spyglass:case:incidents",
    "report.html": "spyglass:report:html",
    "sightings.stix2": "spyglass:stix:sightings",
    "misp_event.json": "spyglass:misp:event",
    # Timesketch's worker imports any file it is given, by its extension (.jsonl, .csv).
    "timeline.jsonl": "spyglass:timesketch:jsonl",
    "timeline.csv": "spyglass:timesketch:csv",
    "timeline_detected.csv": "spyglass:timesketch:csv",
}
# Values a task config must never hold (they would sit in Redis and OpenRelik's database).
SECRET_KEYS = ("password", "passphrase", "backup_password", "key", "age_identity")
MAX_GAP_MINUTES = 10_000_000
MAX_CASE_ARCHIVE_BYTES = 8 << 30
MAX_CASE_MEMBERS = 100_000
MAX_LISTED_CHANGES = 50


class ConfigError(SpyglassError):
    """A task config that cannot be used; its text never quotes a value."""


@dataclass
class Settings:
    feeds: list[Path] = field(default_factory=list)
    only_given_feeds: bool = False
    incident_gap: timedelta = timedelta(minutes=15)
    password_file: Path | None = None
    key_file: Path | None = None
    age_identity: Path | None = None

    def secrets(self) -> Any:
        """spyglass's Secrets for one acquisition: the named files only, never the worker's
        environment (one worker serves many cases) and never a prompt."""
        from spyglass.secrets import Secrets

        return Secrets(password_file=self.password_file, key_file=self.key_file, age_identity=self.age_identity,
                       environ={}, interactive=False)


def parse_config(task_config: dict[str, Any] | None) -> Settings:
    config = dict(task_config or {})
    for name in config:
        if str(name).lower() in SECRET_KEYS and config[name] not in (None, "", False):
            raise ConfigError(f"the task config has a '{name}' field: a secret is never taken from the task config "
                              "(OpenRelik sends it through Redis and stores it); put it in a file in the worker's "
                              f"secrets folder and give that file's name as '{name}_secret'. The value was not used.")
    settings = Settings(only_given_feeds=_flag(config.get("only_given_feeds")))
    settings.incident_gap = _gap(config.get("incident_gap_minutes"))
    settings.feeds = [_in_folder(FEEDS_DIR_ENV, None, name, "feed") for name in _names(config.get("feeds"))]
    settings.password_file = _secret(config.get("password_secret"), "password_secret")
    settings.key_file = _secret(config.get("key_secret"), "key_secret")
    settings.age_identity = _secret(config.get("age_identity_secret"), "age_identity_secret")
    if settings.password_file is not None and settings.key_file is not None:
        raise ConfigError("give either password_secret or key_secret, not both")
    return settings


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _gap(value: Any) -> timedelta:
    if value in (None, ""):
        return timedelta(minutes=15)
    try:
        minutes = float(str(value).strip())
    except ValueError:
        raise ConfigError("incident_gap_minutes: not a number of minutes") from None
    if not 0 <= minutes <= MAX_GAP_MINUTES:   # also refuses nan
        raise ConfigError(f"incident_gap_minutes: between 0 and {MAX_GAP_MINUTES} minutes")
    return timedelta(minutes=minutes)


def _names(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).replace(",", "\n").splitlines()
    return [str(item).strip() for item in items if str(item).strip()]


def _secret(value: Any, field_name: str) -> Path | None:
    if value in (None, ""):
        return None
    return _in_folder(SECRETS_DIR_ENV, DEFAULT_SECRETS_DIR, str(value).strip(), field_name)


def _in_folder(env: str, default: str | None, name: str, what: str) -> Path:
    """`name` as a file or folder directly inside the folder `env` names: a plain name only, so
    a task config cannot point the worker anywhere else."""
    folder = os.environ.get(env) or default
    if not folder:
        raise ConfigError(f"{what} {name!r}: this worker has no {env} folder set")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}", name) or ".." in name:
        raise ConfigError(f"{what}: a plain file name is expected (letters, digits, . _ - @ +)")
    path = Path(folder) / name
    if what != "feed" and not path.is_file():
        raise ConfigError(f"{what}: no secret of that name in the worker's secrets folder ({env})")
    if what == "feed" and not path.exists():
        raise ConfigError(f"feed {name!r}: not in the worker's feed folder ({env})")
    return path


def safe_name(display_name: Any, fallback: str) -> str:
    """An uploaded file's name, usable as a display name and a file name: no folders, no
    control characters, bounded."""
    text = str(display_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch if ch.isprintable() else "_" for ch in text).strip().lstrip(".")
    return text[:120] or fallback


def is_feed(input_file: dict[str, Any]) -> bool:
    name = str(input_file.get("display_name") or input_file.get("path") or "").lower()
    return name.endswith(FEED_SUFFIXES) and not name.endswith(CASE_ARCHIVE_SUFFIX)


def is_case_archive(input_file: dict[str, Any]) -> bool:
    name = str(input_file.get("display_name") or "").lower()
    return input_file.get("data_type") == CASE_ARCHIVE_TYPE or name.endswith(CASE_ARCHIVE_SUFFIX)


@dataclass
class Feeds:
    index: Any
    info: list[dict[str, Any]]
    warnings: list[str]


def load_feeds(settings: Settings, feed_inputs: list[dict[str, Any]], workdir: Path) -> Feeds:
    """The bundled (or `spyglass iocs update`d) feeds of the worker unless only_given_feeds, plus
    the feeds named in the config and the feed files among the inputs."""
    from spyglass.feeds import feed_warnings
    from spyglass.indicators import IndicatorIndex, load_paths
    from spyglass.indicators.store import resolve_feeds

    given = list(settings.feeds)
    stored_at: dict[str, str] = {}
    if feed_inputs:
        folder = workdir / "feeds"
        folder.mkdir()
        for number, input_file in enumerate(feed_inputs):
            # Under the name it was uploaded with, which names the feed in case.json.
            target = folder / str(number) / safe_name(input_file.get("display_name"), f"feed-{number}.json")
            target.parent.mkdir()
            shutil.copyfile(input_file["path"], target)
            given.append(target)
            stored_at[str(target)] = str(input_file["path"])
    if settings.only_given_feeds and not given:
        raise ConfigError("only_given_feeds is set but no feed was given")
    feeds = ([] if settings.only_given_feeds else resolve_feeds(None)) + (load_paths(given) if given else [])
    warnings = feed_warnings(feeds)   # the same words as `spyglass check`
    info = [feed.to_dict() for feed in feeds]
    for entry in info:   # case.json names an input feed by where OpenRelik keeps it, not the copy
        if str(entry.get("path")) in stored_at:
            entry["path"] = stored_at[str(entry["path"])]
    return Feeds(IndicatorIndex(feeds), info, warnings)


@contextmanager
def attempt_folder(output_path: Path, task_id: str | None) -> Iterator[Path]:
    """A fresh folder for this attempt beside the output; the leftovers of an earlier attempt
    of the same task (killed before it finished) are removed first."""
    output_path.mkdir(parents=True, exist_ok=True)
    prefix = f".spyglass-{re.sub(r'[^A-Za-z0-9-]', '_', task_id or 'local')[:64]}-"
    for stale in output_path.glob(f"{prefix}*.partial"):
        shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, suffix=".partial", dir=output_path))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Staged:
    """A file written in the attempt folder, waiting to be moved into the output."""

    path: Path
    display_name: str
    data_type: str | None
    original_path: str | None = None


def publish(staged: list[Staged], output_path: Path, source_file_id: Any = None) -> list[dict[str, Any]]:
    """Move every staged file into the output folder under its OpenRelik name; their dicts for
    the task result. Called only once every file of the attempt is written."""
    published = []
    for item in staged:
        output = create_output_file(str(output_path), display_name=item.display_name, data_type=item.data_type,
                                    original_path=item.original_path, source_file_id=source_file_id)
        os.replace(item.path, output.path)
        published.append(output.to_dict())
    return published


def write_reports(case_dir: Path) -> None:
    """Every report spyglass renders from a case folder, written into it."""
    from spyglass.reports.html import write_html
    from spyglass.reports.misp import write_misp
    from spyglass.reports.stix import write_sightings
    from spyglass.reports.timesketch import write_timesketch

    write_sightings(case_dir)
    write_html(case_dir)
    write_timesketch(case_dir)
    write_misp(case_dir)


def archive_case(case_dir: Path, target: Path) -> Path:
    """The whole case folder as one .tar.gz (members under case/), the form recheck takes."""
    with tarfile.open(target, "w:gz") as tar:
        for path in sorted(case_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                tar.add(path, arcname=f"{CASE_TOP}/{path.relative_to(case_dir).as_posix()}", recursive=False)
    return target


def unpack_case(archive: Path, target: Path) -> Path:
    """A case archive unpacked into `target`/case: regular files and folders under case/ only,
    bounded in count and size (Python's tarfile "data" filter refuses links out, absolute
    paths and special files)."""
    total = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = []
            for member in tar:
                if len(members) >= MAX_CASE_MEMBERS:
                    raise SpyglassError(f"case archive: more than {MAX_CASE_MEMBERS} members")
                parts = member.name.split("/")
                if parts[0] != CASE_TOP or ".." in parts or not (member.isfile() or member.isdir()):
                    raise SpyglassError("case archive: a member outside case/ or not a plain file")
                total += member.size
                if total > MAX_CASE_ARCHIVE_BYTES:
                    raise SpyglassError("case archive: larger than the worker unpacks")
                members.append(member)
            tar.extractall(target, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SpyglassError(f"case archive: cannot be read ({type(exc).__name__})") from None
    case_dir = target / CASE_TOP
    if not (case_dir / "case.json").is_file():
        raise SpyglassError("case archive: no case.json, not a spyglass case")
    return case_dir


def stage_case(case_dir: Path, label: str, workdir: Path) -> list[Staged]:
    """The case archive first, then every file of the case folder, named `<label>.<path>`, with
    its place in the case as original_path (OpenRelik rebuilds the tree from it)."""
    archive = archive_case(case_dir, workdir / "case.tar.gz")
    staged = [Staged(archive, f"{label}{CASE_ARCHIVE_SUFFIX}", CASE_ARCHIVE_TYPE, f"{label}{CASE_ARCHIVE_SUFFIX}")]
    for path in sorted(case_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(case_dir).as_posix()
        data_type = DATA_TYPES.get(relative) or ("spyglass:case:records" if relative.startswith("records/")
                                                 else "spyglass:case:file")
        staged.append(Staged(path, f"{label}.{relative.replace('/', '.')}", data_type, f"{label}/{relative}"))
    return staged


def case_counts(case: dict[str, Any], exit_status: int) -> dict[str, Any]:
    """What the task result's meta says of one case: verdict and counts, no evidence values."""
    modules = case.get("modules") or {}
    statuses: dict[str, int] = {}
    for result in modules.values():
        status = str((result or {}).get("status", "unknown"))
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "kind": (case.get("acquisition") or {}).get("kind"),
        "verdict": case.get("verdict"),
        "findings": case.get("findings"),
        "exit_status": exit_status,
        "records": sum(int((result or {}).get("records") or 0) for result in modules.values()),
        "modules": dict(sorted(statuses.items())),
        "indicators": case.get("indicators"),
        "warnings": len(case.get("warnings") or []),
    }


def named_evidence(stored: Path, label: str, workdir: Path) -> Path:
    """The stored input under the name it was uploaded with, as a symbolic link (the stored file
    is left untouched), so the case names the acquisition as a local check of the same file would."""
    link = workdir / "evidence" / label
    link.parent.mkdir()
    try:
        link.symlink_to(stored.resolve())
    except OSError:
        return stored
    return link


def check_one(input_file: dict[str, Any], settings: Settings, feeds: Feeds, workdir: Path) -> tuple[list[Staged], dict]:
    """spyglass check of one acquisition into `workdir`/case, with every report and the archive."""
    from spyglass.check import check

    label = safe_name(input_file.get("display_name"), str(input_file.get("uuid") or "acquisition"))
    case_dir = workdir / "case"
    outcome = check(named_evidence(Path(input_file["path"]), label, workdir), case_dir, [], feeds.index, secrets=settings.secrets(),
                    feed_info=feeds.info, warnings=feeds.warnings, incident_gap=settings.incident_gap)
    write_reports(case_dir)
    return stage_case(case_dir, label, workdir), {"input": label, "input_uuid": input_file.get("uuid"),
                                                  **case_counts(outcome.case, outcome.exit_status)}


def recheck_one(input_file: dict[str, Any], settings: Settings, feeds: Feeds, workdir: Path) -> tuple[list[Staged], dict]:
    """spyglass recheck of one stored case (its archive): the case again, and what changed."""
    import json

    from spyglass.case import read_case, read_detections
    from spyglass.check import recheck
    from spyglass.incidents import finding_ids

    name = safe_name(input_file.get("display_name"), str(input_file.get("uuid") or "case"))
    label = name[: -len(CASE_ARCHIVE_SUFFIX)] if name.lower().endswith(CASE_ARCHIVE_SUFFIX) else name
    case_dir = unpack_case(Path(input_file["path"]), workdir / "unpacked")
    before = read_detections(case_dir)
    verdict_before = read_case(case_dir).get("verdict")
    outcome = recheck(case_dir, feeds.index, feed_info=feeds.info, warnings=feeds.warnings,
                      incident_gap=settings.incident_gap)
    write_reports(case_dir)
    before_ids = dict(zip(finding_ids(before), before, strict=True))
    after_ids = dict(zip(finding_ids(outcome.detections), outcome.detections, strict=True))
    added = [_finding_summary(i, d) for i, d in after_ids.items() if i not in before_ids]
    removed = [_finding_summary(i, d) for i, d in before_ids.items() if i not in after_ids]
    history = (outcome.case.get("history") or [{}])[-1]
    difference = {
        "case": label,
        "verdict_before": verdict_before,
        "verdict_after": outcome.case.get("verdict"),
        "findings_before": len(before),
        "findings_after": len(outcome.detections),
        "added_count": len(added),
        "removed_count": len(removed),
        "added": added[:MAX_LISTED_CHANGES],
        "removed": removed[:MAX_LISTED_CHANGES],
        # incident_changes: counts before/after, and lists of new, grown, shrunk and gone incidents
        "incidents": {kind: len(items) if isinstance(items, list) else items
                      for kind, items in (history.get("incidents") or {}).items()},
    }
    diff_path = workdir / "recheck.json"
    diff_path.write_text(json.dumps(difference, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    staged = stage_case(case_dir, label, workdir)
    staged.insert(1, Staged(diff_path, f"{label}.recheck.json", "spyglass:case:recheck", f"{label}/recheck.json"))
    meta = {"input": name, "input_uuid": input_file.get("uuid"),
            **{key: difference[key] for key in ("verdict_before", "verdict_after", "findings_before",
                                                "findings_after", "added_count", "removed_count", "incidents")},
            **case_counts(outcome.case, outcome.exit_status)}
    meta["changed"] = bool(added or removed)
    return staged, meta


def _finding_summary(identifier: str, detection: Any) -> dict[str, Any]:
    indicator = detection.indicator or {}
    return {"id": identifier, "kind": detection.kind, "severity": detection.severity, "module": detection.module,
            "observable": detection.observable.to_dict() if detection.observable else None,
            "feed": indicator.get("feed"), "malware": indicator.get("malware"), "heuristic": detection.heuristic,
            "message": str(detection.message)[:300]}
