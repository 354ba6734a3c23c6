"""Managing the server from the console in Debian's chromium, on a 390 px wide phone screen
(issue 14): an organization added from the empty dashboard (a wrong folder refused beside its
field first), modified, removed after typing its name; a user with the password asked twice;
storages, workers and settings; no page scrolls sideways."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.test_console import _shot, browser_page, playwright, pytestmark
from tests.e2e.flow import make_sources

__all__ = ["browser_page", "pytestmark"]

WIDTH = 390


def _fits(page: object) -> None:
    """The page is no wider than the screen (nothing to scroll sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    wide = page.evaluate(  # type: ignore[attr-defined]
        "[innerWidth, document.body.scrollWidth, ...[...document.querySelectorAll('*')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > 390)"
        ".map(e => e.tagName + '.' + e.className + ':' + e.scrollWidth + '/' + e.clientWidth)"
        ".slice(0, 8)]"
    )
    assert width <= WIDTH, (page.url, width, wide)  # type: ignore[attr-defined]


def test_managing_the_server_on_a_phone(
    browser_page: object, server_url: str, tmp_path: Path
) -> None:
    page = browser_page
    expect = playwright.expect
    page.set_viewport_size({"width": WIDTH, "height": 844})  # type: ignore[attr-defined]
    make_sources(tmp_path / "git", ("app", "docs"))
    page.goto(f"{server_url}/console/login")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(ADMIN_EMAIL)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(ADMIN_PASSWORD)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()  # type: ignore[attr-defined]
    _fits(page)

    # An organization, from the empty dashboard: a folder that is not there is refused.
    page.get_by_role("link", name="Add an organization").click()  # type: ignore[attr-defined]
    page.locator("select[name=driver]").select_option(label="Git")  # type: ignore[attr-defined]
    page.get_by_label("Name (the organization").fill("local-team")  # type: ignore[attr-defined]
    page.get_by_label("Server URL").fill((tmp_path / "missing").as_uri())  # type: ignore[attr-defined]
    page.get_by_role("button", name="Add the organization").click()  # type: ignore[attr-defined]
    expect(page.locator(".errors li")).to_have_count(1)  # type: ignore[attr-defined]
    expect(page.locator(".errors li")).to_contain_text("The platform refused: /")  # type: ignore[attr-defined]
    expect(page.get_by_label("Name (the organization")).to_have_value("local-team")  # type: ignore[attr-defined]
    _fits(page)
    _shot(page, "organization-add")
    page.get_by_label("Server URL").fill((tmp_path / "git").as_uri())  # type: ignore[attr-defined]
    page.get_by_role("button", name="Add the organization").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="local-team")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".flash")).to_contain_text("organization local-team added")  # type: ignore[attr-defined]

    page.get_by_role("main").get_by_role("link", name="Modify").click()  # type: ignore[attr-defined]
    page.get_by_label("Name (the organization").fill("renamed-team")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="renamed-team")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organizations").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("row", name=re.compile("renamed-team"))).to_contain_text("Git")  # type: ignore[attr-defined]
    _fits(page)
    _shot(page, "organizations")
    page.get_by_role("link", name="Remove renamed-team").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Remove the organization").click()  # type: ignore[attr-defined]
    expect(page.locator("#confirm-error")).to_contain_text("Type the organization's name")  # type: ignore[attr-defined]
    page.get_by_label("Type renamed-team to confirm").fill("renamed-team")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Remove the organization").click()  # type: ignore[attr-defined]
    expect(page.locator(".flash")).to_contain_text("organization renamed-team removed")  # type: ignore[attr-defined]
    expect(page.get_by_text("No organization yet.")).to_be_visible()  # type: ignore[attr-defined]

    # A user: the password asked twice.
    page.get_by_role("link", name="Users").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="New user").click()  # type: ignore[attr-defined]
    page.get_by_label("Email").fill("ops@example.org")  # type: ignore[attr-defined]
    page.get_by_label("Password (8 characters or more)").fill("password-123")  # type: ignore[attr-defined]
    page.get_by_label("The same password again").fill("password-124")  # type: ignore[attr-defined]
    page.get_by_label("Git management").check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Create the user").click()  # type: ignore[attr-defined]
    expect(page.locator("#password_again-error")).to_have_text("The two passwords differ.")  # type: ignore[attr-defined]
    page.get_by_label("Password (8 characters or more)").fill("password-123")  # type: ignore[attr-defined]
    page.get_by_label("The same password again").fill("password-123")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Create the user").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("row", name=re.compile("ops@example.org"))).to_contain_text(
        "GitManagement"
    )  # type: ignore[attr-defined]
    _fits(page)
    _shot(page, "users")

    # Storages, workers, settings: each fits the screen, no secret on the settings page.
    for link, heading in (
        ("Storages", "Storages"),
        ("Workers", "Workers"),
        ("Settings", "Settings"),
    ):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()  # type: ignore[attr-defined]
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()  # type: ignore[attr-defined]
        _fits(page)
        _shot(page, heading.lower())
    expect(page.locator("#settings")).to_contain_text("REPOVAULT_SECRET_KEY")  # type: ignore[attr-defined]
    assert ADMIN_PASSWORD not in page.content()  # type: ignore[attr-defined]
