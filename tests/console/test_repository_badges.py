"""The console's repository list marks forks and archived repositories with badges."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import update

from repovault.app import create_app
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def test_fork_and_archived_badges(runtime: Runtime) -> None:
    with TestClient(create_app(runtime=runtime)) as admin:
        admin.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {admin.cookies.get('repovault_session')}"}
        org = admin.post(
            "/git/organizations/add", json={"driver": 6, "name": "o"}, headers=headers
        ).json()["id"]
        urls = [f"https://git.example.com/team/{n}.git" for n in ("fork", "old", "app")]
        ids = admin.post(
            "/git/repositories/add", json={"organizationId": org, "urls": urls}, headers=headers
        ).json()["ids"]
        with runtime.db.session(write=True) as session:
            session.execute(update(Repository).where(Repository.id == ids[0]).values(is_fork=True))
            session.execute(
                update(Repository).where(Repository.id == ids[1]).values(is_archived=True)
            )
        page = admin.get(f"/console/organizations/{org}")
        assert page.status_code == 200
        cells = {
            name: cell
            for cell, name in re.findall(
                r"(<a href=\"[^\"]+/repositories/[^\"]+\">([^<]+)</a>.*?)</td>", page.text
            )
        }
        assert '<span class="badge">fork</span>' in cells["team/fork"]
        assert "archived" not in cells["team/fork"]
        assert '<span class="badge">archived</span>' in cells["team/old"]
        assert "badge" not in cells["team/app"]
