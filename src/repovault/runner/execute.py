"""Running one task on this worker: claim, heartbeat, run, finish.

    message (task id) -> claim the row (conditional UPDATE; a duplicate or late message
      does nothing) -> heartbeat thread (progress, cancel requests, backup window)
      -> the kind's job (runner/jobs.py) inside a cancel scope -> finish the row
      -> a plan run whose last task ended is closed (plan counters, notifications)

A failure is retried under the plan's retry policy (`maxTaskRetriesCount`,
`taskRetriesFrequency`) unless `tasks.errors.is_permanent` says a retry cannot fix it (then
the task fails on that attempt); a cancel kills the task's git processes at the next
heartbeat.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.engine import git as g
from repovault.plans import schedule
from repovault.plans.models import Plan
from repovault.runner.errors import is_permanent
from repovault.runtime import Runtime
from repovault.tasks import service
from repovault.tasks.models import Task

log = structlog.get_logger(__name__)


class JobFailed(Exception):
    """A job's own verdict: failed, with `permanent` when a retry cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Job:
    """What a job gets: the task (a detached copy), the runtime, and its reporting."""

    runtime: Runtime
    task: Task
    scope: g.CancelScope
    warnings: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    progress: int = 0
    progress_text: str = ""
    bytes_stored: int = 0
    bytes_transferred: int = 0
    pauses: int = 0
    # Lines not yet in the database: written with the next heartbeat or the task's end.
    _pending: list[tuple[int, str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def log(self, level: str, message: str) -> None:
        if level == "warning":
            self.warnings.append(message)
        with self._lock:
            self._pending.append((now_ms(), level, message))
        getattr(log, "error" if level == "error" else "info")(
            "task log", task_id=self.task.id, level=level, message=message
        )

    def flush(self, session: Session) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for at, level, message in pending:
            service.add_log(session, self.task.id, level, message, at=at)

    def report(self, percent: int, text: str) -> None:
        self.progress, self.progress_text = max(0, min(percent, 100)), text


JobFunction = Callable[[Job], None]


@dataclass(frozen=True)
class Completion:
    """What happens when a task has ended for good: `record` in the transaction that ends
    it (repository fields, the plan run), `after` once committed (notifications, dispatch)."""

    record: Callable[[Session, Task], object]
    after: Callable[[Task, object], None]


class Heartbeat(threading.Thread):
    """Keeps the claim alive and stops the job when asked to (cancel, lost claim, window)."""

    def __init__(
        self,
        job: Job,
        token: str,
        interval: float,
        guard: Callable[[Job], str | None] | None,
    ) -> None:
        super().__init__(name=f"heartbeat-{job.task.id}", daemon=True)
        self.job, self.token, self.interval, self.guard = job, token, interval, guard
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                with self.job.runtime.db.session(write=True) as session:
                    ours, cancel = service.beat(
                        session,
                        self.job.task.id,
                        self.token,
                        now=now_ms(),
                        progress=self.job.progress,
                        text=self.job.progress_text,
                    )
                    self.job.flush(session)
            except Exception as exc:
                log.warning("heartbeat failed", task_id=self.job.task.id, error=str(exc))
                continue
            if not ours:
                self.job.scope.cancel("the task was taken over (its heartbeat had gone stale)")
            elif cancel:
                self.job.scope.cancel("canceled on request")
            elif self.guard is not None and (reason := self.guard(self.job)):
                self.job.scope.cancel(reason)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def window_open(runtime: Runtime, task: Task, completion: Completion) -> bool:
    """A backup outside its plan's backup window waits (queued) for the window to open; if
    the window never opens it is not started (status 7)."""
    window = task.params.get("window") if task.kind == "backup" else None
    now = datetime.now(UTC)
    zone = runtime.settings.zone
    if window is None or schedule.window_allows(window, now, zone):
        return True
    opening = schedule.next_window_opening(window, now, zone)
    recorded: object = None
    ended = False
    with runtime.db.session(write=True) as session:
        if opening is not None:
            service.defer(session, task.id, until=int(opening.timestamp() * 1000))
        elif service.not_started(session, task.id, now=now_ms(), why="the backup window is closed"):
            row = session.get(Task, task.id)
            assert row is not None
            recorded, ended = completion.record(session, row), True
            session.expunge(row)
    if ended:
        completion.after(task, recorded)
    runtime.wake.set()
    return False


def claim_token(worker_name: str) -> str:
    return f"{worker_name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def execute(
    runtime: Runtime,
    task_id: str,
    *,
    worker_name: str,
    jobs: Mapping[str, JobFunction],
    guards: Mapping[str, Callable[[Job], str | None]],
    completion: Completion,
) -> None:
    """Run one task if this worker can claim it; never raises."""
    with structlog.contextvars.bound_contextvars(task_id=task_id, worker=worker_name):
        claimed = _claim(runtime, task_id, worker_name, completion)
        if claimed is None:
            return
        task, token = claimed
        job = Job(runtime=runtime, task=task, scope=g.CancelScope())
        status, error, permanent = _run(job, token, jobs, guards)
        _finish(runtime, job, token, status, error, permanent, completion)


def _claim(
    runtime: Runtime, task_id: str, worker_name: str, completion: Completion
) -> tuple[Task, str] | None:
    """The task (detached) and this run's claim token, or None when it is not ours to run."""
    token = claim_token(worker_name)
    try:
        with runtime.db.session() as session:
            task = session.get(Task, task_id)
        if task is None or task.status != TaskStatus.QUEUED:
            log.info("task not claimed: it is not queued", task_id=task_id)
            return None
        if not window_open(runtime, task, completion):
            return None
        with runtime.db.session(write=True) as session:
            plan = session.get(Plan, task.plan_id) if task.plan_id else None
            concurrency = service.plan_policy(plan).concurrency
            if not service.claim(session, task_id, token, now=now_ms(), concurrency=concurrency):
                log.info("task not claimed", task_id=task_id)
                return None
            task = session.get(Task, task_id)
            assert task is not None
            session.expunge(task)
            service.add_log(
                session, task_id, "info", f"attempt {task.attempt} started on {worker_name}"
            )
    except Exception as exc:
        log.error("claiming a task failed", task_id=task_id, error=str(exc))
        return None
    return task, token


def _run(
    job: Job,
    token: str,
    jobs: Mapping[str, JobFunction],
    guards: Mapping[str, Callable[[Job], str | None]],
) -> tuple[int, str | None, bool]:
    """Run the kind's job under a heartbeat; (status, error, permanent)."""
    task = job.task
    heartbeat = Heartbeat(
        job, token, job.runtime.settings.task_heartbeat_seconds, guards.get(task.kind)
    )
    heartbeat.start()
    try:
        with g.cancellable(job.scope):
            jobs[task.kind](job)
            job.scope.check()
    except Exception as exc:
        if job.scope.cancelled:
            return TaskStatus.CANCELED, job.scope.reason, False
        error = str(exc) or type(exc).__name__
        permanent = is_permanent(exc)
        log.error("task failed", task_id=task.id, kind=task.kind, error=error, permanent=permanent)
        return TaskStatus.FAILED, error, permanent
    finally:
        heartbeat.stop()
    return TaskStatus.SUCCEEDED, None, False


def _finish(
    runtime: Runtime,
    job: Job,
    token: str,
    status: int,
    error: str | None,
    permanent: bool,
    completion: Completion,
) -> None:
    task_id = job.task.id
    now = now_ms()
    if status == TaskStatus.SUCCEEDED and job.warnings:
        status = TaskStatus.WARNING
    unfixable = status == TaskStatus.FAILED and permanent  # said so in the closing line
    if status == TaskStatus.CANCELED and job.scope.reason and "window" in job.scope.reason:
        status = TaskStatus.FAILED  # the backup window closed: failed, resumable by the next run
        permanent = True
    recorded: object = None
    with runtime.db.session(write=True) as session:
        task = session.get(Task, task_id)
        if task is None:
            return
        job.flush(session)
        if status == TaskStatus.FAILED and not permanent:
            outcome = service.requeue(session, task, claim_token=token, now=now, why=error or "")
        elif service.finish(
            session,
            task_id,
            token,
            status=status,
            error=error,
            result=job.result,
            now=now,
            moved=(job.bytes_stored, job.bytes_transferred, job.pauses),
        ):
            outcome = "finished"
            service.add_log(
                session, task_id, *_closing_line(status, error, len(job.warnings), unfixable)
            )
        else:
            outcome = "lost"
        if outcome == "lost":
            log.warning("task ended after losing its claim", task_id=task_id)
        if outcome == "finished" or outcome == "failed":
            session.refresh(task)
            recorded = completion.record(session, task)
            session.expunge(task)
    if outcome == "retried":
        runtime.wake.set()  # committed: the task loop plans its next pass around it
    if outcome in ("finished", "failed"):
        completion.after(task, recorded)


def _closing_line(
    status: int, error: str | None, warnings: int, permanent: bool = False
) -> tuple[str, str]:
    if status == TaskStatus.SUCCEEDED:
        return "success", "finished"
    if status == TaskStatus.WARNING:
        return "warning", f"finished with {warnings} warning(s)"
    if status == TaskStatus.CANCELED:
        return "warning", f"canceled: {error}"
    if permanent:
        return "error", f"failed (a retry cannot fix this): {error}"
    return "error", f"failed: {error}"
