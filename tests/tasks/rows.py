"""Rows for the direct tests of the domain services (`tests/tasks`, `tests/plans`,
`tests/organizations`): built straight in the test's migrated database, in one session, with
the first-start records a server would have made (the default storage and the embedded
worker). `tests/api/world.py` builds through the API instead.

    rows = Rows(session, runtime)
    org = rows.org()
    a, b = rows.repo(org), rows.repo(org, licensed=False)
    plan = rows.plan(org, repos=[a, b])        # membership refreshed, as the service does
    task = rows.task(plan=plan, repo=a)        # a queued backup task

Each folder's `conftest.py` takes the fixtures below: `rows`, and `database_url` narrowed to
SQLite (these tests call one service at a time; tests/api and tests/e2e run the same
functions on PostgreSQL too, whose per-test setup would multiply this set's run time).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault import bootstrap
from repovault.common.enums import BackupType, ChoiceMode, Driver, RepositoryStatus
from repovault.organizations.models import Organization, Project, Wiki
from repovault.plans import membership
from repovault.plans.models import (
    ITEM_EXCLUDED_REPOSITORY,
    ITEM_PROJECT,
    ITEM_REPOSITORY,
    ITEM_WIKI,
    Plan,
    PlanItem,
    PlanRepository,
)
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from repovault.storages.service import get_storage
from repovault.tasks import service
from repovault.tasks.models import Task
from repovault.workers.models import Worker
from repovault.workers.service import ensure_worker

T = TypeVar("T")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Rows:
    """Builds rows in `session`; nothing is committed here."""

    def __init__(self, session: Session, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        bootstrap.ensure_default_storage(session, runtime.settings)
        self.embedded = ensure_worker(session, runtime.settings.worker_id, beat=False).id
        self.storage = get_storage(session, None).id

    def worker(self) -> str:
        row = Worker(name=unique("worker"))
        self.session.add(row)
        self.session.flush()
        return row.id

    def org(
        self,
        *,
        driver: int = Driver.GIT,
        name: str | None = None,
        auto_add: bool = False,
        default_worker: str | None = None,
    ) -> Organization:
        row = Organization(
            driver=driver,
            name=name or unique("org"),
            auto_add_new_repositories=auto_add,
            default_worker_id=default_worker,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def project(self, org: Organization, name: str = "Project") -> Project:
        row = Project(organization_id=org.id, server_id=unique("project"), name=name)
        self.session.add(row)
        self.session.flush()
        return row

    def wiki(self, org: Organization, name: str, project: Project | None = None) -> Wiki:
        row = Wiki(
            organization_id=org.id,
            server_id=unique("wiki"),
            name=name,
            project_id=project.id if project else None,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def repo(
        self,
        org: Organization,
        name: str | None = None,
        *,
        licensed: bool = True,
        removed: bool = False,
        public: bool = False,
        project: Project | None = None,
    ) -> Repository:
        name = name or unique("repo")
        row = Repository(
            organization_id=org.id,
            server_id=unique("srv"),
            name=name,
            url=f"https://git.example.com/team/{name}.git",
            is_public=public,
            licence_active=licensed,
            is_removed=removed,
            status=RepositoryStatus.REMOVED if removed else RepositoryStatus.ACTIVE,
            project_id=project.id if project else None,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def plan(
        self,
        org: Organization,
        *,
        mode: int = ChoiceMode.INDIVIDUAL,
        repos: Iterable[Repository] = (),
        excluded: Iterable[Repository] = (),
        projects: Iterable[Project] = (),
        wikis: Iterable[Wiki] = (),
        rules: list[dict[str, Any]] | None = None,
        settings: dict[str, Any] | None = None,
        worker: str | None = None,
        active: bool = True,
    ) -> Plan:
        """A plan row with its selection, membership resolved."""
        row = Plan(
            organization_id=org.id,
            name=unique("plan"),
            backup_type=BackupType.AZURE if org.driver == Driver.AZURE else BackupType.GIT,
            git_choice_mode=mode,
            storage_id=self.storage,
            worker_id=worker or self.embedded,
            settings={**(settings or {}), "rules": rules or []},
            is_active=active,
        )
        self.session.add(row)
        self.session.flush()
        chosen: dict[str, list[str]] = {
            ITEM_REPOSITORY: [r.id for r in repos],
            ITEM_EXCLUDED_REPOSITORY: [r.id for r in excluded],
            ITEM_PROJECT: [p.id for p in projects],
            ITEM_WIKI: [w.id for w in wikis],
        }
        self.session.add_all(
            PlanItem(plan_id=row.id, kind=kind, item_id=item_id, position=i)
            for kind, ids in chosen.items()
            for i, item_id in enumerate(ids)
        )
        self.session.flush()
        membership.refresh_plan(self.session, row)
        return row

    def members(self, plan: Plan) -> set[str]:
        """The repositories the plan backs up (its resolved membership)."""
        return set(
            self.session.scalars(
                select(PlanRepository.repository_id).where(PlanRepository.plan_id == plan.id)
            )
        )

    def task(
        self,
        *,
        kind: str = "backup",
        plan: Plan | None = None,
        repo: Repository | None = None,
        run_id: str | None = None,
        worker: str | None = None,
        not_before: int = 0,
    ) -> Task:
        """A queued task, as `tasks.service.new_task` creates it."""
        return service.new_task(
            self.session,
            kind=kind,
            worker_id=worker or (plan.worker_id if plan else self.embedded),
            plan=plan,
            run_id=run_id,
            repository_id=repo.id if repo else None,
            organization_id=plan.organization_id if plan else None,
            not_before=not_before,
        )

    def fresh(self, row: T) -> T:
        """The row as the database now holds it (after conditional UPDATEs)."""
        self.session.refresh(row)
        return row


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A copy of the migrated SQLite template (the SQLite half of tests/conftest.py's)."""
    target = tmp_path / "repovault.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def rows(runtime: Runtime) -> Iterator[Rows]:
    """One write session on the test's database (committed at the end), with its rows."""
    with runtime.db.session(write=True) as session:
        yield Rows(session, runtime)
