"""Synchronization through the API: discovery, renames, removals, returns, auto-add."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.organizations.models import Organization, Project
from repovault.organizations.sync import due_organizations
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from repovault.tasks.service import wait_for
from tests.api.world import add_org, add_plan, add_repos
from tests.conftest import Api
from tests.providers.fake_github import ERRORS, FakeGitHub, repository
from tests.providers.fake_platforms import (
    Platforms,
    azure_project,
    azure_repository,
    azure_wiki,
)


def _sync(api: Api, org: str) -> dict[str, Any]:
    api.ok("/git/repositories/sync", {"id": org})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reply: dict[str, Any] = api.ok("/git/repositories/getmany", {"id": org, "limit": 1000})
        if not reply["result"]["synchronizationInProgress"]:
            return reply
        time.sleep(0.02)
    raise AssertionError("synchronization did not finish")


def _by_name(reply: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in reply["result"]["repositories"]}


def test_github_sync_upserts_by_platform_id(api: Api, github: FakeGitHub, runtime: Runtime) -> None:
    github.orgs["acme"] = [
        repository(1, "acme/api"),
        repository(2, "acme/web"),
        repository(3, "acme/old"),
    ]
    org = add_org(api, driver=1, name="acme", token="ghp_x")
    first = _sync(api, org)
    assert first["result"]["lastSynchronizationRepositoriesStartTime"] > 0
    ids = {name: r["id"] for name, r in _by_name(first).items()}
    assert set(ids) == {"acme/api", "acme/web", "acme/old"}
    with runtime.db.session() as session:
        wiki = session.scalar(select(Repository.wiki_url).where(Repository.id == ids["acme/api"]))
    assert wiki == "https://github.com/acme/api.wiki.git"
    api.ok("/git/repositories/activate", {"ids": [ids["acme/web"]]})

    github.orgs["acme"] = [
        repository(1, "acme/api"),
        repository(2, "acme/website"),
        repository(4, "acme/new"),
    ]
    second = _by_name(_sync(api, org))
    assert second["acme/website"]["id"] == ids["acme/web"]  # renamed, same row
    assert second["acme/website"]["isProtected"] is True  # licence kept
    assert second["acme/old"]["isRemoved"] is True
    assert second["acme/old"]["status"] == 2
    assert "acme/new" in second

    github.orgs["acme"].append(repository(3, "acme/old"))
    third = _by_name(_sync(api, org))
    assert third["acme/old"]["isRemoved"] is False
    assert third["acme/old"]["id"] == ids["acme/old"]


def test_new_repositories_join_all_repository_plans_only_when_auto_adding(
    api: Api, github: FakeGitHub
) -> None:
    github.orgs["acme"] = [repository(1, "acme/a")]
    org = add_org(api, driver=1, name="acme", token="ghp_x")
    _sync(api, org)
    plan = add_plan(api, org, includeAllRepositories=True)
    github.orgs["acme"].append(repository(2, "acme/b"))
    _sync(api, org)
    assigned = api.ok("/plans/get", {"id": plan})
    assert len(assigned["excludedRepositoriesIds"]) == 1  # acme/b waits to be attached
    api.ok("/git/organizations/modify", {"id": org, "autoAddNewRepositories": True})
    github.orgs["acme"].append(repository(3, "acme/c"))
    _sync(api, org)
    orgs = api.ok("/git/organizations/getmany", {})["result"]
    assert [p["repoCount"] for p in orgs[0]["plans"]] == [2]  # a and c


def test_add_checks_credentials_with_the_platform(api: Api, github: FakeGitHub) -> None:
    github.valid_tokens = {"good"}
    refused = api.post("/git/organizations/add", {"driver": 1, "name": "acme", "token": "bad"})
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "GT1006"
    assert "Bad credentials" in refused.json()["detail"]
    missing = api.post("/git/organizations/add", {"driver": 1, "name": "nobody", "token": "good"})
    assert missing.status_code == 400
    assert "no organization or user" in missing.json()["detail"]
    assert api.ok("/git/organizations/getmany", {})["totalEntries"] == 0


def test_rate_limited_sync_pauses_and_finishes(
    api: Api, github: FakeGitHub, runtime: Runtime
) -> None:
    github.orgs["acme"] = [repository(i, f"acme/r{i}") for i in range(150)]
    org = add_org(api, driver=1, name="acme", token="ghp_x")
    github.fail_next(429, ERRORS["secondary"], {"retry-after": "1"})
    reply = _sync(api, org)
    assert reply["totalEntries"] == 150


def test_git_folder_sync_discovers_bare_repositories(api: Api, tmp_path: Path) -> None:
    folder = tmp_path / "git"
    for name in ("team/app.git", "team/lib.git", "tools.git"):
        subprocess.run(["git", "init", "-q", "--bare", str(folder / name)], check=True)
    (folder / "notes").mkdir()
    org = add_org(api, driver=6, name="local", apiUrl=folder.as_uri())
    by_url = add_repos(api, org, 1)[0]  # added by URL: not the folder's business
    found = _by_name(_sync(api, org))
    assert {"team/app", "team/lib", "tools"} <= set(found)
    subprocess.run(["rm", "-rf", str(folder / "tools.git")], check=True)
    again = _by_name(_sync(api, org))
    assert again["tools"]["isRemoved"] is True
    assert not [r for r in again.values() if r["id"] == by_url and r["isRemoved"]]
    bad = api.post(
        "/git/organizations/add",
        {"driver": 6, "name": "x", "apiUrl": (tmp_path / "missing").as_uri()},
    )
    assert bad.status_code == 400


def test_azure_sync_brings_projects_for_azure_plans(
    api: Api, platforms: Platforms, runtime: Runtime
) -> None:
    projects = [azure_project("p0", "Platform"), azure_project("p1", "Tools")]
    platforms.azure.projects = projects
    platforms.azure.repositories = [
        azure_repository("r1", "api", projects[0]),
        azure_repository("r2", "cli", projects[1]),
        azure_repository("r3", "web", projects[0]),
    ]
    platforms.azure.wikis = [azure_wiki("w1", "Platform.wiki", projects[0], "wr1")]
    org = add_org(api, driver=4, name="fabrikam", token="pat")
    repos = _by_name(_sync(api, org))
    assert set(repos) == {"Platform/api", "Tools/cli", "Platform/web"}
    plan = api.ok(
        "/plans/createazureplan", {"name": "azure", "organizationId": org, "gitChoiceMode": 2}
    )["id"]
    with_projects = api.ok("/plans/listassignedtoorganization", {"organizationId": org})
    assert with_projects["totalEntries"] == 1
    with runtime.db.session() as session:
        project_id = session.scalar(select(Project.id).where(Project.server_id == "p0"))
    api.ok("/plans/attachazureproject", {"planId": plan, "projectId": project_id})
    orgs = api.ok("/git/organizations/getmany", {})["result"]
    assert orgs[0]["plans"][0]["repoCount"] == 2  # the project's two repositories


def test_additional_tokens_are_sealed_never_returned_and_used(
    api: Api, github: FakeGitHub, runtime: Runtime
) -> None:
    github.orgs["acme"] = [repository(i, f"acme/r{i}") for i in range(1, 120)]
    org = add_org(api, driver=1, name="acme", token="ghp_first", additionalTokens=["ghp_second"])
    github.limited_tokens = {"ghp_first"}
    reply = _sync(api, org)
    assert reply["totalEntries"] == 119
    assert "ghp_second" not in api.post("/git/organizations/getmany", {}).text
    with runtime.db.session() as session:
        row = session.get(Organization, org)
        assert row is not None
        assert len(row.extra_tokens_sealed) == 1
        assert "ghp_second" not in row.extra_tokens_sealed[0]
    assert any(r.headers.get("authorization") == "Bearer ghp_second" for r in github.requests)


def test_scheduled_synchronization_starts_each_due_organization_once(
    api: Api, github: FakeGitHub, runtime: Runtime
) -> None:
    github.orgs["acme"] = [repository(1, "acme/a")]
    org = add_org(api, driver=1, name="acme", token="t")
    runtime.settings.sync_interval_minutes = 60
    system = api.client.app.state.tasks  # type: ignore[attr-defined]
    system.schedule()
    system.schedule()  # running: not queued twice
    with runtime.db.session() as session:
        tasks = session.scalars(select(Task).where(Task.kind == "sync")).all()
        assert [t.organization_id for t in tasks] == [org]
        task_id = tasks[0].id
    system.dispatch_ready()
    (done,) = wait_for(runtime, [task_id], timeout=20)
    assert done.status == TaskStatus.SUCCEEDED
    assert _by_name(_sync_state(api, org))["acme/a"]
    assert not _sync_state(api, org)["result"]["synchronizationInProgress"]
    with runtime.db.session(write=True) as session:
        assert due_organizations(session, runtime.settings, now=now_ms()) == []  # not yet due
        later = now_ms() + 61 * 60_000
        assert due_organizations(session, runtime.settings, now=later) == [org]
        runtime.settings.sync_interval_minutes = 0
        assert due_organizations(session, runtime.settings, now=later + 10**9) == []


def _sync_state(api: Api, org: str) -> dict[str, Any]:
    reply: dict[str, Any] = api.ok("/git/repositories/getmany", {"id": org, "limit": 1000})
    return reply
