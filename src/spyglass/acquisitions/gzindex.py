"""Random access into a gzip stream without decompressing it to disk.

A .tar.gz is one compressed stream: reading a member near the end means inflating everything
before it, and Python's gzip seeks backwards by starting over. Modules read a dump's files in
their own order, so a check of a large dump would inflate the archive again for every file.
`IndexedGzip` keeps, every CHECKPOINT_BYTES of output, a copy of the inflater's state (zlib's
`Decompress.copy()`: its 32 KiB window and position): a read then starts from the nearest
checkpoint before it. The checkpoints are made by the first pass (the tar listing), so every
later read inflates at most twice CHECKPOINT_BYTES more than it returns. Memory: about 40 KiB a
checkpoint (a 10 GiB archive at 8 MiB steps: 50 MiB).

Hand-written because no library on PyPI that we may depend on does this in pure Python
(indexed_gzip needs a C build); measured: see benchmarks/bench_dump.py.
"""

from __future__ import annotations

import bisect
import io
import zlib
from typing import Any, BinaryIO

from spyglass.errors import EvidenceError

CHECKPOINT_BYTES = 8 * 1024 * 1024
INPUT_CHUNK = 256 * 1024


class IndexedGzip(io.RawIOBase):
    """A read-only, seekable view of the decompressed bytes of a gzip file (members concatenated)."""

    def __init__(self, handle: BinaryIO, limit: int) -> None:
        super().__init__()
        self._handle = handle
        self._limit = limit                       # decompressed bytes at most (a gzip bomb stops here)
        # (output offset, input offset, inflater copy, bytes of input the copy has not consumed)
        self._points: list[tuple[int, int, Any, bytes]] = []
        self._offsets: list[int] = []
        self._position = 0
        self._start_fresh()
        self._add_point()

    # -- the stream state -------------------------------------------------------------------------
    def _start_fresh(self) -> None:
        self._handle.seek(0)
        self._inflater: Any = zlib.decompressobj(wbits=31)   # None between two gzip members
        self._in_offset = 0
        self._out_offset = 0
        self._pending = b""        # input read but not yet given to the inflater
        self._eof = False

    def _add_point(self) -> None:
        if self._offsets and self._offsets[-1] >= self._out_offset:
            return
        inflater = self._inflater.copy() if self._inflater is not None else None
        self._points.append((self._out_offset, self._in_offset, inflater, self._pending))
        self._offsets.append(self._out_offset)

    def _restore(self, index: int) -> None:
        out_offset, in_offset, inflater, pending = self._points[index]
        self._inflater = inflater.copy() if inflater is not None else None
        self._out_offset, self._in_offset, self._pending, self._eof = out_offset, in_offset, pending, False
        self._handle.seek(in_offset)

    def _inflate(self, want: int) -> bytes:
        """Up to `want` bytes of output from the current state onward ('' at the end)."""
        while not self._eof:
            if not self._pending:
                chunk = self._handle.read(INPUT_CHUNK)
                self._in_offset += len(chunk)
                if not chunk:
                    if self._inflater is not None:
                        raise EvidenceError("the gzip stream ends before its end (truncated archive)")
                    self._eof = True
                    return b""
                self._pending = chunk
            if self._inflater is None:
                self._inflater = zlib.decompressobj(wbits=31)      # a next gzip member
            try:
                # At most a checkpoint's worth a call, so that checkpoints stay that close.
                data = self._inflater.decompress(self._pending, min(want, CHECKPOINT_BYTES))
            except zlib.error as exc:
                raise EvidenceError(f"damaged gzip stream ({exc})") from exc
            self._pending = self._inflater.unconsumed_tail
            if self._inflater.eof:
                rest = self._inflater.unused_data + self._pending
                self._inflater = None
                self._pending = rest.lstrip(b"\x00")             # padding some writers leave
            if data:
                self._out_offset += len(data)
                if self._out_offset > self._limit:
                    raise EvidenceError(f"decompresses past the {self._limit} byte bound")
                if self._out_offset - self._offsets[-1] >= CHECKPOINT_BYTES:
                    self._add_point()
                return data
        return b""

    # -- io.RawIOBase -----------------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            raise io.UnsupportedOperation("seeking from the end of a gzip stream")
        if offset < 0:
            raise ValueError("negative seek position")
        self._position = offset
        return offset

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        if self._position != self._out_offset:
            self._move_to(self._position)
        data = self._inflate(len(view))
        view[:len(data)] = data
        self._position += len(data)
        return len(data)

    def _move_to(self, target: int) -> None:
        # From the nearest checkpoint at or before the target, or from here if that is nearer.
        index = bisect.bisect_right(self._offsets, target) - 1
        if not (self._out_offset <= target and self._out_offset >= self._offsets[index]):
            self._restore(index)
        while self._out_offset < target:
            if not self._inflate(min(target - self._out_offset, INPUT_CHUNK * 4)):
                break

    def close(self) -> None:
        self._points.clear()
        super().close()
