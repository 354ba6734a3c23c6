"""`/git/repositories/sync`: a sync task for an organization, unless one runs already."""

from __future__ import annotations

from sqlalchemy.orm import Session

from repovault.organizations.service import request_sync
from repovault.runtime import Runtime
from repovault.tasks import service
from repovault.workers.service import worker_by_name


def synchronize(runtime: Runtime, session: Session, *, organization_id: str) -> str | None:
    """Queue a sync task unless one runs already (then None)."""
    if not request_sync(session, organization_id=organization_id):
        return None
    embedded = worker_by_name(session, runtime.settings.worker_id)
    task = service.queue_sync(
        session, organization_id, fallback_worker=embedded.id if embedded else None
    )
    return task.id if task else None
