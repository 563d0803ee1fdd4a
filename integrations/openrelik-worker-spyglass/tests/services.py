"""The processes the integration test and the benchmark start: a redis-server on loopback and
Celery workers of this package, each in a process group of its own; and how they are stopped."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

QUEUE = "openrelik-worker-spyglass"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_server_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; the worker's integration test and benchmark need a real "
                           "Redis: apt-get install -y redis-server")
    return binary


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A redis-server of its own: loopback only, a free port, its files in `folder`, no
    persistence; stopped on leaving."""
    folder.mkdir(parents=True)
    port = free_port()
    process = subprocess.Popen([redis_server_binary(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
                                "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _pong(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_worker(name: str, redis_url: str, log: Path, **environment: str) -> subprocess.Popen:
    """`celery worker` of this package (concurrency 1, the worker's queue) in a process group of
    its own, so that a kill of the group takes the pool process with it, as when a container dies."""
    command = [sys.executable, "-m", "celery", "--app=openrelik_worker_spyglass.app", "worker", "--concurrency=1",
               "-Q", QUEUE, "-n", f"{name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    with log.open("wb") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "REDIS_URL": redis_url, **environment})


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown, then SIGKILL to the whole group whatever became of the parent."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)


def wait_for_workers(client, count: int, deadline: float) -> None:
    while len(client.control.inspect(timeout=0.5).ping() or {}) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} workers answered in time")
        time.sleep(0.2)
