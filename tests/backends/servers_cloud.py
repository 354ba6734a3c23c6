"""Azure Blob and Google Cloud Storage servers for the conformance suite: Azurite's blob
service (the npm package, installed by .ci/run into .ci/node_modules) and gcp-storage-emulator
(a test extra from PyPI), each a real process on a free 127.0.0.1 port. A missing server
skips its tests with the reason."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from repovault.backends.azure import AzureBlobBackend
from repovault.backends.gcs import GCSBackend

__all__ = ["azure_backend", "azure_container", "azurite", "gcs_backend", "gcs_server"]

ROOT = Path(__file__).resolve().parents[2]
# Azurite's well-known development account (public, in Azure's documentation).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _serve(command: list[str], port: int, log_path: Path, what: str) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    pytest.fail(f"{what} did not start: {log_path.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _azurite() -> str | None:
    found = ROOT / ".ci" / "node_modules" / ".bin" / "azurite-blob"
    return str(found) if found.exists() else shutil.which("azurite-blob")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite's blob endpoint (`http://127.0.0.1:<port>/devstoreaccount1`)."""
    binary = _azurite()
    if binary is None or shutil.which("node") is None:
        pytest.skip("Azurite is not installed (node, and npm install --prefix .ci azurite)")
    root = tmp_path_factory.mktemp("azurite")
    port = free_port()
    command = [binary, "--blobHost", "127.0.0.1", "--blobPort", str(port)]
    command += ["--location", str(root), "--skipApiVersionCheck", "--loose", "--silent"]
    process = _serve(command, port, root.parent / "azurite.log", "azurite-blob")
    yield f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    _stop(process)


@pytest.fixture(scope="session")
def azure_container(azurite: str) -> str:
    backend = AzureBlobBackend(
        container="repovault",
        account_name=AZURITE_ACCOUNT,
        account_key=AZURITE_KEY,
        endpoint_url=azurite,
    )
    if not backend.client.exists():
        backend.client.create_container()
    return "repovault"


@pytest.fixture
def azure_backend(
    azurite: str, azure_container: str, request: pytest.FixtureRequest
) -> AzureBlobBackend:
    return AzureBlobBackend(
        container=azure_container,
        prefix=f"t{abs(hash(request.node.nodeid))}",
        account_name=AZURITE_ACCOUNT,
        account_key=AZURITE_KEY,
        endpoint_url=azurite,
    )


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gcp-storage-emulator's endpoint, in memory, with the bucket `repovault`."""
    try:
        import gcp_storage_emulator  # noqa: F401
    except ImportError:
        pytest.skip("gcp-storage-emulator is not installed (pip install -e '.[test]')")
    root = tmp_path_factory.mktemp("gcs")
    port = free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--in-memory", "--quiet"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--default-bucket", "repovault"]
    process = _serve(command, port, root / "emulator.log", "gcp-storage-emulator")
    yield f"http://127.0.0.1:{port}"
    _stop(process)


@pytest.fixture
def gcs_backend(gcs_server: str, request: pytest.FixtureRequest) -> GCSBackend:
    return GCSBackend(
        bucket="repovault", prefix=f"t{abs(hash(request.node.nodeid))}", endpoint_url=gcs_server
    )
