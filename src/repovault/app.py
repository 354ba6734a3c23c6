"""Builds the FastAPI application: runtime, routes, error handling, start-up."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

import structlog
import uvicorn
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from repovault import __version__, bootstrap, console, migrate
from repovault.accounts.routes import calls as account_calls
from repovault.api import apidocs, downloads, errors, observability
from repovault.api.calls import mount
from repovault.api.compat import PathFolding
from repovault.api.proxies import ForwardedFor
from repovault.audit.routes import calls as audit_calls
from repovault.config import Settings
from repovault.organizations import sync
from repovault.organizations.routes import calls as organization_calls
from repovault.plans.routes import calls as plan_calls
from repovault.repositories.routes import calls as repository_calls
from repovault.runner.loop import TaskSystem
from repovault.runtime import Runtime, build_runtime
from repovault.storages.routes import calls as storage_calls
from repovault.tasks.routes import calls as task_calls
from repovault.workers.routes import calls as worker_calls

log = structlog.get_logger(__name__)

# Every call of the API, by domain (mounted together; the tests walk the same list).
CALLS = (
    account_calls,
    organization_calls,
    repository_calls,
    plan_calls,
    storage_calls,
    worker_calls,
    task_calls,
    audit_calls,
)


def prepare(runtime: Runtime) -> None:
    """Migrate, then create what a fresh install needs. Safe to run on every start."""
    migrate.upgrade(runtime.db.engine)
    with runtime.db.session(write=True) as session:
        bootstrap.bootstrap(session, runtime)
    sync.clear_stale_flags(runtime)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings or Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare(runtime)
        system = TaskSystem(runtime, worker=runtime.settings.run_worker, coordinator=True)
        system.start()
        app.state.tasks = system
        # What start-up built lives as long as the server: out of the collector's sight, so
        # a full collection (which stops every call) scans only what requests create.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await run_in_threadpool(system.stop)

    app = FastAPI(
        title="repovault management API",
        version=__version__,
        description="Xopero ONE DevOps compatible management API. Every call is POST + JSON.",
        lifespan=lifespan,
        docs_url=None,  # served by apidocs: from this server, never a CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    errors.install(app)
    apidocs.install(app)
    observability.install(app, runtime)
    mount(app, *CALLS)
    downloads.install(app)
    console.install(app, runtime)
    app.add_middleware(PathFolding)
    app.add_middleware(observability.RequestIds)
    # Outermost: every layer inside, request logs included, sees the client's address.
    app.add_middleware(ForwardedFor, trusted=lambda: runtime.settings.trusted_proxies)
    return app


def server_config(app: FastAPI, settings: Settings, **overrides: object) -> uvicorn.Config:
    """How `repovault serve` runs the app under uvicorn. uvicorn's own proxy handling is
    off (by default it believes X-Forwarded-For from 127.0.0.1): `ForwardedFor` decides,
    from `REPOVAULT_TRUSTED_PROXIES`. Its "auto" HTTP parser and event loop are httptools
    and uvloop, both dependencies (h11 and asyncio only where they cannot be installed)."""
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "proxy_headers": False,
        **overrides,
    }
    return uvicorn.Config(app, **options)  # type: ignore[arg-type]
