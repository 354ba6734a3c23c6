"""What operators watch: `/metrics` (Prometheus), `/healthz`, `/readyz`, and request ids.

Metrics are read from the database at each scrape, so one API server reports the work of
every worker process, wherever it runs:

    repovault_tasks{kind,status}                     tasks created in the last 24 hours
    repovault_tasks_open{kind,status}                queued and running tasks
    repovault_task_duration_seconds_{sum,count}{kind} finished in the last 24 hours
    repovault_bytes_stored_24h, repovault_bytes_transferred_24h   by backups of the last 24 h
    repovault_rate_limit_pauses_24h                  platform rate-limit pauses, last 24 h
    repovault_repository_last_success_age_seconds{repository_id,organization_id,name}
                                                     per protected repository backed up once
    repovault_repositories{state}                    protected, never backed up, removed
    repovault_workers{online}                        worker records by heartbeat

`REPOVAULT_METRICS_TOKEN`, when set, must come as a Bearer token. `/healthz` says the process
answers; `/readyz` says it can work: the database answers and is migrated.
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Iterator
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repovault import migrate
from repovault.api.errors import problem
from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from repovault.tasks.models import STATUS_NAMES, Task
from repovault.workers.models import ONLINE_WITHIN_MS, Worker

DAY_MS = 86_400_000


class DatabaseCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = now_ms()
        since = now - DAY_MS
        with self.runtime.db.session() as session:
            recent = session.execute(
                select(Task.kind, Task.status, func.count())
                .where(Task.created_at >= since)
                .group_by(Task.kind, Task.status)
            ).all()
            open_tasks = session.execute(
                select(Task.kind, Task.status, func.count())
                .where(Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING)))
                .group_by(Task.kind, Task.status)
            ).all()
            durations = session.execute(
                select(Task.kind, func.sum(Task.finished_at - Task.started_at), func.count())
                .where(Task.finished_at >= since, Task.started_at > 0)
                .group_by(Task.kind)
            ).all()
            moved = session.execute(
                select(
                    func.coalesce(func.sum(Task.bytes_stored), 0),
                    func.coalesce(func.sum(Task.bytes_transferred), 0),
                    func.coalesce(func.sum(Task.pauses), 0),
                ).where(Task.finished_at >= since)
            ).one()
            protected = ~Repository.is_removed & Repository.licence_active
            ages = session.execute(
                select(
                    Repository.id,
                    Repository.organization_id,
                    Repository.name,
                    Repository.last_successful_backup,
                ).where(protected, Repository.last_successful_backup > 0)
            ).all()
            counts = session.execute(
                select(
                    func.count().filter(protected),
                    func.count().filter(protected & (Repository.last_successful_backup == 0)),
                    func.count().filter(Repository.is_removed),
                )
            ).one()
            workers = session.scalars(select(Worker.last_seen)).all()

        yield _labelled(
            "repovault_tasks", "Tasks created in the last 24 hours", ["kind", "status"], recent
        )
        yield _labelled(
            "repovault_tasks_open", "Queued and running tasks", ["kind", "status"], open_tasks
        )
        total = GaugeMetricFamily(
            "repovault_task_duration_seconds_sum",
            "Run time of the tasks finished in the last 24 hours",
            labels=["kind"],
        )
        count = GaugeMetricFamily(
            "repovault_task_duration_seconds_count",
            "Tasks finished in the last 24 hours",
            labels=["kind"],
        )
        for kind, milliseconds, n in durations:
            total.add_metric([kind], (milliseconds or 0) / 1000)
            count.add_metric([kind], n)
        yield total
        yield count
        for name, doc, value in (
            ("repovault_bytes_stored_24h", "Bytes new snapshots stored, last 24 h", moved[0]),
            ("repovault_bytes_transferred_24h", "Bytes backups fetched, last 24 h", moved[1]),
            ("repovault_rate_limit_pauses_24h", "Platform rate-limit pauses, last 24 h", moved[2]),
        ):
            yield GaugeMetricFamily(name, doc, value=value)
        age = GaugeMetricFamily(
            "repovault_repository_last_success_age_seconds",
            "Seconds since each protected repository's last successful backup",
            labels=["repository_id", "organization_id", "name"],
        )
        for repository_id, organization_id, name, last in ages:
            age.add_metric([repository_id, organization_id, name], (now - last) / 1000)
        yield age
        repositories = GaugeMetricFamily(
            "repovault_repositories", "Repositories by state", labels=["state"]
        )
        for state, value in zip(("protected", "never_backed_up", "removed"), counts, strict=True):
            repositories.add_metric([state], value)
        yield repositories
        online = sum(1 for seen in workers if now - seen < ONLINE_WITHIN_MS)
        worker_family = GaugeMetricFamily("repovault_workers", "Workers", labels=["online"])
        worker_family.add_metric(["true"], online)
        worker_family.add_metric(["false"], len(workers) - online)
        yield worker_family


def _labelled(name: str, doc: str, labels: list[str], rows: Any) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for kind, status, n in rows:
        family.add_metric([kind, STATUS_NAMES.get(status, str(status))], n)
    return family


def ready(runtime: Runtime) -> str | None:
    """None when the server can work, else why not."""
    try:
        with runtime.db.session() as session:
            session.execute(text("SELECT 1"))
        if not migrate.is_current(runtime.db.engine):
            return "the database is not at the newest migration"
    except Exception as exc:
        return f"the database does not answer: {exc}"
    return None


def install(app: FastAPI, runtime: Runtime) -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(runtime))

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        expected = runtime.settings.metrics_token
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if expected and not hmac.compare_digest(given.encode(), expected.encode()):
            return problem(
                401, "Unauthorized", "a metrics token is required", codes.BAD_CREDENTIALS
            )
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        why = await run_in_threadpool(ready, runtime)
        if why is not None:
            structlog.get_logger(__name__).error("not ready", reason=why)
            return problem(503, "Not ready", why, codes.NOT_READY)
        return JSONResponse({"status": "ready"})


class RequestIds:
    """Every request gets an id (the client's `X-Request-ID`, or a new one), bound to each
    log line written while it runs and echoed in the response, with its duration logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("repovault.requests")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:100]
        request_id = given if given.isprintable() and given else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, sending)
            finally:
                self.log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
