"""Every call of the API with the roles that open it and a valid body for it.

`CALLS` is the single list the auth matrix and the bad-input tests walk; a test fails when
the app has a call this list does not name, so a new call cannot go untested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.plans.models import Plan
from repovault.repositories.models import Repository
from repovault.tasks.models import Task
from tests.api.stored import stored_snapshot
from tests.api.world import World, add_org, add_plan, add_repos, unique
from tests.conftest import Api

GIT = {"GitManagement"}
READ = {"GitManagement", "Viewer"}
REMOVE = {"GitManagement", "DataRemoveManagement"}
USERS = {"UserManagement"}
ADMIN: set[str] = set()
ANY = {"GitManagement", "DataRemoveManagement", "UserManagement", "Viewer"}
NON_ADMIN_ROLES = sorted(ANY)

Body = Callable[[Api, World, Path], dict[str, Any]]


@dataclass(frozen=True)
class CallSpec:
    path: str
    roles: set[str]
    body: Body
    # Fields holding one id whose malformed value must give 404 with this code.
    id_fields: tuple[tuple[str, str], ...] = ()
    paged: bool = False

    def __str__(self) -> str:
        return self.path


def _user(api: Api, _w: World, _t: Path) -> dict[str, Any]:
    return {"email": f"{unique('u')}@company.com", "password": "password-123", "roles": []}


def _fresh_user(api: Api, w: World, t: Path) -> dict[str, Any]:
    return {"id": api.ok("/users/create", _user(api, w, t))["id"]}


def _fresh_storage(api: Api, _w: World, t: Path) -> dict[str, Any]:
    body = {"name": unique("s"), "type": 1, "settings": {"path": str(t / unique("s"))}}
    return {"id": api.ok("/storages/add", body)["id"]}


# The calls that read a snapshot: an unknown repository or a malformed snapshot id is a 404.
SNAPSHOT_IDS = (("id", "GT1001"), ("snapshotId", "GT1009"))


def _stored(**extra: Any) -> Body:
    """A body naming the world's stored snapshot (tests/api/stored.py), with `extra`."""
    return lambda api, world, _t: {**stored_snapshot(api, world), **extra}


def _organization_restore(api: Api, w: World, _t: Path) -> dict[str, Any]:
    """The stored snapshot's organization (GitHub) restored, as a dry run, into itself under
    a prefix: no platform is asked."""
    assert w.runtime is not None
    with w.runtime.db.session() as session:
        repository = session.get(Repository, stored_snapshot(api, w)["id"])
        assert repository is not None
        org = repository.organization_id
    target = {"organizationId": org, "dryRun": True, "namePrefix": "copy-"}
    return {"id": org, "target": target, "concurrency": 1}


def _queued_task(api: Api, w: World, _t: Path) -> dict[str, Any]:
    """A task that waits (for a retry far in the future), so that it can be canceled."""
    return {"id": w.queued_task()}


def _finished_export(api: Api, w: World, _t: Path) -> dict[str, Any]:
    """A succeeded export task, as its job leaves it (the link needs no archive to sign)."""
    assert w.runtime is not None
    with w.runtime.db.session(write=True) as session:
        plan = session.get(Plan, w.plan)
        assert plan is not None
        task = Task(
            kind="export",
            status=TaskStatus.SUCCEEDED,
            repository_id=w.repos[0],
            worker_id=plan.worker_id,
            finished_at=now_ms(),  # within the archive's lifetime
            result={
                "key": "exports/x/app.tar.gz",
                "fileName": "app.tar.gz",
                "size": 1,
                "sha256": "0" * 64,
                "storageId": plan.storage_id,
            },
        )
        session.add(task)
        session.flush()
        return {"taskId": task.id}


