from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import android_root_binaries
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import ROOT_BINARIES, as_json, run


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_root_binaries_normal(tmp_path, form):
    records = run(android_root_binaries, AndroidQFBuilder().add("root_binaries.json", as_json(ROOT_BINARIES)),
                  tmp_path, form=form)
    # `which -a su` printed two paths in one item; a path listed twice is one record.
    assert [r.fields for r in records] == [
        {"file_path": "/system/bin/su", "binary_name": "su"},
        {"file_path": "/system/xbin/su", "binary_name": "su"},
        {"file_path": "/data/local/tmp/magisk", "binary_name": "magisk"}]
    assert records[2].observables == (Observable("file_path", "/data/local/tmp/magisk"),
                                      Observable("file_name", "magisk"))
    assert records[2].message == "Root binary magisk found at /data/local/tmp/magisk"


def test_root_binaries_trailing_newline_variant(tmp_path):
    # Older androidqf kept `which`'s own line end.
    records = run(android_root_binaries, AndroidQFBuilder().add("root_binaries.json", b'["/sbin/su\\n"]'), tmp_path)
    assert [r.fields["file_path"] for r in records] == ["/sbin/su"]


def test_root_binaries_empty(tmp_path):
    assert run(android_root_binaries, AndroidQFBuilder().add("root_binaries.json", b"[]"), tmp_path) == []
    assert run(android_root_binaries, AndroidQFBuilder().add("root_binaries.json", b"null"), tmp_path / "b") == []


def test_root_binaries_corrupt(tmp_path):
    builder = AndroidQFBuilder().add("root_binaries.json", b'["/system/bin/su"')
    with pytest.raises(EvidenceError, match=r"^root_binaries\.json: not valid JSON \(JSONDecodeError\)$"):
        run(android_root_binaries, builder, tmp_path)
    builder = AndroidQFBuilder().add("root_binaries.json", b'{"su": true}')
    with pytest.raises(EvidenceError, match=r"^root_binaries\.json: expected a list of paths$"):
        run(android_root_binaries, builder, tmp_path / "b")
