"""Plan runs: one backup task per protected repository of the plan, and the run's end.

start_run: PlanRun row (unique per plan and due time) -> one queued backup task per
  repository the plan holds with an active licence -> plan isRunning
task_finished: the repository's lastBackup / lastSuccessfulBackup / lastBackupTaskStatus
  -> the run's last task? close it once: plan lastStatus counters, planFinishedTime,
     isRunning, notifications
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.common.errors import Conflict
from repovault.organizations.service import end_sync
from repovault.plans import membership
from repovault.plans.models import Plan, PlanRepository
from repovault.plans.settings import PlanSettings
from repovault.repositories.models import Repository
from repovault.tasks import service
from repovault.tasks.models import PlanRun, RepositoryVault, Task

log = structlog.get_logger(__name__)


@dataclass
class RunSummary:
    plan_id: str
    plan_name: str
    run_id: str
    kind: str
    succeeded: int
    warnings: int
    failed: int
    canceled: int
    started_at: int
    finished_at: int
    notification_settings: dict[str, Any]

    @property
    def outcome(self) -> str:
        if self.failed:
            return "failed"
        if self.warnings or self.canceled:
            return "finished with warnings"
        return "succeeded"


def start_run(
    session: Session, plan: Plan, *, due_at: int, kind: str, manual: bool, now: int
) -> tuple[PlanRun, list[Task]] | None:
    """Create the run and its tasks; None when this due time already has a run (another
    replica created it)."""
    run = PlanRun(plan_id=plan.id, due_at=due_at, kind=kind, manual=manual)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        log.info("plan run exists already", plan_id=plan.id, due_at=due_at)
        return None
    missed = session.scalars(
        select(Task).where(
            Task.plan_id == plan.id,
            Task.kind == "backup",
            Task.status == TaskStatus.QUEUED,
            Task.attempt == 0,
            Task.not_before > now,
        )
    ).all()
    for waiting in missed:  # still waiting for the window when the next run is due
        service.not_started(session, waiting.id, now=now, why="the backup window missed it")
    for run_id in {waiting.run_id for waiting in missed if waiting.run_id}:
        close_run(session, run_id, now=now)
    busy = set(
        session.scalars(
            select(Task.repository_id).where(
                Task.plan_id == plan.id,
                Task.kind == "backup",
                Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING)),
            )
        )
    )
    repository_ids = session.scalars(
        select(PlanRepository.repository_id)
        .join(Repository, Repository.id == PlanRepository.repository_id)
        .where(
            PlanRepository.plan_id == plan.id,
            Repository.licence_active,
            ~Repository.is_removed,
        )
        .order_by(Repository.name, Repository.id)
    ).all()
    window = PlanSettings.of(plan).backup_window

    def backup_task(repository_id: str | None = None, **params: Any) -> Task:
        return service.new_task(
            session,
            kind="backup",
            worker_id=plan.worker_id,
            plan=plan,
            run_id=run.id,
            repository_id=repository_id,
            organization_id=plan.organization_id,
            params={"kind": kind, "window": window, **params},
        )

    # A repository whose previous backup still runs or waits is left to it.
    tasks = [backup_task(rid) for rid in repository_ids if rid not in busy]
    tasks += [backup_task(wikiId=wiki.id) for wiki in membership.plan_wikis(session, plan)]
    skipped = len(repository_ids) - len([t for t in tasks if t.repository_id])
    if skipped:
        log.info("repositories still busy from an earlier run", plan_id=plan.id, skipped=skipped)
    if kind == "full":
        plan.last_full_run = due_at
    elif kind == "differential":
        plan.last_differential_run = due_at
    if tasks:
        plan.is_running = True
        session.execute(
            update(Repository)
            .where(Repository.id.in_([t.repository_id for t in tasks if t.repository_id]))
            .values(last_backup_task_status=TaskStatus.QUEUED)
        )
    else:
        run.finished_at = now
    log.info(
        "plan run created",
        plan_id=plan.id,
        run_id=run.id,
        kind=kind,
        tasks=len(tasks),
        manual=manual,
    )
    return run, tasks


def record_backup(session: Session, task: Task) -> None:
    """The repository's backup fields, from a finished backup task."""
    values: dict[str, Any] = {
        "last_backup": task.finished_at,
        "last_backup_task_status": task.status,
    }
    if task.status in (TaskStatus.SUCCEEDED, TaskStatus.WARNING):
        values["last_successful_backup"] = task.finished_at
        _remember_vault(session, task)
    session.execute(update(Repository).where(Repository.id == task.repository_id).values(values))


