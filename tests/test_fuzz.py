"""Fuzzing every parser of evidence with hypothesis, seeded with real-format fixtures.

Each target may succeed or refuse the input with an EvidenceError / SpyglassError (NotPresent
for an artifact that is not there); any other exception is a bug. CI runs a short bounded run;
`SPYGLASS_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py` runs a longer one. Every crash found
becomes a regression test in the module's own tests.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import plistlib
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spyglass.acquisitions import open_acquisition
from spyglass.acquisitions.android_backup import read_backup
from spyglass.acquisitions.containers import open_container
from spyglass.acquisitions.gzindex import IndexedGzip
from spyglass.bplist import read_mbfile
from spyglass.errors import EvidenceError, NotPresent, SpyglassError
from spyglass.modules import discover
from spyglass.plists import load_plist, unarchive
from spyglass.runner import ModuleResult, run_module
from spyglass.sqlite import Database
from tests.builders.android import android_backup
from tests.builders.archives import write_tar, write_zip
from tests.builders.ios_backup import mbfile_blob
from tests.builders.sqlite import build_sqlite
from tests.builders.sysdiagnose import SysdiagnoseBuilder

EXAMPLES = int(os.environ.get("SPYGLASS_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REFUSALS = (EvidenceError, SpyglassError, NotPresent)


def mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """`seed` with bytes flipped, cut short, or grown: mostly-valid input reaches deep code."""
    flips = st.lists(st.tuples(st.integers(0, max(len(seed) - 1, 0)), st.integers(0, 255)), max_size=12)

    def apply(edits: list[tuple[int, int]], cut: int, tail: bytes) -> bytes:
        data = bytearray(seed)
        for at, value in edits:
            if data:
                data[at % len(data)] = value
        return bytes(data[:cut]) + tail
    return st.builds(apply, flips, st.integers(0, len(seed)), st.binary(max_size=64))


def inputs(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(mutations(seed), st.binary(max_size=2048))


SEED_BPLIST = plistlib.dumps({"a": [1, 2.5, "x", b"\x00", {"b": True}], "c": {"d": [None or 0]}},
                             fmt=plistlib.FMT_BINARY)
SEED_MBFILE = mbfile_blob("Library/SMS/sms.db", 12345)
SEED_SQLITE = build_sqlite("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX i ON t(body);",
                           {"t": [(n, f"row {n}") for n in range(40)]})
SEED_AB = android_backup({"apps/com.android.providers.telephony/d_f/000000_sms_backup": zlib.compress(b"[]")})
SEED_GZIP = gzip.compress(b"hello " * 4000)


@FUZZ
@given(inputs(SEED_BPLIST))
def test_fuzz_plists(data: bytes) -> None:
    try:
        value = load_plist(data, "fuzz.plist")
        if isinstance(value, dict) and "$objects" in value:
            unarchive(value, "fuzz.plist")
    except REFUSALS:
        pass


@FUZZ
@given(inputs(SEED_MBFILE))
def test_fuzz_mbfile_reader(data: bytes) -> None:
    result = read_mbfile(data)
    assert result is None or isinstance(result, dict)


@FUZZ
@given(inputs(SEED_SQLITE))
def test_fuzz_sqlite(data: bytes) -> None:
    try:
        database = Database(data, "fuzz.db")
        for table in sorted(database.tables()):
            database.columns(table)
            list(database.rows(f'SELECT * FROM "{table}" LIMIT 50'))
        database.close()
    except REFUSALS:
        pass


@FUZZ
@given(inputs(SEED_AB))
def test_fuzz_android_backup(data: bytes) -> None:
    warnings: list[str] = []
    with contextlib.suppress(REFUSALS):
        read_backup(io.BytesIO(data), "fuzz.ab", None, warnings)


@FUZZ
@given(inputs(SEED_GZIP), st.lists(st.integers(0, 30_000), max_size=5))
def test_fuzz_gzip_random_access(data: bytes, offsets: list[int]) -> None:
    stream = IndexedGzip(io.BytesIO(data), 10_000_000)
    try:
        for offset in offsets:
            stream.seek(offset)
            stream.read(100)
    except REFUSALS:
        pass


def _archive_seed(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        files = {"private/var/mobile/Library/SMS/sms.db": SEED_SQLITE[:512], "a/b.txt": b"text"}
        path = (write_zip(Path(folder) / "x.zip", files) if kind == "zip"
                else write_tar(Path(folder) / "x.tar.gz", files, compression="gz"))
        return path.read_bytes()


@FUZZ
@given(st.sampled_from(["zip", "tar.gz"]).flatmap(lambda kind: st.tuples(st.just(kind), inputs(_archive_seed(kind)))))
def test_fuzz_containers(case: tuple[str, bytes]) -> None:
    kind, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz.{kind}"
        path.write_bytes(data)
        try:
            container = open_container(path)
            for member in container.members()[:20]:
                if member.kind == "file":
                    with contextlib.suppress(REFUSALS):
                        container.read(member.path, 1 << 20)
            container.close()
        except REFUSALS:
            pass


SYSDIAGNOSE_TARGETS = {
    "shutdown_log": "system_logs.logarchive/Extra/shutdown.log",
    "ps": "ps.txt",
    "crash_reports": "crashes_and_spins/fuzz.ips",
    "device_identity": "remotectl_dumpstate.txt",
    "spindump": "spindump-nosymbols.txt",
    "taskinfo": "taskinfo.txt",
}
SEED_TEXT = (b'{"bug_type":"309","timestamp":"2024-06-01 10:00:00.00 +0000","os_version":"iPhone OS 17.5"}\n'
             b'{"procName":"bh","procPath":"/private/var/db/bh"}\n'
             b"After 1.02s, these clients are still here:\n\t\tremaining client pid: 1 (/usr/libexec/x)\n"
             b"SIGTERM: [1717236000] (1717236000)\nUSER UID PID PPID COMMAND\nroot 0 1 0 /sbin/launchd\n")


@FUZZ
@given(st.sampled_from(sorted(SYSDIAGNOSE_TARGETS)), inputs(SEED_TEXT))
def test_fuzz_sysdiagnose_text_modules(name: str, data: bytes) -> None:
    [module] = [m for m in discover("ios") if m.name == name]
    with tempfile.TemporaryDirectory() as folder:
        path = SysdiagnoseBuilder().add(SYSDIAGNOSE_TARGETS[name], data).build_tar(Path(folder))
        acquisition = open_acquisition(path)
        result = ModuleResult(name, "")
        list(run_module(module, acquisition, result))
        acquisition.close()
    bugs = [e for e in result.errors if not any(kind in e for kind in ("EvidenceError",)) and
            e.split(": ", 1)[-1].split(":", 1)[0] in {"TypeError", "AttributeError", "KeyError", "IndexError",
                                                       "ValueError", "UnboundLocalError", "ZeroDivisionError",
                                                       "OverflowError", "RecursionError", "UnicodeDecodeError"}]
    assert bugs == []


def _module_targets() -> list[tuple[str, str]]:
    """(module, kind) for every module: iOS modules on a backup, the others on their own kind."""
    from tests.test_hostile import NAMED_KINDS, named_modules

    targets = [(m.name, "ios-backup") for m in discover("ios") if m.artifact.paths]
    for kind in NAMED_KINDS:
        targets += [(m.name, kind) for m in named_modules(kind)]
    return sorted(set(targets))


SEED_ANY = SEED_SQLITE[:1024] + SEED_BPLIST + SEED_TEXT


@FUZZ
@given(st.sampled_from(_module_targets()), inputs(SEED_ANY))
def test_fuzz_every_module(target: tuple[str, str], data: bytes) -> None:
    from tests.builders.ios_backup import BackupBuilder
    from tests.test_hostile import BUG_TYPES, backup_places, build_named

    name, kind = target
    [module] = [m for m in discover() if m.name == name]
    with tempfile.TemporaryDirectory() as folder:
        if kind == "ios-backup":
            builder = BackupBuilder()
            for domain, relative in sorted(set(backup_places(module))):
                builder.add_file(domain, relative, data)
            path = builder.build(Path(folder) / "backup")
        else:
            path = build_named(kind, Path(folder), data)
        acquisition = open_acquisition(path, kind)
        result = ModuleResult(name, "")
        list(run_module(module, acquisition, result))
        acquisition.close()
    assert [e for e in result.errors if (e.split(": ", 1)[1] if ": " in e else e).startswith(BUG_TYPES)] == []
