from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import android_processes
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import (
    COLLECTOR_PROCESSES,
    PS_LABELLED,
    PS_TOOLBOX,
    PS_TOYBOX,
    as_json,
    run,
)


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_processes_toybox_normal(tmp_path, form):
    records = run(android_processes, AndroidQFBuilder().add("processes.txt", PS_TOYBOX), tmp_path, form=form)
    assert [r.fields["process_name"] for r in records] == ["init", "kthreadd", "surfaceflinger", "com.whatsapp:remote"]
    init, kthread, flinger, whatsapp = records
    assert init.fields == {"process_name": "init", "process_path": None, "pid": 1, "ppid": 0, "user": "root",
                           "uid": None, "label": None, "kernel_thread": False, "state": "S"}
    assert kthread.fields["kernel_thread"] is True
    assert kthread.observables == (Observable("process", "kthreadd"),)
    assert flinger.fields["process_path"] == "/system/bin/surfaceflinger"
    assert flinger.observables == (Observable("process", "surfaceflinger"),
                                   Observable("file_path", "/system/bin/surfaceflinger"))
    # WCHAN blank: the columns still line up from both ends.
    assert (whatsapp.fields["pid"], whatsapp.fields["ppid"], whatsapp.fields["user"], whatsapp.fields["state"]) == (
        9321, 845, "u0_a171", "R")
    assert whatsapp.observables == (Observable("process", "com.whatsapp:remote"), Observable("app_id", "com.whatsapp"))


def test_processes_android7_toolbox(tmp_path):
    records = run(android_processes, AndroidQFBuilder().add("processes.txt", PS_TOOLBOX), tmp_path)
    assert [(r.fields["process_name"], r.fields["process_path"], r.fields["pid"], r.fields["state"]) for r in records] == [
        ("init", "/init", 1, "S"), ("com.android.chrome", None, 4210, "S")]


def test_processes_selinux_label(tmp_path):
    records = run(android_processes, AndroidQFBuilder().add("processes.txt", PS_LABELLED), tmp_path)
    assert [(r.fields["label"], r.fields["process_name"], r.fields["user"]) for r in records] == [
        ("u:r:init:s0", "init", "root"), ("u:r:untrusted_app:s0:c512,c768", "com.spy.agent", "u0_a99")]


@pytest.mark.parametrize("name", ["processes.json", "processes.txt"])
def test_processes_collector_json(tmp_path, name):
    # androidqf's collector: processes.json since 2023, JSON in processes.txt before.
    records = run(android_processes, AndroidQFBuilder().add(name, as_json(COLLECTOR_PROCESSES)), tmp_path)
    init, whatsapp = records
    assert init.fields["process_name"] == "init"
    assert init.fields["process_path"] == "/system/bin/init"
    assert init.fields["command_line"] == ["/system/bin/init", "second_stage"]
    assert (init.fields["uid"], init.fields["user"], init.fields["label"], init.fields["cwd"]) == (
        0, None, "u:r:init:s0", "/")
    assert whatsapp.fields["process_name"] == "com.whatsapp"
    assert whatsapp.fields["comm"] == "com.whatsapp"
    assert (whatsapp.fields["pid"], whatsapp.fields["ppid"], whatsapp.fields["uid"]) == (9321, 845, 10171)
    assert whatsapp.observables == (Observable("process", "com.whatsapp"), Observable("app_id", "com.whatsapp"))


def test_processes_empty(tmp_path):
    assert run(android_processes, AndroidQFBuilder().add("processes.txt", b""), tmp_path) == []
    header_only = b"USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\n"
    assert run(android_processes, AndroidQFBuilder().add("processes.txt", header_only), tmp_path / "b") == []


def test_processes_corrupt(tmp_path):
    builder = AndroidQFBuilder().add("processes.txt", b"/system/bin/sh: ps: inaccessible or not found\n")
    with pytest.raises(EvidenceError, match=r"^processes\.txt: not ps output \(no USER and PID header\)$"):
        run(android_processes, builder, tmp_path)
    builder = AndroidQFBuilder().add("processes.json", b'[{"pid": 1,')
    with pytest.raises(EvidenceError, match=r"^processes\.json: not valid JSON \(JSONDecodeError\)$"):
        run(android_processes, builder, tmp_path / "b")
