"""`/git/organizations/*` calls."""

from __future__ import annotations

from typing import Any

from repovault.accounts.roles import READ_GIT, REMOVE_GIT, WRITE_GIT
from repovault.accounts.schemas import IdResponse
from repovault.api import signals
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.paging import PageOf, PageRequest
from repovault.organizations import service
from repovault.organizations.schemas import (
    OrganizationAdd,
    OrganizationModify,
    OrganizationOut,
    OrganizationRemove,
)

calls = Calls("organizations")


@calls.post("/git/organizations/add", body=OrganizationAdd, roles=WRITE_GIT, write=True)
def add(ctx: Context, body: OrganizationAdd) -> IdResponse:
    """Add a Git hosting organization (credentials are encrypted at rest, never returned)."""
    org = service.add_organization(
        ctx.session,
        ctx.runtime.box,
        ctx.runtime.http,
        driver=body.driver,
        name=body.name,
        api_url=body.api_url,
        token=body.token,
        username=body.username,
        default_worker_id=body.default_worker_id,
        auto_add_new_repositories=body.auto_add_new_repositories,
        is_read_only=body.is_read_only,
        embedded_worker=ctx.runtime.settings.worker_id,
        additional_tokens=body.additional_tokens,
    )
    return IdResponse(id=org.id)


@calls.post("/git/organizations/modify", body=OrganizationModify, roles=WRITE_GIT, write=True)
def modify(ctx: Context, body: OrganizationModify) -> None:
    """Change an organization's name, URL, credentials, default worker or flags."""
    changes = {name: getattr(body, name) for name in body.model_fields_set if name != "id"}
    service.modify_organization(
        ctx.session, ctx.runtime.box, ctx.runtime.http, organization_id=body.id, changes=changes
    )


@calls.post("/git/organizations/remove", body=OrganizationRemove, roles=REMOVE_GIT, write=True)
def remove(ctx: Context, body: OrganizationRemove) -> None:
    """Remove an organization with its repositories and plans (and backup data if asked)."""
    task_id = service.remove_organization(
        ctx.session,
        organization_id=body.id,
        remove_data=body.removedata,
        embedded_worker=ctx.runtime.settings.worker_id,
    )
    if task_id:
        signals.wake(ctx)


@calls.post(
    "/git/organizations/getmany",
    body=PageRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[OrganizationOut],
    quick=True,
)
def getmany(ctx: Context, body: PageRequest) -> dict[str, Any]:
    """List Git organizations with their repository counters and plans."""
    page, plans = service.list_organizations(ctx.session, body)
    # Plain dicts with the keys of `OrganizationOut` and `PlanSummary`, in their order
    # (tests compare the answer with the models' own serialization).
    return page.envelope(
        [
            {
                "id": org_id,
                "driver": driver,
                "name": name,
                "apiUrl": api_url,
                "isReadOnly": is_read_only,
                "protectedRepositories": int(protected),
                "totalRepositories": int(total),
                "missingLicences": int(missing),
                "removedRepositories": int(removed),
                "defaultWorkerId": default_worker_id,
                "isCreatedByMarketplace": is_created_by_marketplace,
                "synchronizationInProgress": synchronization_in_progress,
                "plans": [_plan(plan) for plan in plans.get(org_id, ())],
            }
            for (
                org_id,
                driver,
                name,
                api_url,
                is_read_only,
                protected,
                total,
                missing,
                removed,
                default_worker_id,
                is_created_by_marketplace,
                synchronization_in_progress,
            ) in page.rows
        ]
    )


def _plan(row: Any) -> dict[str, Any]:
    _org_id, plan_id, name, backup_type, include_metadata, repositories, *status = row
    successes, warnings, errors, finished, running = status
    return {
        "id": plan_id,
        "name": name,
        "backupType": backup_type,
        "includeMetadata": include_metadata,
        "repoCount": int(repositories),
        "lastStatus": {"successes": successes, "warnings": warnings, "errors": errors},
        "planFinishedTime": finished,
        "isRunning": running,
    }
