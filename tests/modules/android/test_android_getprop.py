from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import android_getprop
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder
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
