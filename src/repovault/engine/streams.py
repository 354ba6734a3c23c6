"""Pull-based byte pipelines with constant memory.

A stage is a generator transformer: it takes an iterator of byte chunks and yields chunks.
`IterReader` turns the last stage back into a file object for `Backend.put`, and `chunks`
turns a file object into the first stage:

    git stdout --chunks--> compress --> encrypt --> Digest --> IterReader --> storage.put
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator

from repovault.backends.base import Readable

CHUNK = 1024 * 1024


def chunks(source: Readable, size: int = CHUNK) -> Iterator[bytes]:
    while block := source.read(size):
        yield block


class Digest:
    """Counts (and, unless told not to, hashes) the chunks passing through."""

    def __init__(self, source: Iterable[bytes], *, hashed: bool = True) -> None:
        self._source = source
        self.sha256 = hashlib.sha256()
        self.hashed = hashed
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for block in self._source:
            if self.hashed:
                self.sha256.update(block)
            self.size += len(block)
            yield block

    @property
    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


class IterReader(io.RawIOBase):
    """A read-only file over an iterator of chunks."""

    def __init__(self, source: Iterable[bytes]) -> None:
        self._it = iter(source)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._it)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join([self._buffer, *self._it])
        out = bytearray(size)
        n = self.readinto(out)
        return bytes(out[:n])


def rechunk(source: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Chunks of exactly `size` bytes, the last one shorter (never empty unless all is)."""
    buffer = bytearray()
    for block in source:
        buffer += block
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def split_head(source: Iterable[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first `size` bytes (fewer if the stream is shorter) and an iterator of the rest."""
    it = iter(source)
    head = bytearray()
    for block in it:
        head += block
        if len(head) >= size:
            break
    extra = bytes(head[size:])

    def rest() -> Iterator[bytes]:
        if extra:
            yield extra
        yield from it

    return bytes(head[:size]), rest()
