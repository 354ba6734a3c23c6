"""What each platform's repository listing says about a repository (fork, archived, topics,
language, size, default branch, description, last-change time), read from the listing the
driver already fetches: no request more than the listing's pages."""

from __future__ import annotations

from repovault.providers.base import Access, Facts
from repovault.providers.facts import iso_ms
from repovault.providers.github import GitHubDriver
from repovault.providers.registry import driver_for
from tests.providers.fake_github import FakeGitHub, repository
from tests.providers.fake_platforms import (
    Platforms,
    bitbucket_repository,
    gitea_repository,
    gitlab_project,
)

PUSHED = "2026-11-30T12:00:00Z"
PUSHED_MS = 1_796_040_000_000


def test_iso_times_are_epoch_milliseconds() -> None:
    assert iso_ms(PUSHED) == PUSHED_MS
    assert iso_ms("2026-11-30T13:00:00.250+01:00") == PUSHED_MS + 250
    assert iso_ms("2026-11-30T12:00:00") is None  # no zone: not comparable
    assert iso_ms("yesterday") is None
    assert iso_ms(None) is None


def test_github_listing_facts() -> None:
    fake = FakeGitHub()
    fork = repository(1, "acme/fork")
    fork.update(
        fork=True,
        archived=True,
        topics=["backup", "git"],
        language="Python",
        size=2048,
        default_branch="trunk",
        description="a fork",
        pushed_at=PUSHED,
    )
    plain = repository(2, "acme/plain")  # the recorded item: no topics, no language
    fake.orgs["acme"] = [fork, plain]
    driver = GitHubDriver(Access(1, "acme", None, None, "ghp_x"), fake.client())
    found = {r.name: r.facts for r in driver.repositories()}
    assert found["acme/fork"] == Facts(
        is_fork=True,
        is_archived=True,
        topics=("backup", "git"),
        language="Python",
        size_kb=2048,
        default_branch="trunk",
        description="a fork",
        last_push_at=PUSHED_MS,
    )
    facts = found["acme/plain"]
    assert facts is not None
    assert (facts.is_fork, facts.topics, facts.language) == (False, (), None)
    assert facts.last_push_at == iso_ms(plain["pushed_at"])  # pushed_at, not updated_at


def test_gitlab_gitea_bitbucket_listing_facts() -> None:
    fakes = Platforms()
    project = gitlab_project(7, "group/svc")
    project.update(
        archived=True,
        topics=["infra"],
        forked_from_project={"id": 3},
        last_activity_at=PUSHED,
        description="service",
    )
    fakes.gitlab.groups["group"] = [project]
    gitlab = driver_for(Access(3, "group", None, None, "glpat"), fakes.client())
    (facts,) = [r.facts for r in gitlab.repositories()]
    assert facts == Facts(
        is_fork=True,
        is_archived=True,
        topics=("infra",),
        default_branch="main",
        description="service",
        last_push_at=PUSHED_MS,
    )

    item = gitea_repository(5, "forge/app")
    item.update(fork=True, topics=["web"], language="Go", size=12, updated_at=PUSHED)
    fakes.gitea.orgs["forge"] = [item]
    gitea = driver_for(Access(5, "forge", "https://forge.example.com", None, "t"), fakes.client())
    (facts,) = [r.facts for r in gitea.repositories()]
    assert facts == Facts(
        is_fork=True,
        topics=("web",),
        language="Go",
        size_kb=12,
        default_branch="main",
        last_push_at=PUSHED_MS,
    )

    repo = bitbucket_repository("{1}", "team/r1")
    repo.update(
        parent={"full_name": "other/r1"},
        language="java",
        size=4096,
        updated_on="2026-11-30T12:00:00.000000+00:00",
        description="",
    )
    fakes.bitbucket.workspaces["team"] = [repo]
    bitbucket = driver_for(Access(2, "team", None, None, "tok"), fakes.client())
    (facts,) = [r.facts for r in bitbucket.repositories()]
    assert facts == Facts(
        is_fork=True,
        language="java",
        size_kb=4,
        default_branch="main",
        description=None,
        last_push_at=PUSHED_MS,
    )
