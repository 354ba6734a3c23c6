"""The scheduler against the database: due plans run once per due time, whatever the number
of replicas; inactive plans never; a restarted server loses nothing; backup windows."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.plans import scheduler
from repovault.plans.models import Plan
from repovault.runner.loop import TaskSystem
from repovault.runtime import Runtime
from repovault.tasks.models import PlanRun, Task
from tests.conftest import Api
from tests.e2e.flow import make_sources, organization_with_plan, wait_tasks

DAILY_AT_3 = {
    "scheme": 4,
    "options": [
        {
            "trigger": 1,
            "frequency": 3,
            "days": [0, 1, 2, 3, 4, 5, 6],
            "startAt": [{"hour": 3, "minute": 0}],
        }
    ],
}


def _plan(runtime: Runtime, plan_id: str) -> Plan:
    with runtime.db.session() as session:
        plan = session.get(Plan, plan_id)
        assert plan is not None
        return plan


def test_schedule_sets_next_backup_and_replicas_start_a_due_plan_once(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    make_sources(tmp_path / "git", ("a", "b"))
    org, repos, plan_id = organization_with_plan(api, tmp_path / "git", schedule=DAILY_AT_3)
    plan = _plan(runtime, plan_id)
    now = datetime.now(UTC)
    expected = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if expected <= now:
        expected += timedelta(days=1)
    assert plan.next_run_at == int(expected.timestamp() * 1000)
    listed = api.ok("/git/repositories/getmany", {"id": org})["result"]["repositories"]
    assert {r["nextBackup"] for r in listed} == {plan.next_run_at}

    api.client.app.state.tasks.stop()  # type: ignore[attr-defined]  # only the replicas below
    due = plan.next_run_at
    barrier = threading.Barrier(3)
    created: list[int] = []

    def replica() -> None:
        barrier.wait()
        with runtime.db.session(write=True) as session:
            runs = scheduler.start_due(session, now=due + 1000, zone=runtime.settings.zone)
            created.append(len(runs))

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(created) == [0, 0, 1]
    with runtime.db.session() as session:
        runs = session.scalars(select(PlanRun).where(PlanRun.plan_id == plan_id)).all()
        assert [(r.due_at, r.kind, r.manual) for r in runs] == [(due, "incremental", False)]
        tasks = session.scalars(select(Task).where(Task.plan_id == plan_id)).all()
        assert sorted(t.repository_id for t in tasks) == sorted(repos.values())
    assert _plan(runtime, plan_id).next_run_at == due + 86_400_000

    # Down for three days: one run when it comes back, and the next one is in the future.
    with runtime.db.session(write=True) as session:
        later = due + 3 * 86_400_000 + 5000
        assert len(scheduler.start_due(session, now=later, zone=runtime.settings.zone)) == 1
        assert scheduler.start_due(session, now=later, zone=runtime.settings.zone) == []
    assert _plan(runtime, plan_id).next_run_at == due + 4 * 86_400_000


def test_inactive_and_manual_plans_are_not_scheduled(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    make_sources(tmp_path / "git", ("a",))
    _org, _repos, plan_id = organization_with_plan(api, tmp_path / "git", schedule=DAILY_AT_3)
    api.ok("/plans/modifygitplan", {"id": plan_id, "isActive": False})
    assert _plan(runtime, plan_id).next_run_at == 0
    api.ok("/plans/modifygitplan", {"id": plan_id, "isActive": True, "schedule": {"scheme": 1}})
    assert _plan(runtime, plan_id).next_run_at == 0
    with runtime.db.session(write=True) as session:
        far = now_ms() + 400 * 86_400_000
        assert scheduler.start_due(session, now=far, zone=runtime.settings.zone) == []


def test_a_restarted_server_runs_what_was_queued_or_running(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    make_sources(tmp_path / "git", ("a", "b"))
    _org, _repos, plan_id = organization_with_plan(
        api, tmp_path / "git", advancedOptions={"taskRetriesFrequency": 0}
    )
    api.client.app.state.tasks.stop()  # type: ignore[attr-defined]  # the server goes down
    task_ids = api.ok("/plans/run", {"id": plan_id})["taskIds"]
    dead = f"embedded@{socket.gethostname()}:{2**22 + os.getpid()}:gone"  # no such process
    with runtime.db.session(write=True) as session:
        session.execute(
            update(Task)
            .where(Task.id == task_ids[0])
            .values(status=TaskStatus.RUNNING, claim=dead, attempt=1, heartbeat_at=now_ms())
        )
    restarted = TaskSystem(runtime, worker=True, coordinator=True)
    restarted.start()
    try:
        tasks = wait_tasks(api, task_ids, timeout=60)
    finally:
        restarted.stop()
    assert [t["status"] for t in tasks] == [1, 1], [t["logs"] for t in tasks]
    assert tasks[0]["attempt"] == 2
    assert any("worker process is gone" in line["message"] for line in tasks[0]["logs"])


def test_a_backup_outside_its_window_waits_then_is_marked_not_started(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    make_sources(tmp_path / "git", ("a",))
    hour = datetime.now(UTC)
    window = [[0] * 24 for _ in range(7)]
    for offset in (0, 1):  # this hour and the next are closed
        closed = hour + timedelta(hours=offset)
        window[(closed.weekday() + 1) % 7][closed.hour] = 1
    schedule: dict[str, Any] = {"scheme": 1, "options": [], "backupWindow": window}
    _org, _repos, plan_id = organization_with_plan(api, tmp_path / "git", schedule=schedule)
    (task_id,) = api.ok("/plans/run", {"id": plan_id})["taskIds"]
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while True:
        task = api.ok("/tasks/get", {"id": task_id})
        if any("backup window" in line["message"] for line in task["logs"]):
            break
        assert datetime.now(UTC) < deadline, task
        time.sleep(0.05)
    assert task["status"] == TaskStatus.QUEUED
    with runtime.db.session() as session:
        row = session.get(Task, task_id)
        assert row is not None
        assert row.not_before > now_ms() + 3_000_000  # at the start of the hour after next
    (second,) = api.ok("/plans/run", {"id": plan_id})["taskIds"]
    assert api.ok("/tasks/get", {"id": task_id})["status"] == TaskStatus.NOT_STARTED
    # Canceling the waiting run ends it: the plan is no longer running and says why.
    api.ok("/plans/cancel", {"id": plan_id})
    assert api.ok("/tasks/get", {"id": second})["status"] == 4
    listed = api.ok("/git/organizations/getmany", {"limit": 100})["result"]
    (summary,) = [p for o in listed for p in o["plans"] if p["id"] == plan_id]
    assert summary["isRunning"] is False
    assert summary["lastStatus"] == {"successes": 0, "warnings": 0, "errors": 0}
    assert summary["planFinishedTime"] > 0


class _NoServer:
    """A worker child's link to a coordinator that never dispatches."""

    def wake(self) -> None:
        pass


def test_a_worker_child_sends_its_plans_next_tasks_itself(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    """The server's worker child frees a slot of a plan and fills it, without the server's
    process doing a dispatch pass per ended task (that work competed with the API)."""
    make_sources(tmp_path / "git", ("a", "b", "c"))
    _org, _repos, plan_id = organization_with_plan(
        api, tmp_path / "git", advancedOptions={"maxConcurrentTasks": 1}
    )
    api.client.app.state.tasks.stop()  # type: ignore[attr-defined]  # no coordinator runs
    task_ids = api.ok("/plans/run", {"id": plan_id})["taskIds"]
    child = TaskSystem(runtime, worker=True, coordinator=False, mode="thread", server=_NoServer())  # type: ignore[arg-type]
    child.start()
    try:
        child.dispatch_ready()  # the coordinator's one pass: the plan's first task goes out
        tasks = wait_tasks(api, task_ids, timeout=60)
    finally:
        child.stop()
    assert [t["status"] for t in tasks] == [1, 1, 1], [t["logs"] for t in tasks]
