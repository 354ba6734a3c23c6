"""A folder on an SFTP server (OpenSSH, rclone serve sftp, any SSH server with SFTP), over
paramiko.

The server's host key is pinned: the connection is refused, before any credential is sent,
when the server's key is not the one in the settings (the error shows the key it offered and
its SHA256 fingerprint). One SSH connection per backend, opened on first use (where the
storage's folder is checked too) and opened again after it drops.

Writes are atomic: the object is streamed into `<path>/.partial/<random>` (pipelined, so the
upload runs at the link's speed in bounded memory) and renamed over its key with the
`posix-rename@openssh.com` extension, which replaces an existing object in one step.
Partial files a killed writer left behind are removed by the next backend's first write
once they are a day old. Reads stream from the remote file, 2 MiB ahead (the requests of a
window in flight together).
"""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import socket
import stat as stat_mode
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import paramiko

from repovault.backends.base import CHUNK, ObjectInfo, Readable, StorageError, check_key

PARTIAL_DIR = ".partial"
STALE_PARTIAL_SECONDS = 24 * 3600
CONNECT_TIMEOUT = 20.0
RSA_TYPES = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
REQUEST = 32 * 1024  # what every SFTP server answers in one read
READ_WINDOW = 2 * 1024 * 1024
READ_REQUESTS = 64


@dataclass(frozen=True)
class SftpSettings:
    host: str
    port: int
    username: str
    host_key: str  # "ssh-ed25519 AAAA..." as in known_hosts or a .pub file
    path: str
    password: str | None = None
    private_key: str | None = None

    @property
    def where(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}/{self.path.lstrip('/')}"


def parse_host_key(text: str) -> tuple[str, str]:
    """(type, base64) of an OpenSSH public key line; ValueError when it is not one."""
    fields = text.split()
    if fields and "." in fields[0] and len(fields) >= 3:
        fields = fields[1:]  # a known_hosts line: "host type key"
    if len(fields) < 2 or not fields[0].startswith(("ssh-", "ecdsa-")):
        raise ValueError("expected an OpenSSH public key such as 'ssh-ed25519 AAAA...'")
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except ValueError as exc:
        raise ValueError("the key is not valid base64") from exc
    if not blob:
        raise ValueError("the key is empty")
    return fields[0], fields[1]


def fingerprint(blob_b64: str) -> str:
    digest = hashlib.sha256(base64.b64decode(blob_b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_private_key(text: str) -> paramiko.PKey:
    """The key of an unencrypted OpenSSH or PEM private key; ValueError when it is not one."""
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text))
        except Exception:  # noqa: S112 (any malformed key: try the next type)
            continue
    raise ValueError("not an unencrypted OpenSSH or PEM private key (Ed25519, ECDSA or RSA)")


class _WindowReader(io.RawIOBase):
    """A remote file read ahead one window at a time: the window's requests are in flight
    together (SFTP answers at most 32 KiB a request, one at a time would wait a round trip
    each), and at most one window is held, so memory stays bounded."""

    def __init__(self, remote: paramiko.SFTPFile, size: int) -> None:
        self.remote = remote
        self.size = size
        self.offset = 0
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self.pending:
            if self.offset >= self.size:
                return 0
            end = min(self.size, self.offset + READ_WINDOW)
            chunks = [(at, min(REQUEST, end - at)) for at in range(self.offset, end, REQUEST)]
            window = b"".join(self.remote.readv(chunks, READ_REQUESTS))
            if len(window) != end - self.offset:
                raise StorageError(f"short read at {self.offset}: the file changed")
            self.pending = memoryview(window)
            self.offset = end
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self.remote.close()
        super().close()


