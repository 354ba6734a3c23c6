"""Issue 12 §3, the kill -9 trial: a restore into a platform run by a real worker process
(`repovault serve`, its worker in a child process) is killed with SIGKILL when the target
has received about half of the creates, the server is restarted, and the task's retry
finishes it: nothing created twice, nothing missing.

Source and target are two fake GitLab servers on 127.0.0.1 (tests/providers/
fake_gitlab_writable.py, `git http-backend` behind each): the source is backed up through the
normal GitLab driver, the target is written by the restore, slowly (each write waits), so
the kill lands in the middle."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.flow import wait_tasks
from tests.e2e.test_worker_process import Server, _alive, _children, _free_port, _until
from tests.providers.fake_gitlab_writable import WritableGitLab

ISSUES = 30
NOTES = 2  # per issue
SOURCE_TOKEN, TARGET_TOKEN = "glpat-source", "glpat-target"


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    return {
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
        "REPOVAULT_TASK_STALE_SECONDS": "3",
        "REPOVAULT_SCHEDULER_SECONDS": "0.5",
    }


def _start(tmp_path: Path, port: int) -> Server:
    log = tmp_path / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "repovault", "serve"],
            env=_env(tmp_path, port),
            stdout=out,
            stderr=out,
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    server = Server(process, client, tmp_path / "data", log)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, server.tail()
        assert time.monotonic() < deadline, server.tail()
        try:
            reply = client.post(
                "/account/login",
                json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "rememberMe": True},
            )
            server.token = f"Bearer {reply.json()['accessToken']}"
            return server
        except (httpx.HTTPError, KeyError, ValueError):
            time.sleep(0.2)


def _stop(server: Server) -> None:
    children = _children(server.process.pid)
    server.client.close()
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(30)
    for pid in children:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def gitlabs(tmp_path: Path) -> Iterator[tuple[WritableGitLab, WritableGitLab]]:
    with (
        WritableGitLab(tmp_path / "source", token=SOURCE_TOKEN, group="team") as source,
        WritableGitLab(tmp_path / "target", token=TARGET_TOKEN, group="acme") as target,
    ):
        _fill(source, tmp_path / "work")
        yield source, target


def _fill(source: WritableGitLab, work: Path) -> None:
    """team/app: two commits on main, ISSUES issues (every third closed, odd ones labelled
    bug), each with NOTES notes."""
    state = source.gitlab
    state.create_project({"name": "app", "path": "app", "namespace_id": 9, "visibility": "private"})
    project = state.state["team/app"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    for n in (1, 2):
        (work / f"f{n}.txt").write_text(str(n))
        subprocess.run(["git", "-C", str(work), "add", "."], check=True)
        who = ["-c", "user.name=t", "-c", "user.email=t@e"]
        subprocess.run(["git", "-C", str(work), *who, "commit", "-qm", f"c{n}"], check=True)
    subprocess.run(["git", "-C", str(work), "push", "-q", str(project.folder), "main"], check=True)
    state.new_labels(project, {"name": "bug", "color": "#d9534f", "description": "Broken"})
    for n in range(1, ISSUES + 1):
        body = {"title": f"Issue {n}", "description": f"The text of issue {n}."}
        issue = state.new_issues(project, {**body, **({"labels": "bug"} if n % 2 else {})})
        issue["created_at"] = f"2024-01-01T10:{n:02d}:00Z"
        if n % 3 == 0:
            issue["state"] = "closed"
        project.notes[("issues", n)] = [
            {
                "id": 10_000 + n * 10 + k,
                "body": f"Note {k} on {n}.",
                "author": {"username": "bob"},
                "created_at": f"2024-01-02T10:{n:02d}:0{k}Z",
                "system": False,
            }
            for k in range(NOTES)
        ]


def _organization(server: Server, gitlab: WritableGitLab, token: str) -> str:
    body = {"driver": 3, "name": gitlab.gitlab.group, "apiUrl": gitlab.api_url, "token": token}
    return str(server.ok("/git/organizations/add", body)["id"])


def _backed_up(server: Server, source: WritableGitLab) -> str:
    """The source organization synchronized, its repository backed up once; its id."""
    org = _organization(server, source, SOURCE_TOKEN)
    server.ok("/git/repositories/sync", {"id": org})
    listed = _until(
        "the source never synchronized",
        lambda: server.ok("/git/repositories/getmany", {"id": org, "limit": 10})["result"][
            "repositories"
        ],
    )
    repository = listed[0]["id"]
    server.ok("/git/repositories/activate", {"ids": [repository]})
    plan = {
        "name": "once",
        "organizationId": org,
        "gitChoiceMode": 1,
        "schedule": {"scheme": 1, "options": []},
    }
    plan_id = server.ok("/plans/creategitplan", plan)["id"]
    tasks = wait_tasks(server, server.ok("/plans/run", {"id": plan_id})["taskIds"])
    assert [t["status"] for t in tasks] == [1], [t["logs"] for t in tasks]
    return str(repository)


def _creates(target: WritableGitLab) -> int:
    return sum(1 for write in list(target.gitlab.writes) if write.startswith("POST"))


def test_a_restore_killed_halfway_is_finished_by_its_retry(
    tmp_path: Path, gitlabs: tuple[WritableGitLab, WritableGitLab]
) -> None:
    source, target = gitlabs
    port = _free_port()
    server = _start(tmp_path, port)
    try:
        repository = _backed_up(server, source)
        target_org = _organization(server, target, TARGET_TOKEN)
        # 1 project, 1 label, ISSUES issues and ISSUES * NOTES notes
        total = 2 + ISSUES * (1 + NOTES)
        target.gitlab.slow = 0.05
        restore = {"kind": "platform", "organizationId": target_org, "name": "app"}
        task_id = server.ok("/git/repositories/restore", {"id": repository, "target": restore})[
            "taskId"
        ]
        with sqlite3.connect(server.data / "repovault.db") as db:  # the retry at once
            db.execute("UPDATE tasks SET retry_delay_ms = 0 WHERE id = ?", (task_id,))
        worker = server.worker()
        _until("the restore never got halfway", lambda: _creates(target) >= total // 2, 120)
        os.kill(worker, signal.SIGKILL)
        killed_at = _creates(target)
        assert killed_at < total, "the restore had finished before the kill"
        print(f"killed after {killed_at} of {total} creates")
        _stop(server)  # the server goes down too, and comes back
        server = _start(tmp_path, port)
        (task,) = wait_tasks(server, [task_id], timeout=180)
        assert task["status"] == 1, (task["logs"], server.tail())
        assert task["attempt"] == 2
        assert any("worker process is gone" in line["message"] for line in task["logs"])
    finally:
        _stop(server)
    _compare(source, target)
    assert _creates(target) == total  # every create made once, across both attempts


def _compare(source: WritableGitLab, target: WritableGitLab) -> None:
    """Item by item, modulo ids and the author line: nothing twice, nothing missing."""
    original, restored = source.state["team/app"], target.state["acme/app"]
    assert restored.refs() == original.refs()
    assert [label["name"] for label in restored.labels] == ["bug"]
    assert [i["iid"] for i in restored.issues] == list(range(1, ISSUES + 1))
    for before, after in zip(original.issues, restored.issues, strict=True):
        assert (after["title"], after["state"], after["labels"]) == (
            before["title"],
            before["state"],
            before["labels"],
        )
        assert after["description"].partition("\n\n")[2] == before["description"]
        notes = [n["body"] for n in restored.notes.get(("issues", after["iid"]), [])]
        wanted = [n["body"] for n in original.notes[("issues", before["iid"])]]
        kept = [body.partition("\n\n")[2] for body in notes if body != "closed"]
        assert kept == wanted, (after["iid"], notes)
