"""Every request example of the reference, sent as printed (its keys as printed, its ids
replaced by real ones), is accepted, and every reply has the keys and types of the
reference's response example."""

from __future__ import annotations

import json
from typing import Any

import jwt

from repovault.common import tokens
from repovault.runtime import Runtime
from tests.api import reference as ref
from tests.api.shapes import assert_shape
from tests.api.world import (
    World,
    add_org,
    add_plan,
    add_project,
    add_repos,
    build_world,
    mark_removed,
)
from tests.conftest import Api

# Members repovault adds to each listed repository: what the platform says of it (docs/api.md).
REPOSITORY_FACTS = {
    "$.result.repositories[]": {
        "isFork",
        "isArchived",
        "topics",
        "language",
        "sizeKb",
        "defaultBranch",
        "description",
        "lastPushAt",
    }
}


def send(api: Api, path: str, example: str, **ids: Any) -> Any:
    """Send the example with the values of the keys named in `ids` replaced (keys as
    printed in the reference, so `planid` stays `planid`)."""
    body = json.loads(example)
    for key, value in ids.items():
        assert key in body, f"{key} is not a key of the example"
        body[key] = value
    response = api.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, (path, response.text)
    return response.json() if response.content else None


def test_login_example(api: Api) -> None:
    response = api.post(
        "/account/login",
        content=ref.LOGIN_REQUEST,
        token="",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    reply = response.json()
    assert_shape(reply, json.loads(ref.LOGIN_RESPONSE))
    claims = jwt.decode(reply["accessToken"], options={"verify_signature": False})
    assert claims[tokens.CLAIM_ID] == reply["userId"]
    assert claims[tokens.CLAIM_EMAIL] == "admin@company.com"
    assert claims[tokens.CLAIM_ROLE] == ["SystemAdministrator"]
    # rememberMe: true gives the documented 30 days.
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600


def test_organizations_getmany_example(api: Api) -> None:
    for i in range(4):
        org = add_org(api, name=f"org-{i}")
        add_plan(api, org, repositoriesIds=add_repos(api, org, 2)[:1])
    reply = send(api, "/git/organizations/getmany", ref.ORGANIZATIONS_GETMANY_REQUEST)
    assert_shape(reply, json.loads(ref.ORGANIZATIONS_GETMANY_RESPONSE))
    assert (reply["currentPage"], reply["pageCount"], reply["totalEntries"]) == (2, 2, 4)
    assert [o["name"] for o in reply["result"]] == ["org-2", "org-3"]
    org = reply["result"][0]
    assert org["totalRepositories"] == 2
    assert org["missingLicences"] == 1
    assert org["plans"][0]["repoCount"] == 1


def test_list_assigned_example(api: Api) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 1)
    for i in range(23):
        add_plan(api, org, name=f"plan-{i:02d}", repositoriesIds=repos)
    reply = send(
        api, "/plans/listassignedtoorganization", ref.LIST_ASSIGNED_REQUEST, organizationid=org
    )
    assert_shape(reply, json.loads(ref.LIST_ASSIGNED_RESPONSE))
    assert (reply["currentPage"], reply["pageCount"], reply["totalEntries"]) == (5, 5, 23)
    assert [p["name"] for p in reply["result"]] == ["plan-20", "plan-21", "plan-22"]
    assert all(p["repositoryIds"] == repos for p in reply["result"])


