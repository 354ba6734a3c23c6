"""A snapshot's issues and pull requests in Debian's chromium through Playwright: from the
repository page to the list, a live search, an issue's conversation as text, the pull
requests filtered by state."""

from __future__ import annotations

import re
from pathlib import Path

from repovault.client import Client
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.test_console import _shot, browser_page, playwright, pytestmark
from tests.e2e.metadata import ThroughClient, github_with_metadata, run
from tests.providers.fake_github import FakeGitHub

__all__ = ["browser_page", "pytestmark"]


def test_reading_a_snapshots_issues(
    browser_page: object, server_url: str, github: FakeGitHub, tmp_path: Path
) -> None:
    page = browser_page
    expect = playwright.expect
    with Client(server_url) as client:
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        backed = github_with_metadata(ThroughClient(client), github, tmp_path / "git")
        run(ThroughClient(client), backed)

    page.goto(f"{server_url}/console/login")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(ADMIN_EMAIL)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(ADMIN_PASSWORD)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()  # type: ignore[attr-defined]

    page.goto(f"{server_url}/console/repositories/{backed.repo}")  # type: ignore[attr-defined]
    page.get_by_role("link", name="3 issues, 2 pull requests").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Issues")).to_be_visible()  # type: ignore[attr-defined]
    rows = page.locator("#items tbody tr")  # type: ignore[attr-defined]
    expect(rows).to_have_count(3)

    # The search updates the list in place.
    page.get_by_label("Search").fill("crash")  # type: ignore[attr-defined]
    expect(page.locator("#items caption")).to_contain_text("2 issues matching “crash”")  # type: ignore[attr-defined]
    expect(rows).to_have_count(2)
    _shot(page, "snapshot-issues")

    page.get_by_role("link", name="Crash on start").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="#1 Crash on start")).to_be_visible()  # type: ignore[attr-defined]
    conversation = page.locator("ol.conversation > li")  # type: ignore[attr-defined]
    expect(conversation).to_have_count(3)  # the description and two comments
    expect(conversation.nth(1)).to_contain_text("It crashes for me too.")
    expect(conversation.nth(2)).to_contain_text(re.compile(r"carol · 2024-01-06 10:00 UTC"))
    _shot(page, "snapshot-issue")

    # Back to the list, then the merged pull requests.
    page.get_by_role("link", name="Issues").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Pull requests").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Pull requests")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("State").select_option("merged")  # type: ignore[attr-defined]
    expect(page.locator("#items caption")).to_contain_text("(merged)")  # type: ignore[attr-defined]
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fix crash")
