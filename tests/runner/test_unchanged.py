"""Unchanged costs nothing (runner/unchanged.py): a repository whose platform listing's
last-change time has not moved since its last good snapshot is confirmed without git; a
moved time (every platform) brings a real backup; a push the time does not show is caught
by the fallback rule (git every `unchanged_git_every`-th run, or a changed metadata page)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from repovault.runner import unchanged
from repovault.runtime import Runtime
from tests.api.test_sync import _sync
from tests.api.world import add_org, add_plan
from tests.conftest import Api
from tests.e2e.flow import make_sources, wait_tasks
from tests.engine.repos import commit, git
from tests.providers.fake_github import ERRORS, pull_request, repository
from tests.providers.fake_platforms import (
    Platforms,
    bitbucket_repository,
    gitea_repository,
    gitlab_project,
)

T1, T2 = "2026-11-30T12:00:00Z", "2026-11-30T13:00:00Z"
NO_GIT = "unchanged since 2026-11-30T12:00:00Z (platform), no git"


@pytest.fixture(autouse=True)
def _fresh_listings(platforms: Platforms) -> Iterator[None]:
    platforms.github.pushed_from_disk = False  # these tests set pushed_at themselves
    unchanged.forget()
    yield
    unchanged.forget()


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """Git looks at every third run (the default is ten)."""
    return dataclasses.replace(
        runtime, settings=runtime.settings.model_copy(update={"unchanged_git_every": 3})
    )


@dataclasses.dataclass
class Platform:
    driver: int
    name: str
    extra: dict[str, Any]
    item: Callable[[str, str], dict[str, Any]]  # (file URL, time) -> the listing's item
    place: Callable[[Platforms, list[dict[str, Any]]], None]


def _github(url: str, at: str) -> dict[str, Any]:
    item = repository(1, "acme/app")
    item.update(clone_url=url, has_wiki=False, pushed_at=at)
    return item


def _gitlab(url: str, at: str) -> dict[str, Any]:
    item = gitlab_project(2, "group/app")
    item.update(http_url_to_repo=url, wiki_enabled=False, last_activity_at=at)
    return item


def _gitea(url: str, at: str) -> dict[str, Any]:
    item = gitea_repository(3, "forge/app")
    item.update(clone_url=url, updated_at=at)
    return item


def _bitbucket(url: str, at: str) -> dict[str, Any]:
    item = bitbucket_repository("{4}", "team/app")
    item["links"]["clone"] = [{"name": "https", "href": url}]
    item["updated_on"] = at
    return item


PLATFORMS = {
    "github": Platform(1, "acme", {}, _github, lambda p, i: p.github.orgs.__setitem__("acme", i)),
    "gitlab": Platform(
        3, "group", {}, _gitlab, lambda p, i: p.gitlab.groups.__setitem__("group", i)
    ),
    "gitea": Platform(
        5,
        "forge",
        {"apiUrl": "https://forge.example.com"},
        _gitea,
        lambda p, i: p.gitea.orgs.__setitem__("forge", i),
    ),
    "bitbucket": Platform(
        2,
        "team",
        {"username": "bot"},
        _bitbucket,
        lambda p, i: p.bitbucket.workspaces.__setitem__("team", i),
    ),
}


@dataclasses.dataclass
class Setup:
    api: Api
    plan: str
    source: Path
    platforms: Platforms
    platform: Platform

    def list_at(self, at: str) -> None:
        self.platform.place(self.platforms, [self.platform.item(self.source.as_uri(), at)])

    def run(self) -> dict[str, Any]:
        ids = self.api.ok("/plans/run", {"id": self.plan})["taskIds"]
        (task,) = wait_tasks(self.api, ids)
        assert task["status"] == 1, task
        return dict(task)


def _setup(api: Api, platforms: Platforms, tmp_path: Path, kind: str, **plan: Any) -> Setup:
    platform = PLATFORMS[kind]
    source = make_sources(tmp_path / "git", ("app",))["team/app"]
    setup = Setup(api, "", source, platforms, platform)
    setup.list_at(T1)
    org = add_org(api, driver=platform.driver, name=platform.name, token="tok", **platform.extra)
    (repo,) = _sync(api, org)["result"]["repositories"]
    api.ok("/git/repositories/activate", {"ids": [repo["id"]]})
    setup.plan = add_plan(api, org, repositoriesIds=[repo["id"]], **plan)
    return setup


def _lines(task: dict[str, Any]) -> list[str]:
    return [line["message"] for line in task["logs"]]


def _push(source: Path, tmp_path: Path, name: str) -> str:
    """A commit pushed to the source's main branch (through a clone): the new tip."""
    work = tmp_path / f"push-{name}"
    git(tmp_path, "clone", "-q", str(source), str(work))
    tip = commit(work, f"pushed {name}", {f"{name}.txt": name.encode()})
    git(work, "push", "-q", "origin", f"HEAD:refs/heads/{name}")
    return tip


