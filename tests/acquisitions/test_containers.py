"""Containers: one listing and bounded reads for a folder, a tar (plain, gzip) and a zip; every
hostile member refused and recorded, never read."""

from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path

import pytest

from spyglass.acquisitions.containers import (
    DIRECTORY,
    FILE,
    LINK,
    FolderContainer,
    TarContainer,
    ZipContainer,
    hand_over,
    link_stays_inside,
    open_container,
    probe_members,
    release_probed,
    safe_member_path,
)
from spyglass.errors import EvidenceError
from tests.builders.archives import MTIME, write_folder, write_tar, write_zip

FILES = {"private/var/mobile/Library/SMS/sms.db": b"SQLite format 3\x00" + b"\x00" * 84,
         "private/var/db/roleaccountd.plist": b"<plist/>"}


def build(kind: str, root: Path, hostile: bool = False) -> Path:
    if kind == "folder":
        return write_folder(root / "dump", FILES)
    if kind == "zip":
        return write_zip(root / "dump.zip", FILES, hostile=hostile)
    return write_tar(root / f"dump.{kind}", FILES, compression="gz" if kind == "tar.gz" else "", hostile=hostile)


@pytest.mark.parametrize("kind", ["folder", "tar", "tar.gz", "zip"])
def test_container_lists_and_reads(tmp_path: Path, kind: str) -> None:
    container = open_container(build(kind, tmp_path))
    files = {m.path: m for m in container.members() if m.kind == FILE}
    assert sorted(files) == sorted(FILES)
    member = files["private/var/db/roleaccountd.plist"]
    assert (member.size, member.modified) == (8, float(MTIME))
    assert container.read("private/var/db/roleaccountd.plist", 100) == b"<plist/>"
    assert container.member("private/var/db").kind == DIRECTORY
    assert container.refused == []
    container.close()


@pytest.mark.parametrize(("kind", "expected"), [
    ("folder", FolderContainer), ("tar", TarContainer), ("tar.gz", TarContainer), ("zip", ZipContainer)])
def test_open_container_by_content(tmp_path: Path, kind: str, expected: type) -> None:
    path = build(kind, tmp_path)
    if kind != "folder":
        path = path.rename(tmp_path / "renamed.bin")   # what it is, not what it is called
    assert type(open_container(path)) is expected


def test_container_read_bounded(tmp_path: Path) -> None:
    container = open_container(build("tar.gz", tmp_path))
    with pytest.raises(EvidenceError, match=r"^private/var/db/roleaccountd\.plist: 8 bytes is over the 4 byte bound$"):
        container.read("private/var/db/roleaccountd.plist", 4)
    with pytest.raises(EvidenceError, match=r"^private/var/db: not a regular file \(directory\)$"):
        container.read("private/var/db", 100)
    with pytest.raises(EvidenceError, match=r"^absent: not in dump\.tar\.gz$"):
        container.read("absent", 100)


def test_tar_hostile_members_refused(tmp_path: Path) -> None:
    container = open_container(build("tar", tmp_path, hostile=True))
    assert sorted(m.path for m in container.members() if m.kind == FILE) == sorted(FILES)
    assert container.refused == [
        "/etc/evil: an absolute or climbing member path; refused",
        "../../escape.txt: an absolute or climbing member path; refused",
        "private/var/link-out: a link out of the archive (../../../../etc/passwd); refused",
        "private/var/link-abs: a link out of the archive (/etc/passwd); refused",
        "private/var/hard-out: a hard link out of the archive (../outside); refused",
        "private/var/device: a special file; refused",
        "private/var/fifo: a special file; refused",
    ]


def test_zip_hostile_members_refused(tmp_path: Path) -> None:
    container = open_container(build("zip", tmp_path, hostile=True))
    assert sorted(m.path for m in container.members() if m.kind != DIRECTORY) == sorted(FILES)
    assert container.refused == [
        "/etc/evil: an absolute or climbing member path; refused",
        "../../escape.txt: an absolute or climbing member path; refused",
        "C:/Windows/evil.dll: an absolute or climbing member path; refused",
        "private/var/link-out: a link out of the archive (../../../etc/passwd); refused",
    ]


def test_zip_name_stored_twice_keeps_the_first(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("a.txt", b"second")
    container = open_container(path)
    assert container.read("a.txt", 100) == b"first"
    assert container.refused == ["a.txt: stored twice; the first is kept"]


def test_zip_member_lying_about_its_size(tmp_path: Path) -> None:
    # A zip bomb declares a small size: what is read stops at the declared size plus one byte.
    path = write_zip(tmp_path / "bomb.zip", {"bomb.bin": b"\x00" * 1_000_000})
    data = bytearray(path.read_bytes())
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 24:directory + 28] = (100).to_bytes(4, "little")   # uncompressed size
    path.write_bytes(bytes(data))
    container = open_container(path)
    assert container.member("bomb.bin").size == 100
    with pytest.raises(EvidenceError, match=r"^bomb\.bin: cannot read from bomb\.zip"):
        container.read("bomb.bin", 1000)


