"""The bounds live in one place and can be overridden for a run, never set to nonsense."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def limit_in_child(name: str, value: str | None) -> str:
    env = dict(os.environ, PYTHONPATH=SRC)
    env.pop(f"SPYGLASS_{name}", None)
    if value is not None:
        env[f"SPYGLASS_{name}"] = value
    return subprocess.run([sys.executable, "-c", f"import spyglass.limits as l; print(l.{name})"], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()


def test_limit_default_and_override() -> None:
    assert limit_in_child("MAX_TEXT_BYTES", None) == str(256 * 1024 * 1024)
    assert limit_in_child("MAX_TEXT_BYTES", "536870912") == "536870912"
    assert limit_in_child("MAX_SQLITE_SECONDS", "30") == "30.0"


def test_limit_nonsense_ignored() -> None:
    for nonsense in ("-1", "0", "lots", "1e999"):
        assert limit_in_child("MAX_PLIST_OBJECTS", nonsense) == "500000"
