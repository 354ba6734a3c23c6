"""Backups no one can delete before their time: objects written under a storage's own
immutability (S3 Object Lock), so that neither repovault nor anyone holding its
credentials can remove them early.

    Retention(days, mode)            a plan's requirement (advancedOptions objectLockDays,
                                     objectLockMode: COMPLIANCE by default, or GOVERNANCE)
    RetainedBackend(backend, ...)    writes the keys `applies` names (a snapshot's objects and
                                     its manifest) locked until now + days; the rest (the
                                     vault's lock file, its catalog) as usual
    retained_until(backend, key)     until when a key is locked, None when it is not or the
                                     backend has no such thing (retention asks it first)

A locked object's version cannot be deleted until its date; deleting the key only hides it
behind a delete marker, and the version is still there to restore. In COMPLIANCE mode no
credential at all can shorten the lock; in GOVERNANCE mode only one with
`s3:BypassGovernanceRetention`, which repovault never uses and whose key it should not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, Literal, Protocol, runtime_checkable

from repovault.backends.base import Backend, ObjectInfo, Readable

Mode = Literal["COMPLIANCE", "GOVERNANCE"]
MODES: tuple[Mode, ...] = ("COMPLIANCE", "GOVERNANCE")


@dataclass(frozen=True)
class Retention:
    days: int
    mode: Mode = "COMPLIANCE"


@dataclass(frozen=True)
class Retained:
    """One write's lock: its mode and date."""

    mode: Mode
    until: datetime


@runtime_checkable
class Lockable(Protocol):
    """A backend that can lock what it writes (S3 with Object Lock)."""

    def put(self, key: str, source: Readable, *, retention: Retained | None = None) -> int: ...

    def retained_until(self, key: str) -> datetime | None: ...

    def object_lock_enabled(self) -> bool: ...


def lockable(backend: Backend) -> Lockable | None:
    """`backend` when it can lock what it writes; a wrapper (retry.py) can when what it
    wraps can."""
    inner = getattr(backend, "inner", backend)
    if isinstance(backend, Lockable) and isinstance(inner, Lockable):
        return backend
    return None


def retained_until(backend: Backend, key: str) -> datetime | None:
    found = lockable(backend)
    return found.retained_until(key) if found is not None else None


class RetainedBackend:
    """`backend`, writing the keys `applies` names locked for `retention.days`."""

    def __init__(
        self,
        backend: Lockable,
        retention: Retention,
        applies: Callable[[str], bool],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.backend = backend
        self.retention = retention
        self.applies = applies
        self.clock = clock

    def put(self, key: str, source: Readable) -> int:
        if not self.applies(key):
            return self.backend.put(key, source)
        until = self.clock() + timedelta(days=self.retention.days)
        return self.backend.put(key, source, retention=Retained(self.retention.mode, until))

    def get(self, key: str) -> BinaryIO:
        return self._plain.get(key)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return self._plain.list(prefix)

    def delete(self, key: str) -> None:
        self._plain.delete(key)

    def stat(self, key: str) -> ObjectInfo:
        return self._plain.stat(key)

    def retained_until(self, key: str) -> datetime | None:
        return self.backend.retained_until(key)

    def object_lock_enabled(self) -> bool:
        return self.backend.object_lock_enabled()

    @property
    def _plain(self) -> Backend:
        plain: Backend = self.backend  # type: ignore[assignment]
        return plain
