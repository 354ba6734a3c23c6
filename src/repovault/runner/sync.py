"""The `sync` job: an organization's repository list brought up to date, and its plans
with it."""

from __future__ import annotations

import structlog

from repovault.organizations.models import Organization
from repovault.organizations.service import end_sync
from repovault.organizations.sync import SyncResult, apply, fetch
from repovault.plans.membership import after_sync
from repovault.runner.execute import Job
from repovault.runtime import Runtime

log = structlog.get_logger(__name__)


def synchronize(runtime: Runtime, organization_id: str) -> SyncResult:
    """Run one synchronization to the end (the caller marked it in progress): the platform
    listed, then the organization's rows and its plans' membership in one transaction."""
    result = SyncResult()
    try:
        listing = fetch(runtime, organization_id, result)
        if listing is None:
            return result  # removed before its synchronization began
        with runtime.db.session(write=True) as session:
            org = session.get(Organization, organization_id)
            if org is None:
                log.info(
                    "organization removed during its synchronization",
                    organization_id=organization_id,
                )
                return result
            apply(session, org, listing, result)
            after_sync(session, org, result.added)
            end_sync(session, org.id)
        log.info(
            "synchronization finished",
            organization_id=organization_id,
            listed=len(listing.repositories),
            added=len(result.added),
            renamed=result.renamed,
            removed=result.removed,
            restored=result.restored,
            pauses=len(result.pauses),
        )
        return result
    except Exception as exc:
        log.error("synchronization failed", organization_id=organization_id, error=str(exc))
        with runtime.db.session(write=True) as session:
            end_sync(session, organization_id)
        raise


def run_sync(job: Job) -> None:
    assert job.task.organization_id is not None
    result = synchronize(job.runtime, job.task.organization_id)
    for pause in result.pauses:
        job.log("warning", f"rate limited: {pause}")
    job.log(
        "info",
        f"synchronized: {len(result.added)} added, {result.renamed} renamed, "
        f"{result.removed} removed, {result.restored} back",
    )
    job.result.update(added=len(result.added), removed=result.removed)
