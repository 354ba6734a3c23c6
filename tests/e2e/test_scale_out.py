"""The scale-out shape: PostgreSQL + RabbitMQ (or Redis), the API and coordinator in this
process, and two `repovault worker --id` processes that each take only their own queue."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from repovault.app import create_app
from repovault.common.clock import now_ms
from repovault.config import Settings
from repovault.runtime import build_runtime
from repovault.tasks.dispatch import queue_of
from repovault.tasks.models import Task
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, _truncate
from tests.e2e.flow import (
    held_after_snapshot,
    make_sources,
    organization_with_plan,
    refs_and_objects,
    wait_tasks,
)
from tests.providers.fake_platforms import Platforms

BROKERS = {
    "rabbitmq": ("REPOVAULT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F", 5672),
    "redis": ("REPOVAULT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0", 6379),
}
SECRET = "scale-out-test-secret-key-0123456789"


def _reachable(url: str, port: int) -> bool:
    host = "127.0.0.1"
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(params=sorted(BROKERS))
def broker_url(request: pytest.FixtureRequest) -> str:
    variable, default, port = BROKERS[request.param]
    url = os.environ.get(variable, default)
    if not _reachable(url, port):
        pytest.skip(f"{request.param} not reachable at {url} (set {variable})")
    return url


@dataclasses.dataclass
class Cluster:
    api: Api
    settings: Settings
    tmp: Path
    processes: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)

    def start_worker(self, name: str) -> None:
        since = now_ms()
        env = {
            **os.environ,
            "REPOVAULT_DATABASE_URL": self.settings.database_url,
            "REPOVAULT_BROKER_URL": self.settings.broker_url,
            "REPOVAULT_SECRET_KEY": SECRET,
            "REPOVAULT_DATA_DIR": str(self.tmp / f"worker-{name}"),
            "REPOVAULT_RESTORE_ROOTS": str(self.tmp),
            "REPOVAULT_TASK_HEARTBEAT_SECONDS": "0.2",
            "REPOVAULT_WORKER_POLL_MS": "50",
            "REPOVAULT_WORKER_THREADS": "2",
        }
        with (self.tmp / f"worker-{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "repovault", "worker", "--id", name],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not self.worker_id(name, seen_since=since):
            assert self.processes[name].poll() is None, self.log(name)
            assert time.monotonic() < deadline, f"worker {name} did not register"
            time.sleep(0.1)

    def worker_id(self, name: str, *, seen_since: int = 0) -> str | None:
        for row in self.api.ok("/workers/getmany", {"limit": 100})["result"]:
            if row["name"] == name and row["lastSeen"] >= seen_since:
                return str(row["id"])
        return None

    def stop_worker(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(30)

    def log(self, name: str) -> str:
        return (self.tmp / f"worker-{name}.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def cluster(
    broker_url: str, postgres_url: str, tmp_path: Path, platforms: Platforms
) -> Iterator[Cluster]:
    _truncate(postgres_url)
    settings = Settings(
        data_dir=tmp_path / "server",
        database_url=postgres_url,
        broker_url=broker_url,
        secret_key=SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        password_time_cost=1,
        password_memory_kib=64,
        sync_interval_minutes=0,
        run_worker=False,  # the API replica: workers are separate processes
        restore_roots=[tmp_path],
        task_stale_seconds=3,
        task_heartbeat_seconds=0.2,
        worker_poll_ms=20,
        scheduler_seconds=0.5,
    )
    built = build_runtime(settings)
    built.http.close()
    runtime = dataclasses.replace(built, http=platforms.client())
    app = create_app(runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client)
        api.token = api.login()
        found = Cluster(api, settings, tmp_path)
        try:
            yield found
        finally:
            for name in list(found.processes):
                found.stop_worker(name, signal.SIGKILL)
            workers = api.ok("/workers/getmany", {"limit": 100})["result"]
    runtime.close()
    _delete_queues(broker_url, [queue_of(w["id"]) for w in workers])


def _delete_queues(url: str, queues: list[str]) -> None:
    """RabbitMQ keeps durable queues after the test; this run's are removed."""
    if not url.startswith("amqp"):
        return
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in queues:
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            channel.queue_delete(name)
    connection.close()


