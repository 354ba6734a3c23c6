"""S3-compatible object storage (AWS, MinIO, Ceph, rclone serve s3, ...).

Objects are streamed: uploads go through boto3's managed transfer (multipart above 8 MiB,
parts of 8 MiB, so memory stays bounded whatever the object size) and downloads return the
response body stream. Vendor errors are translated here: a missing key is
`FileNotFoundError`, anything else `StorageError` (permanent for refusals such as a bad key
or a missing bucket, temporary for connection problems and throttling).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from repovault.backends.base import ObjectInfo, Readable, StorageError, check_key
from repovault.backends.retained import Retained

PART_SIZE = 8 * 1024 * 1024
MISSING = {"404", "NoSuchKey", "NotFound"}
TEMPORARY = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "503", "500"}


class _Counting:
    def __init__(self, source: Readable) -> None:
        self.source = source
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size)
        self.count += len(block)
        return block


def _translate(exc: Exception, what: str) -> Exception:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in MISSING:
            return FileNotFoundError(what)
        return StorageError(f"{what}: S3 refused ({code}): {exc}", permanent=code not in TEMPORARY)
    if isinstance(exc, EndpointConnectionError):
        return StorageError(f"{what}: S3 endpoint unreachable: {exc}")
    return StorageError(f"{what}: {exc}")


class S3Backend:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"}
            ),
        )
        self.transfer = TransferConfig(
            multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=2
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, source: Readable, *, retention: Retained | None = None) -> int:
        """Write `key`; with `retention`, under S3 Object Lock until its date (the bucket
        must have Object Lock enabled)."""
        counting = _Counting(source)
        extra = (
            {"ObjectLockMode": retention.mode, "ObjectLockRetainUntilDate": retention.until}
            if retention is not None
            else None
        )
        try:
            self.client.upload_fileobj(
                counting, self.bucket, self._key(key), Config=self.transfer, ExtraArgs=extra
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, f"cannot write {key}") from exc
        return counting.count

    def get(self, key: str) -> BinaryIO:
        try:
            body: BinaryIO = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, f"cannot read {key}") from exc
        return body

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=item["Key"][len(self.prefix) :],
                        size=int(item["Size"]),
                        modified_ms=int(item["LastModified"].timestamp() * 1000),
                    )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, f"cannot list {prefix}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            error = _translate(exc, f"cannot delete {key}")
            if not isinstance(error, FileNotFoundError):
                raise error from exc

    def stat(self, key: str) -> ObjectInfo:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, key) from exc
        return ObjectInfo(
            key=key,
            size=int(head["ContentLength"]),
            modified_ms=int(head["LastModified"].timestamp() * 1000),
        )

    # ---- S3 Object Lock (backends/retained.py) -------------------------------------------

    def retained_until(self, key: str) -> datetime | None:
        """Until when the current version of `key` is locked (None: it is not)."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, key) from exc
        until = head.get("ObjectLockRetainUntilDate")
        return until if isinstance(until, datetime) else None

    def object_lock_enabled(self) -> bool:
        """Whether the bucket was created with Object Lock (only then can objects be locked)."""
        try:
            found = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "ObjectLockConfigurationNotFoundError":
                return False
            raise _translate(exc, f"cannot read bucket {self.bucket}'s Object Lock") from exc
        except BotoCoreError as exc:
            raise _translate(exc, f"cannot read bucket {self.bucket}'s Object Lock") from exc
        enabled = found.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
        return bool(enabled == "Enabled")
