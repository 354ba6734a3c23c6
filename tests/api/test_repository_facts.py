"""What the platforms say about each repository, through the API: synchronized from the
listing, returned by `/git/repositories/getmany` (extra members), filtered on there, and
selected on by plan rules (skip forks, skip archived, topic, language, regex on the name)."""

from __future__ import annotations

from typing import Any

from tests.api.test_sync import _sync
from tests.api.world import add_org, add_plan
from tests.conftest import Api
from tests.providers.fake_github import FakeGitHub, repository

PUSHED_MS = 1_796_040_000_000


def _acme(github: FakeGitHub) -> None:
    fork = repository(1, "acme/fork-of-tool")
    fork.update(fork=True, topics=["cli"], language="Go", pushed_at="2026-11-30T12:00:00Z")
    old = repository(2, "acme/old-site")
    old.update(archived=True, topics=["web", "legacy"], language="HTML", size=10)
    api_repo = repository(3, "acme/api-server")
    api_repo.update(topics=["web", "backend"], language="Python", default_branch="main")
    github.orgs["acme"] = [fork, old, api_repo]


def _names(api: Api, org: str, *filters: dict[str, Any]) -> list[str]:
    body = {"id": org, "filters": list(filters)}
    reply = api.ok("/git/repositories/getmany", body)
    return sorted(r["name"] for r in reply["result"]["repositories"])


def _repo_count(api: Api, plan: str) -> int:
    for org in api.ok("/git/organizations/getmany", {"limit": 1000})["result"]:
        for summary in org["plans"]:
            if summary["id"] == plan:
                count: int = summary["repoCount"]
                return count
    raise AssertionError(plan)


def test_getmany_returns_and_filters_the_listing_facts(api: Api, github: FakeGitHub) -> None:
    _acme(github)
    org = add_org(api, driver=1, name="acme", token="ghp_x")
    reply = _sync(api, org)
    by_name = {r["name"]: r for r in reply["result"]["repositories"]}
    fork = by_name["acme/fork-of-tool"]
    assert {k: fork[k] for k in ("isFork", "isArchived", "topics", "language", "lastPushAt")} == {
        "isFork": True,
        "isArchived": False,
        "topics": ["cli"],
        "language": "Go",
        "lastPushAt": PUSHED_MS,
    }
    old = by_name["acme/old-site"]
    assert (old["isArchived"], old["sizeKb"], old["defaultBranch"]) == (True, 10, "master")
    assert old["description"] == "This your first repo!"
    eq = "eq"
    assert _names(api, org, {"property": "isFork", "operator": eq, "value": False}) == [
        "acme/api-server",
        "acme/old-site",
    ]
    assert _names(api, org, {"property": "topics", "operator": eq, "value": "web"}) == [
        "acme/api-server",
        "acme/old-site",
    ]
    assert _names(api, org, {"property": "topics", "operator": "in", "value": ["cli", "x"]}) == [
        "acme/fork-of-tool"
    ]
    assert _names(api, org, {"property": "topics", "operator": "neq", "value": "web"}) == [
        "acme/fork-of-tool"
    ]
    assert _names(api, org, {"property": "topics", "operator": "contains", "value": "LEG"}) == [
        "acme/old-site"
    ]
    assert _names(
        api,
        org,
        {"property": "isArchived", "operator": eq, "value": "false"},
        {"property": "language", "operator": eq, "value": "Python"},
    ) == ["acme/api-server"]
    assert _names(api, org, {"property": "lastPushAt", "operator": "gte", "value": PUSHED_MS}) == [
        "acme/fork-of-tool"
    ]


def test_bad_filters_on_the_facts_are_400(api: Api, github: FakeGitHub) -> None:
    _acme(github)
    org = add_org(api, driver=1, name="acme", token="ghp_x")
    for body, field in (
        ({"filters": [{"property": "topics", "operator": "gt", "value": "a"}]}, "filters.0.value"),
        ({"filters": [{"property": "topics", "operator": "eq", "value": 3}]}, "filters.0.value"),
        ({"filters": [{"property": "isFork", "operator": "eq", "value": "x"}]}, "filters.0.value"),
        ({"orderby": "topics"}, "orderby"),
    ):
        response = api.post("/git/repositories/getmany", {"id": org, **body})
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.json()["errors"], response.text
    ordered = api.ok("/git/repositories/getmany", {"id": org, "orderby": "sizeKb"})
    assert ordered["result"]["repositories"] == []  # not synchronized yet: no rows, no error


def _rules(*filters: dict[str, Any], all_of: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "type": 3,
            "choiceMode": 2,
            "ruleChoice": {"meetAllRules": all_of, "rules": list(filters)},
        }
    ]


def test_plan_rules_select_on_the_facts(api: Api, github: FakeGitHub) -> None:
    _acme(github)
    org = add_org(api, driver=1, name="acme", token="ghp_x", autoAddNewRepositories=True)
    _sync(api, org)
    no_forks_no_archived = add_plan(
        api,
        org,
        gitChoiceMode=3,
        rules=_rules(
            {"property": "isFork", "operator": "eq", "value": False},
            {"property": "isArchived", "operator": "eq", "value": False},
        ),
    )
    assert _repo_count(api, no_forks_no_archived) == 1
    web = add_plan(
        api,
        org,
        gitChoiceMode=3,
        rules=_rules({"property": "topics", "operator": "eq", "value": "web"}),
    )
    assert _repo_count(api, web) == 2
    regex_topic = add_plan(
        api,
        org,
        gitChoiceMode=3,
        rules=_rules({"property": "topics", "operator": "regex", "value": "^leg"}),
    )
    assert _repo_count(api, regex_topic) == 1
    # Include by a regular expression on the full name, exclude by another.
    named = add_plan(
        api,
        org,
        gitChoiceMode=3,
        rules=_rules(
            {"property": "name", "operator": "regex", "value": r"^acme/"},
            {"property": "name", "operator": "regex", "value": r"^(?!.*fork)"},
            {"property": "language", "operator": "in", "value": ["Go", "Python"]},
        ),
    )
    assert _repo_count(api, named) == 1
