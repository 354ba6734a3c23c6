"""The reconciler: the database says what should run; the broker is only told.

    running tasks whose heartbeat went stale (their worker died) -> queued again after the
      plan's retry delay, or failed when the attempts are used up
    queued, due tasks that no message carries (never sent, sent before this in-process
      broker started, or sent long ago) -> sent to their worker's queue, at most
      `maxConcurrentTasks` per plan at a time (and `batch_limit` per batch of tasks)

Every change is a conditional UPDATE, so reconcilers on several replicas agree.
"""

from __future__ import annotations

import socket
from collections import Counter
from typing import Any

import structlog
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from repovault.backends.local import process_alive
from repovault.common.enums import TaskStatus
from repovault.plans.models import Plan
from repovault.tasks import service
from repovault.tasks.models import FINISHED, PlanRun, Task

log = structlog.get_logger(__name__)

# A message sent to a broker that keeps it (RabbitMQ, Redis) is sent again only after this
# long, in case it was lost; duplicates are harmless (the claim decides), but pile up.
RESEND_AFTER_MS = 10 * 60_000
BATCH = 500


def _dead_here(claim: str | None) -> bool:
    """The claim was taken by a process of this host that no longer runs (a restart)."""
    host, _, rest = (claim or "").partition("@")[2].partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not process_alive(int(pid))


def reclaim_stale(session: Session, *, now: int, stale_ms: int) -> list[Task]:
    """Take back running tasks whose worker stopped beating, or whose process on this host
    is gone; the tasks that ended for good (failed or canceled: their runs may close)."""
    running = session.scalars(
        select(Task).where(Task.status == TaskStatus.RUNNING).limit(BATCH * 4)
    ).all()
    stale = [t for t in running if t.heartbeat_at < now - stale_ms or _dead_here(t.claim)]
    ended = []
    for task in stale:
        silent = (now - task.heartbeat_at) // 1000
        why = (
            f"its worker process is gone ({task.claim})"
            if _dead_here(task.claim)
            else f"its worker stopped responding (no heartbeat for {silent} s)"
        )
        outcome = service.requeue(session, task, claim_token=task.claim, now=now, why=why)
        log.warning("stale task reclaimed", task_id=task.id, outcome=outcome, attempt=task.attempt)
        if outcome == "failed":
            session.refresh(task)
            ended.append(task)
    return ended


def _busy(session: Session, column: Any, ids: set[str], resend_before: int) -> Counter[str]:
    """Per plan (or batch): its tasks running, or sent and not yet claimed (both hold one of
    its slots)."""
    busy: Counter[str] = Counter()
    if not ids:
        return busy
    for group, count in session.execute(
        select(column, func.count())
        .where(
            column.in_(ids),
            or_(
                Task.status == TaskStatus.RUNNING,
                (Task.status == TaskStatus.QUEUED) & (Task.dispatched_at >= resend_before),
            ),
        )
        .group_by(column)
    ).all():
        if group is not None:
            busy[group] = count
    return busy


def _takes_slot(busy: Counter[str], limits: dict[str, int], group: str | None) -> bool:
    """Whether the group has a slot left (taking it), or has no limit."""
    if group is None or group not in limits:
        return True
    if busy[group] >= limits[group]:
        return False
    busy[group] += 1
    return True


def ready(session: Session, *, now: int, resend_before: int) -> list[tuple[str, str]]:
    """Mark the queued tasks to send now, as (task id, worker id), and return them: at most
    each plan's `maxConcurrentTasks` and each batch's `batch_limit` at a time."""
    candidates = session.execute(
        select(Task.id, Task.worker_id, Task.plan_id, Task.batch_id, Task.batch_limit)
        .where(
            Task.status == TaskStatus.QUEUED,
            Task.not_before <= now,
            or_(Task.dispatched_at == 0, Task.dispatched_at < resend_before),
        )
        .order_by(Task.created_at, Task.id)
        .limit(BATCH)
    ).all()
    if not candidates:
        return []
    plan_ids = {row.plan_id for row in candidates if row.plan_id}
    plan_busy = _busy(session, Task.plan_id, plan_ids, resend_before)
    plan_limits = {
        plan.id: service.plan_policy(plan).concurrency
        for plan in (session.scalars(select(Plan).where(Plan.id.in_(plan_ids))) if plan_ids else ())
    }
    batch_limits = {
        row.batch_id: row.batch_limit for row in candidates if row.batch_id and row.batch_limit
    }
    batch_busy = _busy(session, Task.batch_id, set(batch_limits), resend_before)
    chosen = []
    for row in candidates:
        if not _takes_slot(plan_busy, plan_limits, row.plan_id):
            continue
        if not _takes_slot(batch_busy, batch_limits, row.batch_id):
            if row.plan_id in plan_limits:
                plan_busy[row.plan_id] -= 1  # the plan's slot it took is not used
            continue
        chosen.append((row.id, row.worker_id))
    if chosen:
        session.execute(
            update(Task)
            .where(
                Task.id.in_([task_id for task_id, _ in chosen]), Task.status == TaskStatus.QUEUED
            )
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )
    return chosen


def next_wakeup(session: Session) -> int | None:
    """The soonest time something becomes due: a waiting retry or a plan's next run."""
    retry = session.scalar(
        select(func.min(Task.not_before)).where(
            Task.status == TaskStatus.QUEUED, Task.dispatched_at == 0
        )
    )
    plan = session.scalar(
        select(func.min(Plan.next_run_at)).where(Plan.is_active, Plan.next_run_at > 0)
    )
    times = [t for t in (retry, plan) if t]
    return min(times) if times else None


def forget_old(session: Session, *, now: int, keep_days: int) -> int:
    """Delete finished tasks (their logs go with them) and finished plan runs older than the
    history kept; a batch at a time. What backups stored is recorded in `repository_vaults`,
    so nothing a restore needs is lost."""
    if keep_days <= 0:
        return 0
    before = now - keep_days * 86_400_000
    old = session.scalars(
        select(Task.id)
        .where(Task.status.in_(FINISHED), Task.finished_at > 0, Task.finished_at < before)
        .limit(BATCH * 2)
    ).all()
    if old:
        session.execute(delete(Task).where(Task.id.in_(old)))
    session.execute(
        delete(PlanRun).where(
            PlanRun.finished_at > 0,
            PlanRun.finished_at < before,
            ~select(Task.id).where(Task.run_id == PlanRun.id).exists(),
        )
    )
    return len(old)
