"""Taking a snapshot away (issue 12 §2): the download link of a finished `export` task and
the archive behind it. No HTTP here.

    link: the task (an export that succeeded) -> a path signed for an hour
      (`/git/repositories/download?task=<id>&expires=<unix s>&signature=<hex>`)
    open_download: the signature checked (altered: 403), then the time (past: 410) -> the
      archive's stream from the storage the task wrote it to (gone since: 410)
    lifetime_ms: how long an archive is kept after its task ended (`export_keep_hours`);
      past it, no link is made (410) and the next export or backup to its storage deletes
      it (`runner/export.forget_old_archives`)

The link is the authentication of the download, as a storage's presigned URL is: whoever
holds it fetches the archive until it expires, with no token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from repovault.backends.base import StorageError
from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.common.errors import Conflict, Forbidden, Gone
from repovault.common.links import LinkExpired, LinkInvalid, LinkSigner
from repovault.config import Settings
from repovault.repositories.schemas import ExportLinkOut
from repovault.runtime import Runtime
from repovault.storages.models import Storage
from repovault.storages.service import open_backend
from repovault.tasks.models import Task
from repovault.tasks.service import get_task

LINK_SECONDS = 3600
DOWNLOAD_PATH = "/git/repositories/download"
FINISHED = (TaskStatus.SUCCEEDED, TaskStatus.WARNING)
# The kinds whose task writes an archive: one repository's snapshot, an organization's.
ARCHIVE_KINDS = ("export", "orgexport")


def lifetime_ms(settings: Settings) -> int | None:
    """How long an archive is kept after its task ended (None: for ever)."""
    if settings.export_keep_hours > 0:
        return settings.export_keep_hours * 3_600_000
    if settings.task_history_days > 0:
        return settings.task_history_days * 86_400_000
    return None


def _unexpired(settings: Settings, task: Task) -> None:
    lifetime = lifetime_ms(settings)
    if lifetime is not None and task.finished_at + lifetime < now_ms():
        raise Gone(
            codes.LINK_EXPIRED,
            f"the archive of export {task.id} has expired ({lifetime // 3_600_000} hours after "
            "it was made) and is deleted; export again",
        )


def _signer(runtime: Runtime) -> LinkSigner:
    return LinkSigner(runtime.settings.effective_secret_key)


def _finished_export(session: Session, task_id: str) -> Task:
    task = get_task(session, task_id)
    if task.kind not in ARCHIVE_KINDS:
        raise Conflict(codes.EXPORT_NOT_READY, f"task {task.id} is not an export")
    if task.status not in FINISHED or not task.result.get("key"):
        raise Conflict(
            codes.EXPORT_NOT_READY, f"the export {task.id} has not finished with an archive"
        )
    return task


def link(
    runtime: Runtime, session: Session, *, task_id: str, now: float | None = None
) -> ExportLinkOut:
    """A link to the archive of a finished export, valid for `LINK_SECONDS`."""
    task = _finished_export(session, task_id)
    _unexpired(runtime.settings, task)
    expires = int(now if now is not None else time.time()) + LINK_SECONDS
    query = urlencode(
        {
            "task": task.id,
            "expires": expires,
            "signature": _signer(runtime).signature(task.id, expires),
        }
    )
    return ExportLinkOut(
        url=f"{DOWNLOAD_PATH}?{query}",
        expires_at=expires * 1000,
        file_name=task.result["fileName"],
        size_bytes=task.result["size"],
        sha256=task.result["sha256"],
    )


@dataclass
class Download:
    file_name: str
    size: int
    stream: BinaryIO


def open_download(runtime: Runtime, *, task_id: str, expires: str, signature: str) -> Download:
    """The archive a signed link names, ready to stream (the caller closes it)."""
    try:
        _signer(runtime).check(task_id, int(expires), signature)
    except (LinkInvalid, ValueError) as exc:
        raise Forbidden(codes.LINK_INVALID, "the download link is not valid") from exc
    except LinkExpired as exc:
        raise Gone(codes.LINK_EXPIRED, "the download link has expired; ask for a new one") from exc
    with runtime.db.session() as session:
        task = session.get(Task, task_id)
        storage_id = task.result.get("storageId") if task is not None else None
        storage = session.get(Storage, storage_id) if storage_id else None
        if task is None or storage is None:
            raise Gone(codes.LINK_EXPIRED, "the export or its storage no longer exists")
        _unexpired(runtime.settings, task)
        session.expunge(storage)
        key, name, size = task.result["key"], task.result["fileName"], task.result["size"]
    try:
        stream = open_backend(storage, runtime.box).get(key)
    except FileNotFoundError as exc:
        raise Gone(codes.LINK_EXPIRED, "the archive was removed from its storage") from exc
    except StorageError as exc:
        raise Conflict(codes.SNAPSHOT_UNREADABLE, f"the archive cannot be read: {exc}") from exc
    return Download(name, size, stream)
