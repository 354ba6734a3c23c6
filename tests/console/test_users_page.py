"""Users and roles from the console (issue 14): created with the password asked twice,
their roles changed, removed after a confirmation; refusals in plain words beside the field."""

from __future__ import annotations

import re
from collections.abc import Iterator

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


def _user_id(client: TestClient, email: str) -> str:
    found = re.search(
        rf'href="/console/users/([0-9a-f-]{{36}})">{re.escape(email)}<',
        client.get("/console/users").text,
    )
    assert found is not None, email
    return found.group(1)


def test_create_change_and_remove_a_user(client: TestClient) -> None:
    listing = client.get("/console/users")
    assert listing.status_code == 200
    assert ADMIN_EMAIL in listing.text
    csrf = _csrf(client.get("/console/users/new").text)
    base = {"csrf": csrf, "email": "ops@example.org", "roles": ["GitManagement"]}

    differ = client.post(
        "/console/users/new", data={**base, "password": "password-123", "password_again": "x"}
    )
    assert differ.status_code == 400
    assert 'id="password_again-error">The two passwords differ.' in differ.text
    assert 'value="ops@example.org"' in differ.text
    short = client.post(
        "/console/users/new", data={**base, "password": "short", "password_again": "short"}
    )
    assert short.status_code == 400
    assert 'id="password-error"' in short.text
    assert "RQ10" not in short.text
    made = client.post(
        "/console/users/new",
        data={**base, "password": "password-123", "password_again": "password-123"},
    )
    assert made.status_code == 303, made.text
    person = _user_id(client, "ops@example.org")
    assert "GitManagement" in client.get("/console/users").text

    changed = client.post(
        f"/console/users/{person}",
        data={"csrf": csrf, "email": "ops@example.org", "roles": ["Viewer"]},
    )
    assert changed.status_code == 303, changed.text
    edit = client.get(f"/console/users/{person}").text
    assert re.search(r'value="Viewer" checked', edit)
    assert not re.search(r'value="GitManagement" checked', edit)
    # The new password works (asked twice, like on creation).
    client.post(
        f"/console/users/{person}",
        data={
            "csrf": csrf,
            "email": "ops@example.org",
            "roles": ["Viewer"],
            "password": "another-pass-9",
            "password_again": "another-pass-9",
        },
    )
    with TestClient(client.app, follow_redirects=False) as other:
        login = other.post(
            "/console/login", data={"email": "ops@example.org", "password": "another-pass-9"}
        )
        assert login.status_code == 303
        assert other.get("/console/users").status_code == 403

    unsure = client.post(f"/console/users/{person}/remove", data={"csrf": csrf})
    assert unsure.status_code == 400
    assert "Nothing was removed" in unsure.text
    gone = client.post(f"/console/users/{person}/remove", data={"csrf": csrf, "confirm": "1"})
    assert gone.status_code == 303
    after = client.get("/console/users").text
    assert "user ops@example.org removed" in after
    assert f'href="/console/users/{person}"' not in after
    assert client.get(f"/console/users/{person}").status_code == 404

    admin = _user_id(client, ADMIN_EMAIL)
    last = client.post(f"/console/users/{admin}/remove", data={"csrf": csrf, "confirm": "1"})
    assert last.status_code in (400, 409)
    assert ADMIN_EMAIL in client.get("/console/users").text
