"""`/plans/*` calls."""

from __future__ import annotations

from repovault.accounts.roles import READ_GIT, REMOVE_GIT, WRITE_GIT
from repovault.accounts.schemas import IdResponse
from repovault.api import signals
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.clock import now_ms
from repovault.common.enums import BackupType
from repovault.common.paging import PageOf
from repovault.plans import listing, running, scheduler, selection, service
from repovault.plans.schemas import (
    AssignedPlan,
    AssignedRequest,
    AttachProject,
    AttachRepository,
    PlanCreate,
    PlanIdRequest,
    PlanModify,
    PlanOut,
    RunRequest,
)
from repovault.tasks.schemas import TaskIdRequest, TaskIds

calls = Calls("plans")


def _create(ctx: Context, body: PlanCreate, backup_type: int) -> IdResponse:
    plan = service.create_plan(
        ctx.session,
        ctx.runtime.box,
        body=body,
        backup_type=backup_type,
        embedded_worker=ctx.runtime.settings.worker_id,
    )
    scheduler.reschedule(
        ctx.session, plan, now=now_ms(), zone=ctx.runtime.settings.zone, reanchor=True
    )
    return IdResponse(id=plan.id)


def _modify(ctx: Context, body: PlanModify, backup_type: int) -> None:
    plan = service.modify_plan(
        ctx.session,
        ctx.runtime.box,
        plan_id=body.id,
        body=body,
        backup_type=backup_type,
        embedded_worker=ctx.runtime.settings.worker_id,
    )
    scheduler.reschedule(
        ctx.session,
        plan,
        now=now_ms(),
        zone=ctx.runtime.settings.zone,
        reanchor="schedule" in body.model_fields_set,
    )


@calls.post("/plans/creategitplan", body=PlanCreate, roles=WRITE_GIT, write=True)
def create_git_plan(ctx: Context, body: PlanCreate) -> IdResponse:
    """Create a Git backup plan (the modifygitplan DTO without id)."""
    return _create(ctx, body, BackupType.GIT)


@calls.post("/plans/createazureplan", body=PlanCreate, roles=WRITE_GIT, write=True)
def create_azure_plan(ctx: Context, body: PlanCreate) -> IdResponse:
    """Create an Azure DevOps backup plan (the ModifyAzurePlanAsync DTO without id)."""
    return _create(ctx, body, BackupType.AZURE)


@calls.post("/plans/modifygitplan", body=PlanModify, roles=WRITE_GIT, write=True)
def modify_git_plan(ctx: Context, body: PlanModify) -> None:
    """Edit a Git backup plan; absent fields keep their values."""
    _modify(ctx, body, BackupType.GIT)


@calls.post("/plans/modifyazureplanasync", body=PlanModify, roles=WRITE_GIT, write=True)
def modify_azure_plan(ctx: Context, body: PlanModify) -> None:
    """Edit an Azure DevOps backup plan; absent fields keep their values."""
    _modify(ctx, body, BackupType.AZURE)


@calls.post("/plans/get", body=PlanIdRequest, roles=READ_GIT, write=False, response=PlanOut)
def get(ctx: Context, body: PlanIdRequest) -> PlanOut:
    """The full plan DTO (the encryption password is never returned)."""
    return listing.plan_out(ctx.session, service.get_plan(ctx.session, body.id))


@calls.post("/plans/remove", body=PlanIdRequest, roles=REMOVE_GIT, write=True)
def remove(ctx: Context, body: PlanIdRequest) -> None:
    """Remove a plan (backups it made stay in storage)."""
    service.remove_plan(ctx.session, plan_id=body.id)


@calls.post(
    "/plans/listassignedtoorganization",
    body=AssignedRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[AssignedPlan],
)
def list_assigned(ctx: Context, body: AssignedRequest) -> PageOf[AssignedPlan]:
    """List the backup plans of an organization with their repositories."""
    return listing.list_assigned(ctx.session, organization_id=body.organization_id, request=body)


@calls.post("/plans/attachgitrepository", body=AttachRepository, roles=WRITE_GIT, write=True)
def attach_git_repository(ctx: Context, body: AttachRepository) -> None:
    """Add a repository to a backup plan."""
    selection.attach_repository(ctx.session, plan_id=body.plan_id, repository_id=body.repository_id)


@calls.post("/plans/detachgitrepository", body=AttachRepository, roles=WRITE_GIT, write=True)
def detach_git_repository(ctx: Context, body: AttachRepository) -> None:
    """Remove a repository from a backup plan."""
    selection.detach_repository(ctx.session, plan_id=body.plan_id, repository_id=body.repository_id)


@calls.post("/plans/attachazureproject", body=AttachProject, roles=WRITE_GIT, write=True)
def attach_azure_project(ctx: Context, body: AttachProject) -> None:
    """Add an Azure DevOps project to a plan with individual selection."""
    selection.attach_project(ctx.session, plan_id=body.plan_id, project_id=body.project_id)


@calls.post("/plans/detachazureproject", body=AttachProject, roles=WRITE_GIT, write=True)
def detach_azure_project(ctx: Context, body: AttachProject) -> None:
    """Remove an Azure DevOps project from a plan with individual selection."""
    selection.detach_project(ctx.session, plan_id=body.plan_id, project_id=body.project_id)


@calls.post("/plans/run", body=RunRequest, roles=WRITE_GIT, write=True)
def run_plan(ctx: Context, body: RunRequest) -> TaskIds:
    """Run a plan now: one backup task per protected repository."""
    ids = running.run_plan(ctx.runtime, ctx.session, plan_id=body.id, kind=body.kind)
    signals.wake(ctx)
    return TaskIds(task_ids=ids)


@calls.post("/plans/cancel", body=TaskIdRequest, roles=WRITE_GIT, write=True)
def cancel_plan(ctx: Context, body: TaskIdRequest) -> None:
    """Cancel every queued or running task of a plan."""
    signals.announce(ctx, running.cancel_plan(ctx.session, plan_id=body.id))
