"""`/tasks/*`: the tasks the workers run, their logs, and canceling one."""

from __future__ import annotations

from repovault.accounts.roles import READ_GIT, WRITE_GIT
from repovault.api import signals
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.paging import PageOf, PageRequest
from repovault.plans import runs
from repovault.tasks import service
from repovault.tasks.schemas import TaskDetail, TaskIdRequest, TaskItem

calls = Calls("tasks")


@calls.post(
    "/tasks/getmany",
    body=PageRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[TaskItem],
)
def getmany(ctx: Context, body: PageRequest) -> PageOf[TaskItem]:
    """List tasks (newest first unless `orderby` says otherwise)."""
    if body.orderby is None:
        body = body.model_copy(
            update={"orderby": "createdAt", "ordertype": body.ordertype or "desc"}
        )
    page = service.list_tasks(ctx.session, body)
    return page.of(TaskItem)


@calls.post("/tasks/get", body=TaskIdRequest, roles=READ_GIT, write=False, response=TaskDetail)
def get(ctx: Context, body: TaskIdRequest) -> TaskDetail:
    """One task with its log."""
    return TaskDetail.model_validate(service.get_task(ctx.session, body.id))


@calls.post("/tasks/cancel", body=TaskIdRequest, roles=WRITE_GIT, write=True)
def cancel(ctx: Context, body: TaskIdRequest) -> None:
    """Cancel a task: at once when queued; a running one stops at its next heartbeat."""
    signals.announce(ctx, runs.cancel_task(ctx.session, task_id=body.id))
