"""The console's restore forms offer the organizations a platform restore writes into:
GitHub, GitLab, Gitea/Forgejo, Bitbucket Cloud and Azure DevOps ones (issue 12 §3), not
plain Git or Bitbucket Data Center."""

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


def test_the_organization_page_offers_the_platforms_a_restore_writes_into(
    client: TestClient, runtime: Runtime
) -> None:
    with runtime.db.session(write=True) as session:
        made = [
            Organization(driver=driver, name=name, api_url=f"https://{name}.example.com")
            for driver, name in ((1, "hub"), (3, "lab"), (5, "forge"), (6, "plain"), (2, "bit"))
        ]
        made.append(Organization(driver=2, name="cloud", api_url="https://api.bitbucket.org/2.0"))
        made.append(Organization(driver=4, name="devops", api_url=None))
        session.add_all(made)
        session.flush()
        page_of = made[3].id
    done = client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert done.status_code == 303, done.text
    page = client.get(f"/console/organizations/{page_of}")
    assert page.status_code == 200, page.text
    offers = (
        "hub (GitHub)",
        "lab (GitLab)",
        "forge (Gitea/Forgejo)",
        "cloud (Bitbucket",
        "devops (Azure",
    )
    for offered in offers:
        assert f">{offered}" in page.text
    assert ">plain (" not in page.text
    assert ">bit (" not in page.text  # Bitbucket Data Center (its own apiUrl)
