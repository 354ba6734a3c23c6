"""A local folder as storage. Writes are atomic: temp file, fsync, rename, fsync the folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from repovault.storage.base import CHUNK, ObjectInfo, Readable, StorageError, check_key

TEMP_SUFFIX = ".partial"


class LocalBackend:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: Readable) -> int:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=TEMP_SUFFIX)
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc}") from exc
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError(f"cannot write {key}: {exc}") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return written

    def get(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc}") from exc

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        # Walk only the folder the prefix names, not the whole storage.
        start = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(TEMP_SUFFIX):
                    continue
                full = Path(dirpath) / name
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    st = full.stat()
                    yield ObjectInfo(key, st.st_size, int(st.st_mtime * 1000))

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc}") from exc
        # Drop folders left empty, up to the root.
        parent = path.parent
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def stat(self, key: str) -> ObjectInfo:
        st = self._path(key).stat()
        return ObjectInfo(key, st.st_size, int(st.st_mtime * 1000))
