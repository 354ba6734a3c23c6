"""Organizations: credentials at rest, counters, modification, removal with data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from repovault.common.enums import TaskStatus
from repovault.organizations.models import Organization
from repovault.runtime import Runtime
from tests.api.world import add_org, add_plan, add_repos, finished_removals, mark_removed
from tests.conftest import Api


def test_platform_token_is_encrypted_at_rest_and_never_returned(api: Api, runtime: Runtime) -> None:
    secret = "ghp_very-secret-token-0123456789"
    org = add_org(api, driver=1, name="acme", token=secret, username="bot")
    listed = api.post("/git/organizations/getmany", {})
    assert secret not in listed.text
    with runtime.db.session() as session:
        row = session.get(Organization, org)
        assert row is not None
        assert row.token_sealed
        assert secret not in row.token_sealed
        assert runtime.box.open(row.token_sealed) == secret
        dump = "".join(str(r) for r in session.execute(text("SELECT * FROM organizations")).all())
    assert secret not in dump


def test_counters_follow_licences_removals_and_plans(api: Api, runtime: Runtime) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 6)
    add_plan(api, org, repositoriesIds=repos[:3])
    add_plan(api, org, includeAllRepositories=True)
    api.ok("/git/repositories/activate", {"ids": repos[:2]})
    mark_removed(runtime, [repos[5]])
    # Removal is seen by plans once membership is refreshed (sync does it); attach does too.
    plan = add_plan(api, org, repositoriesIds=[repos[4]])
    result = api.ok("/git/organizations/getmany", {})["result"][0]
    assert result["totalRepositories"] == 6
    assert result["protectedRepositories"] == 2
    assert result["removedRepositories"] == 1
    counts = {p["id"]: p["repoCount"] for p in result["plans"]}
    assert counts[plan] == 1
    assert sorted(counts.values()) == [1, 3, 6]


def test_missing_licences_counts_assigned_repositories_without_licence(api: Api) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 5)
    add_plan(api, org, repositoriesIds=repos[:3])
    add_plan(api, org, repositoriesIds=repos[2:4])
    api.ok("/git/repositories/activate", {"ids": [repos[0]]})
    result = api.ok("/git/organizations/getmany", {})["result"][0]
    # Assigned: 0..3 (four repositories), licensed: 0 -> three lack a licence.
    assert result["missingLicences"] == 3


def test_order_and_filter_by_counters(api: Api) -> None:
    small, large = add_org(api, name="small"), add_org(api, name="large")
    add_repos(api, small, 1)
    add_repos(api, large, 4)
    reply = api.ok(
        "/git/organizations/getmany", {"orderby": "TotalRepositories", "ordertype": "desc"}
    )
    assert [o["name"] for o in reply["result"]] == ["large", "small"]
    reply = api.ok(
        "/git/organizations/getmany",
        {"filters": [{"property": "totalRepositories", "operator": "gte", "value": 2}]},
    )
    assert [o["name"] for o in reply["result"]] == ["large"]


def test_modify_changes_only_given_fields(api: Api) -> None:
    org = add_org(api, driver=5, name="forge", apiUrl="https://forge.example.com")
    api.ok("/git/organizations/modify", {"id": org, "isReadOnly": True})
    result = api.ok("/git/organizations/getmany", {})["result"][0]
    assert (result["name"], result["apiUrl"], result["isReadOnly"]) == (
        "forge",
        "https://forge.example.com",
        True,
    )


def test_gitea_needs_an_api_url_and_names_are_unique(api: Api) -> None:
    response = api.post("/git/organizations/add", {"driver": 5, "name": "x"})
    assert response.status_code == 400
    assert "apiUrl" in response.json()["errors"]
    add_org(api, driver=1, name="Acme")
    clash = api.post("/git/organizations/add", {"driver": 1, "name": "acme"})
    assert clash.status_code == 409
    assert clash.json()["errorCode"] == "GT1003"


def test_remove_with_data_deletes_every_backup_of_its_repositories(
    api: Api, runtime: Runtime
) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 2)
    storage = Path(api.ok("/storages/getmany", {})["result"][0]["settings"]["path"])
    snapshot = storage / "repositories" / repos[0] / "snap-1" / "pack.bundle"
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(b"bundle")
    keep = storage / "repositories" / "another-repository" / "pack.bundle"
    keep.parent.mkdir(parents=True)
    keep.write_bytes(b"other")
    api.ok("/git/organizations/remove", {"id": org, "removedata": True})
    # The rows go with the call; the data by a `remove` task on the worker.
    (task,) = finished_removals(runtime)
    assert task.status == TaskStatus.SUCCEEDED, task.error
    assert sorted(task.params["repositoryIds"]) == sorted(repos)
    assert not snapshot.exists()
    assert keep.exists()
    assert api.ok("/git/organizations/getmany", {})["totalEntries"] == 0
    with runtime.db.session() as session:
        assert session.scalars(select(Organization)).all() == []
