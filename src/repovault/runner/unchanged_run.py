"""The rest of a run confirmed at once: when a backup task of a plan run has read its
organization's listing (runner/unchanged.py), the run's other queued backup tasks on this
worker whose repositories the listing confirms unchanged end in one transaction, as their
own tasks would have ended (the same log lines, result and bookkeeping), with no claim,
heartbeat or dispatch each.

Only what a task of its own would have done without any work is done this way: a plan with
metadata (its pull requests are read per repository), custom actions, a repository with a
wiki, a task waiting for its backup window or asked to cancel keeps its own task. A task
taken meanwhile by a worker is left to it: the conditional UPDATE ends only rows still
queued, and a message for one that ended here finds it taken.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.plans import schedule
from repovault.plans.settings import PlanSettings
from repovault.repositories.models import Repository
from repovault.repositories.vaults import Target
from repovault.runner.execute import Job
from repovault.runner.unchanged import WITHOUT_GIT, confirmed
from repovault.tasks.models import RepositoryVault, Task, TaskLog

log = structlog.get_logger(__name__)

CHUNK = 500  # ids per statement (SQLite's bound parameters)
_done: set[str] = set()  # runs this process has confirmed already
_done_lock = threading.Lock()


def eligible(target: Target) -> bool:
    settings = PlanSettings.of(target.plan)
    actions = any(
        (settings.custom_actions.get(name) or {}).get("unix", {}).get("enabled")
        for name in ("preBackupAction", "postSnapshotAction", "postBackupAction")
    )
    return not target.plan.include_metadata and not actions


def confirm_run(job: Job, target: Target, times: dict[str, int | None]) -> int:
    """End the run's queued tasks whose repositories `times` (the listing) confirms
    unchanged; how many ended. Once per run and process."""
    run_id = job.task.run_id
    if run_id is None or not eligible(target):
        return 0
    with _done_lock:
        if run_id in _done:
            return 0
        _done.add(run_id)
    every = job.runtime.settings.unchanged_git_every
    zone = job.runtime.settings.zone
    now = now_ms()
    with job.runtime.db.session(write=True) as session:
        rows = _queued(session, job.task, now)
        chosen: dict[str, tuple[str, str]] = {}  # task id -> (repository id, reason)
        for task_id, repository_id, server_id, params, vault in rows:
            window = (params or {}).get("window")
            if not schedule.window_allows(window, datetime.now(UTC), zone):
                continue
            reason = confirmed(vault, times.get(server_id), every)
            if reason is not None:
                chosen[task_id] = (repository_id, reason)
        ended = _end(session, job.task, chosen, now)
    log.info("unchanged run confirmed", run_id=run_id, tasks=len(ended))
    return len(ended)


def _queued(session: Session, task: Task, now: int) -> list[Any]:
    vault = RepositoryVault
    stmt = (
        select(Task.id, Task.repository_id, Repository.server_id, Task.params, vault)
        .join(Repository, Repository.id == Task.repository_id)
        .join(
            vault,
            and_(vault.repository_id == Task.repository_id, vault.plan_id == Task.plan_id),
        )
        .where(
            Task.run_id == task.run_id,
            Task.kind == "backup",
            Task.status == TaskStatus.QUEUED,
            Task.worker_id == task.worker_id,
            Task.not_before <= now,
            ~Task.cancel_requested,
            Task.id != task.id,
            Repository.wiki_url.is_(None),
        )
    )
    return list(session.execute(stmt).all())


def _end(session: Session, task: Task, chosen: dict[str, tuple[str, str]], now: int) -> list[str]:
    token = f"unchanged:{task.id}"
    ids = list(chosen)
    for part in _chunks(ids):
        session.execute(
            update(Task)
            .where(Task.id.in_(part), Task.status == TaskStatus.QUEUED)
            .values(
                status=TaskStatus.SUCCEEDED,
                claim=token,
                attempt=Task.attempt + 1,
                started_at=now,
                heartbeat_at=now,
                finished_at=now,
                progress=100,
                result={WITHOUT_GIT: True, "snapshotId": None, "created": False},
            )
        )
    ended = [
        i
        for part in _chunks(ids)
        for i in session.scalars(select(Task.id).where(Task.id.in_(part), Task.claim == token))
    ]
    if not ended:
        return []
    lines = [
        row
        for task_id in ended
        for row in (
            {"task_id": task_id, "time": now, "level": "info", "message": chosen[task_id][1]},
            {"task_id": task_id, "time": now, "level": "success", "message": "finished"},
        )
    ]
    session.execute(insert(TaskLog), lines)
    repositories = [chosen[task_id][0] for task_id in ended]
    for part in _chunks(repositories):
        session.execute(
            update(Repository)
            .where(Repository.id.in_(part))
            .values(
                last_backup=now,
                last_backup_task_status=TaskStatus.SUCCEEDED,
                last_successful_backup=now,
            )
        )
        session.execute(
            update(RepositoryVault)
            .where(RepositoryVault.plan_id == task.plan_id, RepositoryVault.repository_id.in_(part))
            .values(last_success=now, runs_without_git=RepositoryVault.runs_without_git + 1)
        )
    return ended


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
