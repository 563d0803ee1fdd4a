"""sysdiagnose archives: recognised as .tar.gz and extracted, files named relative to the
sysdiagnose folder, device facts from the archive's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.acquisitions import detect, open_acquisition
from spyglass.acquisitions.sysdiagnose import Sysdiagnose, sysdiagnose_root
from tests.builders.sysdiagnose import DEFAULT_NAME, SysdiagnoseBuilder

SHUTDOWN = "system_logs.logarchive/Extra/shutdown.log"


@pytest.mark.parametrize("form", ["tar.gz", "folder", "renamed tar.gz", "parent folder"])
def test_sysdiagnose_detected_and_read(tmp_path: Path, form: str) -> None:
    builder = SysdiagnoseBuilder().add(SHUTDOWN, b"SIGTERM: [1717261200]\n").add("ps.txt", b"USER PID\n")
    if form == "folder":
        path = builder.build_folder(tmp_path)
    elif form == "parent folder":
        builder.build_folder(tmp_path / "shared")
        path = tmp_path / "shared"
    else:
        path = builder.build_tar(tmp_path)
        if form == "renamed tar.gz":
            path = path.rename(tmp_path / "from-the-phone.tgz")
    assert detect(path) == ("sysdiagnose", path)
    acquisition = open_acquisition(path)
    assert isinstance(acquisition, Sysdiagnose)
    [log] = acquisition.named("system_logs.logarchive/Extra/shutdown*.log")
    assert (log.source, log.device_path, log.read_bytes()) == (SHUTDOWN, None, b"SIGTERM: [1717261200]\n")
    assert [f.source for f in acquisition.named("**/*.txt")] == ["ps.txt"]
    if form != "renamed tar.gz":
        assert acquisition.device == {"os": "iOS", "build": "21F90", "model_family": "iPhone",
                                      "sysdiagnose_date": "2024-06-01T10:00:00-07:00"}
    acquisition.close()


def test_sysdiagnose_root() -> None:
    assert sysdiagnose_root(iter([f"{DEFAULT_NAME}/", f"{DEFAULT_NAME}/sysdiagnose.log"])) == f"{DEFAULT_NAME}/"
    assert sysdiagnose_root(iter(["ps.txt", "getprop.txt"])) is None   # an androidqf folder has a ps.txt too
    assert sysdiagnose_root(iter(["sysdiagnose.log"])) == ""
    assert sysdiagnose_root(iter(["a/b/c/ps.txt", "private/var/x"])) is None
