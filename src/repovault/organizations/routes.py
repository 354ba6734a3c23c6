"""`/git/organizations/*` calls."""

from __future__ import annotations

from typing import Any

from repovault.accounts.roles import READ_GIT, REMOVE_GIT, WRITE_GIT
from repovault.accounts.schemas import IdResponse
from repovault.api import signals
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.paging import PageOf, PageRequest
from repovault.common.wire import wire_row
from repovault.organizations import service
from repovault.organizations.credentials import Credential, SshSetting
from repovault.organizations.schemas import (
    OrganizationAdd,
    OrganizationModify,
    OrganizationOut,
    OrganizationRemove,
    PlanSummary,
    SshIn,
)
from repovault.providers.base import GitHubApp
from repovault.repositories import org_exports
from repovault.repositories.schemas import OrganizationExportRequest
from repovault.tasks.schemas import TaskIdResponse

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
        credential=Credential(
            token_file=body.token_file,
            github_app=GitHubApp(**body.github_app.model_dump()) if body.github_app else None,
        ),
        ssh=_ssh(body.ssh),
    )
    return IdResponse(id=org.id)


@calls.post("/git/organizations/modify", body=OrganizationModify, roles=WRITE_GIT, write=True)
def modify(ctx: Context, body: OrganizationModify) -> None:
    """Change an organization's name, URL, credentials, default worker or flags."""
    changes = {name: getattr(body, name) for name in body.model_fields_set if name != "id"}
    if body.github_app is not None:
        changes["github_app"] = GitHubApp(**body.github_app.model_dump())
    if "ssh" in changes:
        changes["ssh"] = _ssh(body.ssh)
    service.modify_organization(
        ctx.session, ctx.runtime.box, ctx.runtime.http, organization_id=body.id, changes=changes
    )


def _ssh(ssh: SshIn | None) -> SshSetting | None:
    if ssh is None:
        return None
    return SshSetting(ssh.private_key, ssh.known_hosts, ssh.accept_new_host_key)


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
    return page.envelope(
        [
            wire_row(
                OrganizationOut,
                row,
                plans=[wire_row(PlanSummary, plan[1:]) for plan in plans.get(row[0], ())],
            )
            for row in page.rows
        ]
    )


# An organization (or a plan) taken away as one archive (issue 12 §2): one `orgexport` task;
# its archive downloads through `/git/repositories/exportlink` like a single export's.


@calls.post(
    "/git/organizations/export",
    body=OrganizationExportRequest,
    roles=WRITE_GIT,
    write=True,
    errors=(400, 401, 403, 404, 409),
)
def export(ctx: Context, body: OrganizationExportRequest) -> TaskIdResponse:
    """Export every repository of an organization or a plan, as it was at a time, as one
    self-contained archive."""
    task_id = org_exports.queue(
        ctx.session,
        organization_id=body.id,
        plan_id=body.plan_id,
        at=body.at,
        embedded_worker=ctx.runtime.settings.worker_id,
    )
    signals.wake(ctx)
    return TaskIdResponse(task_id=task_id)
