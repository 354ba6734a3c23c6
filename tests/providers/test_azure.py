"""The Azure DevOps driver: projects across continuation pages, repositories with their
projects, wikis, and a refused personal access token."""

from __future__ import annotations

import pytest

from repovault.providers.azure import AzureDevOpsDriver
from repovault.providers.base import Access, ProviderAuthError
from tests.providers.fake_platforms import (
    Platforms,
    azure_project,
    azure_repository,
    azure_wiki,
)


def _fill(fakes: Platforms) -> list[dict[str, object]]:
    projects = [azure_project(f"p{i}", f"Project {i}") for i in range(5)]
    fakes.azure.projects = projects
    fakes.azure.repositories = [
        azure_repository("r1", "api", projects[0]),
        azure_repository("r2", "web", projects[1]),
        azure_repository("r3", "archive", projects[1], disabled=True),
    ]
    fakes.azure.wikis = [azure_wiki("w1", "Project 0.wiki", projects[0], "wr1")]
    return projects  # type: ignore[return-value]


def test_projects_repositories_and_wikis() -> None:
    fakes = Platforms()
    _fill(fakes)
    driver = AzureDevOpsDriver(Access(4, "fabrikam", None, None, "pat"), fakes.client())
    driver.check()
    assert [p.server_id for p in driver.projects()] == ["p0", "p1", "p2", "p3", "p4"]
    repos = list(driver.repositories())
    assert [(r.name, r.project_server_id) for r in repos] == [
        ("Project 0/api", "p0"),
        ("Project 1/web", "p1"),
    ]
    assert repos[0].clone_url == "https://dev.azure.com/fabrikam/Project 0/_git/api"
    wikis = list(driver.wikis())
    assert [(w.name, w.project_server_id) for w in wikis] == [("Project 0.wiki", "p0")]
    assert {r.url.params["api-version"] for r in fakes.azure.requests} == {"7.1"}


def test_refused_token_gets_the_sign_in_page() -> None:
    fakes = Platforms()
    fakes.azure.valid_tokens = {"good"}
    with pytest.raises(ProviderAuthError, match="personal access token"):
        AzureDevOpsDriver(Access(4, "fabrikam", None, None, "bad"), fakes.client()).check()
