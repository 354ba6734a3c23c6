"""`/git/organizations/*` calls."""

from __future__ import annotations

from typing import Any

from repovault.accounts.roles import READ_GIT, REMOVE_GIT, WRITE_GIT
from repovault.accounts.schemas import IdResponse
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.paging import PageOf, PageRequest
from repovault.organizations import service
from repovault.organizations.schemas import (
    LastStatus,
    OrganizationAdd,
    OrganizationModify,
    OrganizationOut,
    OrganizationRemove,
    PlanSummary,
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
    service.remove_organization(
        ctx.session, ctx.runtime.box, organization_id=body.id, remove_data=body.removedata
    )


@calls.post(
    "/git/organizations/getmany",
    body=PageRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[OrganizationOut],
)
def getmany(ctx: Context, body: PageRequest) -> dict[str, Any]:
    """List Git organizations with their repository counters and plans."""
    page, plans = service.list_organizations(ctx.session, body)
    result = []
    for org, total, protected, removed, missing in page.rows:
        out = OrganizationOut(
            id=org.id,
            driver=org.driver,
            name=org.name,
            api_url=org.api_url,
            is_read_only=org.is_read_only,
            protected_repositories=protected,
            total_repositories=total,
            missing_licences=missing,
            removed_repositories=removed,
            default_worker_id=org.default_worker_id,
            is_created_by_marketplace=org.is_created_by_marketplace,
            synchronization_in_progress=org.synchronization_in_progress,
            plans=[
                PlanSummary(
                    id=plan.id,
                    name=plan.name,
                    backup_type=plan.backup_type,
                    include_metadata=plan.include_metadata,
                    repo_count=count,
                    last_status=LastStatus(
                        successes=plan.last_successes,
                        warnings=plan.last_warnings,
                        errors=plan.last_errors,
                    ),
                    plan_finished_time=plan.plan_finished_time,
                    is_running=plan.is_running,
                )
                for plan, count in plans.get(org.id, [])
            ],
        )
        result.append(out.model_dump(by_alias=True))
    return page.envelope(result)
