"""The reconciler (`tasks/reconciler.py`), called directly: stale running tasks taken back,
queued tasks chosen to send within each plan's concurrency, the next wake-up, old history
forgotten."""

from __future__ import annotations

import os
import socket

from sqlalchemy import select

from repovault.common.enums import TaskStatus
from repovault.plans.models import Plan
from repovault.tasks import reconciler, service
from repovault.tasks.models import PlanRun, Task, TaskLog
from tests.tasks.rows import Rows

NOW = 1_700_000_000_000
STALE_MS = 30_000
DAY_MS = 86_400_000


def _running(rows: Rows, task: Task, token: str = "w@elsewhere:1:a", *, at: int = NOW) -> Task:
    assert service.claim(rows.session, task.id, token, now=at, concurrency=100)
    return rows.fresh(task)


def _plan(rows: Rows, *, concurrency: int = 5, retries: int = 3) -> Plan:
    options = {"maxConcurrentTasks": concurrency, "maxTaskRetriesCount": retries}
    return rows.plan(rows.org(), settings={"advancedOptions": options})


# ---- stale tasks --------------------------------------------------------------------------


def test_a_task_whose_heartbeat_went_stale_is_queued_again(rows: Rows) -> None:
    stale = _running(rows, rows.task(), at=NOW)
    alive = _running(rows, rows.task(), at=NOW + 20_000)
    ended = reconciler.reclaim_stale(rows.session, now=NOW + STALE_MS + 1, stale_ms=STALE_MS)
    assert ended == []  # retried, not ended
    stale, alive = rows.fresh(stale), rows.fresh(alive)
    assert (stale.status, stale.claim) == (TaskStatus.QUEUED, None)
    assert stale.error == "its worker stopped responding (no heartbeat for 30 s)"
    assert stale.not_before == NOW + STALE_MS + 1 + stale.retry_delay_ms
    assert (alive.status, alive.claim) == (TaskStatus.RUNNING, "w@elsewhere:1:a")


def test_a_stale_task_on_its_last_attempt_fails_and_is_returned(rows: Rows) -> None:
    plan = _plan(rows, retries=0)
    task = _running(rows, rows.task(plan=plan))
    (ended,) = reconciler.reclaim_stale(rows.session, now=NOW + STALE_MS + 1, stale_ms=STALE_MS)
    assert (ended.id, ended.status, ended.finished_at) == (
        task.id,
        TaskStatus.FAILED,
        NOW + STALE_MS + 1,
    )


def test_a_task_of_a_dead_process_on_this_host_is_taken_back_at_once(rows: Rows) -> None:
    gone = f"embedded@{socket.gethostname()}:{2**22 + os.getpid()}:x"  # above any pid
    here = f"embedded@{socket.gethostname()}:{os.getpid()}:x"
    dead = _running(rows, rows.task(), gone, at=NOW)
    living = _running(rows, rows.task(), here, at=NOW)
    reconciler.reclaim_stale(rows.session, now=NOW + 1, stale_ms=STALE_MS)
    dead, living = rows.fresh(dead), rows.fresh(living)
    assert dead.status == TaskStatus.QUEUED
    assert dead.error == f"its worker process is gone ({gone})"
    assert living.status == TaskStatus.RUNNING


# ---- what to send -------------------------------------------------------------------------


def test_ready_sends_due_tasks_and_marks_them_sent(rows: Rows) -> None:
    due, later = rows.task(), rows.task(not_before=NOW + 1)
    chosen = reconciler.ready(rows.session, now=NOW, resend_before=NOW - 600_000)
    assert chosen == [(due.id, rows.embedded)]
    assert rows.fresh(due).dispatched_at == NOW
    assert rows.fresh(later).dispatched_at == 0
    assert reconciler.ready(rows.session, now=NOW + 1000, resend_before=NOW - 600_000) == [
        (later.id, rows.embedded)
    ]


def test_ready_sends_again_only_what_was_sent_long_ago(rows: Rows) -> None:
    task = rows.task()
    assert reconciler.ready(rows.session, now=NOW, resend_before=NOW - 1) == [
        (task.id, rows.embedded)
    ]
    assert reconciler.ready(rows.session, now=NOW + 1, resend_before=NOW - 1) == []
    assert reconciler.ready(rows.session, now=NOW + 2, resend_before=NOW + 1) == [
        (task.id, rows.embedded)
    ]


