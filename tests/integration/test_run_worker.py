"""A server started with `REPOVAULT_RUN_WORKER=false` (an API replica of the scale-out shape)
runs no worker: it registers none, and never makes one look online."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from repovault.app import create_app
from repovault.config import Settings
from repovault.runtime import build_runtime
from repovault.workers.models import Worker
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api


def _serve(settings: Settings) -> tuple[list[dict[str, object]], list[str]]:
    """Start the app, let its task loop pass, and return /workers/getmany and the rows."""
    runtime = build_runtime(settings)
    try:
        with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
            api = Api(client)
            api.token = api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            app = client.app
            app.state.tasks.tick()  # type: ignore[attr-defined]
            listed = api.ok("/workers/getmany", {"limit": 100})["result"]
        with runtime.db.session() as session:
            names = list(session.scalars(select(Worker.name)))
    finally:
        runtime.close()
    return listed, names


def test_no_embedded_worker_without_run_worker(settings: Settings) -> None:
    listed, names = _serve(settings.model_copy(update={"run_worker": False}))
    assert names == []
    assert listed == []


def test_an_old_embedded_row_is_not_revived(settings: Settings) -> None:
    # The server ran its worker once; started again as an API replica, the row stays offline.
    _serve(settings)
    runtime = build_runtime(settings)
    with runtime.db.session(write=True) as session:
        session.execute(update(Worker).values(last_seen=1))
    runtime.close()
    listed, names = _serve(settings.model_copy(update={"run_worker": False}))
    assert names == ["embedded"]
    assert [(w["name"], w["isOnline"]) for w in listed] == [("embedded", False)]
