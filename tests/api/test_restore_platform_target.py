"""Issue 12 §3: `/git/repositories/restore` with a platform target is checked at the call:
its fields, the organizations' platforms, and (asked of the platform) a target repository
that exists and is not empty, refused without `overwrite` before any task exists."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from repovault.common import codes
from repovault.common.errors import Conflict, InvalidInput
from repovault.organizations.models import Organization
from repovault.repositories.models import Repository
from repovault.repositories.platform_targets import check_platform_target
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.world import build_world
from tests.conftest import Api
from tests.providers.fake_writable import WritablePlatform

TOKEN = "target-token"


def _tasks(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def _restore(api: Api, repository: str, target: dict[str, Any]) -> httpx.Response:
    return api.post("/git/repositories/restore", {"id": repository, "target": target})


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({"kind": "platform"}, "target.organizationId"),
        ({"kind": "platform", "organizationId": 7}, "target.organizationId"),
        ({"kind": "platform", "organizationId": "o", "name": "../x"}, "target.name"),
        ({"kind": "platform", "organizationId": "o", "name": ".."}, "target.name"),
        ({"kind": "platform", "organizationId": "o", "dryRun": "yes"}, "target.dryRun"),
        ({"kind": "platform", "organizationId": "o", "overwrite": 1}, "target.overwrite"),
    ],
)
def test_bad_fields_are_400_naming_them(
    api: Api, runtime: Runtime, target: dict[str, Any], field: str
) -> None:
    world = build_world(api, runtime)
    before = _tasks(runtime)
    response = _restore(api, world.repos[0], target)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert _tasks(runtime) == before


def test_an_unknown_organization_is_404(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    response = _restore(api, world.repos[0], {"kind": "platform", "organizationId": "nope"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errorCode"] == codes.ORGANIZATION_NOT_FOUND


def test_plain_git_is_not_a_platform_target(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    response = _restore(api, world.repos[0], {"kind": "platform", "organizationId": world.org})
    assert response.status_code == 400
    message = response.json()["errors"]["target.organizationId"][0]
    assert "Bitbucket Cloud and Azure DevOps organizations only" in message


def test_a_project_in_the_name_is_for_azure_devops_only(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    with runtime.db.session(write=True) as session:
        lab = Organization(driver=3, name="lab", api_url="http://127.0.0.1:9/api/v4")
        source = session.get(Organization, world.org)
        assert source is not None
        source.driver = 1  # a GitHub snapshot: one a restore reads
        session.add(lab)
        session.flush()
        lab_id = lab.id
    for name, field in (("Beta/app", "target.name"), ("a/b/app", "target.name")):
        target = {"kind": "platform", "organizationId": lab_id, "name": name, "dryRun": True}
        response = _restore(api, world.repos[0], target)
        assert response.status_code == 400, name
        assert list(response.json()["errors"]) == [field]


def test_bitbucket_data_center_is_not_a_platform_target(api: Api, runtime: Runtime) -> None:
    """Driver 2 writes into Bitbucket Cloud; with a server's own apiUrl it is Data Center."""
    world = build_world(api, runtime)
    with runtime.db.session(write=True) as session:
        target = Organization(driver=2, name="dc", api_url="https://bitbucket.example.com")
        session.add(target)
        session.flush()
        target_id = target.id
    response = _restore(api, world.repos[0], {"kind": "platform", "organizationId": target_id})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "not Bitbucket Data Center" in response.json()["errors"]["target.organizationId"][0]


def _as_gitea(runtime: Runtime, organization_id: str, api_url: str) -> None:
    with runtime.db.session(write=True) as session:
        organization = session.get(Organization, organization_id)
        assert organization is not None
        organization.driver, organization.name, organization.api_url = 5, "acme", api_url
        organization.token_sealed = runtime.box.seal(TOKEN)


def test_a_repository_that_exists_and_is_not_empty_is_refused_unless_overwrite(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    world = build_world(api, runtime)
    (tmp_path / "target").mkdir()
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        _as_gitea(runtime, world.org, platform.api_url)
        target = {"kind": "platform", "organizationId": world.org, "name": "app"}
        platform.platform.create_repository({"name": "app", "private": False})
        with runtime.db.session() as session, httpx.Client() as http:
            repository = session.get(Repository, world.repos[0])
            assert repository is not None
            checked = {**target, "overwrite": False, "dryRun": False}
            # New or empty: accepted.
            check_platform_target(session, runtime.box, http, repository=repository, target=checked)
            folder = platform.state["acme/app"].folder
            work = tmp_path / "work"
            for args in (
                ["init", "-q", "-b", "main", str(work)],
                [
                    "-C",
                    str(work),
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@e",
                    "commit",
                    "-q",
                    "--allow-empty",
                    "-m",
                    "x",
                ],
                ["-C", str(work), "push", "-q", str(folder), "main"],
            ):
                subprocess.run(["git", *args], check=True)
            with pytest.raises(Conflict, match="exists and is not empty") as refused:
                check_platform_target(
                    session, runtime.box, http, repository=repository, target=checked
                )
            assert refused.value.code == codes.TARGET_NOT_EMPTY
            check_platform_target(
                session,
                runtime.box,
                http,
                repository=repository,
                target={**checked, "overwrite": True},
            )


def test_every_platform_is_a_source_but_plain_git_and_data_center(
    api: Api, runtime: Runtime
) -> None:
    """The source's platform must be one whose documents a restore reads (GitHub, Bitbucket
    Cloud, GitLab, Azure DevOps, Gitea/Forgejo): a plain Git or Bitbucket Data Center
    organization's repository is refused on `id`."""
    world = build_world(api, runtime)
    with runtime.db.session(write=True) as session:
        target = Organization(driver=5, name="acme", api_url="http://127.0.0.1:9/api/v1")
        session.add(target)
        session.flush()
        target_id = target.id
    checked = {"organizationId": target_id, "name": "app", "overwrite": False, "dryRun": True}
    sources = (
        (3, None, False),
        (4, None, False),
        (2, None, False),
        (2, "https://api.bitbucket.org/2.0", False),
        (6, None, True),
        (2, "https://bitbucket.example.com", True),
    )
    for driver, api_url, refused in sources:
        with runtime.db.session(write=True) as session:
            source = session.get(Organization, world.org)
            assert source is not None
            source.driver, source.api_url = driver, api_url
        with runtime.db.session() as session, httpx.Client() as http:
            repository = session.get(Repository, world.repos[0])
            assert repository is not None
            if not refused:
                check_platform_target(
                    session, runtime.box, http, repository=repository, target=checked
                )
                continue
            with pytest.raises(InvalidInput) as error:
                check_platform_target(
                    session, runtime.box, http, repository=repository, target=checked
                )
            assert list(error.value.errors or {}) == ["id"]
            assert "not Bitbucket Data Center, nor plain Git" in str(error.value.errors)
