"""Storages through the API: a secret setting is sealed at rest and never answered."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from repovault.runtime import Runtime
from repovault.storages.models import Storage
from repovault.storages.service import open_backend
from tests.backends.servers_files import USER, RemoteServer, remote_folder, sftp_server
from tests.conftest import Api

__all__ = ["remote_folder", "sftp_server"]  # the SFTP server's fixtures, used here


def test_an_s3_secret_is_sealed_at_rest_and_never_listed(api: Api, runtime: Runtime) -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    settings = {"bucket": "backups", "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": secret}
    created = api.ok("/storages/add", {"name": "offsite", "type": 2, "settings": settings})
    listed = api.ok("/storages/getmany", {})
    assert secret not in json.dumps(listed)
    (offsite,) = [s for s in listed["result"] if s["id"] == created["id"]]
    assert offsite["settings"] == {
        "endpointUrl": None,
        "bucket": "backups",
        "prefix": None,
        "region": None,
        "accessKeyId": "AKIAEXAMPLE",
    }
    with runtime.db.session() as session:
        row = session.scalars(select(Storage).where(Storage.id == created["id"])).one()
        assert secret not in json.dumps(row.settings)
        assert runtime.box.open(row.settings["secretAccessKeySealed"]) == secret


def test_azure_and_gcs_secrets_are_sealed_and_bad_settings_are_400(
    api: Api, runtime: Runtime
) -> None:
    key = "Zm9yLXRoZS10ZXN0cy1vbmx5LW5vdC1hLXJlYWwta2V5LXJlcG92YXVsdA=="
    service_account = json.dumps(
        {
            "type": "service_account",
            "project_id": "p1",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n",
            "client_email": "backup@p1.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )
    cases = [
        (3, {"container": "backups", "accountName": "acct", "accountKey": key}, "accountKey", key),
        (4, {"bucket": "backups", "credentialsJson": service_account}, "credentialsJson", None),
    ]
    for number, settings, secret, value in cases:
        created = api.ok(
            "/storages/add", {"name": f"cloud{number}", "type": number, "settings": settings}
        )
        listed = api.ok("/storages/getmany", {})
        assert "PRIVATE KEY" not in json.dumps(listed)
        (row,) = [s for s in listed["result"] if s["id"] == created["id"]]
        assert secret not in row["settings"]
        with runtime.db.session() as session:
            stored = session.scalars(select(Storage).where(Storage.id == created["id"])).one()
            opened = runtime.box.open(stored.settings[secret + "Sealed"])
            assert opened == (value or json.dumps(json.loads(service_account)))
    refused = api.post(
        "/storages/add",
        {"name": "bad", "type": 3, "settings": {"container": "Bad_Name", "connectionString": "x"}},
    )
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "settings.container" in refused.text


def test_an_sftp_storage_seals_its_key_and_opens_with_it(
    api: Api, runtime: Runtime, sftp_server: RemoteServer, remote_folder: str
) -> None:
    (sftp_server.root / remote_folder).mkdir()
    settings = {
        "host": "127.0.0.1",
        "port": sftp_server.port,
        "username": USER,
        "privateKey": sftp_server.client_key,
        "hostKey": sftp_server.host_key,
        "path": remote_folder,
    }
    created = api.ok("/storages/add", {"name": "sftp box", "type": 5, "settings": settings})
    listed = api.ok("/storages/getmany", {})
    assert "PRIVATE KEY" not in json.dumps(listed)
    (box,) = [s for s in listed["result"] if s["id"] == created["id"]]
    assert box["settings"]["hostKey"] == sftp_server.host_key
    assert set(box["settings"]) == {"host", "port", "username", "hostKey", "path"}
    with runtime.db.session() as session:
        row = session.scalars(select(Storage).where(Storage.id == created["id"])).one()
        assert "PRIVATE KEY" not in json.dumps(row.settings)
        backend = open_backend(row, runtime.box)
    backend.put("through/the/api", io.BytesIO(b"sealed and opened"))
    assert (
        sftp_server.root / remote_folder / "through/the/api"
    ).read_bytes() == b"sealed and opened"


def test_remote_folder_settings_are_checked_when_added(api: Api) -> None:
    for type, settings, field in (
        (5, {"host": "h", "username": "u", "password": "p"}, "settings.hostKey"),
        (6, {"url": "ftp://h/dav"}, "settings.url"),
        (
            7,
            {"remote": "drive:backups", "configText": "[other]\ntype = drive\n"},
            "settings.configText",
        ),
    ):
        response = api.post(
            "/storages/add", {"name": f"bad {type}", "type": type, "settings": settings}
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.json()["errors"], response.json()
    assert [s["name"] for s in api.ok("/storages/getmany", {})["result"]] == ["Local storage"]
