"""Plan runs (`plans/runs.py`), called directly: one backup task per repository of the plan
with an active licence, and the run closed, once, when its last task ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from repovault.common.enums import ChoiceMode, Driver, TaskStatus
from repovault.common.errors import Conflict
from repovault.plans import runs
from repovault.plans.models import Plan
from repovault.tasks import service
from repovault.tasks.models import PlanRun, RepositoryVault, Task
from tests.tasks.rows import Rows

NOW = 1_700_000_000_000


def _start(rows: Rows, plan: Plan, *, due_at: int = NOW, kind: str = "incremental") -> list[Task]:
    created = runs.start_run(rows.session, plan, due_at=due_at, kind=kind, manual=False, now=due_at)
    assert created is not None
    return created[1]


def _end(rows: Rows, task: Task, status: int, *, at: int = NOW + 1000) -> runs.RunSummary | None:
    """The worker's side: claim, finish, then the bookkeeping of the ended task."""
    assert service.claim(rows.session, task.id, "w", now=at, concurrency=100)
    assert service.finish(rows.session, task.id, "w", status=status, error=None, now=at)
    return runs.task_ended(rows.session, rows.fresh(task), now=at)


def test_a_run_backs_up_each_repository_of_the_plan_with_an_active_licence(rows: Rows) -> None:
    org = rows.org()
    beta, alpha = rows.repo(org, "beta"), rows.repo(org, "alpha")
    unlicensed = rows.repo(org, "gamma", licensed=False)
    rows.repo(org, "not-in-plan")
    plan = rows.plan(org, repos=[beta, alpha, unlicensed])
    created = runs.start_run(rows.session, plan, due_at=NOW, kind="full", manual=True, now=NOW)
    assert created is not None
    run, tasks = created
    assert [t.repository_id for t in tasks] == [alpha.id, beta.id]  # by name
    for task in tasks:
        assert (task.kind, task.status, task.run_id, task.plan_id) == (
            "backup",
            TaskStatus.QUEUED,
            run.id,
            plan.id,
        )
        assert (task.worker_id, task.organization_id) == (plan.worker_id, org.id)
        assert task.params == {"kind": "full", "window": None}
    assert (run.due_at, run.kind, run.manual, run.finished_at) == (NOW, "full", True, 0)
    assert (plan.is_running, plan.last_full_run) == (True, NOW)
    assert rows.fresh(alpha).last_backup_task_status == TaskStatus.QUEUED
    assert rows.fresh(unlicensed).last_backup_task_status == TaskStatus.NEVER


def test_a_due_time_has_one_run(rows: Rows) -> None:
    org = rows.org()
    plan = rows.plan(org, repos=[rows.repo(org)])
    assert len(_start(rows, plan)) == 1
    assert runs.start_run(rows.session, plan, due_at=NOW, kind="full", manual=True, now=NOW) is None
    assert len(rows.session.scalars(select(Task)).all()) == 1
    assert len(rows.session.scalars(select(PlanRun)).all()) == 1


def test_a_repository_still_backing_up_from_an_earlier_run_is_left_to_it(rows: Rows) -> None:
    org = rows.org()
    busy, idle = rows.repo(org, "busy"), rows.repo(org, "idle")
    plan = rows.plan(org, repos=[busy, idle])
    first = _start(rows, plan)
    _end(rows, first[1], TaskStatus.SUCCEEDED)  # idle's backup is over, busy's still queued
    second = _start(rows, plan, due_at=NOW + 60_000)
    assert [t.repository_id for t in second] == [idle.id]


def test_a_run_with_nothing_to_back_up_is_over_at_once(rows: Rows) -> None:
    plan = rows.plan(rows.org(), mode=ChoiceMode.ALL)
    created = runs.start_run(rows.session, plan, due_at=NOW, kind="full", manual=False, now=NOW)
    assert created is not None
    run, tasks = created
    assert (tasks, run.finished_at, plan.is_running) == ([], NOW, False)


def test_a_backup_still_waiting_for_its_window_at_the_next_run_is_not_started(
    rows: Rows,
) -> None:
    org = rows.org()
    repo = rows.repo(org)
    plan = rows.plan(org, repos=[repo])
    (waiting,) = _start(rows, plan)
    service.defer(rows.session, waiting.id, until=NOW + 10 * 3_600_000)
    (again,) = _start(rows, plan, due_at=NOW + 3_600_000)
    waiting = rows.fresh(waiting)
    assert (waiting.status, waiting.error) == (
        TaskStatus.NOT_STARTED,
        "the backup window missed it",
    )
    first_run = rows.session.get(PlanRun, waiting.run_id)
    assert first_run is not None
    assert first_run.finished_at == NOW + 3_600_000
    assert plan.last_errors == 1  # the missed backup counts as an error of its run
    assert again.repository_id == repo.id


