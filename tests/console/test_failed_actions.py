"""A failed action says so in the error style, once, in plain words (issue 14): a restore
into a folder that cannot work is refused when it is asked for, not by a failed task later."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.world import add_org, add_repos
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api


def test_a_restore_into_a_folder_that_cannot_work_is_refused_at_once(
    api: Api, tmp_path: Path
) -> None:
    org = add_org(api, name="acme")
    repo = add_repos(api, org, 1)[0]
    client = api.client
    client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    page = client.get(f"/console/repositories/{repo}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("x")

    for path, reason in (
        ("/etc/outside", "is not below a restore root"),
        (str(full), "is not empty"),
    ):
        refused = client.post(
            f"/console/repositories/{repo}/restore",
            data={"csrf": csrf.group(1), "kind": "directory", "path": path},
            follow_redirects=False,
        )
        assert refused.status_code == 303
        assert refused.headers["location"] == f"/console/repositories/{repo}"
        shown = client.get(refused.headers["location"]).text
        alert = re.search(r'<div class="errors" role="alert"><ul><li>([^<]*)</li>', shown)
        assert alert is not None, shown
        assert reason in alert.group(1)
        assert "target.path" not in shown
        assert "RQ1002" not in shown
        assert 'class="flash"' not in shown
        again = client.get(refused.headers["location"]).text
        assert reason not in again  # once
    tasks = api.ok(
        "/tasks/getmany", {"filters": [{"property": "kind", "operator": "eq", "value": "restore"}]}
    )
    assert tasks["result"] == []
