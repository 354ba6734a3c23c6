"""SSH cloning per organization (issue 13 §3), through the API and the embedded worker,
against a real sshd: a repository backed up over ssh and restored bit-exact; accept-new pins
the host's key in the data folder and a changed key then fails the backup, naming the host;
the key is sealed, never in an answer, a task log or the process's logs; bad `ssh` fields
are 400 problem documents naming the field."""

from __future__ import annotations

import contextlib
import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repovault.engine import git as g
from repovault.runtime import Runtime
from tests.conftest import Api
from tests.e2e.flow import wait_tasks
from tests.e2e.metadata import _synchronized, repo_data
from tests.engine.repos import git, state, tricky_repository
from tests.engine.sshd import Sshd, keygen, sshd
from tests.providers.fake_github import FakeGitHub, repository

__all__ = ["sshd"]


def _problem(response: Any, field: str) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errorCode"] == "RQ1002", problem
    assert field in problem["errors"], problem
    return str(problem["detail"])


def _secret_line(key: str) -> str:
    """A line from the middle of the private key: what must never show."""
    lines = key.strip().splitlines()
    return lines[len(lines) // 2]


def _logs(api: Api, task_id: str) -> list[dict[str, Any]]:
    return list(api.ok("/tasks/get", {"id": task_id})["logs"])


def _backup(api: Api, plan: str) -> dict[str, Any]:
    (task,) = wait_tasks(api, api.ok("/plans/run", {"id": plan, "kind": 1})["taskIds"])
    return dict(task)


def test_a_repository_backed_up_over_ssh_restores_bit_exact(
    api: Api, runtime: Runtime, sshd: Sshd, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    served = tmp_path / "served" / "app.git"
    git(tmp_path, "clone", "-q", "--mirror", str(tricky_repository(tmp_path / "src")), str(served))
    ssh = {"privateKey": sshd.client_key, "acceptNewHostKey": True}
    org = api.ok("/git/organizations/add", {"driver": 6, "name": "over-ssh", "ssh": ssh})["id"]
    (repo,) = api.ok("/git/repositories/add", {"organizationId": org, "urls": [sshd.url(served)]})[
        "ids"
    ]
    api.ok("/git/repositories/activate", {"ids": [repo]})
    plan = api.ok(
        "/plans/creategitplan",
        {
            "name": "ssh-plan",
            "organizationId": org,
            "gitChoiceMode": 1,
            "schedule": {"scheme": 1, "options": []},
        },
    )["id"]
    task = _backup(api, plan)
    assert task["status"] == 1, task["logs"]

    # Accepted on first use, in this worker's data folder, for this organization only.
    pins = runtime.settings.data_dir / "known_hosts" / org
    assert stat.S_IMODE(pins.stat().st_mode) == 0o600
    assert sshd.known_hosts().split()[2] in pins.read_text()

    restore = api.ok(
        "/git/repositories/restore",
        {"id": repo, "target": {"kind": "directory", "path": "app.git"}},
    )["taskId"]
    (restored,) = wait_tasks(api, [restore])
    assert restored["status"] == 1, restored["logs"]
    target = runtime.settings.effective_restore_roots[0] / "app.git"
    assert state(target) == state(served)

    # The server's host key changes: the next backup is refused, naming the host.
    sshd.new_host_key()
    failed = _backup(api, plan)
    assert failed["status"] == 3, failed
    words = json.dumps(failed)
    assert f"host key of [127.0.0.1]:{sshd.port} has changed" in words

    # The key: sealed at rest, in no answer, no task log and no log line.
    secret = _secret_line(sshd.client_key)
    with runtime.db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT ssh_key_sealed FROM organizations").scalar()
    assert stored
    assert secret not in stored
    assert "PRIVATE KEY" not in stored
    answers = [
        api.ok("/git/organizations/getmany", {"limit": 10}),
        api.ok("/git/repositories/getmany", {"id": org, "limit": 10}),
        task,
        restored,
        failed,
    ]
    assert secret not in json.dumps(answers)
    out, err = capfd.readouterr()
    assert secret not in out + err
    assert "PRIVATE KEY" not in out + err


def test_ssh_settings_are_checked_before_anything_is_written(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    key = keygen(tmp_path / "id").read_text()
    pem = keygen(tmp_path / "rsa", kind="rsa").read_text()
    encrypted = keygen(tmp_path / "locked", passphrase="secret words").read_text()
    public = (tmp_path / "id.pub").read_text()
    host = "[git.example.com]:2222 " + " ".join(public.split()[:2])

    def add(ssh: dict[str, Any] | None, driver: int = 6) -> Any:
        body = {"driver": driver, "name": "ssh-org", "ssh": ssh}
        if driver == 2:
            body["token"] = "t"
        return api.post("/git/organizations/add", body)

    assert "encrypted with a passphrase" in _problem(
        add({"privateKey": encrypted, "knownHosts": host}), "ssh.privateKey"
    )
    assert "OpenSSH or PEM private key" in _problem(
        add({"privateKey": public, "knownHosts": host}), "ssh.privateKey"
    )
    broken = key.replace(key.strip().splitlines()[2], "A" * 20)
    _problem(add({"privateKey": broken, "knownHosts": host}), "ssh.privateKey")
    _problem(add({"knownHosts": host}), "ssh.privateKey")
    assert "acceptNewHostKey" in _problem(add({"privateKey": key}), "ssh.knownHosts")
    assert "line 2" in _problem(
        add({"privateKey": key, "knownHosts": f"{host}\nnot a host line\n"}), "ssh.knownHosts"
    )
    _problem(add({"privateKey": key, "acceptNewHostKey": True}, driver=2), "ssh")
    with runtime.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM organizations").scalar() == 0

    # A PEM key with a pinned host is taken; `modify` without a key keeps it.
    org = api.ok(
        "/git/organizations/add",
        {"driver": 6, "name": "ssh-org", "ssh": {"privateKey": pem, "knownHosts": host}},
    )["id"]

    def row() -> Any:
        with runtime.db.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT ssh_key_sealed, ssh_known_hosts, ssh_accept_new FROM organizations"
            ).one()

    sealed, known, accept = row()
    assert sealed
    assert known == host
    assert not accept
    api.ok("/git/organizations/modify", {"id": org, "ssh": {"acceptNewHostKey": True}})
    assert row()[0] == sealed
    assert row()[1] is None
    assert row()[2]
    _problem(
        api.post("/git/organizations/modify", {"id": org, "ssh": {"privateKey": encrypted}}),
        "ssh.privateKey",
    )
    assert row()[0] == sealed
    # null: git over HTTPS again.
    api.ok("/git/organizations/modify", {"id": org, "ssh": None})
    assert tuple(row()) in {(None, None, False), (None, None, 0)}


def test_a_github_organizations_https_clone_urls_go_over_ssh(
    api: Api, github: FakeGitHub, sshd: Sshd, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listed with https clone URLs, fetched as `git@host:owner/name.git` with the key (port
    22: this https URL's port does not carry over), the token kept for the API only."""
    item = repository(7, "acme/app", private=True)
    item.update(clone_url="https://127.0.0.1:8443/acme/app.git", has_wiki=False)
    github.orgs["acme"] = [item]
    github.repo_data["acme/app"] = repo_data()
    transfers: list[tuple[str, str, g.Credentials | None]] = []
    real = g.transfer

    @contextlib.contextmanager
    def recorded(
        credentials: g.Credentials | None, url: str
    ) -> Iterator[tuple[str, g.Credentials | None]]:
        with real(credentials, url) as (target, used):
            transfers.append((url, target, used))
            yield target, used

    monkeypatch.setattr(g, "transfer", recorded)
    ssh = {"privateKey": sshd.client_key, "knownHosts": sshd.known_hosts()}
    org = api.ok(
        "/git/organizations/add", {"driver": 1, "name": "acme", "token": "ghp_test", "ssh": ssh}
    )["id"]
    repo = _synchronized(api, org)["acme/app"]
    api.ok("/git/repositories/activate", {"ids": [repo]})
    plan = api.ok(
        "/plans/creategitplan",
        {"name": "p", "organizationId": org, "gitChoiceMode": 1, "schedule": {"scheme": 1}},
    )["id"]
    (task_id,) = api.ok("/plans/run", {"id": plan, "kind": 1})["taskIds"]
    deadline = time.monotonic() + 60
    while not any("git clone failed" in line["message"] for line in _logs(api, task_id)):
        assert time.monotonic() < deadline, _logs(api, task_id)
        time.sleep(0.1)  # nothing answers SSH on 127.0.0.1:22: the attempt fails, and retries
    api.ok("/tasks/cancel", {"id": task_id})
    (url, target, used) = transfers[0]
    assert url == "https://127.0.0.1:8443/acme/app.git"
    assert target == "git@127.0.0.1:acme/app.git"
    assert used is not None
    assert used.password == ""  # no HTTP credential rides along
    assert used.ssh_command is not None
    assert "IdentitiesOnly=yes" in used.ssh_command
    assert any(r.headers.get("authorization") == "Bearer ghp_test" for r in github.requests)
