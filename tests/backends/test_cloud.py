"""The Azure Blob and Google Cloud Storage backends beyond the conformance suite: each way to
give credentials, a clear permanent error naming the storage when the credentials or the
container/bucket are wrong, and memory that stays bounded whatever the object size."""

from __future__ import annotations

import io
import json
import threading
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from repovault.backends.azure import AzureBlobBackend
from repovault.backends.base import Backend, StorageError
from repovault.backends.gcs import GCSBackend
from tests.backends.servers_cloud import AZURITE_ACCOUNT, AZURITE_KEY

WRONG_KEY = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ=="


def _round_trip(backend: Backend, key: str = "probe/object") -> bytes:
    backend.put(key, io.BytesIO(b"payload"))
    stream = backend.get(key)
    try:
        return stream.read()
    finally:
        stream.close()


def _refusals(backend: Backend) -> list[StorageError]:
    """The errors of a write, a list, a stat and a read, each of which must fail."""
    calls = [
        lambda: backend.put("k/1", io.BytesIO(b"x")),
        lambda: list(backend.list("k/")),
        lambda: backend.stat("k/1"),
        lambda: backend.get("k/1"),
    ]
    errors = []
    for call in calls:
        with pytest.raises(StorageError) as exc:
            call()
        errors.append(exc.value)
    return errors


def test_azure_wrong_account_key_is_a_permanent_error_naming_the_container(
    azurite: str, azure_container: str
) -> None:
    backend = AzureBlobBackend(
        container=azure_container,
        account_name=AZURITE_ACCOUNT,
        account_key=WRONG_KEY,
        endpoint_url=azurite,
    )
    for error in _refusals(backend):
        assert error.permanent
        assert "Azure Blob container 'repovault' of account 'devstoreaccount1'" in str(error)
        assert "refused the credentials" in str(error)


def test_azure_missing_container_is_a_permanent_error_naming_it(azurite: str) -> None:
    backend = AzureBlobBackend(
        container="no-such-container",
        account_name=AZURITE_ACCOUNT,
        account_key=AZURITE_KEY,
        endpoint_url=azurite,
    )
    for error in _refusals(backend):
        assert error.permanent
        assert "Azure Blob container 'no-such-container'" in str(error)
        assert "does not exist" in str(error)
    with pytest.raises(StorageError, match="does not exist"):
        backend.delete("k/1")  # a missing blob is fine, a missing container is not