class SftpBackend:
    def __init__(self, settings: SftpSettings) -> None:
        self.settings = settings
        self.key_type, self.key_b64 = parse_host_key(settings.host_key)
        self.root = settings.path.rstrip("/") or "/"
        self._lock = threading.Lock()
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._owner = 0  # the thread that opened the connection uses its first session
        self._sessions = threading.local()  # every other thread: a session of its own
        self._partials_checked = False

    # -- the connection

    def _connect(self) -> paramiko.SFTPClient:
        s = self.settings
        try:
            sock = socket.create_connection((s.host, s.port), timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            raise StorageError(f"{s.where}: cannot connect: {exc}") from exc
        transport = paramiko.Transport(sock)
        try:
            options = transport.get_security_options()
            options.key_types = RSA_TYPES if self.key_type == "ssh-rsa" else (self.key_type,)
            transport.start_client(timeout=CONNECT_TIMEOUT)
            self._check_host_key(transport.get_remote_server_key())
            self._authenticate(transport)
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise StorageError(f"{s.where}: the server opened no SFTP session")
            self._check_root(sftp)
        except BaseException:
            transport.close()
            raise
        self._transport = transport
        weakref.finalize(self, transport.close)
        return sftp

    def _check_host_key(self, offered: paramiko.PKey) -> None:
        offered_b64 = offered.get_base64()
        if offered_b64 != self.key_b64:
            raise StorageError(
                f"{self.settings.where}: host key mismatch: the server offered "
                f"{offered.get_name()} {offered_b64} ({fingerprint(offered_b64)}), "
                f"the storage pins {self.key_type} {fingerprint(self.key_b64)}; "
                "refusing to connect",
                permanent=True,
            )

    def _authenticate(self, transport: paramiko.Transport) -> None:
        s = self.settings
        try:
            if s.private_key:
                transport.auth_publickey(s.username, load_private_key(s.private_key))
            else:
                transport.auth_password(s.username, s.password or "")
        except paramiko.AuthenticationException as exc:
            how = "private key" if s.private_key else "password"
            raise StorageError(
                f"{s.where}: the server refused the credentials of {s.username!r} ({how}): {exc}",
                permanent=True,
            ) from exc

    def _check_root(self, sftp: paramiko.SFTPClient) -> None:
        try:
            attrs = sftp.stat(self.root)
        except FileNotFoundError as exc:
            raise StorageError(
                f"{self.settings.where}: the folder {self.root} does not exist on the server",
                permanent=True,
            ) from exc
        if not stat_mode.S_ISDIR(attrs.st_mode or 0):
            raise StorageError(
                f"{self.settings.where}: {self.root} is not a folder", permanent=True
            )

    def _client(self) -> paramiko.SFTPClient:
        """This thread's SFTP session. One SSH connection serves every thread, each with a
        session (channel) of its own: a session answers one request at a time, and two
        threads waiting on one session's answers (a backup and its lock renewal) can take
        each other's and wait forever."""
        with self._lock:
            transport = self._transport
            if self._sftp is None or transport is None or not transport.is_active():
                self._drop()
                try:
                    self._sftp = self._connect()
                except StorageError:
                    raise
                except (paramiko.SSHException, OSError, EOFError) as exc:
                    raise StorageError(f"{self.settings.where}: {exc}") from exc
                self._owner = threading.get_ident()
                self._sessions = threading.local()
            if threading.get_ident() == self._owner:
                return self._sftp
            session: paramiko.SFTPClient | None = getattr(self._sessions, "sftp", None)
            if session is None or session.sock.closed:
                try:
                    assert self._transport is not None
                    session = paramiko.SFTPClient.from_transport(self._transport)
                except (paramiko.SSHException, OSError, EOFError) as exc:
                    raise StorageError(f"{self.settings.where}: {exc}") from exc
                if session is None:
                    raise StorageError(f"{self.settings.where}: the server opened no SFTP session")
                self._sessions.sftp = session
            return session

    def _drop(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None
        self._sftp = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _fail(self, what: str, exc: Exception) -> Exception:
        """The error to raise for `exc`: missing stays FileNotFoundError, a refusal is
        permanent, anything else (a dropped link) temporary, and the link is dropped."""
        if isinstance(exc, FileNotFoundError):
            return exc
        if isinstance(exc, StorageError):
            return exc
        if isinstance(exc, PermissionError):
            return StorageError(f"{self.settings.where}: {what}: permission denied", permanent=True)
        with self._lock:
            self._drop()
        return StorageError(f"{self.settings.where}: {what}: {exc}")

    # -- paths

    def _path(self, key: str) -> str:
        return posixpath.join(self.root, check_key(key))

    def _makedirs(self, sftp: paramiko.SFTPClient, folder: str) -> None:
        missing: list[str] = []
        while folder != self.root and folder not in ("", "/"):
            try:
                sftp.stat(folder)
                break
            except FileNotFoundError:
                missing.append(folder)
                folder = posixpath.dirname(folder)
        for each in reversed(missing):
            try:
                sftp.mkdir(each)
            except OSError:
                # made meanwhile by another writer, or really failing: the stat says which
                sftp.stat(each)

    def _purge_stale_partials(self, sftp: paramiko.SFTPClient, folder: str) -> None:
        if self._partials_checked:
            return
        self._partials_checked = True
        limit = time.time() - STALE_PARTIAL_SECONDS
        for entry in sftp.listdir_attr(folder):
            if (entry.st_mtime or 0) < limit:
                try:
                    sftp.remove(posixpath.join(folder, entry.filename))
                except OSError:
                    continue

    # -- the Backend protocol

    def put(self, key: str, source: Readable) -> int:
        final = self._path(key)
        try:
            sftp = self._client()
            partials = posixpath.join(self.root, PARTIAL_DIR)
            self._makedirs(sftp, partials)
            self._purge_stale_partials(sftp, partials)
            tmp = posixpath.join(partials, uuid.uuid4().hex)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._fail(f"cannot write {key}", exc) from exc
        try:
            written = self._upload(sftp, tmp, source)
            self._rename(sftp, tmp, final)
        except BaseException as exc:
            self._forget(sftp, tmp)
            if isinstance(exc, OSError | EOFError | paramiko.SSHException):
                raise self._fail(f"cannot write {key}", exc) from exc
            raise
        return written

    def _upload(self, sftp: paramiko.SFTPClient, tmp: str, source: Readable) -> int:
        written = 0
        with sftp.open(tmp, "wb") as out:
            out.set_pipelined(True)
            while chunk := source.read(CHUNK):
                out.write(chunk)
                written += len(chunk)
        return written

    def _rename(self, sftp: paramiko.SFTPClient, tmp: str, final: str) -> None:
        try:
            sftp.posix_rename(tmp, final)
        except FileNotFoundError:
            # the object's folder does not exist yet (or was just pruned away): make it
            self._makedirs(sftp, posixpath.dirname(final))
            sftp.posix_rename(tmp, final)

    def _forget(self, sftp: paramiko.SFTPClient, tmp: str) -> None:
        try:
            sftp.remove(tmp)
        except (OSError, EOFError, paramiko.SSHException):
            return

    def get(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            remote = self._client().open(path, "rb")
            size = remote.stat().st_size or 0
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._fail(f"cannot read {key}", exc) from exc
        return io.BufferedReader(_WindowReader(remote, size), CHUNK)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        start = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        try:
            sftp = self._client()
            yield from self._walk(sftp, start, prefix)
        except FileNotFoundError:
            return
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._fail(f"cannot list {prefix}", exc) from exc

    def _walk(self, sftp: paramiko.SFTPClient, folder: str, prefix: str) -> Iterator[ObjectInfo]:
        entries = sftp.listdir_attr(posixpath.join(self.root, folder) if folder else self.root)
        for entry in sorted(entries, key=lambda e: e.filename):
            key = f"{folder}/{entry.filename}" if folder else entry.filename
            if stat_mode.S_ISDIR(entry.st_mode or 0):
                if key != PARTIAL_DIR and (key.startswith(prefix) or prefix.startswith(key + "/")):
                    yield from self._walk(sftp, key, prefix)
            elif key.startswith(prefix):
                yield ObjectInfo(key, entry.st_size or 0, int((entry.st_mtime or 0) * 1000))

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            sftp = self._client()
            try:
                sftp.remove(path)
            except FileNotFoundError:
                return
            # Drop folders left empty, up to the root (a folder in use refuses).
            parent = posixpath.dirname(path)
            while parent != self.root and parent.startswith(self.root):
                try:
                    sftp.rmdir(parent)
                except OSError:
                    break
                parent = posixpath.dirname(parent)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._fail(f"cannot delete {key}", exc) from exc

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            attrs = self._client().stat(path)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._fail(f"cannot stat {key}", exc) from exc
        return ObjectInfo(key, attrs.st_size or 0, int((attrs.st_mtime or 0) * 1000))


__all__ = ["SftpBackend", "SftpSettings", "fingerprint", "load_private_key", "parse_host_key"]
