"""Azure Blob Storage (and Azurite, and the sovereign clouds through `endpoint_url`).

Objects are streamed with bounded memory: an object that fits one block (4 MiB) is one
upload; a larger one is staged block by block (`stage_block`, 4 MiB each, one in memory at a
time) and made visible at once by `commit_block_list`, so a reader never sees half of it.
Downloads are ranged requests of 2 MiB, read as the caller reads. Vendor errors are
translated here: a missing blob is `FileNotFoundError`; a missing container, refused
credentials or any other refusal is a permanent `StorageError` naming the container and
account; throttling, server errors and an unreachable endpoint are temporary ones.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

from azure.core.credentials import AzureNamedKeyCredential, AzureSasCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.storage.blob import BlobBlock, ContainerClient

from repovault.backends.base import ObjectInfo, Readable, StorageError, check_key
from repovault.backends.streams import chunk_stream, read_block

BLOCK_SIZE = 4 * 1024 * 1024
# Downloads in ranges of 2 MiB: the SDK briefly holds ~9 bytes per byte of the range it reads
# (its `list()` over the response pre-sizes one slot per byte), ~19 MB at this size.
RANGE_SIZE = 2 * 1024 * 1024
TEMPORARY_STATUS = {408, 429, 500, 502, 503, 504}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class AzureBlobBackend:
    def __init__(
        self,
        *,
        container: str,
        prefix: str = "",
        account_name: str | None = None,
        account_key: str | None = None,
        sas_token: str | None = None,
        connection_string: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        options: dict[str, Any] = {
            "max_single_get_size": RANGE_SIZE,
            "max_chunk_get_size": RANGE_SIZE,
            "max_single_put_size": BLOCK_SIZE,
            "max_block_size": BLOCK_SIZE,
            "retry_total": 4,
        }
        if connection_string:
            self.client = ContainerClient.from_connection_string(
                connection_string, container, **options
            )
        else:
            if not account_name:
                raise StorageError("an Azure Blob storage needs an account name", permanent=True)
            credential: AzureNamedKeyCredential | AzureSasCredential | None = None
            if account_key:
                credential = AzureNamedKeyCredential(account_name, account_key)
            elif sas_token:
                credential = AzureSasCredential(sas_token.lstrip("?"))
            url = endpoint_url or f"https://{account_name}.blob.core.windows.net"
            self.client = ContainerClient(url, container, credential=credential, **options)
        self.label = (
            f"Azure Blob container {container!r} of account {self.client.account_name!r}"
            f" ({self.client.url})"
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _translate(self, exc: Exception, what: str) -> Exception:
        code = getattr(exc, "error_code", None) or ""
        code = str(getattr(code, "value", code))  # the SDK's StorageErrorCode, or a string
        status = getattr(exc, "status_code", None)
        if isinstance(exc, ResourceNotFoundError) and code != "ContainerNotFound":
            return FileNotFoundError(what)
        if code == "ContainerNotFound":
            return StorageError(f"{what}: {self.label} does not exist", permanent=True)
        if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
            return StorageError(
                f"{what}: {self.label} refused the credentials ({code or status}):"
                f" {_first_line(exc)}",
                permanent=True,
            )
        if isinstance(exc, ServiceRequestError):
            return StorageError(f"{what}: {self.label} is unreachable: {_first_line(exc)}")
        if isinstance(exc, HttpResponseError):
            return StorageError(
                f"{what}: {self.label} refused ({code or exc.status_code}): {_first_line(exc)}",
                permanent=exc.status_code not in TEMPORARY_STATUS,
            )
        return StorageError(f"{what}: {self.label}: {_first_line(exc)}")

    def put(self, key: str, source: Readable) -> int:
        blob = self.client.get_blob_client(self._key(key))
        try:
            first = read_block(source, BLOCK_SIZE)
            following = read_block(source, BLOCK_SIZE) if len(first) == BLOCK_SIZE else b""
            if not following:
                blob.upload_blob(first, overwrite=True, max_concurrency=1)
                return len(first)
            run = uuid.uuid4().hex  # this write's blocks, apart from another writer's
            blocks: list[BlobBlock] = []
            written = 0
            block = first
            while block:
                block_id = base64.b64encode(f"{run}-{len(blocks):08d}".encode()).decode()
                blob.stage_block(block_id, block, length=len(block))
                blocks.append(BlobBlock(block_id=block_id))
                written += len(block)
                block, following = following, read_block(source, BLOCK_SIZE) if following else b""
            blob.commit_block_list(blocks)
        except AzureError as exc:
            raise self._translate(exc, f"cannot write {key}") from exc
        return written

    def get(self, key: str) -> BinaryIO:
        what = f"cannot read {key}"
        try:
            download = self.client.get_blob_client(self._key(key)).download_blob(max_concurrency=1)
        except AzureError as exc:
            raise self._translate(exc, what) from exc
        return chunk_stream(iter(download.chunks()), lambda exc: self._translate(exc, what))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        try:
            for item in self.client.list_blobs(name_starts_with=self.prefix + prefix):
                yield ObjectInfo(
                    key=item.name[len(self.prefix) :],
                    size=int(item.size),
                    modified_ms=int(item.last_modified.timestamp() * 1000),
                )
        except AzureError as exc:
            raise self._translate(exc, f"cannot list {prefix}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_blob(self._key(key))
        except AzureError as exc:
            error = self._translate(exc, f"cannot delete {key}")
            if not isinstance(error, FileNotFoundError):
                raise error from exc

    def stat(self, key: str) -> ObjectInfo:
        try:
            props = self.client.get_blob_client(self._key(key)).get_blob_properties()
        except AzureError as exc:
            raise self._translate(exc, key) from exc
        return ObjectInfo(
            key=key, size=int(props.size), modified_ms=int(props.last_modified.timestamp() * 1000)
        )