def test_attach_and_detach_git_repository_examples(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    repo = world.repos[1]
    assert (
        send(
            api,
            "/plans/attachgitrepository",
            ref.ATTACH_GIT_REPOSITORY_REQUEST,
            planid=world.plan,
            repositoryid=repo,
        )
        is None
    )
    assert repo in api.ok("/plans/get", {"id": world.plan})["repositoriesIds"]
    assert (
        send(
            api,
            "/plans/detachgitrepository",
            ref.DETACH_GIT_REPOSITORY_REQUEST,
            planid=world.plan,
            repositoryid=repo,
        )
        is None
    )
    assert repo not in api.ok("/plans/get", {"id": world.plan})["repositoriesIds"]


def test_attach_and_detach_azure_project_examples(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    # The reference's path spelling, case and all.
    assert (
        send(
            api,
            "/plans/AttachAzureProject",
            ref.ATTACH_AZURE_PROJECT_REQUEST,
            planId=world.azure_plan,
            projectId=world.project,
        )
        is None
    )
    assert api.ok("/plans/get", {"id": world.azure_plan})["projectsIds"] == [world.project]
    assert (
        send(
            api,
            "/plans/DetachAzureProject",
            ref.DETACH_AZURE_PROJECT_REQUEST,
            planId=world.azure_plan,
            projectId=world.project,
        )
        is None
    )
    assert api.ok("/plans/get", {"id": world.azure_plan})["projectsIds"] == []


def test_modify_git_plan_example(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    storage = api.ok("/storages/getmany", {})["result"][0]["id"]
    worker = api.ok("/workers/getmany", {})["result"][0]["id"]
    send(
        api,
        "/plans/modifygitplan",
        ref.MODIFY_GIT_PLAN_REQUEST,
        id=world.plan,
        workerId=worker,
        organizationId=world.org,
        repositoriesIds=[world.repos[2]],
        storageId=storage,
    )
    plan = api.ok("/plans/get", {"id": world.plan})
    example = json.loads(ref.MODIFY_GIT_PLAN_REQUEST)
    assert plan["name"] == "example"
    assert plan["repositoriesIds"] == [world.repos[2]]
    assert plan["includeAllRepositories"] is False
    assert plan["advancedOptions"] == example["advancedOptions"]
    assert plan["schedule"]["options"] == example["schedule"]["options"]
    assert plan["schedule"]["scheme"] == 3
    assert plan["schedule"]["backupWindow"] == example["schedule"]["backupWindow"]
    # Ids the server owns are its own, not the malformed ones sent.
    assert plan["schedule"]["id"] != example["schedule"]["id"]
    assert plan["compressionSettings"] == {"codec": 2, "level": 2}
    assert plan["encryptionSettings"] is None
    assert plan["customActions"] == example["customActions"]


def test_modify_azure_plan_example(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    storage = api.ok("/storages/getmany", {})["result"][0]["id"]
    worker = api.ok("/workers/getmany", {})["result"][0]["id"]
    send(
        api,
        "/plans/ModifyAzurePlanAsync",
        ref.MODIFY_AZURE_PLAN_REQUEST,
        id=world.azure_plan,
        workerId=worker,
        organizationId=world.azure_org,
        storageId=storage,
    )
    plan = api.ok("/plans/get", {"id": world.azure_plan})
    example = json.loads(ref.MODIFY_AZURE_PLAN_REQUEST)
    assert plan["name"] == "Plan DevOps"
    assert plan["gitChoiceMode"] == 3
    assert plan["schedule"]["retention"]["options"] == example["schedule"]["retention"]["options"]
    assert plan["rules"][1]["type"] == 1
    pre = plan["customActions"]["preBackupAction"]
    assert pre["windows"]["command"] == "C:\\Users\\Name\\Desktop\\test.bat"
    assert pre["waitForExecution"] is True
    assert plan["notificationSettings"] == example["notificationSettings"]
    assert plan["advancedOptions"]["largeResourcesBufferSize"] == 134217728


def test_repositories_getmany_example(api: Api, runtime: Runtime) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 5)
    mark_removed(runtime, repos[:3])
    reply = send(api, "/git/repositories/getmany", ref.REPOSITORIES_GETMANY_REQUEST, id=org)
    assert_shape(reply, json.loads(ref.REPOSITORIES_GETMANY_RESPONSE), extra=REPOSITORY_FACTS)
    assert (reply["currentPage"], reply["pageCount"], reply["totalEntries"]) == (1, 2, 3)
    listed = reply["result"]["repositories"]
    assert len(listed) == 2
    assert all(r["isRemoved"] and r["status"] == 2 for r in listed)
    assert {r["id"] for r in listed} <= set(repos[:3])
    assert reply["result"]["removedRepositories"] == 3


def test_activate_example_with_an_exhausted_pool(api: Api, runtime: Runtime) -> None:
    runtime.settings.licences = 0
    org = add_org(api)
    repos = add_repos(api, org, 8)
    reply = send(api, "/git/repositories/activate", ref.ACTIVATE_REQUEST, Ids=repos)
    assert_shape(reply, json.loads(ref.ACTIVATE_RESPONSE))
    assert reply["success"] == []
    assert reply["error"] == [{"id": r, "errorCode": "LI5020"} for r in repos]


def test_activate_and_deactivate_examples(api: Api) -> None:
    org = add_org(api)
    repos = add_repos(api, org, 8)
    assert send(api, "/git/repositories/activate", ref.ACTIVATE_REQUEST, Ids=repos) == {
        "success": repos,
        "error": [],
    }
    assert send(api, "/git/repositories/deactivate", ref.DEACTIVATE_REQUEST, Ids=repos) == {
        "success": repos,
        "error": [],
    }


def test_deactivate_example_as_printed_reports_unknown_ids(api: Api) -> None:
    reply = send(api, "/git/repositories/deactivate", ref.DEACTIVATE_REQUEST)
    assert_shape(reply, json.loads(ref.DEACTIVATE_RESPONSE))
    printed = json.loads(ref.DEACTIVATE_REQUEST)["Ids"]
    assert reply["error"] == [{"id": i, "errorCode": "GT1001"} for i in printed]


def test_remove_example(api: Api) -> None:
    org = add_org(api)
    repo = add_repos(api, org, 2)[0]
    reply = send(api, "/git/repositories/remove", ref.REMOVE_REQUEST, id=repo)
    assert_shape(reply, json.loads(ref.REMOVE_RESPONSE))
    assert reply == {"succeededIds": [repo], "failedIds": [], "errors": []}
    remaining = api.ok("/git/repositories/getmany", {"id": org})["result"]["repositories"]
    assert repo not in [r["id"] for r in remaining]


def test_sync_example(api: Api, runtime: Runtime) -> None:
    world: World = build_world(api, runtime)
    assert send(api, "/git/repositories/sync", ref.SYNC_REQUEST, id=world.org) is None


def test_project_helper_is_scoped_to_its_organization(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    other = add_project(runtime, world.org)
    response = api.post(
        "/plans/attachazureproject", {"planId": world.azure_plan, "projectId": other}
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PL3002"
