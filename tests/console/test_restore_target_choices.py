"""The console's restore forms offer the organizations a platform restore writes into:
GitHub, GitLab and Gitea/Forgejo ones (issue 12 §3), not the others."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.organizations.models import Organization
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as client:
        yield client


def test_the_organization_page_offers_github_gitlab_and_gitea_targets(
    client: TestClient, runtime: Runtime
) -> None:
    with runtime.db.session(write=True) as session:
        made = [
            Organization(driver=driver, name=name, api_url=f"https://{name}.example.com")
            for driver, name in ((1, "hub"), (3, "lab"), (5, "forge"), (6, "plain"), (2, "bit"))
        ]
        session.add_all(made)
        session.flush()
        page_of = made[3].id
    done = client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert done.status_code == 303, done.text
    page = client.get(f"/console/organizations/{page_of}")
    assert page.status_code == 200, page.text
    for offered in ("hub (GitHub)", "lab (GitLab)", "forge (Gitea/Forgejo)"):
        assert f">{offered}</option>" in page.text
    assert ">plain (" not in page.text
    assert ">bit (" not in page.text
