from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import android_mounts
from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import MOUNTS, as_json, run


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_mounts_normal(tmp_path, form):
    records = run(android_mounts, AndroidQFBuilder().add("mounts.json", as_json(MOUNTS)), tmp_path, form=form)
    # "/" is listed by `mount` and by /proc/mounts: yielded once.
    assert [r.fields["mount_point"] for r in records] == ["/", "/system_ext", "/dev", "/mnt/vendor/My Files", "/system"]
    assert records[0].fields == {"mount_point": "/", "device": "/dev/block/dm-7", "fs_type": "ext4",
                                 "options": ["ro", "seclabel", "relatime"], "read_write": False}
    assert records[2].fields["options"][:3] == ["rw", "seclabel", "nosuid"]
    assert records[4].fields == {"mount_point": "/system", "device": "/dev/block/dm-9", "fs_type": "ext4",
                                 "options": ["rw", "seclabel", "relatime"], "read_write": True}
    assert records[4].message == "/system mounted from /dev/block/dm-9 (ext4, read-write)"


def test_mounts_plain_text_variant(tmp_path):
    text = b"/dev/block/bootdevice/by-name/system /system ext4 ro,seclabel,relatime 0 0\nnot a mount line\n"
    [record] = run(android_mounts, AndroidQFBuilder().add("mounts.txt", text), tmp_path)
    assert (record.fields["device"], record.fields["mount_point"], record.fields["read_write"]) == (
        "/dev/block/bootdevice/by-name/system", "/system", False)


def test_mounts_empty(tmp_path):
    assert run(android_mounts, AndroidQFBuilder().add("mounts.json", b"[]"), tmp_path) == []
    assert run(android_mounts, AndroidQFBuilder().add("mounts.json", b"null"), tmp_path / "b") == []


def test_mounts_corrupt(tmp_path):
    builder = AndroidQFBuilder().add("mounts.json", b"[\"/dev/block/dm-7 on / type ext4 (ro)\",")
    with pytest.raises(EvidenceError, match=r"^mounts\.json: not valid JSON \(JSONDecodeError\)$"):
        run(android_mounts, builder, tmp_path)
    builder = AndroidQFBuilder().add("mounts.json", b'{"/": "ro"}')
    with pytest.raises(EvidenceError, match=r"^mounts\.json: expected a list of mount lines$"):
        run(android_mounts, builder, tmp_path / "b")
