"""Builds test data the way a user would: through the API (and, for what only a platform
synchronization creates, such as Azure DevOps projects or removed repositories, through the
database)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from repovault.common.enums import TaskStatus
from repovault.organizations.models import Project
from repovault.plans.models import Plan
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from repovault.tasks.models import RepositoryVault, Task
from repovault.tasks.service import wait_for
from tests.conftest import Api


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def add_org(api: Api, *, driver: int = 6, name: str | None = None, **extra: Any) -> str:
    body = {"driver": driver, "name": name or unique("org"), **extra}
    org_id: str = api.ok("/git/organizations/add", body)["id"]
    return org_id


def add_repos(api: Api, org_id: str, count: int, prefix: str = "repo") -> list[str]:
    urls = [f"https://git.example.com/team/{unique(prefix)}.git" for _ in range(count)]
    ids: list[str] = api.ok("/git/repositories/add", {"organizationId": org_id, "urls": urls})[
        "ids"
    ]
    return ids


def add_plan(api: Api, org_id: str, **extra: Any) -> str:
    body = {"name": extra.pop("name", unique("plan")), "organizationId": org_id, **extra}
    plan_id: str = api.ok("/plans/creategitplan", body)["id"]
    return plan_id


def add_project(runtime: Runtime, org_id: str, name: str | None = None) -> str:
    with runtime.db.session(write=True) as session:
        project = Project(organization_id=org_id, server_id=unique("srv"), name=name or "Project")
        session.add(project)
        session.flush()
        return project.id


def finished_removals(runtime: Runtime, timeout: float = 30) -> list[Task]:
    """Wait for every `remove` task (backup data deleted by a worker) to end; their rows."""
    with runtime.db.session() as session:
        ids = list(session.scalars(select(Task.id).where(Task.kind == "remove")))
    return wait_for(runtime, ids, timeout)


def mark_removed(runtime: Runtime, repo_ids: list[str]) -> None:
    with runtime.db.session(write=True) as session:
        session.execute(
            update(Repository).where(Repository.id.in_(repo_ids)).values(is_removed=True, status=2)
        )


@dataclass
class World:
    """One Git organization with repositories and a plan, one Azure DevOps organization
    with a project and an individual-selection plan."""

    org: str
    repos: list[str]
    plan: str
    azure_org: str
    project: str
    azure_plan: str
    extra: dict[str, str] = field(default_factory=dict)
    runtime: Runtime | None = None

    def queued_task(self) -> str:
        assert self.runtime is not None
        with self.runtime.db.session(write=True) as session:
            plan = session.get(Plan, self.plan)
            assert plan is not None
            task = Task(
                kind="verify",
                status=TaskStatus.QUEUED,
                repository_id=self.repos[0],
                worker_id=plan.worker_id,
                not_before=2**50,
            )
            session.add(task)
            session.flush()
            return task.id


def build_world(api: Api, runtime: Runtime) -> World:
    org = add_org(api)
    repos = add_repos(api, org, 3)
    plan = add_plan(api, org, repositoriesIds=[repos[0]])
    azure_org = add_org(api, driver=4, name=unique("azure"), token="pat")
    project = add_project(runtime, azure_org)
    azure_plan = api.ok(
        "/plans/createazureplan",
        {"name": unique("azure-plan"), "organizationId": azure_org, "gitChoiceMode": 2},
    )["id"]
    world = World(org, repos, plan, azure_org, project, azure_plan, runtime=runtime)
    world.extra["task"] = record_backup(runtime, plan, repos[0])
    return world


def record_backup(runtime: Runtime, plan_id: str, repository_id: str) -> str:
    """A finished backup task, as a run leaves it (restore and verify need one)."""
    with runtime.db.session(write=True) as session:
        plan = session.get(Plan, plan_id)
        assert plan is not None
        task = Task(
            kind="backup",
            status=TaskStatus.SUCCEEDED,
            plan_id=plan_id,
            repository_id=repository_id,
            worker_id=plan.worker_id,
            finished_at=1,
        )
        session.add(task)
        session.add(RepositoryVault(repository_id=repository_id, plan_id=plan_id, last_success=1))
        session.flush()
        return task.id
