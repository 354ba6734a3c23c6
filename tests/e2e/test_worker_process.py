"""`repovault serve` on the embedded default runs its worker in a child process
(`REPOVAULT_WORKER_MODE=process`): a real server on loopback, its child, and kill -9."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.flow import (
    held_after_snapshot,
    make_sources,
    organization_with_plan,
    refs_and_objects,
    wait_tasks,
)

CHILD = "repovault.runner.child"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The worker processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and CHILD.encode() in cmdline and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _until(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return found


@dataclasses.dataclass
class Server:
    process: subprocess.Popen[bytes]
    client: httpx.Client
    data: Path
    log: Path
    token: str = ""

    def ok(self, path: str, body: Any = None, **_: Any) -> Any:
        reply = self.client.post(
            path, json=body if body is not None else {}, headers={"Authorization": self.token}
        )
        assert reply.status_code == 200, (path, reply.status_code, reply.text, self.tail())
        return reply.json() if reply.content else None

    def worker(self) -> int:
        """The pid of the server's one worker process (waits for it)."""
        pids = _until("no worker process", lambda: _children(self.process.pid))
        assert len(pids) == 1, pids
        return int(pids[0])

    def claims(self, task_id: str) -> str:
        with sqlite3.connect(self.data / "repovault.db") as db:
            row = db.execute("SELECT claim FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return str(row[0] or "")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "REPOVAULT_DATA_DIR": str(tmp_path / "data"),
        "REPOVAULT_PORT": str(port),
        "REPOVAULT_ADMIN_EMAIL": ADMIN_EMAIL,
        "REPOVAULT_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "REPOVAULT_PASSWORD_TIME_COST": "1",
        "REPOVAULT_PASSWORD_MEMORY_KIB": "64",
        "REPOVAULT_SYNC_INTERVAL_MINUTES": "0",
        "REPOVAULT_WORKER_MODE": "process",
        "REPOVAULT_WORKER_THREADS": "2",
        "REPOVAULT_WORKER_POLL_MS": "20",
        "REPOVAULT_TASK_HEARTBEAT_SECONDS": "0.2",
        "REPOVAULT_SCHEDULER_SECONDS": "0.5",
        "REPOVAULT_RESTORE_ROOTS": str(tmp_path),
    }
    log = tmp_path / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "repovault", "serve"], env=env, stdout=out, stderr=out
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    found = Server(process, client, tmp_path / "data", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, found.tail()
            assert time.monotonic() < deadline, found.tail()
            try:
                reply = client.post(
                    "/account/login",
                    json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "rememberMe": True},
                )
                found.token = f"Bearer {reply.json()['accessToken']}"
                break
            except (httpx.HTTPError, KeyError, ValueError):
                time.sleep(0.2)
        yield found
    finally:
        client.close()
        children = _children(process.pid)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in children:  # never leave one behind, even when a test failed
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _online(server: Server) -> bool:
    rows = server.ok("/workers/getmany", {"limit": 10})["result"]
    return [(w["name"], w["isOnline"]) for w in rows] == [("embedded", True)]


def test_the_worker_runs_in_a_child_process_and_backs_up(server: Server, tmp_path: Path) -> None:
    child = server.worker()
    assert child != server.process.pid
    _until("the worker never came online", lambda: _online(server))
    # Backups yield the CPU to the API: the child (and the git commands it starts) runs at a
    # lower priority than the server (REPOVAULT_WORKER_NICE, default 10).
    server_nice = os.getpriority(os.PRIO_PROCESS, server.process.pid)
    assert os.getpriority(os.PRIO_PROCESS, child) == min(server_nice + 10, 19)
    autogroup = Path(f"/proc/{child}/autogroup")  # Linux: the child's session is its own
    if autogroup.exists():
        assert autogroup.read_text().split()[-1] == "10"
    sources = make_sources(tmp_path / "git", ("app", "lib"))
    _org, repos, plan = organization_with_plan(server, tmp_path / "git")
    task_ids = server.ok("/plans/run", {"id": plan})["taskIds"]
    tasks = wait_tasks(server, task_ids)
    assert [t["status"] for t in tasks] == [1, 1], [t["logs"] for t in tasks]
    for task_id in task_ids:  # claimed by the child, not by the server
        assert f":{child}:" in server.claims(task_id)
    target = tmp_path / "restored.git"
    restore = server.ok(
        "/git/repositories/restore",
        {"id": repos["team/app"], "target": {"kind": "directory", "path": str(target)}},
    )
    assert wait_tasks(server, [restore["taskId"]])[0]["status"] == 1
    assert refs_and_objects(target) == refs_and_objects(sources["team/app"])

    # A clean stop takes the child with it.
    server.process.terminate()
    assert server.process.wait(30) in (0, -signal.SIGTERM), server.tail()  # uvicorn re-raises it
    _until("the worker process outlived a clean stop", lambda: not _alive(child), 30)
    assert "worker process stopped" in server.log.read_text()


def test_a_killed_worker_process_is_restarted_and_its_task_retried(
    server: Server, tmp_path: Path
) -> None:
    first = server.worker()
    make_sources(tmp_path / "git", ("app",))
    actions, started, release = held_after_snapshot(tmp_path)
    _org, repos, plan = organization_with_plan(
        server,
        tmp_path / "git",
        customActions=actions,
        advancedOptions={"maxTaskRetriesCount": "2", "taskRetriesFrequency": "0"},
    )
    (task_id,) = server.ok("/plans/run", {"id": plan})["taskIds"]
    _until("the backup never reached its action", started.exists)
    assert server.ok("/tasks/get", {"id": task_id})["status"] == 5
    assert f":{first}:" in server.claims(task_id)
    os.kill(first, signal.SIGKILL)
    release.touch()  # lets the orphaned action end
    second = _until(
        "the worker process was not restarted",
        lambda: [p for p in _children(server.process.pid) if p != first],
    )[0]
    (task,) = wait_tasks(server, [task_id], timeout=90)
    assert task["status"] == 1, task["logs"]
    assert task["attempt"] == 2
    assert f":{second}:" in server.claims(task_id)
    assert any("worker process is gone" in line["message"] for line in task["logs"]), task
    assert server.ok("/git/repositories/snapshots", {"id": repos["team/app"]})["totalEntries"] == 1
    assert "worker process exited: restarting it" in server.log.read_text()


def test_killing_the_server_leaves_no_worker_process(server: Server) -> None:
    child = server.worker()
    _until("the worker never came online", lambda: _online(server))
    server.process.kill()
    server.process.wait(10)
    _until("the worker process outlived its server", lambda: not _alive(child), 15)
