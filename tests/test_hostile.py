"""Every module meets hostile files at each of its paths: empty, random bytes, a truncated
SQLite header, and plists of the wrong shape. The runner always survives; what is checked
here is that the module fails *cleanly* (an EvidenceError naming the file, or no records),
never with a Python bug such as TypeError or AttributeError."""

from __future__ import annotations

import plistlib
import random
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.modules import Module, discover
from spyglass.runner import ModuleResult, run_module
from tests.builders.ios_backup import BackupBuilder, backup_location, concrete_device_path
from tests.builders.plist_bombs import doubling_archive, many_elements_xml, shared_reference_bplist

BUG_TYPES = ("TypeError", "AttributeError", "KeyError", "IndexError", "ValueError", "UnboundLocalError",
             "NameError", "AssertionError", "ZeroDivisionError", "OverflowError", "RecursionError",
             "UnicodeDecodeError", "UnicodeEncodeError", "OperationalError", "DatabaseError")
rng = random.Random(20210718)
PAYLOADS = {
    "empty": b"",
    "random": bytes(rng.randrange(256) for _ in range(4096)),
    "sqlite_header_only": b"SQLite format 3\x00" + bytes(84),
    "truncated_bplist": plistlib.dumps({"a": list(range(50))}, fmt=plistlib.FMT_BINARY)[:-20],
    "plist_list": plistlib.dumps([1, "two", {"three": [3.0]}], fmt=plistlib.FMT_BINARY),
    "plist_string": plistlib.dumps("just a string", fmt=plistlib.FMT_XML),
    "plist_odd_values": plistlib.dumps({"a": {"b": [b"\x00", 1.5, True]}, "c": [[[]]], "LookupDate": "x",
                                        "com.apple.madrid": ["not", "a", "dict"], "netUsageBaseline": 7,
                                        "ProfileEvents": {"x": 1}}, fmt=plistlib.FMT_BINARY),
    "xml_entity_bomb": (b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa">'
                        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><plist><string>&b;</string></plist>'),
    # Resource bombs: small files, enormous when walked per path or parsed whole.
    "bplist_shared_references": shared_reference_bplist(),
    "keyed_archive_doubling": plistlib.dumps(doubling_archive(40), fmt=plistlib.FMT_BINARY),
    "xml_many_elements": many_elements_xml(),
}
MAX_RECORD_JSON = 2 * 1024 * 1024   # what a record may weigh, whatever a module copied into it


def backup_places(module: Module) -> list[tuple[str, str]]:
    """(domain, relativePath) of one file at each of the module's device paths."""
    return [backup_location(concrete_device_path(path)) for path in module.artifact.paths]


def ios_backup_modules() -> list[Module]:
    return [m for m in discover("ios") if m.artifact.paths]


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_every_module_fails_cleanly_on_hostile_files(tmp_path: Path, payload: str) -> None:
    builder = BackupBuilder()
    paths = {place for m in ios_backup_modules() for place in backup_places(m)}
    for domain, relative_path in sorted(paths):
        builder.add_file(domain, relative_path, PAYLOADS[payload])
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    bugs = []
    for module in ios_backup_modules():
        result = ModuleResult(module.name, module.artifact.description)
        records = list(run_module(module, backup, result))
        for error in result.errors:
            message = error.split(": ", 1)[1] if ": " in error else error
            if message.startswith(BUG_TYPES):
                bugs.append(f"{module.name}: {error}")
        assert result.status in ("ok", "error", "not present"), module.name
        assert all(record.module == module.name for record in records)
        heavy = [len(orjson.dumps(record.to_dict(), default=str)) for record in records]
        assert not heavy or max(heavy) < MAX_RECORD_JSON, module.name
    assert bugs == []


HOSTILE_VALUES = [None, "", "x" * 5000, b"\x00\xff" * 100, -1, 2**63 - 1, -(2**63), 1e308, float("nan"),
                  "\u202eevil\u0000", "1e999", "2021-07-01", "mailto:\x00@", "../../etc/passwd"]


def hostile_database(tables: dict[str, set[str]]) -> bytes:
    """The declared tables, every column untyped, each row one hostile value in every column."""
    import sqlite3

    connection = sqlite3.connect(":memory:")
    for table, columns in tables.items():
        names = sorted(columns)
        connection.execute(f'CREATE TABLE "{table}" ({", ".join(f"{c!r}" for c in names)})')
        for value in HOSTILE_VALUES:
            connection.execute(f'INSERT INTO "{table}" VALUES ({", ".join("?" for _ in names)})',
                               [value] * len(names))
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


def test_every_sqlite_module_survives_type_confused_rows(tmp_path: Path) -> None:
    builder = BackupBuilder()
    seen: set[tuple[str, str]] = set()
    modules = [m for m in ios_backup_modules() if m.artifact.tables]
    for module in modules:
        for key in backup_places(module):
            if key not in seen:
                seen.add(key)
                builder.add_file(*key, hostile_database(module.artifact.tables))
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    bugs = []
    for module in modules:
        result = ModuleResult(module.name, module.artifact.description)
        list(run_module(module, backup, result))
        bugs += [f"{module.name}: {e}" for e in result.errors
                 if (e.split(": ", 1)[1] if ": " in e else e).startswith(BUG_TYPES)]
    assert bugs == []


# -- resource bombs: each was a crash, a hang or gigabytes of memory before it was bounded ------------

def _virtual_tables(tables: dict[str, set[str]]) -> bytes:
    """Every declared table as an FTS4 virtual table of the declared columns."""
    import sqlite3

    connection = sqlite3.connect(":memory:")
    for table, columns in tables.items():
        connection.execute(f'CREATE VIRTUAL TABLE "{table}" USING fts4({", ".join(f"{c!r}" for c in sorted(columns))})')
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


def _generated_bomb(tables: dict[str, set[str]]) -> bytes:
    """Every declared column generated as a 200 MB blob from a few bytes of row."""
    import sqlite3

    connection = sqlite3.connect(":memory:")
    for table, columns in tables.items():
        generated = ", ".join(f"{c!r} GENERATED ALWAYS AS (zeroblob(bomb_size)) VIRTUAL" for c in sorted(columns))
        connection.execute(f'CREATE TABLE "{table}" (bomb_size INTEGER, {generated})')
        connection.executemany(f'INSERT INTO "{table}" (bomb_size) VALUES (?)', [(200_000_000,)] * 3)
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


def _run_sqlite_modules(tmp_path: Path, database: Callable[[dict[str, set[str]]], bytes],
                        wal: Callable[[bytes], bytes] | None = None) -> dict[str, ModuleResult]:
    builder = BackupBuilder()
    modules = [m for m in ios_backup_modules() if m.artifact.tables]
    tables_at: dict[tuple[str, str], dict[str, set[str]]] = {}
    for module in modules:   # several modules read one database (browser.db): all their tables
        for key in backup_places(module):
            tables = tables_at.setdefault(key, {})
            for table, columns in module.artifact.tables.items():
                tables.setdefault(table, set()).update(columns)
    for key, tables in sorted(tables_at.items()):
        data = database(tables)
        builder.add_file(*key, data)
        if wal is not None:
            builder.add_file(key[0], key[1] + "-wal", wal(data))
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    results = {}
    for module in modules:
        results[module.name] = result = ModuleResult(module.name, module.artifact.description)
        list(run_module(module, backup, result))
    return results


def test_every_sqlite_module_refuses_virtual_tables(tmp_path: Path) -> None:
    results = _run_sqlite_modules(tmp_path, _virtual_tables)
    unrefused = {name: (r.status, r.message) for name, r in results.items()
                 if r.status != "not present" and not (r.status == "error" and "is a virtual table" in (r.message or ""))}
    assert unrefused == {}


def test_every_sqlite_module_bounds_generated_values(tmp_path: Path) -> None:
    results = _run_sqlite_modules(tmp_path, _generated_bomb)
    bad = {name: (r.status, r.message) for name, r in results.items()
           if r.status != "not present" and "is over the 67108864 byte bound" not in (r.message or "")}
    assert bad == {}


def test_every_sqlite_module_survives_a_forged_wal(tmp_path: Path) -> None:
    # A 4 KB -wal claiming 500,000 pages (2 GB) beside each database: it is not trusted.
    from tests.test_sqlite import forged_wal

    results = _run_sqlite_modules(tmp_path, hostile_database, lambda data: forged_wal(data, commit_size=500_000))
    bugs = {name: r.errors for name, r in results.items()
            if any((e.split(": ", 1)[1] if ": " in e else e).startswith(BUG_TYPES) for e in r.errors)}
    assert bugs == {}
    assert {r.status for r in results.values()} <= {"ok", "error", "not present"}


# -- every kind whose files are named, not placed: sysdiagnose, androidqf, bug reports, Android
# backups and intrusion logs. Each name a module declares for the kind holds the hostile payload.

def concrete_name(pattern: str) -> str:
    return concrete_device_path("/" + pattern)[1:]


def named_modules(kind: str) -> list[Module]:
    return [m for m in discover() if kind in m.artifact.kinds and (m.artifact.extra.get(kind) or
                                                                    (kind == "android-bugreport" and m.artifact.paths))]


def named_places(kind: str) -> list[str]:
    places = {concrete_name(name) for m in named_modules(kind) for name in m.artifact.extra.get(kind, ())}
    if kind == "android-bugreport":   # device paths are FS/<path> in a bug report
        places |= {"FS" + concrete_device_path(path) for m in named_modules(kind) for path in m.artifact.paths}
    return sorted(places)


def build_named(kind: str, folder: Path, payload: bytes) -> Path:
    from tests.builders.android import AndroidQFBuilder, BugreportBuilder, android_backup
    from tests.builders.android_intrusion import DAY
    from tests.builders.sysdiagnose import SysdiagnoseBuilder

    places = named_places(kind)
    if kind == "sysdiagnose":
        builder = SysdiagnoseBuilder()
        for place in places:
            builder.add(place, payload)
        builder.add("remotectl_dumpstate.txt", payload)    # a marker, whatever sysdiagnose.log holds
        return builder.build_tar(folder)
    if kind == "androidqf":
        qf = AndroidQFBuilder()
        for place in places:
            if not place.startswith("backup.ab/"):
                qf.add(place, payload)
        qf.add("backup.ab", android_backup({place.removeprefix("backup.ab/"): payload for place in places
                                            if place.startswith("backup.ab/")}))
        return qf.build_zip(folder)
    if kind == "android-bugreport":
        report = BugreportBuilder(dumpstate=payload)
        for place in places:
            report.add(place, payload)
        return report.build_zip(folder)
    if kind == "android-backup":
        path = folder / "backup.ab"
        path.write_bytes(android_backup({place: payload for place in places}))
        return path
    logs = folder / "intrusion-logs"     # one good log makes it recognisable; the rest is hostile
    logs.mkdir()
    (logs / "2026-06-08.txt").write_bytes(DAY)
    for number, place in enumerate(places):
        target = logs / f"hostile-{number}-{Path(place).name}"
        target.write_bytes(payload)
    return logs


NAMED_KINDS = ("sysdiagnose", "androidqf", "android-bugreport", "android-backup", "android-intrusion-logs")


@pytest.mark.parametrize("kind", NAMED_KINDS)
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_every_named_kind_module_fails_cleanly_on_hostile_files(tmp_path: Path, kind: str, payload: str) -> None:
    from spyglass.acquisitions import open_acquisition

    assert named_modules(kind), kind
    acquisition = open_acquisition(build_named(kind, tmp_path, PAYLOADS[payload]), kind)
    assert acquisition.kind == kind
    bugs = []
    for module in named_modules(kind):
        result = ModuleResult(module.name, module.artifact.description)
        records = list(run_module(module, acquisition, result))
        bugs += [f"{module.name}: {e}" for e in result.errors
                 if (e.split(": ", 1)[1] if ": " in e else e).startswith(BUG_TYPES)]
        assert result.status in ("ok", "error", "not present", "missing"), module.name
        heavy = [len(orjson.dumps(record.to_dict(), default=str)) for record in records]
        assert not heavy or max(heavy) < MAX_RECORD_JSON, module.name
    acquisition.close()
    assert bugs == []