def test_ready_keeps_each_plan_within_its_concurrency(rows: Rows) -> None:
    plan = _plan(rows, concurrency=2)
    running = _running(rows, rows.task(plan=plan))
    queued = [rows.task(plan=plan) for _ in range(3)]
    planless = [rows.task() for _ in range(3)]
    chosen = reconciler.ready(rows.session, now=NOW, resend_before=NOW - 600_000)
    sent = {task_id for task_id, _ in chosen}
    assert running.id not in sent
    assert len(sent & {t.id for t in queued}) == 1  # one slot left beside the running task
    assert {t.id for t in planless} <= sent  # no plan, no limit
    # Sent and not yet claimed holds a slot too.
    assert reconciler.ready(rows.session, now=NOW + 1, resend_before=NOW - 600_000) == []


def _batched(rows: Rows, batch: str, limit: int, plan: Plan | None = None) -> Task:
    return service.new_task(
        rows.session,
        kind="restore",
        worker_id=rows.embedded,
        plan=plan,
        batch=(batch, limit),
    )


def test_ready_keeps_each_batch_within_its_limit(rows: Rows) -> None:
    """An organization's restore: its tasks run `limit` at a time, whatever else waits."""
    first = [_batched(rows, "batch-a", 2) for _ in range(4)]
    _running(rows, first[0])
    other = [_batched(rows, "batch-b", 1) for _ in range(2)]
    unlimited = rows.task()
    sent = {t for t, _ in reconciler.ready(rows.session, now=NOW, resend_before=NOW - 600_000)}
    assert len(sent & {t.id for t in first[1:]}) == 1  # one slot beside the running one
    assert len(sent & {t.id for t in other}) == 1
    assert unlimited.id in sent
    assert reconciler.ready(rows.session, now=NOW + 1, resend_before=NOW - 600_000) == []
    # The running one ends: the next of its batch goes.
    service.finish(
        rows.session,
        first[0].id,
        "w@elsewhere:1:a",
        status=TaskStatus.SUCCEEDED,
        error=None,
        now=NOW + 2,
    )
    again = reconciler.ready(rows.session, now=NOW + 3, resend_before=NOW - 600_000)
    assert len(again) == 1
    assert again[0][0] in {t.id for t in first[1:]} - sent


def test_a_batch_full_leaves_its_plans_slot_free(rows: Rows) -> None:
    plan = _plan(rows, concurrency=1)
    _running(rows, _batched(rows, "batch-c", 1))
    held = _batched(rows, "batch-c", 1, plan=plan)
    free = rows.task(plan=plan)
    sent = {t for t, _ in reconciler.ready(rows.session, now=NOW, resend_before=NOW - 600_000)}
    assert held.id not in sent
    assert free.id in sent


def test_next_wakeup_is_the_soonest_retry_or_plan_run(rows: Rows) -> None:
    assert reconciler.next_wakeup(rows.session) is None
    rows.task(not_before=NOW + 5000)
    assert reconciler.next_wakeup(rows.session) == NOW + 5000
    plan = rows.plan(rows.org())
    plan.next_run_at = NOW + 3000
    rows.plan(rows.org(), active=False).next_run_at = NOW + 1000  # inactive: never runs
    rows.session.flush()
    assert reconciler.next_wakeup(rows.session) == NOW + 3000


# ---- history ------------------------------------------------------------------------------


def test_forget_old_deletes_finished_history_beyond_the_days_kept(rows: Rows) -> None:
    plan = rows.plan(rows.org())
    old_run = PlanRun(plan_id=plan.id, due_at=1, kind="full", finished_at=NOW - 8 * DAY_MS)
    rows.session.add(old_run)
    rows.session.flush()
    old, recent, still_queued = (
        rows.task(run_id=old_run.id),
        rows.task(),
        rows.task(not_before=NOW + 1),
    )
    for task, finished in ((old, NOW - 8 * DAY_MS), (recent, NOW - 6 * DAY_MS)):
        _running(rows, task, "t")
        service.finish(rows.session, task.id, "t", status=TaskStatus.SUCCEEDED, error=None, now=0)
        task.finished_at = finished
    rows.session.flush()
    assert reconciler.forget_old(rows.session, now=NOW, keep_days=0) == 0
    assert reconciler.forget_old(rows.session, now=NOW, keep_days=7) == 1
    rows.session.expire_all()
    left = set(rows.session.scalars(select(Task.id)))
    assert left == {recent.id, still_queued.id}
    assert rows.session.scalars(select(TaskLog).where(TaskLog.task_id == old.id)).all() == []
    assert rows.session.get(PlanRun, old_run.id) is None
