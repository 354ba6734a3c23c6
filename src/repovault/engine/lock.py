"""One backup of a repository folder at a time: a lock object in the storage itself.

The lock names its holder (host, process) and an expiry; the holder renews it while it
works, so a holder that dies (kill -9, power loss) loses it within `TTL_SECONDS`, and at once
when it ran on this same host (its process is gone). Acquiring writes the lock and
reads it back, and a holder that finds another's lock there gives up.
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

import structlog

from repovault.storage.base import Backend
from repovault.storage.local import process_alive

log = structlog.get_logger(__name__)

TTL_SECONDS = 60.0


class LockedError(Exception):
    """Another backup of the same repository folder is running."""


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


@contextmanager
def locked(storage: Backend, prefix: str, ttl: float = TTL_SECONDS) -> Iterator[None]:
    key = f"{prefix}lock.json"
    owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"
    current = _read(storage, key)
    if current and float(str(current.get("expires", 0))) > _now() and _alive(current):
        raise LockedError(f"{prefix} is being backed up by {current.get('owner')}")

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
        if (_read(storage, key) or {}).get("owner") == owner:
            storage.delete(key)
