"""Backup storages: adding, listing, removing, and opening the backend one names.

Backends are chosen by storage type through `backends.registry`, shared with the command
line. Secret settings (the S3 secret key) are sealed at rest and never listed.
"""

from __future__ import annotations

import io
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.backends.base import Backend, SettingsError, StorageError
from repovault.backends.registry import backend_type, open_storage
from repovault.backends.retained import RetainedBackend, Retention, lockable
from repovault.common import codes
from repovault.common.enums import StorageType
from repovault.common.errors import Conflict, InvalidInput, NotFound
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.common.secrets import SecretBox
from repovault.plans.models import Plan
from repovault.plans.settings import PlanSettings
from repovault.storages.models import SEALED, Storage

log = structlog.get_logger(__name__)


def _checked(type: int, settings: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    """The settings as stored: checked by the backend type, its secrets sealed."""
    try:
        kind = backend_type(type)
        checked = kind.check(settings)
    except SettingsError as exc:
        field = "type" if exc.field == "type" else f"settings.{exc.field}"
        raise InvalidInput.field(field, exc.message) from exc
    for secret in kind.secrets:
        value = checked.pop(secret, None)
        if value is not None:
            checked[secret + SEALED] = box.seal(str(value))
    return checked


def add_storage(
    session: Session, box: SecretBox, *, name: str, type: int, settings: dict[str, Any]
) -> Storage:
    checked = _checked(type, settings, box)
    if session.scalar(select(Storage.id).where(Storage.name == name)):
        raise Conflict(codes.STORAGE_EXISTS, f"a storage named {name!r} exists already")
    storage = Storage(name=name, type=type, settings=checked)
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
    users = list(session.scalars(select(Plan.name).where(Plan.storage_id == storage.id)))
    users += [  # plans keeping their second copy there (advancedOptions.copyStorageId)
        plan.name
        for plan in session.scalars(select(Plan))
        if PlanSettings.of(plan).copy_storage_id == storage.id
    ]
    if users:
        raise Conflict(
            codes.STORAGE_IN_USE, f"storage is used by plans: {', '.join(sorted(users))}"
        )
    session.delete(storage)
    log.info("storage removed", storage_id=storage.id)


PROBE_PREFIX = "repovault-probe/"


def probe_storage(session: Session, box: SecretBox, *, storage_id: str) -> dict[str, Any]:
    """Write, read back and delete a small object on the storage: whether backups can go
    there now, how long the round trip took, and the storage's own reason when not."""
    storage = get_storage(session, storage_id)
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    data = os.urandom(64)
    started = time.monotonic()
    try:
        backend = open_backend(storage, box)
        backend.put(key, io.BytesIO(data))
        with backend.get(key) as stream:
            same = stream.read() == data
        backend.delete(key)
    except (StorageError, OSError) as exc:
        log.info("storage test failed", storage_id=storage.id, error=str(exc))
        return {"ok": False, "detail": str(exc), "ms": _since(started)}
    detail = "written, read back and deleted" if same else "read back different bytes"
    return {"ok": same, "detail": detail, "ms": _since(started)}


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def local_folders(session: Session) -> list[Path]:
    """The folders of every local storage: never a restore target."""
    rows = session.scalars(select(Storage.settings).where(Storage.type == StorageType.LOCAL))
    return [Path(settings["path"]) for settings in rows if settings.get("path")]


def open_backend(storage: Storage, box: SecretBox) -> Backend:
    kind = backend_type(storage.type)
    settings = dict(storage.settings)
    for secret in kind.secrets:
        sealed = settings.pop(secret + SEALED, None)
        settings[secret] = box.open(sealed) if sealed else None
    return open_storage(kind, settings, name=repr(storage.name))


def object_lock_refusal(storage: Storage, box: SecretBox) -> str | None:
    """Why `storage` cannot lock what a plan writes (None: it can): only S3 buckets created
    with Object Lock can."""
    found = lockable(open_backend(storage, box))
    if found is None:
        return f"storage {storage.name!r} cannot lock objects: only S3 with Object Lock can"
    try:
        enabled = found.object_lock_enabled()
    except StorageError as exc:
        return f"storage {storage.name!r}: cannot ask whether it locks objects: {exc}"
    if not enabled:
        return (
            f"storage {storage.name!r}: its bucket has no Object Lock (it can only be "
            "enabled when the bucket is created)"
        )
    return None


def open_locking(
    storage: Storage, box: SecretBox, retention: Retention, applies: Callable[[str], bool]
) -> Backend:
    """`storage`'s backend writing the keys `applies` names locked for `retention`."""
    found = lockable(open_backend(storage, box))
    if found is None:
        raise StorageError(
            f"storage {storage.name!r} cannot lock objects, which the plan requires",
            permanent=True,
        )
    return RetainedBackend(found, retention, applies)


STORAGE_FIELDS = {
    "id": Column(Storage.id, "id"),
    "name": Column(Storage.name, "str"),
    "type": Column(Storage.type, "int"),
    "isdefault": Column(Storage.is_default, "bool"),
    "createdat": Column(Storage.created_at, "int"),
}


def list_storages(session: Session, request: PageRequest) -> Page:
    return fetch(session, select(Storage), request, STORAGE_FIELDS, Storage.id)
