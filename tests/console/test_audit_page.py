"""The console's audit page: administrators read the trail, filter it and check its chain;
nobody else sees it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from repovault.app import create_app
from repovault.audit.models import AuditEntry
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as client:
        yield client


def _login(client: TestClient, email: str, password: str) -> None:
    done = client.post("/console/login", data={"email": email, "password": password})
    assert done.status_code == 303, done.text


def test_administrators_read_filter_and_check_the_trail(
    client: TestClient, runtime: Runtime
) -> None:
    _login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    token = client.cookies.get("repovault_session")
    made = client.post(
        "/users/create",
        json={"email": "viewer@company.com", "password": "password-123", "roles": ["Viewer"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 200
    home = client.get("/console")
    assert 'href="/console/audit"' in home.text

    page = client.get("/console/audit")
    assert page.status_code == 200
    assert "/users/create" in page.text
    assert made.json()["id"] in page.text
    assert "/account/login" in page.text
    only = client.get("/console/audit", params={"call": "/users/create"})
    assert "/users/create" in only.text
    assert "/account/login" not in only.text

    fine = client.get("/console/audit", params={"verify": "1"})
    assert "The chain holds" in fine.text
    with runtime.db.session(write=True) as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(call="/x"))
    broken = client.get("/console/audit", params={"verify": "1"})
    assert "The chain is broken at entry #1" in broken.text


def test_others_do_not_see_the_trail(client: TestClient) -> None:
    _login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    token = client.cookies.get("repovault_session")
    client.post(
        "/users/create",
        json={"email": "viewer@company.com", "password": "password-123", "roles": ["Viewer"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    client.cookies.clear()
    _login(client, "viewer@company.com", "password-123")
    assert 'href="/console/audit"' not in client.get("/console").text
    refused = client.get("/console/audit")
    assert refused.status_code == 403
    assert "/users/create" not in refused.text
