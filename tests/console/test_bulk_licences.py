"""Licences in bulk (issue 14): beyond the boxes of one page, every repository the search
matches, on every page, activated or deactivated at once."""

from __future__ import annotations

import re

from tests.api.world import add_org, add_repos
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api


def test_activate_every_matching_repository_across_pages(api: Api) -> None:
    org = add_org(api, name="acme")
    add_repos(api, org, 55, prefix="svc")
    add_repos(api, org, 3, prefix="web")
    client = api.client
    client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    page = client.get(f"/console/organizations/{org}").text
    assert "Activate all 58</button>" in page
    assert 'data-select-all="repository"' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None

    done = client.post(
        f"/console/organizations/{org}/licences",
        data={"csrf": csrf.group(1), "action": "activate-all", "q": "svc", "show": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "55 repositories activated" in client.get(done.headers["location"]).text
    repos = api.ok("/git/repositories/getmany", {"id": org, "limit": 100})["result"]
    protected = {
        r["name"].split("/")[-1].split("-")[0] for r in repos["repositories"] if r["isProtected"]
    }
    assert protected == {"svc"}
    assert sum(r["isProtected"] for r in repos["repositories"]) == 55

    client.post(
        f"/console/organizations/{org}/licences",
        data={"csrf": csrf.group(1), "action": "deactivate-all", "q": "", "show": "protected"},
    )
    repos = api.ok("/git/repositories/getmany", {"id": org, "limit": 100})["result"]
    assert not any(r["isProtected"] for r in repos["repositories"])
