"""One backup of a repository folder at a time: a lock object in the storage itself.

The lock names its holder (host, process) and an expiry; the holder renews it while it
works, so a holder that dies (kill -9, power loss) loses it within `TTL_SECONDS`, and at once
when it ran on this same host (its process is gone). Acquiring writes the lock and
reads it back, and a holder that finds another's lock there gives up.

A lock that names this very process while this process holds none on that folder (the
prefixes it holds are kept in `_held`) was left by a release whose delete failed (storage
remounted read-only, say): it is stale, and taken over with a warning. A failed delete on
release is logged and never fails the work done under the lock.
"""

from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import structlog

from repovault.backends.base import Backend
from repovault.backends.local import process_alive
from repovault.engine.errors import EngineError
from repovault.engine.layout import LOCK_FILE, lock_key

log = structlog.get_logger(__name__)

TTL_SECONDS = 60.0


class LockedError(EngineError):
    """Another backup of the same repository folder is running: it may end, so transient."""

    permanent = False


def _now() -> float:
    return time.time()


def _read(storage: Backend, key: str) -> dict[str, object] | None:
    try:
        with storage.get(key) as stream:
            data: dict[str, object] = json.loads(stream.read())
            return data
    except (FileNotFoundError, ValueError):
        return None


def _alive(lock: dict[str, object]) -> bool:
    """False when the holder ran on this host and its process is gone (killed, crashed)."""
    host, _, rest = str(lock.get("owner", "")).partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    return process_alive(int(pid))


def _mine(lock: dict[str, object]) -> bool:
    """Whether the lock names this very process (host and pid)."""
    host, _, rest = str(lock.get("owner", "")).partition(":")
    return host == socket.gethostname() and rest.partition(":")[0] == str(os.getpid())


# The prefixes this process holds a lock on right now.
_held: set[str] = set()
_held_guard = threading.Lock()


@dataclass
class Held:
    """A lock being held; `warnings` says what the caller should be told (a takeover)."""

    prefix: str
    owner: str
    warnings: list[str] = field(default_factory=list)


@contextmanager
def locked(storage: Backend, prefix: str, ttl: float = TTL_SECONDS) -> Iterator[Held]:
    key = lock_key(prefix)
    owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"
    held = Held(prefix, owner)
    with _held_guard:
        if prefix in _held:
            raise LockedError(f"{prefix} is being backed up by this process (another task)")
        _held.add(prefix)
    try:
        current = _read(storage, key)
        if current and float(str(current.get("expires", 0))) > _now() and _alive(current):
            if not _mine(current):
                raise LockedError(f"{prefix} is being backed up by {current.get('owner')}")
            held.warnings.append(
                f"stale lock taken over: {key} names this process ({current.get('owner')}), "
                "which holds no lock there (an earlier release could not delete it)"
            )
            log.warning("stale lock taken over", prefix=prefix, owner=current.get("owner"))
        with _holding(storage, key, owner, ttl):
            yield held
    finally:
        with _held_guard:
            _held.discard(prefix)


@contextmanager
def _holding(storage: Backend, key: str, owner: str, ttl: float) -> Iterator[None]:
    prefix = key.removesuffix(LOCK_FILE)

    def write() -> None:
        body = json.dumps({"owner": owner, "expires": _now() + ttl}).encode()
        storage.put(key, io.BytesIO(body))

    write()
    check = _read(storage, key)
    if not check or check.get("owner") != owner:
        raise LockedError(f"{prefix} was locked by {check and check.get('owner')} meanwhile")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl / 3):
            try:
                write()
            except Exception as exc:
                log.warning("lock renewal failed", prefix=prefix, error=str(exc))

    renewer = threading.Thread(target=renew, name="repovault-lock", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        _release(storage, key, owner)


def _release(storage: Backend, key: str, owner: str) -> None:
    """Delete the lock if it is still ours; a failure is logged, never raised: the work is
    done, and the lock expires (or this process takes it over as stale) anyway."""
    try:
        if (_read(storage, key) or {}).get("owner") == owner:
            storage.delete(key)
    except Exception as exc:
        log.warning("lock not released", key=key, error=str(exc))
