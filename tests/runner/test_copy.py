"""Copies in two places: a plan's second storage gets each new snapshot by a `copy` task of
its own (resumable), retention applies there too, verify checks it, and a restore is served
from it when the first copy is damaged or has lost the snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from repovault.backends.base import Readable
from repovault.backends.local import LocalBackend
from repovault.engine.copy import copy_snapshots
from repovault.engine.restore import restore_to_directory
from repovault.engine.vault import Vault
from tests.conftest import Api
from tests.e2e.flow import make_sources, organization_with_plan, refs_and_objects, wait_tasks

PASSWORD = "copy-password-1"


def _storage(api: Api, path: Path) -> str:
    found: str = api.ok(
        "/storages/add", {"name": path.name, "type": 1, "settings": {"path": str(path)}}
    )["id"]
    return found


def _tasks(api: Api, kind: str) -> list[dict[str, object]]:
    filters = [{"property": "kind", "operator": "eq", "value": kind}]
    found: list[dict[str, object]] = api.ok("/tasks/getmany", {"limit": 100, "filters": filters})[
        "result"
    ]
    return found


def _plan_with_copy(api: Api, tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    make_sources(tmp_path / "git", ("app",))
    first, second = tmp_path / "first", tmp_path / "second"
    _org, repos, plan = organization_with_plan(
        api,
        tmp_path / "git",
        storageId=_storage(api, first),
        advancedOptions={"copyStorageId": _storage(api, second)},
        encryptionSettings={"algorithm": 1, "password": PASSWORD},
    )
    (backup,) = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    assert backup["status"] == 1, backup["logs"]
    deadline_tasks = [t["id"] for t in _tasks(api, "copy")]
    assert len(deadline_tasks) == 1, "one copy task per backup that wrote a snapshot"
    (copied,) = wait_tasks(api, deadline_tasks)  # type: ignore[arg-type]
    assert copied["status"] == 1, copied["logs"]
    return repos, first, second


def test_each_snapshot_is_copied_and_serves_a_restore_when_the_first_is_damaged(
    api: Api, tmp_path: Path
) -> None:
    repos, first, second = _plan_with_copy(api, tmp_path)
    bundles = sorted(first.rglob("bundle"))
    copies = sorted(second.rglob("bundle"))
    assert len(bundles) == len(copies) == 1
    assert bundles[0].read_bytes() == copies[0].read_bytes()  # byte for byte: still encrypted
    assert (second / bundles[0].relative_to(first)).exists()

    bundles[0].unlink()  # the first storage loses an object
    target = tmp_path / "restored.git"
    restore = api.ok(
        "/git/repositories/restore",
        {"id": repos["team/app"], "target": {"kind": "directory", "path": str(target)}},
    )
    (task,) = wait_tasks(api, [restore["taskId"]])
    assert task["status"] == 2, task["logs"]  # succeeded, with the damage as a warning
    assert any("from the plan's second copy" in line["message"] for line in task["logs"])
    assert refs_and_objects(target) == refs_and_objects(tmp_path / "git" / "team" / "app.git")

    # Verify checks both copies and says which one is damaged.
    verify = api.ok("/git/repositories/verify", {"id": repos["team/app"]})
    (checked,) = wait_tasks(api, [verify["taskId"]])
    errors = [line["message"] for line in checked["logs"] if line["level"] == "error"]
    assert errors
    assert all("(second copy)" not in message for message in errors)


def test_a_lost_manifest_is_served_by_the_copy(api: Api, tmp_path: Path) -> None:
    repos, first, _second = _plan_with_copy(api, tmp_path)
    (manifest,) = first.rglob("manifest.json")
    manifest.unlink()
    target = tmp_path / "restored.git"
    restore = api.ok(
        "/git/repositories/restore",
        {"id": repos["team/app"], "target": {"kind": "directory", "path": str(target)}},
    )
    (task,) = wait_tasks(api, [restore["taskId"]])
    assert task["status"] == 1, task["logs"]
    assert refs_and_objects(target) == refs_and_objects(tmp_path / "git" / "team" / "app.git")


def test_the_copy_storage_is_checked(api: Api, tmp_path: Path) -> None:
    make_sources(tmp_path / "git", ("app",))
    storage = _storage(api, tmp_path / "only")
    org = api.ok(
        "/git/organizations/add",
        {"driver": 6, "name": "o", "apiUrl": (tmp_path / "git").as_uri()},
    )["id"]
    body = {"name": "p", "organizationId": org, "gitChoiceMode": 1, "storageId": storage}
    same = api.post("/plans/creategitplan", {**body, "advancedOptions": {"copyStorageId": storage}})
    assert same.status_code == 400
    assert "another storage" in same.json()["detail"]
    missing = "00000000-0000-4000-8000-000000000000"
    unknown = api.post(
        "/plans/creategitplan", {**body, "advancedOptions": {"copyStorageId": missing}}
    )
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "ST4001")
    second = _storage(api, tmp_path / "second")
    api.ok("/plans/creategitplan", {**body, "advancedOptions": {"copyStorageId": second}})
    in_use = api.post("/storages/remove", {"id": second})
    assert in_use.status_code == 409
    assert "p" in in_use.json()["detail"]


class _Failing(LocalBackend):
    """A storage that fails after `budget` writes (an interrupted copy)."""

    def __init__(self, root: Path, budget: int) -> None:
        super().__init__(root)
        self.budget = budget

    def put(self, key: str, source: Readable) -> int:
        if self.budget == 0:
            raise OSError("the connection dropped")
        self.budget -= 1
        return super().put(key, source)


def test_an_interrupted_copy_resumes(tmp_path: Path) -> None:
    from repovault.engine.backup import BackupOptions, backup
    from tests.engine.repos import commit, tricky_repository

    source_repo = tricky_repository(tmp_path / "repo")
    source = Vault(LocalBackend(tmp_path / "a"), "r/", password=PASSWORD)
    for i in range(2):
        commit(source_repo, f"c{i}", {f"f{i}": b"x" * 1000})
        backup(
            url=f"file://{source_repo}",
            vault=source,
            cache=tmp_path / "cache",
            options=BackupOptions(kind="full"),
        )
    with pytest.raises(OSError, match="dropped"):
        copy_snapshots(source, Vault(_Failing(tmp_path / "b", 3), "r/", password=PASSWORD))
    target = Vault(LocalBackend(tmp_path / "b"), "r/", password=PASSWORD)
    result = copy_snapshots(source, target)
    assert result.already >= 1
    assert sorted(result.copied) == sorted(source.catalog())
    assert target.catalog() == source.catalog()
    assert copy_snapshots(source, target).copied == []  # nothing left to copy
    shutil.rmtree(tmp_path / "a")  # the first storage is gone: the copy alone restores
    newest = max(target.catalog())
    restore_to_directory(target, tmp_path / "out.git", snapshot=newest)
    assert refs_and_objects(tmp_path / "out.git")[0]
