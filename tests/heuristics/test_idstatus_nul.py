from __future__ import annotations

from spyglass.heuristics import idstatus_nul
from spyglass.modules.ios import idstatuscache
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import add_idstatus_cache, idstatus_cache, run_module
from tests.builders.ios_backup import BackupBuilder


def _check(cache, tmp_path):
    builder = BackupBuilder()
    add_idstatus_cache(builder, cache)
    return list(idstatus_nul.check({"idstatuscache": run_module(builder, tmp_path / "b", idstatuscache)}))


def test_idstatus_nul_found(tmp_path):
    [detection] = _check(idstatus_cache(), tmp_path)
    assert detection.severity == "high"
    assert detection.record.fields["account"] == "mailto:bogus\\x00account@example.net"
    assert detection.observable == Observable("email", "bogusaccount@example.net")
    assert "NUL bytes" in detection.message


def test_idstatus_nul_near_miss(tmp_path):
    # A written-out "\x00" (backslash, x, zero, zero) and other odd but NUL-free accounts.
    cache = {"com.apple.madrid": {"mailto:a\\x00b@example.org": {"IDStatus": 2, "LookupDate": 650000000.0},
                                  "tel:+41 79 000 00 00": {"IDStatus": 1, "LookupDate": 650000000.0}}}
    assert _check(cache, tmp_path) == []
