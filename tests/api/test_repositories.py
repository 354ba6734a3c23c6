"""Repositories: licences, removal with and without data, adding by URL, sync requests."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import select

from repovault.common.enums import TaskStatus
from repovault.organizations.models import Organization
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.world import add_org, add_plan, add_repos, finished_removals
from tests.conftest import Api


def test_licence_pool_is_granted_in_request_order(api: Api, runtime: Runtime) -> None:
    runtime.settings.licences = 3
    org = add_org(api)
    repos = add_repos(api, org, 5)
    reply = api.ok("/git/repositories/activate", {"ids": repos})
    assert reply["success"] == repos[:3]
    assert reply["error"] == [{"id": r, "errorCode": "LI5020"} for r in repos[3:]]
    # Activating again is idempotent and takes no new licence.
    assert api.ok("/git/repositories/activate", {"ids": repos[:3]})["success"] == repos[:3]
    api.ok("/git/repositories/deactivate", {"ids": [repos[0]]})
    assert api.ok("/git/repositories/activate", {"ids": repos[3:]})["success"] == [repos[3]]
    listed = api.ok(
        "/git/repositories/getmany",
        {
            "id": org,
            "filters": [{"property": "isProtected", "operator": "eq", "value": True}],
            "limit": 10,
        },
    )
    assert {r["id"] for r in listed["result"]["repositories"]} == {repos[1], repos[2], repos[3]}


def test_remove_keeps_or_deletes_backup_data(api: Api, runtime: Runtime) -> None:
    org = add_org(api)
    keep, drop = add_repos(api, org, 2)
    plan = add_plan(api, org, repositoriesIds=[keep, drop])
    storage = Path(api.ok("/storages/getmany", {})["result"][0]["settings"]["path"])
    for repo in (keep, drop):
        path = storage / "repositories" / repo / "s1" / "manifest.json"
        path.parent.mkdir(parents=True)
        path.write_text("{}")
    api.ok("/git/repositories/remove", {"id": keep, "removedata": False})
    api.ok("/git/repositories/remove", {"id": drop, "removedata": True})
    (task,) = finished_removals(runtime)
    assert task.params["repositoryIds"] == [drop]
    assert (storage / "repositories" / keep / "s1" / "manifest.json").exists()
    assert not (storage / "repositories" / drop).exists()
    assert api.ok("/plans/get", {"id": plan})["repositoriesIds"] == []


def test_remove_unknown_single_id_is_404(api: Api) -> None:
    response = api.post("/git/repositories/remove", {"id": "a4acd28-eee0-404a-a4ac0-6ca4ac260ca"})
    assert response.status_code == 404
    assert response.json()["errorCode"] == "GT1001"


def test_add_by_url_is_idempotent_and_for_driver_6_only(api: Api) -> None:
    org = add_org(api)
    urls = [
        "https://git.example.com/team/app.git",
        "git@git.example.com:team/lib.git",
        "file:///srv/git/tools.git",
    ]
    first = api.ok("/git/repositories/add", {"organizationId": org, "urls": urls})["ids"]
    again = api.ok("/git/repositories/add", {"organizationId": org, "urls": urls[:1]})["ids"]
    assert again == first[:1]
    names = [
        r["name"]
        for r in api.ok("/git/repositories/getmany", {"id": org})["result"]["repositories"]
    ]
    assert names == ["team/app", "team/lib", "tools"]
    bad = api.post("/git/repositories/add", {"organizationId": org, "urls": ["not a url"]})
    assert bad.status_code == 400
    assert "urls.0" in bad.json()["errors"]
    with_password = api.post(
        "/git/repositories/add",
        {"organizationId": org, "urls": ["https://u:secret@git.example.com/x.git"]},
    )
    assert with_password.status_code == 400
    github = add_org(api, driver=1, name="gh")
    wrong = api.post("/git/repositories/add", {"organizationId": github, "urls": urls[:1]})
    assert wrong.status_code == 400
    assert wrong.json()["errorCode"] == "GT1005"


def test_sync_records_the_request(api: Api, runtime: Runtime) -> None:
    org = add_org(api)
    api.ok("/git/repositories/sync", {"id": org})
    with runtime.db.session() as session:
        row = session.get(Organization, org)
        assert row is not None
        assert row.sync_requested_at > 0


def test_data_removal_waits_for_a_backup_holding_the_vault(api: Api, runtime: Runtime) -> None:
    """A backup of the repository still running (its vault locked) makes the removal retry
    later, with a log line saying why, never delete under it."""
    org = add_org(api)
    (repo,) = add_repos(api, org, 1)
    storage = Path(api.ok("/storages/getmany", {})["result"][0]["settings"]["path"])
    vault = storage / "repositories" / repo / "plan-1"
    (vault / "snapshots" / "s1").mkdir(parents=True)
    (vault / "snapshots" / "s1" / "manifest.json").write_text("{}")
    lock = {"owner": "elsewhere:1:abcd", "expires": time.time() + 600}
    (vault / "lock.json").write_text(json.dumps(lock))
    api.ok("/git/repositories/remove", {"id": repo, "removedata": True})

    deadline = time.monotonic() + 30
    while True:
        with runtime.db.session() as session:
            task = session.scalars(select(Task).where(Task.kind == "remove")).one()
            if task.attempt >= 1 and task.status == TaskStatus.QUEUED:
                break
        assert time.monotonic() < deadline, "the removal was not retried"
        time.sleep(0.1)
    assert "being backed up" in (task.error or "")
    assert (vault / "snapshots" / "s1" / "manifest.json").exists()
