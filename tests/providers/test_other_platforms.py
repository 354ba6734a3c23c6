"""GitLab, Bitbucket Cloud and Gitea drivers against recorded responses."""

from __future__ import annotations

import base64

import pytest

from repovault.providers.base import Access, ProviderAuthError, ProviderNotFound
from repovault.providers.registry import driver_for
from tests.providers.fake_platforms import (
    Platforms,
    bitbucket_repository,
    bitbucket_server_repository,
    gitea_repository,
    gitlab_project,
)


def test_gitlab_group_with_subgroups_over_pages() -> None:
    fakes = Platforms()
    fakes.gitlab.groups["platform"] = [
        gitlab_project(i, f"platform/sub{i % 3}/svc-{i}", "public" if i == 1 else "private")
        for i in range(1, 131)
    ]
    driver = driver_for(Access(3, "platform", None, "bot", "glpat-x"), fakes.client())
    driver.check()
    repos = list(driver.repositories())
    assert len(repos) == 130
    assert repos[0].name == "platform/sub1/svc-1"
    assert repos[0].clone_url == "https://gitlab.example.com/platform/sub1/svc-1.git"
    assert repos[0].wiki_url == "https://gitlab.example.com/platform/sub1/svc-1.wiki.git"
    assert repos[1].wiki_url is None  # its wiki is switched off
    assert repos[0].is_public
    assert not repos[1].is_public
    creds = driver.git_credentials()
    assert creds is not None
    assert (creds.username, creds.password) == ("bot", "glpat-x")


def test_gitlab_refusals() -> None:
    fakes = Platforms()
    fakes.gitlab.groups["platform"] = []
    fakes.gitlab.valid_tokens = {"good"}
    with pytest.raises(ProviderAuthError, match="401 Unauthorized"):
        driver_for(Access(3, "platform", None, None, "bad"), fakes.client()).check()
    fakes.gitlab.valid_tokens = None
    with pytest.raises(ProviderNotFound, match="no group or user"):
        driver_for(
            Access(3, "nope", "https://gitlab.example.com", None, "t"), fakes.client()
        ).check()


def test_bitbucket_workspace_pages_and_app_passwords() -> None:
    fakes = Platforms()
    fakes.bitbucket.workspaces["team"] = [
        bitbucket_repository(f"{{{i}}}", f"team/r{i}", wiki=i == 1) for i in range(205)
    ]
    pair = base64.b64encode(b"alice:app-password").decode()
    fakes.bitbucket.valid_basic = f"Basic {pair}"
    driver = driver_for(Access(2, "team", None, "alice", "app-password"), fakes.client())
    driver.check()
    repos = list(driver.repositories())
    assert len(repos) == 205
    assert repos[0].server_id == "{0}"
    assert repos[0].clone_url == "https://bitbucket.org/team/r0.git"  # no user inside
    assert repos[0].wiki_url is None
    assert repos[1].wiki_url == "https://bitbucket.org/team/r1.git/wiki"
    with pytest.raises(ProviderAuthError, match="Invalid credentials"):
        driver_for(Access(2, "team", None, "alice", "wrong"), fakes.client()).check()


def test_gitea_organization_pages() -> None:
    fakes = Platforms()
    fakes.gitea.orgs["forge"] = [gitea_repository(i, f"forge/r{i}") for i in range(1, 121)]
    driver = driver_for(
        Access(5, "forge", "https://forge.example.com", None, "tok"), fakes.client()
    )
    driver.check()
    assert [r.server_id for r in driver.repositories()] == [str(i) for i in range(1, 121)]
    with pytest.raises(ProviderNotFound):
        driver_for(
            Access(5, "missing", "https://forge.example.com", None, "tok"), fakes.client()
        ).check()


def test_bitbucket_data_center_project_pages() -> None:
    fakes = Platforms()
    fakes.bitbucket_server.projects["PRJ"] = [
        bitbucket_server_repository(i, "PRJ", f"repo-{i}") for i in range(1, 231)
    ]
    driver = driver_for(
        Access(2, "PRJ", "https://bitbucket.example.com", None, "bbdc-token"), fakes.client()
    )
    driver.check()
    repos = list(driver.repositories())
    assert len(repos) == 230
    assert repos[0].name == "PRJ/repo-1"
    assert repos[0].clone_url == "https://bitbucket.example.com/scm/prj/repo-1.git"
    with pytest.raises(ProviderNotFound, match="does not exist"):
        driver_for(
            Access(2, "NOPE", "https://bitbucket.example.com", None, "t"), fakes.client()
        ).check()
