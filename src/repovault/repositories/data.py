"""Removing a repository's backup data from every storage.

Every snapshot of a repository lives under `repositories/<repository id>/` in a storage, so
removing its data is deleting that prefix wherever it exists.
"""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.errors import Conflict
from repovault.common.secrets import SecretBox
from repovault.storage.base import StorageError, delete_prefix
from repovault.storages.service import all_backends

log = structlog.get_logger(__name__)


def prefix(repository_id: str) -> str:
    return f"repositories/{repository_id}/"


def remove_backup_data(session: Session, box: SecretBox, repository_ids: list[str]) -> None:
    """Delete the data of each repository; raises Conflict (and deletes no row) on failure."""
    backends = all_backends(session, box)
    for repository_id in repository_ids:
        for backend in backends:
            try:
                removed = delete_prefix(backend, prefix(repository_id))
            except StorageError as exc:
                log.error("backup data removal failed", repository_id=repository_id, error=str(exc))
                raise Conflict(
                    codes.STORAGE_FAILED,
                    f"backup data of repository {repository_id} could not be removed: {exc}",
                ) from exc
            if removed:
                log.info("backup data removed", repository_id=repository_id, objects=removed)
