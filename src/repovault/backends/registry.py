"""The storage backend types, one entry each: how its settings are checked, which of them are
secret, how a backend is opened on them, and how a command-line URL names one. The API
(`storages/service.py`, which seals the secrets) and the command line (`cli/engine.py`) both
go through it; adding a backend is adding an entry.

    number  name   settings                                              URL
    1       local  path (absolute folder, created)                       /folder, ~/folder
    2       s3     bucket, prefix, endpointUrl, region, accessKeyId,     s3://bucket/prefix
                   secretAccessKey (secret)
    3       azure  container, prefix, endpointUrl, accountName with      azure://container/prefix
                   accountKey or sasToken, or connectionString (secrets)
    4       gcs    bucket, prefix, project, endpointUrl,                 gs://bucket/prefix
                   credentialsJson (secret: a service-account key)
    5       sftp   host, port, username, password | privateKey           sftp://user@host/path
                   (secrets), hostKey, path
    6       webdav url, path, username, password (secret)                webdav+https://host/path
    7       rclone remote, configText (secret)                           rclone://remote:path

(the remote folder types' settings are in `remote_types.py`). Every backend is opened
wrapped in `RetryingBackend` (`retry.py`): transient errors are tried again with backoff,
and errors name the storage.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from repovault.backends import cloud_settings as cloud
from repovault.backends.base import Backend
from repovault.backends.base import SettingsError as SettingsError  # re-exported
from repovault.backends.local import LocalBackend
from repovault.backends.remote_types import (
    rclone_check,
    rclone_from_url,
    rclone_open,
    sftp_check,
    sftp_from_url,
    sftp_open,
    webdav_check,
    webdav_from_url,
    webdav_open,
)
from repovault.backends.retry import RetryingBackend
from repovault.backends.s3 import S3Backend


@dataclass(frozen=True)
class BackendType:
    number: int  # the wire's storage `type`
    name: str
    label: str  # in messages
    check: Callable[[Mapping[str, Any]], dict[str, Any]]  # settings, normalised (secrets too)
    open: Callable[[Mapping[str, Any]], Backend]  # on checked settings, secrets in the clear
    secrets: tuple[str, ...] = ()
    scheme: str | None = None  # of the URL the command line names it with
    from_url: Callable[[str, Mapping[str, str | None]], dict[str, Any]] | None = None


def _local_check(settings: Mapping[str, Any]) -> dict[str, Any]:
    path = settings.get("path")
    if not isinstance(path, str) or not path.strip():
        raise SettingsError("path", "a local storage needs a folder path")
    folder = Path(path).expanduser()
    if not folder.is_absolute():
        raise SettingsError("path", f"not an absolute path: {path!r}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError("path", f"cannot create {folder}: {exc}") from exc
    return {"path": str(folder)}


S3_REQUIRED = ("bucket", "accessKeyId", "secretAccessKey")
S3_KEYS = ("endpointUrl", "bucket", "prefix", "region", "accessKeyId", "secretAccessKey")


def _s3_check(settings: Mapping[str, Any]) -> dict[str, Any]:
    folded = {k.lower(): v for k, v in settings.items()}
    result: dict[str, Any] = {}
    for key in S3_KEYS:
        value = folded.get(key.lower())
        if value is not None and not isinstance(value, str):
            raise SettingsError(key, "expected a string")
        if key in S3_REQUIRED and not value:
            raise SettingsError(key, "required for an S3 storage")
        result[key] = value or None
    return result


def _s3_open(settings: Mapping[str, Any]) -> Backend:
    return S3Backend(
        bucket=settings["bucket"],
        prefix=settings.get("prefix") or "",
        endpoint_url=settings.get("endpointUrl"),
        region=settings.get("region"),
        access_key_id=settings.get("accessKeyId"),
        secret_access_key=settings.get("secretAccessKey"),
    )


def _s3_from_url(url: str, options: Mapping[str, str | None]) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "bucket": parts.netloc,
        "prefix": parts.path.strip("/"),
        "endpointUrl": options.get("endpoint"),
        "region": os.environ.get("AWS_REGION"),
        "accessKeyId": os.environ.get("AWS_ACCESS_KEY_ID"),
        "secretAccessKey": os.environ.get("AWS_SECRET_ACCESS_KEY"),
    }


TYPES: dict[int, BackendType] = {
    t.number: t
    for t in (
        BackendType(
            number=1,
            name="local",
            label="local folder",
            check=_local_check,
            open=lambda settings: LocalBackend(settings["path"]),
        ),
        BackendType(
            number=2,
            name="s3",
            label="S3",
            check=_s3_check,
            open=_s3_open,
            secrets=("secretAccessKey",),
            scheme="s3",
            from_url=_s3_from_url,
        ),
        BackendType(
            number=3,
            name="azure",
            label="Azure Blob",
            check=cloud.azure_check,
            open=cloud.azure_open,
            secrets=cloud.AZURE_SECRETS,
            scheme="azure",
            from_url=cloud.azure_from_url,
        ),
        BackendType(
            number=4,
            name="gcs",
            label="Google Cloud Storage",
            check=cloud.gcs_check,
            open=cloud.gcs_open,
            secrets=cloud.GCS_SECRETS,
            scheme="gs",
            from_url=cloud.gcs_from_url,
        ),
        BackendType(
            number=5,
            name="sftp",
            label="SFTP",
            check=sftp_check,
            open=sftp_open,
            secrets=("password", "privateKey"),
            scheme="sftp",
            from_url=sftp_from_url,
        ),
        BackendType(
            number=6,
            name="webdav",
            label="WebDAV",
            check=webdav_check,
            open=webdav_open,
            secrets=("password",),
            scheme="webdav",  # webdav+https://, webdav+http://
            from_url=webdav_from_url,
        ),
        BackendType(
            number=7,
            name="rclone",
            label="rclone remote",
            check=rclone_check,
            open=rclone_open,
            secrets=("configText",),
            scheme="rclone",
            from_url=rclone_from_url,
        ),
    )
}


def backend_type(number: int) -> BackendType:
    """The type numbered `number`; SettingsError("type") for one that does not exist."""
    found = TYPES.get(number)
    if found is None:
        known = ", ".join(f"{t.number} {t.label}" for t in TYPES.values())
        raise SettingsError("type", f"unknown storage type {number}; {known}")
    return found


def open_storage(kind: BackendType, settings: Mapping[str, Any], *, name: str) -> Backend:
    """The backend of a storage of type `kind` on checked settings (secrets in the clear),
    retrying transient errors; `name` is how its errors name the storage."""
    return RetryingBackend(kind.open(settings), name=f"{name} ({kind.label})")


def open_url(spec: str, **options: str | None) -> Backend:
    """The backend a command-line storage names: `<scheme>://…` (or `<scheme>+…://`) of a
    type that has one (its credentials from the environment), else a local folder."""
    scheme = spec.partition("://")[0].partition("+")[0] if "://" in spec else None
    for kind in TYPES.values():
        if scheme is not None and kind.scheme == scheme and kind.from_url is not None:
            return open_storage(kind, kind.from_url(spec, options), name=spec)
    return open_storage(TYPES[1], {"path": str(Path(spec).expanduser().resolve())}, name=spec)
