from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import android_packages
from spyglass.modules.android._json import json_items
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import PACKAGES, PACKAGES_2021, as_json, run

WHATSAPP_APK = "/data/app/~~Xw==/com.whatsapp-Yg==/base.apk"
WHATSAPP_SHA256 = "744ed47f8176ec423840344c33e88bd2c96e8988cda0797f3415bb5229efc12b"
CERT_SHA256 = "3987d043d10aefaf5a8710b3671418fe57e0e19b653c9df82558feb5ffce5d44"


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_packages_normal(tmp_path, form):
    records = run(android_packages, AndroidQFBuilder().add("packages.json", as_json(PACKAGES)), tmp_path, form=form)
    assert [r.fields["package_name"] for r in records] == ["com.whatsapp", "com.spy.agent", "com.android.vending"]
    whatsapp, spy, vending = records
    assert whatsapp.fields == {
        "package_name": "com.whatsapp", "installer": "com.android.vending", "system": False, "third_party": True,
        "disabled": False, "uid": 10271, "permissions": [], "requested_permissions": [],
        "certificates": [CERT_SHA256],
        "apk_files": [{"path": WHATSAPP_APK, "sha256": WHATSAPP_SHA256, "md5": "5870bd06e642de410c54705226ecfa9a",
                       "sha1": "6cb06e9ab5619345f930c2b2096b4dd013a10ec9", "certificate_sha256": CERT_SHA256,
                       "certificate_subject": "C=US, ST=California, L=Santa Clara, O=WhatsApp Inc., OU=Engineering, "
                                              "CN=Brian Acton",
                       "verified_certificate": True, "trusted_certificate": False}],
        "first_install": None, "last_update": None, "first_install_local": None, "last_update_local": None,
        "hidden_launcher": None}
    assert whatsapp.timestamp is None
    assert whatsapp.observables == (
        Observable("app_id", "com.whatsapp"), Observable("file_path", WHATSAPP_APK),
        Observable("sha256", WHATSAPP_SHA256), Observable("sha1", "6cb06e9ab5619345f930c2b2096b4dd013a10ec9"),
        Observable("md5", "5870bd06e642de410c54705226ecfa9a"), Observable("cert_sha256", CERT_SHA256),
        Observable("cert_sha1", "38a0f7d505fe18fec64fbf343ecaaaf310dbd799"),
        Observable("cert_md5", "556c6019249bbc0cab70495178d3a9d1"))
    assert whatsapp.message == "Package com.whatsapp (third-party, installed by com.android.vending)"
    # "null": no store installed it (adb or sideloaded); no certificate pulled.
    assert (spy.fields["installer"], spy.fields["certificates"]) == (None, [])
    assert spy.message == "Package com.spy.agent (third-party, no installer recorded)"
    # files null (pm path gave nothing), installer "" (the phone refused -i).
    assert (vending.fields["installer"], vending.fields["apk_files"], vending.fields["system"],
            vending.fields["disabled"]) == (None, [], True, True)
    assert vending.observables == (Observable("app_id", "com.android.vending"),)


def test_packages_androidqf_2021_files_with_sha256_only(tmp_path):
    [record] = run(android_packages, AndroidQFBuilder().add("packages.json", as_json(PACKAGES_2021)), tmp_path)
    assert record.fields["apk_files"] == [{"path": "/data/app/com.whatsapp-1/base.apk", "sha256": "cd" * 32,
                                           "md5": None, "sha1": None}]
    assert record.observables == (Observable("app_id", "com.whatsapp"),
                                  Observable("file_path", "/data/app/com.whatsapp-1/base.apk"),
                                  Observable("sha256", "cd" * 32))


def test_packages_hostile_values(tmp_path):
    packages = [{"name": ["x"]}, "text", {"name": "a.b", "uid": True, "files": [None, {"path": 7, "certificate": []}],
                                          "system": "yes", "installer": 5}]
    [record] = run(android_packages, AndroidQFBuilder().add("packages.json", as_json(packages)), tmp_path)
    assert (record.fields["uid"], record.fields["installer"], record.fields["system"]) == (None, None, True)
    assert record.fields["apk_files"] == [{"path": None, "sha256": None, "md5": None, "sha1": None}]


def test_packages_empty(tmp_path):
    assert run(android_packages, AndroidQFBuilder().add("packages.json", b"[]"), tmp_path) == []
    assert run(android_packages, AndroidQFBuilder().add("packages.json", b"null"), tmp_path / "b") == []


def test_packages_corrupt(tmp_path):
    builder = AndroidQFBuilder().add("packages.json", as_json(PACKAGES)[:-40])
    with pytest.raises(EvidenceError, match=r"^packages\.json: not valid JSON at character 2936 \(Expecting value\)$"):
        run(android_packages, builder, tmp_path)
    builder = AndroidQFBuilder().add("packages.json", b'{"name": "com.whatsapp"}')
    with pytest.raises(EvidenceError, match=r"^packages\.json: expected a list of packages$"):
        run(android_packages, builder, tmp_path / "b")


def test_packages_streamed_must_be_a_list():
    """packages.json is decoded item by item (a listing of 40,000 packages is not one Python list):
    it must still be one list, or `null`; a file of one object per line is not packages.json."""
    def items(text: str, cut: int = 7) -> list:
        return list(json_items(iter([text[i:i + cut] for i in range(0, len(text), cut)]), "packages.json",
                               "packages"))

    assert items(' [ {"name": "com.a"} , {"name": "com.b"} ] ') == [{"name": "com.a"}, {"name": "com.b"}]
    assert items("null") == [] and items(" null \n") == [] and items("") == []
    for text in ('{"name": "com.a"}\n{"name": "com.b"}\n', "null null", '"com.a"'):
        with pytest.raises(EvidenceError, match=r"^packages\.json: expected a list of packages$"):
            items(text)


def test_packages_json_bounded_and_hostile(tmp_path, monkeypatch):
    """Every package is kept for the heuristics, so packages.json is bounded as a whole; an item
    nested past the decoder's recursion limit is refused, not a crash."""
    monkeypatch.setattr(android_packages, "MAX_PACKAGE_LIST_BYTES", 1000)
    big = AndroidQFBuilder().add("packages.json", as_json([{"name": f"com.example.app{n}"} for n in range(100)]))
    with pytest.raises(EvidenceError, match=r"^packages\.json: \d+ bytes is over the 1000 byte bound$"):
        run(android_packages, big, tmp_path)
    monkeypatch.undo()
    deep = AndroidQFBuilder().add("packages.json", b'[{"name": "com.a", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]")
    with pytest.raises(EvidenceError, match=r"^packages\.json: not valid JSON at character 1 \(RecursionError\)$"):
        run(android_packages, deep, tmp_path / "b")
