"""A local folder as storage. Writes are atomic: temp file, fsync, rename, fsync the folder.

Temp files live in `<root>/.partial/`, named after the host and process writing them; each
write first removes those whose process on this host is gone (a writer killed mid-way), so
interrupted writes never accumulate and are never listed.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from repovault.backends.base import CHUNK, ObjectInfo, Readable, StorageError, check_key

PARTIAL_DIR = ".partial"
HOST = socket.gethostname()


class LocalBackend:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _purge_dead_partials(self, folder: Path) -> None:
        for entry in folder.iterdir():
            host, _, rest = entry.name.partition(".")
            pid = rest.partition(".")[0]
            if host == HOST and pid.isdigit() and not process_alive(int(pid)):
                entry.unlink(missing_ok=True)

    def put(self, key: str, source: Readable) -> int:
        path = self._path(key)
        partials = self.root / PARTIAL_DIR
        try:
            partials.mkdir(parents=True, exist_ok=True)
            self._purge_dead_partials(partials)
            fd, tmp = tempfile.mkstemp(dir=partials, prefix=f"{HOST}.{os.getpid()}.")
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
            # The target's folder appears only with the object, never empty.
            path.parent.mkdir(parents=True, exist_ok=True)
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
            if Path(dirpath) == self.root and PARTIAL_DIR in dirnames:
                dirnames.remove(PARTIAL_DIR)
            dirnames.sort()
            for name in sorted(filenames):
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


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