def test_folder_links_listed_not_followed(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "dump", FILES)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not evidence")
    (root / "private" / "var" / "link").symlink_to(secret)
    (root / "private" / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    container = open_container(root)
    links = {m.path: m.target for m in container.members() if m.kind == LINK}
    assert links == {"private/var/link": str(secret), "private/linked-folder": str(tmp_path)}
    assert not any(m.path.startswith("private/linked-folder/") for m in container.members())
    with pytest.raises(EvidenceError, match=r"^private/var/link: not a regular file \(link\)$"):
        container.read("private/var/link", 100)


def test_folder_swapped_for_a_link_after_listing(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "dump", FILES)
    container = open_container(root)
    container.members()
    outside = tmp_path / "outside"
    (root / "private" / "var" / "db").rename(outside)
    (root / "private" / "var" / "db").symlink_to(outside, target_is_directory=True)
    with pytest.raises(EvidenceError, match=r"^private/var/db/roleaccountd\.plist: reached through a link; refused$"):
        container.read("private/var/db/roleaccountd.plist", 100)


def test_folder_special_file_refused(tmp_path: Path) -> None:
    import os

    root = write_folder(tmp_path / "dump", FILES)
    os.mkfifo(root / "private" / "pipe")
    container = open_container(root)
    assert container.refused == ["private/pipe: a special file (special); refused"]


def test_damaged_archives(tmp_path: Path) -> None:
    noise = random.Random(7)
    path = write_tar(tmp_path / "cut.tar.gz", {f"f{n}": noise.randbytes(5000) for n in range(20)}, compression="gz")
    path.write_bytes(path.read_bytes()[:3000])
    container = open_container(path)
    assert len(container.members()) < 20
    assert container.refused[-1].startswith("the archive is damaged after some members")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(EvidenceError, match=r"not a (folder, tar or zip archive|readable zip archive)"):
        open_container(garbage)


@pytest.mark.parametrize(("name", "expected"), [
    ("private/var/x", "private/var/x"), ("./private//var/x", "private/var/x"), ("a\\b", "a/b"),
    ("/etc/x", None), ("../x", None), ("a/../../x", None), ("C:/x", None), ("", None), ("a/\x00", None)])
def test_safe_member_path(name: str, expected: str | None) -> None:
    assert safe_member_path(name) == expected


@pytest.mark.parametrize(("path", "target", "expected"), [
    ("a/b/link", "../c", True), ("a/link", "../../c", False), ("link", "/etc", False), ("a/link", "b/../../c", True)])
def test_link_stays_inside(path: str, target: str, expected: bool) -> None:
    assert link_stays_inside(path, target) is expected


def test_zip_member_with_a_corrupt_deflate_stream(tmp_path: Path) -> None:
    # Found by fuzzing: zlib.error escaped the zip reader. One changed byte in the data.
    path = write_zip(tmp_path / "cut.zip", {"a.txt": b"the meeting is at noon, see you there " * 60})
    data = bytearray(path.read_bytes())
    data[40] ^= 0x55     # inside the deflate stream's header: "invalid code lengths set"
    path.write_bytes(bytes(data))
    container = open_container(path)
    with pytest.raises(EvidenceError, match=r"^a\.txt: cannot read from cut\.zip"):
        container.read("a.txt", 10_000)


def test_tar_listing_handed_to_a_worker_reads_as_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker process of the check is handed the tar's listing (over a pickle, as on its input
    pipe) and does not parse the headers again: same members, same refusals, same bytes."""
    path = build("tar.gz", tmp_path, hostile=True)
    listed = open_container(path)
    handed = pickle.loads(pickle.dumps(listed.handed_index()))
    assert FolderContainer(tmp_path).handed_index() is None

    def never(self):
        raise AssertionError("listed again")

    monkeypatch.setattr(TarContainer, "_list", never)
    hand_over(path, handed)
    worker = open_container(path)
    assert worker.members() == listed.members() and len(worker.members()) == 8
    assert worker.refused == listed.refused and len(worker.refused) == 7
    for name, data in FILES.items():
        assert worker.read(name, 1000) == data
    with pytest.raises(EvidenceError, match=r"^private/var/db/roleaccountd\.plist: 8 bytes is over the 4 byte bound$"):
        worker.read("private/var/db/roleaccountd.plist", 4)
    worker.close()
    with pytest.raises(AssertionError, match="listed again"):      # handed once, taken once
        open_container(path).members()
    listed.close()


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_archive_taken_over_from_the_probes_lists_as_a_fresh_one(tmp_path: Path, kind: str) -> None:
    """The probes read the first members and leave the archive open for the kind that opens it:
    what it then lists (times, modes, refusals) is what a freshly opened archive lists."""
    path = build(kind, tmp_path, hostile=True)
    fresh = open_container(path)
    expected = (fresh.members(), fresh.refused)
    fresh.close()
    assert len(probe_members(path, 2)) == 2            # the probes have begun the listing
    taken = open_container(path)
    assert (taken.members(), taken.refused) == expected
    assert all(m.modified == float(MTIME) for m in taken.members() if m.path in FILES)
    assert taken.read("private/var/db/roleaccountd.plist", 100) == b"<plist/>"
    taken.close()
    again = open_container(path)           # handed over once: the next one is opened afresh
    assert again is not taken and (again.members(), again.refused) == expected
    again.close()
    release_probed()