@pytest.mark.parametrize("kind", sorted(PLATFORMS))
def test_unchanged_without_git_and_a_moved_time_backs_up(
    api: Api, platforms: Platforms, tmp_path: Path, kind: str
) -> None:
    setup = _setup(api, platforms, tmp_path, kind, includeMetadata=False)
    first = setup.run()
    assert first["result"]["created"] is True
    assert first["result"]["platformChangedAt"] == 1_796_040_000_000
    # Unchanged: no git at all (with the source gone, any git would fail the task).
    hidden = setup.source.with_name("hidden.git")
    setup.source.rename(hidden)
    second = setup.run()
    assert NO_GIT in _lines(second)
    assert second["result"]["unchangedWithoutGit"] is True
    hidden.rename(setup.source)
    # A push moves the time: a real backup, with the new commit in its snapshot.
    _push(setup.source, tmp_path, "moved")
    setup.list_at(T2)
    third = setup.run()
    assert not any("(platform), no git" in line for line in _lines(third))
    assert third["result"]["created"] is True
    snapshots = setup.api.ok("/git/repositories/snapshots", {"id": _repo_id(setup)})
    assert snapshots["totalEntries"] == 2  # the first and the moved one; none without git


def _repo_id(setup: Setup) -> str:
    plan = setup.api.ok("/plans/get", {"id": setup.plan})
    repo_id: str = plan["repositoriesIds"][0]
    return repo_id


def test_a_push_the_time_misses_is_caught_by_git_every_nth_run(
    api: Api, platforms: Platforms, tmp_path: Path
) -> None:
    setup = _setup(api, platforms, tmp_path, "github", includeMetadata=False)
    assert setup.run()["result"]["created"] is True
    # A pull request's head pushed from a fork: refs/pull/9/head moves, pushed_at does not.
    _push(setup.source, tmp_path, "fork-head")
    git(setup.source, "update-ref", "refs/pull/9/head", "refs/heads/fork-head")
    # The blind spot: runs 2 and 3 are confirmed without git ...
    assert NO_GIT in _lines(setup.run())
    assert NO_GIT in _lines(setup.run())
    fourth = setup.run()  # ... and every third run (unchanged_git_every = 3) is git's
    assert not any("(platform), no git" in line for line in _lines(fourth))
    assert fourth["result"]["created"] is True
    assert NO_GIT in _lines(setup.run())  # counted again from the git run


def test_a_changed_metadata_page_sends_git_to_look(
    api: Api, platforms: Platforms, tmp_path: Path
) -> None:
    """With metadata, the pull request listing is read anyway: a pushed head changes the
    pull request's `updated_at`, so its page is no 304 and git looks at every ref."""
    setup = _setup(api, platforms, tmp_path, "github", includeMetadata=True)
    endpoints = ("issues", "pulls", "pulls/comments", "issues/comments", "releases", "labels")
    platforms.github.repo_data["acme/app"] = {e: [] for e in (*endpoints, "milestones")}
    assert setup.run()["result"]["created"] is True
    assert NO_GIT in _lines(setup.run())  # every page a 304
    _push(setup.source, tmp_path, "fork-head")
    git(setup.source, "update-ref", "refs/pull/9/head", "refs/heads/fork-head")
    data = platforms.github.repo_data["acme/app"]
    data["pulls"].append(pull_request(9, "from a fork"))
    data["pulls/9/reviews"] = []
    third = setup.run()
    assert "the platform's metadata changed: git looks at every ref" in _lines(third)
    assert third["result"]["created"] is True


