"""Restoring into an organization from the console (issue 12 §3), in Debian's chromium through
Playwright: a snapshot's restore form into the fake Gitea on 127.0.0.1, as a dry run (the
task's page shows the counts) and for real (what it created); then the organization's form,
which restores it at a time, its batch followed on one page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from repovault.client import Client
from repovault.config import Settings
from repovault.organizations.models import Organization
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.test_console import _shot, browser_page, playwright, pytestmark
from tests.e2e.metadata import ThroughClient, github_with_metadata, run
from tests.providers.fake_github import FakeGitHub
from tests.providers.fake_platforms import Platforms
from tests.providers.fake_writable import WritablePlatform
from tests.providers.routed import routed_runtime

__all__ = ["browser_page", "pytestmark"]

TOKEN = "target-token"


@pytest.fixture
def runtime(settings: Settings, platforms: Platforms) -> Iterator[Runtime]:
    routed = routed_runtime(settings, platforms)
    yield routed
    routed.close()


def _target_org(runtime: Runtime, api_url: str) -> None:
    with runtime.db.session(write=True) as session:
        session.add(
            Organization(
                driver=5, name="forge", api_url=api_url, token_sealed=runtime.box.seal(TOKEN)
            )
        )


def test_restoring_into_an_organization_from_the_console(
    browser_page: object, server_url: str, github: FakeGitHub, runtime: Runtime, tmp_path: Path
) -> None:
    page = browser_page
    expect = playwright.expect
    with Client(server_url) as client:
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        backed = github_with_metadata(ThroughClient(client), github, tmp_path / "git")
        run(ThroughClient(client), backed)
    (tmp_path / "target").mkdir()
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN, owner="forge") as target:
        _target_org(runtime, target.api_url)
        page.goto(f"{server_url}/console/login")  # type: ignore[attr-defined]
        page.get_by_label("Email").fill(ADMIN_EMAIL)  # type: ignore[attr-defined]
        page.get_by_label("Password").fill(ADMIN_PASSWORD)  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()  # type: ignore[attr-defined]

        # A dry run from the snapshot's restore form: the task's page counts, nothing written.
        page.goto(f"{server_url}/console/repositories/{backed.repo}")  # type: ignore[attr-defined]
        page.get_by_label("Into an organization").check()  # type: ignore[attr-defined]
        page.locator("select[name=organization]").select_option(label="forge (Gitea/Forgejo)")  # type: ignore[attr-defined]
        page.get_by_label("Repository name").fill("copy")  # type: ignore[attr-defined]
        page.get_by_label("Dry run").check()  # type: ignore[attr-defined]
        page.get_by_role("button", name="Restore", exact=True).click()  # type: ignore[attr-defined]
        expect(page.locator(".flash")).to_contain_text("dry run queued")  # type: ignore[attr-defined]
        counts = page.locator("#dry-run")  # type: ignore[attr-defined]
        expect(counts).to_contain_text("would be created", timeout=30_000)
        expect(counts.get_by_role("row", name="issues 3", exact=True)).to_be_visible()
        expect(counts.get_by_role("row", name="placeholders 0", exact=True)).to_be_visible()
        expect(counts.get_by_role("row", name="pullRequestsAsIssues 2", exact=True)).to_be_visible()  # type: ignore[attr-defined]
        _shot(page, "restore-dry-run")
        assert target.state == {}

        # For real: the task's page says what it created.
        page.goto(f"{server_url}/console/repositories/{backed.repo}")  # type: ignore[attr-defined]
        page.get_by_label("Into an organization").check()  # type: ignore[attr-defined]
        page.locator("select[name=organization]").select_option(label="forge (Gitea/Forgejo)")  # type: ignore[attr-defined]
        page.get_by_label("Repository name").fill("copy")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Restore", exact=True).click()  # type: ignore[attr-defined]
        created = page.locator("#created")  # type: ignore[attr-defined]
        expect(created).to_contain_text("Restored into copy", timeout=30_000)
        expect(created.locator("tr", has_text="issues")).to_contain_text("5")
        assert len(target.state["forge/copy"].issues) == 5

        # The whole organization, from its page: a dry run by default, the batch followed.
        page.goto(f"{server_url}/console/organizations/{backed.org}")  # type: ignore[attr-defined]
        page.locator("#restore-title ~ form select[name=organization]").select_option(  # type: ignore[attr-defined]
            label="forge (Gitea/Forgejo)"
        )
        page.get_by_label("Name prefix").fill("r-")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Restore the organization").click()  # type: ignore[attr-defined]
        expect(page.get_by_role("heading", name="Restores into an organization")).to_be_visible()  # type: ignore[attr-defined]
        row = page.locator("#restores tbody tr")  # type: ignore[attr-defined]
        expect(row).to_have_count(1)
        expect(row.first).to_contain_text("acme/app")
        expect(row.first).to_contain_text("would create it", timeout=30_000)
        expect(row.first).to_contain_text("3 issues")
        expect(row.first).to_contain_text("0 placeholders")
        _shot(page, "restore-organization")
        # An error comes back to the form's page: nothing that old.
        page.goto(f"{server_url}/console/organizations/{backed.org}")  # type: ignore[attr-defined]
        page.get_by_label("As it was at").fill("2001-01-01T00:00:00")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Restore the organization").click()  # type: ignore[attr-defined]
        # In the error style, in plain words (no code, no field path).
        expect(page.get_by_role("alert")).to_contain_text("has a snapshot taken at or before")  # type: ignore[attr-defined]
        assert "forge/r-app" not in target.state
