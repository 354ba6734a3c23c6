"""One conformance suite for every storage backend (local folder, S3)."""

from __future__ import annotations

import io
import os

import pytest

from repovault.backends.base import Backend, StorageError, delete_prefix


def _read(backend: Backend, key: str) -> bytes:
    stream = backend.get(key)
    try:
        return stream.read()
    finally:
        stream.close()


def test_round_trip_small_empty_and_multipart(backend: Backend) -> None:
    big = os.urandom(20 * 1024 * 1024 + 123)  # above the multipart threshold
    for key, data in (("a/small", b"hello"), ("a/empty", b""), ("a/big", big)):
        assert backend.put(key, io.BytesIO(data)) == len(data)
        assert _read(backend, key) == data
        assert backend.stat(key).size == len(data)


def test_overwrite_replaces(backend: Backend) -> None:
    backend.put("k/obj", io.BytesIO(b"one"))
    backend.put("k/obj", io.BytesIO(b"two"))
    assert _read(backend, "k/obj") == b"two"


def test_list_is_by_prefix(backend: Backend) -> None:
    for key in ("r/1/a", "r/1/b/c", "r/10/a", "s/1/a"):
        backend.put(key, io.BytesIO(key.encode()))
    assert sorted(i.key for i in backend.list("r/1/")) == ["r/1/a", "r/1/b/c"]
    assert sorted(i.key for i in backend.list("r/1")) == ["r/1/a", "r/1/b/c", "r/10/a"]
    assert {i.key: i.size for i in backend.list("s/")} == {"s/1/a": 5}
    assert list(backend.list("nothing/")) == []


def test_missing_objects(backend: Backend) -> None:
    with pytest.raises(FileNotFoundError):
        backend.stat("no/such")
    with pytest.raises(FileNotFoundError):
        _read(backend, "no/such")
    backend.delete("no/such")


def test_delete_and_delete_prefix(backend: Backend) -> None:
    for key in ("d/1", "d/2/x", "e/1"):
        backend.put(key, io.BytesIO(b"x"))
    backend.delete("d/1")
    assert sorted(i.key for i in backend.list("")) == ["d/2/x", "e/1"]
    assert delete_prefix(backend, "d/") == 1
    assert [i.key for i in backend.list("")] == ["e/1"]


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b"])
def test_invalid_keys_are_refused(backend: Backend, key: str) -> None:
    with pytest.raises(StorageError):
        backend.put(key, io.BytesIO(b"x"))