def _claims(cluster: Cluster, plan_id: str) -> set[str]:
    runtime = cluster.api.client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.db.session() as session:
        claims = session.scalars(select(Task.claim).where(Task.plan_id == plan_id)).all()
    return {(claim or "").split("@")[0] for claim in claims}


def test_two_workers_each_run_only_their_plans(cluster: Cluster) -> None:
    api, tmp = cluster.api, cluster.tmp
    cluster.start_worker("alpha")
    cluster.start_worker("beta")
    alpha, beta = cluster.worker_id("alpha"), cluster.worker_id("beta")
    assert alpha
    assert beta
    sources = make_sources(tmp / "git", ("app", "lib"))
    org, repos, plan_a = organization_with_plan(api, tmp / "git", worker_id=alpha)
    plan_b = api.ok(
        "/plans/creategitplan",
        {"name": "beta plan", "organizationId": org, "gitChoiceMode": 1, "workerId": beta},
    )["id"]

    for plan in (plan_a, plan_b):
        tasks = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
        assert [t["status"] for t in tasks] == [1, 1], [t["logs"] for t in tasks]
    assert _claims(cluster, plan_a) == {"alpha"}
    assert _claims(cluster, plan_b) == {"beta"}

    # With alpha stopped, its plan waits: beta never takes alpha's queue.
    cluster.stop_worker("alpha")
    waiting = api.ok("/plans/run", {"id": plan_a, "kind": 1})["taskIds"]
    time.sleep(3)
    assert {api.ok("/tasks/get", {"id": t})["status"] for t in waiting} == {6}
    cluster.start_worker("alpha")
    assert [t["status"] for t in wait_tasks(api, waiting)] == [1, 1]
    assert _claims(cluster, plan_a) == {"alpha"}

    target = tmp / "restored.git"
    restore = api.ok(
        "/git/repositories/restore",
        {"id": repos["team/lib"], "target": {"kind": "directory", "path": str(target)}},
    )
    assert wait_tasks(api, [restore["taskId"]])[0]["status"] == 1
    assert refs_and_objects(target) == refs_and_objects(sources["team/lib"])


def test_a_killed_worker_task_is_retried_and_nothing_is_duplicated(cluster: Cluster) -> None:
    api, tmp = cluster.api, cluster.tmp
    cluster.start_worker("alpha")
    alpha = cluster.worker_id("alpha")
    sources = make_sources(tmp / "git", ("app",))
    actions, started, release = held_after_snapshot(tmp)
    _org, repos, plan = organization_with_plan(
        api,
        tmp / "git",
        worker_id=alpha,
        customActions=actions,
        advancedOptions={"maxTaskRetriesCount": "2", "taskRetriesFrequency": "0"},
    )
    (task_id,) = api.ok("/plans/run", {"id": plan})["taskIds"]
    deadline = time.monotonic() + 60
    while not started.exists():  # the snapshot is written; the task is not finished
        assert time.monotonic() < deadline, cluster.log("alpha")
        time.sleep(0.05)
    assert api.ok("/tasks/get", {"id": task_id})["status"] == 5
    cluster.stop_worker("alpha", signal.SIGKILL)
    release.touch()  # lets the orphaned action end
    cluster.start_worker("alpha")
    (task,) = wait_tasks(api, [task_id], timeout=60)
    assert task["status"] == 1, task["logs"]
    assert task["attempt"] == 2
    assert any(
        "worker process is gone" in line["message"] or "stopped responding" in line["message"]
        for line in task["logs"]
    ), task["logs"]
    snapshots = api.ok("/git/repositories/snapshots", {"id": repos["team/app"]})
    assert snapshots["totalEntries"] == 1  # the retry found it unchanged: nothing twice
    target = tmp / "restored.git"
    restore = api.ok(
        "/git/repositories/restore",
        {"id": repos["team/app"], "target": {"kind": "directory", "path": str(target)}},
    )
    assert wait_tasks(api, [restore["taskId"]])[0]["status"] == 1
    assert refs_and_objects(target) == refs_and_objects(sources["team/app"])
