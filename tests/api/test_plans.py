"""Plans: membership by mode, attach/detach rules, encryption fixed for life, partial
modification, and the Azure DevOps individual-selection rule."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from repovault.plans.models import Plan
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from tests.api.world import add_org, add_plan, add_project, add_repos, build_world
from tests.conftest import Api


def _repo_count(api: Api, plan: str) -> int:
    for org in api.ok("/git/organizations/getmany", {"limit": 1000})["result"]:
        for summary in org["plans"]:
            if summary["id"] == plan:
                count: int = summary["repoCount"]
                return count
    raise AssertionError(plan)


def test_all_repositories_plan_follows_the_organization(api: Api) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 3)
    plan = add_plan(api, org, inculdeAllReposistories=True)  # the reference's spelling
    assert api.ok("/plans/get", {"id": plan})["includeAllRepositories"] is True
    assert _repo_count(api, plan) == 3
    add_repos(api, org, 2)
    assert _repo_count(api, plan) == 5
    api.ok("/plans/detachgitrepository", {"planId": plan, "repositoryId": repos[0]})
    assert api.ok("/plans/get", {"id": plan})["excludedRepositoriesIds"] == [repos[0]]
    assert _repo_count(api, plan) == 4
    api.ok("/plans/attachgitrepository", {"planId": plan, "repositoryId": repos[0]})
    assert _repo_count(api, plan) == 5


def test_rule_based_plan_selects_by_regex_and_refuses_attach(api: Api) -> None:
    org = add_org(api)
    urls = [f"https://git.example.com/team/{n}.git" for n in ("api-server", "api-client", "web")]
    repos = api.ok("/git/repositories/add", {"organizationId": org, "urls": urls})["ids"]
    rules: list[dict[str, Any]] = [
        {
            "type": 3,
            "choiceMode": 2,
            "ruleChoice": {
                "meetAllRules": False,
                "rules": [{"property": "Name", "operator": "regex", "value": "/api-"}],
            },
        }
    ]
    plan = add_plan(api, org, gitChoiceMode=3, rules=rules)
    assert _repo_count(api, plan) == 2
    assigned = api.ok("/plans/listassignedtoorganization", {"organizationId": org})
    assert sorted(assigned["result"][0]["repositoryIds"]) == sorted(repos[:2])
    response = api.post("/plans/attachgitrepository", {"planId": plan, "repositoryId": repos[2]})
    assert response.status_code == 409
    assert response.json()["errorCode"] == "PL3003"


def test_attach_refuses_repositories_of_other_organizations(api: Api) -> None:
    org, other = add_org(api), add_org(api)
    plan = add_plan(api, org)
    foreign = add_repos(api, other, 1)[0]
    response = api.post("/plans/attachgitrepository", {"planId": plan, "repositoryId": foreign})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PL3002"
    create = api.post(
        "/plans/creategitplan", {"name": "x", "organizationId": org, "repositoriesIds": [foreign]}
    )
    assert create.status_code == 400
    assert create.json()["errorCode"] == "PL3002"
    assert "repositoriesIds.0" in create.json()["errors"]


def test_attach_is_idempotent_and_keeps_order(api: Api) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 3)
    plan = add_plan(api, org)
    for repo in (repos[2], repos[0], repos[2]):
        api.ok("/plans/attachgitrepository", {"planId": plan, "repositoryId": repo})
    assert api.ok("/plans/get", {"id": plan})["repositoriesIds"] == [repos[2], repos[0]]


def test_encryption_is_write_only_and_fixed_for_life(api: Api, runtime: Runtime) -> None:
    org = add_org(api)
    plan = add_plan(api, org, encryptionSettings={"algorithm": 1, "password": "s3cret-pass"})
    dto = api.ok("/plans/get", {"id": plan})
    assert dto["encryptionSettings"] == {"algorithm": 1, "password": None}
    assert "s3cret-pass" not in api.post("/plans/get", {"id": plan}).text
    with runtime.db.session() as session:
        row = session.scalar(select(Plan).where(Plan.id == plan))
        assert row is not None
        assert row.encryption_password_sealed
        assert "s3cret-pass" not in row.encryption_password_sealed
    # Sending back what /plans/get returned changes nothing.
    api.ok("/plans/modifygitplan", dto)
    for change in (None, {"algorithm": 1, "password": "other"}):
        response = api.post("/plans/modifygitplan", {"id": plan, "encryptionSettings": change})
        assert response.status_code == 409
        assert response.json()["errorCode"] == "PL3004"
    api.ok(
        "/plans/modifygitplan",
        {"id": plan, "encryptionSettings": {"algorithm": 1, "password": "s3cret-pass"}},
    )
    plain = add_plan(api, org)
    response = api.post(
        "/plans/modifygitplan",
        {"id": plain, "encryptionSettings": {"algorithm": 1, "password": "late"}},
    )
    assert response.status_code == 409


def test_get_then_modify_round_trips_every_field(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    before = api.ok("/plans/get", {"id": world.plan})
    api.ok("/plans/modifygitplan", before)
    assert api.ok("/plans/get", {"id": world.plan}) == before
    api.ok("/plans/modifygitplan", {"id": world.plan, "isActive": False})
    after = api.ok("/plans/get", {"id": world.plan})
    assert after == {**before, "isActive": False}


def test_modify_through_the_other_kinds_call_is_refused(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    response = api.post("/plans/modifyazureplanasync", {"id": world.plan, "name": "x"})
    assert response.status_code == 400
    assert "modifygitplan" in response.json()["detail"]


def test_azure_projects_need_individual_selection(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    repo = api.ok(
        "/git/repositories/add",
        {"organizationId": add_org(api), "urls": ["https://x.example.com/a.git"]},
    )["ids"][0]
    assert repo
    rules_plan = api.ok(
        "/plans/createazureplan",
        {"name": "r", "organizationId": world.azure_org, "gitChoiceMode": 3},
    )["id"]
    response = api.post(
        "/plans/attachazureproject", {"planId": rules_plan, "projectId": world.project}
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "PL3003"
    unknown = api.post(
        "/plans/attachazureproject",
        {"planId": world.azure_plan, "projectId": "022056bd-0044-0000-0000-004400000003"},
    )
    assert unknown.status_code == 404
    assert unknown.json()["errorCode"] == "GT1004"


def test_azure_plan_needs_an_azure_organization(api: Api) -> None:
    response = api.post("/plans/createazureplan", {"name": "x", "organizationId": add_org(api)})
    assert response.status_code == 400
    assert "organizationId" in response.json()["errors"]


def test_project_selection_brings_its_repositories(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    project = add_project(runtime, world.azure_org, "Platform")
    _project_repos(runtime, world.azure_org, project, 2)
    api.ok("/plans/attachazureproject", {"planId": world.azure_plan, "projectId": project})
    assert _repo_count(api, world.azure_plan) == 2
    api.ok("/plans/detachazureproject", {"planId": world.azure_plan, "projectId": project})
    assert _repo_count(api, world.azure_plan) == 0


def _project_repos(runtime: Runtime, org: str, project: str, count: int) -> list[str]:
    """Repositories of an Azure DevOps project, as a synchronization would record them."""
    ids = []
    with runtime.db.session(write=True) as session:
        for i in range(count):
            repo = Repository(
                organization_id=org,
                project_id=project,
                server_id=f"az-{i}",
                name=f"Platform/repo-{i}",
            )
            session.add(repo)
            session.flush()
            ids.append(repo.id)
    return ids


def test_advanced_options_keep_unknown_keys_and_fill_defaults(api: Api) -> None:
    org = add_org(api)
    plan = add_plan(api, org, advancedOptions={"maxConcurrentTasks": "2", "custom": "x"})
    options = api.ok("/plans/get", {"id": plan})["advancedOptions"]
    assert options == {
        "maxConcurrentTasks": "2",
        "custom": "x",
        "maxTaskRetriesCount": 3,
        "taskRetriesFrequency": 60000,
    }
