"""Stream helpers the object-store backends share: reading a source block by block, and a
file object over downloaded chunks (so a download holds one chunk in memory at a time)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from repovault.backends.base import Readable


def read_block(source: Readable, size: int) -> bytes:
    """Up to `size` bytes of `source`, fewer only at its end (a read may return short)."""
    parts: list[bytes] = []
    missing = size
    while missing > 0:
        part = source.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes], translate: Callable[[Exception], Exception]):
        self._chunks = chunks
        self._pending = b""
        self._translate = translate

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks, b"")
            except Exception as exc:  # the vendor's, translated like every other call's
                raise self._translate(exc) from exc
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def chunk_stream(chunks: Iterator[bytes], translate: Callable[[Exception], Exception]) -> BinaryIO:
    """A buffered file object reading `chunks` in order; a failure while reading goes through
    `translate` (to `StorageError`)."""
    return cast(BinaryIO, io.BufferedReader(_ChunkReader(chunks, translate)))
