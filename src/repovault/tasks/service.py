"""Task rows: creating, claiming, heartbeats, finishing, canceling, listing.

Every change of a task's state is one conditional UPDATE keyed on what the writer believes
the row holds (its status, or the claim it took), so duplicate messages, a reconciler on
another replica and a late worker can never move a task twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.enums import TaskStatus
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.organizations.models import Organization
from repovault.plans.models import Plan
from repovault.plans.settings import PlanSettings, RetryPolicy
from repovault.runtime import Runtime
from repovault.tasks.models import FINISHED, Task, TaskLog

log = structlog.get_logger(__name__)

MAX_LOG_MESSAGE = 4000


def plan_policy(plan: Plan | None) -> RetryPolicy:
    """The plan's retry and concurrency settings (the conventions' defaults without one)."""
    return PlanSettings.of(plan).retry


def new_task(
    session: Session,
    *,
    kind: str,
    worker_id: str,
    plan: Plan | None = None,
    run_id: str | None = None,
    repository_id: str | None = None,
    organization_id: str | None = None,
    params: dict[str, Any] | None = None,
    not_before: int = 0,
    batch: tuple[str, int] | None = None,
) -> Task:
    """A queued task; `batch` (id, limit): one of a set that runs at most `limit` at once."""
    policy = plan_policy(plan)
    task = Task(
        kind=kind,
        worker_id=worker_id,
        plan_id=plan.id if plan else None,
        run_id=run_id,
        repository_id=repository_id,
        organization_id=organization_id,
        params=params or {},
        max_attempts=1 + policy.retries,
        retry_delay_ms=policy.delay_ms,
        not_before=not_before,
        batch_id=batch[0] if batch else None,
        batch_limit=batch[1] if batch else 0,
    )
    session.add(task)
    session.flush()
    add_log(session, task.id, "info", f"{kind} task queued")
    return task


def add_log(
    session: Session, task_id: str, level: str, message: str, *, at: int | None = None
) -> None:
    line = TaskLog(task_id=task_id, level=level, message=message[:MAX_LOG_MESSAGE])
    if at is not None:
        line.time = at
    session.add(line)


def get_task(session: Session, task_id: Any) -> Task:
    return get_by_id(session, Task, task_id, code=codes.TASK_NOT_FOUND, what="task")


# ---- the worker's side -------------------------------------------------------------------


def running_count(session: Session, plan_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(Task.plan_id == plan_id, Task.status == TaskStatus.RUNNING)
        )
        or 0
    )


def _full(session: Session, task: Task, concurrency: int) -> bool:
    """The task's plan, or its batch, already runs as many tasks as it may."""
    if task.plan_id and running_count(session, task.plan_id) >= concurrency:
        return True
    if task.batch_id and task.batch_limit > 0:
        running = session.scalar(
            select(func.count()).where(
                Task.batch_id == task.batch_id, Task.status == TaskStatus.RUNNING
            )
        )
        return (running or 0) >= task.batch_limit
    return False


def claim(session: Session, task_id: str, token: str, *, now: int, concurrency: int) -> bool:
    """Take a queued, due task for this worker run. False: someone else has it, it is not
    due, it was canceled, or its plan already runs `concurrency` tasks (its batch its
    `batch_limit`)."""
    task = session.get(Task, task_id)
    if task is None or task.status != TaskStatus.QUEUED or task.not_before > now:
        return False
    if _full(session, task, concurrency):
        # Left queued and undispatched: a finishing task of the plan (batch) dispatches it.
        session.execute(
            update(Task)
            .where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
            .values(dispatched_at=0)
        )
        return False
    taken = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.QUEUED, Task.attempt == task.attempt)
        .values(
            status=TaskStatus.RUNNING,
            claim=token,
            attempt=Task.attempt + 1,
            heartbeat_at=now,
            started_at=now,
            finished_at=0,
            error=None,
        )
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def defer(session: Session, task_id: str, *, until: int) -> None:
    """Leave a queued task waiting until `until` (its backup window opens)."""
    moved = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.QUEUED, Task.not_before < until)
        .values(not_before=until, dispatched_at=0)
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        add_log(session, task_id, "info", "waiting for the plan's backup window to open")


def not_started(session: Session, task_id: str, *, now: int, why: str) -> bool:
    """A queued task that will not start (its window never opened in time)."""
    moved = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
        .values(status=TaskStatus.NOT_STARTED, finished_at=now, error=why)
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        add_log(session, task_id, "error", f"not started: {why}")
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def beat(
    session: Session, task_id: str, token: str, *, now: int, progress: int, text: str
) -> tuple[bool, bool]:
    """Record a heartbeat; (still ours, cancel requested)."""
    done = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.claim == token, Task.status == TaskStatus.RUNNING)
        .values(heartbeat_at=now, progress=progress, progress_text=text[:400])
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False, True
    requested = session.scalar(select(Task.cancel_requested).where(Task.id == task_id))
    return True, bool(requested)


