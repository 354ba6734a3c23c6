"""Codecs and streaming encryption: exact round trips; any change to stored bytes, a wrong
password, truncation or appended data is detected, never silently decoded."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repovault.engine import codecs, crypto
from repovault.engine.streams import IterReader, chunks, rechunk

MASTER = os.urandom(32)
payloads = st.binary(max_size=5000)
splits = st.lists(st.integers(1, 700), min_size=1, max_size=5)


def _pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    out, i, k = [], 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        out.append(data[i : i + n])
        i, k = i + n, k + 1
    return out


@given(
    data=payloads, sizes=splits, codec=st.sampled_from(list(codecs.Codec)), level=st.integers(1, 3)
)
def test_codec_round_trip(data: bytes, sizes: list[int], codec: codecs.Codec, level: int) -> None:
    packed = b"".join(codecs.compress(_pieces(data, sizes), codec, level))
    assert b"".join(codecs.decompress(_pieces(packed, sizes), codec)) == data


@given(data=payloads, sizes=splits, chunk=st.integers(1, 300))
def test_encryption_round_trip(data: bytes, sizes: list[int], chunk: int) -> None:
    sealed = b"".join(crypto.encrypt(_pieces(data, sizes), MASTER, chunk_size=chunk))
    if len(data) >= 16:
        assert data not in sealed
    assert b"".join(crypto.decrypt(_pieces(sealed, sizes), MASTER)) == data


def _sealed(size: int = 2500, chunk: int = 1000) -> bytes:
    return b"".join(crypto.encrypt([os.urandom(size)], MASTER, chunk_size=chunk))


@settings(max_examples=60)
@given(position=st.integers(0, 2500 + 3 * 16 + 24 - 1), bit=st.integers(0, 7))
def test_any_flipped_bit_is_detected(position: int, bit: int) -> None:
    sealed = bytearray(_sealed())
    sealed[position] ^= 1 << bit
    with pytest.raises(crypto.DecryptionError):
        b"".join(crypto.decrypt([bytes(sealed)], MASTER))


def test_truncation_at_a_chunk_boundary_and_appending_are_detected() -> None:
    sealed = _sealed()
    header, sealed_chunk = 24, 1000 + 16
    for cut in (header + sealed_chunk, header + 2 * sealed_chunk, len(sealed) - 1, 10):
        with pytest.raises(crypto.DecryptionError):
            b"".join(crypto.decrypt([sealed[:cut]], MASTER))
    with pytest.raises(crypto.DecryptionError):
        b"".join(crypto.decrypt([sealed + sealed[24:1040]], MASTER))


def test_wrong_password_is_reported_before_any_data() -> None:
    info, master = crypto.new_key("correct horse")
    stored = crypto.KeyInfo.from_json(info.to_json())
    assert crypto.open_key(stored, "correct horse") == master
    with pytest.raises(crypto.DecryptionError, match="wrong password"):
        crypto.open_key(stored, "battery staple")
    with pytest.raises(crypto.DecryptionError):
        b"".join(crypto.decrypt([_sealed()], os.urandom(32)))


def test_damaged_compressed_streams_are_reported() -> None:
    for codec in (codecs.Codec.ZSTD, codecs.Codec.LZ4):
        packed = b"".join(codecs.compress([os.urandom(10000)], codec, 2))
        with pytest.raises(codecs.CorruptData):
            b"".join(codecs.decompress([packed[: len(packed) // 2]], codec))


def test_pipeline_pieces() -> None:
    data = os.urandom(3 * 1024 + 5)
    reader = IterReader(rechunk([data[:10], data[10:]], 1000))
    assert b"".join(chunks(reader, 333)) == data
    assert IterReader([b"ab", b"cd"]).read() == b"abcd"
