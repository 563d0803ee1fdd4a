"""The Celery app of the spyglass worker, configured as OpenRelik workers are (broker and result
backend at REDIS_URL), with the settings that make a killed worker lose nothing.

Reliability, in Celery's and kombu's terms:
- `task_acks_late`: a task's message is acknowledged when the task has finished, not when it
  is taken, so a worker that dies mid-task leaves the message unacknowledged in Redis.
- `task_reject_on_worker_lost`: when the pool process running a task dies (SIGKILL, OOM), the
  worker puts the message back on the queue at once instead of recording a failure.
- `visibility_timeout` (broker transport option): a message taken by a worker that died
  altogether (the whole container) is given back to the queue once it has been unacknowledged
  this long, by kombu's `restore_visible` sweep. kombu 5.6 runs that sweep only every ~100 s
  (every tenth call of a 10 s timer), so each worker also runs it itself every 10 s
  (`_restore_sweep`, started when the worker is ready): a task of a dead worker runs again on
  another within visibility_timeout + 10 s. It must exceed the longest check: a check running
  longer would be started a second time elsewhere (harmless, each attempt writes its own folder,
  but wasted work). SPYGLASS_WORKER_VISIBILITY_TIMEOUT sets it, in seconds (default 3 hours).
- `worker_prefetch_multiplier` 1: a worker holds no message beyond the one it runs, so a dead
  worker strands nothing else.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from celery import signals
from celery.app import Celery

if os.getenv("OPENRELIK_PYDEBUG") == "1":
    from openrelik_worker_common.debug_utils import start_debugger

    start_debugger()

QUEUE = "openrelik-worker-spyglass"
# A lab scales by running more workers, one check each: a check's own second process for a large
# listing (spyglass/parallel.py) would only compete with the other workers for the same cores.
os.environ.setdefault("SPYGLASS_JOBS", "1")
DEFAULT_VISIBILITY_TIMEOUT = 3 * 3600
RESTORE_INTERVAL = 10


def _visibility_timeout() -> int:
    value = os.getenv("SPYGLASS_WORKER_VISIBILITY_TIMEOUT", "")
    try:
        seconds = int(value) if value else DEFAULT_VISIBILITY_TIMEOUT
    except ValueError:
        raise SystemExit(f"SPYGLASS_WORKER_VISIBILITY_TIMEOUT={value!r}: not a number of seconds") from None
    if seconds < 1:
        raise SystemExit("SPYGLASS_WORKER_VISIBILITY_TIMEOUT must be at least 1 second")
    return seconds


REDIS_URL = os.getenv("REDIS_URL") or "redis://localhost:6379/0"
VISIBILITY_TIMEOUT = _visibility_timeout()

celery = Celery(broker=REDIS_URL, backend=REDIS_URL, include=[f"{__package__}.tasks"])
celery.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_transport_options={
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": RESTORE_INTERVAL,
        "unacked_restore_throttle": 1,
    },
    # A task shows STARTED (with the worker's name) in the result backend while it runs.
    task_track_started=True,
    # Lost broker connection: cancel the running checks rather than let them finish while
    # their messages are handed to another worker.
    worker_cancel_long_running_tasks_on_connection_loss=True,
    broker_connection_retry_on_startup=True,
    task_default_queue=QUEUE,
    # OpenRelik tasks take and return JSON (input file dicts, base64 result).
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
)


def _restore_sweep(interval: float) -> None:
    """Every `interval` seconds, put back on the queue the messages left unacknowledged longer
    than the visibility timeout (kombu's own sweep, run unthrottled; a Redis lock in kombu keeps
    two workers from restoring the same message)."""
    log = logging.getLogger(__name__)
    while True:
        time.sleep(interval)
        try:
            with celery.connection_for_write() as connection:
                restore = getattr(getattr(connection.default_channel, "qos", None), "restore_visible", None)
                if restore is not None:
                    restore(num=100, interval=1)
        except Exception as exc:   # the broker away for a while: try again at the next sweep
            log.warning("restoring unacknowledged messages failed: %s", type(exc).__name__)


@signals.worker_ready.connect
def _start_restore_sweep(**_: object) -> None:
    threading.Thread(target=_restore_sweep, args=(RESTORE_INTERVAL,), name="spyglass-restore-sweep",
                     daemon=True).start()