def test_azure_connection_string_and_sas_token(azurite: str, azure_container: str) -> None:
    connection = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
        f"AccountKey={AZURITE_KEY};BlobEndpoint={azurite};"
    )
    by_string = AzureBlobBackend(
        container=azure_container, prefix="by-string", connection_string=connection
    )
    assert _round_trip(by_string) == b"payload"
    sas = generate_container_sas(
        AZURITE_ACCOUNT,
        azure_container,
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions(read=True, write=True, list=True, delete=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    by_sas = AzureBlobBackend(
        container=azure_container,
        prefix="by-sas",
        account_name=AZURITE_ACCOUNT,
        sas_token="?" + sas,
        endpoint_url=azurite,
    )
    assert _round_trip(by_sas) == b"payload"
    assert [i.key for i in by_sas.list("probe/")] == ["probe/object"]
    read_only = generate_container_sas(
        AZURITE_ACCOUNT,
        azure_container,
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions(read=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    refused = AzureBlobBackend(
        container=azure_container,
        account_name=AZURITE_ACCOUNT,
        sas_token=read_only,
        endpoint_url=azurite,
    )
    with pytest.raises(StorageError, match="refused the credentials") as exc:
        refused.put("k/1", io.BytesIO(b"x"))
    assert exc.value.permanent


def test_gcs_missing_bucket_is_a_permanent_error_naming_it(gcs_server: str) -> None:
    backend = GCSBackend(bucket="no-such-bucket", endpoint_url=gcs_server)
    for call in (lambda: backend.put("k/1", io.BytesIO(b"x")), lambda: list(backend.list(""))):
        with pytest.raises(StorageError) as exc:
            call()
        assert exc.value.permanent
        assert f"Google Cloud Storage bucket 'no-such-bucket' at {gcs_server}" in str(exc.value)
        assert "does not exist" in str(exc.value)


class _TokenServer:
    """Google's OAuth token endpoint as a service account uses it (the JWT bearer grant):
    grants a token, or refuses the key as Google does (400 invalid_grant)."""

    def __init__(self) -> None:
        self.grant = True
        self.assertions: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = parse_qs(body)
                assertion = form["assertion"][0]
                owner.assertions.append(jwt.decode(assertion, options={"verify_signature": False}))
                if owner.grant:
                    status, answer = 200, {"access_token": "ya29.test", "expires_in": 3600}
                else:
                    status, answer = (
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "Invalid JWT Signature.",
                        },
                    )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/token"


@pytest.fixture
def token_server() -> Iterator[_TokenServer]:
    server = _TokenServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    thread.join(10)


def _service_account_key(token_uri: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "repovault-test",
            "private_key_id": "test-key",
            "private_key": pem,
            "client_email": "backup@repovault-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": token_uri,
        }
    )


def test_gcs_service_account_key_signs_in_and_a_refused_one_is_named(
    gcs_server: str, token_server: _TokenServer
) -> None:
    key = _service_account_key(token_server.url)
    backend = GCSBackend(
        bucket="repovault", prefix="by-key", credentials_json=key, endpoint_url=gcs_server
    )
    assert _round_trip(backend) == b"payload"
    (claims, *_) = token_server.assertions
    assert claims["iss"] == "backup@repovault-test.iam.gserviceaccount.com"
    assert "devstorage.read_write" in claims["scope"]

    token_server.grant = False
    refused = GCSBackend(
        bucket="repovault", prefix="by-key", credentials_json=key, endpoint_url=gcs_server
    )
    for call in (lambda: refused.put("k/1", io.BytesIO(b"x")), lambda: refused.stat("k/1")):
        with pytest.raises(StorageError) as exc:
            call()
        assert exc.value.permanent
        assert "Google Cloud Storage bucket 'repovault'" in str(exc.value)
        assert "refused the credentials" in str(exc.value)


def test_gcs_a_key_that_is_not_one_is_refused(gcs_server: str) -> None:
    with pytest.raises(StorageError, match="not a service-account key") as exc:
        GCSBackend(bucket="repovault", credentials_json="{}", endpoint_url=gcs_server)
    assert exc.value.permanent


class _Generated:
    """`size` bytes made as they are read: the source holds no more than one read."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return b"\x5a" * size


@pytest.mark.parametrize("kind", ["azure", "gcs"])
def test_memory_stays_bounded_whatever_the_size(kind: str, request: pytest.FixtureRequest) -> None:
    backend: Backend = request.getfixturevalue(f"{kind}_backend")
    size = 64 * 1024 * 1024
    tracemalloc.start()
    try:
        assert backend.put("big/object", _Generated(size)) == size
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        stream = backend.get("big/object")
        read = 0
        while block := stream.read(1024 * 1024):
            read += len(block)
        stream.close()
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == size
    # a block or chunk in flight (Azure: 4 MiB up, 2 MiB ranges down; GCS 8 MiB) and the
    # libraries' copies of it: bounded, half the object's 64 MiB at most
    assert put_peak < 32 * 1024 * 1024, put_peak
    assert get_peak < 32 * 1024 * 1024, get_peak
    print(f"{kind}: peak {put_peak / 2**20:.1f} MiB writing, {get_peak / 2**20:.1f} MiB reading")


class _Failing(_Generated):
    """A source whose reading fails after `size` bytes (a repository stream that broke)."""

    def read(self, size: int = -1) -> bytes:
        if self.left == 0:
            raise OSError("the source broke")
        return super().read(size)


@pytest.mark.parametrize("kind", ["azure", "gcs"])
def test_a_write_that_fails_midway_leaves_the_previous_object(
    kind: str, request: pytest.FixtureRequest
) -> None:
    backend: Backend = request.getfixturevalue(f"{kind}_backend")
    backend.put("k/obj", io.BytesIO(b"previous"))
    with pytest.raises(OSError, match="the source broke"):
        backend.put("k/obj", _Failing(20 * 1024 * 1024))  # past the first block or chunk
    stream = backend.get("k/obj")
    try:
        assert stream.read() == b"previous"
    finally:
        stream.close()
    assert [(i.key, i.size) for i in backend.list("k/")] == [("k/obj", 8)]
