"""Google Cloud Storage (and an emulator through `endpoint_url`).

Objects are streamed with bounded memory: an object below one chunk (8 MiB) is one upload; a
larger one is a resumable upload sent chunk by chunk (8 MiB, one in memory at a time), which
makes the object visible only when its last chunk lands. Downloads are ranged reads of 8 MiB
as the caller reads. Credentials are a service-account key (the JSON document); without one,
the application default credentials (or none, against an emulator). Vendor errors are
translated here: a missing object is `FileNotFoundError`; a missing bucket, refused
credentials or any other refusal is a permanent `StorageError` naming the bucket; throttling,
server errors and an unreachable endpoint are temporary ones.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

import requests
from google.api_core import exceptions as api
from google.api_core.retry import Retry
from google.auth import exceptions as auth
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY
from google.oauth2 import service_account

from repovault.backends.base import CHUNK, ObjectInfo, Readable, StorageError, check_key
from repovault.backends.streams import chunk_stream, read_block

CHUNK_SIZE = 8 * 1024 * 1024  # a multiple of 256 KiB, as resumable uploads require
RETRY: Retry = DEFAULT_RETRY.with_timeout(60.0)
TEMPORARY = (api.TooManyRequests, api.ServerError)
FAILURES = (api.GoogleAPICallError, auth.GoogleAuthError, requests.RequestException)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _credentials(credentials_json: str | None, endpoint_url: str | None) -> Credentials | None:
    if credentials_json:
        try:
            info = json.loads(credentials_json)
            return cast(
                Credentials,
                service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                    info, scopes=["https://www.googleapis.com/auth/devstorage.read_write"]
                ),
            )
        except (ValueError, KeyError) as exc:
            raise StorageError(f"not a service-account key: {exc}", permanent=True) from exc
    return AnonymousCredentials() if endpoint_url else None  # type: ignore[no-untyped-call]


class GCSBackend:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        project: str | None = None,
        credentials_json: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        where = f" at {endpoint_url}" if endpoint_url else ""
        self.label = f"Google Cloud Storage bucket {bucket!r}{where}"
        options = {"api_endpoint": endpoint_url} if endpoint_url else None
        try:
            self.client = storage.Client(
                project=project or "repovault",
                credentials=_credentials(credentials_json, endpoint_url),
                client_options=options,
            )
        except auth.GoogleAuthError as exc:
            raise StorageError(f"{self.label}: no credentials: {exc}", permanent=True) from exc
        self.bucket = self.client.bucket(bucket)

    def _blob(self, key: str) -> Any:
        return self.bucket.blob(self.prefix + check_key(key), chunk_size=CHUNK_SIZE)

    def _translate(self, exc: Exception, what: str, *, bucket_level: bool = False) -> Exception:
        """`bucket_level`: a call whose 404 can only mean a missing bucket (a write, a list);
        elsewhere GCS says so in its message ("The specified bucket does not exist")."""
        text = _first_line(exc)
        if isinstance(exc, api.NotFound):
            if bucket_level or "bucket" in text.lower():
                return StorageError(f"{what}: {self.label} does not exist", permanent=True)
            return FileNotFoundError(what)
        if isinstance(exc, (auth.GoogleAuthError, api.Unauthorized, api.Forbidden)):
            return StorageError(
                f"{what}: {self.label} refused the credentials: {text}", permanent=True
            )
        if isinstance(exc, requests.RequestException):
            return StorageError(f"{what}: {self.label} is unreachable: {text}")
        return StorageError(
            f"{what}: {self.label} refused: {text}", permanent=not isinstance(exc, TEMPORARY)
        )

    def put(self, key: str, source: Readable) -> int:
        blob = self._blob(key)
        try:
            first = read_block(source, CHUNK_SIZE)
            if len(first) < CHUNK_SIZE:
                blob.upload_from_string(first, retry=RETRY)
                return len(first)
            written = 0
            with blob.open("wb", chunk_size=CHUNK_SIZE, ignore_flush=True, retry=RETRY) as out:
                block = first
                while block:
                    out.write(block)
                    written += len(block)
                    block = source.read(CHUNK)
        except FAILURES as exc:
            raise self._translate(exc, f"cannot write {key}", bucket_level=True) from exc
        return written

    def get(self, key: str) -> BinaryIO:
        blob = self._blob(key)
        try:
            blob.reload(retry=RETRY)  # a missing object fails here, not at the first read
        except FAILURES as exc:
            raise self._translate(exc, f"cannot read {key}") from exc
        if not blob.size:  # nothing to range over
            return io.BytesIO()
        # Pinned to the generation just seen: an object replaced mid-read fails the read
        # (412) instead of mixing two versions.
        reader = blob.open(
            "rb", chunk_size=CHUNK_SIZE, retry=RETRY, if_generation_match=blob.generation
        )

        def chunks() -> Iterator[bytes]:
            with reader:
                while block := reader.read(CHUNK_SIZE):
                    yield block

        return chunk_stream(chunks(), lambda exc: self._translate(exc, f"cannot read {key}"))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        try:
            for item in self.client.list_blobs(
                self.bucket, prefix=self.prefix + prefix, retry=RETRY
            ):
                yield ObjectInfo(
                    key=item.name[len(self.prefix) :],
                    size=int(item.size or 0),
                    modified_ms=int(item.updated.timestamp() * 1000),
                )
        except FAILURES as exc:
            raise self._translate(exc, f"cannot list {prefix}", bucket_level=True) from exc

    def delete(self, key: str) -> None:
        try:
            self._blob(key).delete(retry=RETRY)
        except FAILURES as exc:
            error = self._translate(exc, f"cannot delete {key}")
            if not isinstance(error, FileNotFoundError):
                raise error from exc

    def stat(self, key: str) -> ObjectInfo:
        blob = self._blob(key)
        try:
            blob.reload(retry=RETRY)
        except FAILURES as exc:
            raise self._translate(exc, key) from exc
        return ObjectInfo(
            key=key, size=int(blob.size or 0), modified_ms=int(blob.updated.timestamp() * 1000)
        )
