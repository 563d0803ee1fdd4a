from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules.android import android_getprop
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder, BugreportBuilder
from tests.builders.androidqf_artifacts import GETPROP, GETPROP_ANDROID8, run


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_getprop_normal(tmp_path, form):
    records = run(android_getprop, AndroidQFBuilder().add("getprop.txt", GETPROP), tmp_path, form=form)
    assert [r.fields["property"] for r in records] == [
        "persist.sys.timezone", "ro.build.fingerprint", "ro.build.version.release",
        "ro.build.version.security_patch", "ro.product.model", "vendor.banner", "vendor.empty"]
    patch = records[3]
    assert patch.fields == {"property": "ro.build.version.security_patch", "value": "2024-02-05"}
    assert patch.observables == (Observable("android_property", "ro.build.version.security_patch"),)
    assert patch.timestamp is None
    assert records[5].fields["value"] == "first line\nsecond line"
    assert records[6].fields["value"] == ""


def test_getprop_android8_crlf(tmp_path):
    records = run(android_getprop, AndroidQFBuilder().add("getprop.txt", GETPROP_ANDROID8), tmp_path)
    assert [(r.fields["property"], r.fields["value"]) for r in records] == [
        ("ro.build.version.release", "8.0.0"), ("ro.build.version.security_patch", "2018-09-01"),
        ("ro.product.model", "SM-G950F")]


def test_getprop_empty(tmp_path):
    assert run(android_getprop, AndroidQFBuilder().add("getprop.txt", b""), tmp_path) == []


def test_getprop_corrupt(tmp_path):
    builder = AndroidQFBuilder().add("getprop.txt", b"\x00\xffnot getprop at all\n")
    with pytest.raises(EvidenceError, match=r"^getprop\.txt: not getprop output \(no \[name\]: \[value\] line\)$"):
        run(android_getprop, builder, tmp_path)


# -- a bug report's dumpstate: the "SYSTEM PROPERTIES (getprop)" section --------------------------

def _dumpstate(body: str, *, end: bool = True) -> bytes:
    """dumpstate text as AOSP dumpstate.cpp writes it: header, sections opened by "------ TITLE
    (command) ------" and closed by "------ 0.050s was the duration of 'TITLE' ------"."""
    text = ("========================================================\n"
            "== dumpstate: 2024-06-01 12:00:00\n"
            "========================================================\n\n"
            "Build: UQ1A.240205.004\n"
            "------ UPTIME (uptime) ------\n up 2 days\n------ 0.004s was the duration of 'UPTIME' ------\n"
            "------ SYSTEM PROPERTIES (getprop) ------\n" + body)
    if end:
        text += "------ 0.050s was the duration of 'SYSTEM PROPERTIES' ------\n"
    text += ("------ STORAGE INFO (df) ------\n[not.a.property]: [from df]\n"
             "------ 0.010s was the duration of 'STORAGE INFO' ------\n")
    return text.encode()


# Another command's lines land inside the section: dumpstate runs some in parallel (seen in real
# dumps; MVT's bugreport tests keep such a case).
BUGREPORT_GETPROP = (
    "------ 0.019s was the duration of 'mount debugfs' ------\n"
    "*** command '/system/xbin/su root mount -t debugfs debugfs /sys/kernel/debug' failed: exit code 1\n"
    "[persist.sys.timezone]: [Europe/Paris]\n"
    "[ro.build.version.release]: [14]\n"
    "------ 0.101s was the duration of 'DROPBOX SYSTEM SERVER CRASHES' ------\n"
    "[ro.build.version.security_patch]: [2023-10-05]\n"
    "[vendor.banner]: [first line\n"
    "second line]\n"
    "[vendor.empty]: []\n")


def test_getprop_bugreport_section(tmp_path):
    builder = BugreportBuilder(dumpstate=_dumpstate(BUGREPORT_GETPROP))
    records = run(android_getprop, builder, tmp_path)
    assert [(r.fields["property"], r.fields["value"]) for r in records] == [
        ("persist.sys.timezone", "Europe/Paris"), ("ro.build.version.release", "14"),
        ("ro.build.version.security_patch", "2023-10-05"), ("vendor.banner", "first line\nsecond line"),
        ("vendor.empty", "")]
    assert records[2].observables == (Observable("android_property", "ro.build.version.security_patch"),)


def test_getprop_bugreport_android8_cut_short(tmp_path):
    """A dumpstate cut off before the section's duration line: the properties up to the first
    line that is not one."""
    body = "[ro.build.version.release]: [8.0.0]\r\n[ro.build.version.security_patch]: [2018-09-01]\r\n"
    text = (b"== dumpstate: 2018-10-01 09:00:00\n------ SYSTEM PROPERTIES (getprop) ------\n" + body.encode()
            + b"Filesystem  1K-blocks\n[x]: [y]\n")
    records = run(android_getprop, BugreportBuilder(dumpstate=text), tmp_path)
    assert [(r.fields["property"], r.fields["value"]) for r in records] == [
        ("ro.build.version.release", "8.0.0"), ("ro.build.version.security_patch", "2018-09-01")]


def test_getprop_bugreport_empty(tmp_path):
    assert run(android_getprop, BugreportBuilder(dumpstate=_dumpstate("")), tmp_path) == []


def test_getprop_bugreport_not_present_and_corrupt(tmp_path):
    text = b"------ UPTIME (uptime) ------\n up 2 days\n------ 0.004s was the duration of 'UPTIME' ------\n"
    with pytest.raises(NotPresent, match=r": no 'SYSTEM PROPERTIES' section$"):
        run(android_getprop, BugreportBuilder(dumpstate=text), tmp_path)
    with pytest.raises(EvidenceError, match=r"^bugreport-.*\.txt: no '------ <section> \(<command>\) ------' line: "
                                            r"not dumpstate output$"):
        run(android_getprop, BugreportBuilder(dumpstate=b"\x00\xff not a dumpstate\n"), tmp_path / "b")


def test_getprop_bugreport_dumpsys_only(tmp_path):
    """A dumpstate.txt of dumpsys blocks and no command section (as MVT's sample bug report keeps):
    the properties are not there, which is not damage."""
    text = (b"Currently running services:\n  appops\n" + b"-" * 79 + b"\nDUMP OF SERVICE appops:\n"
            b"Current AppOps Service state:\n")
    with pytest.raises(NotPresent, match=r"^bugreport-.*\.txt: dumpsys output only, no 'SYSTEM PROPERTIES' section$"):
        run(android_getprop, BugreportBuilder(dumpstate=text), tmp_path)
