"""Task rows' lifecycle (`tasks/service.py`), called directly: creation with the plan's retry
policy, claim, heartbeat, finish, requeue, cancel, and the sync and removal tasks."""

from __future__ import annotations

from sqlalchemy import select

from repovault.common.enums import ChoiceMode, TaskStatus
from repovault.tasks import service
from repovault.tasks.models import Task, TaskLog
from tests.tasks.rows import Rows

NOW = 1_700_000_000_000


def _logs(rows: Rows, task: Task) -> list[tuple[str, str]]:
    return [
        (line.level, line.message)
        for line in rows.session.scalars(
            select(TaskLog).where(TaskLog.task_id == task.id).order_by(TaskLog.id)
        )
    ]


def _running(rows: Rows, task: Task, token: str = "w@elsewhere:1:a", *, at: int = NOW) -> Task:
    assert service.claim(rows.session, task.id, token, now=at, concurrency=5)
    return rows.fresh(task)


# ---- creation -----------------------------------------------------------------------------


def test_a_task_takes_its_retries_and_delay_from_the_plan(rows: Rows) -> None:
    org = rows.org()
    plan = rows.plan(
        org, settings={"advancedOptions": {"maxTaskRetriesCount": "2", "taskretriesfrequency": 5}}
    )
    task = service.new_task(
        rows.session,
        kind="backup",
        worker_id=plan.worker_id,
        plan=plan,
        params={"kind": "full"},
        not_before=NOW,
    )
    assert (task.status, task.attempt) == (TaskStatus.QUEUED, 0)
    assert (task.max_attempts, task.retry_delay_ms) == (3, 5)
    assert (task.plan_id, task.params, task.not_before) == (plan.id, {"kind": "full"}, NOW)
    assert _logs(rows, task) == [("info", "backup task queued")]


def test_without_a_plan_a_task_has_the_default_policy(rows: Rows) -> None:
    task = service.new_task(rows.session, kind="verify", worker_id=rows.embedded)
    assert (task.max_attempts, task.retry_delay_ms) == (4, 60_000)
    no_retries = rows.plan(rows.org(), settings={"advancedOptions": {"maxTaskRetriesCount": 0}})
    assert rows.task(plan=no_retries).max_attempts == 1


# ---- claim --------------------------------------------------------------------------------


def test_claim_takes_a_queued_due_task_once(rows: Rows) -> None:
    task = rows.task()
    assert service.claim(rows.session, task.id, "first", now=NOW, concurrency=5)
    assert not service.claim(rows.session, task.id, "second", now=NOW + 1, concurrency=5)
    task = rows.fresh(task)
    assert (task.status, task.claim, task.attempt) == (TaskStatus.RUNNING, "first", 1)
    assert (task.started_at, task.heartbeat_at) == (NOW, NOW)


def test_claim_refuses_tasks_not_due_canceled_or_unknown(rows: Rows) -> None:
    waiting = rows.task(not_before=NOW + 1)
    assert not service.claim(rows.session, waiting.id, "w", now=NOW, concurrency=5)
    assert rows.fresh(waiting).status == TaskStatus.QUEUED
    canceled = rows.task()
    service.request_cancel(rows.session, [canceled.id], now=NOW)
    assert not service.claim(rows.session, canceled.id, "w", now=NOW, concurrency=5)
    assert rows.fresh(canceled).status == TaskStatus.CANCELED
    assert not service.claim(rows.session, "no-such-task", "w", now=NOW, concurrency=5)


def test_claim_leaves_a_task_queued_while_its_plan_runs_its_maximum(rows: Rows) -> None:
    plan = rows.plan(rows.org(), mode=ChoiceMode.ALL)
    _running(rows, rows.task(plan=plan))
    second = rows.task(plan=plan)
    second.dispatched_at = NOW
    rows.session.flush()
    assert not service.claim(rows.session, second.id, "w", now=NOW, concurrency=1)
    second = rows.fresh(second)
    # Undispatched again, so that the reconciler sends it once a slot frees.
    assert (second.status, second.dispatched_at) == (TaskStatus.QUEUED, 0)
    assert service.claim(rows.session, second.id, "w", now=NOW, concurrency=2)


