"""The Python client against a real server: every kind of call, pages, typed errors."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from repovault.client import (
    AsyncClient,
    BadRequest,
    Client,
    Conflict,
    Forbidden,
    NotFound,
    TaskFailed,
    Unauthorized,
)
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.flow import make_sources, refs_and_objects


def test_a_whole_backup_and_restore_through_the_client(server_url: str, tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "git", ("app",))
    with Client(server_url) as api:
        api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        assert api.me()["email"] == ADMIN_EMAIL
        org = api.add_organization(6, "local", api_url=(tmp_path / "git").as_uri())["id"]
        api.sync(org)
        api.wait_for_tasks([t["id"] for t in api.iter_tasks()], timeout=30, interval=0.1)
        (repo,) = list(api.iter_repositories(org))
        assert repo["name"] == "team/app"
        assert api.activate([repo["id"]])["success"] == [repo["id"]]
        plan = api.create_git_plan({"name": "nightly", "organizationId": org, "gitChoiceMode": 1})
        assert api.get_plan(plan["id"])["name"] == "nightly"
        assert [p["id"] for p in api.iter_plans(org)] == [plan["id"]]
        tasks = api.wait_for_tasks(api.run_plan(plan["id"])["taskIds"], interval=0.1)
        assert [t["status"] for t in tasks] == [1]
        (snapshot,) = list(api.iter_snapshots(repo["id"]))
        target = tmp_path / "restored.git"
        restore = api.restore(repo["id"], {"kind": "directory", "path": str(target)})
        assert api.wait_for_tasks([restore["taskId"]], interval=0.1)[0]["status"] == 1
        assert refs_and_objects(target) == refs_and_objects(sources["team/app"])
        verify = api.verify(repo["id"], snapshot_id=snapshot["id"])
        assert api.wait_for_tasks([verify["taskId"]], interval=0.1)[0]["status"] == 1
        assert {w["name"] for w in api.list_workers()["result"]} == {"embedded"}
        assert api.list_storages()["totalEntries"] == 1


def test_waiting_for_a_task_that_fails_raises(server_url: str, tmp_path: Path) -> None:
    make_sources(tmp_path / "git", ("app",))
    with Client(server_url) as api:
        api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        org = api.add_organization(6, "local", api_url=(tmp_path / "git").as_uri())["id"]
        api.sync(org)
        api.wait_for_tasks([t["id"] for t in api.iter_tasks()], timeout=30, interval=0.1)
        (repo,) = list(api.iter_repositories(org))
        api.activate([repo["id"]])
        plan = api.create_git_plan(
            {
                "name": "nightly",
                "organizationId": org,
                "gitChoiceMode": 1,
                "advancedOptions": {"maxTaskRetriesCount": 0},
            }
        )
        shutil.rmtree(tmp_path / "git")  # the platform lost the repository
        task_ids = api.run_plan(plan["id"])["taskIds"]
        with pytest.raises(TaskFailed) as failed:
            api.wait_for_tasks(task_ids, interval=0.1, timeout=60)
        assert [t["id"] for t in failed.value.failed] == task_ids
        assert failed.value.failed[0]["status"] == 3
        assert "did not succeed" in str(failed.value)
        # Asked not to check, the same wait returns the tasks as they ended.
        (task,) = api.wait_for_tasks(task_ids, interval=0.1, check=False)
        assert task["status"] == 3


def test_pages_are_followed_to_the_end(server_url: str) -> None:
    with Client(server_url) as api:
        api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        org = api.add_organization(6, "many")["id"]
        urls = [f"https://git.example.com/team/r{i:03d}.git" for i in range(250)]
        api.add_repositories(org, urls)
        names = [r["name"] for r in api.iter_repositories(org)]
        assert len(names) == 250
        assert names == sorted(names)
        first = api.list_repositories(org, limit=10, page=3, ordertype="desc")
        assert first["currentPage"] == 3
        assert len(first["result"]["repositories"]) == 10


def test_errors_are_typed_with_their_codes(server_url: str) -> None:
    with Client(server_url) as api:
        with pytest.raises(Unauthorized) as denied:
            api.me()
        assert denied.value.code == "AU1001"
        api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        with pytest.raises(NotFound) as missing:
            api.get_plan("00000000-0000-4000-8000-000000000000")
        assert missing.value.code == "PL3001"
        assert missing.value.status == 404
        with pytest.raises(BadRequest) as bad:
            api.create_git_plan({"name": "", "organizationId": "x"})
        assert "name" in bad.value.errors
        api.create_user("viewer@example.org", "password-123", ["Viewer"])
        with Client(server_url) as viewer:
            viewer.login("viewer@example.org", "password-123")
            with pytest.raises(Forbidden) as forbidden:
                viewer.add_organization(6, "nope")
            assert forbidden.value.code == "AU1003"
        org = api.add_organization(6, "dup")["id"]
        with pytest.raises(Conflict) as exists:
            api.add_organization(6, "dup")
        assert exists.value.code == "GT1003"
        api.remove_organization(org)
        api.logout()
        with pytest.raises(Unauthorized) as revoked:
            api.me()
        assert revoked.value.code == "AU1002"
        with pytest.raises(TypeError, match="unknown paging"):
            api.list_tasks(size=3)


def test_the_async_client(server_url: str) -> None:
    async def scenario() -> None:
        async with AsyncClient(server_url) as api:
            await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            org = (await api.add_organization(6, "async"))["id"]
            await api.add_repositories(
                org, [f"https://git.example.com/a/{i}.git" for i in range(120)]
            )
            names = [r["name"] async for r in api.iter_repositories(org)]
            assert len(names) == 120
            orgs = [o["name"] async for o in api.iter_organizations()]
            assert orgs == ["async"]
            with pytest.raises(NotFound):
                await api.get_task("00000000-0000-4000-8000-000000000000")

    asyncio.run(scenario())
