"""The scheduler (`plans/scheduler.py`) and running a plan now (`plans/running.py`), called
directly: a due plan becomes one run with a backup task per protected repository, its next
due time moves on, and the repositories show it. (Several replicas, and a server down
through several due times: tests/e2e/test_scheduling.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from repovault.common.enums import Frequency, Scheme, Trigger
from repovault.common.errors import Conflict
from repovault.plans import running, scheduler
from repovault.plans.models import Plan
from repovault.repositories.models import Repository
from repovault.tasks.models import PlanRun, Task
from tests.tasks.rows import Rows

UTC_ZONE = ZoneInfo("UTC")
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
DAILY_AT_3: dict[str, Any] = {
    "scheme": Scheme.FOREVER_INCREMENTAL,
    "options": [
        {
            "trigger": Trigger.TIME,
            "frequency": Frequency.DAILY,
            "days": EVERY_DAY,
            "startAt": [{"hour": 3, "minute": 0}],
        }
    ],
}
HOUR_MS = 3_600_000


def _ms(day: int, hour: int) -> int:
    """A time of January 2026 (the 5th is a Monday), UTC."""
    return int(datetime(2026, 1, day, hour, tzinfo=UTC).timestamp() * 1000)


MONDAY_10 = _ms(5, 10)
TUESDAY_3 = _ms(6, 3)


def _scheduled(rows: Rows, **extra: Any) -> tuple[Plan, list[str]]:
    """A daily plan over two licensed repositories and one without a licence, scheduled at
    Monday 10:00 (next due: Tuesday 03:00)."""
    org = rows.org()
    licensed = [rows.repo(org), rows.repo(org)]
    plan = rows.plan(
        org,
        repos=[*licensed, rows.repo(org, licensed=False)],
        settings={"schedule": DAILY_AT_3},
        **extra,
    )
    scheduler.reschedule(rows.session, plan, now=MONDAY_10, zone=UTC_ZONE, reanchor=True)
    return plan, sorted(r.id for r in licensed)


def _repositories(rows: Rows, plan: Plan) -> list[Repository]:
    members = rows.members(plan)
    return list(rows.session.scalars(select(Repository).where(Repository.id.in_(members))))


def test_scheduling_sets_the_next_run_and_shows_it_on_the_repositories(rows: Rows) -> None:
    plan, _licensed = _scheduled(rows)
    assert (plan.next_run_at, plan.schedule_anchor) == (TUESDAY_3, MONDAY_10)
    assert {rows.fresh(r).next_backup for r in _repositories(rows, plan)} == {TUESDAY_3}
    plan.is_active = False
    scheduler.reschedule(rows.session, plan, now=MONDAY_10, zone=UTC_ZONE, reanchor=False)
    assert plan.next_run_at == 0
    assert {rows.fresh(r).next_backup for r in _repositories(rows, plan)} == {0}


def test_a_due_plan_runs_once_with_a_task_per_protected_repository(rows: Rows) -> None:
    plan, licensed = _scheduled(rows)
    assert scheduler.start_due(rows.session, now=TUESDAY_3 - 1, zone=UTC_ZONE) == []
    ((run, tasks),) = scheduler.start_due(rows.session, now=TUESDAY_3 + 5000, zone=UTC_ZONE)
    assert (run.plan_id, run.due_at, run.kind, run.manual) == (
        plan.id,
        TUESDAY_3,
        "incremental",
        False,
    )
    assert sorted(t.repository_id or "" for t in tasks) == licensed
    assert {t.run_id for t in tasks} == {run.id}
    assert rows.fresh(plan).next_run_at == TUESDAY_3 + 24 * HOUR_MS
    assert scheduler.start_due(rows.session, now=TUESDAY_3 + 6000, zone=UTC_ZONE) == []
    assert len(rows.session.scalars(select(PlanRun)).all()) == 1


def test_an_inactive_plan_is_not_started_even_when_its_time_has_come(rows: Rows) -> None:
    plan, _licensed = _scheduled(rows)
    plan.is_active = False  # switched off without a reschedule: next_run_at still set
    rows.session.flush()
    assert scheduler.start_due(rows.session, now=TUESDAY_3 + 1, zone=UTC_ZONE) == []
    assert rows.session.scalars(select(Task)).all() == []


def test_a_repository_in_two_plans_keeps_the_next_backup_of_the_active_one(rows: Rows) -> None:
    org = rows.org()
    repo = rows.repo(org)
    plan = rows.plan(org, repos=[repo], settings={"schedule": DAILY_AT_3})
    scheduler.reschedule(rows.session, plan, now=MONDAY_10, zone=UTC_ZONE, reanchor=True)
    other = rows.plan(org, repos=[repo], active=False)
    scheduler.reschedule(rows.session, other, now=MONDAY_10, zone=UTC_ZONE, reanchor=True)
    assert rows.fresh(repo).next_backup == TUESDAY_3


# ---- running now --------------------------------------------------------------------------


def test_running_now_refuses_an_inactive_plan(rows: Rows) -> None:
    plan = rows.plan(rows.org(), active=False)
    with pytest.raises(Conflict) as refused:
        running.run_plan(rows.runtime, rows.session, plan_id=plan.id, kind=None)
    assert refused.value.code == "PL3005"


def test_running_now_takes_the_asked_kind_else_full_first_for_gfs(rows: Rows) -> None:
    org = rows.org()
    repo = rows.repo(org)
    gfs = {**DAILY_AT_3, "scheme": Scheme.GFS}
    plan = rows.plan(org, repos=[repo], settings={"schedule": gfs})
    (task_id,) = running.run_plan(rows.runtime, rows.session, plan_id=plan.id, kind=None)
    task = rows.session.get(Task, task_id)
    assert task is not None
    assert task.repository_id == repo.id
    assert task.params["kind"] == "full"
    assert plan.last_full_run > 0
    plain = rows.plan(org, repos=[repo])
    (other_id,) = running.run_plan(rows.runtime, rows.session, plan_id=plain.id, kind=2)
    other = rows.session.get(Task, other_id)
    assert other is not None
    assert other.params["kind"] == "differential"
