"""The device-path glob dialect: per-component wildcards, `**`, containers by identifier."""

from __future__ import annotations

import pytest

from spyglass.acquisitions.devpath import DevicePattern, path_name, sql_glob

CHROME = "/private/var/mobile/Containers/Data/Application/{com.google.chrome.ios}/Library/Chrome/*/History"


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("/private/var/mobile/Library/SMS/sms.db", "/private/var/mobile/Library/SMS/sms.db", True),
    ("/private/var/mobile/Library/SMS/sms.db", "/private/var/mobile/Library/SMS/sms.db-wal", False),
    ("/private/var/mobile/Library/Safari/Profiles/*/History.db",
     "/private/var/mobile/Library/Safari/Profiles/A/History.db", True),
    # One component only: SQLite GLOB's `*` would cross the slash here.
    ("/private/var/mobile/Library/Safari/Profiles/*/History.db",
     "/private/var/mobile/Library/Safari/Profiles/A/B/History.db", False),
    ("/private/var/**/observations.db", "/private/var/observations.db", True),
    ("/private/var/**/observations.db", "/private/var/a/b/c/observations.db", True),
    ("/private/var/**", "/private/var/db/roleaccountd.plist", True),
    ("/private/var/**", "/private/var", False),
    ("/private/var/db/*.plist", "/private/var/db/com.apple.xpc.roleaccountd.staging", False),
    ("/private/var/db/?.db", "/private/var/db/a.db", True),
    ("/private/var/mobile/Library/SMS/sms.db", "/private/var/mobile/library/sms/sms.db", False),
])
def test_pattern_match(pattern: str, path: str, expected: bool) -> None:
    assert DevicePattern(pattern).match(path) is expected


def test_container_matched_by_identifier() -> None:
    pattern = DevicePattern(CHROME)
    in_backup = "/private/var/mobile/Containers/Data/Application/com.google.chrome.ios/Library/Chrome/Default/History"
    on_dump = "/private/var/mobile/Containers/Data/Application/5D1F0C2A-UUID/Library/Chrome/Default/History"
    assert pattern.match(in_backup)
    assert not pattern.match(on_dump)
    folders = {"/private/var/mobile/Containers/Data/Application/5D1F0C2A-UUID": "com.google.chrome.ios"}
    assert pattern.match(on_dump, folders.get)
    assert not pattern.match(on_dump, {}.get)


def test_pattern_under_backup_domain_roots() -> None:
    pattern = DevicePattern(CHROME)
    assert list(pattern.under("/private/var/mobile/Containers/Data/Application/{}")) == [
        (("Library", "Chrome", "*", "History"), "com.google.chrome.ios")]
    assert list(pattern.under("/private/var/root")) == []
    webkit = DevicePattern("/private/var/**/Library/WebKit/observations.db")
    assert [(sql_glob(rest), container) for rest, container in webkit.under("/private/var/mobile")] == [
        ("*Library/WebKit/observations.db", None)]


def test_sql_glob_is_a_superset() -> None:
    assert sql_glob(("a", "**", "b")) == "a*b"
    assert sql_glob(("**", "b")) == "*b"
    assert sql_glob(("a", "*", "b")) == "a/*/b"
    assert sql_glob(("{com.x}", "b")) == "*/b"


@pytest.mark.parametrize(("pattern", "reason"), [
    ("private/var/x", "must be absolute"),
    ("/private//var", "without empty components"),
    ("/private/var/[ab]", "character classes are not supported"),
    ("/private/var/a**", "'\\*\\*' must be a whole component"),
    ("/private/var/{a", "a container is written"),
])
def test_pattern_refused(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        DevicePattern(pattern)


@pytest.mark.parametrize("path", ["", "a", "a/b", "/a/b", "a/b/", "a//b", "a/./", "a/.", ".", "./", "/", "//",
                                  "a/..", "..", "a/b/./.", "Library/SMS/sms.db", "\u00e9t\u00e9/x y", "a\\b"])
def test_path_name_is_pathlibs_name(path: str) -> None:
    from pathlib import PurePosixPath

    assert path_name(path) == PurePosixPath(path).name


def test_path_name_is_pathlibs_name_for_any_text() -> None:
    from pathlib import PurePosixPath

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.sampled_from(["a", "b.c", ".", "..", "", "/", "//", "x y", "\u00e9"]), max_size=8).map("".join))
    def same(path: str) -> None:
        assert path_name(path) == PurePosixPath(path).name

    same()
