"""The worker's Celery tasks, named as OpenRelik routes them: `<queue>.tasks.<name>`.

- `openrelik-worker-spyglass.tasks.check`: each input file an acquisition (iOS filesystem dump or
  backup as .zip/.tar, sysdiagnose, androidqf zip, bug report, .ab); feed files among the inputs
  (.stix2, .stix, .json, .yaml) are added to the feeds. Output: each case folder's files and the
  case as one archive; meta: verdict and counts per case.
- `openrelik-worker-spyglass.tasks.recheck`: each input a case archive made by `check`, matched
  again against the feeds given; output: the case again and `<case>.recheck.json`, what changed.

Both take OpenRelik's arguments (pipe_result, input_files, output_path, workflow_id,
task_config) and return its base64 task result. One input that cannot be checked is reported in
the meta and the others go on; a task all of whose inputs failed fails. Nothing from the evidence
is logged; the task config never holds a secret (see casework.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery.utils.log import get_task_logger
from openrelik_worker_common.reporting import Priority, Report
from openrelik_worker_common.task_utils import create_task_result, get_input_files

from spyglass.errors import SpyglassError

from . import casework
from .app import celery

QUEUE = "openrelik-worker-spyglass"
CHECK_TASK_NAME = f"{QUEUE}.tasks.check"
RECHECK_TASK_NAME = f"{QUEUE}.tasks.recheck"

_FEED_CONFIG = [
    {"name": "feeds", "label": "Indicator feeds to add",
     "description": "Names of feed files (STIX 2.1, MISP event, stalkerware YAML) or folders in the worker's "
                    "feed folder (SPYGLASS_WORKER_FEEDS_DIR), one per line. Feed files selected as inputs "
                    "(.stix2, .stix, .json, .yaml) are added too.",
     "type": "textarea", "required": False},
    {"name": "only_given_feeds", "label": "Only the given feeds",
     "description": "Match only the feeds given here, not the public spyware feeds bundled with spyglass.",
     "type": "checkbox", "required": False},
    {"name": "incident_gap_minutes", "label": "Incident gap (minutes)",
     "description": "Findings this close in time form one incident (default 15).",
     "type": "text", "required": False},
]
_SECRET_CONFIG = [
    {"name": "password_secret", "label": "Backup password: secret name",
     "description": "For an encrypted iOS backup, .ab or passphrase-encrypted androidqf: the NAME of a file in "
                    "the worker's secrets folder (SPYGLASS_WORKER_SECRETS_DIR, default /run/secrets) holding the "
                    "password. Never type the password itself here: the task config is sent through Redis and "
                    "stored by OpenRelik.",
     "type": "text", "required": False},
    {"name": "key_secret", "label": "Backup key: secret name",
     "description": "Instead of a password: the name of a key file made by 'spyglass ios derive-key', in the "
                    "worker's secrets folder.",
     "type": "text", "required": False},
    {"name": "age_identity_secret", "label": "age identity: secret name",
     "description": "For an androidqf .zip.age encrypted to an age key: the name of the identity file in the "
                    "worker's secrets folder.",
     "type": "text", "required": False},
]

CHECK_METADATA = {
    "display_name": "spyglass check",
    "description": "Check phone acquisitions (iOS backup or filesystem dump as .zip/.tar, sysdiagnose, androidqf, "
                   "Android bug report or backup) for traces of mercenary spyware; writes the case folder, its "
                   "report and a Timesketch timeline",
    "task_config": [*_FEED_CONFIG, *_SECRET_CONFIG],
}
RECHECK_METADATA = {
    "display_name": "spyglass recheck",
    "description": "Match stored spyglass cases (their .spyglass-case.tar.gz) again against today's or given "
                   "indicator feeds, without the phone; says what changed per case",
    "task_config": list(_FEED_CONFIG),
}

logger = get_task_logger(__name__)


def _run(task: Any, kind: str, pipe_result: str | None, input_files: list | None, output_path: str | None,
         workflow_id: str | None, task_config: dict | None) -> str:
    if not output_path:
        raise SpyglassError("no output_path given")
    output = Path(output_path)
    files = get_input_files(pipe_result, input_files or [])
    settings = casework.parse_config(task_config)
    task_id = getattr(task.request, "id", None)
    feed_inputs = [f for f in files if casework.is_feed(f)]
    if kind == "check":
        targets = [f for f in files if not casework.is_feed(f)]
        work = casework.check_one
    else:
        targets = [f for f in files if casework.is_case_archive(f)]
        work = casework.recheck_one
    if not targets:
        raise SpyglassError(f"no {'acquisition' if kind == 'check' else 'case archive'} among the input files")
    logger.info("spyglass %s: %d input(s), task %s, workflow %s", kind, len(targets), task_id, workflow_id)
    cases: list[dict[str, Any]] = []
    with casework.attempt_folder(output, task_id) as attempt:
        feeds = casework.load_feeds(settings, feed_inputs, attempt)
        staged: list[tuple[list[casework.Staged], Any]] = []
        for number, input_file in enumerate(targets):
            if not getattr(task.request, "is_eager", True):   # progress for OpenRelik's UI
                task.send_event("task-progress", data={"done": number, "total": len(targets)})
            workdir = attempt / f"input-{number}"
            workdir.mkdir()
            try:
                files_of_case, meta = work(input_file, settings, feeds, workdir)
            except SpyglassError as exc:
                cases.append({"input": casework.safe_name(input_file.get("display_name"), "input"),
                              "input_uuid": input_file.get("uuid"), "error": str(exc)[:500]})
                logger.warning("spyglass %s: input %d of %d could not be checked", kind, number + 1, len(targets))
                continue
            except Exception as exc:  # hostile input must never stop the other inputs
                cases.append({"input": casework.safe_name(input_file.get("display_name"), "input"),
                              "input_uuid": input_file.get("uuid"),
                              "error": f"the check could not run: {type(exc).__name__}"})
                logger.warning("spyglass %s: input %d of %d failed (%s)", kind, number + 1, len(targets),
                               type(exc).__name__, exc_info=bool(os.environ.get("SPYGLASS_DEBUG")))
                continue
            staged.append((files_of_case, input_file.get("id")))
            cases.append(meta)
        if not staged:
            raise SpyglassError("; ".join(f"{c['input']}: {c['error']}" for c in cases)[:2000])
        # Everything is written: only now do the files move into the output folder.
        output_files = [item for files_of_case, source in staged
                        for item in casework.publish(files_of_case, output, source)]
    meta = {"cases": cases, "feeds": [f.get("name") for f in feeds.info], "warnings": feeds.warnings}
    return create_task_result(output_files=output_files, workflow_id=workflow_id, command=f"spyglass {kind}",
                              meta=meta, task_report=_report(kind, cases))


def _report(kind: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    report = Report(f"spyglass {kind}")
    section = report.add_section()
    worst = Priority.INFO
    for case in cases:
        if "error" in case:
            section.add_bullet(f"{case['input']}: not checked: {case['error']}")
            worst = max(worst, Priority.MEDIUM)
            continue
        findings = (case.get("findings") or {}).get("total", 0)
        line = f"{case['input']}: {case.get('verdict')} ({findings} findings)"
        if kind == "recheck":
            line += f"; {case.get('added_count', 0)} new, {case.get('removed_count', 0)} gone since the last check"
        section.add_bullet(line)
        if case.get("exit_status"):
            worst = max(worst, Priority.HIGH)
    report.priority = worst
    report.summary = f"{len(cases)} case(s); " + ("findings in at least one" if worst >= Priority.HIGH else
                                                  "no findings" if worst == Priority.INFO else "some not checked")
    return report.to_dict()


@celery.task(bind=True, name=CHECK_TASK_NAME, metadata=CHECK_METADATA, acks_late=True, reject_on_worker_lost=True)
def check(self, pipe_result: str | None = None, input_files: list | None = None, output_path: str | None = None,
          workflow_id: str | None = None, task_config: dict | None = None) -> str:
    """spyglass check of each acquisition among the input files."""
    return _run(self, "check", pipe_result, input_files, output_path, workflow_id, task_config)


@celery.task(bind=True, name=RECHECK_TASK_NAME, metadata=RECHECK_METADATA, acks_late=True, reject_on_worker_lost=True)
def recheck(self, pipe_result: str | None = None, input_files: list | None = None, output_path: str | None = None,
            workflow_id: str | None = None, task_config: dict | None = None) -> str:
    """spyglass recheck of each stored case archive among the input files."""
    return _run(self, "recheck", pipe_result, input_files, output_path, workflow_id, task_config)
