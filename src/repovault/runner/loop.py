"""The task system of one process: the scheduler loop, the reconciler and the worker.

`repovault serve` (and `make serve`) runs all three: a loop that every few seconds (or at
once when the API queues something) creates the runs of due plans and due synchronizations,
reclaims stale tasks and sends due tasks to their worker's queue; and the `embedded` worker,
a Dramatiq worker on its own queue that records its heartbeat. By default that worker runs
in a child process (runner/process.py; `REPOVAULT_WORKER_MODE=thread` keeps it on threads of
the server). `repovault worker --id W` runs only the worker part for W.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog
from sqlalchemy.orm import Session

from repovault.audit import service as audit
from repovault.common.clock import now_ms
from repovault.notifications import notify
from repovault.organizations.sync import due_organizations
from repovault.plans import runs, scheduler
from repovault.runner import jobs
from repovault.runner.execute import Completion, execute
from repovault.runner.process import ServerLink, WorkerProcess
from repovault.runtime import Runtime
from repovault.tasks import reconciler, service
from repovault.tasks.dispatch import Dispatcher
from repovault.tasks.models import Task
from repovault.workers.models import Worker
from repovault.workers.service import ensure_worker, worker_by_name

log = structlog.get_logger(__name__)


class TaskSystem:
    """`worker`: this server runs its worker (`REPOVAULT_WORKER_ID`); `coordinator`: it
    schedules, reconciles and dispatches. A coordinator's worker runs in a child process
    when `mode` (default `REPOVAULT_WORKER_MODE`) is `process` (runner/process.py), else on
    threads of this process. `server` is given in that child: its link to the coordinator."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        worker: bool,
        coordinator: bool,
        mode: str | None = None,
        server: ServerLink | None = None,
    ) -> None:
        self.runtime = runtime
        self.worker = worker  # this worker's queue is consumed (here or in the child)
        self.coordinator = coordinator  # schedule, reconcile, dispatch
        self.mode = mode or runtime.settings.worker_mode
        self.server = server
        self.worker_name = runtime.settings.worker_id
        self.process: WorkerProcess | None = None
        if worker and coordinator and self.mode == "process":
            self.process = WorkerProcess(runtime, on_change=runtime.wake.set)
        self.local_worker = worker and self.process is None  # Dramatiq threads here
        self.dispatcher = Dispatcher(
            runtime.settings.broker_url, run=self.run_task if self.local_worker else None
        )
        self.started_at = now_ms()
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self.worker_row_id: str | None = None

    # ---- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        with self.runtime.db.session(write=True) as session:
            row: Worker | None
            if self.worker:
                # A child process beats for itself: the row is online only while it runs.
                row = ensure_worker(session, self.worker_name, beat=self.local_worker)
            else:  # no worker here: never register one, nor make an old row look online
                row = worker_by_name(session, self.worker_name)
            self.worker_row_id = row.id if row is not None else None
        if self.local_worker:
            assert self.worker_row_id is not None
            self.dispatcher.start_worker(
                self.worker_row_id,
                threads=self.runtime.settings.worker_threads,
                poll_ms=self.runtime.settings.worker_poll_ms,
            )
        self.runtime.wake.clear()
        if self.process is not None:
            self.process.start()
        self._loop = threading.Thread(target=self._run_loop, name="repovault-tasks", daemon=True)
        self._loop.start()
        log.info(
            "task system started",
            worker=self.worker_name if self.worker else None,
            worker_pid=self.process.pid if self.process is not None else None,
            coordinator=self.coordinator,
            broker=self.dispatcher.kind,
        )

    def stop(self) -> None:
        self._stop.set()
        self.runtime.wake.set()
        if self._loop is not None:
            self._loop.join(30)
        if self.process is not None:
            self.process.stop()
        self.dispatcher.stop()

    def _run_loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            woken = self.runtime.wake.wait(self._pause())
            self.runtime.wake.clear()
            if woken and self.server is not None and not self._stop.is_set():
                self.server.wake()  # in a worker child: the coordinator's loop plans it

    def _pause(self) -> float:
        """Until the next pass: the scheduler interval, or less when a retry or a due plan
        comes sooner."""
        interval = self.runtime.settings.scheduler_seconds
        if not self.coordinator:
            return interval
        try:
            with self.runtime.db.session() as session:
                soonest = reconciler.next_wakeup(session)
        except Exception as exc:
            log.warning("next wake-up unknown", error=str(exc))
            return interval
        if soonest is None:
            return interval
        return min(interval, max((soonest - now_ms()) / 1000, 0.05))

    def tick(self) -> None:
        """One pass; each step's failure is logged and the next pass tries again."""
        steps: list[tuple[str, Callable[[], object]]] = (
            [("heartbeat", self._beat)] if self.local_worker else []
        )
        if self.coordinator:
            steps += [
                ("scheduler", self.schedule),
                ("reconciler", self.reconcile),
                ("dispatch", self.dispatch_ready),
            ]
        for name, step in steps:
            try:
                step()
            except Exception as exc:
                log.error(f"{name} pass failed", error=str(exc), exc_info=True)

    # ---- the steps -----------------------------------------------------------------------

    def _beat(self) -> None:
        with self.runtime.db.session(write=True) as session:
            ensure_worker(session, self.worker_name)

    def schedule(self) -> None:
        now = now_ms()
        settings = self.runtime.settings
        with self.runtime.db.session(write=True) as session:
            scheduler.start_due(session, now=now, zone=settings.zone)
            for organization_id in due_organizations(session, settings, now=now):
                service.queue_sync(session, organization_id, fallback_worker=self.worker_row_id)

    def reconcile(self) -> None:
        with self.runtime.db.session(write=True) as session:
            ended = reconciler.reclaim_stale(
                session,
                now=now_ms(),
                stale_ms=int(self.runtime.settings.task_stale_seconds * 1000),
            )
            summaries = [self.record_finished(session, task) for task in ended]
            for task in ended:
                session.expunge(task)
            forgotten = reconciler.forget_old(
                session, now=now_ms(), keep_days=self.runtime.settings.task_history_days
            )
            audit.forget_old(session, now=now_ms(), keep_days=self.runtime.settings.audit_days)
        if forgotten:
            log.info("old tasks forgotten", tasks=forgotten)
        for task, summary in zip(ended, summaries, strict=True):
            self.after_finished(task, summary)

    def dispatch_ready(self) -> None:
        now = now_ms()
        resend_before = now - reconciler.RESEND_AFTER_MS
        child = self.process if self.dispatcher.in_process else None
        if self.dispatcher.in_process:
            # What an in-memory queue held before it started (this process, or the current
            # worker child) was lost with it.
            resend_before = max(resend_before, child.since if child else self.started_at)
        with self.runtime.db.session(write=True) as session:
            chosen = reconciler.ready(session, now=now, resend_before=resend_before)
        for task_id, worker_id in chosen:
            if child is not None and worker_id == self.worker_row_id:
                child.send(task_id)
            else:
                self.dispatcher.send(task_id, worker_id)

    # ---- the worker ----------------------------------------------------------------------

    def run_task(self, task_id: str) -> None:
        execute(
            self.runtime,
            task_id,
            worker_name=self.worker_name,
            jobs=jobs.JOBS,
            guards=jobs.GUARDS,
            completion=Completion(record=self.record_finished, after=self.after_finished),
        )

    def record_finished(self, session: Session, task: Task) -> runs.RunSummary | None:
        return runs.task_ended(session, task, now=now_ms())

    def after_finished(self, task: Task, summary: object) -> None:
        """Once committed: the run's notifications, and the next tasks of its plan (or of
        its batch: an organization's restores) go out, sent by the worker that freed the
        slot (in the server's worker child too, so the server's process, which answers the
        API, does no work per ended task)."""
        if isinstance(summary, runs.RunSummary):
            failed = notify(self.runtime.settings, self.runtime.http, summary)
            if failed:
                log.error("some notifications were not delivered", recipients=failed)
        if task.plan_id or task.batch_id:
            try:
                self.dispatch_ready()
            except Exception as exc:
                log.error("dispatch after a task failed", error=str(exc))
