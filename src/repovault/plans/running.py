"""Running a plan now (`/plans/run`) and canceling its tasks (`/plans/cancel`): each creates
or changes task rows only; the task loop sends them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.enums import Scheme
from repovault.common.errors import Conflict
from repovault.plans import runs, scheduler
from repovault.plans.runs import RunSummary
from repovault.plans.service import get_plan
from repovault.plans.settings import PlanSettings
from repovault.runtime import Runtime
from repovault.tasks import service

KINDS_BY_NUMBER = {1: "full", 2: "differential", 3: "incremental"}


def run_plan(runtime: Runtime, session: Session, *, plan_id: str, kind: int | None) -> list[str]:
    plan = get_plan(session, plan_id)
    if not plan.is_active:
        raise Conflict(codes.PLAN_INACTIVE, f"plan {plan.id} is not active; activate it first")
    now = now_ms()
    zone = runtime.settings.zone
    if kind:
        chosen = KINDS_BY_NUMBER[kind]
    else:
        gfs = PlanSettings.of(plan).scheme == Scheme.GFS
        chosen = "full" if gfs and not plan.last_full_run else "incremental"
        if gfs and plan.last_full_run:
            chosen = scheduler.run_kind(plan, None, at=now, zone=zone)
    created = runs.start_run(session, plan, due_at=now, kind=chosen, manual=True, now=now)
    if created is None:
        raise Conflict(codes.PLAN_RUNNING, f"plan {plan.id} was started a moment ago")
    return [task.id for task in created[1]]


def cancel_plan(session: Session, *, plan_id: str) -> list[RunSummary]:
    plan = get_plan(session, plan_id)
    return runs.cancel(session, service.open_task_ids(session, plan_id=plan.id))
