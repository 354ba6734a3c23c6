"""The GitHub driver against recorded responses: paging, rate limits, refused tokens."""

from __future__ import annotations

import time

import pytest

from repovault.providers.base import (
    Access,
    ProviderAuthError,
    ProviderNotFound,
    ProviderRateLimited,
)
from repovault.providers.github import GitHubDriver
from repovault.providers.http import MAX_PAUSES
from tests.providers.fake_github import ERRORS, FakeGitHub, repository


def _driver(
    fake: FakeGitHub,
    name: str = "acme",
    token: str | None = "ghp_token",
    pauses: list[tuple[float, str]] | None = None,
) -> GitHubDriver:
    driver = GitHubDriver(
        Access(1, name, None, None, token),
        fake.client(),
        on_pause=lambda s, why: (pauses if pauses is not None else []).append((s, why)),
    )
    driver.api.sleep = lambda _seconds: None  # paused, not slept: the test runs at once
    return driver


def test_lists_every_page_with_the_token() -> None:
    fake = FakeGitHub()
    fake.orgs["acme"] = [repository(i, f"acme/repo-{i}", private=i % 2 == 0) for i in range(1, 251)]
    repos = list(_driver(fake).repositories())
    assert [r.server_id for r in repos] == [str(i) for i in range(1, 251)]
    assert repos[0].name == "acme/repo-1"
    assert repos[0].clone_url == "https://github.com/acme/repo-1.git"
    assert repos[0].wiki_url == "https://github.com/acme/repo-1.wiki.git"
    assert repos[0].is_public
    assert not repos[1].is_public
    listed = [r for r in fake.requests if r.url.path == "/orgs/acme/repos"]
    assert len(listed) == 3  # 100 + 100 + 50, following Link rel="next"
    assert all(r.headers["authorization"] == "Bearer ghp_token" for r in fake.requests)
    assert listed[0].url.params["per_page"] == "100"


def test_primary_rate_limit_pauses_until_reset_then_resumes() -> None:
    fake = FakeGitHub()
    fake.orgs["acme"] = [repository(1, "acme/a")]
    reset = int(time.time()) + 30
    pauses: list[tuple[float, str]] = []
    driver = _driver(fake, pauses=pauses)
    driver.check()
    fake.fail_next(
        403, ERRORS["rate_limited"], {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    )
    assert [r.name for r in driver.repositories()] == ["acme/a"]
    assert len(pauses) == 1
    assert 25 <= pauses[0][0] <= 32
    assert "rate limit" in pauses[0][1]


def test_secondary_limit_honours_retry_after_and_backs_off_without_it() -> None:
    fake = FakeGitHub()
    fake.orgs["acme"] = [repository(1, "acme/a")]
    pauses: list[tuple[float, str]] = []
    driver = _driver(fake, pauses=pauses)
    driver.check()
    fake.fail_next(403, ERRORS["secondary"], {"retry-after": "7"})
    fake.fail_next(429, ERRORS["secondary"])
    fake.fail_next(429, ERRORS["secondary"])
    assert len(list(driver.repositories())) == 1
    assert [p for p, _ in pauses] == [7.0, 120.0, 240.0]  # then a minute, doubling


def test_refused_and_under_scoped_tokens() -> None:
    fake = FakeGitHub()
    fake.orgs["acme"] = []
    fake.valid_tokens = {"good"}
    with pytest.raises(ProviderAuthError, match="Bad credentials"):
        _driver(fake, token="expired").check()
    fake.valid_tokens = None
    fake.fail_next(
        403,
        {
            "message": "Resource not accessible by personal access token",
            "documentation_url": "https://docs.github.com/rest",
        },
    )
    with pytest.raises(ProviderAuthError, match="not accessible"):
        _driver(fake).check()


def test_user_accounts_and_the_tokens_own_account() -> None:
    fake = FakeGitHub()
    fake.users["octo"] = [repository(5, "octo/pub")]
    assert [r.name for r in _driver(fake, "octo", token=None).repositories()] == ["octo/pub"]
    assert [r.url.path for r in fake.requests][-1] == "/users/octo/repos"
    fake.token_owner = "me"
    fake.users["me"] = [repository(6, "me/private", private=True)]
    assert [r.name for r in _driver(fake, "me").repositories()] == ["me/private"]
    assert fake.requests[-1].url.path == "/user/repos"
    with pytest.raises(ProviderNotFound, match="no organization or user"):
        _driver(fake, "nobody").check()


def test_additional_tokens_take_over_when_one_is_rate_limited() -> None:
    fake = FakeGitHub()
    fake.orgs["acme"] = [repository(i, f"acme/r{i}") for i in range(1, 251)]
    fake.limited_tokens = {"first"}
    pauses: list[tuple[float, str]] = []
    driver = GitHubDriver(
        Access(1, "acme", None, None, "first", ("second", "third")),
        fake.client(),
        on_pause=lambda s, why: pauses.append((s, why)),
    )
    assert len(list(driver.repositories())) == 250
    assert pauses == []  # no waiting while another token is free
    used = [r.headers["authorization"] for r in fake.requests]
    assert used[0] == "Bearer first"
    assert set(used[1:]) == {"Bearer second"}
    fake.limited_tokens = {"first", "second", "third"}
    slept: list[float] = []
    driver.api.sleep = slept.append
    driver.api.limited_until = [0.0, 0.0, 0.0]
    with pytest.raises(ProviderRateLimited):
        list(driver.repositories())
    assert len(slept) == MAX_PAUSES  # all limited: wait for the earliest reset, bounded
    assert all(3000 < seconds <= 3601 for seconds in slept)
    assert len(pauses) == MAX_PAUSES  # each wait reported (the task log shows it)
