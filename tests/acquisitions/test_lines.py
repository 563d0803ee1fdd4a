"""Text artifacts are streamed: a huge line is cut without being held whole, in a folder, a zip
and a tar.gz alike, and the file is still hashed whole into the inputs."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_LINE_CHARS
from tests.builders.archives import write_tar
from tests.builders.ios_fs import FilesystemBuilder

LOG = "/private/var/log/big.log"
HUGE = 64 * 1024 * 1024          # one line of 64 MiB
TEXT = b"first line\n" + b"A" * HUGE + b"\n" + "caf\u00e9 \u2603\r\n".encode() + b"no newline at the end"


def evidence(path: Path):
    acquisition = open_acquisition(path)
    (file,) = acquisition.files(DevicePattern(LOG))
    return acquisition, file


def dump_folder(tmp_path: Path) -> Path:
    return FilesystemBuilder().add(LOG, TEXT).build_folder(tmp_path / "dump")


def expected_lines() -> list[str]:
    return ["first line", "A" * MAX_LINE_CHARS, "caf\u00e9 \u2603", "no newline at the end"]


def peak_while(function) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_lines_folder_huge_line_cut_without_holding_it(tmp_path):
    acquisition, file = evidence(dump_folder(tmp_path))
    lines, peak = peak_while(lambda: list(file.lines()))
    assert lines == expected_lines()
    assert peak < 4 * 1024 * 1024        # a 64 MiB line never held: at most a few pieces of 256 KiB
    assert acquisition.inputs[LOG] == {"sha256": hashlib.sha256(TEXT).hexdigest(), "size": len(TEXT)}
    acquisition.close()


def test_lines_zip_member_streamed(tmp_path):
    folder = dump_folder(tmp_path)
    archive = tmp_path / "dump.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                handle.write(path, path.relative_to(folder).as_posix())
    acquisition, file = evidence(archive)
    lines, peak = peak_while(lambda: list(file.lines()))
    assert lines == expected_lines()
    assert peak < 4 * 1024 * 1024
    assert acquisition.inputs[LOG]["sha256"] == hashlib.sha256(TEXT).hexdigest()
    acquisition.close()


def test_lines_tar_gz_member_streamed(tmp_path):
    files = {"private/var/log/big.log": TEXT, "private/var/mobile/x": b"x"}
    acquisition, file = evidence(write_tar(tmp_path / "dump.tar.gz", files, compression="gz"))
    lines, peak = peak_while(lambda: list(file.lines()))
    assert lines == expected_lines()
    assert peak < 8 * 1024 * 1024        # plus the gzip checkpoints' window
    acquisition.close()


def test_lines_over_the_bound_refused_before_reading(tmp_path):
    acquisition, file = evidence(dump_folder(tmp_path))
    with pytest.raises(EvidenceError, match=rf"big.log: {len(TEXT)} bytes is over the 1000 byte bound"):
        list(file.lines(limit=1000))
    assert LOG not in acquisition.inputs
    acquisition.close()


def test_lines_file_grown_after_listing_refused(tmp_path):
    folder = dump_folder(tmp_path)
    acquisition, file = evidence(folder)
    (folder / LOG.lstrip("/")).write_bytes(TEXT + b"B" * 2000)
    with pytest.raises(EvidenceError, match=r"big.log: over the \d+ byte bound once read"):
        list(file.lines(limit=len(TEXT) + 1000))
    acquisition.close()


def test_lines_empty_file_and_invalid_utf8(tmp_path):
    builder = FilesystemBuilder().add(LOG, b"").add("/private/var/log/bad.log", b"ok\xff\xfe\n\x00nul\n")
    acquisition = open_acquisition(builder.build_folder(tmp_path / "dump"))
    (empty,) = acquisition.files(DevicePattern(LOG))
    (bad,) = acquisition.files(DevicePattern("/private/var/log/bad.log"))
    assert list(empty.lines()) == []
    assert list(bad.lines()) == ["ok\ufffd\ufffd", "\x00nul"]
    acquisition.close()