def finish(
    session: Session,
    task_id: str,
    token: str,
    *,
    status: int,
    error: str | None,
    result: dict[str, Any] | None = None,
    now: int,
    moved: tuple[int, int, int] = (0, 0, 0),
) -> bool:
    """End a running task this claim holds; `moved` is (bytes stored, bytes transferred,
    rate-limit pauses)."""
    done = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.claim == token, Task.status == TaskStatus.RUNNING)
        .values(
            status=status,
            error=error,
            finished_at=now,
            heartbeat_at=now,
            progress=100 if status != TaskStatus.CANCELED else Task.progress,
            result=result or {},
            bytes_stored=moved[0],
            bytes_transferred=moved[1],
            pauses=moved[2],
        )
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def requeue(session: Session, task: Task, *, claim_token: str | None, now: int, why: str) -> str:
    """After a failed attempt: back to queued after the plan's retry delay, or failed when
    the attempts are used up (canceled when a cancel was asked for). Returns "retried",
    "failed", or "lost" when the claim was no longer `claim_token`'s."""
    retry = task.attempt < task.max_attempts and not task.cancel_requested
    values: dict[str, Any] = (
        {"status": TaskStatus.QUEUED, "not_before": now + task.retry_delay_ms, "dispatched_at": 0}
        if retry
        else {
            "status": TaskStatus.CANCELED if task.cancel_requested else TaskStatus.FAILED,
            "finished_at": now,
        }
    )
    moved = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == TaskStatus.RUNNING, Task.claim == claim_token)
        .values(claim=None, error=why, **values)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return "lost"
    if retry:
        add_log(
            session,
            task.id,
            "warning",
            f"attempt {task.attempt} of {task.max_attempts} failed: {why}; "
            f"retrying in {task.retry_delay_ms // 1000} s",
        )
        return "retried"
    add_log(session, task.id, "error", f"failed after {task.attempt} attempt(s): {why}")
    return "failed"


# ---- the API's side ----------------------------------------------------------------------


def request_cancel(
    session: Session, task_ids: Iterable[str], *, now: int
) -> tuple[list[str], list[str]]:
    """Queued tasks are canceled at once; running ones are asked to stop (their worker
    kills its git processes at its next heartbeat). Returns (canceled, still running)."""
    ids = list(task_ids)
    if not ids:
        return [], []
    queued = session.scalars(
        select(Task.id).where(Task.id.in_(ids), Task.status == TaskStatus.QUEUED)
    ).all()
    if queued:
        session.execute(
            update(Task)
            .where(Task.id.in_(queued), Task.status == TaskStatus.QUEUED)
            .values(status=TaskStatus.CANCELED, finished_at=now, cancel_requested=True)
        )
        for task_id in queued:
            add_log(session, task_id, "warning", "canceled before it started")
    running = session.scalars(
        select(Task.id).where(Task.id.in_(ids), Task.status == TaskStatus.RUNNING)
    ).all()
    if running:
        session.execute(update(Task).where(Task.id.in_(running)).values(cancel_requested=True))
        for task_id in running:
            add_log(session, task_id, "warning", "cancel requested")
    return list(queued), list(running)


def open_task_ids(session: Session, *, plan_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Task.id).where(
                Task.plan_id == plan_id, Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING))
            )
        )
    )


TASK_FIELDS = {
    "id": Column(Task.id, "id"),
    "kind": Column(Task.kind, "str"),
    "planid": Column(Task.plan_id, "id"),
    "repositoryid": Column(Task.repository_id, "id"),
    "status": Column(Task.status, "int"),
    "progress": Column(Task.progress, "int"),
    "attempt": Column(Task.attempt, "int"),
    "startedat": Column(Task.started_at, "int"),
    "finishedat": Column(Task.finished_at, "int"),
    "createdat": Column(Task.created_at, "int"),
    "error": Column(Task.error, "str"),
}


def list_tasks(session: Session, request: PageRequest) -> Page:
    return fetch(session, select(Task), request, TASK_FIELDS, Task.id)


def is_finished(status: int) -> bool:
    return status in FINISHED


def queue_sync(
    session: Session, organization_id: str, *, fallback_worker: str | None
) -> Task | None:
    """A sync task for an organization the caller marked as synchronizing, on the
    organization's default worker (else `fallback_worker`)."""
    org = session.get(Organization, organization_id)
    if org is None:
        return None
    worker_id = org.default_worker_id or fallback_worker
    if worker_id is None:
        return None
    return new_task(session, kind="sync", worker_id=worker_id, organization_id=organization_id)


def queue_removal(
    session: Session, *, repository_ids: list[str], wiki_ids: list[str], worker_id: str
) -> Task:
    """A `remove` task: the backup data of repositories (and wikis) whose rows are being
    removed, deleted from every storage by a worker (`runner/remove.py`)."""
    return new_task(
        session,
        kind="remove",
        worker_id=worker_id,
        params={"repositoryIds": repository_ids, "wikiIds": wiki_ids},
    )


def wait_for(runtime: Runtime, task_ids: list[str], timeout: float) -> list[Task]:
    """Block until the tasks have ended (for the CLI and tests); their final rows."""
    deadline = time.monotonic() + timeout
    while True:
        with runtime.db.session() as session:
            rows = session.scalars(select(Task).where(Task.id.in_(task_ids))).all()
            if all(row.status not in (TaskStatus.QUEUED, TaskStatus.RUNNING) for row in rows):
                return list(rows)
        if time.monotonic() > deadline:
            raise TimeoutError(f"tasks still open after {timeout} s")
        time.sleep(0.1)
