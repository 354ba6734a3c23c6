"""No URL carries a credential: tokens live in the credential fields, sealed at rest.

A token written into a URL (`https://TOKEN@host/x.git`) was stored in plain text and returned
as `serverId` and `url` to every reader, Viewers included. Every URL a caller gives is refused
when it carries a user or a password, with a message naming the field to use instead; ssh
URLs keep their login name (`git@host`), which ssh needs and which is no secret.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from repovault import migrate
from repovault.db import make_engine
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from tests.api.world import add_org, build_world
from tests.conftest import Api
from tests.integration.old_rows import organization, repository

SECRET = "ghp_s3cretT0ken"


@pytest.mark.parametrize(
    "url",
    [
        f"https://{SECRET}@git.example.com/team/app.git",
        f"https://oauth2:{SECRET}@git.example.com/team/app.git",
        f"http://{SECRET}:@git.example.com/team/app.git",
        f"git://{SECRET}@git.example.com/team/app.git",
        f"ssh://git:{SECRET}@git.example.com/team/app.git",
        f"file://{SECRET}@localhost/srv/git/app.git",
    ],
)
def test_a_url_with_credentials_is_refused(api: Api, runtime: Runtime, url: str) -> None:
    org = add_org(api)
    response = api.post("/git/repositories/add", {"organizationId": org, "urls": [url]})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errorCode"] == "RQ1002"
    assert "token" in body["errors"]["urls.0"][0]
    assert SECRET not in response.text
    with runtime.db.session() as session:
        assert session.scalars(select(Repository.url)).all() == []


@pytest.mark.parametrize(
    "url", ["ssh://git@git.example.com/team/app.git", "git@git.example.com:team/app.git"]
)
def test_an_ssh_login_name_is_kept(api: Api, url: str) -> None:
    org = add_org(api)
    assert api.ok("/git/repositories/add", {"organizationId": org, "urls": [url]})["ids"]


def test_an_api_url_with_credentials_is_refused(api: Api) -> None:
    bad = f"https://{SECRET}@gitea.example.com"
    added = api.post(
        "/git/organizations/add", {"driver": 5, "name": "g", "apiUrl": bad, "token": "t"}
    )
    assert added.status_code == 400
    assert "token" in added.json()["errors"]["apiUrl"][0]
    org = add_org(api)
    modified = api.post(
        "/git/organizations/modify", {"id": org, "apiUrl": f"file://{SECRET}@localhost/srv"}
    )
    assert modified.status_code == 400
    assert SECRET not in modified.text


def test_a_restore_url_with_credentials_is_refused(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    response = api.post(
        "/git/repositories/restore",
        {
            "id": world.repos[0],
            "target": {"kind": "url", "url": f"https://{SECRET}@h.example.com/x.git"},
        },
    )
    assert response.status_code == 400
    assert "target.token" in response.json()["errors"]["target.url"][0]


def test_migration_0008_removes_credentials_from_stored_urls(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    leaked = f"https://{SECRET}@git.example.com/team/app.git"
    clean = "https://git.example.com/team/app.git"
    ssh = "ssh://git@git.example.com/team/lib.git"
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0007")
        organization(conn, "o", api_url=f"https://{SECRET}@git.example.com")
        repository(
            conn,
            "r1",
            "o",
            server_id=leaked,
            name="team/app",
            url=leaked,
            wiki_url=f"https://{SECRET}@git.example.com/team/app.wiki.git",
        )
        # The same repository added again without the token: the two must stay distinct.
        repository(conn, "r2", "o", server_id=clean, name="team/app", url=clean)
        repository(conn, "r3", "o", server_id=ssh, name="team/lib", url=ssh)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(text("SELECT id, server_id, url, wiki_url FROM repositories"))
        }
        api_url = conn.execute(text("SELECT api_url FROM organizations")).scalar_one()
    engine.dispose()
    dump = repr(rows) + api_url
    assert SECRET not in dump
    assert api_url == "https://git.example.com"
    assert rows["r1"].url == clean  # the organization's token authenticates it from now on
    assert rows["r1"].server_id != rows["r2"].server_id
    assert rows["r1"].wiki_url == "https://git.example.com/team/app.wiki.git"
    assert rows["r2"].url == clean
    assert rows["r3"].url == ssh
