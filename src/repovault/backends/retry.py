"""Retries of transient storage errors, with exponential backoff, around any backend.

The registry opens every storage through `RetryingBackend`, so each type gets the same
policy: a `StorageError` that is not permanent (a dropped connection, a timeout, a 5xx) is
tried again after 0.5 s, 1 s, 2 s, ... (at most `max_delay`), up to `attempts` tries in all;
a permanent one (refused credentials, a wrong path, an invalid key) and a missing object
(`FileNotFoundError`) are raised at once. Every error that leaves the wrapper names the
storage it came from.

What can be tried again: `get` (opening the stream; a stream that breaks while the caller
reads it is the caller's), `stat`, `delete`, `list` (a listing that breaks is started again,
without yielding a key twice), and `put` when its source can be rewound (`seekable()`, such
as a file or `io.BytesIO`); a one-way stream already partly consumed cannot be sent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO, TypeVar

import structlog

from repovault.backends.base import Backend, ObjectInfo, Readable, StorageError
from repovault.backends.retained import Lockable, Retained

log = structlog.get_logger(__name__)

T = TypeVar("T")

ATTEMPTS = 4
FIRST_DELAY = 0.5
MAX_DELAY = 8.0


def _rewinder(source: Readable) -> Callable[[], None] | None:
    """How to rewind `source` to where it is now, or None when it cannot be."""
    seekable = getattr(source, "seekable", None)
    try:
        if seekable is None or not seekable():
            return None
        start = source.tell()  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return None
    return lambda: source.seek(start)  # type: ignore[attr-defined]


class RetryingBackend:
    def __init__(
        self,
        inner: Backend,
        *,
        name: str,
        attempts: int = ATTEMPTS,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self.name = name
        self.attempts = max(1, attempts)
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.sleep = sleep

    def _named(self, exc: StorageError) -> StorageError:
        prefix = f"storage {self.name}: "
        if str(exc).startswith(prefix):
            return exc
        return StorageError(prefix + str(exc), permanent=exc.permanent)

    def _wait(self, attempt: int, what: str, exc: StorageError) -> None:
        delay = min(self.max_delay, self.first_delay * 2**attempt)
        log.warning(
            "storage error, retrying", storage=self.name, what=what, error=str(exc), delay=delay
        )
        self.sleep(delay)

    def _call(self, what: str, action: Callable[[], T], before_retry: Callable[[], None]) -> T:
        for attempt in range(self.attempts):
            try:
                return action()
            except StorageError as exc:
                if exc.permanent or attempt + 1 == self.attempts:
                    raise self._named(exc) from exc
                self._wait(attempt, what, exc)
                before_retry()
        raise AssertionError("unreachable")  # pragma: no cover

    def put(self, key: str, source: Readable, *, retention: Retained | None = None) -> int:
        """Write `key`; `retention` (an S3 Object Lock) goes to a backend that can lock."""

        def write() -> int:
            if retention is None:
                return self.inner.put(key, source)
            return self._lockable().put(key, source, retention=retention)

        rewind = _rewinder(source)
        if rewind is None:
            try:
                return write()
            except StorageError as exc:
                raise self._named(exc) from exc
        return self._call(f"put {key}", write, rewind)

    # ---- what a backend that can lock its objects does (backends/retained.py) ------------

    def _lockable(self) -> Lockable:
        if not isinstance(self.inner, Lockable):
            raise StorageError(f"storage {self.name} cannot lock objects", permanent=True)
        return self.inner

    def retained_until(self, key: str) -> datetime | None:
        return self._call(f"stat {key}", lambda: self._lockable().retained_until(key), _nothing)

    def object_lock_enabled(self) -> bool:
        return self._call("object lock", lambda: self._lockable().object_lock_enabled(), _nothing)

    def get(self, key: str) -> BinaryIO:
        return self._call(f"get {key}", lambda: self.inner.get(key), _nothing)

    def stat(self, key: str) -> ObjectInfo:
        return self._call(f"stat {key}", lambda: self.inner.stat(key), _nothing)

    def delete(self, key: str) -> None:
        self._call(f"delete {key}", lambda: self.inner.delete(key), _nothing)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        seen: set[str] = set()
        for attempt in range(self.attempts):
            try:
                for info in self.inner.list(prefix):
                    if info.key not in seen:
                        seen.add(info.key)
                        yield info
                return
            except StorageError as exc:
                if exc.permanent or attempt + 1 == self.attempts:
                    raise self._named(exc) from exc
                self._wait(attempt, f"list {prefix}", exc)


def _nothing() -> None:
    return None
