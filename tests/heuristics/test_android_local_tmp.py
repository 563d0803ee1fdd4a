from __future__ import annotations

from spyglass.heuristics import android_local_tmp
from spyglass.records import Observable
from tests.builders.android_records import package, process, run


def test_android_local_tmp_found():
    records = [
        package("com.example.implant", installer=None, apk_paths=["/data/local/tmp/implant.apk"]),
        process("/data/local/tmp/frida-server", "/data/local/tmp/frida-server"),
        # A path given only as the name, with its arguments, and with ".." in it.
        process("/data/local/tmp/.x/agent --daemon", None, user="shell"),
        process("/data/local/../local/tmp/payload", "/data/local/../local/tmp/payload"),
    ]
    found = run(android_local_tmp, records)
    assert [(d.record.module, d.observable, d.severity) for d in found] == [
        ("android_packages", Observable("file_path", "/data/local/tmp/implant.apk"), "medium"),
        ("android_processes", Observable("file_path", "/data/local/tmp/frida-server"), "medium"),
        ("android_processes", Observable("file_path", "/data/local/tmp/.x/agent"), "medium"),
        ("android_processes", Observable("file_path", "/data/local/tmp/payload"), "medium"),
    ]


def test_android_local_tmp_near_miss():
    # androidqf's own collector, apps under /data/app, system programs, a look-alike folder,
    # and process names that are not paths.
    records = [
        process("/data/local/tmp/collector", "/data/local/tmp/collector", user="shell"),
        process("/system/bin/surfaceflinger", "/system/bin/surfaceflinger", user="system"),
        process("com.google.android.gms.persistent", None, user="u0_a120"),
        process("/data/local/tmp-cache/tool", "/data/local/tmp-cache/tool"),
        process("data/local/tmp/relative", None),
        package("com.whatsapp", apk_paths=["/data/app/~~abc==/com.whatsapp-def==/base.apk"]),
        package("com.android.chrome", system=True),
    ]
    assert run(android_local_tmp, records) == []
