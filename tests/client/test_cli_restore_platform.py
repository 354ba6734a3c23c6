"""Restoring into an organization from the Python client and the command line (issue 12 §3),
against a real server: `repos restore --to-organization` (one repository, a dry run then for
real) and `orgs restore` (an organization at a time), into the write-capable fake Gitea on
127.0.0.1; the summaries printed are the tasks' results."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from repovault.cli import app
from repovault.client import AsyncClient, Client, Conflict
from repovault.config import Settings
from repovault.organizations.models import Organization
from repovault.runtime import Runtime
from tests.client.test_cli_contents import backed
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.metadata import Backed
from tests.providers.fake_platforms import Platforms
from tests.providers.fake_writable import WritablePlatform
from tests.providers.routed import routed_runtime

__all__ = ["backed"]

TOKEN = "target-token"


@pytest.fixture
def runtime(settings: Settings, platforms: Platforms) -> Iterator[Runtime]:
    routed = routed_runtime(settings, platforms)
    yield routed
    routed.close()


@pytest.fixture
def target(runtime: Runtime, tmp_path: Path) -> Iterator[tuple[WritablePlatform, str]]:
    """The fake Gitea and its organization's id in repovault."""
    (tmp_path / "target").mkdir()
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        with runtime.db.session(write=True) as session:
            organization = Organization(
                driver=5,
                name="acme",
                api_url=platform.api_url,
                token_sealed=runtime.box.seal(TOKEN),
            )
            session.add(organization)
            session.flush()
            organization_id = organization.id
        yield platform, organization_id


def test_the_client_restores_a_repository_and_an_organization(
    backed: Backed, server_url: str, target: tuple[WritablePlatform, str]
) -> None:
    platform, organization = target
    with Client(server_url) as api:
        api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        dry = api.restore_into_organization(backed.repo, organization, name="x", dry_run=True)
        (task,) = api.wait_for_tasks([dry["taskId"]], interval=0.2)
        assert task["status"] == 1, task["logs"]
        assert task["result"]["dryRun"]["issues"] == 3
        assert platform.state == {}

        now = datetime.now(UTC)
        answer = api.restore_organization(
            backed.org, to_organization=organization, at=now, name_prefix="r-", concurrency=1
        )
        assert [r["name"] for r in answer["restores"]] == ["r-app"]
        (task,) = api.wait_for_tasks(answer["taskIds"], interval=0.2)
        assert task["status"] == 1, task["logs"]
        assert len(platform.state["acme/r-app"].issues) == 5
        with pytest.raises(Conflict) as refused:  # r-app is not empty now
            api.restore_organization(backed.org, to_organization=organization, name_prefix="r-")
        assert refused.value.code == "GT1015"


def test_the_async_client_makes_the_same_calls(
    backed: Backed, server_url: str, target: tuple[WritablePlatform, str]
) -> None:
    platform, organization = target

    async def scenario() -> list[Any]:
        async with AsyncClient(server_url) as api:
            await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            one = await api.restore_into_organization(backed.repo, organization, dry_run=True)
            many = await api.restore_organization(
                backed.org, to_organization=organization, dry_run=True, name_prefix="a-"
            )
            return await api.wait_for_tasks([one["taskId"], *many["taskIds"]], interval=0.2)

    tasks = asyncio.run(scenario())
    assert [t["status"] for t in tasks] == [1, 1], [t["logs"] for t in tasks]
    assert all(t["result"]["dryRun"]["repository"] == "create" for t in tasks)
    assert platform.state == {}


def test_the_command_line_restores_into_an_organization(
    cli: CliRunner, backed: Backed, target: tuple[WritablePlatform, str]
) -> None:
    platform, organization = target
    to = ["--to-organization", organization]
    dry = cli.invoke(app, ["repos", "restore", backed.repo, *to, "--name", "copy", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would create (create): " in dry.stdout
    assert "3 issues, " in dry.stdout
    assert "0 placeholders" in dry.stdout
    assert platform.state == {}

    done = cli.invoke(app, ["repos", "restore", backed.repo, *to, "--name", "copy"])
    assert done.exit_code == 0, done.output
    assert "restored into" in done.stdout
    assert "5 issues" in done.stdout
    assert len(platform.state["acme/copy"].issues) == 5

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    whole = cli.invoke(app, ["orgs", "restore", backed.org, *to, "--prefix", "at-", "--at", now])
    assert whole.exit_code == 0, whole.output
    assert f"{backed.repo} -> at-app" in whole.output
    assert "at-app" in {name.split("/")[1] for name in platform.state}
    # Again without --overwrite: the platform's answer, a conflict (exit 5), nothing queued.
    again = cli.invoke(app, ["orgs", "restore", backed.org, *to, "--prefix", "at-"])
    assert again.exit_code == 5, again.output
    assert "GT1015" in again.output
    # Without waiting: the task ids, one a line.
    queued = cli.invoke(
        app, ["orgs", "restore", backed.org, *to, "--prefix", "q-", "--dry-run", "--no-wait"]
    )
    assert queued.exit_code == 0, queued.output
    assert len(queued.stdout.split()) == 1
    # Nothing that old.
    early = cli.invoke(app, ["orgs", "restore", backed.org, *to, "--at", "2000-01-01"])
    assert early.exit_code == 5, early.output
    assert "GT1018" in early.output
    # Usage: one destination only; the platform options only with --to-organization.
    both = cli.invoke(app, ["repos", "restore", backed.repo, *to, "--push", "https://x/y.git"])
    assert both.exit_code == 2
    stray = cli.invoke(app, ["repos", "restore", backed.repo, "--to", "/tmp/x", "--dry-run"])
    assert stray.exit_code == 2
