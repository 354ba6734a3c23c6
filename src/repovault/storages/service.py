"""Backup storages: adding, listing, removing, and opening the backend one names.

Backends are chosen by storage type through `BACKENDS`, a registry, not if/else chains.
The S3 secret key is sealed at rest and never listed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.backends.base import Backend
from repovault.backends.local import LocalBackend
from repovault.backends.s3 import S3Backend
from repovault.common import codes
from repovault.common.enums import StorageType
from repovault.common.errors import Conflict, InvalidInput, NotFound
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.common.secrets import SecretBox
from repovault.plans.models import Plan
from repovault.storages.models import Storage

log = structlog.get_logger(__name__)

SEALED_SECRET = "secretAccessKeySealed"  # noqa: S105 (a key name)
S3_REQUIRED = ("bucket", "accessKeyId", "secretAccessKey")
S3_KEYS = ("endpointUrl", "bucket", "prefix", "region", "accessKeyId")


def _local_settings(settings: dict[str, Any], _box: SecretBox) -> dict[str, Any]:
    path = settings.get("path")
    if not isinstance(path, str) or not path.strip():
        raise InvalidInput.field("settings.path", "a local storage needs a folder path")
    folder = Path(path).expanduser()
    if not folder.is_absolute():
        raise InvalidInput.field("settings.path", f"not an absolute path: {path!r}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput.field("settings.path", f"cannot create {folder}: {exc}") from exc
    return {"path": str(folder)}


def _s3_settings(settings: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    folded = {k.lower(): v for k, v in settings.items()}
    result: dict[str, Any] = {}
    for key in (*S3_KEYS, "secretAccessKey"):
        value = folded.get(key.lower())
        if value is not None and not isinstance(value, str):
            raise InvalidInput.field(f"settings.{key}", "expected a string")
        if key in S3_REQUIRED and not value:
            raise InvalidInput.field(f"settings.{key}", "required for an S3 storage")
        if key != "secretAccessKey":
            result[key] = value or None
    result[SEALED_SECRET] = box.seal(str(folded["secretaccesskey"]))
    return result


SETTINGS_CHECKS: dict[int, Callable[[dict[str, Any], SecretBox], dict[str, Any]]] = {
    StorageType.LOCAL: _local_settings,
    StorageType.S3: _s3_settings,
}


def _s3_backend(settings: dict[str, Any], box: SecretBox) -> Backend:
    return S3Backend(
        bucket=settings["bucket"],
        prefix=settings.get("prefix") or "",
        endpoint_url=settings.get("endpointUrl"),
        region=settings.get("region"),
        access_key_id=settings.get("accessKeyId"),
        secret_access_key=box.open(settings[SEALED_SECRET]),
    )


BACKENDS: dict[int, Callable[[dict[str, Any], SecretBox], Backend]] = {
    StorageType.LOCAL: lambda settings, _box: LocalBackend(settings["path"]),
    StorageType.S3: _s3_backend,
}


def public_settings(storage: Storage) -> dict[str, Any]:
    return {k: v for k, v in storage.settings.items() if k != SEALED_SECRET}


def add_storage(
    session: Session, box: SecretBox, *, name: str, type: int, settings: dict[str, Any]
) -> Storage:
    check = SETTINGS_CHECKS.get(type)
    if check is None:
        raise InvalidInput.field("type", f"unknown storage type {type}; 1 local folder, 2 S3")
    if session.scalar(select(Storage.id).where(Storage.name == name)):
        raise Conflict(codes.STORAGE_EXISTS, f"a storage named {name!r} exists already")
    storage = Storage(name=name, type=type, settings=check(settings, box))
    session.add(storage)
    session.flush()
    log.info("storage added", storage_id=storage.id, type=type)
    return storage


def get_storage(session: Session, storage_id: str | None) -> Storage:
    """The named storage, or the default one when no id is given."""
    if storage_id is not None:
        return get_by_id(session, Storage, storage_id, code=codes.STORAGE_NOT_FOUND, what="storage")
    storage = session.scalar(select(Storage).where(Storage.is_default))
    if storage is None:
        raise NotFound(codes.STORAGE_NOT_FOUND, "no default storage")
    return storage


def remove_storage(session: Session, *, storage_id: str) -> None:
    storage = get_storage(session, storage_id)
    if storage.is_default:
        raise Conflict(codes.STORAGE_IN_USE, "the default storage serves plans that name none")
    users = session.scalars(select(Plan.name).where(Plan.storage_id == storage.id)).all()
    if users:
        raise Conflict(
            codes.STORAGE_IN_USE, f"storage is used by plans: {', '.join(sorted(users))}"
        )
    session.delete(storage)
    log.info("storage removed", storage_id=storage.id)


def local_folders(session: Session) -> list[Path]:
    """The folders of every local storage: never a restore target."""
    rows = session.scalars(select(Storage.settings).where(Storage.type == StorageType.LOCAL))
    return [Path(settings["path"]) for settings in rows if settings.get("path")]


def open_backend(storage: Storage, box: SecretBox) -> Backend:
    return BACKENDS[storage.type](storage.settings, box)


def all_backends(session: Session, box: SecretBox) -> list[Backend]:
    return [open_backend(s, box) for s in session.scalars(select(Storage))]


STORAGE_FIELDS = {
    "id": Column(Storage.id, "id"),
    "name": Column(Storage.name, "str"),
    "type": Column(Storage.type, "int"),
    "isdefault": Column(Storage.is_default, "bool"),
    "createdat": Column(Storage.created_at, "int"),
}


def list_storages(session: Session, request: PageRequest) -> Page:
    return fetch(session, select(Storage), request, STORAGE_FIELDS, Storage.id)