def test_a_plan_backs_up_its_wikis_too(rows: Rows) -> None:
    org = rows.org(driver=Driver.AZURE)
    wiki = rows.wiki(org, "Handbook")
    plan = rows.plan(org, mode=ChoiceMode.ALL)
    (task,) = _start(rows, plan)
    assert (task.repository_id, task.params["wikiId"]) == (None, wiki.id)


def test_the_run_closes_when_its_last_task_ends(rows: Rows) -> None:
    org = rows.org()
    good, bad = rows.repo(org, "good"), rows.repo(org, "bad")
    plan = rows.plan(org, repos=[good, bad], settings={"notificationSettings": {"onFailure": 1}})
    task_of = {t.repository_id: t for t in _start(rows, plan)}
    assert _end(rows, task_of[good.id], TaskStatus.SUCCEEDED, at=NOW + 1000) is None
    assert plan.is_running
    summary = _end(rows, task_of[bad.id], TaskStatus.FAILED, at=NOW + 2000)
    assert summary is not None
    assert (summary.plan_id, summary.succeeded, summary.failed, summary.outcome) == (
        plan.id,
        1,
        1,
        "failed",
    )
    assert (summary.started_at, summary.finished_at) == (NOW + 1000, NOW + 2000)
    assert summary.notification_settings == {"onFailure": 1}
    plan = rows.fresh(plan)
    assert (plan.last_successes, plan.last_errors, plan.plan_finished_time) == (1, 1, NOW + 2000)
    assert plan.is_running is False
    run = rows.session.get(PlanRun, task_of[good.id].run_id)
    assert run is not None
    assert run.finished_at == NOW + 2000
    # Closed once: whoever comes next finds nothing to close.
    assert runs.close_run(rows.session, run.id, now=NOW + 3000) is None


def test_an_ended_backup_updates_its_repository_and_remembers_the_vault(rows: Rows) -> None:
    org = rows.org()
    good, bad = rows.repo(org, "good"), rows.repo(org, "bad")
    plan = rows.plan(org, repos=[good, bad])
    task_of = {t.repository_id: t for t in _start(rows, plan)}
    _end(rows, task_of[good.id], TaskStatus.SUCCEEDED, at=NOW + 1000)
    _end(rows, task_of[bad.id], TaskStatus.FAILED, at=NOW + 2000)
    good, bad = rows.fresh(good), rows.fresh(bad)
    assert (good.last_backup, good.last_successful_backup, good.last_backup_task_status) == (
        NOW + 1000,
        NOW + 1000,
        TaskStatus.SUCCEEDED,
    )
    assert (bad.last_backup, bad.last_successful_backup, bad.last_backup_task_status) == (
        NOW + 2000,
        0,
        TaskStatus.FAILED,
    )
    vault = rows.session.get(RepositoryVault, (good.id, plan.id))
    assert vault is not None
    assert vault.last_success == NOW + 1000
    assert rows.session.get(RepositoryVault, (bad.id, plan.id)) is None


def test_canceling_a_runs_queued_tasks_closes_it(rows: Rows) -> None:
    org = rows.org()
    plan = rows.plan(org, repos=[rows.repo(org), rows.repo(org)])
    tasks = _start(rows, plan)
    (summary,) = runs.cancel(rows.session, [t.id for t in tasks])
    assert (summary.canceled, summary.failed, summary.outcome) == (2, 0, "finished with warnings")
    assert [rows.fresh(t).status for t in tasks] == [TaskStatus.CANCELED] * 2
    assert rows.fresh(plan).is_running is False


def test_an_ended_task_cannot_be_canceled(rows: Rows) -> None:
    task = rows.task()
    runs.cancel_task(rows.session, task_id=task.id)
    with pytest.raises(Conflict) as refused:
        runs.cancel_task(rows.session, task_id=task.id)
    assert refused.value.code == "TK6002"


def test_an_ended_sync_task_ends_its_organizations_synchronization(rows: Rows) -> None:
    org = rows.org()
    org.synchronization_in_progress = True
    task = service.queue_sync(rows.session, org.id, fallback_worker=rows.embedded)
    assert task is not None
    _end(rows, task, TaskStatus.SUCCEEDED)
    assert rows.fresh(org).synchronization_in_progress is False
