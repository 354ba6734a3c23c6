"""The retry wrapper every storage is opened with: transient errors are tried again with
exponential backoff, permanent ones and missing objects at once, and what leaves it names
the storage."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from repovault.backends.base import ObjectInfo, Readable, StorageError
from repovault.backends.local import LocalBackend
from repovault.backends.registry import TYPES, open_storage, open_url
from repovault.backends.retry import RetryingBackend


class Flaky:
    """A local folder that fails its first `failures` calls of each kind, like a storage
    behind a dropped connection; a put fails after reading part of its source."""

    def __init__(self, root: Path, failures: int, *, permanent: bool = False) -> None:
        self.inner = LocalBackend(root)
        self.failures = failures
        self.permanent = permanent
        self.calls: dict[str, int] = {}

    def _maybe_fail(self, what: str) -> None:
        self.calls[what] = self.calls.get(what, 0) + 1
        if self.calls[what] <= self.failures:
            raise StorageError(f"{what}: connection reset", permanent=self.permanent)

    def put(self, key: str, source: Readable) -> int:
        if self.calls.get("put", 0) < self.failures:
            source.read(3)  # a part was sent before the link dropped
        self._maybe_fail("put")
        return self.inner.put(key, source)

    def get(self, key: str) -> BinaryIO:
        self._maybe_fail("get")
        return self.inner.get(key)

    def stat(self, key: str) -> ObjectInfo:
        self._maybe_fail("stat")
        return self.inner.stat(key)

    def delete(self, key: str) -> None:
        self._maybe_fail("delete")
        self.inner.delete(key)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self.calls["list"] = self.calls.get("list", 0) + 1
        for number, info in enumerate(self.inner.list(prefix)):
            if number == 1 and self.calls["list"] <= self.failures:
                raise StorageError("list: connection reset")
            yield info


def _wrapped(flaky: Flaky, sleeps: list[float], attempts: int = 4) -> RetryingBackend:
    return RetryingBackend(flaky, name="'offsite' (test)", attempts=attempts, sleep=sleeps.append)


def test_transient_errors_are_retried_with_growing_delays(tmp_path: Path) -> None:
    sleeps: list[float] = []
    flaky = Flaky(tmp_path, failures=3)
    backend = _wrapped(flaky, sleeps)
    data = b"0123456789" * 1000
    assert backend.put("a/b", io.BytesIO(data)) == len(data)
    assert flaky.calls["put"] == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert (tmp_path / "a" / "b").read_bytes() == data  # the source was rewound each time
    with backend.get("a/b") as stream:
        assert stream.read() == data
    assert backend.stat("a/b").size == len(data)
    backend.delete("a/b")
    assert flaky.calls == {"put": 4, "get": 4, "stat": 4, "delete": 4}
    assert not (tmp_path / "a" / "b").exists()


def test_the_delay_is_capped(tmp_path: Path) -> None:
    sleeps: list[float] = []
    backend = RetryingBackend(
        Flaky(tmp_path, failures=6), name="x", attempts=7, max_delay=3.0, sleep=sleeps.append
    )
    (tmp_path / "k").write_bytes(b"v")
    assert backend.stat("k").size == 1
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_giving_up_names_the_storage(tmp_path: Path) -> None:
    sleeps: list[float] = []
    flaky = Flaky(tmp_path, failures=10)
    with pytest.raises(StorageError, match=r"^storage 'offsite' \(test\): stat: connection") as exc:
        _wrapped(flaky, sleeps, attempts=3).stat("k")
    assert not exc.value.permanent
    assert flaky.calls["stat"] == 3
    assert sleeps == [0.5, 1.0]


def test_permanent_errors_and_missing_objects_are_not_retried(tmp_path: Path) -> None:
    sleeps: list[float] = []
    refusing = Flaky(tmp_path, failures=1, permanent=True)
    with pytest.raises(StorageError, match=r"^storage 'offsite' \(test\): get: connection") as exc:
        _wrapped(refusing, sleeps).get("k")
    assert exc.value.permanent
    assert refusing.calls["get"] == 1
    healthy = _wrapped(Flaky(tmp_path, failures=0), sleeps)
    with pytest.raises(FileNotFoundError):
        healthy.stat("no/such")
    assert sleeps == []


def test_a_one_way_stream_is_not_sent_twice(tmp_path: Path) -> None:
    class OneWay:
        def __init__(self) -> None:
            self.source = io.BytesIO(b"abcdefgh")

        def read(self, size: int = -1) -> bytes:
            return self.source.read(size)

    sleeps: list[float] = []
    flaky = Flaky(tmp_path, failures=1)
    with pytest.raises(StorageError, match="offsite"):
        _wrapped(flaky, sleeps).put("k", OneWay())
    assert flaky.calls["put"] == 1
    assert sleeps == []


def test_a_broken_listing_starts_again_without_repeating_keys(tmp_path: Path) -> None:
    sleeps: list[float] = []
    flaky = Flaky(tmp_path, failures=2)
    for key in ("p/1", "p/2", "p/3"):
        flaky.inner.put(key, io.BytesIO(b"x"))
    listed = [info.key for info in _wrapped(flaky, sleeps).list("p/")]
    assert listed == ["p/1", "p/2", "p/3"]
    assert flaky.calls["list"] == 3
    assert sleeps == [0.5, 1.0]


def test_the_registry_opens_every_type_through_the_wrapper(tmp_path: Path) -> None:
    local = open_url(str(tmp_path / "store"))
    assert isinstance(local, RetryingBackend)
    assert isinstance(local.inner, LocalBackend)
    assert local.name == f"{tmp_path / 'store'} (local folder)"
    opened = open_storage(TYPES[1], {"path": str(tmp_path)}, name="'main'")
    assert isinstance(opened, RetryingBackend)
    with pytest.raises(StorageError, match=r"^storage 'main' \(local folder\): invalid"):
        opened.put("../escape", io.BytesIO(b"x"))
