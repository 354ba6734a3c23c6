"""Request and response bodies of the task calls, and the task ids other calls answer."""

from __future__ import annotations

from typing import Any

from repovault.common.wire import Id, RequestModel, ResponseModel


class TaskIdRequest(RequestModel):
    id: Id


class TaskIds(ResponseModel):
    task_ids: list[str]


class TaskIdResponse(ResponseModel):
    task_id: str


class TaskItem(ResponseModel):
    """A task as `/tasks/getmany` lists it (read from the task row)."""

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
    """A task as `/tasks/get` answers it (read from the task row and its log lines)."""

    organization_id: str | None
    worker_id: str
    created_at: int
    progress_text: str
    result: dict[str, Any]
    logs: list[TaskLogLine]
