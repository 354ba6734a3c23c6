"""The plan editor asks a new plan's encryption password twice (issue 14): a typo there would
lock every backup away, so two different passwords save nothing."""

from __future__ import annotations

import re

from tests.api.world import add_org
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api


def test_the_encryption_password_is_asked_twice(api: Api) -> None:
    org = add_org(api, name="acme")
    client = api.client
    client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    form = client.get("/console/plans/new", params={"organization": org}).text
    assert 'name="password_again"' in form
    found = re.search(r'name="csrf" value="([^"]+)"', form)
    assert found is not None
    plan = {"csrf": found.group(1), "name": "Sealed", "organizationId": org, "isActive": "on"}

    differ = client.post(
        "/console/plans",
        data={**plan, "password": "correct horse 1", "password_again": "correct horse 2"},
        follow_redirects=False,
    )
    assert differ.status_code == 400
    assert 'id="password_again-error">The two passwords differ' in differ.text
    assert "correct horse" not in differ.text
    assert api.ok("/plans/listassignedtoorganization", {"organizationId": org})["result"] == []

    unnamed = client.post(
        "/console/plans",
        data={
            **plan,
            "name": "",
            "password": "correct horse 1",
            "password_again": "correct horse 1",
        },
        follow_redirects=False,
    )
    assert unnamed.status_code == 400
    alert = re.search(r'role="alert"><ul><li>([^<]*)</li>', unnamed.text)
    assert alert is not None
    assert alert.group(1).startswith("Name: ")
    assert "RQ10" not in unnamed.text

    same = client.post(
        "/console/plans",
        data={**plan, "password": "correct horse 1", "password_again": "correct horse 1"},
        follow_redirects=False,
    )
    assert same.status_code == 303, same.text
    saved = client.get(same.headers["location"]).text
    assert "Encryption: on (AES-256-GCM)" in saved
