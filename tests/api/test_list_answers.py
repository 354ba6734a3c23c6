"""The list calls build their answers from SQL rows as plain dicts, without a model per row:
each answer must be byte for byte what its response model serializes (the same keys in the
same order, the same JSON types: `true`, not `1`)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from repovault.common.paging import PageOf
from repovault.organizations.schemas import OrganizationOut
from repovault.repositories.schemas import RepositoriesPage
from repovault.runtime import Runtime
from tests.api.world import add_org, add_plan, add_repos, mark_removed
from tests.conftest import Api


def _as_the_model_serializes(model: type[BaseModel], content: bytes) -> bytes:
    dumped = model.model_validate(json.loads(content)).model_dump(mode="json", by_alias=True)
    # As Starlette's JSONResponse encodes an answer.
    text = json.dumps(dumped, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode()


def _populate(api: Api, runtime: Runtime) -> str:
    org = add_org(api, name="Zürich ünïcode ✓")
    repos = add_repos(api, org, 6)
    api.ok("/git/repositories/activate", {"ids": repos[:3]})
    mark_removed(runtime, repos[2:4])
    add_plan(api, org, repositoriesIds=repos[:2])
    add_plan(api, org, repositoriesIds=repos[3:5], includeMetadata=False)
    add_plan(api, add_org(api))  # an organization with a plan and no repositories
    return org


def _same(api: Api, model: type[BaseModel], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, body)
    assert response.status_code == 200, response.text
    assert response.content == _as_the_model_serializes(model, response.content)
    answer: dict[str, Any] = response.json()
    return answer


def test_repositories_getmany_is_its_models_serialization(api: Api, runtime: Runtime) -> None:
    org = _populate(api, runtime)
    answer = _same(api, RepositoriesPage, "/git/repositories/getmany", {"id": org})
    repositories = answer["result"]["repositories"]
    assert len(repositories) == 6
    assert answer["result"]["removedRepositories"] == 2
    assert {r["isProtected"] for r in repositories} == {True, False}
    for body in (
        {"id": org, "orderby": "isProtected", "ordertype": "desc", "limit": 4, "page": 2},
        {"id": org, "filters": [{"property": "isRemoved", "operator": "eq", "value": True}]},
    ):
        _same(api, RepositoriesPage, "/git/repositories/getmany", body)


def test_organizations_getmany_is_its_models_serialization(api: Api, runtime: Runtime) -> None:
    org = _populate(api, runtime)
    answer = _same(api, PageOf[OrganizationOut], "/git/organizations/getmany", {"limit": 100})
    ours = next(o for o in answer["result"] if o["id"] == org)
    assert (ours["totalRepositories"], ours["removedRepositories"]) == (6, 2)
    assert ours["protectedRepositories"] == 2
    # In a plan without a licence: repos[4] (the removed repos[3] is no plan's member).
    assert ours["missingLicences"] == 1
    assert sorted(p["repoCount"] for p in ours["plans"]) == [1, 2]
    for body in (
        {"orderby": "totalRepositories", "ordertype": "desc", "limit": 2},
        {"filters": [{"property": "removedRepositories", "operator": "gt", "value": 0}]},
    ):
        _same(api, PageOf[OrganizationOut], "/git/organizations/getmany", body)
