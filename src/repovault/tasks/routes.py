"""`/tasks/*`, and the calls that create tasks: `/plans/run`, `/plans/cancel`,
`/git/repositories/restore`, `/git/repositories/verify`, and the snapshot listing."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from repovault.accounts.roles import READ_GIT, WRITE_GIT
from repovault.api.calls import Calls
from repovault.common.context import Context
from repovault.common.paging import MAX_PAGE, PageOf, PageRequest
from repovault.common.wire import Id, RequestModel, ResponseModel
from repovault.notifications import notify
from repovault.tasks import commands, service
from repovault.tasks.runs import RunSummary

calls = Calls("tasks")


class TaskIdRequest(RequestModel):
    id: Id


class RunRequest(RequestModel):
    id: Id
    kind: int | None = Field(default=None, ge=0, le=3)


class RestoreRequest(RequestModel):
    id: Id
    snapshot_id: Id | None = None
    target: dict[str, Any] = Field(max_length=20)
    # Restore the newest intact earlier snapshot when the newest one is damaged.
    allow_earlier: bool = False


class VerifyRequest(RequestModel):
    id: Id
    snapshot_id: Id | None = None


class SnapshotsRequest(RequestModel):
    id: Id
    limit: int = Field(default=25, ge=1, le=1000)
    page: int = Field(default=1, ge=1, le=MAX_PAGE)


class TaskIds(ResponseModel):
    task_ids: list[str]


class TaskIdResponse(ResponseModel):
    task_id: str


class TaskItem(ResponseModel):
    """A task as `/tasks/getmany` lists it (the service builds the same dict)."""

    id: str
    kind: str
    plan_id: str | None
    repository_id: str | None
    status: int
    progress: int
    attempt: int
    started_at: int
    finished_at: int
    error: str | None


class TaskLogLine(ResponseModel):
    time: int
    level: str
    message: str


class TaskDetail(TaskItem):
    """A task as `/tasks/get` answers it."""

    organization_id: str | None
    worker_id: str
    created_at: int
    progress_text: str
    result: dict[str, Any]
    logs: list[TaskLogLine]


class SnapshotOut(ResponseModel):
    id: str
    created_at: int
    kind: str
    size_bytes: int
    ref_count: int
    plan_id: str
    storage_id: str
    parent_id: str | None


def _wake(ctx: Context) -> None:
    ctx.after_commit.append(ctx.services.wake.set)


def _notify(ctx: Context, summaries: list[RunSummary]) -> None:
    """Runs that a cancel ended are announced once the cancel is committed."""
    services = ctx.services
    if summaries:
        ctx.after_commit.append(
            lambda: [notify(services.settings, services.http, s) for s in summaries]
        )


@calls.post(
    "/tasks/getmany",
    body=PageRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[TaskItem],
)
def getmany(ctx: Context, body: PageRequest) -> dict[str, Any]:
    """List tasks (newest first unless `orderby` says otherwise)."""
    if body.orderby is None:
        body = body.model_copy(
            update={"orderby": "createdAt", "ordertype": body.ordertype or "desc"}
        )
    page = service.list_tasks(ctx.session, body)
    return page.envelope([service.task_item(task) for (task,) in page.rows])


@calls.post("/tasks/get", body=TaskIdRequest, roles=READ_GIT, write=False, response=TaskDetail)
def get(ctx: Context, body: TaskIdRequest) -> dict[str, Any]:
    """One task with its log."""
    return service.task_detail(ctx.session, service.get_task(ctx.session, body.id))


@calls.post("/tasks/cancel", body=TaskIdRequest, roles=WRITE_GIT, write=True)
def cancel(ctx: Context, body: TaskIdRequest) -> None:
    """Cancel a task: at once when queued; a running one stops at its next heartbeat."""
    _notify(ctx, commands.cancel_task(ctx.session, task_id=body.id))


@calls.post("/plans/run", body=RunRequest, roles=WRITE_GIT, write=True)
def run_plan(ctx: Context, body: RunRequest) -> TaskIds:
    """Run a plan now: one backup task per protected repository."""
    ids = commands.run_plan(ctx.services, ctx.session, plan_id=body.id, kind=body.kind)
    _wake(ctx)
    return TaskIds(task_ids=ids)


@calls.post("/plans/cancel", body=TaskIdRequest, roles=WRITE_GIT, write=True)
def cancel_plan(ctx: Context, body: TaskIdRequest) -> None:
    """Cancel every queued or running task of a plan."""
    _notify(ctx, commands.cancel_plan(ctx.session, plan_id=body.id))


@calls.post("/git/repositories/restore", body=RestoreRequest, roles=WRITE_GIT, write=True)
def restore(ctx: Context, body: RestoreRequest) -> TaskIdResponse:
    """Restore a snapshot (the newest when none is named) to a folder or a git URL."""
    task_id = commands.restore(
        ctx.services,
        ctx.session,
        repository_id=body.id,
        snapshot_id=body.snapshot_id,
        target=body.target,
        allow_earlier=body.allow_earlier,
    )
    _wake(ctx)
    return TaskIdResponse(task_id=task_id)


@calls.post("/git/repositories/verify", body=VerifyRequest, roles=WRITE_GIT, write=True)
def verify(ctx: Context, body: VerifyRequest) -> TaskIdResponse:
    """Verify a repository's snapshots (or one) by rebuilding them with git."""
    task_id = commands.verify(ctx.session, repository_id=body.id, snapshot_id=body.snapshot_id)
    _wake(ctx)
    return TaskIdResponse(task_id=task_id)


@calls.post(
    "/git/repositories/snapshots",
    body=SnapshotsRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[SnapshotOut],
)
def snapshots(ctx: Context, body: SnapshotsRequest) -> dict[str, Any]:
    """The snapshots storage holds for a repository, newest first."""
    found = commands.snapshots(ctx.services, ctx.session, repository_id=body.id)
    start = (body.page - 1) * body.limit
    return {
        "currentPage": body.page,
        "pageCount": -(-len(found) // body.limit),
        "totalEntries": len(found),
        "result": found[start : start + body.limit],
    }
