"""Compression codecs: none, LZ4 (frame format) and Zstandard, each at three levels.

The codec and level of an object are recorded in its snapshot's manifest, so restore needs
no plan settings. Levels: 1 fast, 2 medium (default), 3 high.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import IntEnum

import lz4.frame
import zstandard


class Codec(IntEnum):
    NONE = 0
    LZ4 = 1
    ZSTD = 2


# Git packs are zlib-compressed already: higher levels gain a few percent for much more CPU,
# so "medium" favours speed. LZ4 levels from 3 up are its slow HC mode: only "high" uses it.
ZSTD_LEVELS = {1: -1, 2: 1, 3: 9}
LZ4_LEVELS = {1: 0, 2: 2, 3: 9}
NAMES = {Codec.NONE: "none", Codec.LZ4: "lz4", Codec.ZSTD: "zstd"}


def by_name(name: str) -> Codec:
    for codec, codec_name in NAMES.items():
        if codec_name == name:
            return codec
    raise ValueError(f"unknown codec {name!r}")


def compress(source: Iterable[bytes], codec: Codec, level: int) -> Iterator[bytes]:
    if codec == Codec.NONE:
        yield from source
    elif codec == Codec.ZSTD:
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVELS[level]).compressobj()
        for block in source:
            if out := compressor.compress(block):
                yield out
        yield compressor.flush()
    else:
        lz4c = lz4.frame.LZ4FrameCompressor(compression_level=LZ4_LEVELS[level])
        yield lz4c.begin()
        for block in source:
            if out := lz4c.compress(block):
                yield out
        yield lz4c.flush()


class CorruptData(Exception):
    """Stored bytes that do not decode; the snapshot object is damaged."""


def decompress(source: Iterable[bytes], codec: Codec) -> Iterator[bytes]:
    if codec == Codec.NONE:
        yield from source
        return
    try:
        if codec == Codec.ZSTD:
            decompressor = zstandard.ZstdDecompressor().decompressobj()
            for block in source:
                if out := decompressor.decompress(block):
                    yield out
            if not decompressor.eof:
                raise CorruptData("the Zstandard stream ends early")
        else:
            lz4d = lz4.frame.LZ4FrameDecompressor()
            for block in source:
                while block:
                    if out := lz4d.decompress(block):
                        yield out
                    block = lz4d.unused_data
                    if block:
                        lz4d = lz4.frame.LZ4FrameDecompressor()
            if not lz4d.eof:
                raise CorruptData("the LZ4 stream ends early")
    except (zstandard.ZstdError, RuntimeError) as exc:
        raise CorruptData(f"{NAMES[codec]} data does not decode: {exc}") from exc