def _remember_vault(session: Session, task: Task) -> None:
    """This plan's vault holds the repository's snapshots (see RepositoryVault)."""
    if task.repository_id is None or task.plan_id is None:
        return
    vault = session.get(RepositoryVault, (task.repository_id, task.plan_id))
    if vault is None:
        vault = RepositoryVault(repository_id=task.repository_id, plan_id=task.plan_id)
        session.add(vault)
    vault.last_success = task.finished_at
    # What runner/unchanged.py decides on next time (its keys in the task's result).
    result = task.result or {}
    if result.get("gitStartedAt"):
        vault.git_started_at = int(result["gitStartedAt"])
        signal = result.get("platformChangedAt")
        vault.signal_at = int(signal) if isinstance(signal, int) else None
        vault.runs_without_git = 0
    elif result.get("unchangedWithoutGit"):
        vault.runs_without_git = (vault.runs_without_git or 0) + 1


def task_ended(session: Session, task: Task, *, now: int) -> RunSummary | None:
    """Bookkeeping of a task that ended for good, in the transaction that ended it: the
    repository's backup fields, the organization's sync flag, and its run when it was the
    run's last task (the summary to notify, then)."""
    if task.kind == "backup" and task.repository_id:
        record_backup(session, task)
    if task.kind == "sync" and task.organization_id:
        end_sync(session, task.organization_id)
    return close_run(session, task.run_id, now=now) if task.run_id else None


def close_run(session: Session, run_id: str, *, now: int) -> RunSummary | None:
    """Close the run if its last task has ended (exactly once, whoever gets here first)."""
    open_tasks = session.scalar(
        select(func.count()).where(
            Task.run_id == run_id, Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING))
        )
    )
    if open_tasks:
        return None
    closed = session.execute(
        update(PlanRun)
        .where(PlanRun.id == run_id, PlanRun.finished_at == 0)
        .values(finished_at=now)
    )
    if not closed.rowcount:  # type: ignore[attr-defined]
        return None
    run = session.get(PlanRun, run_id)
    assert run is not None
    plan = session.get(Plan, run.plan_id)
    if plan is None:
        return None
    counts = dict(
        session.execute(
            select(Task.status, func.count()).where(Task.run_id == run_id).group_by(Task.status)
        ).all()
    )
    plan.last_successes = counts.get(TaskStatus.SUCCEEDED, 0)
    plan.last_warnings = counts.get(TaskStatus.WARNING, 0)
    plan.last_errors = counts.get(TaskStatus.FAILED, 0) + counts.get(TaskStatus.NOT_STARTED, 0)
    plan.plan_finished_time = now
    plan.is_running = bool(
        session.scalar(
            select(func.count()).where(
                Task.plan_id == plan.id, Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING))
            )
        )
    )
    started = session.scalar(select(func.min(Task.started_at)).where(Task.run_id == run_id))
    summary = RunSummary(
        plan_id=plan.id,
        plan_name=plan.name,
        run_id=run_id,
        kind=run.kind,
        succeeded=plan.last_successes,
        warnings=plan.last_warnings,
        failed=plan.last_errors,
        canceled=counts.get(TaskStatus.CANCELED, 0),
        started_at=started or run.created_at,
        finished_at=now,
        notification_settings=PlanSettings.of(plan).notifications,
    )
    log.info(
        "plan run finished",
        plan_id=plan.id,
        run_id=run_id,
        succeeded=summary.succeeded,
        warnings=summary.warnings,
        failed=summary.failed,
        canceled=summary.canceled,
    )
    return summary


def cancel(session: Session, task_ids: list[str]) -> list[RunSummary]:
    """Cancel; the tasks that ended here (queued ones) are booked like any ended task."""
    now = now_ms()
    canceled, _running = service.request_cancel(session, task_ids, now=now)
    summaries = []
    for task in session.scalars(select(Task).where(Task.id.in_(canceled))):
        summary = task_ended(session, task, now=now)
        if summary is not None:
            summaries.append(summary)
    return summaries


def cancel_task(session: Session, *, task_id: str) -> list[RunSummary]:
    task = service.get_task(session, task_id)
    if service.is_finished(task.status):
        raise Conflict(codes.TASK_FINISHED, f"task {task.id} has already ended")
    return cancel(session, [task.id])
