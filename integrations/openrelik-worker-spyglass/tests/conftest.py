"""Fixtures of the worker's tests: a worker environment of its own for each test (no feeds of
this machine's user, a secrets folder and a feed folder in tmp)."""

from __future__ import annotations

from pathlib import Path

import generated_inputs  # noqa: F401  (puts the repository on sys.path for tests.builders)
import pytest

try:
    import openrelik_worker_spyglass  # noqa: F401
except ImportError as exc:  # pragma: no cover - a setup error, said plainly
    raise RuntimeError("the worker is not installed: pip install ./integrations/openrelik-worker-spyglass "
                       "(from the spyglass repository)") from exc

SECRET_NAME = "case-7-backup"


@pytest.fixture(autouse=True)
def worker_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own spyglass feed store (empty: the bundled feeds) and secrets folder."""
    monkeypatch.setenv("SPYGLASS_IOCS_DIR", str(tmp_path / "iocs-store"))
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / SECRET_NAME).write_text(generated_inputs.BACKUP_PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("SPYGLASS_WORKER_SECRETS_DIR", str(secrets))
    feeds = tmp_path / "worker-feeds"
    feeds.mkdir()
    monkeypatch.setenv("SPYGLASS_WORKER_FEEDS_DIR", str(feeds))
    return tmp_path