CALLS: list[CallSpec] = [
    CallSpec("/account/logout", ANY, lambda a, w, t: {}),
    CallSpec("/account/me", ANY, lambda a, w, t: {}),
    CallSpec("/users/create", USERS, _user),
    CallSpec("/users/getmany", USERS, lambda a, w, t: {"limit": 5}, paged=True),
    CallSpec(
        "/users/modify",
        USERS,
        lambda a, w, t: {**_fresh_user(a, w, t), "roles": ["UserManagement"]},
        id_fields=(("id", "AU1004"),),
    ),
    CallSpec("/users/remove", USERS, _fresh_user, id_fields=(("id", "AU1004"),)),
    CallSpec("/git/organizations/add", GIT, lambda a, w, t: {"driver": 6, "name": unique("o")}),
    CallSpec(
        "/git/organizations/modify",
        GIT,
        lambda a, w, t: {"id": w.org, "isReadOnly": True},
        id_fields=(("id", "GT1002"),),
    ),
    CallSpec(
        "/git/organizations/remove",
        REMOVE,
        lambda a, w, t: {"id": add_org(a)},
        id_fields=(("id", "GT1002"),),
    ),
    CallSpec("/git/organizations/getmany", READ, lambda a, w, t: {"limit": 5}, paged=True),
    CallSpec(
        "/git/repositories/getmany",
        READ,
        lambda a, w, t: {"id": w.org},
        paged=True,
        id_fields=(("id", "GT1002"),),
    ),
    CallSpec("/git/repositories/activate", REMOVE, lambda a, w, t: {"ids": w.repos}),
    CallSpec("/git/repositories/deactivate", REMOVE, lambda a, w, t: {"ids": w.repos}),
    CallSpec(
        "/git/repositories/remove",
        REMOVE,
        lambda a, w, t: {"id": add_repos(a, w.org, 1)[0], "removedata": False},
        id_fields=(("id", "GT1001"),),
    ),
    CallSpec(
        "/git/repositories/sync", GIT, lambda a, w, t: {"id": w.org}, id_fields=(("id", "GT1002"),)
    ),
    CallSpec(
        "/git/repositories/add",
        GIT,
        lambda a, w, t: {
            "organizationId": w.org,
            "urls": [f"https://git.example.com/{unique('r')}.git"],
        },
        id_fields=(("organizationId", "GT1002"),),
    ),
    CallSpec(
        "/plans/creategitplan",
        GIT,
        lambda a, w, t: {"name": unique("p"), "organizationId": w.org},
        id_fields=(("organizationId", "GT1002"),),
    ),
    CallSpec(
        "/plans/createazureplan",
        GIT,
        lambda a, w, t: {"name": unique("p"), "organizationId": w.azure_org},
        id_fields=(("organizationId", "GT1002"),),
    ),
    CallSpec(
        "/plans/modifygitplan",
        GIT,
        lambda a, w, t: {"id": w.plan, "name": unique("p")},
        id_fields=(("id", "PL3001"),),
    ),
    CallSpec(
        "/plans/modifyazureplanasync",
        GIT,
        lambda a, w, t: {"id": w.azure_plan, "name": unique("p")},
        id_fields=(("id", "PL3001"),),
    ),
    CallSpec("/plans/get", READ, lambda a, w, t: {"id": w.plan}, id_fields=(("id", "PL3001"),)),
    CallSpec(
        "/plans/remove",
        REMOVE,
        lambda a, w, t: {"id": add_plan(a, w.org)},
        id_fields=(("id", "PL3001"),),
    ),
    CallSpec(
        "/plans/listassignedtoorganization",
        READ,
        lambda a, w, t: {"organizationId": w.org},
        paged=True,
        id_fields=(("organizationId", "GT1002"),),
    ),
    CallSpec(
        "/plans/attachgitrepository",
        GIT,
        lambda a, w, t: {"planId": w.plan, "repositoryId": w.repos[1]},
        id_fields=(("planId", "PL3001"), ("repositoryId", "GT1001")),
    ),
    CallSpec(
        "/plans/detachgitrepository",
        GIT,
        lambda a, w, t: {"planId": w.plan, "repositoryId": w.repos[0]},
        id_fields=(("planId", "PL3001"), ("repositoryId", "GT1001")),
    ),
    CallSpec(
        "/plans/attachazureproject",
        GIT,
        lambda a, w, t: {"planId": w.azure_plan, "projectId": w.project},
        id_fields=(("planId", "PL3001"), ("projectId", "GT1004")),
    ),
    CallSpec(
        "/plans/detachazureproject",
        GIT,
        lambda a, w, t: {"planId": w.azure_plan, "projectId": w.project},
        id_fields=(("planId", "PL3001"), ("projectId", "GT1004")),
    ),
    CallSpec(
        "/storages/add",
        ADMIN,
        lambda a, w, t: {
            "name": unique("s"),
            "type": 1,
            "settings": {"path": str(t / unique("s"))},
        },
    ),
    CallSpec("/storages/getmany", READ, lambda a, w, t: {}, paged=True),
    CallSpec("/storages/remove", ADMIN, _fresh_storage, id_fields=(("id", "ST4001"),)),
    CallSpec("/storages/test", ADMIN, _fresh_storage, id_fields=(("id", "ST4001"),)),
    CallSpec("/workers/getmany", READ, lambda a, w, t: {}, paged=True),
    CallSpec("/audit/getmany", ADMIN, lambda a, w, t: {}, paged=True),
    CallSpec("/audit/verify", ADMIN, lambda a, w, t: {}),
    CallSpec("/tasks/getmany", READ, lambda a, w, t: {"limit": 5}, paged=True),
    CallSpec(
        "/tasks/get", READ, lambda a, w, t: {"id": w.extra["task"]}, id_fields=(("id", "TK6001"),)
    ),
    CallSpec("/tasks/cancel", GIT, _queued_task, id_fields=(("id", "TK6001"),)),
    CallSpec("/plans/run", GIT, lambda a, w, t: {"id": w.plan}, id_fields=(("id", "PL3001"),)),
    CallSpec("/plans/cancel", GIT, lambda a, w, t: {"id": w.plan}, id_fields=(("id", "PL3001"),)),
    CallSpec(
        "/git/repositories/restore",
        GIT,
        lambda a, w, t: {
            "id": w.repos[0],
            "target": {"kind": "directory", "path": str(t / unique("restore"))},
        },
        id_fields=(("id", "GT1001"),),
    ),
    CallSpec(
        "/git/repositories/verify",
        GIT,
        lambda a, w, t: {"id": w.repos[0]},
        id_fields=(("id", "GT1001"),),
    ),
    CallSpec(
        "/git/repositories/export",
        GIT,
        lambda a, w, t: {"id": w.repos[0]},
        id_fields=(("id", "GT1001"), ("snapshotId", "GT1009")),
    ),
    CallSpec(
        "/git/repositories/exportmany",
        GIT,
        lambda a, w, t: {"organizationId": w.org},
        id_fields=(("organizationId", "GT1002"),),
    ),
    CallSpec(
        "/git/organizations/restore",
        GIT,
        _organization_restore,
        id_fields=(("id", "GT1002"),),
    ),
    CallSpec(
        "/git/repositories/exportlink", GIT, _finished_export, id_fields=(("taskId", "TK6001"),)
    ),
    CallSpec(
        "/git/organizations/export",
        GIT,
        lambda a, w, t: {"id": w.org},
        id_fields=(("id", "GT1002"),),
    ),
    CallSpec(
        "/git/repositories/snapshots",
        READ,
        lambda a, w, t: {"id": w.repos[0]},
        id_fields=(("id", "GT1001"),),
    ),
    CallSpec("/git/repositories/snapshotdocuments", READ, _stored(), id_fields=SNAPSHOT_IDS),
    CallSpec(
        "/git/repositories/issues", READ, _stored(limit=5), paged=True, id_fields=SNAPSHOT_IDS
    ),
    CallSpec("/git/repositories/issue", READ, _stored(number=1), id_fields=SNAPSHOT_IDS),
    CallSpec(
        "/git/repositories/pullrequests",
        READ,
        _stored(limit=5),
        paged=True,
        id_fields=SNAPSHOT_IDS,
    ),
    CallSpec("/git/repositories/pullrequest", READ, _stored(number=2), id_fields=SNAPSHOT_IDS),
    CallSpec(
        "/git/repositories/releases", READ, _stored(limit=5), paged=True, id_fields=SNAPSHOT_IDS
    ),
    CallSpec("/git/repositories/release", READ, _stored(tag="v1"), id_fields=SNAPSHOT_IDS),
]
