"""Plans, their explicit selections and their resolved membership.

`PlanItem` holds what the user chose (selected or excluded repositories, projects, wikis).
`PlanRepository` is the resolved set of repositories the plan backs up, recomputed by
`plans.membership` whenever the plan or its organization's repositories change, so counts and
the worker's list are one indexed query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repovault.common.clock import now_ms
from repovault.common.enums import ChoiceMode
from repovault.common.ids import new_id
from repovault.db import Base

ITEM_REPOSITORY = "repository"
ITEM_EXCLUDED_REPOSITORY = "excluded"
ITEM_PROJECT = "project"
ITEM_WIKI = "wiki"


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_org_name", "organization_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(400))
    type: Mapped[int] = mapped_column(Integer, default=1)
    backup_type: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    include_metadata: Mapped[bool] = mapped_column(Boolean, default=True)
    git_choice_mode: Mapped[int] = mapped_column(Integer, default=ChoiceMode.INDIVIDUAL)
    use_extra_credentials: Mapped[bool] = mapped_column(Boolean, default=False)
    ignore_corrupted_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    storage_id: Mapped[str] = mapped_column(String(36), ForeignKey("storages.id"), index=True)
    worker_id: Mapped[str] = mapped_column(String(36), ForeignKey("workers.id"))
    # The rest of the DTO (schedule, retention, compression, actions, options, rules, ...).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    encryption_algorithm: Mapped[int | None] = mapped_column(Integer, default=None)
    encryption_password_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    last_successes: Mapped[int] = mapped_column(Integer, default=0)
    last_warnings: Mapped[int] = mapped_column(Integer, default=0)
    last_errors: Mapped[int] = mapped_column(Integer, default=0)
    plan_finished_time: Mapped[int] = mapped_column(BigInteger, default=0)
    is_running: Mapped[bool] = mapped_column(Boolean, default=False)
    # Scheduling: the next due time (0: none), the time the schedule was set (weekly
    # intervals and "once" count from it), and the last full/differential runs (GFS).
    next_run_at: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    schedule_anchor: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    last_full_run: Mapped[int] = mapped_column(BigInteger, default=0)
    last_differential_run: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class PlanItem(Base):
    __tablename__ = "plan_items"
    __table_args__ = (Index("ix_plan_items_item", "item_id"),)

    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PlanRepository(Base):
    __tablename__ = "plan_repositories"
    __table_args__ = (Index("ix_plan_repositories_repository", "repository_id"),)

    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    repository_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True
    )
