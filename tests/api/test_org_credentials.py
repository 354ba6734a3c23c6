"""How an organization authenticates: a token file read at every use (a rotated secret is
picked up without touching repovault) and a GitHub App installation; one kind at a time, each
refused clearly when it cannot work, and never shown back."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from repovault.providers import github as github_driver
from repovault.providers.github_app import InstallationTokens
from repovault.runtime import Runtime
from tests.api.test_sync import _by_name, _sync
from tests.conftest import Api
from tests.providers.fake_github import FakeGitHub, repository
from tests.providers.test_github_app import APP_ID, INSTALLATION, PRIVATE, PUBLIC

_SYNC = {"property": "kind", "operator": "eq", "value": "sync"}


def _problem(response: Any, field: str) -> str:
    assert response.status_code == 400, response.text
    problem = response.json()
    assert field in problem["errors"], problem
    return str(problem["detail"])


def test_a_token_file_is_read_at_every_use(api: Api, github: FakeGitHub, tmp_path: Path) -> None:
    github.orgs["acme"] = [repository(1, "acme/app")]
    secret = tmp_path / "github-token"
    secret.write_text("first-token\n")
    github.valid_tokens = {"first-token"}
    org = api.ok("/git/organizations/add", {"driver": 1, "name": "acme", "tokenFile": str(secret)})[
        "id"
    ]
    assert list(_by_name(_sync(api, org))) == ["acme/app"]
    # The secret rotates outside repovault: the next use reads the new one.
    github.orgs["acme"].append(repository(2, "acme/lib"))
    secret.write_text("second-token")
    github.valid_tokens = {"second-token"}
    deadline = time.monotonic() + 30
    while sorted(_by_name(_sync(api, org))) != ["acme/app", "acme/lib"]:
        syncs = api.ok("/tasks/getmany", {"filters": [_SYNC], "orderby": "createdAt"})
        assert syncs["result"][-1]["status"] != 3, syncs["result"][-1]
        assert time.monotonic() < deadline, "the second synchronization never listed acme/lib"
        time.sleep(0.05)
    used = [r.headers.get("authorization") for r in github.requests]
    assert "Bearer first-token" in used
    assert used[-1] == "Bearer second-token"
    listed = json.dumps(api.ok("/git/organizations/getmany", {"limit": 10}))
    assert "second-token" not in listed


def test_a_token_file_that_cannot_work_is_refused(api: Api, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    detail = _problem(
        api.post(
            "/git/organizations/add", {"driver": 1, "name": "acme", "tokenFile": str(missing)}
        ),
        "tokenFile",
    )
    assert str(missing) in detail
    _problem(
        api.post("/git/organizations/add", {"driver": 1, "name": "acme", "tokenFile": "rel/x"}),
        "tokenFile",
    )
    (tmp_path / "t").write_text("x")
    _problem(
        api.post(
            "/git/organizations/add",
            {"driver": 1, "name": "acme", "token": "t", "tokenFile": str(tmp_path / "t")},
        ),
        "tokenFile",
    )


def test_a_github_app_installation(
    api: Api, github: FakeGitHub, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This test's fake GitHub knows none of the tokens another test's minted.
    monkeypatch.setattr(github_driver, "TOKENS", InstallationTokens())
    github.apps[APP_ID] = (PUBLIC, {INSTALLATION})
    github.orgs["acme"] = [repository(1, "acme/app")]
    github.valid_tokens = set()  # only minted tokens open anything
    app = {"appId": APP_ID, "installationId": INSTALLATION, "privateKey": PRIVATE}
    org = api.ok("/git/organizations/add", {"driver": 1, "name": "acme", "githubApp": app})["id"]
    assert list(_by_name(_sync(api, org))) == ["acme/app"]
    assert github.minted
    answers = json.dumps(api.ok("/git/organizations/getmany", {"limit": 10}))
    assert "PRIVATE KEY" not in answers
    with runtime.db.engine.connect() as conn:  # sealed at rest
        stored = conn.exec_driver_sql("SELECT github_app_sealed FROM organizations").scalar()
    assert stored
    assert "PRIVATE KEY" not in stored

    # A wrong installation is the caller's error, named.
    wrong = {**app, "installationId": 5}
    response = api.post("/git/organizations/modify", {"id": org, "githubApp": wrong})
    assert response.status_code == 400, response.text
    assert "no installation 5" in response.json()["detail"]
    # Only GitHub has apps.
    _problem(
        api.post("/git/organizations/add", {"driver": 6, "name": "plain", "githubApp": app}),
        "githubApp",
    )
    # A token replaces the app.
    github.valid_tokens = None
    api.ok("/git/organizations/modify", {"id": org, "token": "a-token"})
    with runtime.db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT github_app_sealed, token_sealed FROM organizations"
        ).one()
    assert row[0] is None
    assert row[1]
