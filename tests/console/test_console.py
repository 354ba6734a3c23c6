"""The web console, driven by Debian's chromium through Playwright: log in with the
keyboard, see coverage, search and protect repositories, write a plan with a live schedule
preview, run it, watch its task, restore from the repository page."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.client import Client
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.flow import make_sources, refs_and_objects

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)


@pytest.fixture
def browser_page(server_url: str) -> Iterator[object]:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()


def _shot(page: object, name: str) -> None:
    """Screenshots for docs/console/, refreshed when REPOVAULT_SCREENSHOTS is set."""
    if os.environ.get("REPOVAULT_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_a_day_in_the_console(browser_page: object, server_url: str, tmp_path: Path) -> None:
    page = browser_page
    expect = playwright.expect
    sources = make_sources(tmp_path / "git", ("app", "docs"))
    with Client(server_url) as api:
        api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        org = api.add_organization(6, "local-team", api_url=(tmp_path / "git").as_uri())["id"]
        api.sync(org)
        api.wait_for_tasks([t["id"] for t in api.iter_tasks()], interval=0.1, timeout=30)

    # Log in with the keyboard alone.
    page.goto(server_url)  # type: ignore[attr-defined]
    expect(page).to_have_url(re.compile(r"/console/login$"))
    _shot(page, "login")
    page.keyboard.press("Tab")  # type: ignore[attr-defined]  # the skip link
    page.locator("input[name=email]").focus()  # type: ignore[attr-defined]
    page.keyboard.type(ADMIN_EMAIL)  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.type(ADMIN_PASSWORD)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()  # type: ignore[attr-defined]
    row = page.get_by_role("row", name=re.compile("local-team"))  # type: ignore[attr-defined]
    expect(row).to_contain_text("0 / 2")

    # The organization: live search, then protect one repository.
    page.get_by_role("link", name="local-team").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="local-team")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Search").fill("app")  # type: ignore[attr-defined]
    expect(page.locator("#repositories caption")).to_contain_text("1 repositories matching")  # type: ignore[attr-defined]
    page.get_by_label("select every repository on this page").check()  # type: ignore[attr-defined]
    expect(page.get_by_label("select team/app")).to_be_checked()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Activate selected", exact=True).click()  # type: ignore[attr-defined]
    expect(page.locator(".flash")).to_contain_text("1 repositories activated")  # type: ignore[attr-defined]
    _shot(page, "organization")

    # A new plan; the preview follows the schedule as it is edited.
    page.get_by_role("link", name="New plan").click()  # type: ignore[attr-defined]
    page.get_by_label("Name").fill("Nightly")  # type: ignore[attr-defined]
    expect(page.locator("#preview li")).to_have_count(5)  # type: ignore[attr-defined]
    page.get_by_label("At (HH:MM, several with commas)").fill("03:30")  # type: ignore[attr-defined]
    page.get_by_label("At (HH:MM, several with commas)").dispatch_event("change")  # type: ignore[attr-defined]
    expect(page.locator("#preview li").first).to_contain_text("03:30")  # type: ignore[attr-defined]
    page.get_by_label("Mon 12:00 closed").check()  # type: ignore[attr-defined]
    # The grid is one keyboard widget: one tab stop, arrows move, Space ticks, Tab leaves.
    assert page.locator("table.window input[tabindex='0']").count() == 1  # type: ignore[attr-defined]
    page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
    page.keyboard.press("ArrowDown")  # type: ignore[attr-defined]
    page.keyboard.press("Space")  # type: ignore[attr-defined]
    expect(page.get_by_label("Tue 13:00 closed")).to_be_checked()  # type: ignore[attr-defined]
    page.keyboard.press("Space")  # type: ignore[attr-defined]
    expect(page.get_by_label("Tue 13:00 closed")).not_to_be_checked()  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    focused = page.evaluate("document.activeElement.closest('table.window') === null")  # type: ignore[attr-defined]
    assert focused, "Tab leaves the grid at once"
    _shot(page, "plan-editor")
    page.get_by_role("button", name="Save plan").click()  # type: ignore[attr-defined]
    expect(page.locator(".flash")).to_contain_text("plan saved")  # type: ignore[attr-defined]
    expect(page.get_by_label("Mon 12:00 closed")).to_be_checked()  # type: ignore[attr-defined]

    # Run it and watch the task finish.
    page.get_by_role("button", name="Run now").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Tasks")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".flash")).to_contain_text("1 backup task(s) queued")  # type: ignore[attr-defined]
    expect(page.locator("#tasks tbody tr").first).to_contain_text("succeeded", timeout=60_000)  # type: ignore[attr-defined]
    _shot(page, "tasks")
    page.locator("#tasks tbody tr").first.get_by_role("link", name="Backup of team/app").click()  # type: ignore[attr-defined]
    expect(page.locator("ol.log")).to_contain_text("written: full")  # type: ignore[attr-defined]
    _shot(page, "task")

    # The repository: its snapshot, and a restore to a folder.
    expect(page.get_by_role("heading", name="Backup of team/app")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("link", name="team/app", exact=True).click()  # type: ignore[attr-defined]
    expect(page.locator("ol.timeline li")).to_have_count(1)  # type: ignore[attr-defined]
    target = tmp_path / "restored.git"
    page.get_by_label("Folder (absolute, new or empty)").fill(str(target))  # type: ignore[attr-defined]
    _shot(page, "repository")
    page.get_by_role("button", name="Restore", exact=True).click()  # type: ignore[attr-defined]
    expect(page.locator("#task")).to_contain_text("succeeded", timeout=60_000)  # type: ignore[attr-defined]
    assert refs_and_objects(target) == refs_and_objects(sources["team/app"])

    # Back on the dashboard: half the organization protected, the plan's last run.
    page.get_by_role("link", name="Dashboard").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("row", name=re.compile("^local-team Git"))).to_contain_text("1 / 2")  # type: ignore[attr-defined]
    expect(page.get_by_role("row", name=re.compile("^Nightly"))).to_contain_text("1 ok")  # type: ignore[attr-defined]
    _shot(page, "dashboard")


def test_forms_need_their_csrf_token_and_the_api_roles(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    with TestClient(app) as admin, TestClient(app) as viewer:
        admin.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        token = admin.cookies.get("repovault_session")
        assert token
        admin.post(
            "/users/create",
            json={"email": "viewer@example.org", "password": "password-123", "roles": ["Viewer"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        org = admin.post(
            "/git/organizations/add",
            json={"driver": 6, "name": "o"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["id"]
        forged = admin.post(f"/console/organizations/{org}/sync", data={"csrf": "forged"})
        assert forged.status_code == 403
        assert "security token" in forged.text
        viewer.post(
            "/console/login", data={"email": "viewer@example.org", "password": "password-123"}
        )
        page = viewer.get(f"/console/organizations/{org}")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        refused = viewer.post(f"/console/organizations/{org}/sync", data={"csrf": csrf.group(1)})
        assert refused.status_code == 403
        assert "AU1003" in refused.text
        cookie = viewer.cookies.get("repovault_session")
        assert cookie
        assert viewer.get("/console/login").status_code == 200
