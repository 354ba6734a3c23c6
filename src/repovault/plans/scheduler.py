"""The scheduler: plans whose next run is due become plan runs, once per due time.

Each active plan keeps its next due time in `plans.next_run_at` (an index finds the due ones).
A replica that finds a plan due moves `next_run_at` forward with a conditional UPDATE on the
old value, and only the replica whose UPDATE matched creates the run; `(plan_id, due_at)` is
also unique in `plan_runs`. A server that was down through several due times runs the plan
once when it comes back, not once per missed time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from repovault.plans import runs, schedule
from repovault.plans.models import Plan, PlanRepository
from repovault.plans.settings import PlanSettings
from repovault.repositories.models import Repository
from repovault.tasks.models import PlanRun, Task

log = structlog.get_logger(__name__)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def next_due(plan: Plan, *, after: int, zone: ZoneInfo) -> schedule.Due | None:
    return schedule.next_due(
        PlanSettings.of(plan).schedule,
        after=_at(after),
        anchor=_at(plan.schedule_anchor),
        zone=zone,
    )


def reschedule(session: Session, plan: Plan, *, now: int, zone: ZoneInfo, reanchor: bool) -> None:
    """Recompute the plan's next run (after it was created or changed) and show it as the
    `nextBackup` of its repositories."""
    if reanchor:
        plan.schedule_anchor = now
    due = next_due(plan, after=now, zone=zone) if plan.is_active else None
    plan.next_run_at = _ms(due.at) if due else 0
    session.flush()
    _show_next(session, plan)


def _show_next(session: Session, plan: Plan) -> None:
    """Each repository of the plan shows the soonest next run of the active plans holding it
    (0 when none has one): another plan's schedule is never overwritten by this one's."""
    members = select(PlanRepository.repository_id).where(PlanRepository.plan_id == plan.id)
    soonest = (
        select(func.min(Plan.next_run_at))
        .join(PlanRepository, PlanRepository.plan_id == Plan.id)
        .where(
            PlanRepository.repository_id == Repository.id,
            Plan.is_active,
            Plan.next_run_at > 0,
        )
        .scalar_subquery()
    )
    session.execute(
        update(Repository)
        .where(Repository.id.in_(members))
        .values(next_backup=func.coalesce(soonest, 0))
        .execution_options(synchronize_session=False)
    )


def run_kind(plan: Plan, option_kind: str | None, *, at: int, zone: ZoneInfo) -> str:
    return schedule.scheme_kind(
        PlanSettings.of(plan).scheme,
        option_kind,
        at=_at(at),
        zone=zone,
        last_full=plan.last_full_run,
        last_differential=plan.last_differential_run,
    )


def start_due(session: Session, *, now: int, zone: ZoneInfo) -> list[tuple[PlanRun, list[Task]]]:
    """Create the runs of every active plan that is due; the runs this call created."""
    started = []
    due_plans = session.scalars(
        select(Plan).where(Plan.is_active, Plan.next_run_at > 0, Plan.next_run_at <= now)
    ).all()
    for plan in due_plans:
        due_at = plan.next_run_at
        this = next_due(plan, after=due_at - 1, zone=zone)
        following = next_due(plan, after=max(due_at, now), zone=zone)
        moved = session.execute(
            update(Plan)
            .where(Plan.id == plan.id, Plan.next_run_at == due_at)
            .values(next_run_at=_ms(following.at) if following else 0)
            .execution_options(synchronize_session=False)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            continue  # another replica took this due time
        session.refresh(plan)
        kind = run_kind(plan, this.kind if this else None, at=due_at, zone=zone)
        created = runs.start_run(session, plan, due_at=due_at, kind=kind, manual=False, now=now)
        _show_next(session, plan)
        if created is not None:
            started.append(created)
    return started
