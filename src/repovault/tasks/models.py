"""Task rows (the only authority on what runs), their log lines, and plan runs.

A `PlanRun` is one run of a plan for one due time; `(plan_id, due_at)` is unique, so two
server replicas that both find a plan due create one run between them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus, label_of
from repovault.common.ids import new_id
from repovault.db import Base

# The statuses (common.enums.TaskStatus) in which a task has ended for good.
FINISHED = (
    TaskStatus.SUCCEEDED,
    TaskStatus.WARNING,
    TaskStatus.FAILED,
    TaskStatus.CANCELED,
    TaskStatus.NOT_STARTED,
)
# Machine names (the `status` label of /metrics).
STATUS_NAMES: dict[int, str] = {
    TaskStatus.NEVER: "never",
    TaskStatus.SUCCEEDED: "succeeded",
    TaskStatus.WARNING: "warning",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELED: "canceled",
    TaskStatus.RUNNING: "running",
    TaskStatus.QUEUED: "queued",
    TaskStatus.NOT_STARTED: "not_started",
}


def status_label(status: int) -> str:
    """A status for people: "succeeded", "succeeded with warnings", "not started", ..."""
    return label_of(TaskStatus, status)


KINDS = (
    "backup",
    "restore",
    "export",
    "orgexport",
    "verify",
    "sync",
    "prune",
    "remove",
    "copy",
)
LEVELS = ("success", "info", "warning", "error")


class RepositoryVault(Base):
    """A plan has stored snapshots of a repository (in its vault `repositories/<repository
    id>/<plan id>/`): where restore, verify and the snapshot list look, whatever the task
    history still holds."""

    __tablename__ = "repository_vaults"

    repository_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True
    )
    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    last_success: Mapped[int] = mapped_column(BigInteger, default=0)
    # Unchanged without git (runner/unchanged.py): the platform's last-change time recorded
    # at the last good snapshot made with git, when that backup began, and how many runs
    # since confirmed the repository unchanged without starting git (0011).
    signal_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
    git_started_at: Mapped[int] = mapped_column(BigInteger, default=0)
    runs_without_git: Mapped[int] = mapped_column(Integer, default=0)


class PlanRun(Base):
    __tablename__ = "plan_runs"
    __table_args__ = (UniqueConstraint("plan_id", "due_at", name="uq_plan_runs_plan_due"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(String(36), ForeignKey("plans.id", ondelete="CASCADE"))
    due_at: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    finished_at: Mapped[int] = mapped_column(BigInteger, default=0)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_heartbeat", "status", "heartbeat_at"),
        Index("ix_tasks_plan_status", "plan_id", "status"),
        Index("ix_tasks_repository_created", "repository_id", "created_at"),
        Index("ix_tasks_run_status", "run_id", "status"),
        Index("ix_tasks_created", "created_at", "id"),
        Index("ix_tasks_batch_status", "batch_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer, default=TaskStatus.QUEUED)
    plan_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="SET NULL"), default=None
    )
    run_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("plan_runs.id", ondelete="SET NULL"), default=None
    )
    repository_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("repositories.id", ondelete="SET NULL"), default=None
    )
    organization_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="SET NULL"), default=None
    )
    # Tasks queued together by one call (an organization's restore) run at most
    # `batch_limit` at a time, as a plan's run at most its `maxConcurrentTasks`.
    batch_id: Mapped[str | None] = mapped_column(String(36), default=None)
    batch_limit: Mapped[int] = mapped_column(Integer, default=0)
    # The worker whose queue carries it; only that worker runs it.
    worker_id: Mapped[str] = mapped_column(String(36), ForeignKey("workers.id"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    retry_delay_ms: Mapped[int] = mapped_column(BigInteger, default=60_000)
    not_before: Mapped[int] = mapped_column(BigInteger, default=0)
    dispatched_at: Mapped[int] = mapped_column(BigInteger, default=0)
    claim: Mapped[str | None] = mapped_column(String(200), default=None)
    heartbeat_at: Mapped[int] = mapped_column(BigInteger, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    progress_text: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    started_at: Mapped[int] = mapped_column(BigInteger, default=0)
    finished_at: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # What the task moved (a backup's new snapshot) and how often it paused for rate limits.
    bytes_stored: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_transferred: Mapped[int] = mapped_column(BigInteger, default=0)
    pauses: Mapped[int] = mapped_column(Integer, default=0)
    # Read only, oldest first (written by tasks/service.add_log).
    logs: Mapped[list[TaskLog]] = relationship(order_by="TaskLog.id", viewonly=True)


class TaskLog(Base):
    __tablename__ = "task_logs"
    __table_args__ = (Index("ix_task_logs_task", "task_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(36), ForeignKey("tasks.id", ondelete="CASCADE"))
    time: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    level: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
