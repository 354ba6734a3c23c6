"""The local folder backend: streamed, atomic writes; listing, stat, delete by prefix."""

from __future__ import annotations

import io
import os
import socket
from pathlib import Path

import pytest

from repovault.backends.base import StorageError, delete_prefix
from repovault.backends.local import LocalBackend


class Exploding(io.RawIOBase):
    """A source that fails after its first chunk, like a dropped network stream."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise OSError("connection reset")
        return b"x" * 1024


def test_put_get_list_stat_delete(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    data = os.urandom(3 * 1024 * 1024 + 7)
    assert backend.put("repositories/r1/s1/pack.bundle", io.BytesIO(data)) == len(data)
    backend.put("repositories/r1/s1/manifest.json", io.BytesIO(b"{}"))
    backend.put("repositories/r2/s1/manifest.json", io.BytesIO(b"{}"))
    with backend.get("repositories/r1/s1/pack.bundle") as stream:
        assert stream.read() == data
    keys = sorted(info.key for info in backend.list("repositories/r1/"))
    assert keys == ["repositories/r1/s1/manifest.json", "repositories/r1/s1/pack.bundle"]
    assert backend.stat("repositories/r1/s1/pack.bundle").size == len(data)
    assert delete_prefix(backend, "repositories/r1/") == 2
    assert not (tmp_path / "repositories" / "r1").exists()
    assert [i.key for i in backend.list("repositories/")] == ["repositories/r2/s1/manifest.json"]
    with pytest.raises(FileNotFoundError):
        backend.stat("repositories/r1/s1/pack.bundle")
    backend.delete("repositories/r1/s1/pack.bundle")  # missing is fine


def test_a_failed_write_leaves_nothing_visible(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    backend.put("a/object", io.BytesIO(b"old"))
    with pytest.raises(StorageError, match="connection reset"):
        backend.put("a/object", Exploding())  # type: ignore[arg-type]
    with backend.get("a/object") as stream:
        assert stream.read() == b"old"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["object"]
    assert list((tmp_path / ".partial").iterdir()) == []


def test_partial_files_of_dead_writers_are_purged(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    backend.put("a", io.BytesIO(b"x"))
    stale = tmp_path / ".partial" / f"{socket.gethostname()}.999999999.abc"
    stale.write_bytes(b"half an object")
    other_host = tmp_path / ".partial" / "elsewhere.1.abc"
    other_host.write_bytes(b"someone else's")
    backend.put("b", io.BytesIO(b"y"))
    assert not stale.exists()
    assert other_host.exists()
    assert sorted(i.key for i in backend.list("")) == ["a", "b"]


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a"])
def test_keys_cannot_escape_the_folder(tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError):
        LocalBackend(tmp_path).put(key, io.BytesIO(b"x"))
