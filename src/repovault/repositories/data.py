"""Removing a repository's backup data from every storage.

Every snapshot of a repository lives under its prefix in a storage (`engine/layout.py`), so
removing its data is deleting that prefix wherever it exists.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.orm import Session

from repovault.backends.base import StorageError, delete_prefix
from repovault.common import codes
from repovault.common.errors import Conflict
from repovault.common.secrets import SecretBox
from repovault.engine.layout import repository_prefix, wiki_data_prefix
from repovault.storages.service import all_backends

log = structlog.get_logger(__name__)


def remove_backup_data(
    session: Session,
    box: SecretBox,
    repository_ids: Sequence[str],
    wiki_ids: Sequence[str] = (),
) -> None:
    """Delete the data of each repository (and wiki); raises Conflict (and deletes no row)
    on failure."""
    backends = all_backends(session, box)
    targets = [repository_prefix(r) for r in repository_ids]
    targets += [wiki_data_prefix(w) for w in wiki_ids]
    for target in targets:
        for backend in backends:
            try:
                removed = delete_prefix(backend, target)
            except StorageError as exc:
                log.error("backup data removal failed", prefix=target, error=str(exc))
                raise Conflict(
                    codes.STORAGE_FAILED,
                    f"backup data under {target} could not be removed: {exc}",
                ) from exc
            if removed:
                log.info("backup data removed", prefix=target, objects=removed)
