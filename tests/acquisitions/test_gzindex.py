"""Random access into gzip streams through checkpoints: every read equals the plain bytes."""

from __future__ import annotations

import gzip
import io
import random

import pytest

from spyglass.acquisitions import gzindex
from spyglass.acquisitions.gzindex import IndexedGzip
from spyglass.errors import EvidenceError

PLAIN = random.Random(3).randbytes(300_000) + b"\x00" * 300_000 + bytes(range(256)) * 1000


@pytest.fixture(autouse=True)
def small_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gzindex, "CHECKPOINT_BYTES", 64 * 1024)
    monkeypatch.setattr(gzindex, "INPUT_CHUNK", 4096)


def read_at(stream: IndexedGzip, offset: int, size: int) -> bytes:
    stream.seek(offset)
    out = bytearray()
    while len(out) < size and (chunk := stream.read(size - len(out))):
        out += chunk
    return bytes(out)


def test_random_reads_equal_the_plain_bytes() -> None:
    stream = IndexedGzip(io.BytesIO(gzip.compress(PLAIN)), 10**9)
    assert read_at(stream, 0, len(PLAIN) + 10) == PLAIN          # first pass makes the checkpoints
    gaps = [b - a for a, b in zip(stream._offsets, stream._offsets[1:], strict=False)]
    assert max(gaps) <= 2 * 64 * 1024 and len(gaps) >= len(PLAIN) // (2 * 64 * 1024)
    rng = random.Random(5)
    for _ in range(200):
        offset = rng.randrange(len(PLAIN))
        assert read_at(stream, offset, 777) == PLAIN[offset:offset + 777]


def test_concatenated_members_read_as_one_stream() -> None:
    data = gzip.compress(PLAIN[:1000]) + gzip.compress(PLAIN[1000:5000]) + b"\x00" * 8
    stream = IndexedGzip(io.BytesIO(data), 10**9)
    assert read_at(stream, 0, 10_000) == PLAIN[:5000]
    assert read_at(stream, 900, 200) == PLAIN[900:1100]


def test_truncated_stream_is_an_evidence_error() -> None:
    stream = IndexedGzip(io.BytesIO(gzip.compress(PLAIN)[:50_000]), 10**9)
    with pytest.raises(EvidenceError, match=r"^the gzip stream ends before its end \(truncated archive\)$"):
        read_at(stream, 0, len(PLAIN))


def test_gzip_bomb_stops_at_the_bound() -> None:
    stream = IndexedGzip(io.BytesIO(gzip.compress(b"\x00" * 5_000_000)), 1_000_000)
    with pytest.raises(EvidenceError, match=r"^decompresses past the 1000000 byte bound$"):
        read_at(stream, 0, 5_000_000)


def test_damaged_stream_is_an_evidence_error() -> None:
    data = bytearray(gzip.compress(PLAIN))
    data[5000:5100] = b"\xff" * 100
    stream = IndexedGzip(io.BytesIO(bytes(data)), 10**9)
    with pytest.raises(EvidenceError, match=r"^damaged gzip stream"):
        read_at(stream, 0, len(PLAIN))