def test_claim_leaves_a_task_queued_while_its_batch_runs_its_limit(rows: Rows) -> None:
    batch = [
        service.new_task(rows.session, kind="restore", worker_id=rows.embedded, batch=("b", 1))
        for _ in range(2)
    ]
    _running(rows, batch[0])
    assert not service.claim(rows.session, batch[1].id, "w", now=NOW, concurrency=5)
    assert rows.fresh(batch[1]).status == TaskStatus.QUEUED
    service.finish(
        rows.session,
        batch[0].id,
        "w@elsewhere:1:a",
        status=TaskStatus.SUCCEEDED,
        error=None,
        now=NOW,
    )
    assert service.claim(rows.session, batch[1].id, "w", now=NOW, concurrency=5)


# ---- heartbeat and finish -----------------------------------------------------------------


def test_heartbeat_records_progress_and_reports_a_cancel_request(rows: Rows) -> None:
    task = _running(rows, rows.task(), "mine")
    beat = service.beat(rows.session, task.id, "mine", now=NOW + 5, progress=40, text="x" * 500)
    assert beat == (True, False)
    task = rows.fresh(task)
    assert (task.heartbeat_at, task.progress, len(task.progress_text)) == (NOW + 5, 40, 400)
    assert service.request_cancel(rows.session, [task.id], now=NOW + 6) == ([], [task.id])
    assert service.beat(rows.session, task.id, "mine", now=NOW + 7, progress=41, text="") == (
        True,
        True,
    )


def test_a_heartbeat_without_the_claim_tells_the_worker_to_stop(rows: Rows) -> None:
    task = _running(rows, rows.task(), "mine")
    assert service.beat(rows.session, task.id, "other", now=NOW + 5, progress=90, text="") == (
        False,
        True,
    )
    assert rows.fresh(task).progress == 0


def test_finish_ends_the_claimed_task_once(rows: Rows) -> None:
    task = _running(rows, rows.task(), "mine")
    assert not service.finish(
        rows.session, task.id, "other", status=TaskStatus.SUCCEEDED, error=None, now=NOW + 9
    )
    assert service.finish(
        rows.session,
        task.id,
        "mine",
        status=TaskStatus.WARNING,
        error="2 issues skipped",
        result={"snapshot": "s1"},
        now=NOW + 10,
        moved=(100, 250, 1),
    )
    assert not service.finish(
        rows.session, task.id, "mine", status=TaskStatus.FAILED, error="late", now=NOW + 11
    )
    task = rows.fresh(task)
    assert (task.status, task.error, task.finished_at) == (
        TaskStatus.WARNING,
        "2 issues skipped",
        NOW + 10,
    )
    assert (task.progress, task.result) == (100, {"snapshot": "s1"})
    assert (task.bytes_stored, task.bytes_transferred, task.pauses) == (100, 250, 1)
    assert service.is_finished(task.status)


def test_a_canceled_task_keeps_the_progress_it_made(rows: Rows) -> None:
    task = _running(rows, rows.task(), "mine")
    service.beat(rows.session, task.id, "mine", now=NOW, progress=30, text="")
    assert service.finish(
        rows.session, task.id, "mine", status=TaskStatus.CANCELED, error="canceled", now=NOW + 1
    )
    assert rows.fresh(task).progress == 30


# ---- requeue ------------------------------------------------------------------------------


def test_requeue_retries_after_the_delay_until_the_last_attempt_fails(rows: Rows) -> None:
    plan = rows.plan(
        rows.org(),
        settings={"advancedOptions": {"maxTaskRetriesCount": 1, "taskRetriesFrequency": 2000}},
    )
    task = _running(rows, rows.task(plan=plan), "one")
    assert service.requeue(rows.session, task, claim_token="one", now=NOW, why="timeout") == (
        "retried"
    )
    task = rows.fresh(task)
    assert (task.status, task.claim, task.error) == (TaskStatus.QUEUED, None, "timeout")
    assert (task.not_before, task.dispatched_at) == (NOW + 2000, 0)
    assert not service.claim(rows.session, task.id, "two", now=NOW + 1999, concurrency=5)

    task = _running(rows, task, "two", at=NOW + 2000)
    assert task.attempt == 2
    assert service.requeue(rows.session, task, claim_token="two", now=NOW + 3000, why="again") == (
        "failed"
    )
    task = rows.fresh(task)
    assert (task.status, task.finished_at, task.error) == (TaskStatus.FAILED, NOW + 3000, "again")
    assert _logs(rows, task)[1:] == [
        ("warning", "attempt 1 of 2 failed: timeout; retrying in 2 s"),
        ("error", "failed after 2 attempt(s): again"),
    ]


