"""The storage Protocol every backend implements, and the errors it raises.

Keys are `/`-separated relative paths (`repositories/<id>/<snapshot>/pack.bundle`). A backend
streams: `put` reads its source in chunks and `get` returns a readable file object, so memory
stays constant whatever the object size. Vendor errors are translated at the adapter:
a missing key is `FileNotFoundError`, anything else `StorageError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


class StorageError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SettingsError(ValueError):
    """A storage setting is missing or wrong: `field` names it (as the API's
    `settings.<field>`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified_ms: int


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Backend(Protocol):
    def put(self, key: str, source: Readable) -> int:
        """Store `source` under `key` atomically; returns the bytes written."""

    def get(self, key: str) -> BinaryIO:
        """A readable stream of the object; the caller closes it."""

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`."""

    def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""

    def stat(self, key: str) -> ObjectInfo:
        """Size and time of the object; `FileNotFoundError` when missing."""


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StorageError(f"invalid storage key {key!r}", permanent=True)
    return key


def delete_prefix(backend: Backend, prefix: str) -> int:
    """Delete every object under `prefix`; returns how many."""
    keys = [info.key for info in backend.list(prefix)]
    for key in keys:
        backend.delete(key)
    return len(keys)