def test_no_listing_time_means_git(api: Api, platforms: Platforms, tmp_path: Path) -> None:
    setup = _setup(api, platforms, tmp_path, "github", includeMetadata=False)
    setup.list_at("")  # a listing without pushed_at
    setup.run()
    second = setup.run()
    assert not any("(platform), no git" in line for line in _lines(second))


def test_a_run_confirms_its_other_unchanged_repositories_at_once(
    api: Api, platforms: Platforms, tmp_path: Path
) -> None:
    """The first task to read the listing ends the run's other queued tasks it confirms, in
    one transaction; a repository whose time moved still gets its git backup."""
    sources = make_sources(tmp_path / "git", ("a", "b", "c", "d"))
    names = sorted(sources)

    def listing(moved: str | None) -> None:
        items = []
        for i, name in enumerate(names, 1):
            item = repository(i, name.replace("team/", "acme/"))
            at = T2 if name == moved else T1
            item.update(clone_url=sources[name].as_uri(), has_wiki=False, pushed_at=at)
            items.append(item)
        platforms.github.orgs["acme"] = items

    listing(None)
    org = add_org(api, driver=1, name="acme", token="tok")
    repos = [r["id"] for r in _sync(api, org)["result"]["repositories"]]
    api.ok("/git/repositories/activate", {"ids": repos})
    plan = add_plan(
        api,
        org,
        repositoriesIds=repos,
        includeMetadata=False,
        advancedOptions={"maxConcurrentTasks": "1"},
    )

    def run() -> list[dict[str, Any]]:
        tasks = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
        assert all(t["status"] == 1 for t in tasks), tasks
        return tasks

    assert all(t["result"]["created"] for t in run())
    _push(sources["team/c"], tmp_path, "moved")
    listing("team/c")
    second = run()
    by_repo = {t["repositoryId"]: t for t in second}
    moved = next(t for t in second if t["result"].get("created"))
    assert moved["result"]["platformChangedAt"] == 1_796_043_600_000
    others = [t for t in second if t is not moved]
    assert len(others) == 3
    assert all(t["result"]["unchangedWithoutGit"] for t in others)
    assert all(NO_GIT in _lines(t) for t in others)
    # Ended in bulk: no claim, no run of its own; its log as a task's of its own would say.
    bulk = ["backup task queued", NO_GIT, "finished"]  # never claimed, no attempt started
    assert sum(1 for t in others if _lines(t) == bulk) >= 2
    assert len(by_repo) == 4
    listed = api.ok("/git/repositories/getmany", {"id": org})["result"]["repositories"]
    assert all(r["lastBackupTaskStatus"] == 1 for r in listed)
    assert {r["lastSuccessfulBackup"] for r in listed} >= {t["finishedAt"] for t in others}


def test_a_small_run_in_a_big_organization_keeps_ls_remote(
    api: Api, platforms: Platforms, tmp_path: Path
) -> None:
    """One repository of 120: the listing (3 pages at the smallest) would cost more than the
    run saves; ls-remote costs the platform's API nothing."""
    setup = _setup(api, platforms, tmp_path, "github", includeMetadata=False)
    others = [repository(i, f"acme/other-{i}") for i in range(100, 220)]
    platforms.github.orgs["acme"] = [
        _github(setup.source.as_uri(), T1),
        *others,
    ]
    org = api.ok("/plans/get", {"id": setup.plan})["organizationId"]
    _sync(api, org)
    setup.run()
    before = len(platforms.github.requests)
    second = setup.run()
    assert not any("(platform), no git" in line for line in _lines(second))
    listing = [r for r in platforms.github.requests[before:] if r.url.path.endswith("/repos")]
    assert listing == []


def test_a_listing_that_fails_means_git(api: Api, platforms: Platforms, tmp_path: Path) -> None:
    setup = _setup(api, platforms, tmp_path, "github", includeMetadata=False)
    setup.run()
    platforms.github.fail_next(404, ERRORS["not_found"])  # the listing's first request
    second = setup.run()
    assert not any("(platform), no git" in line for line in _lines(second))
    assert second["result"]["platformChangedAt"] is None  # nothing to trust next time
    third = setup.run()  # a git backup without a listing time: git again
    assert not any("(platform), no git" in line for line in _lines(third))
