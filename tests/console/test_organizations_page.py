"""Organizations managed from the console (issue 14): listed as a page, added with the
platform's credential check, modified, synchronized and removed after a confirmation; a
refused form shows plain words beside its fields and never gives a token back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as client:
        done = client.post(
            "/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert done.status_code == 303, done.text
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _org_ids(client: TestClient) -> list[str]:
    page = client.get("/console/organizations")
    return re.findall(r'href="/console/organizations/([0-9a-f-]{36})/edit"', page.text)


def test_add_modify_and_remove_an_organization(client: TestClient) -> None:
    listing = client.get("/console/organizations")
    assert listing.status_code == 200
    assert listing.headers["content-type"].startswith("text/html")
    assert "No organization yet" in listing.text
    form = client.get("/console/organizations/new")
    assert form.status_code == 200
    csrf = _csrf(form.text)

    refused = client.post(
        "/console/organizations/new",
        data={"csrf": csrf, "driver": "5", "name": "team", "token": "s3cr3t-token-value"},
    )
    assert refused.status_code == 400
    assert re.search(r'class="field-error" id="api_url-error">[^<]*URL', refused.text)
    assert "apiUrl" not in refused.text
    assert "RQ10" not in refused.text
    assert "s3cr3t-token-value" not in refused.text
    assert 'value="team"' in refused.text  # the form comes back filled in

    added = client.post(
        "/console/organizations/new", data={"csrf": csrf, "driver": "6", "name": "team"}
    )
    assert added.status_code == 303, added.text
    shown = client.get(added.headers["location"]).text
    (org,) = _org_ids(client)
    assert added.headers["location"] == f"/console/organizations/{org}"
    assert '<p class="flash" role="status">organization team added</p>' in shown
    assert "organization team added" not in client.get(added.headers["location"]).text  # once
    # A message in the address is never shown as if the server said it.
    forged = client.get("/console/organizations", params={"flash": "Call +1 555 to unlock"})
    assert "Call +1 555" not in forged.text
    assert ">team</a>" in client.get("/console/organizations").text

    edit = client.get(f"/console/organizations/{org}/edit")
    assert 'value="team"' in edit.text
    saved = client.post(
        f"/console/organizations/{org}/edit",
        data={"csrf": csrf, "name": "renamed", "read_only": "on"},
    )
    assert saved.status_code == 303, saved.text
    listing = client.get("/console/organizations").text
    assert ">renamed</a>" in listing
    assert "read-only" in listing
    blank = client.post(f"/console/organizations/{org}/edit", data={"csrf": csrf, "name": ""})
    assert blank.status_code == 400
    assert 'id="name-error"' in blank.text

    synced = client.post(f"/console/organizations/{org}/sync", data={"csrf": csrf})
    assert synced.status_code == 303

    confirm = client.get(f"/console/organizations/{org}/remove")
    assert "Type <strong>renamed</strong> to confirm" in confirm.text
    kept = client.post(
        f"/console/organizations/{org}/remove", data={"csrf": csrf, "confirm": "wrong"}
    )
    assert kept.status_code == 400
    assert "Nothing was removed" in kept.text
    assert _org_ids(client) == [org]
    gone = client.post(
        f"/console/organizations/{org}/remove",
        data={"csrf": csrf, "confirm": "renamed", "remove_data": "on"},
    )
    assert gone.status_code == 303
    assert _org_ids(client) == []
    missing = client.get(f"/console/organizations/{org}/edit")
    assert missing.status_code == 404
    assert "no such organization" in missing.text


def test_two_organizations_sharing_a_name_show_their_platform_and_url(
    client: TestClient, tmp_path: Path
) -> None:
    csrf = _csrf(client.get("/console/organizations/new").text)
    urls = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        urls.append((tmp_path / name).as_uri())
    for url in urls:
        added = client.post(
            "/console/organizations/new",
            data={"csrf": csrf, "driver": "6", "name": "same", "api_url": url},
        )
        assert added.status_code == 303, added.text
    listing = client.get("/console/organizations").text
    assert len(_org_ids(client)) == 2
    assert f"(Git, {urls[0]})" in listing
    assert f"(Git, {urls[1]})" in listing