def test_requeue_of_a_claim_taken_back_meanwhile_is_lost(rows: Rows) -> None:
    task = _running(rows, rows.task(), "old")
    # The reconciler took it back and another worker claimed it.
    assert service.requeue(rows.session, task, claim_token="old", now=NOW, why="stale") == (
        "retried"
    )
    task = _running(rows, task, "new", at=NOW + task.retry_delay_ms)
    assert service.requeue(rows.session, task, claim_token="old", now=NOW, why="late") == "lost"
    task = rows.fresh(task)
    assert (task.status, task.claim, task.error) == (TaskStatus.RUNNING, "new", None)


def test_requeue_of_a_task_asked_to_cancel_cancels_it(rows: Rows) -> None:
    task = _running(rows, rows.task(), "mine")
    service.request_cancel(rows.session, [task.id], now=NOW)
    task = rows.fresh(task)
    assert task.attempt < task.max_attempts  # attempts left, yet no retry
    assert service.requeue(rows.session, task, claim_token="mine", now=NOW + 1, why="killed") == (
        "failed"
    )
    assert rows.fresh(task).status == TaskStatus.CANCELED


# ---- cancel, windows ----------------------------------------------------------------------


def test_cancel_ends_queued_tasks_and_asks_running_ones_to_stop(rows: Rows) -> None:
    queued, running, done = rows.task(), rows.task(), rows.task()
    _running(rows, running)
    _running(rows, done, "d")
    service.finish(rows.session, done.id, "d", status=TaskStatus.SUCCEEDED, error=None, now=NOW)
    assert service.request_cancel(rows.session, [queued.id, running.id, done.id], now=NOW + 1) == (
        [queued.id],
        [running.id],
    )
    queued, running, done = rows.fresh(queued), rows.fresh(running), rows.fresh(done)
    assert (queued.status, queued.finished_at) == (TaskStatus.CANCELED, NOW + 1)
    assert (running.status, running.cancel_requested) == (TaskStatus.RUNNING, True)
    assert (done.status, done.cancel_requested) == (TaskStatus.SUCCEEDED, False)
    assert service.request_cancel(rows.session, [], now=NOW) == ([], [])


def test_defer_only_moves_a_queued_task_later(rows: Rows) -> None:
    task = rows.task(not_before=NOW)
    service.defer(rows.session, task.id, until=NOW - 1000)
    assert rows.fresh(task).not_before == NOW
    service.defer(rows.session, task.id, until=NOW + 1000)
    assert rows.fresh(task).not_before == NOW + 1000
    assert _logs(rows, task)[-1] == ("info", "waiting for the plan's backup window to open")
    assert len(_logs(rows, task)) == 2


def test_not_started_ends_only_a_queued_task(rows: Rows) -> None:
    queued, running = rows.task(), rows.task()
    _running(rows, running)
    assert service.not_started(rows.session, queued.id, now=NOW, why="window closed")
    assert not service.not_started(rows.session, running.id, now=NOW, why="window closed")
    queued = rows.fresh(queued)
    assert (queued.status, queued.error, queued.finished_at) == (
        TaskStatus.NOT_STARTED,
        "window closed",
        NOW,
    )
    assert rows.fresh(running).status == TaskStatus.RUNNING


# ---- sync and removal tasks ---------------------------------------------------------------


def test_a_sync_task_runs_on_the_organizations_worker_else_the_fallback(rows: Rows) -> None:
    own = rows.worker()
    with_worker, without = rows.org(default_worker=own), rows.org()
    task = service.queue_sync(rows.session, with_worker.id, fallback_worker=rows.embedded)
    assert task is not None
    assert (task.kind, task.worker_id, task.organization_id) == ("sync", own, with_worker.id)
    fallback = service.queue_sync(rows.session, without.id, fallback_worker=rows.embedded)
    assert fallback is not None
    assert fallback.worker_id == rows.embedded
    assert service.queue_sync(rows.session, without.id, fallback_worker=None) is None
    assert service.queue_sync(rows.session, "no-such-org", fallback_worker=rows.embedded) is None


def test_a_removal_task_holds_the_repository_and_wiki_ids(rows: Rows) -> None:
    task = service.queue_removal(
        rows.session, repository_ids=["r1", "r2"], wiki_ids=["w1"], worker_id=rows.embedded
    )
    assert (task.kind, task.status, task.worker_id) == ("remove", TaskStatus.QUEUED, rows.embedded)
    assert task.params == {"repositoryIds": ["r1", "r2"], "wikiIds": ["w1"]}
    assert (task.plan_id, task.repository_id) == (None, None)
