"""Taking a snapshot away through the API (issue 12 §2): a real backup with metadata through
the fake GitHub and the embedded worker, exported by a task, downloaded through its signed
link and unpacked: the bare repository passes `git fsck` with every ref of the source, each
JSON file holds the snapshot's documents item for item; an encrypted plan's archive is
plain; an altered link is 403, an expired one 410, an unfinished export 409."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from repovault.common.links import LinkSigner
from repovault.providers.metadata import stream_items
from repovault.repositories.vaults import find_snapshot
from repovault.runtime import Runtime
from tests.conftest import Api
from tests.e2e.flow import wait_tasks
from tests.e2e.metadata import Backed, github_with_metadata, run
from tests.engine.repos import git
from tests.providers.fake_github import FakeGitHub


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errorCode"] == code, response.text


def _export(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    task_id = api.ok("/git/repositories/export", body)["taskId"]
    (task,) = wait_tasks(api, [task_id])
    assert task["status"] == 1, task["logs"]
    return dict(task)


def _download(api: Api, task_id: str, folder: Path) -> Path:
    link = api.ok("/git/repositories/exportlink", {"taskId": task_id})
    assert link["url"].startswith("/git/repositories/download?")
    response = api.client.get(link["url"])  # no token: the signature is the authentication
    assert response.status_code == 200, response.text
    assert link["fileName"] in response.headers["content-disposition"]
    assert len(response.content) == link["sizeBytes"]
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")
    (root,) = folder.iterdir()
    assert root.name == link["fileName"].removesuffix(".tar.gz")
    return root


def _refs(repo: Path) -> dict[str, str]:
    listed = git(repo, "for-each-ref", "--format=%(objectname) %(refname)").splitlines()
    return {name: oid for oid, name in (line.split(" ", 1) for line in listed)}


@pytest.fixture
def backed(api: Api, github: FakeGitHub, tmp_path: Path) -> Backed:
    return github_with_metadata(api, github, tmp_path / "git")


def test_an_export_unpacks_into_a_repository_and_the_snapshots_documents(
    api: Api, backed: Backed, runtime: Runtime, tmp_path: Path
) -> None:
    snapshot = run(api, backed)
    task = _export(api, {"id": backed.repo})
    assert task["result"]["snapshotId"] == snapshot
    assert any("archive" in line["message"] for line in task["logs"])
    root = _download(api, task["id"], tmp_path / "out")

    bare = root / "repository.git"
    subprocess.run(["git", "-C", str(bare), "fsck", "--full"], check=True)
    assert _refs(bare) == _refs(backed.source)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)

    # Every document of the snapshot, item for item (a release's asset file byte for byte).
    vault, choice = find_snapshot(runtime, backed.repo, snapshot)
    archived = {
        p.relative_to(root / "metadata").as_posix(): p
        for p in (root / "metadata").rglob("*")
        if p.is_file()
    }
    stored = {o.name.removeprefix("meta/"): o for o in choice.manifest.objects if "meta/" in o.name}
    assert set(archived) == set(stored)
    assert "issues.json" in stored
    for name, item in stored.items():
        blocks = vault.read_object(choice.manifest, item)
        if name.endswith(".json"):
            assert json.loads(archived[name].read_text("utf-8")) == list(stream_items(blocks))
        else:
            assert archived[name].read_bytes() == b"".join(blocks)
    issues = json.loads((root / "metadata" / "issues.json").read_text("utf-8"))
    one = api.ok("/git/repositories/issue", {"id": backed.repo, "number": 3})
    (archived_issue,) = [i for i in issues if i["number"] == 3]
    assert archived_issue["body"] == one["body"] == "Body of issue 3: Crash when saving."
    assert "repository.git" in (root / "README.md").read_text("utf-8")


def test_an_encrypted_plans_archive_is_plain(
    api: Api, github: FakeGitHub, runtime: Runtime, tmp_path: Path
) -> None:
    backed = github_with_metadata(
        api,
        github,
        tmp_path / "git",
        encryptionSettings={"algorithm": 1, "password": "plan-password"},
    )
    snapshot = run(api, backed)
    task = _export(api, {"id": backed.repo, "snapshotId": snapshot})
    archive = runtime.settings.data_dir / "storage" / task["result"]["key"]
    assert archive.is_file()
    root = _download(api, task["id"], tmp_path / "out")
    assert b"Crash on start" in (root / "metadata" / "issues.json").read_bytes()
    assert _refs(root / "repository.git") == _refs(backed.source)


def test_an_altered_or_expired_link_is_refused(api: Api, backed: Backed, runtime: Runtime) -> None:
    run(api, backed)
    task = _export(api, {"id": backed.repo})
    url = api.ok("/git/repositories/exportlink", {"taskId": task["id"]})["url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    path = urlsplit(url).path

    def get(**changed: str) -> Any:
        return api.client.get(f"{path}?{urlencode({**query, **changed})}")

    assert get().status_code == 200
    _problem(get(expires=str(int(query["expires"]) + 3600)), 403, "GT1013")
    _problem(get(signature="0" * 64), 403, "GT1013")
    _problem(get(task="00000000-0000-4000-8000-000000000000"), 403, "GT1013")
    _problem(get(expires="soon"), 403, "GT1013")
    past = 1_000_000
    signed = LinkSigner(runtime.settings.effective_secret_key).signature(task["id"], past)
    _problem(get(expires=str(past), signature=signed), 410, "GT1014")


def test_a_link_needs_a_finished_export(api: Api, backed: Backed) -> None:
    _problem(
        api.post("/git/repositories/export", {"id": backed.repo}), 409, "GT1008"
    )  # no backup yet
    snapshot_task = api.ok("/plans/run", {"id": backed.plan, "kind": 1})["taskIds"][0]
    wait_tasks(api, [snapshot_task])
    _problem(api.post("/git/repositories/exportlink", {"taskId": snapshot_task}), 409, "GT1012")
    _problem(
        api.post(
            "/git/repositories/exportlink", {"taskId": "00000000-0000-4000-8000-000000000000"}
        ),
        404,
        "TK6001",
    )
    _problem(
        api.post("/git/repositories/export", {"id": backed.repo, "snapshotId": "nope"}),
        404,
        "GT1009",
    )


def test_repositories_as_they_were_at_a_time(api: Api, backed: Backed, tmp_path: Path) -> None:
    """`at` picks the newest snapshot taken at or before it; `exportmany` exports every
    backed-up repository of an organization or a plan, one task and archive each."""
    first = run(api, backed)
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(backed.source), str(work))
    git(
        work,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    git(work, "push", "-q", "origin", "HEAD")
    second = run(api, backed)
    assert second != first
    listed = api.ok("/git/repositories/snapshots", {"id": backed.repo})["result"]
    taken = {s["id"]: s["createdAt"] for s in listed}

    at_first = _export(api, {"id": backed.repo, "at": taken[first]})
    assert at_first["result"]["snapshotId"] == first
    for body in ({"organizationId": backed.org}, {"planId": backed.plan, "at": taken[second]}):
        answer = api.ok("/git/repositories/exportmany", body)
        assert answer["skipped"] == []
        (task,) = wait_tasks(api, answer["taskIds"])
        assert task["status"] == 1, task["logs"]
        assert task["result"]["snapshotId"] == second
    early = api.ok("/git/repositories/exportmany", {"organizationId": backed.org, "at": 1})
    (failed,) = wait_tasks(api, early["taskIds"])
    assert failed["status"] == 3
    assert "at or before" in str(failed["logs"])
    both = {"organizationId": backed.org, "planId": backed.plan}
    _problem(api.post("/git/repositories/exportmany", both), 400, "RQ1002")
    _problem(api.post("/git/repositories/exportmany", {}), 400, "RQ1002")


def test_archives_older_than_the_task_history_are_removed_by_the_next_export(
    api: Api, backed: Backed, runtime: Runtime
) -> None:
    run(api, backed)
    first = _export(api, {"id": backed.repo})
    stored = runtime.settings.data_dir / "storage" / first["result"]["key"]
    days = runtime.settings.task_history_days
    old = time.time() - (days + 1) * 86_400
    os.utime(stored, (old, old))
    second = _export(api, {"id": backed.repo})
    assert not stored.exists()
    assert (runtime.settings.data_dir / "storage" / second["result"]["key"]).is_file()
    assert any("expired export archive" in line["message"] for line in second["logs"])
    _problem(
        api.client.get(api.ok("/git/repositories/exportlink", {"taskId": first["id"]})["url"]),
        410,
        "GT1014",
    )
