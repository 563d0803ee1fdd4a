"""Copies a sysdiagnose carries of files that modules read on the phone: the configuration profile
stubs and MCProfileEvents.plist (logs/MCState/Shared/) and TCC.db (logs/Accessibility/).

Where the copies are: EC-DIGIT-CSIRC/sysdiagnose parsers/mcstate_shared_profile.py
("logs/MCState/Shared/profile-*.stub", read for their InstallDate) and accessibility_tcc.py
("logs/Accessibility/TCC.db", read with the same queries as the phone's TCC.db);
AutismIsForDorks/ios-sysdiagnose-reference structure/logs/accessibility.md (logs/Accessibility/TCC.db,
its `access` table, iOS 26.1); logs/MCState/Shared/MCProfileEvents.plist as public sysdiagnose
readers name it beside CloudConfigurationDetails.plist and PayloadManifest.plist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.base import SYSDIAGNOSE
from spyglass.errors import EvidenceError
from spyglass.modules.ios import configuration_profile_events, configuration_profiles, tcc
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import (
    TCC_SCHEMA_V3,
    profile_events_plist,
    profile_stub_plist,
    tcc_db_v2,
    tcc_db_v3,
)
from tests.builders.sqlite import build_sqlite
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.builders.sysdiagnose_artifacts import run_sysdiagnose, sources_on

STUB = "logs/MCState/Shared/profile-0a1b2c3d4e5f60718293a4b5c6d7e8f9.stub"
EVENTS = "logs/MCState/Shared/MCProfileEvents.plist"
TCC = "logs/Accessibility/TCC.db"


@pytest.mark.parametrize("module", [configuration_profiles, configuration_profile_events, tcc])
def test_sysdiagnose_copies_run_on_sysdiagnoses(module) -> None:
    assert SYSDIAGNOSE in module.ARTIFACT.kinds
    assert {"ios-backup", "ios-fs"} <= module.ARTIFACT.kinds   # the phone's own copy is still read


def test_sysdiagnose_copies_profile_stub(tmp_path: Path) -> None:
    files = {STUB: profile_stub_plist(), "logs/MCState/Shared/CloudConfigurationDetails.plist": b"<plist/>"}
    (record,) = run_sysdiagnose(tmp_path, files, configuration_profiles)
    assert record.timestamp == datetime(2022, 8, 15, 14, 20, tzinfo=UTC)
    assert record.fields["payload_identifier"] == "com.example.vpn.profile"
    assert record.fields["payload_uuid"] == "9A2F0A6B-1C2D-4E5F-8A9B-0C1D2E3F4A5B"
    assert record.fields["payload_types"] == ["com.apple.vpn.managed"]
    assert Observable("profile_id", "com.example.vpn.profile") in record.observables


def test_sysdiagnose_copies_profile_stub_without_install_date(tmp_path: Path) -> None:
    (record,) = run_sysdiagnose(tmp_path, {STUB: profile_stub_plist(install_date=None)}, configuration_profiles)
    assert record.timestamp is None
    assert record.fields["payload_identifier"] == "com.example.vpn.profile"


def test_sysdiagnose_copies_profile_events(tmp_path: Path) -> None:
    install, remove = run_sysdiagnose(tmp_path, {EVENTS: profile_events_plist()}, configuration_profile_events)
    assert install.timestamp == datetime(2022, 8, 15, 14, 20, tzinfo=UTC)
    assert install.fields == {"profile_id": "com.example.vpn.profile", "operation": "install",
                              "process": "/usr/libexec/mdmd", "timestamp": "2022-08-15T14:20:00Z", "other": {}}
    assert install.observables == (Observable("profile_id", "com.example.vpn.profile"),
                                   Observable("file_path", "/usr/libexec/mdmd"), Observable("process", "mdmd"))
    assert remove.fields["operation"] == "remove"


def test_sysdiagnose_copies_tcc(tmp_path: Path) -> None:
    microphone, camera = run_sysdiagnose(tmp_path, {TCC: tcc_db_v3()}, tcc)
    assert microphone.timestamp == datetime(2022, 11, 5, 10, 0, tzinfo=UTC)
    assert (microphone.fields["service"], microphone.fields["client"], microphone.fields["decision"]) == (
        "kTCCServiceMicrophone", "net.whatsapp.WhatsApp", "allowed")
    assert camera.observables == (Observable("file_path", "/private/var/containers/Bundle/tool"),
                                  Observable("process", "tool"))


def test_sysdiagnose_copies_tcc_before_ios14(tmp_path: Path) -> None:
    (record,) = run_sysdiagnose(tmp_path, {TCC: tcc_db_v2()}, tcc,
                                name="sysdiagnose_2020.03.01_10-00-00+0100_iPhone-OS_iPhone_17D50")
    assert (record.fields["schema"], record.fields["decision"]) == ("allowed", "allowed")


def test_sysdiagnose_copies_only_their_own_paths(tmp_path: Path) -> None:
    archive = (SysdiagnoseBuilder().add(STUB, profile_stub_plist()).add(EVENTS, profile_events_plist())
               .add(TCC, tcc_db_v3()).add("logs/MCState/Shared/MCSettingsEvents.plist", b"<plist/>")
               .add("logs/Accessibility/com.apple.Accessibility.plist", b"<plist/>").build_tar(tmp_path))
    assert sources_on(archive, configuration_profiles) == [STUB]
    assert sources_on(archive, configuration_profile_events) == [EVENTS]
    assert sources_on(archive, tcc) == [TCC]


def test_sysdiagnose_copies_empty(tmp_path: Path) -> None:
    files = {TCC: build_sqlite(TCC_SCHEMA_V3), EVENTS: profile_events_plist([])}
    assert run_sysdiagnose(tmp_path, files, tcc) == []
    (tmp_path / "events").mkdir()
    assert run_sysdiagnose(tmp_path / "events", files, configuration_profile_events) == []


def test_sysdiagnose_copies_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"TCC\.db: not a SQLite database$"):
        run_sysdiagnose(tmp_path, {TCC: b"garbage" * 100}, tcc)
